//! The convolution layer.

use core::fmt;

use rand::Rng;

use super::sides::{ConvSide, Side};
use crate::kernels::convolution as conv;
use crate::kernels::{Padding, Window2d};
use crate::model::{DefaultStorage, Frozen, Inline, InlineMatrix, NoGrad, SameScalar, Storage, TrainStorage};
use crate::{
    Batch, Image, Init, Layer, Params, Row, Rows, Scalar, TensorData, Tensors, Trainable, Training, expect_rows,
};

/// A 2-D convolution (the book's `Convolution`, PyTorch's `Conv2d`):
/// `COUT` filters of `CIN` × `K` × `K` weights and a bias each, moved
/// `S` pixels at a time over the input padded with `P` zeros on every side.
///
/// It takes images `Image<T, CIN, H, W>` of any size the compiler can work
/// with (sides up to 256, padding up to 5, kernels up to 11 or as long as
/// the padded side, strides up to 11: [`sides`](crate::layers::conv::sides)),
/// and outputs `Image<T, COUT, HO, WO>` with `HO = (H + 2P − K) / S + 1`
/// computed by the compiler: a net never states it, and a layer that
/// expects another size does not compile. Weights are stored as PyTorch
/// stores them, `(COUT, CIN, K, K)`; He and Xavier scale by the fan-in
/// `CIN·K·K`.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let conv = Conv2d::<f32, 1, 30, 5>::init(Init::Normal(0.01), &mut StdRng::seed_from_u64(0));
/// let x = Batch::<Image<f32, 1, 28, 28>>::zeros(2);
/// let mut y: Batch<Image<f32, 30, 24, 24>> = Batch::zeros(2); // 28 − 5 + 1 = 24
/// conv.infer(&x, &mut y);
/// assert_eq!(y.nrows(), 2);
/// ```
pub struct Conv2d<
    T: Scalar,
    const CIN: usize,
    const COUT: usize,
    const K: usize,
    const S: usize = 1,
    const P: usize = 0,
    St: Storage = DefaultStorage,
> {
    w: St::Matrix<[T; COUT], Image<T, CIN, K, K>>,
    b: St::Matrix<[T; 1], [T; COUT]>,
    dw: St::Grad<[T; COUT], Image<T, CIN, K, K>>,
    db: St::Grad<[T; 1], [T; COUT]>,
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage>
    Conv2d<T, CIN, COUT, K, S, P, St>
{
    /// Weights per filter: `CIN·K·K`, the fan-in.
    pub const FAN_IN: usize = CIN * K * K;

    /// All weights and biases zero.
    pub fn zeros() -> Self {
        let (filter, bias) = (Image::<T, CIN, K, K>::ZERO, [T::ZERO; COUT]);
        Conv2d {
            w: St::filled::<[T; COUT], _>(filter),
            b: St::filled::<[T; 1], _>(bias),
            dw: St::grad_filled::<[T; COUT], _>(filter),
            db: St::grad_filled::<[T; 1], _>(bias),
        }
    }

    /// Weights drawn from `init` (fan-in `CIN·K·K`), biases zero.
    pub fn init<G: Rng + ?Sized>(init: Init, rng: &mut G) -> Self {
        let mut layer = Self::zeros();
        init.fill(layer.weights_mut(), Self::FAN_IN, rng);
        layer
    }

    /// A layer whose weight (filter, channel, row, column) is
    /// `weight(o, c, i, j)` and bias o is `bias(o)`.
    pub fn from_fn(mut weight: impl FnMut(usize, usize, usize, usize) -> T, mut bias: impl FnMut(usize) -> T) -> Self {
        let mut layer = Self::zeros();
        for (o, filter) in layer.w.as_mut_slice().iter_mut().enumerate() {
            for (c, channel) in filter.0.iter_mut().enumerate() {
                for (i, row) in channel.iter_mut().enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = weight(o, c, i, j);
                    }
                }
            }
        }
        for (o, v) in layer.b.as_mut_slice()[0].iter_mut().enumerate() {
            *v = bias(o);
        }
        layer
    }

    /// The weights, `(COUT, CIN, K, K)` row-major.
    pub fn weights(&self) -> &[T] {
        Image::flatten(self.w.as_slice())
    }

    /// The weights, mutably.
    pub fn weights_mut(&mut self) -> &mut [T] {
        Image::flatten_mut(self.w.as_mut_slice())
    }

    /// The biases, one per filter.
    pub fn bias(&self) -> &[T; COUT] {
        &self.b.as_slice()[0]
    }

    /// The biases, mutably.
    pub fn bias_mut(&mut self) -> &mut [T; COUT] {
        &mut self.b.as_mut_slice()[0]
    }

    /// dW from the last backward pass, `(COUT, CIN, K, K)`.
    pub fn weight_grad(&self) -> &[T] {
        Image::flatten(self.dw.as_slice())
    }

    /// db from the last backward pass (empty for a [`Frozen`] layer).
    pub fn bias_grad(&self) -> &[T] {
        self.db.as_slice().as_flattened()
    }

    /// The weights with the weight and bias gradients, all flat, for the
    /// backward kernels.
    fn weights_and_gradients(&mut self) -> (&[T], &mut [T], &mut [T]) {
        (
            Image::flatten(self.w.as_slice()),
            Image::flatten_mut(self.dw.as_mut_slice()),
            &mut self.db.as_mut_slice()[0],
        )
    }

    pub(super) fn geometry(h: usize, w: usize) -> Window2d {
        Window2d::conv((CIN, COUT), (h, w), (K, K), (S, S), Padding::uniform(P))
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize>
    Conv2d<T, CIN, COUT, K, S, P, Inline>
{
    /// An inline layer with these weights and biases, in a constant
    /// expression (a `static` net baked by
    /// [`rust_source`](crate::io::rust_source)).
    pub const fn from_arrays(weights: [[[[T; K]; K]; CIN]; COUT], bias: [T; COUT]) -> Self {
        // SAFETY: `Image` is `repr(transparent)` over `[[[T; K]; K]; CIN]`,
        // so an array of those is an array of images, bit for bit.
        let w: [Image<T, CIN, K, K>; COUT] = unsafe { core::mem::transmute_copy(&weights) };
        Conv2d {
            w: InlineMatrix(w),
            b: InlineMatrix([bias]),
            // SAFETY: arrays of floats, for which all-zero bytes are 0.0.
            dw: InlineMatrix(unsafe { core::mem::zeroed() }),
            db: InlineMatrix([[T::ZERO; COUT]]),
        }
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize>
    Conv2d<T, CIN, COUT, K, S, P, Frozen>
{
    /// An inference-only layer with these weights and biases, in a constant
    /// expression: a `static` of these takes exactly its parameters' bytes.
    pub const fn frozen(weights: [[[[T; K]; K]; CIN]; COUT], bias: [T; COUT]) -> Self {
        // SAFETY: as in `from_arrays`.
        let w: [Image<T, CIN, K, K>; COUT] = unsafe { core::mem::transmute_copy(&weights) };
        Conv2d {
            w: InlineMatrix(w),
            b: InlineMatrix([bias]),
            dw: NoGrad::NONE,
            db: NoGrad::NONE,
        }
    }
}

/// What a [`Conv2d`]'s training pass keeps: reusable buffers for the fast
/// kernels (nothing without `alloc`).
#[derive(Default)]
pub struct ConvCache<T> {
    #[cfg(feature = "alloc")]
    scratch: conv::ConvScratch<T>,
    #[cfg(not(feature = "alloc"))]
    scratch: core::marker::PhantomData<T>,
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage>
    Conv2d<T, CIN, COUT, K, S, P, St>
{
    /// `y` = the convolution of `x`, images of `h` × `w`, with `cache`'s
    /// buffers.
    pub(super) fn convolve(&self, h: usize, w: usize, rows: usize, x: &[T], y: &mut [T], cache: &mut ConvCache<T>) {
        let g = Self::geometry(h, w);
        #[cfg(feature = "alloc")]
        conv::conv2d_forward(&g, rows, x, self.weights(), self.bias(), y, &mut cache.scratch);
        #[cfg(not(feature = "alloc"))]
        {
            let _ = cache;
            conv::conv2d_forward_direct(&g, rows, x, self.weights(), self.bias(), y);
        }
    }

    /// Adds the gradients of one image of `h` × `w` (input `x`, output
    /// gradient `dy`) to the layer's, through `sums`, and writes its input
    /// gradient to `dx` if given: the per-image backward pass of
    /// [`ConvReluPool`](super::ConvReluPool).
    #[cfg(feature = "alloc")]
    pub(super) fn add_image_gradient(
        &mut self,
        (h, w): (usize, usize),
        x: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        sums: &mut alloc::vec::Vec<T>,
        cache: &mut ConvCache<T>,
    ) {
        let g = Self::geometry(h, w);
        let (weights, dw, db) = self.weights_and_gradients();
        // the kernel overwrites the gradients it is given: one image's go
        // to `sums` and are added to the layer's
        sums.resize(dw.len() + COUT, T::ZERO);
        let (sw, sb) = sums.split_at_mut(dw.len());
        conv::conv2d_backward(&g, 1, x, weights, dy, sw, sb, dx, &mut cache.scratch);
        for (d, &s) in dw.iter_mut().zip(sw.iter()).chain(db.iter_mut().zip(sb.iter())) {
            *d = *d + s;
        }
    }

    /// Sets the weight and bias gradients to zero.
    #[cfg(feature = "alloc")]
    pub(super) fn zero_gradients(&mut self) {
        let (_, dw, db) = self.weights_and_gradients();
        dw.fill(T::ZERO);
        db.fill(T::ZERO);
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage>
    Tensors for Conv2d<T, CIN, COUT, K, S, P, St>
{
    crate::tensors! {
        "W": Weight { fan_in: Self::FAN_IN }, [COUT, CIN, K, K] => w / dw;
        "b": Bias, [COUT] => b / db;
    }
}

impl<
    U: Scalar,
    T: Scalar + SameScalar<U>,
    const CIN: usize,
    const COUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    St: TrainStorage,
> Params<U> for Conv2d<T, CIN, COUT, K, S, P, St>
{
}

impl<
    T: Scalar,
    const CIN: usize,
    const COUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    St: Storage,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Image<T, CIN, H, W>> for Conv2d<T, CIN, COUT, K, S, P, St>
where
    Side<H>: ConvSide<K, S, P, Out = Side<HO>>,
    Side<W>: ConvSide<K, S, P, Out = Side<WO>>,
{
    type Out = Image<T, COUT, HO, WO>;
    type Scratch<R: Rows> = ConvCache<T>;

    fn infer_with<R: Rows>(
        &self,
        x: &Batch<Image<T, CIN, H, W>, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut ConvCache<T>,
    ) {
        y.set_rows(x.nrows());
        self.convolve(H, W, x.nrows(), x.as_slice(), y.as_mut_slice(), cache)
    }
}

impl<
    T: Scalar,
    const CIN: usize,
    const COUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    St: TrainStorage,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Trainable<Image<T, CIN, H, W>> for Conv2d<T, CIN, COUT, K, S, P, St>
where
    Side<H>: ConvSide<K, S, P, Out = Side<HO>>,
    Side<W>: ConvSide<K, S, P, Out = Side<WO>>,
{
    type Cache<R: Rows> = ConvCache<T>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, CIN, H, W>, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut ConvCache<T>,
        _: &mut Training,
    ) {
        self.infer_with(x, y, cache)
    }
    fn backward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, CIN, H, W>, R>,
        _: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut ConvCache<T>,
        dx: Option<&mut Batch<Image<T, CIN, H, W>, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        let g = Self::geometry(H, W);
        let dx = dx.map(|dx| {
            dx.set_rows(x.nrows());
            dx.as_mut_slice()
        });
        let (w, dw, db) = self.weights_and_gradients();
        #[cfg(feature = "alloc")]
        conv::conv2d_backward(
            &g,
            x.nrows(),
            x.as_slice(),
            w,
            dy.as_slice(),
            dw,
            db,
            dx,
            &mut cache.scratch,
        );
        #[cfg(not(feature = "alloc"))]
        {
            let _ = cache;
            conv::conv2d_backward_direct(&g, x.nrows(), x.as_slice(), w, dy.as_slice(), dw, db, dx);
        }
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage> Clone
    for Conv2d<T, CIN, COUT, K, S, P, St>
{
    fn clone(&self) -> Self {
        Conv2d {
            w: self.w.clone(),
            b: self.b.clone(),
            dw: self.dw.clone(),
            db: self.db.clone(),
        }
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage>
    PartialEq for Conv2d<T, CIN, COUT, K, S, P, St>
{
    /// Equal weights and biases (gradients are not compared).
    fn eq(&self, other: &Self) -> bool {
        self.weights() == other.weights() && self.bias() == other.bias()
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage>
    fmt::Debug for Conv2d<T, CIN, COUT, K, S, P, St>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Conv2d {CIN} → {COUT}, {K}×{K}, stride {S}, padding {P} ({:?})",
            St::default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `from_arrays` reinterprets nested arrays as filters (Miri runs this).
    #[test]
    fn inline_constructor_places_every_weight() {
        const W: [[[[f32; 2]; 2]; 1]; 2] = [[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]]];
        const CONV: Conv2d<f32, 1, 2, 2, 1, 0, Inline> = Conv2d::from_arrays(W, [0.5, -0.5]);
        assert_eq!(CONV.weights(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(CONV.weight_grad(), &[0.0; 8]);
        let by_fn = Conv2d::<f32, 1, 2, 2, 1, 0, Inline>::from_fn(
            |o, _, i, j| (4 * o + 2 * i + j + 1) as f32,
            |o| [0.5, -0.5][o],
        );
        assert_eq!(CONV, by_fn);
    }
}
