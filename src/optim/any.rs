//! Choosing an optimizer by name at run time.

use core::fmt;

use super::Update;
use crate::{AdaGrad, Adam, HyperParameterError, Momentum, Nesterov, Optimizer, RmsProp, Scalar, Sgd};

/// One of the book's optimizers, chosen at run time (e.g. from a command
/// line); it forwards to the one it holds.
///
/// ```
/// use typenet::optim::AnyOptimizer;
///
/// let adam = AnyOptimizer::<f32>::named("adam", None).unwrap();
/// assert_eq!(adam.name(), "adam");
/// assert!(AnyOptimizer::<f32>::named("lbfgs", None).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum AnyOptimizer<T> {
    /// [`Sgd`].
    Sgd(Sgd),
    /// [`Momentum`].
    Momentum(Momentum<T>),
    /// [`Nesterov`].
    Nesterov(Nesterov<T>),
    /// [`AdaGrad`].
    AdaGrad(AdaGrad<T>),
    /// [`RmsProp`].
    RmsProp(RmsProp<T>),
    /// [`Adam`].
    Adam(Adam<T>),
}

/// Why [`AnyOptimizer::named`] could not make an optimizer.
#[derive(Clone, Debug, PartialEq)]
pub enum UnknownOptimizer {
    /// A name that is not one of [`AnyOptimizer::NAMES`].
    Name(alloc::string::String),
    /// A learning rate the optimizer refuses.
    Rate(HyperParameterError),
}

impl fmt::Display for UnknownOptimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownOptimizer::Name(name) => write!(
                f,
                "unknown optimizer {name:?}; choose one of {}",
                AnyOptimizer::<f32>::NAMES.join(", ")
            ),
            UnknownOptimizer::Rate(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for UnknownOptimizer {}

impl<T: Scalar> AnyOptimizer<T> {
    /// The names [`named`](Self::named) accepts.
    pub const NAMES: [&'static str; 6] = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

    /// The optimizer called `name` (case-insensitive) with the book's
    /// default hyper-parameters, or with learning rate `lr` if given.
    pub fn named(name: &str, lr: Option<f64>) -> Result<Self, UnknownOptimizer> {
        let rate = UnknownOptimizer::Rate;
        Ok(match name.to_ascii_lowercase().as_str() {
            "sgd" => AnyOptimizer::Sgd(Sgd::try_new(lr.unwrap_or(0.01)).map_err(rate)?),
            "momentum" => AnyOptimizer::Momentum(Momentum::try_new(lr.unwrap_or(0.01), 0.9).map_err(rate)?),
            "nesterov" => AnyOptimizer::Nesterov(Nesterov::try_new(lr.unwrap_or(0.01), 0.9).map_err(rate)?),
            "adagrad" => AnyOptimizer::AdaGrad(AdaGrad::try_new(lr.unwrap_or(0.01)).map_err(rate)?),
            "rmsprop" => AnyOptimizer::RmsProp(RmsProp::try_new(lr.unwrap_or(0.01), 0.99).map_err(rate)?),
            "adam" => AnyOptimizer::Adam(Adam::try_new(lr.unwrap_or(0.001), 0.9, 0.999).map_err(rate)?),
            _ => return Err(UnknownOptimizer::Name(name.into())),
        })
    }

    /// The optimizer's name, as [`named`](Self::named) takes it.
    pub fn name(&self) -> &'static str {
        match self {
            AnyOptimizer::Sgd(_) => "sgd",
            AnyOptimizer::Momentum(_) => "momentum",
            AnyOptimizer::Nesterov(_) => "nesterov",
            AnyOptimizer::AdaGrad(_) => "adagrad",
            AnyOptimizer::RmsProp(_) => "rmsprop",
            AnyOptimizer::Adam(_) => "adam",
        }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            AnyOptimizer::Sgd(o) => o.lr(),
            AnyOptimizer::Momentum(o) => o.lr(),
            AnyOptimizer::Nesterov(o) => o.lr(),
            AnyOptimizer::AdaGrad(o) => o.lr(),
            AnyOptimizer::RmsProp(o) => o.lr(),
            AnyOptimizer::Adam(o) => o.lr(),
        }
    }
}

/// Calls `$f` on the optimizer an [`AnyOptimizer`] holds.
macro_rules! each {
    ($self:expr, $o:ident => $f:expr) => {
        match $self {
            AnyOptimizer::Sgd($o) => $f,
            AnyOptimizer::Momentum($o) => $f,
            AnyOptimizer::Nesterov($o) => $f,
            AnyOptimizer::AdaGrad($o) => $f,
            AnyOptimizer::RmsProp($o) => $f,
            AnyOptimizer::Adam($o) => $f,
        }
    };
}

impl<T: Scalar> Optimizer<T> for AnyOptimizer<T> {
    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        each!(self, o => Optimizer::<T>::begin_step(o, gradient_norm))
    }

    fn check(&mut self, t: Update<'_, T>) -> bool {
        each!(self, o => o.check(t))
    }

    fn update(&mut self, t: Update<'_, T>) {
        each!(self, o => o.update(t))
    }

    fn end_step(&mut self) {
        each!(self, o => Optimizer::<T>::end_step(o))
    }
}
