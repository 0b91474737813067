//! TFLite's int8 CONV_2D and DEPTHWISE_CONV_2D, on typenet's channel-major
//! images.

use core::fmt;

use super::params::{self, Channels, clamp_range};
use super::window::{self, OutSide, Padding, Valid, WindowInfo};
use crate::layers::conv::sides::Side;
use crate::model::{DefaultStorage, Frozen, InlineMatrix, Storage};
use crate::ops::{Op, OpKind, Operator, Setting};
use crate::quant::{self, QuantError, QuantParams};
use crate::{Batch, Dtype, Image, Layer, LayerInfo, Path, Row, Rows, TensorData, Tensors};

macro_rules! conv_layer {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:literal, filter channels: $fc:tt, op: $op:expr, depthwise: $depthwise:expr
    ) => {
        $(#[$doc])*
        pub struct $name<
            const CIN: usize,
            const COUT: usize,
            const KH: usize,
            const KW: usize,
            const SH: usize = 1,
            const SW: usize = 1,
            Pd: Padding = Valid,
            St: Storage = DefaultStorage,
        > {
            w: St::Matrix<[i8; COUT], Image<i8, $fc, KH, KW>>,
            b: [i32; COUT],
            weight_scale: [f32; COUT],
            scales: [f32; 2],
            zero_points: [i32; 2],
            clamp: [i32; 2],
            multiplier: [i32; COUT],
            shift: [i32; COUT],
            padding: core::marker::PhantomData<Pd>,
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
            /// Weights per output channel.
            pub const FILTER: usize = $fc * KH * KW;

            /// Zero weights and biases, scales 1, zero points 0, the full
            /// int8 range: every output is 0 until it is set.
            pub fn zeros() -> Self {
                $name {
                    w: St::filled::<[i8; COUT], Image<i8, $fc, KH, KW>>(Image::ZERO),
                    b: [0; COUT],
                    weight_scale: [1.0; COUT],
                    scales: [1.0; 2],
                    zero_points: [0; 2],
                    clamp: [-128, 127],
                    multiplier: [0; COUT],
                    shift: [0; COUT],
                    padding: core::marker::PhantomData,
                }
            }

            /// The weights, `[COUT, CIN, KH, KW]` row-major (`[COUT, 1, KH,
            /// KW]` for a depthwise convolution).
            pub fn weights(&self) -> &[i8] {
                Image::flatten(self.w.as_slice())
            }

            /// The biases.
            pub fn bias(&self) -> &[i32; COUT] {
                &self.b
            }

            /// The weight scale of each output channel.
            pub fn weight_scales(&self) -> &[f32; COUT] {
                &self.weight_scale
            }

            /// The input's quantization.
            pub fn input_quant(&self) -> QuantParams {
                QuantParams::new(self.scales[0], self.zero_points[0])
            }

            /// The output's quantization.
            pub fn output_quant(&self) -> QuantParams {
                QuantParams::new(self.scales[1], self.zero_points[1])
            }

            /// The output range the fused activation clamps to.
            pub fn clamp(&self) -> (i32, i32) {
                clamp_range(self.clamp)
            }

            fn set_weighted(&mut self, s: &crate::ops::Weighted<'_>) -> Result<(), QuantError> {
                let c = Channels::<COUT>::of(s, COUT * Self::FILTER)?;
                Image::flatten_mut(self.w.as_mut_slice()).copy_from_slice(s.weights);
                self.b = c.bias;
                self.weight_scale = c.weight_scale;
                self.scales = [s.input.scale, s.output.scale];
                self.zero_points = [s.input.zero_point, s.output.zero_point];
                self.clamp = c.clamp;
                self.multiplier = c.multiplier;
                self.shift = c.shift;
                Ok(())
            }

            /// One image: `x` is `CIN × h × w`, `y` `COUT × ho × wo`; `plane`
            /// has room for `ho · wo` sums.
            fn image(&self, (h, w): (usize, usize), (ho, wo): (usize, usize), x: &[i8], y: &mut [i8], plane: &mut [i32]) {
                let window = window::window::<Pd>((KH, KW), (SH, SW), (h, w), (ho, wo));
                let (zx, zy) = (self.zero_points[0], self.zero_points[1]);
                let (min, max) = self.clamp();
                let weights = self.weights();
                let per_group = COUT / CIN.max(1);
                for oc in 0..COUT {
                    plane.fill(self.b[oc]);
                    let channels = if $depthwise {
                        let ic = oc / per_group.max(1);
                        ic..ic + 1
                    } else {
                        0..CIN
                    };
                    let filter = &weights[oc * Self::FILTER..][..Self::FILTER];
                    super::kernels::conv_plane(x, (h, w), channels, zx, filter, &window, (ho, wo), plane);
                    let m = params::multiplier(&self.multiplier, &self.shift, oc);
                    for (y, &acc) in y[oc * ho * wo..][..ho * wo].iter_mut().zip(plane.iter()) {
                        *y = quant::multiply_by_quantized_multiplier(acc, m).wrapping_add(zy).clamp(min, max) as i8;
                    }
                }
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding>
            $name<CIN, COUT, KH, KW, SH, SW, Pd, Frozen>
        {
            /// A layer with these tensors (in the order of the table
            /// above), in a constant expression: what
            /// [`rust_source`](crate::io::rust_source) bakes becomes a
            /// `static` net in flash.
            #[allow(clippy::too_many_arguments)] // one argument per tensor, as baked
            pub const fn frozen(
                weights: [[[[i8; KW]; KH]; $fc]; COUT],
                bias: [i32; COUT],
                weight_scale: [f32; COUT],
                scales: [f32; 2],
                zero_points: [i32; 2],
                clamp: [i32; 2],
                multiplier: [i32; COUT],
                shift: [i32; COUT],
            ) -> Self {
                // SAFETY: `Image` is `repr(transparent)` over `[[[i8; KW]; KH]; C]`.
                let w: [Image<i8, $fc, KH, KW>; COUT] = unsafe { core::mem::transmute_copy(&weights) };
                $name {
                    w: InlineMatrix(w),
                    b: bias,
                    weight_scale,
                    scales,
                    zero_points,
                    clamp,
                    multiplier,
                    shift,
                    padding: core::marker::PhantomData,
                }
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            Default for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
            fn default() -> Self {
                Self::zeros()
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            Tensors for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
            crate::tensors! {
                "W": Buffer, [COUT, $fc, KH, KW] => w;
                "b": Buffer, [COUT] => b;
                "weight_scale": Buffer, [COUT] => weight_scale;
                "scales": Buffer, [2] => scales;
                "zero_points": Buffer, [2] => zero_points;
                "clamp": Buffer, [2] => clamp;
                "multiplier": Buffer, [COUT] => multiplier;
                "shift": Buffer, [COUT] => shift;
            }

            fn layers(&self, at: Path, f: &mut dyn FnMut(Path, &'static str)) {
                f(at, $kind)
            }
        }

        impl<
            const CIN: usize,
            const COUT: usize,
            const KH: usize,
            const KW: usize,
            const SH: usize,
            const SW: usize,
            Pd: Padding,
            St: Storage,
            const H: usize,
            const W: usize,
            const HO: usize,
            const WO: usize,
        > Layer<Image<i8, CIN, H, W>> for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        where
            Side<H>: OutSide<Pd, KH, SH, Out = Side<HO>>,
            Side<W>: OutSide<Pd, KW, SW, Out = Side<WO>>,
        {
            type Out = Image<i8, COUT, HO, WO>;
            type Scratch<R: Rows> = ();

            fn infer_with<R: Rows>(&self, x: &Batch<Image<i8, CIN, H, W>, R>, y: &mut Batch<Self::Out, R>, _: &mut ()) {
                const { assert!(!$depthwise || (CIN > 0 && COUT % CIN == 0), "a depthwise convolution's output channels are a multiple of its input channels") };
                y.set_rows(x.nrows());
                let mut plane = [[0i32; WO]; HO];
                for (x, y) in x.rows().iter().zip(y.rows_mut()) {
                    self.image((H, W), (HO, WO), x.as_slice(), y.as_mut_slice(), plane.as_flattened_mut());
                }
            }

            fn describe(&self, at: Path, f: &mut dyn FnMut(LayerInfo)) {
                f(LayerInfo {
                    kind: $kind,
                    ..LayerInfo::of::<Image<i8, CIN, H, W>, Self>(self, at)
                })
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            Operator for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
            fn op(&self) -> Op {
                Op {
                    kind: $op,
                    element: Dtype::I8,
                    window: Some(WindowInfo {
                        kernel: (KH, KW),
                        stride: (SH, SW),
                        padding: Pd::KIND,
                    }),
                }
            }

            fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
                match setting {
                    Setting::Weighted(s) => self.set_weighted(s),
                    other => Err(other.refused($kind)),
                }
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            Clone for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
            fn clone(&self) -> Self {
                $name {
                    w: self.w.clone(),
                    ..*self
                }
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            PartialEq for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
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
            }
        }

        impl<const CIN: usize, const COUT: usize, const KH: usize, const KW: usize, const SH: usize, const SW: usize, Pd: Padding, St: Storage>
            fmt::Debug for $name<CIN, COUT, KH, KW, SH, SW, Pd, St>
        {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {CIN} → {COUT}, {KH}×{KW}, stride {SH}×{SW}, {} ({:?})", $kind, Pd::NAME, St::default())
            }
        }
    };
}

conv_layer! {
    /// TFLite's int8 CONV_2D on images `Image<i8, CIN, H, W>`: `COUT`
    /// filters of `CIN × KH × KW` int8 weights, moved `SH` rows and `SW`
    /// columns at a time, with padding `Pd` ([`Valid`] by default,
    /// [`Same`](super::Same) as TFLite's SAME, [`Pad<P>`](super::Pad) as
    /// typenet's float `Conv2d`). The output `Image<i8, COUT, HO, WO>` is
    /// sized by the compiler. Each output is `Σ w · (x − zp_in) + b`,
    /// requantized per output channel, plus the output zero point,
    /// clamped by the fused activation: `reference_integer_ops::
    /// ConvPerChannel`, bit for bit.
    ///
    /// Tensors (all buffers): `W` `i8` `[COUT, CIN, KH, KW]` (PyTorch's and
    /// the float layer's layout), `b` `i32` `[COUT]`, `weight_scale` `f32`
    /// `[COUT]`, `scales` `f32` `[2]` (input, output), `zero_points` `i32`
    /// `[2]` (input, output), `clamp` `i32` `[2]`, `multiplier` and `shift`
    /// `i32` `[COUT]`.
    ///
    /// ```
    /// use typenet::int8::{self, Same};
    /// use typenet::{Batch, Const, Image, Layer};
    ///
    /// // KWS's first layer: 10×4 filters, stride 2, SAME, over 49×10 MFCCs
    /// let conv = int8::Conv2d::<1, 64, 10, 4, 2, 2, Same>::zeros();
    /// let x = Batch::<Image<i8, 1, 49, 10>, Const<1>>::default();
    /// let mut y: Batch<Image<i8, 64, 25, 5>, Const<1>> = Batch::default();
    /// conv.infer(&x, &mut y);
    /// ```
    Conv2d, "int8::Conv2d", filter channels: CIN, op: OpKind::Conv2d, depthwise: false
}

conv_layer! {
    /// TFLite's int8 DEPTHWISE_CONV_2D: each input channel filtered on its
    /// own by `COUT / CIN` filters of `KH × KW` (the depth multiplier),
    /// output channel `c · m + k` from input channel `c`; otherwise as
    /// [`Conv2d`]. Tensors as [`Conv2d`]'s, `W` being `[COUT, 1, KH, KW]`
    /// (PyTorch's depthwise layout).
    ///
    /// ```
    /// use typenet::int8::{self, Same};
    /// use typenet::{Batch, Const, Image, Layer};
    ///
    /// let dw = int8::DepthwiseConv2d::<8, 8, 3, 3, 2, 2, Same>::zeros();
    /// let mut y: Batch<Image<i8, 8, 48, 48>, Const<1>> = Batch::default();
    /// dw.infer(&Batch::<Image<i8, 8, 96, 96>, Const<1>>::default(), &mut y);
    /// ```
    DepthwiseConv2d, "int8::DepthwiseConv2d", filter channels: 1, op: OpKind::DepthwiseConv2d { multiplier: COUT / if CIN == 0 { 1 } else { CIN } }, depthwise: true
}
