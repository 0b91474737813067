//! Average pooling: over windows, and over the whole image.

use super::sides::{ConvSide, Side};
use crate::kernels::pooling as pool;
use crate::kernels::{Padding, Window2d};
use crate::{Batch, Image, Layer, Params, Rows, Scalar, Tensors, Trainable, Training, expect_rows};

/// Average pooling (PyTorch's `AvgPool2d`, TFLite's AVERAGE_POOL_2D with
/// VALID padding): each output is the mean of a `PS` × `PS` window of its
/// channel, windows moved `PST` pixels at a time (`PST = PS` by default:
/// windows side by side). The gradient of each output is shared out
/// equally over its window.
///
/// The output size `(H − PS) / PST + 1` is computed by the compiler, as for
/// a [`MaxPool2d`](crate::MaxPool2d).
///
/// ```
/// use typenet::prelude::*;
/// use typenet::AvgPool2d;
///
/// let x = Batch::from_rows(vec![Image::<f32, 1, 2, 4>([[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 7.0, 6.0]]])]);
/// let mut y: Batch<Image<f32, 1, 1, 2>> = Batch::zeros(1);
/// AvgPool2d::<2>.infer(&x, &mut y);
/// assert_eq!(y[0].0, [[[3.25, 3.75]]]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvgPool2d<const PS: usize, const PST: usize = PS>;

fn geometry<const PS: usize, const PST: usize>(c: usize, h: usize, w: usize) -> Window2d {
    Window2d::pool(c, (h, w), (PS, PS), (PST, PST), Padding::ZERO)
}

impl<const PS: usize, const PST: usize> Tensors for AvgPool2d<PS, PST> {
    crate::tensors! {}
}

impl<T: Scalar, const PS: usize, const PST: usize> Params<T> for AvgPool2d<PS, PST> {}

impl<
    T: Scalar,
    const PS: usize,
    const PST: usize,
    const C: usize,
    const H: usize,
    const W: usize,
    const HO: usize,
    const WO: usize,
> Layer<Image<T, C, H, W>> for AvgPool2d<PS, PST>
where
    Side<H>: ConvSide<PS, PST, 0, Out = Side<HO>>,
    Side<W>: ConvSide<PS, PST, 0, Out = Side<WO>>,
{
    type Out = Image<T, C, HO, WO>;
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<Image<T, C, H, W>, R>, y: &mut Batch<Self::Out, R>, _: &mut ()) {
        y.set_rows(x.nrows());
        pool::avg_pool2d_forward(&geometry::<PS, PST>(C, H, W), x.nrows(), x.as_slice(), y.as_mut_slice());
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
> Trainable<Image<T, C, H, W>> for AvgPool2d<PS, PST>
where
    Side<H>: ConvSide<PS, PST, 0, Out = Side<HO>>,
    Side<W>: ConvSide<PS, PST, 0, Out = Side<WO>>,
{
    type Cache<R: Rows> = ();

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, C, H, W>, R>,
        y: &mut Batch<Self::Out, R>,
        _: &mut (),
        _: &mut Training,
    ) {
        self.infer(x, y)
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, C, H, W>, R>,
        _: &Batch<Self::Out, R>,
        dy: &Batch<Self::Out, R>,
        _: &mut (),
        dx: Option<&mut Batch<Image<T, C, H, W>, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        let Some(dx) = dx else { return };
        dx.set_rows(x.nrows());
        pool::avg_pool2d_backward(
            &geometry::<PS, PST>(C, H, W),
            x.nrows(),
            dy.as_slice(),
            dx.as_mut_slice(),
        );
    }
}

/// The mean of each channel over the whole image: `Image<T, C, H, W>` →
/// `[T; C]`, for any size (PyTorch's `AdaptiveAvgPool2d(1)` then
/// `flatten`, Keras's `GlobalAveragePooling2D`), as the MobileNets and
/// ResNets of TinyML end before their classifier. The gradient of each
/// channel's mean is shared out equally over its pixels.
///
/// ```
/// use typenet::prelude::*;
/// use typenet::GlobalAvgPool;
///
/// let x = Batch::from_rows(vec![Image::<f64, 2, 1, 2>([[[1.0, 2.0]], [[-1.0, -4.0]]])]);
/// let mut y: Batch<[f64; 2]> = Batch::zeros(1);
/// GlobalAvgPool.infer(&x, &mut y);
/// assert_eq!(y[0], [1.5, -2.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GlobalAvgPool;

impl Tensors for GlobalAvgPool {
    crate::tensors! {}
}

impl<T: Scalar> Params<T> for GlobalAvgPool {}

impl<T: Scalar, const C: usize, const H: usize, const W: usize> Layer<Image<T, C, H, W>> for GlobalAvgPool {
    type Out = [T; C];
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<Image<T, C, H, W>, R>, y: &mut Batch<[T; C], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let n = T::of((H * W) as f64);
        for (plane, mean) in x.as_slice().chunks_exact(H * W).zip(y.as_mut_slice()) {
            *mean = plane.iter().copied().sum::<T>() / n;
        }
    }
}

impl<T: Scalar, const C: usize, const H: usize, const W: usize> Trainable<Image<T, C, H, W>> for GlobalAvgPool {
    type Cache<R: Rows> = ();

    fn forward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, C, H, W>, R>,
        y: &mut Batch<[T; C], R>,
        _: &mut (),
        _: &mut Training,
    ) {
        self.infer(x, y)
    }

    fn backward<R: Rows>(
        &mut self,
        x: &Batch<Image<T, C, H, W>, R>,
        _: &Batch<[T; C], R>,
        dy: &Batch<[T; C], R>,
        _: &mut (),
        dx: Option<&mut Batch<Image<T, C, H, W>, R>>,
    ) {
        expect_rows::<Self>("dy", x.nrows(), dy.nrows());
        let Some(dx) = dx else { return };
        dx.set_rows(x.nrows());
        let n = T::of((H * W) as f64);
        for (plane, &d) in dx.as_mut_slice().chunks_exact_mut(H * W).zip(dy.as_slice()) {
            plane.fill(d / n);
        }
    }
}
