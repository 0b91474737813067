//! The float layers a float `.tflite` model is made of, as operators:
//! [`Affine`] (FULLY_CONNECTED), [`Conv2d`] (CONV_2D), [`MaxPool2d`]
//! (MAX_POOL_2D), [`Relu`] (a fused activation) and [`SoftmaxWithLoss`]
//! (SOFTMAX). A float layer added to typenet (a depthwise convolution, an
//! average pool) becomes loadable from `.tflite` files with an impl like
//! these: its kind and window, and what it takes from
//! [`Setting::Float`].

use super::{Op, OpKind, Operator, Setting};
use crate::int8::{PaddingKind, WindowInfo};
use crate::model::Storage;
use crate::quant::QuantError;
use crate::{Affine, Conv2d, Element, MaxPool2d, Relu, Row, Scalar, SoftmaxWithLoss};

/// Copies f32 values into a float layer's, `f64`s exactly.
fn copy<T: Scalar>(what: &'static str, from: &[f32], to: &mut [T]) -> Result<(), QuantError> {
    crate::quant::check_len(what, to.len(), from.len())?;
    for (t, &f) in to.iter_mut().zip(from) {
        *t = T::of(f64::from(f));
    }
    Ok(())
}

fn float_weights<'a>(setting: &'a Setting<'_>, operator: &'static str) -> Result<(&'a [f32], &'a [f32]), QuantError> {
    match setting {
        Setting::Float { weights, bias } => Ok((weights, bias)),
        other => Err(other.refused(operator)),
    }
}

impl<X: Row<Scalar: Scalar>, const OUT: usize, S: Storage> Operator for Affine<X, OUT, S> {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::FullyConnected,
            element: <X::Scalar as Element>::DTYPE,
            window: None,
        }
    }

    /// Weights `[IN, OUT]` (this layer's layout), biases `[OUT]`.
    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        let (weights, bias) = float_weights(setting, "Affine")?;
        crate::quant::check_len("weights", X::WIDTH * OUT, weights.len())?;
        crate::quant::check_len("bias", OUT, bias.len())?;
        copy("weights", weights, self.weights_mut().as_flattened_mut())?;
        copy("bias", bias, self.bias_mut())
    }
}

impl<T: Scalar, const CIN: usize, const COUT: usize, const K: usize, const S: usize, const P: usize, St: Storage>
    Operator for Conv2d<T, CIN, COUT, K, S, P, St>
{
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Conv2d,
            element: T::DTYPE,
            window: Some(WindowInfo {
                kernel: (K, K),
                stride: (S, S),
                padding: PaddingKind::Symmetric(P),
            }),
        }
    }

    /// Weights `[COUT, CIN, K, K]`, biases `[COUT]`.
    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        let (weights, bias) = float_weights(setting, "Conv2d")?;
        crate::quant::check_len("weights", COUT * CIN * K * K, weights.len())?;
        crate::quant::check_len("bias", COUT, bias.len())?;
        copy("weights", weights, self.weights_mut())?;
        copy("bias", bias, self.bias_mut())
    }
}

impl<const PS: usize, const PST: usize> Operator for MaxPool2d<PS, PST> {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::MaxPool2d,
            element: crate::Dtype::F32,
            window: Some(WindowInfo {
                kernel: (PS, PS),
                stride: (PST, PST),
                padding: PaddingKind::Valid,
            }),
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Nothing => Ok(()),
            other => Err(other.refused("MaxPool2d")),
        }
    }
}

impl Operator for Relu {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Relu,
            element: crate::Dtype::F32,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Nothing => Ok(()),
            other => Err(other.refused("Relu")),
        }
    }
}

impl<const N: usize> Operator for SoftmaxWithLoss<N> {
    fn op(&self) -> Op {
        Op {
            kind: OpKind::Softmax,
            element: crate::Dtype::F32,
            window: None,
        }
    }

    fn set(&mut self, setting: &Setting<'_>) -> Result<(), QuantError> {
        match setting {
            Setting::Nothing => Ok(()),
            other => Err(other.refused("SoftmaxWithLoss")),
        }
    }
}
