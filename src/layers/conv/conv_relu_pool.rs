//! A convolution, a ReLU and a max-pool run as one layer, one image at a
//! time.

use alloc::vec::Vec;

use super::conv2d::{Conv2d, ConvCache};
use super::max_pool2d::{self, MaxPool2d};
use super::sides::{ConvSide, Side};
use crate::kernels::pooling as pool;
use crate::model::{Storage, TrainStorage};
use crate::{
    Activation, Batch, Image, Layer, Params, Path, Relu, Row, Rows, Scalar, Tensor, TensorMut, Tensors, Trainable,
    Training, expect_rows,
};

/// `conv` → [`Relu`] → `pool`, computed image by image: the same net as the
/// three layers chained, with the same numbers, but faster to train.
///
/// Chained, each layer runs over the whole batch before the next starts, so
/// the convolution's output (69 KB per 28×28 image for 30 filters, 6.9 MB
/// for a batch of 100) is written to memory, read back by the ReLU, written
/// again, read by the pool, and its gradient makes the same trips
/// backwards. Here one image's convolution output stays in the cache from
/// the convolution to the pool and back: the layer keeps only the pooled
/// output and where each maximum came from. On SimpleConvNet this is the
/// faster form of the training step (the README's Speed section has the
/// figures for both). The ReLU's gradient is taken at the pooled values, which is
/// the same: only each window's maximum receives a gradient, and it passes
/// the ReLU exactly where that maximum is positive.
///
/// It is one layer: one position in the net's numbering, one row of a
/// [`summary`](crate::Layer::summary), and its tensors are the
/// convolution's (`"0.W"`, `"0.b"` at position 0). PyTorch's `Conv2d`,
/// `ReLU`, `MaxPool2d` load into it as into the three layers, since
/// PyTorch weights load by the order of the tensors.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::prelude::*;
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Input::<Image<f32, 1, 28, 28>>::new()
///     .then(ConvReluPool::new(Conv2d::<f32, 1, 30, 5>::init(Init::Normal(0.01), &mut rng), MaxPool2d::<2>))
///     .then(Affine::<_, 100>::init(Init::Normal(0.01), &mut rng)) // 30 × 12 × 12 inputs
///     .then(Relu)
///     .then(Affine::<_, 10>::init(Init::Normal(0.01), &mut rng))
///     .then(SoftmaxWithLoss);
/// assert_eq!(net.summary().layers[0].kind, "ConvReluPool");
/// assert_eq!(net.summary().layers[1].output, &[100]); // net.layer::<1>()
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConvReluPool<C, P> {
    conv: C,
    pool: P,
}

impl<C, P> ConvReluPool<C, P> {
    /// `conv`, a ReLU, then `pool`.
    pub const fn new(conv: C, pool: P) -> Self {
        ConvReluPool { conv, pool }
    }

    /// The convolution.
    pub fn conv(&self) -> &C {
        &self.conv
    }

    /// The convolution, mutably.
    pub fn conv_mut(&mut self) -> &mut C {
        &mut self.conv
    }

    /// The pooling.
    pub fn pool(&self) -> &P {
        &self.pool
    }
}

/// What a [`ConvReluPool`] keeps: where each pooled maximum came from, for
/// the whole batch, and one image's worth of buffers.
pub struct ConvReluPoolCache<T> {
    argmax: Vec<u32>,
    conv: ConvCache<T>,
    /// One image's convolution output, then its gradient.
    image: Vec<T>,
    /// One image's pooled gradient, masked by the ReLU.
    pooled: Vec<T>,
    /// One image's weight and bias gradients.
    sums: Vec<T>,
}

impl<T> Default for ConvReluPoolCache<T>
where
    ConvCache<T>: Default,
{
    fn default() -> Self {
        ConvReluPoolCache {
            argmax: Vec::new(),
            conv: ConvCache::default(),
            image: Vec::new(),
            pooled: Vec::new(),
            sums: Vec::new(),
        }
    }
}

impl<
    T: Scalar,
    const CIN: usize,
    const COUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    St: Storage,
    const PS: usize,
    const PST: usize,
> ConvReluPool<Conv2d<T, CIN, COUT, K, S, P, St>, MaxPool2d<PS, PST>>
{
    /// The pooled output of every image of `x` (convolution outputs of
    /// `hc` × `wc`), and with `argmax` where each maximum came from; `image`
    /// and `conv` are one image's buffers.
    fn run<const H: usize, const W: usize, const HO: usize, const WO: usize>(
        &self,
        (hc, wc): (usize, usize),
        x: &[Image<T, CIN, H, W>],
        y: &mut [Image<T, COUT, HO, WO>],
        mut argmax: Option<&mut [u32]>,
        (image, conv): (&mut Vec<T>, &mut ConvCache<T>),
    ) {
        let pooling = max_pool2d::geometry::<PS, PST>(COUT, hc, wc);
        let out = COUT * HO * WO;
        image.resize(COUT * hc * wc, T::ZERO);
        for (i, (x, y)) in x.iter().zip(y.iter_mut()).enumerate() {
            let a = &mut image[..];
            self.conv.convolve(H, W, 1, x.as_slice(), a, conv);
            a.iter_mut().for_each(|v| *v = crate::relu(*v));
            let argmax = argmax.as_deref_mut().map(|m| &mut m[i * out..(i + 1) * out]);
            pool::max_pool2d_forward(&pooling, 1, a, y.as_mut_slice(), argmax);
        }
    }
}

impl<C: Tensors, P> Tensors for ConvReluPool<C, P> {
    /// The convolution's tensors, at this layer's position.
    #[inline]
    fn visit<V: FnMut(Tensor<'_>) + ?Sized>(&self, at: Path, f: &mut V) {
        self.conv.visit(at, f)
    }

    #[inline]
    fn visit_mut<V: FnMut(TensorMut<'_>) + ?Sized>(&mut self, at: Path, f: &mut V) {
        self.conv.visit_mut(at, f)
    }
}

impl<T: Scalar, C: Params<T>, P> Params<T> for ConvReluPool<C, P> {}

impl<
    T: Scalar,
    const CIN: usize,
    const COUT: usize,
    const K: usize,
    const S: usize,
    const P: usize,
    St: Storage,
    const PS: usize,
    const PST: usize,
    const H: usize,
    const W: usize,
    const HC: usize,
    const WC: usize,
    const HO: usize,
    const WO: usize,
> Layer<Image<T, CIN, H, W>> for ConvReluPool<Conv2d<T, CIN, COUT, K, S, P, St>, MaxPool2d<PS, PST>>
where
    Side<H>: ConvSide<K, S, P, Out = Side<HC>>,
    Side<W>: ConvSide<K, S, P, Out = Side<WC>>,
    Side<HC>: ConvSide<PS, PST, 0, Out = Side<HO>>,
    Side<WC>: ConvSide<PS, PST, 0, Out = Side<WO>>,
{
    type Out = Image<T, COUT, HO, WO>;
    type Scratch<R: Rows> = ConvReluPoolCache<T>;

    fn infer_with<R: Rows>(
        &self,
        x: &Batch<Image<T, CIN, H, W>, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut ConvReluPoolCache<T>,
    ) {
        y.set_rows(x.nrows());
        self.run(
            (HC, WC),
            x.rows(),
            y.rows_mut(),
            None,
            (&mut cache.image, &mut cache.conv),
        );
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
    const PS: usize,
    const PST: usize,
    const H: usize,
    const W: usize,
    const HC: usize,
    const WC: usize,
    const HO: usize,
    const WO: usize,
> Trainable<Image<T, CIN, H, W>> for ConvReluPool<Conv2d<T, CIN, COUT, K, S, P, St>, MaxPool2d<PS, PST>>
where
    Side<H>: ConvSide<K, S, P, Out = Side<HC>>,
    Side<W>: ConvSide<K, S, P, Out = Side<WC>>,
    Side<HC>: ConvSide<PS, PST, 0, Out = Side<HO>>,
    Side<WC>: ConvSide<PS, PST, 0, Out = Side<WO>>,
{
    type Cache<R: Rows> = ConvReluPoolCache<T>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, CIN, H, W>, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut ConvReluPoolCache<T>,
        _: &mut Training,
    ) {
        y.set_rows(x.nrows());
        cache.argmax.resize(x.nrows() * COUT * HO * WO, 0);
        let buffers = (&mut cache.image, &mut cache.conv);
        self.run((HC, WC), x.rows(), y.rows_mut(), Some(&mut cache.argmax), buffers);
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, CIN, H, W>, R>,
        y: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut ConvReluPoolCache<T>,
        mut dx: Option<&mut Batch<Image<T, CIN, H, W>, R>>,
    ) {
        let n = x.nrows();
        expect_rows::<Self>("dy", n, dy.nrows());
        expect_rows::<Self>("y", n, y.nrows());
        let out = COUT * HO * WO;
        expect_rows::<Self>("the argmax of the training pass", n * out, cache.argmax.len());
        if let Some(dx) = dx.as_deref_mut() {
            dx.set_rows(n);
        }
        let pooling = max_pool2d::geometry::<PS, PST>(COUT, HC, WC);
        self.conv.zero_gradients();
        cache.image.resize(COUT * HC * WC, T::ZERO);
        cache.pooled.resize(out, T::ZERO);
        for i in 0..n {
            // the ReLU's gradient at the pooled values: a window's maximum
            // passes its gradient exactly where it is positive (and, as a
            // chained Relu does, where it is NaN)
            let dy_i = dy[i].as_slice();
            for ((d, &g), &v) in cache.pooled.iter_mut().zip(dy_i).zip(y[i].as_slice()) {
                *d = Relu.derivative(v, v, g);
            }
            let argmax = &cache.argmax[i * out..(i + 1) * out];
            pool::max_pool2d_backward(&pooling, 1, argmax, &cache.pooled, &mut cache.image);
            let dx_i = dx.as_deref_mut().map(|dx| dx.rows_mut()[i].as_mut_slice());
            self.conv.add_image_gradient(
                (H, W),
                x[i].as_slice(),
                &cache.image,
                dx_i,
                &mut cache.sums,
                &mut cache.conv,
            );
        }
    }
}
