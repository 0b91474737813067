//! The int8 fully connected layer: TFLite's FULLY_CONNECTED.

use core::fmt;

use super::Codes;
use super::params::{self, clamp_range, leading};
use crate::model::{DefaultStorage, Frozen, InlineMatrix, Storage};
use crate::ops::{Op, OpKind, Operator, Setting, Weighted};
use crate::quant::{self, DoubleMultiplier, QuantError, QuantParams};
use crate::{Batch, Dtype, Layer, LayerInfo, Path, Rows, TensorData, Tensors};

/// How an [`Affine`]'s sums are brought to the output's scale: the two
/// TFLite runtimes differ here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requantize {
    /// The integer multiplier and shift with double rounding, as TFLite
    /// Micro, CMSIS-NN and LiteRT's optimized kernels do (stored as `0`).
    Integer,
    /// `round(acc · s_in · s_w / s_out)` as a `double` product, LiteRT's
    /// reference kernel (`BUILTIN_REF`), computed with integers from the
    /// product's exact significand and exponent (stored as `1`).
    Double,
}

/// int8 `y = W·(x − zp_x) + b`, requantized: TFLite's int8
/// FULLY_CONNECTED from rows `X` of `i8` (`[i8; IN]`, or an
/// [`Image<i8, C, H, W>`](crate::Image) read as its `C·H·W` codes in
/// channel-row-column order) to `[i8; OUT]`.
///
/// Tensors, all [`Buffer`](crate::ParamKind::Buffer)s (nothing here
/// trains):
///
/// | name | type, shape | |
/// | --- | --- | --- |
/// | `W` | `i8` `[OUT, IN]` | one row of `IN` weights per output (TFLite's and PyTorch's layout, not the float `Affine`'s `[IN, OUT]`); baked as `[[…IN…]; OUT]` shaped like the input rows |
/// | `b` | `i32` `[OUT]` | at scale `s_in · s_w` |
/// | `weight_scale` | `f32` `[OUT]` | `s_w` per output (all equal for per-tensor weights) |
/// | `scales` | `f32` `[2]` | `s_in`, `s_out` |
/// | `zero_points` | `i32` `[3]` | input, weights, output |
/// | `clamp` | `i32` `[2]` | the fused activation's output range |
/// | `multiplier`, `shift` | `i32` `[OUT]` | `s_in · s_w / s_out` as TFLite's Q31 multiplier and power of two |
/// | `double_multiplier` | `i32` `[OUT, 3]` | the same as a `double`'s significand (high 22, low 31 bits) and exponent |
/// | `requantize` | `i32` `[1]` | which of the two is used ([`Requantize`]) |
///
/// Inference uses the integer tensors only: no floating point. The scales
/// are kept so that a saved net says what its codes mean and can be
/// dequantized. Set it with [`Operator::set`] (what
/// [`load_tflite`](crate::io::load_tflite) does), or bake it with
/// [`Affine::frozen`].
///
/// ```
/// use typenet::int8::{self, Requantize};
/// use typenet::ops::{Operator, Setting, Weighted};
/// use typenet::quant::{FusedActivation, QuantParams};
/// use typenet::{Batch, Const, Layer};
///
/// let mut fc = int8::Affine::<[i8; 2], 1>::zeros();
/// fc.set(&Setting::Weighted(Weighted {
///     input: QuantParams::new(0.5, 0),
///     output: QuantParams::new(1.0, -10),
///     weights: &[2, 3],
///     weight_scales: &[0.25],
///     weight_zero_point: 0,
///     bias: &[8],
///     activation: FusedActivation::None,
///     double_requantize: false,
/// }))?;
/// let mut y = Batch::<[i8; 1], Const<1>>::default();
/// fc.infer(&Batch::new([[4, -2]]), &mut y);
/// // (2·4 + 3·(−2) + 8) · 0.5 · 0.25 = 1.25 → 1, − 10
/// assert_eq!(y[0], [-9]);
/// assert_eq!(fc.requantize(), Requantize::Integer);
/// # Ok::<(), typenet::quant::QuantError>(())
/// ```
pub struct Affine<X: Codes, const OUT: usize, St: Storage = DefaultStorage> {
    w: St::Matrix<[i8; OUT], X>,
    b: [i32; OUT],
    weight_scale: [f32; OUT],
    scales: [f32; 2],
    zero_points: [i32; 3],
    clamp: [i32; 2],
    multiplier: [i32; OUT],
    shift: [i32; OUT],
    double_multiplier: [[i32; 3]; OUT],
    requantize: [i32; 1],
}

impl<X: Codes, const OUT: usize, St: Storage> Affine<X, OUT, St> {
    /// Zero weights and biases, scales 1, zero points 0, the full int8
    /// range: every output is 0 until it is set.
    pub fn zeros() -> Self {
        Affine {
            w: St::filled::<[i8; OUT], X>(X::ZERO),
            b: [0; OUT],
            weight_scale: [1.0; OUT],
            scales: [1.0; 2],
            zero_points: [0; 3],
            clamp: [-128, 127],
            multiplier: [0; OUT],
            shift: [0; OUT],
            double_multiplier: [[0; 3]; OUT],
            requantize: [0],
        }
    }

    /// The weights: `OUT` rows of `IN` codes.
    pub fn weights(&self) -> &[i8] {
        X::flatten(self.w.as_slice())
    }

    /// The biases.
    pub fn bias(&self) -> &[i32; OUT] {
        &self.b
    }

    /// The input's quantization.
    pub fn input_quant(&self) -> QuantParams {
        QuantParams::new(self.scales[0], self.zero_points[0])
    }

    /// The output's quantization.
    pub fn output_quant(&self) -> QuantParams {
        QuantParams::new(self.scales[1], self.zero_points[2])
    }

    /// The weight scale of each output.
    pub fn weight_scales(&self) -> &[f32; OUT] {
        &self.weight_scale
    }

    /// How sums are requantized.
    pub fn requantize(&self) -> Requantize {
        if self.requantize[0] == 1 {
            Requantize::Double
        } else {
            Requantize::Integer
        }
    }

    /// The output range the fused activation clamps to.
    pub fn clamp(&self) -> (i32, i32) {
        clamp_range(self.clamp)
    }

    /// Sets the layer (all or nothing): see [`Weighted`]; `weights` are
    /// `[OUT, IN]`, `weight_scales` one or `OUT` of them.
    fn set_weighted(&mut self, s: &Weighted<'_>) -> Result<(), QuantError> {
        let mut weight_scale = [0.0; OUT];
        let mut multiplier = [0; OUT];
        let mut shift = [0; OUT];
        let mut double_multiplier = [[0; 3]; OUT];
        let mut bias = [0; OUT];
        let fixed = prepare(
            s,
            X::WIDTH,
            AffineMut {
                weight_scale: &mut weight_scale,
                multiplier: &mut multiplier,
                shift: &mut shift,
                double_multiplier: &mut double_multiplier,
                bias: &mut bias,
            },
        )?;
        X::flatten_mut(self.w.as_mut_slice()).copy_from_slice(s.weights);
        self.b = bias;
        self.weight_scale = weight_scale;
        self.scales = fixed.scales;
        self.zero_points = fixed.zero_points;
        self.clamp = fixed.clamp;
        self.multiplier = multiplier;
        self.shift = shift;
        self.double_multiplier = double_multiplier;
        self.requantize = fixed.requantize;
        Ok(())
    }

    /// Output `o`'s requantized code from its sum with the bias.
    #[inline(always)]
    fn output(&self, acc: i32, o: usize, double: bool, (min, max): (i32, i32)) -> i8 {
        let scaled = if double {
            let [high, low, exponent] = self.double_multiplier[o];
            let significand = ((high as u32 as u64) << 31) | (low as u32 as u64 & 0x7fff_ffff);
            DoubleMultiplier::from_parts(significand, exponent).apply(acc)
        } else {
            quant::multiply_by_quantized_multiplier(acc, params::multiplier(&self.multiplier, &self.shift, o))
        };
        scaled.wrapping_add(self.zero_points[2]).clamp(min, max) as i8
    }
}

/// Room for an int8 fully connected layer's per-output tensors, one entry
/// per output: the layer's arrays, or the importer's vectors for a layer it
/// writes as Rust constants.
pub(crate) struct AffineMut<'a> {
    pub weight_scale: &'a mut [f32],
    pub multiplier: &'a mut [i32],
    pub shift: &'a mut [i32],
    pub double_multiplier: &'a mut [[i32; 3]],
    pub bias: &'a mut [i32],
}

/// An int8 fully connected layer's tensors of one value each.
pub(crate) struct AffineFixed {
    pub scales: [f32; 2],
    pub zero_points: [i32; 3],
    pub clamp: [i32; 2],
    pub requantize: [i32; 1],
}

/// A fully connected layer's quantization from a setting for inputs of
/// `width` codes, into `out`: the one computation of these tensors, for a
/// layer that is set and for one that is baked.
pub(crate) fn prepare(s: &Weighted<'_>, width: usize, out: AffineMut<'_>) -> Result<AffineFixed, QuantError> {
    let outputs = out.weight_scale.len();
    quant::check_len("weights", outputs * width, s.weights.len())?;
    params::check_params("input quantization", s.input)?;
    params::check_params("output quantization", s.output)?;
    params::check_zero_point("weight zero point", s.weight_zero_point)?;
    let per_tensor = s.weight_scales.len() == 1;
    for c in 0..outputs {
        let ws = params::weight_scale(s.weight_scales, outputs, c)?;
        params::check_scale("weight scale", ws)?;
        out.weight_scale[c] = ws;
        // As TFLite forms each: per tensor `s_in · s_w` in f32 first
        // (GetQuantizedConvolutionMultipler), per channel all in f64.
        let real = if per_tensor {
            f64::from(s.input.scale * ws) / f64::from(s.output.scale)
        } else {
            f64::from(s.input.scale) * f64::from(ws) / f64::from(s.output.scale)
        };
        let m = quant::quantize_multiplier(real)?;
        out.multiplier[c] = m.multiplier();
        out.shift[c] = m.shift();
        let d = DoubleMultiplier::new(f64::from(s.input.scale) * f64::from(ws) / f64::from(s.output.scale))?;
        let (significand, exponent) = d.parts();
        out.double_multiplier[c] = [(significand >> 31) as i32, (significand & 0x7fff_ffff) as i32, exponent];
    }
    params::copy_bias(s.bias, out.bias)?;
    Ok(AffineFixed {
        scales: [s.input.scale, s.output.scale],
        zero_points: [s.input.zero_point, s.weight_zero_point, s.output.zero_point],
        clamp: params::clamp_of(s.activation, s.output)?,
        requantize: [i32::from(s.double_requantize)],
    })
}

impl<X: Codes, const OUT: usize> Affine<X, OUT, Frozen> {
    /// An int8 layer with these tensors (in the order of the table above,
    /// the weights shaped `[[…]; OUT]` like the input rows), in a constant
    /// expression: what [`rust_source`](crate::io::rust_source) bakes
    /// becomes a `static` net in flash.
    #[allow(clippy::too_many_arguments)] // one argument per tensor, as baked
    pub const fn frozen(
        weights: [X::Array<i8>; OUT],
        bias: [i32; OUT],
        weight_scale: [f32; OUT],
        scales: [f32; 2],
        zero_points: [i32; 3],
        clamp: [i32; 2],
        multiplier: [i32; OUT],
        shift: [i32; OUT],
        double_multiplier: [[i32; 3]; OUT],
        requantize: [i32; 1],
    ) -> Self {
        // SAFETY: by `Row`'s contract `X::Array<i8>` and `X` are both
        // `X::WIDTH` `i8`s with the alignment of `i8`, so arrays of them
        // have the same bytes.
        let w: [X; OUT] = unsafe { core::mem::transmute_copy(&weights) };
        Affine {
            w: InlineMatrix(w),
            b: bias,
            weight_scale,
            scales,
            zero_points,
            clamp,
            multiplier,
            shift,
            double_multiplier,
            requantize,
        }
    }
}

impl<X: Codes, const OUT: usize, St: Storage> Default for Affine<X, OUT, St> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<X: Codes, const OUT: usize, St: Storage> Tensors for Affine<X, OUT, St> {
    crate::tensors! {
        "W": Buffer, [OUT, X::WIDTH], leading(OUT, X::DIMS) => w;
        "b": Buffer, [OUT] => b;
        "weight_scale": Buffer, [OUT] => weight_scale;
        "scales": Buffer, [2] => scales;
        "zero_points": Buffer, [3] => zero_points;
        "clamp": Buffer, [2] => clamp;
        "multiplier": Buffer, [OUT] => multiplier;
        "shift": Buffer, [OUT] => shift;
        "double_multiplier": Buffer, [OUT, 3] => double_multiplier;
        "requantize": Buffer, [1] => requantize;
    }

    fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
        f(at, "int8::Affine")
    }
}

impl<X: Codes, const OUT: usize, St: Storage> Layer<X> for Affine<X, OUT, St> {
    type Out = [i8; OUT];
    type Scratch<R: Rows> = ();

    fn infer_with<R: Rows>(&self, x: &Batch<X, R>, y: &mut Batch<[i8; OUT], R>, _: &mut ()) {
        y.set_rows(x.nrows());
        let (zx, zw) = (self.zero_points[0], self.zero_points[1]);
        let double = self.requantize[0] == 1;
        let range = self.clamp();
        let w = self.weights();
        for (x, y) in x.rows().iter().zip(y.rows_mut()) {
            let mut acc = self.b;
            super::kernels::dot_rows(x.as_slice(), zx, w, zw, &mut acc);
            for (o, (y, &acc)) in y.iter_mut().zip(&acc).enumerate() {
                *y = self.output(acc, o, double, range);
            }
        }
    }

    fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
        f(LayerInfo {
            kind: "int8::Affine",
            ..LayerInfo::of::<X, Self>(self, at)
        })
    }
}

impl<X: Codes, const OUT: usize, St: Storage> Operator for Affine<X, OUT, St> {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::FullyConnected,
            element: Dtype::I8,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Weighted(s) => self.set_weighted(s),
            other => Err(other.refused("int8::Affine")),
        }
    }
}

impl<X: Codes, const OUT: usize, St: Storage> Clone for Affine<X, OUT, St> {
    fn clone(&self) -> Self {
        Affine {
            w: self.w.clone(),
            ..*self
        }
    }
}

impl<X: Codes, const OUT: usize, St: Storage> PartialEq for Affine<X, OUT, St> {
    /// Equal tensors, bit for bit.
    fn eq(&self, other: &Self) -> bool {
        self.weights() == other.weights()
            && self.b == other.b
            && self.weight_scale.map(f32::to_bits) == other.weight_scale.map(f32::to_bits)
            && self.scales.map(f32::to_bits) == other.scales.map(f32::to_bits)
            && self.zero_points == other.zero_points
            && self.clamp == other.clamp
            && self.multiplier == other.multiplier
            && self.shift == other.shift
            && self.double_multiplier == other.double_multiplier
            && self.requantize == other.requantize
    }
}

impl<X: Codes, const OUT: usize, St: Storage> fmt::Debug for Affine<X, OUT, St> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "int8::Affine {:?} → [{OUT}] ({:?})", X::DIMS, St::default())
    }
}
