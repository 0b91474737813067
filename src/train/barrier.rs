//! A barrier for the threads of one data-parallel training run.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a waiting thread spins before it starts to sleep: a training
/// step's phases take microseconds, and a sleep costs more than that.
const SPIN: Duration = Duration::from_micros(50);

/// The longest sleep between checks: a thread waiting through a long pause
/// (the caller evaluating, or a callback sleeping) wakes about a thousand
/// times a second, which costs next to nothing.
const LONGEST_NAP: Duration = Duration::from_millis(1);

/// A barrier for a fixed group of threads that spins while waits are short
/// and sleeps, ever longer, when they are not; any thread can stop it.
pub(crate) struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    stopped: AtomicBool,
}

impl SpinBarrier {
    pub(crate) fn new(parties: usize) -> Self {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// Returns `true` once all `parties` threads have called `wait` for
    /// this round, or `false` as soon as the barrier is stopped.
    pub(crate) fn wait(&self) -> bool {
        if self.parties == 1 {
            return !self.is_stopped();
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return !self.is_stopped();
        }
        let started = Instant::now();
        let mut nap = Duration::from_micros(20);
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation && !self.is_stopped() {
            spins = spins.wrapping_add(1);
            // reading the clock costs more than a spin: look every 256
            if !spins.is_multiple_of(256) || started.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                thread::sleep(nap);
                nap = (nap * 2).min(LONGEST_NAP);
            }
        }
        !self.is_stopped()
    }

    /// Makes every present and future `wait` return `false` at once.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn every_thread_passes_each_round_together() {
        let barrier = Arc::new(SpinBarrier::new(3));
        let counter = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (b, c) = (barrier.clone(), counter.clone());
                thread::spawn(move || {
                    for round in 1..=50 {
                        c.fetch_add(1, Ordering::SeqCst);
                        assert!(b.wait());
                        assert!(c.load(Ordering::SeqCst) >= 3 * round);
                        assert!(b.wait());
                    }
                })
            })
            .collect();
        for round in 1..=50 {
            counter.fetch_add(1, Ordering::SeqCst);
            assert!(barrier.wait());
            assert_eq!(counter.load(Ordering::SeqCst), 3 * round);
            assert!(barrier.wait());
        }
        threads.into_iter().for_each(|t| t.join().unwrap());
    }

    #[test]
    fn stopping_releases_a_waiting_thread() {
        let barrier = Arc::new(SpinBarrier::new(2));
        let b = barrier.clone();
        let waiter = thread::spawn(move || b.wait());
        thread::sleep(Duration::from_millis(5));
        barrier.stop();
        assert!(!waiter.join().unwrap());
        assert!(!barrier.wait());
    }
}
