//! The typed chain: two layers joined so that the second accepts the
//! first's output rows. Chains nest, so a net of any depth is one type.

use crate::model::sequence_start;
use crate::{
    Batch, Const, Layer, LayerInfo, Params, Path, Row, Rows, Scalar, Tensor, TensorMut, Tensors, Trainable, Training,
};

use super::fitted::Fitted;
use super::position::{Position, Successor};

/// `A` followed by `B`, where `B` takes the rows `A` outputs; `N` is `B`'s
/// position in the net (so `net.layer::<N>()` reaches it).
///
/// Built by [`then`](Layer::then), by [`chain!`](crate::chain!) or by
/// [`Chain::new`]; each demands that `B` accepts `A`'s output rows, and the
/// fields are private, so no chain exists whose layers do not fit. Chains
/// nest to the left: `a.then(b).then(c)` is `Chain<Chain<A, B>, C, 2>`,
/// which the [`Chain!`](crate::Chain!) macro writes as `Chain![A, B, C]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain<A, B, const N: usize = 1> {
    first: A,
    second: B,
}

impl<A, B, const N: usize> Chain<A, B, N> {
    /// `first` followed by `second`, in a constant expression (a `static`
    /// model baked into a program); [`chain!`](crate::chain!) writes the
    /// nesting for a list of layers. It demands what [`Layer::then`]
    /// demands: `second` must take the rows `first` outputs.
    ///
    /// ```
    /// use typenet::prelude::*;
    ///
    /// static NET: Chain![Affine<[f32; 2], 2, Inline>, Relu, Affine<[f32; 2], 1, Inline>] = typenet::chain![
    ///     Affine::from_arrays([[1.0, -1.0], [0.5, 2.0]], [0.0, 0.1]),
    ///     Relu,
    ///     Affine::from_arrays([[1.0], [1.0]], [0.0]),
    /// ];
    /// let mut y = Batch::<[f32; 1], Const<1>>::default();
    /// NET.infer(&Batch::new([[1.0, 1.0]]), &mut y);
    /// assert_eq!(y[0], [1.5 + 1.1]);
    /// ```
    pub const fn new<In: Row>(first: A, second: B) -> Self
    where
        A: Layer<In>,
        B: Layer<A::Out>,
    {
        Chain { first, second }
    }

    /// `first` followed by `second`, checked only where the chain is used
    /// with rows: what [`chain!`](crate::chain!) builds, so that a block
    /// inside a [`Residual`](crate::Residual) or [`Sum`](crate::Sum) needs
    /// no input type of its own. Its sizes flow in from the chain the block
    /// is placed in, and a mis-wired layer is reported there, by name.
    pub const fn join(first: A, second: B) -> Self {
        Chain { first, second }
    }

    /// This chain followed by `next` (as [`Layer::then`], with `next` at
    /// position `N + 1`): `Chain<Self, L, M>`, written as a
    /// [`Fitted`](crate::Fitted) one. Compiles only if `next` accepts this
    /// chain's output rows.
    pub fn then<In: Row, L, const M: usize>(self, next: L) -> Fitted<L::Scratch<Const<1>>, Chain<Self, L, M>>
    where
        Self: Layer<In>,
        L: Layer<<Self as Layer<In>>::Out>,
        Position<N>: Successor<Next = Position<M>>,
    {
        Chain {
            first: self,
            second: next,
        }
    }

    /// The first part (itself a chain when this chain has more than two
    /// layers). [`layer`](Chain::layer) reaches any layer by position.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The second part: the last layer.
    pub fn second(&self) -> &B {
        &self.second
    }

    /// The first part, mutably.
    pub fn first_mut(&mut self) -> &mut A {
        &mut self.first
    }

    /// The last layer, mutably.
    pub fn second_mut(&mut self) -> &mut B {
        &mut self.second
    }

    /// Both parts.
    pub fn into_parts(self) -> (A, B) {
        (self.first, self.second)
    }
}

impl<A: Default, B: Default, const N: usize> Default for Chain<A, B, N> {
    /// Each layer's default: for nets of layers that are set after they
    /// are built, such as an int8 net read from a `.tflite` file
    /// ([`load_tflite`](crate::io::load_tflite)). The layers fit when the
    /// chain is used, as for [`Chain::join`].
    fn default() -> Self {
        Chain {
            first: A::default(),
            second: B::default(),
        }
    }
}

/// The [`Layer::Scratch`] of a [`Chain`]: the rows between its two parts,
/// plus each part's own scratch room.
pub struct ChainScratch<M: Row, SA, SB, R: Rows> {
    pub(crate) mid: Batch<M, R>,
    pub(crate) first: SA,
    pub(crate) second: SB,
}

impl<M: Row, SA: Default, SB: Default, R: Rows> Default for ChainScratch<M, SA, SB, R> {
    fn default() -> Self {
        ChainScratch {
            mid: Batch::default(),
            first: SA::default(),
            second: SB::default(),
        }
    }
}

/// The [`Trainable::Cache`] of a [`Chain`]: the rows between its two parts
/// (and their gradient), plus each part's own cache.
pub struct ChainCache<M: Row, CA, CB, R: Rows> {
    pub(crate) mid: Batch<M, R>,
    pub(crate) dmid: Batch<M, R>,
    pub(crate) first: CA,
    pub(crate) second: CB,
}

impl<M: Row, CA, CB, R: Rows> ChainCache<M, CA, CB, R> {
    /// The output of the first part as of the last training pass.
    pub fn hidden(&self) -> &Batch<M, R> {
        &self.mid
    }

    /// The first part's cache.
    pub fn first(&self) -> &CA {
        &self.first
    }
}

impl<M: Row, CA: Default, CB: Default, R: Rows> Default for ChainCache<M, CA, CB, R> {
    fn default() -> Self {
        ChainCache {
            mid: Batch::default(),
            dmid: Batch::default(),
            first: CA::default(),
            second: CB::default(),
        }
    }
}

impl<A: Tensors, B: Tensors, const N: usize> Tensors for Chain<A, B, N> {
    const SEQUENCE: bool = true;

    /// The first part's layers at `at`'s positions from 0, the second part
    /// at position `N`.
    #[inline]
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
        self.first.visit(sequence_start::<A>(at), f);
        self.second.visit(at.child(N), f);
    }

    #[inline]
    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
        self.first.visit_mut(sequence_start::<A>(at), f);
        self.second.visit_mut(at.child(N), f);
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        self.first.layers(sequence_start::<A>(at), f);
        self.second.layers(at.child(N), f);
    }
}

impl<T: Scalar, A: Params<T>, B: Params<T>, const N: usize> Params<T> for Chain<A, B, N> {}

impl<In: Row, A: Layer<In>, B: Layer<A::Out>, const N: usize> Layer<In> for Chain<A, B, N> {
    type Out = B::Out;
    type Scratch<R: Rows> = ChainScratch<A::Out, A::Scratch<R>, B::Scratch<R>, R>;

    #[inline]
    fn infer_with<R: Rows>(&self, x: &Batch<In, R>, y: &mut Batch<B::Out, R>, scratch: &mut Self::Scratch<R>) {
        scratch.mid.set_rows(x.nrows());
        self.first.infer_with(x, &mut scratch.mid, &mut scratch.first);
        self.second.infer_with(&scratch.mid, y, &mut scratch.second);
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        self.first.describe(sequence_start::<A>(at), f);
        self.second.describe(at.child(N), f);
    }
}

impl<In, A, B, const N: usize> Trainable<In> for Chain<A, B, N>
where
    In: Row<Scalar: Scalar>,
    A: Trainable<In>,
    B: Trainable<A::Out>,
{
    type Cache<R: Rows> = ChainCache<A::Out, A::Cache<R>, B::Cache<R>, R>;

    #[inline]
    fn forward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &mut Batch<B::Out, R>,
        cache: &mut Self::Cache<R>,
        training: &mut Training,
    ) {
        cache.mid.set_rows(x.nrows());
        self.first.forward(x, &mut cache.mid, &mut cache.first, training);
        self.second.forward(&cache.mid, y, &mut cache.second, training);
    }

    #[inline]
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<In, R>,
        y: &Batch<B::Out, R>,
        dy: &Batch<B::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<In, R>>,
    ) {
        cache.dmid.set_rows(x.nrows());
        self.second
            .backward(&cache.mid, y, dy, &mut cache.second, Some(&mut cache.dmid));
        self.first.backward(x, &cache.mid, &cache.dmid, &mut cache.first, dx);
    }
}

/// The type of a chain of layers, written in order.
///
/// `Chain![A, B, C]` is `Chain<Chain<A, B, 1>, C, 2>`, the type of
/// `a.then(b).then(c)`, so a whole net can be named in one type alias:
///
/// ```
/// use typenet::prelude::*;
///
/// type Seed = Chain![Affine<[f32; 784], 50>, Relu, Affine<[f32; 50], 10>, SoftmaxWithLoss<10>];
///
/// let net: Seed = Affine::zeros().then(Relu).then(Affine::zeros()).then(SoftmaxWithLoss);
/// assert_eq!(net.param_count(), 784 * 50 + 50 + 50 * 10 + 10);
/// ```
#[macro_export]
macro_rules! Chain {
    ($first:ty $(,)?) => { $first };
    ($first:ty, $($rest:ty),+ $(,)?) => { $crate::Chain!(@fold $first; [1]; $($rest),+) };
    (@fold $acc:ty; [$($n:tt)*]; $next:ty) => { $crate::Chain<$acc, $next, { 0 $(+ $n)* }> };
    (@fold $acc:ty; [$($n:tt)*]; $next:ty, $($rest:ty),+) => {
        $crate::Chain!(@fold $crate::Chain<$acc, $next, { 0 $(+ $n)* }>; [$($n)* 1]; $($rest),+)
    };
}

/// A chain of layer values, written in order: `chain![a, b, c]` is the
/// chain `a.then(b).then(c)` builds. It works in a constant expression, so
/// a `static` net can be written as its list of layers, and it names no
/// input type: inside a block its sizes come from where the block is
/// placed, and a layer that does not fit is reported there by name (see
/// [`Chain::join`]).
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Input::<Image<f32, 1, 8, 8>>::new()
///     .then(Conv2d::<f32, 1, 4, 3, 1, 1>::init(Init::He, &mut rng))
///     .then(Residual::new(typenet::chain![
///         Conv2d::<f32, 4, 4, 3, 1, 1>::init(Init::He, &mut rng), // 4 × 8 × 8, from the chain
///         Relu,
///         Conv2d::<f32, 4, 4, 3, 1, 1>::init(Init::He, &mut rng),
///     ]))
///     .then(Affine::<_, 2>::init(Init::He, &mut rng))
///     .then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[2].path.to_string(), "1.0");
/// ```
#[macro_export]
macro_rules! chain {
    ($first:expr $(,)?) => { $first };
    ($first:expr, $($rest:expr),+ $(,)?) => { $crate::chain!(@fold $first; [1]; $($rest),+) };
    (@fold $acc:expr; [$($n:tt)*]; $next:expr) => {
        $crate::Chain::<_, _, { 0 $(+ $n)* }>::join($acc, $next)
    };
    (@fold $acc:expr; [$($n:tt)*]; $next:expr, $($rest:expr),+) => {
        $crate::chain!(@fold $crate::Chain::<_, _, { 0 $(+ $n)* }>::join($acc, $next); [$($n)* 1]; $($rest),+)
    };
}

/// The type of a net, written from its input rows and its layers, with
/// every computed size left to the compiler: `Net![X => L0, L1, …]` is the
/// chain `Input::<X>::new().then(l0).then(l1)…` builds. An `Affine` written
/// `Affine<_, OUT>` (or `Affine<_, OUT, S>`) takes whatever rows the layer
/// before it outputs, so a convolutional net's type needs no side length
/// but its input's:
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// type SimpleConvNet = typenet::Net![
///     Image<f32, 1, 28, 28> => Conv2d<f32, 1, 30, 5>, Relu, MaxPool2d<2>, Affine<_, 100>, Relu, Affine<_, 10>,
///     SoftmaxWithLoss<10>
/// ];
///
/// struct Model {
///     net: SimpleConvNet, // a field of the net's type, sizes computed
/// }
///
/// let mut g = StdRng::seed_from_u64(0);
/// let model = Model {
///     net: Input::new()
///         .then(Conv2d::init(Init::He, &mut g))
///         .then(Relu)
///         .then(MaxPool2d)
///         .then(Affine::init(Init::He, &mut g))
///         .then(Relu)
///         .then(Affine::init(Init::He, &mut g))
///         .then(SoftmaxWithLoss),
/// };
/// assert_eq!(model.net.layer::<3>().weights().len(), 30 * 12 * 12);
/// ```
///
/// A layer that does not fit is reported where the type is used, by name:
/// "layer `Conv2d<f32, 3, 8, 3>` cannot follow a layer whose output rows
/// are `Image<f32, 1, 28, 28>`".
#[macro_export]
macro_rules! Net {
    ($input:ty => $($layers:tt)+) => { $crate::Net!(@first $input; $($layers)+) };
    (@first $input:ty; Affine < _ , $out:tt $(, $st:ty)? > $(, $($rest:tt)*)?) => {
        $crate::Net!(@go
            [$crate::Input<$input, $crate::Affine<$input, $out $(, $st)?>>]
            [<$crate::Affine<$input, $out $(, $st)?> as $crate::Layer<$input>>::Out]
            [1];
            $($($rest)*)?)
    };
    (@first $input:ty; $layer:ty $(, $($rest:tt)*)?) => {
        $crate::Net!(@go
            [$crate::Input<$input, $layer>]
            [<$layer as $crate::Layer<$input>>::Out]
            [1];
            $($($rest)*)?)
    };
    (@go [$acc:ty] [$row:ty] [$($n:tt)*]; ) => { $acc };
    (@go [$acc:ty] [$row:ty] [$($n:tt)*]; Affine < _ , $out:tt $(, $st:ty)? > $(, $($rest:tt)*)?) => {
        $crate::Net!(@go
            [$crate::Chain<$acc, $crate::Affine<$row, $out $(, $st)?>, { 0 $(+ $n)* }>]
            [<$crate::Affine<$row, $out $(, $st)?> as $crate::Layer<$row>>::Out]
            [$($n)* 1];
            $($($rest)*)?)
    };
    (@go [$acc:ty] [$row:ty] [$($n:tt)*]; $layer:ty $(, $($rest:tt)*)?) => {
        $crate::Net!(@go
            [$crate::Chain<$acc, $layer, { 0 $(+ $n)* }>]
            [<$layer as $crate::Layer<$row>>::Out]
            [$($n)* 1];
            $($($rest)*)?)
    };
}
