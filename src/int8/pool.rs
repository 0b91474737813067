//! TFLite's int8 MAX_POOL_2D and AVERAGE_POOL_2D, and the average over a
//! whole map, on typenet's channel-major images. Pooling keeps its input's
//! quantization, so it needs no requantization; a fused activation is a
//! clamp.

use core::marker::PhantomData;

use super::params::clamp_range;
use super::window::{self, OutSide, Padding, Valid, WindowInfo};
use crate::layers::conv::sides::Side;
use crate::ops::{Op, OpKind, Operator, Setting};
use crate::quant::{QuantError, Window2d};
use crate::{Batch, Dtype, Image, Layer, LayerInfo, Path, Row, Rows, Tensors};

/// The input rows of one output row under `window`, clipped to the input
/// as TFLite's reference pooling clips them.
fn span(out: usize, stride: usize, pad: usize, filter: usize, size: usize) -> core::ops::Range<usize> {
    let origin = out * stride;
    let start = origin.saturating_sub(pad);
    let end = (origin + filter).saturating_sub(pad).min(size);
    start..end.max(start)
}

/// Pools one image, `C × h × w` into `C × ho × wo`, with `reduce` over
/// each window's values inside the input.
fn pool_image(
    window: &Window2d,
    (c, h, w): (usize, usize, usize),
    (ho, wo): (usize, usize),
    x: &[i8],
    y: &mut [i8],
    reduce: impl Fn(&mut dyn Iterator<Item = i8>, usize) -> i32,
    (min, max): (i32, i32),
) {
    for ch in 0..c {
        let xc = &x[ch * h * w..][..h * w];
        for oy in 0..ho {
            let rows = span(oy, window.stride_height, window.pad_top, window.filter_height, h);
            for ox in 0..wo {
                let cols = span(ox, window.stride_width, window.pad_left, window.filter_width, w);
                let count = rows.len() * cols.len();
                let mut values = rows.clone().flat_map(|iy| xc[iy * w..][cols.clone()].iter().copied());
                y[(ch * ho + oy) * wo + ox] = reduce(&mut values, count).clamp(min, max) as i8;
            }
        }
    }
}

/// TFLite's average: the sum over the count, rounded half away from zero;
/// a window over no input (which TFLite refuses) gives 0.
fn average(values: &mut dyn Iterator<Item = i8>, count: usize) -> i32 {
    let sum = values.fold(0i32, |s, v| s.wrapping_add(i32::from(v)));
    let count = i32::try_from(count).unwrap_or(i32::MAX);
    match count {
        0 => 0,
        _ if sum > 0 => sum.wrapping_add(count / 2) / count,
        _ => sum.wrapping_sub(count / 2) / count,
    }
}

fn maximum(values: &mut dyn Iterator<Item = i8>, _: usize) -> i32 {
    i32::from(values.fold(i8::MIN, i8::max))
}

fn set_pool(clamp: &mut [i32; 2], setting: &Setting<'_>, operator: &'static str) -> Result<(), QuantError> {
    match setting {
        Setting::Pool { output, activation } => {
            super::params::check_params("pooling quantization", *output)?;
            *clamp = super::params::clamp_of(*activation, *output)?;
            Ok(())
        }
        other => Err(other.refused(operator)),
    }
}

macro_rules! window_pool {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $op:expr, $reduce:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name<const KH: usize, const KW: usize, const SH: usize = KH, const SW: usize = KW, Pd: Padding = Valid> {
            clamp: [i32; 2],
            padding: PhantomData<Pd>,
        }

        impl<const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding> $name<KH, KW, SH, SW, Pd> {
            /// No clamp beyond the int8 range.
            pub const fn new() -> Self {
                Self::frozen([-128, 127])
            }

            /// The layer with this clamp (its one tensor, as baked).
            pub const fn frozen(clamp: [i32; 2]) -> Self {
                $name { clamp, padding: PhantomData }
            }

            /// The output range the fused activation clamps to.
            pub fn clamp(&self) -> (i32, i32) {
                clamp_range(self.clamp)
            }
        }

        impl<const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding> Default for $name<KH, KW, SH, SW, Pd> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding> Tensors for $name<KH, KW, SH, SW, Pd> {
            crate::tensors! { "clamp": Buffer, [2] => clamp; }

            fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
                f(at, $kind)
            }
        }

        impl<
            const KH: usize,
            const KW: usize,
            const SH: usize,
            const SW: usize,
            Pd: Padding,
            const C: usize,
            const H: usize,
            const W: usize,
            const HO: usize,
            const WO: usize,
        > Layer<Image<i8, C, H, W>> for $name<KH, KW, SH, SW, Pd>
        where
            Side<H>: OutSide<Pd, KH, SH, Out = Side<HO>>,
            Side<W>: OutSide<Pd, KW, SW, Out = Side<WO>>,
        {
            type Out = Image<i8, C, HO, WO>;
            type Scratch<R: Rows> = ();

            fn infer_with<R: Rows>(&self, x: &Batch<Image<i8, C, H, W>, R>, y: &mut Batch<Self::Out, R>, _: &mut ()) {
                y.set_rows(x.nrows());
                let window = window::window::<Pd>((KH, KW), (SH, SW), (H, W), (HO, WO));
                for (x, y) in x.rows().iter().zip(y.rows_mut()) {
                    pool_image(&window, (C, H, W), (HO, WO), x.as_slice(), y.as_mut_slice(), $reduce, self.clamp());
                }
            }

            fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
                f(LayerInfo {
                    kind: $kind,
                    ..LayerInfo::of::<Image<i8, C, H, W>, Self>(self, at)
                })
            }
        }

        impl<const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding> Operator for $name<KH, KW, SH, SW, Pd> {
            fn op(&self) -> Op {
                Op {
                    kind: $op,
                    element: Dtype::I8,
                    window: Some(WindowInfo { kernel: (KH, KW), stride: (SH, SW), padding: Pd::KIND }),
                }
            }

            fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
                set_pool(&mut self.clamp, setting, $kind)
            }
        }
    };
}

window_pool! {
    /// TFLite's int8 MAX_POOL_2D: the largest code of each `KH × KW`
    /// window (of those inside the input), windows moved `SH × SW` at a
    /// time (side by side by default), padding `Pd`; then the clamp of a
    /// fused activation. One tensor, `clamp` `i32` `[2]`.
    ///
    /// ```
    /// use typenet::{Batch, Const, Image, Layer, int8};
    ///
    /// let x = Batch::<_, Const<1>>::new([Image::<i8, 1, 2, 4>([[[1, 5, 2, 0], [3, 4, 7, 6]]])]);
    /// let mut y: Batch<Image<i8, 1, 1, 2>, Const<1>> = Batch::default();
    /// int8::MaxPool2d::<2, 2>::new().infer(&x, &mut y);
    /// assert_eq!(y[0].0, [[[5, 7]]]);
    /// ```
    MaxPool2d, "int8::MaxPool2d", OpKind::MaxPool2d, maximum
}

window_pool! {
    /// TFLite's int8 AVERAGE_POOL_2D: the mean code of each `KH × KW`
    /// window over the values inside the input (padding is not counted),
    /// rounded half away from zero, then the clamp of a fused activation.
    /// One tensor, `clamp` `i32` `[2]`.
    AvgPool2d, "int8::AvgPool2d", OpKind::AveragePool2d, average
}

/// The average of each channel over the whole map, `Image<i8, C, H, W>` to
/// `[i8; C]` (Keras's `GlobalAveragePooling2D`): TFLite's AVERAGE_POOL_2D
/// with an `H × W` window, rounded as it rounds, and then the clamp of a
/// fused activation. One tensor, `clamp` `i32` `[2]`.
///
/// ```
/// use typenet::{Batch, Const, Image, Layer, int8};
///
/// let x = Batch::<_, Const<1>>::new([Image::<i8, 2, 1, 2>([[[1, 2]], [[-1, -2]]])]);
/// let mut y = Batch::<[i8; 2], Const<1>>::default();
/// int8::GlobalAvgPool::new().infer(&x, &mut y);
/// assert_eq!(y[0], [2, -2]); // 1.5 and −1.5, away from zero
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalAvgPool {
    clamp: [i32; 2],
}

impl GlobalAvgPool {
    /// No clamp beyond the int8 range.
    pub const fn new() -> Self {
        Self::frozen([-128, 127])
    }

    /// The layer with this clamp (its one tensor, as baked).
    pub const fn frozen(clamp: [i32; 2]) -> Self {
        GlobalAvgPool { clamp }
    }

    /// The output range the fused activation clamps to.
    pub fn clamp(&self) -> (i32, i32) {
        clamp_range(self.clamp)
    }
}

impl Default for GlobalAvgPool {
    fn default() -> Self {
        Self::new()
    }
}

impl Tensors for GlobalAvgPool {
    crate::tensors! { "clamp": Buffer, [2] => clamp; }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::GlobalAvgPool")
    }
}

impl<const C: usize, const H: usize, const W: usize> Layer<Image<i8, C, H, W>> for GlobalAvgPool {
    type Out = [i8; C];
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<Image<i8, C, H, W>, R>, y: &mut Batch<[i8; C], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let (min, max) = self.clamp();
        for (x, y) in x.rows().iter().zip(y.rows_mut()) {
            for (c, y) in y.iter_mut().enumerate() {
                let values = &x.as_slice()[c * H * W..][..H * W];
                *y = average(&mut values.iter().copied(), H * W).clamp(min, max) as i8;
            }
        }
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            kind: "int8::GlobalAvgPool",
            ..LayerInfo::of::<Image<i8, C, H, W>, Self>(self, at)
        })
    }
}

impl Operator for GlobalAvgPool {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::GlobalAveragePool,
            element: Dtype::I8,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        set_pool(&mut self.clamp, setting, "int8::GlobalAvgPool")
    }
}
