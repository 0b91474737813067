//! Data-parallel training: each thread keeps a replica of the net and its
//! optimizer and back-propagates its share of every batch; the replicas
//! then average their gradients (and running statistics) and all apply the
//! same guarded update, so they stay identical.
//!
//! Splitting each matrix product over threads instead moves the batch, the
//! gradients and the weights between the cores' caches several times per
//! step, which for a step of ~100 µs costs more than the second core saves.
//! Here a core reads only its own rows, its own weights, and once per step
//! the other replicas' gradients.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::thread::{self, JoinHandle};

use super::TrainError;
use super::barrier::SpinBarrier;
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

/// One thread's buffers: its share of the batch, its workspace (with its
/// own training randomness), and the averaged gradient and buffers.
struct Local<In: Row<Scalar: Scalar>, N: TrainableNetwork<In>, const C: usize> {
    ws: WorkspaceOf<N, In, Dyn>,
    x: Batch<In>,
    t: Labels<C>,
    mean: Vec<In::Scalar>,
    mean_buffers: Vec<In::Scalar>,
}

/// What the threads share while training.
struct Shared<In: Row<Scalar: Scalar>, N, const C: usize> {
    threads: usize,
    barrier: SpinBarrier,
    data: Dataset<In, C>,
    /// The current batch's indices.
    indices: Mutex<Vec<usize>>,
    /// The replicas; replica 0 is the one [`DataParallel::net`] shows.
    nets: Vec<RwLock<N>>,
    /// Each replica's (rows, mean loss) for the current step.
    reports: Mutex<[(usize, f64); MAX_THREADS]>,
    /// Why a helper thread stopped, if one did.
    failure: Mutex<Option<String>>,
}

impl<In, N, const C: usize> Shared<In, N, C>
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In, Out = [In::Scalar; C]>,
{
    /// One step on replica `t`, in three phases separated by barriers:
    /// back-propagate this thread's rows; average all replicas' gradients
    /// and buffers into `local`; take the guarded update with the means.
    /// Every replica computes the same sums in the same order, so they stay
    /// identical, and all refuse or all apply a step. `None` if the run was
    /// stopped.
    fn step<O: Optimizer<In::Scalar>>(
        &self,
        t: usize,
        optimizer: &mut O,
        local: &mut Local<In, N, C>,
        indices: &[usize],
    ) -> Option<Result<f64, (f64, NonFinite)>> {
        let rows = indices.len() * t / self.threads..indices.len() * (t + 1) / self.threads;
        {
            let mut net = unpoisoned(self.nets[t].write());
            self.data.gather(&indices[rows.clone()], &mut local.x, &mut local.t);
            let loss = match net.gradient_with(&mut local.ws, &local.x, &local.t, None) {
                Ok(loss) => loss.as_f64(),
                Err(_) => f64::NAN, // the gather sizes both alike: unreachable
            };
            unpoisoned(self.reports.lock())[t] = (rows.len(), loss);
        }
        if !self.barrier.wait() {
            return None;
        }
        let reports = *unpoisoned(self.reports.lock());
        let reports = &reports[..self.threads];
        let total = reports.iter().map(|r| r.0).sum::<usize>().max(1) as f64;
        let loss: f64 = reports.iter().map(|&(rows, loss)| rows as f64 / total * loss).sum();
        let averaged = self.threads > 1;
        if averaged {
            self.average(local, reports, total);
            if !self.barrier.wait() {
                return None;
            }
        }
        if !loss.is_finite() {
            return Some(Err((loss, NonFinite::Loss)));
        }
        // The update reads the mean from this thread's own buffer rather
        // than copying it over the gradients, which the other threads have
        // just read: rewriting those lines would cost a round of cache
        // invalidations between cores.
        let mut net = unpoisoned(self.nets[t].write());
        let stepped = guarded_step(
            optimizer,
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
        Some(stepped.map(|()| loss).map_err(|what| (loss, what)))
    }

    /// The row-weighted mean of every replica's gradients and buffers.
    fn average(&self, local: &mut Local<In, N, C>, reports: &[(usize, f64)], total: f64) {
        for (j, (net, &(rows, _))) in self.nets.iter().zip(reports).enumerate() {
            let w = In::Scalar::of(rows as f64 / total);
            let net: RwLockReadGuard<'_, N> = unpoisoned(net.read());
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
                if j == 0 {
                    crate::kernels::scale(w, source, target);
                } else {
                    crate::kernels::axpy(w, source, target);
                }
            });
        }
    }
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
struct Helpers<In: Row<Scalar: Scalar>, N, const C: usize> {
    shared: Arc<Shared<In, N, C>>,
    handles: Vec<JoinHandle<()>>,
}

impl<In: Row<Scalar: Scalar>, N, const C: usize> Drop for Helpers<In, N, C> {
    fn drop(&mut self) {
        self.shared.barrier.stop();
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
    helpers: Helpers<In, N, C>,
    optimizer: O,
    local: Local<In, N, C>,
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
        };
        let nets = (0..threads).map(|_| RwLock::new(net.clone())).collect();
        let shared = Arc::new(Shared {
            threads,
            barrier: SpinBarrier::new(threads),
            data,
            indices: Mutex::new(Vec::new()),
            nets,
            reports: Mutex::new([(0, 0.0); MAX_THREADS]),
            failure: Mutex::new(None),
        });
        let mut helpers = Helpers {
            shared: shared.clone(),
            handles: Vec::with_capacity(threads - 1),
        };
        for t in 1..threads {
            let (shared, mut optimizer, mut local) = (shared.clone(), optimizer.clone(), local(t));
            let builder = thread::Builder::new().name(format!("typenet-train-{t}"));
            let builder = match stack {
                Some(bytes) => builder.stack_size(bytes),
                None => builder,
            };
            let spawned = builder.spawn(move || helper(&shared, t, &mut optimizer, &mut local));
            match spawned {
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
            helpers,
            optimizer,
            local: local(0),
            steps: 0,
        })
    }

    /// One training step on the samples at `indices`: every thread gathers
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
        if shared.barrier.is_stopped() {
            return Err(stopped());
        }
        if shared.threads > 1 {
            let mut order = unpoisoned(shared.indices.lock());
            order.clear();
            order.extend_from_slice(indices);
        }
        if !shared.barrier.wait() {
            return Err(stopped());
        }
        let step = self.steps;
        self.steps += 1;
        // A panic on this thread in the middle of the step (a layer's,
        // caught by the caller) leaves this replica and the helpers at
        // different points of the step: stop the run, so that every later
        // step is refused instead of pairing up the wrong phases.
        struct Unwinding<'a>(&'a SpinBarrier, &'a Mutex<Option<String>>, usize);
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
        let _unwinding = Unwinding(&shared.barrier, &shared.failure, step);
        match shared.step(0, &mut self.optimizer, &mut self.local, indices) {
            None => Err(stopped()),
            Some(Ok(loss)) => Ok(loss),
            Some(Err((loss, what))) => Err(TrainError::NonFinite { step, loss, what }),
        }
    }

    /// The net being trained (replica 0; all replicas are equal between
    /// steps).
    pub fn net(&self) -> impl std::ops::Deref<Target = N> + '_ {
        unpoisoned(self.helpers.shared.nets[0].read())
    }

    /// The optimizer of replica 0, with its state.
    pub fn optimizer(&self) -> &O {
        &self.optimizer
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.helpers.shared.threads
    }

    /// Stops the helper threads and returns the trained net and optimizer.
    pub fn into_parts(self) -> (N, O) {
        let DataParallel { helpers, optimizer, .. } = self;
        let shared = helpers.shared.clone();
        drop(helpers);
        let net = match Arc::try_unwrap(shared) {
            Ok(shared) => shared.nets.into_iter().next().map(|n| unpoisoned(n.into_inner())),
            // every helper has been joined, so no other owner is left
            Err(shared) => Some(unpoisoned(shared.nets[0].read()).clone()),
        };
        (net.expect("replica 0 exists"), optimizer)
    }
}

/// A helper thread's life: wait for a step, take it on replica `t`, until
/// the run stops. A panic is caught and its message left for the caller.
fn helper<In, N, O, const C: usize>(shared: &Shared<In, N, C>, t: usize, optimizer: &mut O, local: &mut Local<In, N, C>)
where
    In: Row<Scalar: Scalar>,
    N: TrainableNetwork<In, Out = [In::Scalar; C]>,
    O: Optimizer<In::Scalar>,
{
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut indices = Vec::new();
        while shared.barrier.wait() {
            indices.clear();
            indices.extend_from_slice(&unpoisoned(shared.indices.lock()));
            // a refused step is reported by the caller's thread; this
            // replica refused it as well
            if shared.step(t, optimizer, local, &indices).is_none() {
                return;
            }
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
    shared.barrier.stop();
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
                let first = training.step(&[0, 1, 2, 3]);
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
