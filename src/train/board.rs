//! The task board of one data-parallel training run: the calling thread
//! posts a phase of a step (one task per replica), and any thread may take
//! any task that no thread has taken yet.
//!
//! A barrier makes every thread wait for the slowest, and on a shared
//! machine the slowest is the one the scheduler has parked behind another
//! process (with a busy loop on the second core, a 2-thread dense step
//! took over three times as long as one thread; the README's Speed section
//! has the figures). Here a parked helper's task is simply done by the
//! caller, which does not wait for a thread that is not running. Which
//! thread runs a task does not change its result: each replica keeps its
//! own net, optimizer, workspace and randomness, so a step's bits are the
//! same whoever computes it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::MAX_THREADS;

/// How long the calling thread spins for its helpers before it starts to
/// sleep: a training step's phases take microseconds, and a sleep costs
/// more than that.
const SPIN: Duration = Duration::from_micros(50);

/// How long a helper spins for the next post before it parks: longer than
/// a dense net's whole step, so that a helper is awake for the next step
/// even when the caller took the last one alone (a parked thread takes
/// tens of microseconds to wake, by which time the caller has done its
/// task and started on the helper's).
const HELPER_SPIN: Duration = Duration::from_millis(1);

/// The longest sleep between checks: a thread waiting through a long pause
/// (the caller evaluating, or a callback sleeping) wakes about a thousand
/// times a second, which costs next to nothing.
const LONGEST_NAP: Duration = Duration::from_millis(1);

/// A posted phase: `round · 4 + phase`, rounds counted from 1, so that
/// every post is larger than the one before and 0 means "none yet".
pub(crate) type Post = usize;

/// The phase a post is for.
pub(crate) fn phase(post: Post) -> usize {
    post % 4
}

/// Tasks `0..tasks` of the current post, each taken by one thread.
pub(crate) struct Board {
    tasks: usize,
    post: AtomicUsize,
    /// The post in which each task was last taken.
    taken: [AtomicUsize; MAX_THREADS],
    done: AtomicUsize,
    /// Helper threads asleep in [`wait_post`](Self::wait_post), to be
    /// woken by [`thread::Thread::unpark`] when a phase is posted.
    sleepers: AtomicUsize,
    stopped: AtomicBool,
}

impl Board {
    pub(crate) fn new(tasks: usize) -> Self {
        assert!((1..=MAX_THREADS).contains(&tasks));
        Board {
            tasks,
            post: AtomicUsize::new(0),
            taken: [const { AtomicUsize::new(0) }; MAX_THREADS],
            done: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// Posts `phase` (0 to 3) with every task open; the caller's thread
    /// only, once the previous post is done.
    pub(crate) fn post(&self, phase: usize) -> Post {
        let round = self.post.load(Ordering::Relaxed) / 4 + 1;
        let post = round * 4 + phase;
        // no task of the previous post is still running, so no thread adds
        // to `done` before it sees the new post, which it reads after this
        self.done.store(0, Ordering::Relaxed);
        // sequentially consistent with the sleepers' count, so that a
        // helper going to sleep either sees this post or is seen asleep
        self.post.store(post, Ordering::SeqCst);
        post
    }

    /// Whether a helper is asleep and must be woken for a post.
    pub(crate) fn has_sleepers(&self) -> bool {
        self.sleepers.load(Ordering::SeqCst) > 0
    }

    /// Takes the open tasks of `post`, `first` first and then the others
    /// in turn, running `task` on each, until none is left or the run
    /// stops: how many it ran.
    pub(crate) fn work(&self, post: Post, first: usize, mut task: impl FnMut(usize)) -> usize {
        let mut ran = 0;
        for k in 0..self.tasks {
            if self.is_stopped() {
                break;
            }
            let t = (first + k) % self.tasks;
            let taken = self.taken[t].load(Ordering::Relaxed);
            // a thread still holding an older post finds every task taken at
            // that post or later, and takes nothing
            if taken < post
                && self.taken[t]
                    .compare_exchange(taken, post, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                task(t);
                self.done.fetch_add(1, Ordering::AcqRel);
                ran += 1;
            }
        }
        ran
    }

    /// Waits until every task of the current post is done: `false` if the
    /// run stopped first.
    pub(crate) fn wait_done(&self) -> bool {
        wait(
            || self.done.load(Ordering::Acquire) == self.tasks || self.is_stopped(),
            SPIN,
            None,
        );
        !self.is_stopped()
    }

    /// Waits for a post after `seen`: `None` once the run is stopped.
    pub(crate) fn wait_post(&self, seen: Post) -> Option<Post> {
        let mut post = seen;
        wait(
            || {
                post = self.post.load(Ordering::SeqCst);
                post != seen || self.is_stopped()
            },
            HELPER_SPIN,
            Some(&self.sleepers),
        );
        (!self.is_stopped()).then_some(post)
    }

    /// Makes every present and future wait end at once.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}

/// Spins for `spin`, then sleeps ever longer, until `ready`. A thread counted in
/// `sleepers` sleeps parked, so that a post can wake it at once (it counts
/// itself, then looks again, then parks: a post it missed sees it counted).
fn wait(mut ready: impl FnMut() -> bool, spin: Duration, sleepers: Option<&AtomicUsize>) {
    let started = Instant::now();
    let mut nap = Duration::from_micros(20);
    let mut spins = 0u32;
    while !ready() {
        spins = spins.wrapping_add(1);
        // reading the clock costs more than a spin: look every 256
        if !spins.is_multiple_of(256) || started.elapsed() < spin {
            std::hint::spin_loop();
        } else {
            match sleepers {
                Some(sleepers) => {
                    sleepers.fetch_add(1, Ordering::SeqCst);
                    if !ready() {
                        thread::park_timeout(nap);
                    }
                    sleepers.fetch_sub(1, Ordering::SeqCst);
                }
                None => thread::sleep(nap),
            }
            nap = (nap * 2).min(LONGEST_NAP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Every task of every post runs exactly once, whichever threads take
    /// part, and a post is done only when all its tasks are.
    #[test]
    fn every_task_runs_once_per_post() {
        let board = Arc::new(Board::new(3));
        let runs: Arc<[AtomicUsize; 3]> = Arc::new([const { AtomicUsize::new(0) }; 3]);
        let helpers: Vec<_> = (1..3)
            .map(|t| {
                let (board, runs) = (board.clone(), runs.clone());
                thread::spawn(move || {
                    let mut seen = 0;
                    while let Some(post) = board.wait_post(seen) {
                        seen = post;
                        board.work(post, t, |task| {
                            runs[task].fetch_add(1, Ordering::SeqCst);
                        });
                    }
                })
            })
            .collect();
        for round in 1..=200 {
            let post = board.post(round % 3);
            assert_eq!(phase(post), round % 3);
            board.work(post, 0, |task| {
                runs[task].fetch_add(1, Ordering::SeqCst);
            });
            assert!(board.wait_done());
            for r in runs.iter() {
                assert_eq!(r.load(Ordering::SeqCst), round);
            }
        }
        board.stop();
        helpers.into_iter().for_each(|t| t.join().unwrap());
    }

    /// With no helper taking part, the caller does every task alone.
    #[test]
    fn the_caller_alone_does_every_task() {
        let board = Board::new(4);
        let mut ran = Vec::new();
        let post = board.post(1);
        board.work(post, 0, |t| ran.push(t));
        assert!(board.wait_done());
        assert_eq!(ran, [0, 1, 2, 3]);
        // a thread holding an older post takes nothing of a new one
        let newer = board.post(2);
        board.work(post, 0, |t| ran.push(t));
        assert_eq!(ran.len(), 4);
        board.work(newer, 2, |t| ran.push(t));
        assert_eq!(ran[4..], [2, 3, 0, 1]);
    }

    #[test]
    fn stopping_releases_a_waiting_thread() {
        let board = Arc::new(Board::new(2));
        let b = board.clone();
        let waiter = thread::spawn(move || b.wait_post(0));
        thread::sleep(Duration::from_millis(5));
        board.stop();
        assert_eq!(waiter.join().unwrap(), None);
        board.post(0);
        assert!(!board.wait_done());
    }
}
