//! Which samples make up each mini-batch.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::HyperParameterError;

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
    ///
    /// # Panics
    /// If `batch` or `samples` is 0 (every batch would be empty, and a loop
    /// over them would train on nothing); [`try_new`](Self::try_new)
    /// returns the error instead.
    #[track_caller]
    pub fn new(sampling: Sampling, samples: usize, batch: usize, seed: u64) -> Self {
        match Self::try_new(sampling, samples, batch, seed) {
            Ok(sampler) => sampler,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`new`](Self::new), or an error if `batch` or `samples` is 0.
    pub fn try_new(sampling: Sampling, samples: usize, batch: usize, seed: u64) -> Result<Self, HyperParameterError> {
        let of = "BatchSampler";
        HyperParameterError::check(of, "batch", batch as f64, batch > 0, "at least 1")?;
        HyperParameterError::check(of, "samples", samples as f64, samples > 0, "at least 1")?;
        Ok(BatchSampler {
            sampling,
            samples,
            batch,
            rng: StdRng::seed_from_u64(seed),
            order: (0..samples).collect(),
            next: samples,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A sampler of empty batches is refused: a loop over it would train on
    /// nothing and report nothing.
    #[test]
    fn empty_batches_are_refused() {
        for sampling in [Sampling::Shuffled, Sampling::WithReplacement] {
            let err = BatchSampler::try_new(sampling, 500, 0, 1).unwrap_err();
            assert_eq!(err.to_string(), "BatchSampler: batch must be at least 1, not 0");
            let err = BatchSampler::try_new(sampling, 0, 10, 1).unwrap_err();
            assert_eq!(err.name, "samples");
            let mut batch = Vec::new();
            BatchSampler::new(sampling, 500, 1, 1).next_batch(&mut batch);
            assert_eq!(batch.len(), 1);
        }
        let panicked = std::panic::catch_unwind(|| BatchSampler::new(Sampling::Shuffled, 500, 0, 1));
        assert!(panicked.is_err());
    }
}
