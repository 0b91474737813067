//! A net of inline layers on compile-time batches trains and predicts with
//! no heap allocation at all. A counting global allocator proves it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use typenet::prelude::*;

struct CountingAllocator;

thread_local! {
    // const-initialised, so reading it never allocates
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Heap allocations made by this thread while running `f`.
fn allocations_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let r = f();
    (r, ALLOCATIONS.with(Cell::get) - before)
}

type Tiny = Chain![Affine<[f32; 4], 16, Inline>, Relu, Affine<[f32; 16], 3, Inline>, SoftmaxWithLoss<3>];

fn tiny() -> Tiny {
    // deterministic small weights, no random generator needed
    let w = |i: usize, j: usize| ((i * 7 + j * 3) % 11) as f32 * 0.02 - 0.1;
    Affine::from_fn(w, |_| 0.0)
        .then(Relu)
        .then(Affine::from_fn(w, |_| 0.0))
        .then(SoftmaxWithLoss)
}

#[test]
fn training_step_on_static_batches_allocates_nothing() {
    let ((loss_before, loss_after, class), count) = allocations_during(|| {
        let mut net = tiny();
        let mut ws = net.workspace::<Const<4>>();
        let x = Batch::<[f32; 4], Const<4>>::new([
            [1.0, 0.0, 0.0, 0.5],
            [0.0, 1.0, 0.0, -0.5],
            [0.0, 0.0, 1.0, 0.5],
            [1.0, 1.0, 0.0, -0.5],
        ]);
        let t = Labels::<3, Const<4>>::new([0, 1, 2, 0]).unwrap();
        let mut sgd = Sgd::new(0.5);
        let before = net.loss(&x, &t).unwrap();
        for _ in 0..100 {
            net.gradient_with(&mut ws, &x, &t, None).unwrap();
            sgd.step(&mut net).unwrap();
        }
        // the convenience forms use a workspace on the stack as well
        net.gradient(&x, &t).unwrap();
        let class = net.classify(&[0.0, 0.0, 1.0, 0.5]).unwrap();
        (before, net.loss(&x, &t).unwrap(), class)
    });
    assert_eq!(count, 0, "heap allocations in a static-batch training loop");
    assert!(
        loss_after < loss_before * 0.5,
        "training did not learn: {loss_before} → {loss_after}"
    );
    assert_eq!(class, 2);
}

/// The counter does see allocations (so the zero above means something).
#[test]
fn the_counter_counts() {
    let (_, count) = allocations_during(|| {
        let x = Batch::<[f32; 4]>::zeros(2);
        std::hint::black_box(x);
    });
    assert_eq!(count, 1);
}

/// One sample through a kept room: after the first call, a SimpleConvNet
/// (whose fresh-room `classify` takes the heap path) allocates nothing,
/// chained or fused, and scores each image as `scores` does, bit for bit.
#[test]
fn one_sample_through_a_kept_room_allocates_nothing_after_the_first() {
    type Digit = Image<f32, 1, 28, 28>;
    let w = |k: usize| ((k * 7919) % 23) as f32 * 0.004 - 0.044;
    let conv = Conv2d::<f32, 1, 30, 5>::from_fn(|o, _, i, j| w(o * 25 + i * 5 + j), |o| w(o) * 0.1);
    let a1 = Affine::<Image<f32, 30, 12, 12>, 100>::from_fn(|i, j| w(i * 100 + j), |j| w(j) * 0.1);
    let a2 = Affine::<[f32; 100], 10>::from_fn(|i, j| w(i * 10 + j + 3), |_| 0.0);
    let fused = Input::<Digit>::new()
        .then(ConvReluPool::new(conv.clone(), MaxPool2d::<2>))
        .then(a1.clone())
        .then(Relu)
        .then(a2.clone())
        .then(SoftmaxWithLoss);
    let chained = Input::<Digit>::new()
        .then(conv)
        .then(Relu)
        .then(MaxPool2d::<2>)
        .then(a1)
        .then(Relu)
        .then(a2)
        .then(SoftmaxWithLoss);
    let images: Vec<Digit> = (0..3)
        .map(|n| {
            let mut x = Digit::ZERO;
            for (k, v) in x.as_mut_slice().iter_mut().enumerate() {
                // MNIST-like: mostly exact zeros
                *v = if (k + 5 * n) % 4 == 0 {
                    ((k * 31 + n) % 255) as f32 / 255.0
                } else {
                    0.0
                };
            }
            x
        })
        .collect();
    fn check<N: Network<Image<f32, 1, 28, 28>, Scores = [f32; 10]>>(net: &N, images: &[Image<f32, 1, 28, 28>]) {
        let mut room = net.sample_scratch();
        let first = net.sample_scores_with(&mut room, &images[0]).unwrap();
        let (scores, count) = allocations_during(|| {
            images
                .iter()
                .cycle()
                .take(9)
                .map(|x| net.sample_scores_with(&mut room, x).unwrap())
                .collect::<Vec<_>>()
        });
        // the collected Vec (of a known length) is the only allocation
        assert_eq!(count, 1, "allocations in 9 calls and one Vec");
        let (_, count) = allocations_during(|| {
            for x in images {
                std::hint::black_box(net.classify_with(&mut room, x).unwrap());
            }
        });
        assert_eq!(count, 0, "heap allocations after the first call");
        assert_eq!(first.map(f32::to_bits), scores[0].map(f32::to_bits));
        for (x, s) in images.iter().cycle().zip(&scores) {
            assert_eq!(net.scores(x).unwrap().map(f32::to_bits), s.map(f32::to_bits));
        }
        assert!(net.sample_scores_with(&mut room, &Image::ZERO).is_ok());
        let mut bad = images[0];
        bad.as_mut_slice()[100] = f32::NAN;
        assert!(net.sample_scores_with(&mut room, &bad).is_err());
    }
    check(&fused, &images);
    check(&chained, &images);
}
