//! The timing protocol every row of the serving benchmark follows, in Rust
//! as in `common.py`: warm-up calls, then blocks of calls lasting at least
//! `BLOCK_SECONDS` each, the median (and 10th and 90th percentiles) of the
//! blocks' means. Heap allocations are counted over the timed calls.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How long a timed block lasts at least: long enough that the clock's
/// cost (~25 ns a read) is lost in it, short enough for hundreds of blocks.
const BLOCK_SECONDS: f64 = 200e-6;

/// How many calls to warm up and how many blocks to time.
#[derive(Clone, Copy)]
pub struct Protocol {
    pub warmup_calls: usize,
    pub blocks: usize,
}

/// What one row measured, per call.
pub struct Measured {
    pub median_us: f64,
    pub p10_us: f64,
    pub p90_us: f64,
    pub calls: usize,
    pub allocations_per_call: f64,
}

/// Times `call(k)` (`k` counts calls from 0, so a caller can cycle through
/// its inputs) under the protocol.
pub fn measure(p: Protocol, mut call: impl FnMut(usize)) -> Measured {
    let mut k = 0;
    let warm = Instant::now();
    for _ in 0..p.warmup_calls.max(1) {
        call(k);
        k += 1;
    }
    let per_call = warm.elapsed().as_secs_f64() / p.warmup_calls.max(1) as f64;
    let block = ((BLOCK_SECONDS / per_call.max(1e-9)).ceil() as usize).max(1);
    let mut means = Vec::with_capacity(p.blocks);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..p.blocks {
        let t0 = Instant::now();
        for _ in 0..block {
            call(k);
            k += 1;
        }
        means.push(t0.elapsed().as_secs_f64() * 1e6 / block as f64);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((means.len() - 1) as f64 * q).round() as usize];
    Measured {
        median_us: at(0.5),
        p10_us: at(0.1),
        p90_us: at(0.9),
        calls: block * p.blocks,
        allocations_per_call: allocations as f64 / (block * p.blocks) as f64,
    }
}

/// One row's identity in the table: which runtime ran which model how.
pub struct Line<'a> {
    pub model: &'a str,
    pub precision: &'a str,
    pub batch: usize,
    pub threads: usize,
    pub variant: &'a str,
}

/// Prints the row as the harness's `RESULT` line (tab-separated, the same
/// fields as `common.py` prints).
pub fn report(row: &Line, m: &Measured) {
    println!(
        "RESULT\ttypenet\t{}\t{}\t{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{}\t{:.2}",
        row.model,
        row.precision,
        row.batch,
        row.threads,
        row.variant,
        m.median_us,
        m.p10_us,
        m.p90_us,
        m.calls,
        m.allocations_per_call
    );
}
