//! Counting instructions with SysTick. Under QEMU's `-icount shift=0`
//! every instruction advances virtual time by 1 ns and SysTick counts the
//! core clock, so a tick is a fixed number of instructions (40 on
//! mps2-an386's 25 MHz); `calibrate` measures that number with a loop of
//! known length instead of assuming it.

use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;

/// SysTick's counter is 24 bits wide.
const MASK: u32 = 0x00FF_FFFF;

/// Iterations of the calibration loop (two instructions each).
const LOOP: u32 = 500_000;

/// SysTick, free-running from the core clock, without interrupts.
pub struct Clock {
    _syst: SYST,
}

impl Clock {
    /// Starts SysTick counting down from its largest value, over and over.
    pub fn start(mut syst: SYST) -> Self {
        syst.disable_interrupt();
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(MASK);
        syst.clear_current();
        syst.enable_counter();
        Clock { _syst: syst }
    }

    /// The ticks `f` took (less than 2²⁴ of them) and its result.
    #[inline(always)]
    pub fn ticks<R>(&self, f: impl FnOnce() -> R) -> (R, u32) {
        let start = SYST::get_current();
        let result = f();
        let end = SYST::get_current();
        (result, start.wrapping_sub(end) & MASK)
    }

    /// Instructions and the ticks they took: a loop of `subs` and `bne`.
    pub fn calibrate(&self) -> (u32, u32) {
        let ((), ticks) = self.ticks(|| {
            // SAFETY: a register-only countdown
            unsafe {
                core::arch::asm!(
                    "2:",
                    "subs r0, #1",
                    "bne 2b",
                    inout("r0") LOOP => _,
                    options(nomem, nostack),
                );
            }
        });
        (2 * LOOP, ticks)
    }
}
