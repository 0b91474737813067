//! A small fork-join pool for splitting one matrix product over threads.
//!
//! Training steps are short (~100 µs) and call the pool a few times each, so
//! spawning threads or waking them through the OS per call would cost more
//! than it saves. Helpers are started once, spin briefly between jobs, and
//! park when idle; the caller always does part 0 itself.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, TryLockError};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// The most threads a product is split over.
pub(crate) const MAX_THREADS: usize = 8;

static THREADS: AtomicUsize = AtomicUsize::new(1);

thread_local! {
    /// Set on threads that already split the work themselves (data-parallel
    /// training): their products stay on the thread.
    static SERIAL: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Lets the matrix kernels split large products over `n` threads (at most
/// 8; 1, the default, keeps everything on the calling thread). The extra
/// threads are started on first use and spin for about 50 µs after each job
/// before they sleep, so a training loop keeps them warm.
pub fn set_threads(n: usize) {
    THREADS.store(n.clamp(1, MAX_THREADS), Ordering::Relaxed);
}

/// The number of threads the kernels may use (1 on a thread that is itself
/// one of several training in parallel).
pub fn threads() -> usize {
    if SERIAL.with(core::cell::Cell::get) {
        1
    } else {
        THREADS.load(Ordering::Relaxed)
    }
}

/// The configured thread count, whatever the calling thread's role.
pub(crate) fn configured_threads() -> usize {
    THREADS.load(Ordering::Relaxed)
}

/// Runs `f` with this thread's products kept on this thread.
pub(crate) fn serially<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SERIAL.with(|s| s.replace(true)));
    f()
}

/// A barrier for a fixed group of threads that spins while waits are short
/// (a training step's phases take microseconds) and naps when they are not.
pub(crate) struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
}

impl SpinBarrier {
    pub(crate) fn new(parties: usize) -> Self {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Returns `true` once all `parties` threads have called `wait` for
    /// this round, or `false` as soon as `stopped` is set.
    pub(crate) fn wait(&self, stopped: &AtomicBool) -> bool {
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return !stopped.load(Ordering::Acquire);
        }
        wait_until(
            || self.generation.load(Ordering::Acquire) != generation || stopped.load(Ordering::Acquire),
            || thread::sleep(Duration::from_micros(20)),
        );
        !stopped.load(Ordering::Acquire)
    }
}

/// Spins until `ready()`; once that has taken longer than [`SPIN`], calls
/// `nap()` between checks instead, so an idle thread stops using its core.
fn wait_until(mut ready: impl FnMut() -> bool, nap: impl Fn()) {
    let started = Instant::now();
    let mut spins = 0u32;
    while !ready() {
        spins = spins.wrapping_add(1);
        // reading the clock costs more than a spin: look every 256
        if !spins.is_multiple_of(256) || started.elapsed() < SPIN {
            std::hint::spin_loop();
        } else {
            nap();
        }
    }
}

/// A type-erased job: a pointer to the caller's `Fn(usize)` and the number
/// of parts.
#[derive(Clone, Copy)]
struct Job {
    run: *const (dyn Fn(usize) + Sync),
    parts: usize,
}

// SAFETY: the pointee is `Sync`, and `run_parts` keeps it alive until every
// helper that was given the job has finished with it.
unsafe impl Send for Job {}

struct Pool {
    generation: AtomicU64,
    job: Mutex<(u64, Option<Job>)>,
    remaining: AtomicUsize,
    panicked: AtomicBool,
    helpers: Mutex<Vec<Thread>>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        generation: AtomicU64::new(0),
        job: Mutex::new((0, None)),
        remaining: AtomicUsize::new(0),
        panicked: AtomicBool::new(false),
        helpers: Mutex::new(Vec::new()),
    })
}

/// How long an idle helper spins before it parks.
const SPIN: Duration = Duration::from_micros(50);

/// A helper's life: wait for a generation after `seen`, run its part of that
/// job, repeat.
fn helper(index: usize, mut seen: u64) {
    let pool = pool();
    loop {
        wait_until(
            || pool.generation.load(Ordering::Acquire) != seen,
            || thread::park_timeout(Duration::from_millis(10)),
        );
        let (generation, job) = *pool.job.lock().unwrap_or_else(|e| e.into_inner());
        seen = generation;
        let Some(job) = job else { continue };
        if index < job.parts {
            // SAFETY: the caller of `run_parts` is blocked until `remaining`
            // reaches zero, and this helper decrements it only after the
            // call, so `job.run` is alive here.
            let run = unsafe { &*job.run };
            if catch_unwind(AssertUnwindSafe(|| run(index))).is_err() {
                pool.panicked.store(true, Ordering::Relaxed);
            }
            pool.remaining.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Serialises jobs: one product at a time owns the helpers.
static BUSY: Mutex<()> = Mutex::new(());

/// Runs `run(0)`, …, `run(parts - 1)`, part 0 on this thread and the others
/// on helpers, and returns when all are done. `parts` is at most
/// [`MAX_THREADS`]. Falls back to running every part here if another job is
/// in flight (a product called from inside a part, or from another thread).
pub(crate) fn run_parts(parts: usize, run: &(dyn Fn(usize) + Sync)) {
    debug_assert!(parts <= MAX_THREADS);
    let _busy = match BUSY.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(e)) => e.into_inner(),
        Err(TryLockError::WouldBlock) => {
            (0..parts).for_each(run);
            return;
        }
    };
    if parts <= 1 {
        (0..parts).for_each(run);
        return;
    }
    let pool = pool();
    {
        let mut helpers = pool.helpers.lock().unwrap_or_else(|e| e.into_inner());
        while helpers.len() < parts - 1 {
            let index = helpers.len() + 1;
            // the job about to be posted is the first this helper must see
            let seen = pool.generation.load(Ordering::Acquire);
            let spawned = thread::Builder::new()
                .name(format!("typenet-{index}"))
                .spawn(move || helper(index, seen));
            match spawned {
                Ok(handle) => helpers.push(handle.thread().clone()),
                Err(_) => break,
            }
        }
        if helpers.len() < parts - 1 {
            drop(helpers);
            (0..parts).for_each(run);
            return;
        }
        pool.remaining.store(parts - 1, Ordering::Release);
        pool.panicked.store(false, Ordering::Relaxed);
        let mut slot = pool.job.lock().unwrap_or_else(|e| e.into_inner());
        let generation = pool.generation.load(Ordering::Relaxed) + 1;
        // The pointer's lifetime is erased here; `Wait` below restores the
        // guarantee by not letting this function return (or unwind) before
        // the helpers are done.
        let run: *const (dyn Fn(usize) + Sync + '_) = run;
        // SAFETY: only the lifetime changes; see above.
        let run: *const (dyn Fn(usize) + Sync + 'static) = unsafe { std::mem::transmute(run) };
        *slot = (generation, Some(Job { run, parts }));
        pool.generation.store(generation, Ordering::Release);
        drop(slot);
        for h in helpers.iter().take(parts - 1) {
            h.unpark();
        }
    }

    /// Waits for the helpers even if part 0 panics.
    struct Wait(&'static Pool);
    impl Drop for Wait {
        fn drop(&mut self) {
            while self.0.remaining.load(Ordering::Acquire) != 0 {
                std::hint::spin_loop();
            }
        }
    }
    let wait = Wait(pool);
    run(0);
    drop(wait);
    assert!(
        !pool.panicked.load(Ordering::Relaxed),
        "a typenet helper thread panicked"
    );
}

/// Calls `f` on every item, items spread over up to `items.len()` threads.
pub(crate) fn for_each_mut<T: Send>(items: &mut [T], f: &(dyn Fn(&mut T) + Sync)) {
    struct Items<T>(*mut T, usize);
    // SAFETY: each index is handed to exactly one part, so the `&mut T`s
    // made from it never alias; `T: Send` lets them cross threads.
    unsafe impl<T: Send> Sync for Items<T> {}
    let items = &Items(items.as_mut_ptr(), items.len());
    run_parts(items.1, &|i| {
        assert!(i < items.1);
        // SAFETY: `i` is in bounds and distinct per call (see `Items`).
        f(unsafe { &mut *items.0.add(i) })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_and_results_land() {
        let mut items = [0usize; 4];
        for round in 1..=20 {
            for_each_mut(&mut items, &|x| *x += round);
        }
        assert_eq!(items, [210; 4]);
    }

    #[test]
    fn a_panicking_part_is_reported_after_all_parts_finish() {
        let mut items = [0u32, 1];
        let r = catch_unwind(AssertUnwindSafe(|| {
            for_each_mut(&mut items, &|x| {
                *x += 10;
                assert!(*x != 11, "part 1 fails");
            })
        }));
        assert!(r.is_err());
        assert_eq!(items[0], 10);
        // the pool still works afterwards
        let mut more = [1u8; 3];
        for_each_mut(&mut more, &|x| *x *= 2);
        assert_eq!(more, [2; 3]);
    }
}
