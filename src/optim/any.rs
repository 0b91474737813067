//! Choosing an optimizer by name at run time.

use core::fmt;

use crate::{AdaGrad, Adam, Momentum, Nesterov, Optimizer, RmsProp, Scalar, Sgd};

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

/// A name that is not one of [`AnyOptimizer::NAMES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOptimizer(pub alloc::string::String);

impl fmt::Display for UnknownOptimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown optimizer {:?}; choose one of {}",
            self.0,
            AnyOptimizer::<f32>::NAMES.join(", ")
        )
    }
}

impl core::error::Error for UnknownOptimizer {}

impl<T: Scalar> AnyOptimizer<T> {
    /// The names [`named`](Self::named) accepts.
    pub const NAMES: [&'static str; 6] = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"];

    /// The optimizer called `name` (case-insensitive) with the book's
    /// default hyper-parameters, or with learning rate `lr` if given.
    pub fn named(name: &str, lr: Option<f64>) -> Result<Self, UnknownOptimizer> {
        let mut chosen = match name.to_ascii_lowercase().as_str() {
            "sgd" => AnyOptimizer::Sgd(Sgd::new(0.01)),
            "momentum" => AnyOptimizer::Momentum(Momentum::default()),
            "nesterov" => AnyOptimizer::Nesterov(Nesterov::default()),
            "adagrad" => AnyOptimizer::AdaGrad(AdaGrad::default()),
            "rmsprop" => AnyOptimizer::RmsProp(RmsProp::default()),
            "adam" => AnyOptimizer::Adam(Adam::default()),
            _ => return Err(UnknownOptimizer(name.into())),
        };
        if let Some(lr) = lr {
            *chosen.lr_mut() = lr;
        }
        Ok(chosen)
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

    /// The learning rate, to read or change.
    pub fn lr_mut(&mut self) -> &mut f64 {
        match self {
            AnyOptimizer::Sgd(o) => &mut o.lr,
            AnyOptimizer::Momentum(o) => &mut o.lr,
            AnyOptimizer::Nesterov(o) => &mut o.lr,
            AnyOptimizer::AdaGrad(o) => &mut o.lr,
            AnyOptimizer::RmsProp(o) => &mut o.lr,
            AnyOptimizer::Adam(o) => &mut o.lr,
        }
    }
}

impl<T: Scalar> Optimizer<T> for AnyOptimizer<T> {
    fn begin_step(&mut self, gradient_norm: Option<f64>) {
        match self {
            AnyOptimizer::Sgd(o) => Optimizer::<T>::begin_step(o, gradient_norm),
            AnyOptimizer::Momentum(o) => o.begin_step(gradient_norm),
            AnyOptimizer::Nesterov(o) => o.begin_step(gradient_norm),
            AnyOptimizer::AdaGrad(o) => o.begin_step(gradient_norm),
            AnyOptimizer::RmsProp(o) => o.begin_step(gradient_norm),
            AnyOptimizer::Adam(o) => o.begin_step(gradient_norm),
        }
    }

    fn update(&mut self, tensor: usize, value: &mut [T], grad: &[T]) {
        match self {
            AnyOptimizer::Sgd(o) => o.update(tensor, value, grad),
            AnyOptimizer::Momentum(o) => o.update(tensor, value, grad),
            AnyOptimizer::Nesterov(o) => o.update(tensor, value, grad),
            AnyOptimizer::AdaGrad(o) => o.update(tensor, value, grad),
            AnyOptimizer::RmsProp(o) => o.update(tensor, value, grad),
            AnyOptimizer::Adam(o) => o.update(tensor, value, grad),
        }
    }
}
