//! A convolution, a ReLU and a max-pool run as one layer, one image at a
//! time.

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::conv2d::Conv2d;
#[cfg(feature = "alloc")]
use super::conv2d::ConvCache;
use super::max_pool2d::{self, MaxPool2d};
use super::sides::{ConvSide, Side};
use crate::kernels::convolution as conv;
use crate::kernels::pooling as pool;
use crate::model::Storage;
#[cfg(feature = "alloc")]
use crate::model::TrainStorage;
#[cfg(feature = "alloc")]
use crate::{Activation, Relu, Trainable, Training, expect_rows};
use crate::{Batch, Image, Layer, Params, Path, Row, Rows, Scalar, Tensor, TensorMut, Tensors};

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
/// Without `alloc` (a microcontroller), inference goes further: the
/// convolution's rows are computed as the pool needs them, `PS` rows of one
/// channel at a time, so the convolution's output is never held whole (for
/// the 4 × 24 × 24 maps of a small digit reader, 192 bytes on the stack
/// instead of two 9 KiB activations). Training needs `alloc`.
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
/// the whole batch, and one image's worth of buffers (nothing without
/// `alloc`, whose inference keeps its few rows on the stack).
pub struct ConvReluPoolCache<T> {
    #[cfg(feature = "alloc")]
    argmax: Vec<u32>,
    #[cfg(feature = "alloc")]
    conv: ConvCache<T>,
    /// One image's convolution output, then its gradient.
    #[cfg(feature = "alloc")]
    image: Vec<T>,
    /// One image's pooled gradient, masked by the ReLU.
    #[cfg(feature = "alloc")]
    pooled: Vec<T>,
    /// One image's weight and bias gradients.
    #[cfg(feature = "alloc")]
    sums: Vec<T>,
    #[cfg(not(feature = "alloc"))]
    rows: core::marker::PhantomData<T>,
}

#[cfg(feature = "alloc")]
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

#[cfg(not(feature = "alloc"))]
impl<T> Default for ConvReluPoolCache<T> {
    fn default() -> Self {
        ConvReluPoolCache {
            rows: core::marker::PhantomData,
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
    #[cfg(feature = "alloc")]
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

    /// The pooled output of every image of `x` with no buffer beyond `PS`
    /// rows of the convolution's output (`WC` wide): each pooled row of a
    /// channel is the pool of the `PS` convolution rows under it, computed
    /// for it, ReLU applied. The same numbers as `run`: the
    /// same direct sums, ReLU and pooling kernel, only fewer rows at once.
    #[cfg_attr(all(feature = "alloc", not(test)), allow(dead_code))] // the no-heap inference
    fn stream<const H: usize, const W: usize, const WC: usize, const HO: usize, const WO: usize>(
        &self,
        x: &[Image<T, CIN, H, W>],
        y: &mut [Image<T, COUT, HO, WO>],
    ) {
        let g = Conv2d::<T, CIN, COUT, K, S, P, St>::geometry(H, W);
        // `PS` rows of one channel pooled into one row of `WO`
        let pooling = max_pool2d::geometry::<PS, PST>(1, PS, WC);
        let (weights, bias) = (self.conv.weights(), self.conv.bias());
        let mut rows = [[T::ZERO; WC]; PS];
        for (x, y) in x.iter().zip(y.iter_mut()) {
            let x = x.as_slice();
            for (o, plane) in y.as_mut_slice().chunks_exact_mut(HO * WO).enumerate() {
                for (ph, out) in plane.chunks_exact_mut(WO).enumerate() {
                    for (i, row) in rows.iter_mut().enumerate() {
                        conv::conv2d_row_direct(&g, x, weights, bias, (o, ph * PST + i), row);
                        row.iter_mut().for_each(|v| *v = crate::relu(*v));
                    }
                    pool::max_pool2d_forward(&pooling, 1, rows.as_flattened(), out, None);
                }
            }
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
        #[cfg(feature = "alloc")]
        self.run(
            (HC, WC),
            x.rows(),
            y.rows_mut(),
            None,
            (&mut cache.image, &mut cache.conv),
        );
        #[cfg(not(feature = "alloc"))]
        {
            let _ = cache;
            self.stream::<H, W, WC, HO, WO>(x.rows(), y.rows_mut());
        }
    }
}

#[cfg(feature = "alloc")]
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

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::StdRng};

    use super::*;
    use crate::Init;
    use crate::kernels::testing::values;

    /// The streamed inference (the path without `alloc`) against the
    /// three layers one after the other on the same direct convolution
    /// (what a chain computes without `alloc`), bit for bit, on one
    /// geometry.
    fn streams_as_chained<
        const CIN: usize,
        const COUT: usize,
        const K: usize,
        const S: usize,
        const P: usize,
        const PS: usize,
        const PST: usize,
        const H: usize,
        const W: usize,
        const HC: usize,
        const WC: usize,
        const HO: usize,
        const WO: usize,
    >()
    where
        Side<H>: ConvSide<K, S, P, Out = Side<HC>>,
        Side<W>: ConvSide<K, S, P, Out = Side<WC>>,
        Side<HC>: ConvSide<PS, PST, 0, Out = Side<HO>>,
        Side<WC>: ConvSide<PS, PST, 0, Out = Side<WO>>,
    {
        let n = 3;
        let mut rng = StdRng::seed_from_u64(7);
        let conv = Conv2d::<f32, CIN, COUT, K, S, P>::init(Init::Normal(0.5), &mut rng);
        let layer = ConvReluPool::new(conv, MaxPool2d::<PS, PST>);
        let mut x = Batch::<Image<f32, CIN, H, W>, crate::Dyn>::zeros(n);
        x.as_mut_slice().copy_from_slice(&values(n * CIN * H * W, 11, 0.0));
        let mut streamed = Batch::<Image<f32, COUT, HO, WO>, crate::Dyn>::zeros(n);
        layer.stream::<H, W, WC, HO, WO>(x.rows(), streamed.rows_mut());

        let g = Conv2d::<f32, CIN, COUT, K, S, P>::geometry(H, W);
        let mut maps = alloc::vec![0.0; n * COUT * HC * WC];
        let (w, b) = (layer.conv().weights(), layer.conv().bias());
        conv::conv2d_forward_direct(&g, n, x.as_slice(), w, b, &mut maps);
        maps.iter_mut().for_each(|v| *v = crate::relu(*v));
        let mut chained = alloc::vec![0.0; n * COUT * HO * WO];
        let pooling = max_pool2d::geometry::<PS, PST>(COUT, HC, WC);
        pool::max_pool2d_forward(&pooling, n, &maps, &mut chained, None);

        let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<alloc::vec::Vec<_>>();
        assert_eq!(bits(streamed.as_slice()), bits(&chained));
        // something left to compare after the ReLU
        assert!(chained.iter().any(|&v| v > 0.0));
    }

    #[test]
    fn streamed_inference_is_the_chained_one() {
        // the digit reader's
        streams_as_chained::<1, 4, 5, 1, 0, 2, 2, 28, 28, 24, 24, 12, 12>();
        // padding, and a last convolution row no pooled row uses
        streams_as_chained::<2, 3, 3, 1, 1, 2, 2, 9, 11, 9, 11, 4, 5>();
        // a strided convolution and overlapping pooling windows
        streams_as_chained::<2, 2, 3, 2, 1, 3, 2, 12, 10, 6, 5, 2, 2>();
    }
}
