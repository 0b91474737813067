//! Reaching a layer of a chain by its position: `net.layer::<2>()`.
//!
//! A chain knows, in its type, the position of its last layer
//! (`Chain<A, B, N>`); the impls below walk from there to any earlier one.
//! They are written out for chains of up to 64 layers, because stable Rust
//! cannot compute `N + 1` or compare `K < N` in a type.

use super::chain::Chain;

/// A position in a chain, as a type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position<const N: usize>;

/// The position after this one.
#[diagnostic::on_unimplemented(
    message = "a chain built with `then` holds at most 65 layers",
    note = "a chain is itself a layer: group layers into chains and chain those"
)]
pub trait Successor {
    /// The next position.
    type Next;
}

/// A chain's layer at position `K` (from 0).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no layer at position {K}",
    label = "positions count from 0",
    note = "positions are known for chains built with `then`, `chain!` or typed with `Chain![...]`"
)]
pub trait At<const K: usize> {
    /// The layer's type.
    type Layer;
    /// The layer.
    fn at(&self) -> &Self::Layer;
    /// The layer, mutably.
    fn at_mut(&mut self) -> &mut Self::Layer;
}

impl<A, B, const N: usize> Chain<A, B, N> {
    /// The layer at position `K` (from 0), checked when compiled.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// let net = Affine::<[f32; 4], 8>::zeros().then(Relu).then(Affine::<[f32; 8], 3>::zeros());
    /// let last: &Affine<[f32; 8], 3> = net.layer::<2>();
    /// assert_eq!(last.bias(), &[0.0; 3]);
    /// ```
    pub fn layer<const K: usize>(&self) -> &<Self as At<K>>::Layer
    where
        Self: At<K>,
    {
        self.at()
    }

    /// The layer at position `K`, mutably.
    pub fn layer_mut<const K: usize>(&mut self) -> &mut <Self as At<K>>::Layer
    where
        Self: At<K>,
    {
        self.at_mut()
    }
}

macro_rules! successors {
    ($a:literal $b:literal $($rest:literal)*) => {
        impl Successor for Position<$a> {
            type Next = Position<$b>;
        }
        successors!($b $($rest)*);
    };
    ($a:literal) => {};
}

successors!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64);

impl<A, B> At<0> for Chain<A, B, 1> {
    type Layer = A;
    fn at(&self) -> &A {
        self.first()
    }
    fn at_mut(&mut self) -> &mut A {
        self.first_mut()
    }
}

impl<A, B> At<1> for Chain<A, B, 1> {
    type Layer = B;
    fn at(&self) -> &B {
        self.second()
    }
    fn at_mut(&mut self) -> &mut B {
        self.second_mut()
    }
}

/// For each `N`: position `N` is the chain's own second part, and every
/// earlier position `K` is found in its first part.
macro_rules! positions {
    ([$($k:literal)*] $n:literal $($rest:literal)*) => {
        impl<A, B> At<$n> for Chain<A, B, $n> {
            type Layer = B;
            fn at(&self) -> &B {
                self.second()
            }
            fn at_mut(&mut self) -> &mut B {
                self.second_mut()
            }
        }
        $(
            impl<A: At<$k>, B> At<$k> for Chain<A, B, $n> {
                type Layer = A::Layer;
                fn at(&self) -> &A::Layer {
                    self.first().at()
                }
                fn at_mut(&mut self) -> &mut A::Layer {
                    self.first_mut().at_mut()
                }
            }
        )*
        positions!([$($k)* $n] $($rest)*);
    };
    ([$($k:literal)*]) => {};
}

positions!([0 1] 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64);
