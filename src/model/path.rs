//! Where a layer sits in its net: `3` for the fourth layer of a chain,
//! `3.0` for the first layer inside a block at position 3.

use core::fmt;

/// The deepest nesting of blocks a path can name.
const DEPTH: usize = 8;

/// A layer's position in its net, one index per level of nesting: the one
/// numbering that [`layer::<K>()`](crate::Chain::layer), a
/// [`summary`](crate::Layer::summary)'s rows and saved tensor names
/// (`"3.W"`, `"3.0.W"`) share.
///
/// The layers of a chain are numbered from 0 in order, each one position,
/// whatever it holds: a [`ConvReluPool`](crate::layers::ConvReluPool) is
/// one layer, and a block ([`Residual`](crate::Residual),
/// [`Sum`](crate::Sum), [`Concat`](crate::Concat), or a chain given as one
/// layer of another) is one position whose own layers are numbered under
/// it: the inner layers of a residual block at position 2 are `2.0`, `2.1`,
/// …, the two branches of a `Sum` at 4 are `4.0` and `4.1` (their layers
/// `4.0.0`, … when a branch is a chain of several).
///
/// ```
/// use typenet::Path;
///
/// let p = Path::ROOT.child(3).child(0);
/// assert_eq!(p.to_string(), "3.0");
/// assert_eq!(p.indices(), &[3, 0]);
/// assert_eq!(Path::at(3), 3);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Path {
    len: u8,
    at: [u16; DEPTH],
}

impl Path {
    /// The net itself, above its layers.
    pub const ROOT: Path = Path { len: 0, at: [0; DEPTH] };

    /// A layer of the net itself, at position `index`.
    pub const fn at(index: usize) -> Path {
        Path::ROOT.child(index)
    }

    /// The `index`-th layer under this one.
    ///
    /// # Panics
    /// Past 8 levels of nesting or at index 65,536 and beyond (chains hold at
    /// most 65 layers).
    #[track_caller]
    pub const fn child(self, index: usize) -> Path {
        assert!((self.len as usize) < DEPTH, "layers nest at most 8 deep");
        assert!(index <= u16::MAX as usize, "a position past 65,535");
        let mut at = self.at;
        at[self.len as usize] = index as u16;
        Path { len: self.len + 1, at }
    }

    /// The indices from the net down, one per level.
    pub fn indices(&self) -> &[u16] {
        &self.at[..self.len as usize]
    }

    /// How deep the layer is nested: 0 for a layer of the net itself.
    pub fn depth(&self) -> usize {
        (self.len as usize).saturating_sub(1)
    }

    /// The position of the top-level layer this path is in (`None` for the
    /// root).
    pub fn top(&self) -> Option<usize> {
        self.indices().first().map(|&i| usize::from(i))
    }
}

impl PartialEq<usize> for Path {
    /// A path equals `n` if it is the top-level position `n`.
    fn eq(&self, n: &usize) -> bool {
        self.len == 1 && usize::from(self.at[0]) == *n
    }
}

impl fmt::Display for Path {
    /// `3.0.1`; the root is empty. Honours width and alignment.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // at most 8 indices of 5 digits and their dots
        let mut text = [0u8; 6 * DEPTH];
        let mut len = 0;
        for (i, &index) in self.indices().iter().enumerate() {
            if i > 0 {
                text[len] = b'.';
                len += 1;
            }
            let mut digits = [0u8; 5];
            let (mut n, mut d) = (index, 0);
            loop {
                digits[d] = b'0' + (n % 10) as u8;
                n /= 10;
                d += 1;
                if n == 0 {
                    break;
                }
            }
            for k in (0..d).rev() {
                text[len] = digits[k];
                len += 1;
            }
        }
        f.pad(core::str::from_utf8(&text[..len]).unwrap_or(""))
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Path({self})")
    }
}
