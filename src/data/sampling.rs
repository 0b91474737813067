//! Which samples make up each mini-batch.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How mini-batches are drawn from a training set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sampling {
    /// Each batch draws its indices uniformly with replacement (the book's
    /// `np.random.choice(train_size, batch_size)`); an epoch is
    /// `max(n / batch, 1)` batches.
    #[default]
    WithReplacement,
    /// Each epoch visits every sample once in a fresh random order, in
    /// consecutive batches (the last one smaller if `batch` does not divide
    /// `n`).
    Shuffled,
}

/// A seeded stream of mini-batch indices.
#[derive(Debug)]
pub struct BatchSampler {
    sampling: Sampling,
    samples: usize,
    batch: usize,
    rng: StdRng,
    order: Vec<usize>,
    next: usize,
}

impl BatchSampler {
    /// Batches of `batch` indices below `samples`, drawn as `sampling` says,
    /// reproducibly from `seed`.
    pub fn new(sampling: Sampling, samples: usize, batch: usize, seed: u64) -> Self {
        BatchSampler {
            sampling,
            samples,
            batch,
            rng: StdRng::seed_from_u64(seed),
            order: (0..samples).collect(),
            next: samples,
        }
    }

    /// Batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        match self.sampling {
            Sampling::WithReplacement => (self.samples / self.batch.max(1)).max(1),
            Sampling::Shuffled => self.samples.div_ceil(self.batch.max(1)),
        }
    }

    /// Writes the next batch's indices into `out`.
    pub fn next_batch(&mut self, out: &mut Vec<usize>) {
        out.clear();
        if self.samples == 0 {
            return;
        }
        match self.sampling {
            Sampling::WithReplacement => {
                out.extend((0..self.batch).map(|_| self.rng.random_range(0..self.samples)));
            }
            Sampling::Shuffled => {
                if self.next >= self.samples {
                    // Fisher–Yates
                    for i in (1..self.samples).rev() {
                        let j = self.rng.random_range(0..=i);
                        self.order.swap(i, j);
                    }
                    self.next = 0;
                }
                let end = (self.next + self.batch).min(self.samples);
                out.extend_from_slice(&self.order[self.next..end]);
                self.next = end;
            }
        }
    }
}
