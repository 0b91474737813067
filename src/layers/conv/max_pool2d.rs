//! The max-pooling layer.

use super::sides::{ConvSide, Side};
use crate::kernels::pooling as pool;
use crate::kernels::{Padding, Window2d};
use crate::{Batch, Image, Layer, Params, Rows, Scalar, Tensors, Trainable, Training, expect_rows};

/// Max pooling (the book's `Pooling`, PyTorch's `MaxPool2d`): each output
/// is the largest value of a `PS` × `PS` window of its channel, windows
/// moved `PST` pixels at a time (`PST = PS` by default: windows side by
/// side). The gradient flows back to each window's maximum only.
///
/// The output size `(H − PS) / PST + 1` is computed by the compiler, as for
/// a [`Conv2d`](crate::Conv2d), on sides up to 256 with windows up to 11
/// and strides up to 11, or a window as large as the whole image (a
/// global pool) of any size: the [`sides`](crate::layers::conv::sides)
/// limits. A NaN in a window makes that output NaN.
///
/// ```
/// use typenet::prelude::*;
///
/// let x = Batch::from_rows(vec![Image::<f32, 1, 2, 4>([[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]]])]);
/// let mut y: Batch<Image<f32, 1, 1, 2>> = Batch::zeros(1);
/// MaxPool2d::<2>.infer(&x, &mut y);
/// assert_eq!(y[0].0, [[[5.0, 7.0]]]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MaxPool2d<const PS: usize, const PST: usize = PS>;

/// Where each output's maximum came from, kept by the training pass for
/// the backward pass.
pub struct PoolCache<const C: usize, const HO: usize, const WO: usize, R: Rows> {
    argmax: R::Store<[[[u32; WO]; HO]; C]>,
}

impl<const C: usize, const HO: usize, const WO: usize, R: Rows> Default for PoolCache<C, HO, WO, R> {
    fn default() -> Self {
        PoolCache {
            argmax: R::empty(|| [[[0; WO]; HO]; C]),
        }
    }
}

impl<const C: usize, const HO: usize, const WO: usize, R: Rows> PoolCache<C, HO, WO, R> {
    fn flat_mut(&mut self, rows: usize) -> &mut [u32] {
        // SAFETY: all-zero bytes are a valid array of `u32`. Zeroed in
        // place rather than resized with a zero map: unoptimised code would
        // pass that map (C·HO·WO words) by value through several frames.
        unsafe { R::set_rows_zeroed(&mut self.argmax, rows) };
        self.argmax
            .as_mut()
            .as_flattened_mut()
            .as_flattened_mut()
            .as_flattened_mut()
    }

    fn flat(&self) -> &[u32] {
        self.argmax.as_ref().as_flattened().as_flattened().as_flattened()
    }
}

pub(super) fn geometry<const PS: usize, const PST: usize>(c: usize, h: usize, w: usize) -> Window2d {
    Window2d::pool(c, (h, w), (PS, PS), (PST, PST), Padding::ZERO)
}

impl<const PS: usize, const PST: usize> Tensors for MaxPool2d<PS, PST> {
    crate::tensors! {}
}

impl<T: Scalar, const PS: usize, const PST: usize> Params<T> for MaxPool2d<PS, PST> {}

impl<
    T: Scalar,
    const PS: usize,
    const PST: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Image<T, C, H, W>> for MaxPool2d<PS, PST>
where
    Side<H>: ConvSide<PS, PST, 0, Out = Side<HO>>,
    Side<W>: ConvSide<PS, PST, 0, Out = Side<WO>>,
{
    type Out = Image<T, C, HO, WO>;
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<Image<T, C, H, W>, R>, y: &mut Batch<Self::Out, R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let g = geometry::<PS, PST>(C, H, W);
        pool::max_pool2d_forward(&g, x.nrows(), x.as_slice(), y.as_mut_slice(), None);
    }
}

impl<
    T: Scalar,
    const PS: usize,
    const PST: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Trainable<Image<T, C, H, W>> for MaxPool2d<PS, PST>
where
    Side<H>: ConvSide<PS, PST, 0, Out = Side<HO>>,
    Side<W>: ConvSide<PS, PST, 0, Out = Side<WO>>,
{
    type Cache<R: Rows> = PoolCache<C, HO, WO, R>;

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, C, H, W>, R>,
        y: &mut Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        _: &mut Training,
    ) {
        y.set_rows(x.nrows());
        let g = geometry::<PS, PST>(C, H, W);
        let argmax = cache.flat_mut(x.nrows());
        pool::max_pool2d_forward(&g, x.nrows(), x.as_slice(), y.as_mut_slice(), Some(argmax));
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, C, H, W>, R>,
        _: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        cache: &mut Self::Cache<R>,
        dx: Option<&mut Batch<Image<T, C, H, W>, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        let Some(dx) = dx else { return };
        dx.set_rows(x.nrows());
        let g = geometry::<PS, PST>(C, H, W);
        expect_rows::<Self>(
            "the argmax of the training pass",
            x.nrows() * C * HO * WO,
            cache.flat().len(),
        );
        pool::max_pool2d_backward(&g, x.nrows(), cache.flat(), dy.as_slice(), dx.as_mut_slice());
    }
}
