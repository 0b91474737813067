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
