//! Data-parallel training steps: each thread keeps a replica of the net and
//! its optimizer and back-propagates its share of every batch; the replicas
//! then average their gradients and all apply the same update, so they stay
//! identical.
//!
//! Splitting each matrix product over threads instead moves the batch, the
//! gradients and the weights between the cores' caches several times per
//! step, which for a step of ~100 µs costs more than the second core saves.
//! Here a core reads only its own rows, its own weights, and once per step
//! the other replicas' gradients.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard};
use std::thread;

use crate::data::Dataset;
use crate::kernels::Kernels;
use crate::optim::squared_norm;
use crate::parallel::{MAX_THREADS, SpinBarrier, serially};
use crate::{Batch, Dyn, Labels, Network, Optimizer, Row, Scalar};

/// What in a step was NaN or infinite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonFinite {
    /// The loss (the update was not applied).
    Loss,
    /// The averaged gradient of this parameter: (layer, name) (the update
    /// was not applied).
    Gradient(usize, &'static str),
    /// This parameter after the update: (layer, name). The parameters of
    /// the step before were restored.
    Parameter(usize, &'static str),
}

/// A step that produced a NaN or infinite loss, gradient or parameter. The
/// net, on every replica, keeps the parameters of the last good step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonFiniteStep {
    /// The step's loss.
    pub loss: f64,
    /// What was not finite.
    pub what: NonFinite,
}

impl std::fmt::Display for NonFiniteStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.what {
            NonFinite::Loss => write!(f, "a non-finite loss ({})", self.loss),
            NonFinite::Gradient(layer, name) => {
                write!(
                    f,
                    "a non-finite gradient for {name} of layer {layer} (loss {})",
                    self.loss
                )
            }
            NonFinite::Parameter(layer, name) => {
                write!(f, "non-finite values in {name} of layer {layer} after the update")
            }
        }
    }
}

impl std::error::Error for NonFiniteStep {}

/// One thread's buffers: its share of the batch, the activations, the
/// averaged gradient, and the parameters of the last good step.
struct Local<In: Row, N: Network<In>, const C: usize> {
    ws: N::Workspace<Dyn>,
    x: Batch<In>,
    t: Labels<C>,
    mean: Vec<In::Scalar>,
    last_good: Vec<In::Scalar>,
}

/// Copies every parameter of `net` into `out`, in order.
fn save_params<In: Row, N: Network<In>>(net: &N, out: &mut Vec<In::Scalar>) {
    out.clear();
    net.visit_params(0, &mut |p| out.extend_from_slice(p.value));
}

/// What the threads share while training.
struct Shared<'n, In: Row, N> {
    threads: usize,
    barrier: SpinBarrier,
    /// Set when training ends or a thread fails: every wait returns at once.
    stopped: AtomicBool,
    /// The current batch's indices.
    indices: Mutex<Vec<usize>>,
    /// The replicas; replica 0 is the caller's net.
    nets: Vec<RwLock<&'n mut N>>,
    /// Each replica's (rows, mean loss) for the current step.
    reports: Mutex<[(usize, f64); MAX_THREADS]>,
    _rows: core::marker::PhantomData<In>,
}

fn unpoisoned<G>(r: Result<G, std::sync::PoisonError<G>>) -> G {
    r.unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl<In, N> Shared<'_, In, N>
where
    In: Row,
    N: Network<In>,
{
    /// Waits for the other threads; `false` if training stopped.
    fn meet(&self) -> bool {
        self.threads == 1 || self.barrier.wait(&self.stopped)
    }

    /// One step on replica `t`, in three phases separated by barriers:
    /// back-propagate this thread's rows; average all replicas' gradients
    /// into `local.mean`; replace this replica's gradients by the mean and
    /// update. Every replica computes the same sums in the same order, so
    /// they stay identical.
    fn step<O: Optimizer<In::Scalar>, const C: usize>(
        &self,
        t: usize,
        optimizer: &mut O,
        train: &Dataset<In, C>,
        local: &mut Local<In, N, C>,
        indices: &[usize],
    ) -> Option<Result<f64, NonFiniteStep>>
    where
        N: Network<In, Scores = [In::Scalar; C]>,
    {
        let rows = indices.len() * t / self.threads..indices.len() * (t + 1) / self.threads;
        {
            let mut net = unpoisoned(self.nets[t].write());
            train.gather(&indices[rows.clone()], &mut local.x, &mut local.t);
            let loss = net.gradient_with(&mut local.ws, &local.x, &local.t, None).as_f64();
            unpoisoned(self.reports.lock())[t] = (rows.len(), loss);
        }
        if !self.meet() {
            return None;
        }
        let reports = *unpoisoned(self.reports.lock());
        let reports = &reports[..self.threads];
        let total = reports.iter().map(|r| r.0).sum::<usize>().max(1) as f64;
        let loss: f64 = reports.iter().map(|&(rows, loss)| rows as f64 / total * loss).sum();
        if self.threads > 1 {
            for (j, (net, &(rows, _))) in self.nets.iter().zip(reports).enumerate() {
                let w = In::Scalar::of(rows as f64 / total);
                let net: RwLockReadGuard<'_, &mut N> = unpoisoned(net.read());
                let mut at = 0;
                net.visit_params(0, &mut |p| {
                    let mean = &mut local.mean[at..at + p.grad.len()];
                    if j == 0 {
                        In::Scalar::scale(w, p.grad, mean);
                    } else {
                        In::Scalar::axpy(w, p.grad, mean);
                    }
                    at += p.grad.len();
                });
            }
            if !self.meet() {
                return None;
            }
        }
        // The update reads the mean from this thread's own buffer rather
        // than copying it over the gradients, which the other threads have
        // just read: rewriting those lines would cost a round of cache
        // invalidations between cores.
        let mut net = unpoisoned(self.nets[t].write());
        let averaged = self.threads > 1;
        let (mut at, mut tensor, mut squares) = (0, None, 0.0f64);
        net.visit_params(0, &mut |p| {
            let g = if averaged {
                &local.mean[at..at + p.grad.len()]
            } else {
                p.grad
            };
            if tensor.is_none() && !In::Scalar::all_finite(g) {
                tensor = Some((p.layer, p.name));
            }
            if O::USES_GRADIENT_NORM {
                squares += squared_norm(g);
            }
            at += p.grad.len();
        });
        if !loss.is_finite() {
            return Some(Err(NonFiniteStep {
                loss,
                what: NonFinite::Loss,
            }));
        }
        if let Some((layer, name)) = tensor {
            return Some(Err(NonFiniteStep {
                loss,
                what: NonFinite::Gradient(layer, name),
            }));
        }
        optimizer.begin_step(O::USES_GRADIENT_NORM.then(|| squares.sqrt()));
        let (mut at, mut index) = (0, 0);
        net.visit_params_mut(0, &mut |p| {
            let len = p.grad.len();
            let g = if averaged { &local.mean[at..at + len] } else { &*p.grad };
            optimizer.update(index, p.value, g);
            at += len;
            index += 1;
        });
        // Finite gradients can still overflow a parameter (a learning rate
        // far too large): then put back the last good parameters.
        let mut broken = None;
        net.visit_params(0, &mut |p| {
            if broken.is_none() && !In::Scalar::all_finite(p.value) {
                broken = Some((p.layer, p.name));
            }
        });
        if let Some((layer, name)) = broken {
            let mut at = 0;
            net.visit_params_mut(0, &mut |p| {
                p.value.copy_from_slice(&local.last_good[at..at + p.value.len()]);
                at += p.value.len();
            });
            return Some(Err(NonFiniteStep {
                loss,
                what: NonFinite::Parameter(layer, name),
            }));
        }
        save_params(&**net, &mut local.last_good);
        Some(Ok(loss))
    }
}

/// One training step at a time over a fixed set of threads; made by
/// [`with_replicas`].
pub struct Replicas<'s, 'n, In: Row, N: Network<In>, O, const C: usize> {
    shared: &'s Shared<'n, In, N>,
    optimizer: &'s mut O,
    train: &'s Dataset<In, C>,
    local: Local<In, N, C>,
}

/// Calls `body` with a stepper that trains `net` with `optimizer` on batches
/// of `train` over `threads` threads (at most 8): this one and
/// `threads - 1` helpers, each with its own replica of the net and the
/// optimizer, which end with the call. With one thread a step is simply
/// gather, back-propagate, check, update.
///
/// ```no_run
/// use rand::{SeedableRng, rngs::StdRng};
/// use typenet::data::{Dataset, MnistFiles, Pixels};
/// use typenet::prelude::*;
/// use typenet::train::with_replicas;
///
/// let files = MnistFiles::find("data/mnist")?;
/// let train = Dataset::<[f32; 784], 10>::load(&files.train.images, &files.train.labels, Pixels::Unit)?;
/// let mut net: TwoLayerNet<f32, 784, 50, 10> = two_layer_net(0.01, &mut StdRng::seed_from_u64(0));
/// let mut sgd = Sgd::new(0.1);
/// let losses = with_replicas(&mut net, &mut sgd, &train, 2, |replicas| {
///     (0..100)
///         .map(|step| {
///             let batch: Vec<usize> = (0..100).map(|i| (step * 100 + i) % train.len()).collect();
///             replicas.step(&batch)
///         })
///         .collect::<Result<Vec<f64>, _>>()
/// })?;
/// assert_eq!(losses.len(), 100);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn with_replicas<In, N, O, const C: usize, R>(
    net: &mut N,
    optimizer: &mut O,
    train: &Dataset<In, C>,
    threads: usize,
    body: impl FnOnce(&mut Replicas<'_, '_, In, N, O, C>) -> R,
) -> R
where
    In: Row,
    N: Network<In, Scores = [In::Scalar; C]> + Clone + Send + Sync,
    O: Optimizer<In::Scalar> + Clone + Send,
{
    let threads = threads.clamp(1, MAX_THREADS);
    let params = net.param_count();
    let mut start = Vec::with_capacity(params);
    save_params(&*net, &mut start);
    let local = || Local {
        ws: N::Workspace::default(),
        x: Batch::zeros(0),
        t: Labels::default(),
        mean: if threads > 1 {
            vec![In::Scalar::ZERO; params]
        } else {
            Vec::new()
        },
        last_good: start.clone(),
    };
    let mut copies: Vec<N> = (1..threads).map(|_| net.clone()).collect();
    let shared = Shared {
        threads,
        barrier: SpinBarrier::new(threads),
        stopped: AtomicBool::new(false),
        indices: Mutex::new(Vec::new()),
        nets: core::iter::once(net)
            .chain(copies.iter_mut())
            .map(RwLock::new)
            .collect(),
        reports: Mutex::new([(0, 0.0); MAX_THREADS]),
        _rows: core::marker::PhantomData,
    };
    let shared = &shared;
    thread::scope(|scope| {
        for t in 1..threads {
            let mut optimizer = optimizer.clone();
            let mut local = local();
            scope.spawn(move || {
                let _stop = StopOnDrop(&shared.stopped);
                serially(|| {
                    let mut indices = Vec::new();
                    while shared.meet() {
                        indices.clear();
                        indices.extend_from_slice(&unpoisoned(shared.indices.lock()));
                        // a failed step is reported by the caller's thread;
                        // this replica skips the update as well
                        if shared.step(t, &mut optimizer, train, &mut local, &indices).is_none() {
                            return;
                        }
                    }
                })
            });
        }
        let _stop = StopOnDrop(&shared.stopped);
        let mut replicas = Replicas {
            shared,
            optimizer,
            train,
            local: local(),
        };
        serially(|| body(&mut replicas))
    })
}

impl<In, N, O, const C: usize> Replicas<'_, '_, In, N, O, C>
where
    In: Row,
    N: Network<In, Scores = [In::Scalar; C]>,
    O: Optimizer<In::Scalar>,
{
    /// One training step on the samples at `indices`: every thread gathers
    /// and back-propagates its share, the gradients are averaged, and every
    /// replica takes the optimizer step. Returns the batch's mean loss, or
    /// an error (and no update anywhere) if the loss or a gradient is not
    /// finite.
    ///
    /// # Panics
    /// If a helper thread panicked.
    pub fn step(&mut self, indices: &[usize]) -> Result<f64, NonFiniteStep> {
        let shared = self.shared;
        if shared.threads > 1 {
            let mut order = unpoisoned(shared.indices.lock());
            order.clear();
            order.extend_from_slice(indices);
        }
        let stopped = "a typenet training thread stopped";
        assert!(shared.meet(), "{stopped}");
        shared
            .step(0, self.optimizer, self.train, &mut self.local, indices)
            .expect(stopped)
    }

    /// The net being trained (this thread's replica).
    pub fn net(&self) -> impl Deref<Target = N> + '_ {
        struct View<'g, 'n, N>(RwLockReadGuard<'g, &'n mut N>);
        impl<N> Deref for View<'_, '_, N> {
            type Target = N;
            fn deref(&self) -> &N {
                &self.0
            }
        }
        View(unpoisoned(self.shared.nets[0].read()))
    }

    /// The number of threads.
    pub fn threads(&self) -> usize {
        self.shared.threads
    }
}

/// Sets the flag when dropped, also while unwinding, so no thread is left
/// waiting for one that is gone.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}
