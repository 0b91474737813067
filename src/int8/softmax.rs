//! TFLite's int8 SOFTMAX as a layer.

use crate::ops::{Op, OpKind, Operator, Setting};
use crate::quant::{self, QuantError, QuantParams, SoftmaxQuant};
use crate::{Batch, Dtype, Layer, LayerInfo, Path, Rows, Tensors};

/// TFLite's int8 softmax over rows of `N` codes: probabilities in steps
/// of 1/256, as codes from −128 (0) to 127 (255/256), computed in fixed
/// point exactly as TFLite and TFLite Micro compute them. The output's
/// quantization is TFLite's for int8 softmax, scale 1/256 and zero point
/// −128; `N` is below 512, the longest row TFLite's fixed-point sum of
/// exponentials can hold for every input.
///
/// Tensors (buffers): `params` `i32` `[3]` (the input multiplier, its left
/// shift and the smallest difference from the row's maximum that counts,
/// as TFLite's `SoftmaxPrepare` computes them), `scales` `f32` `[2]` (β and
/// the input's scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Softmax<const N: usize> {
    params: [i32; 3],
    scales: [f32; 2],
}

/// The output quantization of TFLite's int8 softmax.
pub const SOFTMAX_OUTPUT: QuantParams = QuantParams::new(1.0 / 256.0, -128);

impl<const N: usize> Softmax<N> {
    /// β and the input's quantization, prepared as TFLite does.
    pub fn new(beta: f32, input: QuantParams) -> Result<Self, QuantError> {
        super::params::check_params("softmax input", input)?;
        let q = SoftmaxQuant::new(beta, input.scale, SOFTMAX_OUTPUT)?;
        Ok(Softmax {
            params: [q.input_multiplier, q.input_left_shift, q.diff_min],
            scales: [beta, input.scale],
        })
    }

    /// The same, as baked: its two tensors.
    pub const fn frozen(params: [i32; 3], scales: [f32; 2]) -> Self {
        Softmax { params, scales }
    }

    /// The stored parameters, brought into the range the kernel is
    /// defined on.
    fn quant(&self) -> SoftmaxQuant {
        SoftmaxQuant {
            input_multiplier: self.params[0].max(0),
            input_left_shift: self.params[1].clamp(0, 30),
            diff_min: self.params[2],
        }
    }
}

impl<const N: usize> Default for Softmax<N> {
    /// β = 1 over inputs of scale 1/16.
    fn default() -> Self {
        Self::new(1.0, QuantParams::new(1.0 / 16.0, 0)).expect("a valid softmax")
    }
}

impl<const N: usize> Tensors for Softmax<N> {
    crate::tensors! {
        "params": Buffer, [3] => params;
        "scales": Buffer, [2] => scales;
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::Softmax")
    }
}

impl<const N: usize> Layer<[i8; N]> for Softmax<N> {
    type Out = [i8; N];
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<[i8; N], R>, y: &mut Batch<[i8; N], R>, _: &mut ()) {
        const { assert!(N > 0 && N < 512, "int8 softmax rows hold 1 to 511 values") };
        y.set_rows(x.nrows());
        let q = self.quant();
        // cannot fail: whole rows, N < 512, parameters in range
        if quant::softmax_int8(&q, N, x.as_slice(), y.as_mut_slice()).is_err() {
            y.as_mut_slice().fill(-128);
        }
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            kind: "int8::Softmax",
            ..LayerInfo::of::<[i8; N], Self>(self, at)
        })
    }
}

impl<const N: usize> Operator for Softmax<N> {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Softmax,
            element: Dtype::I8,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Softmax { beta, input, output } => {
                if *output != SOFTMAX_OUTPUT {
                    // TFLite accepts a scale within 0.1 % of 1/256; this
                    // layer's output is exactly that
                    SoftmaxQuant::new(*beta, input.scale, *output)?;
                }
                *self = Self::new(*beta, *input)?;
                Ok(())
            }
            other => Err(other.refused("int8::Softmax")),
        }
    }
}
