//! One sample's values: a dense row `[T; N]`, an image of C channels of H×W
//! ([`Image`]), or two rows side by side ([`Pair`]).

use core::fmt::{self, Debug};
use core::mem::{align_of, size_of};

use crate::Element;

/// The values of one sample as a layer sees them: `[T; N]` for a dense
/// layer, [`Image<T, C, H, W>`] for a convolution, [`Pair<A, B>`] for two
/// branches joined side by side.
///
/// Layers name their inputs and outputs through rows (`Layer<[f32; 784]>`
/// takes 784-wide `f32` rows), so a width, shape or scalar mismatch between
/// two layers is a type error. Every row is also a flat run of
/// [`WIDTH`](Row::WIDTH) scalars, which is how kernels and dense layers
/// read it: an [`Affine`](crate::Affine) takes an image directly, in
/// channel-row-column order, without a copy.
///
/// # Safety
/// An implementation promises that `Self` is exactly `WIDTH` values of
/// `Scalar` laid end to end, with no padding and the alignment of
/// `Scalar` (an array of scalars, or a `#[repr(C)]`/`#[repr(transparent)]`
/// wrapper of such arrays), and that [`Array<E>`](Row::Array) is likewise
/// exactly `WIDTH` values of `E`. The provided methods view rows as slices
/// on that promise; they also check the sizes when compiled.
pub unsafe trait Row: Copy + Debug + PartialEq + Send + Sync + 'static {
    /// The element type: a float [`Scalar`](crate::Scalar) for the rows a
    /// net trains on, an integer for a quantized net's.
    type Scalar: Element;
    /// The number of scalars.
    const WIDTH: usize;
    /// The all-zero row.
    const ZERO: Self;
    /// The row's dimensions as people write them: `[N]` for a dense row,
    /// `[C, H, W]` for an image.
    const DIMS: &'static [usize];

    /// The same shape with an `E` in place of each scalar: how a layer
    /// stores one `E` per input value (an [`Affine`](crate::Affine)'s
    /// weights are an `Array<[T; OUT]>`).
    type Array<E: Copy + Send + Sync + 'static>: Copy + Send + Sync + 'static;

    /// An [`Array`](Row::Array) with every element `fill`.
    fn array<E: Copy + Send + Sync + 'static>(fill: E) -> Self::Array<E>;

    /// The values as a slice of `WIDTH` scalars.
    #[inline(always)]
    fn as_slice(&self) -> &[Self::Scalar] {
        let () = Checked::<Self, Self::Scalar>::SAME;
        // SAFETY: by the trait's contract `Self` is `WIDTH` scalars laid end
        // to end with their alignment (checked in size above).
        unsafe { core::slice::from_raw_parts((self as *const Self).cast(), Self::WIDTH) }
    }

    /// The values as a mutable slice of `WIDTH` scalars.
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [Self::Scalar] {
        let () = Checked::<Self, Self::Scalar>::SAME;
        // SAFETY: as in `as_slice`; every bit pattern of a float is valid.
        unsafe { core::slice::from_raw_parts_mut((self as *mut Self).cast(), Self::WIDTH) }
    }

    /// Rows laid end to end (row-major) as one slice.
    #[inline(always)]
    fn flatten(rows: &[Self]) -> &[Self::Scalar] {
        let () = Checked::<Self, Self::Scalar>::SAME;
        // SAFETY: consecutive rows are consecutive runs of `WIDTH` scalars.
        unsafe { core::slice::from_raw_parts(rows.as_ptr().cast(), rows.len() * Self::WIDTH) }
    }

    /// Rows laid end to end (row-major) as one mutable slice.
    #[inline(always)]
    fn flatten_mut(rows: &mut [Self]) -> &mut [Self::Scalar] {
        let () = Checked::<Self, Self::Scalar>::SAME;
        // SAFETY: as in `flatten`.
        unsafe { core::slice::from_raw_parts_mut(rows.as_mut_ptr().cast(), rows.len() * Self::WIDTH) }
    }

    /// An [`Array`](Row::Array) as a slice of `WIDTH` elements.
    #[inline(always)]
    fn array_slice<E: Copy + Send + Sync + 'static>(array: &Self::Array<E>) -> &[E] {
        let () = CheckedArray::<Self, E>::SAME;
        // SAFETY: by the trait's contract `Array<E>` is `WIDTH` values of `E`.
        unsafe { core::slice::from_raw_parts((array as *const Self::Array<E>).cast(), Self::WIDTH) }
    }

    /// An [`Array`](Row::Array) as a mutable slice of `WIDTH` elements.
    #[inline(always)]
    fn array_slice_mut<E: Copy + Send + Sync + 'static>(array: &mut Self::Array<E>) -> &mut [E] {
        let () = CheckedArray::<Self, E>::SAME;
        // SAFETY: as in `array_slice`.
        unsafe { core::slice::from_raw_parts_mut((array as *mut Self::Array<E>).cast(), Self::WIDTH) }
    }
}

/// Compile-time checks of a row's layout promise, evaluated once per type.
struct Checked<R, E>(core::marker::PhantomData<(R, E)>);

impl<R: Row, E> Checked<R, E> {
    /// `R` is `R::WIDTH` values of `E` with `E`'s alignment.
    const SAME: () = assert!(
        size_of::<R>() == R::WIDTH * size_of::<E>() && align_of::<R>() == align_of::<E>(),
        "a Row must be exactly WIDTH scalars with the scalar's alignment"
    );
}

/// The same check for a row's [`Array<E>`](Row::Array).
struct CheckedArray<R, E>(core::marker::PhantomData<(R, E)>);

impl<R: Row, E: Copy + Send + Sync + 'static> CheckedArray<R, E> {
    /// `R::Array<E>` is `R::WIDTH` values of `E` with `E`'s alignment.
    const SAME: () = assert!(
        size_of::<R::Array<E>>() == R::WIDTH * size_of::<E>() && align_of::<R::Array<E>>() == align_of::<E>(),
        "a Row's Array<E> must be exactly WIDTH values of E"
    );
}

// SAFETY: an array of scalars is the plainest row there is.
unsafe impl<T: Element, const N: usize> Row for [T; N] {
    type Scalar = T;
    const WIDTH: usize = N;
    const ZERO: Self = [T::ZERO; N];
    const DIMS: &'static [usize] = &[N];
    type Array<E: Copy + Send + Sync + 'static> = [E; N];

    #[inline(always)]
    fn array<E: Copy + Send + Sync + 'static>(fill: E) -> [E; N] {
        [fill; N]
    }

    #[inline(always)]
    fn as_slice(&self) -> &[T] {
        self
    }

    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }

    #[inline(always)]
    fn flatten(rows: &[Self]) -> &[T] {
        rows.as_flattened()
    }

    #[inline(always)]
    fn flatten_mut(rows: &mut [Self]) -> &mut [T] {
        rows.as_flattened_mut()
    }

    #[inline(always)]
    fn array_slice<E: Copy + Send + Sync + 'static>(array: &[E; N]) -> &[E] {
        array
    }

    #[inline(always)]
    fn array_slice_mut<E: Copy + Send + Sync + 'static>(array: &mut [E; N]) -> &mut [E] {
        array
    }
}

/// `C` channels of `H` rows of `W` values: one sample of a convolutional
/// net (a 28×28 grey-scale digit is `Image<f32, 1, 28, 28>`). Stored
/// channel by channel, row by row, as the book and PyTorch store them, so a
/// following [`Affine`](crate::Affine) reads it as `C·H·W` inputs in that
/// order.
///
/// ```
/// use typenet::{Image, Row};
///
/// let mut digit = Image::<f32, 1, 2, 3>::ZERO;
/// digit.0[0][1][2] = 1.0; // channel 0, row 1, column 2
/// assert_eq!(digit.as_slice(), &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
/// assert_eq!(Image::<f32, 30, 12, 12>::WIDTH, 4320);
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq)]
pub struct Image<T, const C: usize, const H: usize, const W: usize>(pub [[[T; W]; H]; C]);

impl<T: Element, const C: usize, const H: usize, const W: usize> Image<T, C, H, W> {
    /// An image from its `C·H·W` values in channel-row-column order, or
    /// `None` if there are not exactly that many.
    pub fn from_flat(values: &[T]) -> Option<Self> {
        let mut image = Self::ZERO;
        (values.len() == Self::WIDTH).then(|| {
            image.as_mut_slice().copy_from_slice(values);
            image
        })
    }
}

impl<T: Debug, const C: usize, const H: usize, const W: usize> Debug for Image<T, C, H, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image {C}×{H}×{W} ")?;
        f.debug_list().entries(self.0.iter()).finish()
    }
}

// SAFETY: `repr(transparent)` over nested arrays of scalars: C·H·W scalars
// with no padding; `Array<E>` is nested arrays of `E` in the same shape.
unsafe impl<T: Element, const C: usize, const H: usize, const W: usize> Row for Image<T, C, H, W> {
    type Scalar = T;
    const WIDTH: usize = C * H * W;
    const ZERO: Self = Image([[[T::ZERO; W]; H]; C]);
    const DIMS: &'static [usize] = &[C, H, W];
    type Array<E: Copy + Send + Sync + 'static> = [[[E; W]; H]; C];

    fn array<E: Copy + Send + Sync + 'static>(fill: E) -> Self::Array<E> {
        [[[fill; W]; H]; C]
    }
}

/// Two rows side by side: what two branches joined by
/// [`Concat`](crate::Concat) output. Its values are `first`'s followed by
/// `second`'s, so a following [`Affine`](crate::Affine) reads the
/// concatenation, `A::WIDTH + B::WIDTH` inputs, with no copy and no width
/// arithmetic in any type.
///
/// ```
/// use typenet::{Pair, Row};
///
/// let p = Pair { first: [1.0f32, 2.0], second: [3.0, 4.0, 5.0] };
/// assert_eq!(p.as_slice(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
/// assert_eq!(Pair::<[f32; 2], [f32; 3]>::WIDTH, 5);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair<A, B> {
    /// The first branch's values.
    pub first: A,
    /// The second branch's values.
    pub second: B,
}

// SAFETY: `repr(C)` of two rows of the same scalar: each is a whole number
// of scalars with the scalar's alignment, so the second starts right after
// the first and there is no padding (checked by `Checked` when used);
// `Array<E>` is the same construction over the parts' arrays.
unsafe impl<A: Row, B: Row<Scalar = A::Scalar>> Row for Pair<A, B> {
    type Scalar = A::Scalar;
    const WIDTH: usize = A::WIDTH + B::WIDTH;
    const ZERO: Self = Pair {
        first: A::ZERO,
        second: B::ZERO,
    };
    const DIMS: &'static [usize] = &[A::WIDTH + B::WIDTH];
    type Array<E: Copy + Send + Sync + 'static> = Pair<A::Array<E>, B::Array<E>>;

    fn array<E: Copy + Send + Sync + 'static>(fill: E) -> Self::Array<E> {
        Pair {
            first: A::array(fill),
            second: B::array(fill),
        }
    }
}

/// Index of the largest element (the first one on ties; NaN never wins).
pub fn argmax<T: Element>(values: &[T]) -> usize {
    // `v != v` is NaN's test, for any element type
    #[allow(clippy::eq_op)]
    let nan = |v: T| v != v;
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || (nan(values[best]) && !nan(v)) {
            best = i;
        }
    }
    best
}

/// A fixed run of elements of one type laid end to end: an element, an
/// array of runs, a [`Row`]. What a layer's tensor holds per entry (an
/// [`Affine`](crate::Affine) keeps a `[T; OUT]` per input value), so any
/// store of such entries is also a flat run of elements for saving,
/// loading and optimizing.
///
/// # Safety
/// `Self` must be exactly `LEN` values of `Elem` with no padding and the
/// alignment of `Elem`.
pub unsafe trait Flat: Copy + Send + Sync + 'static {
    /// The element type.
    type Elem: Element;
    /// How many elements.
    const LEN: usize;

    /// Entries laid end to end as one slice of elements.
    #[inline(always)]
    fn elements(entries: &[Self]) -> &[Self::Elem] {
        let () = CheckedFlat::<Self>::SAME;
        // SAFETY: by the trait's contract each entry is `LEN` elements with
        // their alignment and no padding, so entries are consecutive runs.
        unsafe { core::slice::from_raw_parts(entries.as_ptr().cast(), entries.len() * Self::LEN) }
    }

    /// Entries laid end to end as one mutable slice of elements.
    #[inline(always)]
    fn elements_mut(entries: &mut [Self]) -> &mut [Self::Elem] {
        let () = CheckedFlat::<Self>::SAME;
        // SAFETY: as in `elements`; every bit pattern of an element is valid.
        unsafe { core::slice::from_raw_parts_mut(entries.as_mut_ptr().cast(), entries.len() * Self::LEN) }
    }
}

/// The compile-time check of a [`Flat`] type's layout promise.
struct CheckedFlat<F>(core::marker::PhantomData<F>);

impl<F: Flat> CheckedFlat<F> {
    const SAME: () = assert!(
        size_of::<F>() == F::LEN * size_of::<F::Elem>() && align_of::<F>() == align_of::<F::Elem>(),
        "a Flat type must be exactly LEN elements with the element's alignment"
    );
}

macro_rules! flat_element {
    ($($t:ty),*) => {$(
        // SAFETY: one element is one element.
        unsafe impl Flat for $t {
            type Elem = $t;
            const LEN: usize = 1;
        }
    )*};
}

flat_element!(f32, f64, i8, u8, i32);

// SAFETY: an array of runs is its runs end to end, with no padding.
unsafe impl<F: Flat, const N: usize> Flat for [F; N] {
    type Elem = F::Elem;
    const LEN: usize = N * F::LEN;
}

// SAFETY: `repr(transparent)` over nested arrays of elements.
unsafe impl<T: Element, const C: usize, const H: usize, const W: usize> Flat for Image<T, C, H, W> {
    type Elem = T;
    const LEN: usize = C * H * W;
}

// SAFETY: a `Pair` of rows is a row (see its `Row` impl).
unsafe impl<A: Row, B: Row<Scalar = A::Scalar>> Flat for Pair<A, B> {
    type Elem = A::Scalar;
    const LEN: usize = A::WIDTH + B::WIDTH;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The unsafe views of rows as slices (Miri runs these): every shape
    /// reads back its values in order, and writes through the view land in
    /// the right place.
    #[test]
    fn row_views_are_the_values_in_order() {
        let mut image = Image::<f64, 2, 2, 3>([
            [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
            [[7.0, 8.0, 9.0], [10.0, 11.0, 12.0]],
        ]);
        assert_eq!(
            image.as_slice(),
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]
        );
        image.as_mut_slice()[7] = -8.0;
        assert_eq!(image.0[1][0][1], -8.0);
        let rows = [image, Image::ZERO];
        assert_eq!(Image::flatten(&rows).len(), 24);
        assert_eq!(Image::flatten(&rows)[12..], [0.0; 12]);

        let mut pair = Pair {
            first: [1.0f32, 2.0],
            second: Image::<f32, 1, 1, 3>([[[3.0, 4.0, 5.0]]]),
        };
        assert_eq!(pair.as_slice(), &[1.0, 2.0, 3.0, 4.0, 5.0]);
        pair.as_mut_slice()[3] = 40.0;
        assert_eq!(pair.second.0[0][0][1], 40.0);
        let mut pairs = [pair, pair];
        Pair::flatten_mut(&mut pairs)[9] = 50.0;
        assert_eq!(pairs[1].second.0[0][0][2], 50.0);
    }

    #[test]
    fn row_arrays_are_their_elements_in_order() {
        let mut weights = <Image<f32, 2, 1, 2> as Row>::array([0u8; 3]);
        Image::<f32, 2, 1, 2>::array_slice_mut(&mut weights)[2] = [7; 3];
        assert_eq!(weights[1][0][0], [7; 3]);
        let pair = <Pair<[f32; 1], [f32; 2]> as Row>::array(5u16);
        assert_eq!(Pair::<[f32; 1], [f32; 2]>::array_slice(&pair), &[5, 5, 5]);
    }
}
