//! What a layer receives in training mode and not at inference.

use rand::SeedableRng;
use rand::rngs::SmallRng;

/// The training side of a forward pass (the book's `train_flg=True`): a
/// seeded source of randomness for layers such as
/// [`Dropout`](crate::Dropout). Inference ([`Layer::infer`](crate::Layer::infer))
/// gets none, so it is deterministic and runs through `&self`.
///
/// Whoever runs the training owns it: the [`Trainer`](crate::train::Trainer)
/// seeds one per thread from its seed, a hand-written loop keeps one in its
/// [`Workspace`](crate::Workspace). The same seed gives the same masks, so
/// runs are reproducible.
///
/// ```
/// use typenet::Training;
/// use rand::RngExt;
///
/// let (mut a, mut b) = (Training::new(7), Training::new(7));
/// let x: u32 = a.rng().random();
/// assert_eq!(x, b.rng().random::<u32>());
/// ```
#[derive(Clone, Debug)]
pub struct Training {
    rng: SmallRng,
}

impl Training {
    /// Training randomness from `seed`.
    pub fn new(seed: u64) -> Self {
        Training {
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// The random generator (a fast, non-cryptographic one).
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }
}

impl Default for Training {
    /// Seed 0.
    fn default() -> Self {
        Training::new(0)
    }
}
