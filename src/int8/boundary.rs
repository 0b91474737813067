//! Where an int8 net meets floats: TFLite's QUANTIZE and DEQUANTIZE, and
//! the rows of one shape in another element type.

use crate::ops::{Op, OpKind, Operator, Setting};
use crate::quant::{self, QuantError, QuantParams};
use crate::{Batch, Dtype, Element, Image, Layer, LayerInfo, Path, Row, Rows, Tensors};

use super::params;

/// The same rows with elements `E`: `[f32; N]` as `[i8; N]`,
/// `Image<f32, C, H, W>` as `Image<i8, C, H, W>`.
pub trait Retype<E: Element>: Row {
    /// The rows of `E`.
    type As: Row<Scalar = E>;
}

impl<T: Element, E: Element, const N: usize> Retype<E> for [T; N] {
    type As = [E; N];
}

impl<T: Element, E: Element, const C: usize, const H: usize, const W: usize> Retype<E> for Image<T, C, H, W> {
    type As = Image<E, C, H, W>;
}

/// TFLite's QUANTIZE from `f32`: each value to the int8 code `round(x /
/// scale) + zero_point` (ties away from zero, clamped), taking rows of any
/// shape to the same rows of `i8`. The first layer of a net that takes
/// floats; the only place besides [`Dequantize`] where an int8 net
/// computes in floating point.
///
/// Tensors (buffers): `scale` `f32` `[1]`, `zero_point` `i32` `[1]`.
///
/// ```
/// use typenet::int8::Quantize;
/// use typenet::quant::QuantParams;
/// use typenet::{Batch, Const, Layer};
///
/// let q = Quantize::new(QuantParams::new(0.5, -3));
/// let mut y = Batch::<[i8; 3], Const<1>>::default();
/// q.infer(&Batch::new([[1.25, -1.25, 1e9]]), &mut y);
/// assert_eq!(y[0], [0, -6, 127]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantize {
    scale: [f32; 1],
    zero_point: [i32; 1],
}

impl Quantize {
    /// Quantizing to `params` (scale and zero point as given; see
    /// [`Operator::set`] for a checked setting).
    pub const fn new(params: QuantParams) -> Self {
        Quantize {
            scale: [params.scale],
            zero_point: [params.zero_point],
        }
    }

    /// The same, as baked: its two tensors.
    pub const fn frozen(scale: [f32; 1], zero_point: [i32; 1]) -> Self {
        Quantize { scale, zero_point }
    }

    /// The output's quantization.
    pub fn params(&self) -> QuantParams {
        QuantParams::new(self.scale[0], self.zero_point[0])
    }
}

impl Default for Quantize {
    /// Scale 1, zero point 0.
    fn default() -> Self {
        Self::new(QuantParams::new(1.0, 0))
    }
}

impl Tensors for Quantize {
    crate::tensors! {
        "scale": Buffer, [1] => scale;
        "zero_point": Buffer, [1] => zero_point;
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::Quantize")
    }
}

impl<X: Row<Scalar = f32> + Retype<i8>> Layer<X> for Quantize {
    type Out = X::As;
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<X::As, R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let p = self.params();
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = quant::quantize(x, p);
        }
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            kind: "int8::Quantize",
            ..LayerInfo::of::<X, Self>(self, at)
        })
    }
}

impl Operator for Quantize {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Quantize,
            element: Dtype::F32,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Quantize(p) => {
                params::check_params("quantization", *p)?;
                *self = Self::new(*p);
                Ok(())
            }
            other => Err(other.refused("int8::Quantize")),
        }
    }
}

/// TFLite's DEQUANTIZE to `f32`: each int8 code `q` to `scale · (q −
/// zero_point)`, rows of `i8` to the same rows of `f32`: the last layer of
/// an int8 net whose scores are read as floats (before a
/// [`SoftmaxWithLoss`](crate::SoftmaxWithLoss), say, which makes the net a
/// [`Network`](crate::Network) with `accuracy` and `classify`).
///
/// Tensors (buffers): `scale` `f32` `[1]`, `zero_point` `i32` `[1]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dequantize {
    scale: [f32; 1],
    zero_point: [i32; 1],
}

impl Dequantize {
    /// Dequantizing from `params`.
    pub const fn new(params: QuantParams) -> Self {
        Dequantize {
            scale: [params.scale],
            zero_point: [params.zero_point],
        }
    }

    /// The same, as baked: its two tensors.
    pub const fn frozen(scale: [f32; 1], zero_point: [i32; 1]) -> Self {
        Dequantize { scale, zero_point }
    }

    /// The input's quantization.
    pub fn params(&self) -> QuantParams {
        QuantParams::new(self.scale[0], self.zero_point[0])
    }
}

impl Default for Dequantize {
    /// Scale 1, zero point 0.
    fn default() -> Self {
        Self::new(QuantParams::new(1.0, 0))
    }
}

impl Tensors for Dequantize {
    crate::tensors! {
        "scale": Buffer, [1] => scale;
        "zero_point": Buffer, [1] => zero_point;
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::Dequantize")
    }
}

impl<X: Row<Scalar = i8> + Retype<f32>> Layer<X> for Dequantize {
    type Out = X::As;
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<X::As, R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let p = self.params();
        for (y, &x) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y = quant::dequantize(x, p);
        }
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            kind: "int8::Dequantize",
            ..LayerInfo::of::<X, Self>(self, at)
        })
    }
}

impl Operator for Dequantize {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Dequantize,
            element: Dtype::I8,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Dequantize(p) => {
                params::check_params("dequantization", *p)?;
                *self = Self::new(*p);
                Ok(())
            }
            other => Err(other.refused("int8::Dequantize")),
        }
    }
}
