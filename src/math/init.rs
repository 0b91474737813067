//! How a layer's weights start: the book's N(0, σ²) with a fixed σ, or σ
//! scaled to the layer's fan-in (Xavier, He).

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::Scalar;

/// A weight initialiser. Biases always start at zero.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Every weight 0.
    Zeros,
    /// N(0, σ²) with the given σ (the book's `weight_init_std`, 0.01).
    Normal(f64),
    /// N(0, 1/n) for a layer with n inputs: keeps sigmoid activations spread.
    Xavier,
    /// N(0, 2/n) for a layer with n inputs: keeps ReLU activations spread.
    He,
}

impl Init {
    /// The standard deviation for a layer with `fan_in` inputs.
    pub fn std(self, fan_in: usize) -> f64 {
        let n = fan_in.max(1) as f64;
        match self {
            Init::Zeros => 0.0,
            Init::Normal(std) => std,
            Init::Xavier => num_traits::Float::sqrt(1.0 / n),
            Init::He => num_traits::Float::sqrt(2.0 / n),
        }
    }

    /// Fills `values` with draws from this initialiser for `fan_in` inputs.
    pub fn fill<T: Scalar, G: Rng + ?Sized>(self, values: &mut [T], fan_in: usize, rng: &mut G) {
        let std = self.std(fan_in);
        for v in values {
            *v = if std == 0.0 {
                T::ZERO
            } else {
                let z: f64 = StandardNormal.sample(rng);
                T::of(std * z)
            };
        }
    }
}
