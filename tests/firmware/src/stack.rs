//! The stack's high-water mark: paint the free stack with a pattern, run,
//! and find the deepest word that no longer holds it.

use core::ptr::read_volatile;

/// cortex-m-rt's paint (its `paint-stack` feature paints the whole stack
/// with it at reset).
pub const PAINT: u32 = 0xCCCC_CCCC;

unsafe extern "C" {
    // from the memory.x that build.rs writes
    static _stack_end: u32;
    static _stack_start: u32;
}

/// The lowest address of the stack (it grows down to here).
pub fn bottom() -> usize {
    (&raw const _stack_end) as usize
}

/// The address the stack starts at.
pub fn top() -> usize {
    (&raw const _stack_start) as usize
}

/// The lowest stack address written since it was last painted.
pub fn deepest() -> usize {
    let mut p = bottom();
    // SAFETY: inside the stack region, below every live frame
    while p < top() && unsafe { read_volatile(p as *const u32) } == PAINT {
        p += 4;
    }
    p
}

/// Runs `f` and returns its result with the bytes of stack it used below
/// the caller's stack pointer (its frames and everything they call).
#[inline(never)]
pub fn high_water<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let sp: usize;
    // SAFETY: paints only memory below the stack pointer, which no live
    // frame uses (no interrupts are enabled, and Arm has no red zone)
    unsafe {
        core::arch::asm!(
            "mov r2, sp",
            "2:",
            "cmp r0, r2",
            "bhs 3f",
            "str r1, [r0]",
            "adds r0, #4",
            "b 2b",
            "3:",
            inout("r0") bottom() => _,
            in("r1") PAINT,
            out("r2") sp,
            options(nostack),
        );
    }
    let result = call(f);
    (result, sp - deepest())
}

/// `f` in a frame of its own, below the stack pointer `high_water` read.
#[inline(never)]
fn call<R>(f: impl FnOnce() -> R) -> R {
    f()
}
