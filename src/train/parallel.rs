//! Data-parallel training: each replica of the net and its optimizer
//! back-propagates its share of every batch; the replicas then average
//! their gradients (and running statistics) and all apply the same guarded
//! update, so they stay identical.
//!
//! Splitting each matrix product over threads instead moves the batch, the
//! gradients and the weights between the cores' caches several times per
//! step, which for a step of ~100 µs costs more than the second core saves.
//! Here a core reads only its own rows, its own weights, and once per step
//! the other replicas' gradients.
//!
//! There is one replica per thread, and each thread takes its own
//! replica's work first; but any thread may do any replica's work (the
//! [`Board`]), so a helper thread the scheduler has parked behind another
//! process does not hold up the step: the caller does its part. Each
//! replica owns its net, optimizer, workspace and randomness, so the
//! result does not depend on which thread computed what.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::TrainError;
use super::board::{self, Board};
use crate::Element;
use crate::data::Dataset;
use crate::model::WorkspaceOf;
use crate::optim::{NonFinite, StepTensors, Update, guarded_step};
use crate::{Batch, Dyn, Labels, Optimizer, ParamKind, Row, Scalar, TrainableNetwork};

/// The most threads a run uses.
pub const MAX_THREADS: usize = 8;

fn unpoisoned<G>(r: Result<G, PoisonError<G>>) -> G {
    r.unwrap_or_else(PoisonError::into_inner)
}

/// The phases of a step, each one task per replica.
const GRADIENT: usize = 0;
const AVERAGE: usize = 1;
const UPDATE: usize = 2;

/// One replica's buffers: its share of the batch, its workspace (with its
/// own training randomness), and the averaged gradient and buffers.
struct Local<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, const C: usize> {
    ws: WorkspaceOf<N, In, Dyn>,
    x: Batch<In>,
    t: Labels<C>,
    mean: Vec<In::Scalar>,
    mean_buffers: Vec<In::Scalar>,
    /// The buffers at the start of a step, for a step taken alone.
    start_buffers: Vec<In::Scalar>,
}

/// What the threads share while training: the replicas and the step's
/// inputs and outcomes, each replica's parts behind its own lock (a task
/// locks only what its phase touches, and phases never overlap).
struct Shared<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, O, const C: usize> {
    replicas: usize,
    board: Board,
    data: Dataset<In, C>,
    /// The current batch's indices.
    indices: RwLock<Vec<usize>>,
    /// The replicas' nets; replica 0 is the one [`DataParallel::net`] shows.
    nets: Vec<RwLock<N>>,
    optimizers: Vec<Mutex<O>>,
    locals: Vec<Mutex<Local<In, N, C>>>,
    /// Each replica's (rows, mean loss) for the current step.
    reports: Mutex<[(usize, f64); MAX_THREADS]>,
    /// Each replica's update: applied, or refused for a non-finite value.
    updates: Mutex<[Result<(), NonFinite>; MAX_THREADS]>,
    /// Why a helper thread stopped, if one did.
    failure: Mutex<Option<String>>,
    /// Keeps the helper threads from taking tasks, as a scheduler that
    /// parks them does.
    #[cfg(test)]
    held: std::sync::atomic::AtomicBool,
}

impl<In, N, O, const C: usize> Shared<In, N, O, C>
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In, Out = [In::Scalar; C]>,
    O: Optimizer<In::Scalar> + Clone,
{
    /// Replica `r`'s task in `phase`: back-propagate its rows; average all
    /// replicas' gradients and buffers into its own buffers; take the
    /// guarded update with the means. Every replica computes the same sums
    /// in the same order, so they stay identical, and all refuse or all
    /// apply a step.
    fn task(&self, phase: usize, r: usize) {
        let mut local = unpoisoned(self.locals[r].lock());
        let local = &mut *local;
        match phase {
            GRADIENT => {
                let indices = unpoisoned(self.indices.read());
                let rows = indices.len() * r / self.replicas..indices.len() * (r + 1) / self.replicas;
                let loss = self.gradient(&mut *unpoisoned(self.nets[r].write()), &indices[rows.clone()], local);
                unpoisoned(self.reports.lock())[r] = (rows.len(), loss);
            }
            AVERAGE => {
                let reports = *unpoisoned(self.reports.lock());
                self.average(local, &reports[..self.replicas]);
            }
            _ => {
                let averaged = self.replicas > 1;
                // The update reads the mean from the replica's own buffer
                // rather than copying it over the gradients, which the
                // other replicas have just read: rewriting those lines
                // would cost a round of cache invalidations between cores.
                let mut net = unpoisoned(self.nets[r].write());
                let stepped = guarded_step(
                    &mut *unpoisoned(self.optimizers[r].lock()),
                    &mut Averaged {
                        net: &mut *net,
                        mean: averaged.then_some(&local.mean[..]),
                        rows: core::marker::PhantomData,
                    },
                );
                if averaged {
                    let mut at = 0;
                    net.visit_params_mut(&mut |p| {
                        if p.kind == ParamKind::Buffer {
                            p.value.copy_from_slice(&local.mean_buffers[at..at + p.value.len()]);
                            at += p.value.len();
                        }
                    });
                }
                unpoisoned(self.updates.lock())[r] = stepped;
            }
        }
    }

    /// The row-weighted mean of every replica's gradients and buffers.
    fn average(&self, local: &mut Local<In, N, C>, reports: &[(usize, f64)]) {
        let total = reports.iter().map(|r| r.0).sum::<usize>().max(1) as f64;
        for (j, (net, &(rows, _))) in self.nets.iter().zip(reports).enumerate() {
            let w = In::Scalar::of(rows as f64 / total);
            accumulate(&*unpoisoned(net.read()), w, j == 0, local);
        }
    }

    /// The gradient phase and the mean of a step on the calling thread
    /// alone, with the bits of [`average`](Self::average) after every
    /// replica's gradient task: each share of the batch is back-propagated
    /// through replica 0 (from the step's starting buffers, with its own
    /// replica's workspace and randomness) and added to the mean at once.
    /// The other replicas fall behind, until [`resync`](Self::resync).
    fn gradients_alone(&self) {
        let indices = unpoisoned(self.indices.read());
        let n = self.replicas;
        let total = indices.len().max(1) as f64;
        let mut net = unpoisoned(self.nets[0].write());
        let mut first = unpoisoned(self.locals[0].lock());
        let first = &mut *first;
        copy_buffers(&*net, &mut first.start_buffers);
        for r in 0..n {
            let rows = indices.len() * r / n..indices.len() * (r + 1) / n;
            if r > 0 {
                let mut at = 0;
                net.visit_params_mut(&mut |p| {
                    if p.kind == ParamKind::Buffer {
                        p.value.copy_from_slice(&first.start_buffers[at..at + p.value.len()]);
                        at += p.value.len();
                    }
                });
            }
            let loss = if r == 0 {
                self.gradient(&mut *net, &indices[rows.clone()], first)
            } else {
                self.gradient(
                    &mut *net,
                    &indices[rows.clone()],
                    &mut *unpoisoned(self.locals[r].lock()),
                )
            };
            unpoisoned(self.reports.lock())[r] = (rows.len(), loss);
            accumulate(&*net, In::Scalar::of(rows.len() as f64 / total), r == 0, first);
        }
    }

    /// Replica 0's parameters, buffers and optimizer state copied into the
    /// others, which steps taken alone left behind.
    fn resync(&self) {
        let first = unpoisoned(self.nets[0].read());
        let optimizer = unpoisoned(self.optimizers[0].lock());
        for r in 1..self.replicas {
            let mut local = unpoisoned(self.locals[r].lock());
            let local = &mut *local;
            let (mut at, mut at_buffer) = (0, 0);
            first.visit_params(&mut |p| {
                let target = match p.kind {
                    ParamKind::Buffer => &mut local.mean_buffers[at_buffer..][..p.value.len()],
                    _ => &mut local.mean[at..][..p.value.len()],
                };
                target.copy_from_slice(p.value);
                match p.kind {
                    ParamKind::Buffer => at_buffer += p.value.len(),
                    _ => at += p.value.len(),
                }
            });
            let (mut at, mut at_buffer) = (0, 0);
            unpoisoned(self.nets[r].write()).visit_params_mut(&mut |p| {
                let source = match p.kind {
                    ParamKind::Buffer => &local.mean_buffers[at_buffer..][..p.value.len()],
                    _ => &local.mean[at..][..p.value.len()],
                };
                p.value.copy_from_slice(source);
                match p.kind {
                    ParamKind::Buffer => at_buffer += p.value.len(),
                    _ => at += p.value.len(),
                }
            });
            unpoisoned(self.optimizers[r].lock()).clone_from(&optimizer);
        }
    }

    /// Gathers `rows` into `local` and back-propagates them through `net`:
    /// the mean loss.
    fn gradient(&self, net: &mut N, rows: &[usize], local: &mut Local<In, N, C>) -> f64 {
        self.data.gather(rows, &mut local.x, &mut local.t);
        match net.gradient_with(&mut local.ws, &local.x, &local.t, None) {
            Ok(loss) => loss.as_f64(),
            Err(_) => f64::NAN, // the gather sizes both alike: unreachable
        }
    }

    /// Posts `phase`, works on it from replica 0 and waits until every
    /// replica's task is done (waking `helpers` if they sleep): how many
    /// tasks the calling thread did, `None` if the run stopped.
    fn run(&self, phase: usize, helpers: &[thread::Thread]) -> Option<usize> {
        let post = self.board.post(phase);
        if self.board.has_sleepers() {
            helpers.iter().for_each(thread::Thread::unpark);
        }
        let own = self.board.work(post, 0, |r| self.task(phase, r));
        self.board.wait_done().then_some(own)
    }
}

/// Adds `w` times `net`'s gradients and buffers to `local`'s means (or
/// sets them, for the `first` replica).
fn accumulate<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, const C: usize>(
    net: &N,
    w: In::Scalar,
    first: bool,
    local: &mut Local<In, N, C>,
) {
    let (mut at, mut at_buffer) = (0, 0);
    net.visit_params(&mut |p| {
        let (source, target) = match p.kind {
            ParamKind::Buffer => {
                at_buffer += p.value.len();
                (p.value, &mut local.mean_buffers[at_buffer - p.value.len()..at_buffer])
            }
            _ => {
                at += p.grad.len();
                (p.grad, &mut local.mean[at - p.grad.len()..at])
            }
        };
        if first {
            crate::kernels::scale(w, source, target);
        } else {
            crate::kernels::axpy(w, source, target);
        }
    });
}

/// `net`'s buffers (running statistics) copied into `into`.
fn copy_buffers<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>>(net: &N, into: &mut [In::Scalar]) {
    let mut at = 0;
    net.visit_params(&mut |p| {
        if p.kind == ParamKind::Buffer {
            into[at..at + p.value.len()].copy_from_slice(p.value);
            at += p.value.len();
        }
    });
}

/// When the calling thread lets helpers take part. Steps taken alone (the
/// first few, and those after a stall) measure what a step costs the
/// caller alone, steps in which helpers did tasks what it costs with them
/// (running means of both); when the second is more than nine tenths of
/// the first, the helpers stall: one is parked in the middle of its task,
/// or shares a core with the caller. After a stall the caller works
/// alone for `backoff` steps, then tries the helpers again; each stall in a
/// row doubles the wait, so on a machine whose other cores stay busy the
/// tries cost a stall every few thousand steps. Two steps in a row in which
/// no helper took a task at all (the scheduler runs none) also send the
/// caller alone, for the shortest wait.
struct Pacing {
    backoff: usize,
    alone_until: usize,
    /// Whether steps taken alone have left replicas 1… behind.
    behind: bool,
    /// The running mean time of a step taken alone.
    alone: Option<Duration>,
    /// The running mean time of a step with helpers, since they last came
    /// back.
    helped: Option<Duration>,
    /// Steps in a row in which no helper took a task.
    absent: usize,
    /// Whether the helpers have just come back, to a step that is not yet
    /// a fair measure of them.
    warming: bool,
}

impl Pacing {
    const FIRST_BACKOFF: usize = 16;
    const LONGEST_BACKOFF: usize = 4096;
    /// The first steps are taken alone, to measure; the very first pays
    /// for cold caches and is not counted.
    const MEASURED_FIRST: usize = 4;

    fn new() -> Self {
        Pacing {
            backoff: Self::FIRST_BACKOFF,
            alone_until: Self::MEASURED_FIRST,
            behind: false,
            alone: None,
            helped: None,
            absent: 0,
            warming: true,
        }
    }

    /// Whether helpers take part in step `step`.
    fn helpers_at(&self, step: usize) -> bool {
        step >= self.alone_until
    }

    /// Learns from step `step`, which took `took`: alone, with helpers, or
    /// offered to helpers that took no task.
    fn after(&mut self, step: usize, took: Duration, how: Taken) {
        match how {
            Taken::Alone if step > 0 => {
                self.alone = Some(self.alone.map_or(took, |mean| (mean * 3 + took) / 4));
            }
            Taken::Alone => {}
            // the first step back with helpers pays for the catching up
            // and for the helpers' cold caches: it says nothing
            Taken::Helped if self.warming => {
                self.absent = 0;
                self.warming = false;
            }
            Taken::Helped => {
                self.absent = 0;
                // a running mean, so that one step slowed by an interrupt
                // or a page fault does not send the caller alone
                let helped = self.helped.map_or(took, |mean| (mean * 3 + took) / 4);
                self.helped = Some(helped);
                if self.alone.is_some_and(|alone| helped * 10 > alone * 9) {
                    self.alone_until = step + 1 + self.backoff;
                    self.backoff = (self.backoff * 2).min(Self::LONGEST_BACKOFF);
                    self.helped = None;
                } else {
                    self.backoff = Self::FIRST_BACKOFF;
                }
            }
            Taken::Unhelped => {
                self.absent += 1;
                if self.absent >= 2 {
                    self.absent = 0;
                    self.alone_until = step + 1 + Self::FIRST_BACKOFF;
                }
            }
        }
    }
}

/// How a step was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Taken {
    Alone,
    Helped,
    Unhelped,
}

/// A replica's tensors with the averaged gradients of all replicas (or,
/// alone, its own).
struct Averaged<'a, In: Row<Scalar: Scalar>, N> {
    net: &'a mut N,
    mean: Option<&'a [In::Scalar]>,
    rows: core::marker::PhantomData<In>,
}

impl<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>> StepTensors<In::Scalar> for Averaged<'_, In, N> {
    fn each(&mut self, f: &mut impl FnMut(Update<'_, In::Scalar>)) {
        let (mut at, mut index, mean) = (0, 0, self.mean);
        self.net.visit_params_mut(&mut |p| {
            if p.kind.is_trained() {
                let grad = match mean {
                    Some(mean) => &mean[at..at + p.grad.len()],
                    None => &*p.grad,
                };
                at += p.grad.len();
                f(Update {
                    index,
                    layer: p.layer,
                    name: p.name,
                    kind: p.kind,
                    value: p.value,
                    grad,
                });
                index += 1;
            }
        });
    }
}

/// Stops and joins the helper threads when dropped, also while unwinding,
/// so no thread outlives the run or waits for one that is gone.
struct Helpers<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, O, const C: usize> {
    shared: Arc<Shared<In, N, O, C>>,
    handles: Vec<JoinHandle<()>>,
}

impl<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, O, const C: usize> Drop for Helpers<In, N, O, C> {
    fn drop(&mut self) {
        self.shared.board.stop();
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

/// The text of a panic's payload.
pub(super) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}

/// Training on several threads, one step at a time, for a hand-written
/// loop as for the [`Trainer`](super::Trainer): `threads` replicas of the
/// net and the optimizer, each back-propagating its share of every batch;
/// gradients and running statistics are averaged and every replica takes
/// the same guarded step. With one thread a step is simply gather,
/// back-propagate, check, update, on the calling thread.
///
/// Each thread does its own replica's part of a step first, then any part
/// no thread has started: when the scheduler parks a helper thread (a
/// service shares its cores), the calling thread does that replica's part
/// itself instead of waiting, and the step's result is the same bits.
///
/// The helper threads live as long as this value; a panic in one is
/// reported by the next [`step`](DataParallel::step) with its message. A
/// panic on the calling thread during a step (a layer's, which the caller
/// may catch) stops the run too: the replicas are then at different points
/// of the step, so every later step is refused rather than run out of
/// step.
///
/// ```no_run
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::data::{Dataset, MnistFiles, Pixels};
/// use typenet::prelude::*;
/// use typenet::train::DataParallel;
///
/// let files = MnistFiles::find("data/mnist")?;
/// let train = Dataset::<[f32; 784], 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
/// let net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut StdRng::seed_from_u64(0));
/// let mut parallel = DataParallel::new(net, Sgd::new(0.1), train.clone(), 2, 42)?;
/// for step in 0..100 {
///     let batch: Vec<usize> = (0..100).map(|i| (step * 100 + i) % train.len()).collect();
///     let loss = parallel.step(&batch)?;
///     assert!(loss.is_finite());
/// }
/// let (net, _sgd) = parallel.into_parts();
/// # let _ = net;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct DataParallel<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, O, const C: usize> {
    helpers: Helpers<In, N, O, C>,
    /// The helper threads, to wake when they sleep.
    wake: Vec<thread::Thread>,
    pacing: Pacing,
    steps: usize,
}

impl<In, N, O, const C: usize> DataParallel<In, N, O, C>
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In, Out = [In::Scalar; C]> + Clone + Send + Sync + 'static,
    O: Optimizer<In::Scalar> + Clone + Send + 'static,
{
    /// Starts `threads` replicas (at most [`MAX_THREADS`]) of `net` and
    /// `optimizer` on `data` (cloning a data set shares its samples).
    /// Replica `t` draws its training randomness from `seed + t`.
    ///
    /// # Errors
    /// [`TrainError::Threads`] if the system refuses a thread; the threads
    /// already started are stopped first.
    pub fn new(net: N, optimizer: O, data: Dataset<In, C>, threads: usize, seed: u64) -> Result<Self, TrainError> {
        Self::start(net, optimizer, data, threads, seed, None)
    }

    /// [`new`](Self::new), with helper threads of `stack` bytes if given.
    fn start(
        net: N,
        optimizer: O,
        data: Dataset<In, C>,
        threads: usize,
        seed: u64,
        stack: Option<usize>,
    ) -> Result<Self, TrainError> {
        let wanted = threads;
        let threads = threads.clamp(1, MAX_THREADS);
        if wanted != threads {
            return Err(TrainError::ThreadCount { requested: wanted });
        }
        let (mut params, mut buffers) = (0, 0);
        net.visit_params(&mut |p| match p.kind {
            ParamKind::Buffer => buffers += p.value.len(),
            _ => params += p.value.len(),
        });
        let local = |t: usize| Local {
            ws: crate::Workspace::seeded(seed.wrapping_add(t as u64)),
            x: Batch::zeros(0),
            t: Labels::default(),
            mean: vec![In::Scalar::ZERO; if threads > 1 { params } else { 0 }],
            mean_buffers: vec![In::Scalar::ZERO; if threads > 1 { buffers } else { 0 }],
            start_buffers: vec![In::Scalar::ZERO; if threads > 1 && t == 0 { buffers } else { 0 }],
        };
        let shared = Arc::new(Shared {
            replicas: threads,
            board: Board::new(threads),
            data,
            indices: RwLock::new(Vec::new()),
            nets: (0..threads).map(|_| RwLock::new(net.clone())).collect(),
            optimizers: (0..threads).map(|_| Mutex::new(optimizer.clone())).collect(),
            locals: (0..threads).map(|t| Mutex::new(local(t))).collect(),
            reports: Mutex::new([(0, 0.0); MAX_THREADS]),
            updates: Mutex::new([Ok(()); MAX_THREADS]),
            failure: Mutex::new(None),
            #[cfg(test)]
            held: std::sync::atomic::AtomicBool::new(false),
        });
        let mut helpers = Helpers {
            shared: shared.clone(),
            handles: Vec::with_capacity(threads - 1),
        };
        for t in 1..threads {
            let shared = shared.clone();
            let builder = thread::Builder::new().name(format!("typenet-train-{t}"));
            let builder = match stack {
                Some(bytes) => builder.stack_size(bytes),
                None => builder,
            };
            match builder.spawn(move || helper(&shared, t)) {
                Ok(handle) => helpers.handles.push(handle),
                // dropping `helpers` stops and joins those already started
                Err(error) => {
                    return Err(TrainError::Threads {
                        requested: threads,
                        started: t,
                        error: error.to_string(),
                    });
                }
            }
        }
        Ok(DataParallel {
            wake: helpers.handles.iter().map(|h| h.thread().clone()).collect(),
            helpers,
            pacing: Pacing::new(),
            steps: 0,
        })
    }

    /// One training step on the samples at `indices`: every replica gathers
    /// and back-propagates its share, the gradients are averaged, and every
    /// replica takes the same guarded step. Returns the batch's mean loss.
    ///
    /// # Errors
    /// [`TrainError::NonFinite`] (and no update anywhere) if the loss, a
    /// gradient or an updated parameter would not be finite;
    /// [`TrainError::IndexOutOfRange`] for an index past the data set;
    /// [`TrainError::ZeroBatchSize`] for no indices;
    /// [`TrainError::ThreadPanicked`] if a helper thread died, with its
    /// message, or if an earlier step panicked on the calling thread (a
    /// layer's panic, caught by the caller): the replicas are out of step
    /// after that, and the run cannot go on.
    pub fn step(&mut self, indices: &[usize]) -> Result<f64, TrainError> {
        let shared = &*self.helpers.shared;
        if indices.is_empty() {
            return Err(TrainError::ZeroBatchSize);
        }
        if let Some(&index) = indices.iter().find(|&&i| i >= shared.data.len()) {
            return Err(TrainError::IndexOutOfRange {
                index,
                samples: shared.data.len(),
            });
        }
        let stopped = || TrainError::ThreadPanicked(unpoisoned(shared.failure.lock()).clone().unwrap_or_default());
        if shared.board.is_stopped() {
            return Err(stopped());
        }
        {
            let mut order = unpoisoned(shared.indices.write());
            order.clear();
            order.extend_from_slice(indices);
        }
        let step = self.steps;
        self.steps += 1;
        // A panic on this thread in the middle of the step (a layer's,
        // caught by the caller) leaves the replicas at different points of
        // the step: stop the run, so that every later step is refused
        // instead of pairing up the wrong phases.
        struct Unwinding<'a>(&'a Board, &'a Mutex<Option<String>>, usize);
        impl Drop for Unwinding<'_> {
            fn drop(&mut self) {
                if thread::panicking() {
                    unpoisoned(self.1.lock()).get_or_insert(format!(
                        "step {} panicked on the calling thread, which leaves the replicas out of step; \
                         the run cannot go on",
                        self.2
                    ));
                    self.0.stop();
                }
            }
        }
        let _unwinding = Unwinding(&shared.board, &shared.failure, step);
        let started = Instant::now();
        let mut taken = if shared.replicas > 1 && !self.pacing.helpers_at(step) {
            shared.gradients_alone();
            Taken::Alone
        } else {
            if self.pacing.behind {
                shared.resync();
                self.pacing.behind = false;
                self.pacing.warming = true;
            }
            match shared.run(GRADIENT, &self.wake) {
                None => return Err(stopped()),
                Some(own) if own < shared.replicas => Taken::Helped,
                Some(_) => Taken::Unhelped,
            }
        };
        if shared.replicas == 1 {
            taken = Taken::Helped;
        }
        let reports = *unpoisoned(shared.reports.lock());
        let reports = &reports[..shared.replicas];
        let total = reports.iter().map(|r| r.0).sum::<usize>().max(1) as f64;
        let loss: f64 = reports.iter().map(|&(rows, loss)| rows as f64 / total * loss).sum();
        if !loss.is_finite() {
            return Err(TrainError::NonFinite {
                step,
                loss,
                what: NonFinite::Loss,
            });
        }
        match taken {
            // no helper is at work: replica 0 alone takes the update, and
            // the others catch up when helpers are back
            Taken::Alone | Taken::Unhelped => {
                if taken == Taken::Unhelped {
                    shared.task(AVERAGE, 0);
                }
                shared.task(UPDATE, 0);
                self.pacing.behind = true;
            }
            Taken::Helped => {
                if shared.replicas > 1 && shared.run(AVERAGE, &self.wake).is_none() {
                    return Err(stopped());
                }
                if shared.run(UPDATE, &self.wake).is_none() {
                    return Err(stopped());
                }
            }
        }
        if shared.replicas > 1 {
            self.pacing.after(step, started.elapsed(), taken);
        }
        match unpoisoned(shared.updates.lock())[0] {
            Ok(()) => Ok(loss),
            Err(what) => Err(TrainError::NonFinite { step, loss, what }),
        }
    }

    /// The net being trained (replica 0; all replicas are equal between
    /// steps).
    pub fn net(&self) -> impl std::ops::Deref<Target = N> + '_ {
        unpoisoned(self.helpers.shared.nets[0].read())
    }

    /// The optimizer of replica 0, with its state.
    pub fn optimizer(&self) -> impl std::ops::Deref<Target = O> + '_ {
        unpoisoned(self.helpers.shared.optimizers[0].lock())
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.helpers.shared.replicas
    }

    /// Stops the helper threads and returns the trained net and optimizer.
    pub fn into_parts(self) -> (N, O) {
        let DataParallel { helpers, .. } = self;
        let shared = helpers.shared.clone();
        drop(helpers);
        match Arc::try_unwrap(shared) {
            Ok(shared) => {
                let net = shared.nets.into_iter().next().map(|n| unpoisoned(n.into_inner()));
                let optimizer = shared.optimizers.into_iter().next().map(|o| unpoisoned(o.into_inner()));
                (net.expect("replica 0 exists"), optimizer.expect("replica 0 exists"))
            }
            // every helper has been joined, so no other owner is left
            Err(shared) => (
                unpoisoned(shared.nets[0].read()).clone(),
                unpoisoned(shared.optimizers[0].lock()).clone(),
            ),
        }
    }
}

/// A helper thread's life: wait for a phase to be posted, do its replica's
/// task and any other still open, until the run stops. A panic is caught
/// and its message left for the caller.
fn helper<In, N, O, const C: usize>(shared: &Shared<In, N, O, C>, t: usize)
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In, Out = [In::Scalar; C]>,
    O: Optimizer<In::Scalar> + Clone,
{
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut seen = 0;
        while let Some(post) = shared.board.wait_post(seen) {
            seen = post;
            #[cfg(test)]
            while shared.held.load(std::sync::atomic::Ordering::Relaxed) && !shared.board.is_stopped() {
                thread::yield_now();
            }
            shared.board.work(post, t, |r| shared.task(board::phase(post), r));
        }
    }));
    if let Err(payload) = run {
        let message = format!("training thread {t} panicked: {}", panic_message(&*payload));
        let mut failure: MutexGuard<'_, Option<String>> = unpoisoned(shared.failure.lock());
        failure.get_or_insert(message);
        drop(failure);
        // a payload whose own drop panics must not end this thread before
        // the run is stopped below
        let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
    }
    shared.board.stop();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Training;
    use crate::prelude::*;
    use std::sync::mpsc;
    use std::time::Duration;

    type Net = Chain![Affine<[f32; 3], 2>, Blowup, SoftmaxWithLoss<2>];

    /// A payload whose own drop panics, as the attack used.
    struct BadDrop;

    impl Drop for BadDrop {
        fn drop(&mut self) {
            panic!("and its drop panics too");
        }
    }

    /// Passes rows through, but panics on the first helper thread, with a
    /// message or with a [`BadDrop`] payload.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Blowup {
        bad_payload: bool,
    }

    impl crate::Tensors for Blowup {
        crate::tensors! {}
    }

    impl crate::Params<f32> for Blowup {}

    impl Layer<[f32; 2]> for Blowup {
        type Out = [f32; 2];
        type Scratch<R: crate::Rows> = ();
        fn infer_with<R: crate::Rows>(&self, x: &Batch<[f32; 2], R>, y: &mut Batch<[f32; 2], R>, _: &mut ()) {
            y.set_rows(x.nrows());
            y.as_mut_slice().copy_from_slice(x.as_slice());
        }
    }

    impl crate::Trainable<[f32; 2]> for Blowup {
        type Cache<R: crate::Rows> = ();
        fn forward<R: crate::Rows>(
            &mut self,
            x: &Batch<[f32; 2], R>,
            y: &mut Batch<[f32; 2], R>,
            _: &mut (),
            _: &mut Training,
        ) {
            if thread::current().name() == Some("typenet-train-1") {
                if self.bad_payload {
                    std::panic::panic_any(BadDrop);
                }
                panic!("replica 1 gave up");
            }
            self.infer(x, y)
        }
        fn backward<R: crate::Rows>(
            &mut self,
            _: &Batch<[f32; 2], R>,
            _: &Batch<[f32; 2], R>,
            dy: &Batch<[f32; 2], R>,
            _: &mut (),
            dx: Option<&mut Batch<[f32; 2], R>>,
        ) {
            if let Some(dx) = dx {
                dx.set_rows(dy.nrows());
                dx.as_mut_slice().copy_from_slice(dy.as_slice());
            }
        }
    }

    fn parts(bad_payload: bool) -> (Net, Dataset<[f32; 3], 2>) {
        let net = Affine::zeros().then(Blowup { bad_payload }).then(SoftmaxWithLoss);
        let x = Batch::from_rows(vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]);
        let data = Dataset::new(x, Labels::from_slice(&[0, 1, 0, 1]).unwrap()).unwrap();
        (net, data)
    }

    /// Runs `f` on another thread and waits at most a minute: a hang fails
    /// the test instead of stalling the run.
    fn within_a_minute<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let (send, receive) = mpsc::channel();
        thread::spawn(move || send.send(f()));
        receive.recv_timeout(Duration::from_secs(60)).expect("hung")
    }

    /// A thread the system refuses (here: a stack no system grants) is an
    /// error, and the thread already started is stopped, not left waiting.
    #[test]
    fn a_refused_thread_is_an_error_not_a_hang() {
        let result = within_a_minute(|| {
            let (net, data) = parts(false);
            DataParallel::start(net, Sgd::new(0.1), data, 3, 0, Some(usize::MAX / 4)).map(|_| ())
        });
        let Err(TrainError::Threads {
            requested: 3,
            started: 1,
            error,
        }) = result
        else {
            panic!("{result:?}")
        };
        assert!(!error.is_empty());
    }

    /// A helper that panics ends the run with its message; the caller is
    /// not left spinning, also when the panic's payload panics on drop.
    #[test]
    fn a_panicking_helper_is_reported_with_its_message() {
        for bad_payload in [false, true] {
            let outcome = within_a_minute(move || {
                let (net, data) = parts(bad_payload);
                let mut training = DataParallel::new(net, Sgd::new(0.1), data, 2, 0).unwrap();
                // the helper thread takes part in a step once it runs: until
                // then the caller does its replica's part, and steps succeed
                let first = (0..100_000)
                    .map(|_| training.step(&[0, 1, 2, 3]))
                    .find(Result::is_err)
                    .expect("the helper thread takes part in some step");
                let second = training.step(&[0, 1, 2, 3]);
                (first, second)
            });
            let message = if bad_payload {
                "training thread 1 panicked: a panic with a non-text payload"
            } else {
                "training thread 1 panicked: replica 1 gave up"
            };
            assert_eq!(outcome.0, Err(TrainError::ThreadPanicked(message.into())));
            assert_eq!(outcome.1, outcome.0, "the run stays stopped");
        }
    }

    /// Panics once, in the training pass on the caller's thread, when
    /// [`ARMED`] is set; otherwise passes rows through.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct CallerPanics;

    static ARMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    impl crate::Tensors for CallerPanics {
        crate::tensors! {}
    }

    impl crate::Params<f32> for CallerPanics {}

    impl Layer<[f32; 2]> for CallerPanics {
        type Out = [f32; 2];
        type Scratch<R: crate::Rows> = ();
        fn infer_with<R: crate::Rows>(&self, x: &Batch<[f32; 2], R>, y: &mut Batch<[f32; 2], R>, _: &mut ()) {
            y.set_rows(x.nrows());
            y.as_mut_slice().copy_from_slice(x.as_slice());
        }
    }

    impl crate::Trainable<[f32; 2]> for CallerPanics {
        type Cache<R: crate::Rows> = ();
        fn forward<R: crate::Rows>(
            &mut self,
            x: &Batch<[f32; 2], R>,
            y: &mut Batch<[f32; 2], R>,
            _: &mut (),
            _: &mut Training,
        ) {
            let helper = thread::current()
                .name()
                .is_some_and(|n| n.starts_with("typenet-train-"));
            if !helper && ARMED.swap(false, std::sync::atomic::Ordering::SeqCst) {
                panic!("the caller's replica gave up");
            }
            self.infer(x, y)
        }
        fn backward<R: crate::Rows>(
            &mut self,
            _: &Batch<[f32; 2], R>,
            _: &Batch<[f32; 2], R>,
            dy: &Batch<[f32; 2], R>,
            _: &mut (),
            dx: Option<&mut Batch<[f32; 2], R>>,
        ) {
            if let Some(dx) = dx {
                dx.set_rows(dy.nrows());
                dx.as_mut_slice().copy_from_slice(dy.as_slice());
            }
        }
    }

    /// A step that panicked on the caller's thread, and was caught there,
    /// leaves the replicas out of step: every later step is refused, saying
    /// so, on one thread and on two, and the helpers still stop.
    #[test]
    fn a_step_that_panicked_on_the_callers_thread_stops_the_run() {
        for threads in [1, 2] {
            let outcome = within_a_minute(move || {
                let (_, data) = parts(false);
                let net = Affine::<[f32; 3], 2>::from_fn(|i, j| (i + 2 * j) as f32 / 10.0, |_| 0.0)
                    .then(CallerPanics)
                    .then(SoftmaxWithLoss);
                let mut training = DataParallel::new(net, Sgd::new(0.1), data, threads, 0).unwrap();
                let before = [training.step(&[0, 1, 2, 3]), training.step(&[3, 2, 1, 0])];
                ARMED.store(true, std::sync::atomic::Ordering::SeqCst);
                let caught = std::panic::catch_unwind(AssertUnwindSafe(|| training.step(&[0, 1, 2, 3])));
                let after = [training.step(&[0, 1, 2, 3]), training.step(&[1, 2])];
                let _ = training.into_parts();
                (before, caught.is_err(), after)
            });
            let (before, caught, after) = outcome;
            assert!(before.iter().all(Result::is_ok), "{before:?}");
            assert!(caught, "the step panicked");
            let message = "step 2 panicked on the calling thread, which leaves the replicas out of step; \
                           the run cannot go on";
            for later in after {
                assert_eq!(
                    later,
                    Err(TrainError::ThreadPanicked(message.into())),
                    "{threads} threads"
                );
            }
        }
    }

    /// The bits of a 2-thread run's net and losses, its helper thread held
    /// back or not, and with steps taken on the calling thread alone at
    /// `alone` (a step in a range of `alone` steps alone), on a net with
    /// running statistics and dropout.
    fn run_with(held: bool, alone: fn(usize) -> bool) -> (Vec<u64>, Vec<u32>) {
        within_a_minute(move || {
            let (_, data) = parts(false);
            let net = Affine::<[f32; 3], 4>::from_fn(|i, j| (i + 2 * j) as f32 / 10.0 - 0.3, |_| 0.1)
                .then(BatchNorm::<f32, 4>::new())
                .then(Dropout::new(0.25))
                .then(Affine::<[f32; 4], 2>::from_fn(
                    |i, j| (3 * i + j) as f32 / 10.0 - 0.5,
                    |_| 0.0,
                ))
                .then(SoftmaxWithLoss);
            let mut training = DataParallel::new(net, crate::Adam::new(0.01, 0.9, 0.999), data, 2, 7).unwrap();
            training
                .helpers
                .shared
                .held
                .store(held, std::sync::atomic::Ordering::Relaxed);
            let losses: Vec<u64> = (0..60)
                .map(|k| {
                    if alone(k) {
                        training.pacing.alone_until = k + 1;
                    } else if training.pacing.alone_until > k {
                        training.pacing.alone_until = k;
                    }
                    training.step(&[k % 4, (k + 1) % 4, (k + 3) % 4]).unwrap().to_bits()
                })
                .collect();
            let (net, _) = training.into_parts();
            let mut weights = Vec::new();
            net.visit_params(&mut |p| weights.extend(p.value.iter().map(|v| v.to_bits())));
            (losses, weights)
        })
    }

    /// With its helper thread held back, as a scheduler parks it, a
    /// 2-thread run does not wait for it: the caller does both replicas'
    /// parts (a hang fails the test). Taking steps alone, and coming back
    /// to the helpers after them, gives the same bits too.
    #[test]
    fn a_parked_helper_does_not_hold_up_the_step() {
        let together = run_with(false, |_| false);
        assert_eq!(run_with(true, |_| false), together, "helper held back");
        assert_eq!(run_with(false, |_| true), together, "every step alone");
        assert_eq!(run_with(false, |k| (k / 7) % 2 == 1), together, "alone in turns");
        assert!(
            f64::from_bits(together.0[59]) < f64::from_bits(together.0[0]),
            "it trained"
        );
    }

    /// A step of no samples is refused, not reported as a loss of 0.
    #[test]
    fn an_empty_step_is_refused() {
        let (net, data) = parts(false);
        let mut training = DataParallel::new(net, Sgd::new(0.1), data, 1, 0).unwrap();
        assert_eq!(training.step(&[]), Err(TrainError::ZeroBatchSize));
    }

    #[test]
    fn thread_counts_outside_the_range_are_refused() {
        for threads in [0, MAX_THREADS + 1, 64] {
            let (net, data) = parts(false);
            let refused = DataParallel::new(net, Sgd::new(0.1), data, threads, 0).map(|_| ());
            assert_eq!(refused, Err(TrainError::ThreadCount { requested: threads }));
        }
    }
}
