//! What the int8 layers share: reading their stored quantization back
//! without trusting it (no stored value may make inference panic), and
//! computing it from scales when a layer is set.

use crate::Shape;
use crate::quant::{FusedActivation, QuantError, QuantParams, QuantizedMultiplier, activation_range};

/// The clamp `[min, max]` as stored, made usable: a maximum below the
/// minimum is raised to it (`i32::clamp` would panic).
#[inline(always)]
pub(crate) fn clamp_range(clamp: [i32; 2]) -> (i32, i32) {
    (clamp[0], clamp[1].max(clamp[0]))
}

/// The multiplier of output channel `c` as stored.
#[inline(always)]
pub(crate) fn multiplier(multiplier: &[i32], shift: &[i32], c: usize) -> QuantizedMultiplier {
    QuantizedMultiplier::saturating(multiplier[c], shift[c])
}

/// The stored clamp of an output quantized as `output` under `activation`.
pub(crate) fn clamp_of(activation: FusedActivation, output: QuantParams) -> Result<[i32; 2], QuantError> {
    let (min, max) = activation_range(activation, output)?;
    Ok([min, max])
}

/// Checks a scale a layer stores: finite and positive.
pub(crate) fn check_scale(what: &'static str, scale: f32) -> Result<(), QuantError> {
    if !scale.is_finite() {
        return Err(QuantError::NonFinite {
            what,
            value: f64::from(scale),
        });
    }
    if scale <= 0.0 {
        return Err(QuantError::NotPositive {
            what,
            value: f64::from(scale),
        });
    }
    Ok(())
}

/// Checks a zero point: an int8 code, as TFLite requires of int8 tensors.
pub(crate) fn check_zero_point(what: &'static str, zero_point: i32) -> Result<(), QuantError> {
    if (-128..=127).contains(&zero_point) {
        Ok(())
    } else {
        Err(QuantError::OutOfRange {
            what,
            value: f64::from(zero_point),
        })
    }
}

/// Checks the per-tensor quantization of an input or output.
pub(crate) fn check_params(what: &'static str, p: QuantParams) -> Result<(), QuantError> {
    check_scale(what, p.scale)?;
    check_zero_point(what, p.zero_point)
}

/// The weight scale of channel `c`: one for all, or one each.
pub(crate) fn weight_scale(scales: &[f32], channels: usize, c: usize) -> Result<f32, QuantError> {
    match scales.len() {
        1 => Ok(scales[0]),
        n if n == channels => Ok(scales[c]),
        n => Err(QuantError::Length {
            what: "weight scales",
            expected: channels,
            found: n,
        }),
    }
}

/// Copies `bias` (or zeros when it is empty) into `out`.
pub(crate) fn copy_bias(bias: &[i32], out: &mut [i32]) -> Result<(), QuantError> {
    if bias.is_empty() {
        out.fill(0);
        return Ok(());
    }
    crate::quant::check_len("bias", out.len(), bias.len())?;
    out.copy_from_slice(bias);
    Ok(())
}

/// `[n, ...dims]` as a shape: the layout of `n` runs of rows `dims`.
pub(crate) fn leading(n: usize, dims: &[usize]) -> Shape {
    let mut all = [0usize; 4];
    all[0] = n;
    let rank = dims.len().min(3) + 1;
    all[1..rank].copy_from_slice(&dims[..rank - 1]);
    Shape::new(&all[..rank])
}

/// A convolution's per-channel quantization, prepared from a setting as
/// TFLite's `PopulateConvolutionQuantizationParams` does.
pub(crate) struct Channels<const C: usize> {
    pub weight_scale: [f32; C],
    pub multiplier: [i32; C],
    pub shift: [i32; C],
    pub bias: [i32; C],
    pub clamp: [i32; 2],
}

impl<const C: usize> Channels<C> {
    pub(crate) fn of(s: &crate::ops::Weighted<'_>, weights: usize) -> Result<Self, QuantError> {
        let mut out = Channels {
            weight_scale: [0.0; C],
            multiplier: [0; C],
            shift: [0; C],
            bias: [0; C],
            clamp: [0; 2],
        };
        out.clamp = prepare_channels(
            s,
            weights,
            ChannelsMut {
                weight_scale: &mut out.weight_scale,
                multiplier: &mut out.multiplier,
                shift: &mut out.shift,
                bias: &mut out.bias,
            },
        )?;
        Ok(out)
    }
}

/// Room for a convolution's per-channel tensors, one entry per output
/// channel: the layers' arrays, or the importer's vectors for a layer it
/// writes as Rust constants.
pub(crate) struct ChannelsMut<'a> {
    pub weight_scale: &'a mut [f32],
    pub multiplier: &'a mut [i32],
    pub shift: &'a mut [i32],
    pub bias: &'a mut [i32],
}

/// A convolution's per-channel quantization from a setting of `weights`
/// weights, into `out`; returns the clamp. The one computation of these
/// tensors, for a layer that is set and for one that is baked.
pub(crate) fn prepare_channels(
    s: &crate::ops::Weighted<'_>,
    weights: usize,
    out: ChannelsMut<'_>,
) -> Result<[i32; 2], QuantError> {
    crate::quant::check_len("weights", weights, s.weights.len())?;
    check_params("input quantization", s.input)?;
    check_params("output quantization", s.output)?;
    if s.weight_zero_point != 0 {
        return Err(QuantError::OutOfRange {
            what: "weight zero point (convolution weights are symmetric)",
            value: f64::from(s.weight_zero_point),
        });
    }
    let clamp = clamp_of(s.activation, s.output)?;
    let channels = out.weight_scale.len();
    for c in 0..channels {
        let ws = weight_scale(s.weight_scales, channels, c)?;
        check_scale("weight scale", ws)?;
        out.weight_scale[c] = ws;
        let real = f64::from(s.input.scale) * f64::from(ws) / f64::from(s.output.scale);
        let m = crate::quant::quantize_multiplier(real)?;
        out.multiplier[c] = m.multiplier();
        out.shift[c] = m.shift();
    }
    copy_bias(s.bias, out.bias)?;
    Ok(clamp)
}
