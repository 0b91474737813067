//! The measuring firmware's harness: instructions and stack of one
//! operation, printed as one line for the `measure` script.

use core::hint::black_box;

use cortex_m_semihosting::hprintln;

use crate::cases;
use crate::clock::Clock;

/// What one `measure-*` binary times.
pub struct Operation<S> {
    /// Its name in the report.
    pub name: &'static str,
    /// Multiply-accumulates per call.
    pub macs: u32,
    /// Calls timed (more for short operations, whose count would
    /// otherwise be rounded to a tick of 40 instructions).
    pub calls: u32,
    /// Makes the state one call starts from (not timed).
    pub setup: fn() -> S,
    /// The call.
    pub call: fn(&mut S),
}

/// Measures `op` (nothing for `None`) and ends the program. The line it
/// prints carries raw counts; the script does the division.
pub fn run<S>(op: Option<Operation<S>>) -> ! {
    crate::rt::guard_stack();
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        crate::rt::exit(false)
    };
    let clock = Clock::start(peripherals.SYST);
    let (loop_instructions, loop_ticks) = clock.calibrate();
    // Every binary keeps the inputs, so that the flash between one and
    // `measure-none` is the net's alone.
    black_box((&cases::MEASURE_IMAGE, &cases::MEASURE_SAMPLE));
    black_box((&cases::MEASURE_BATCH, &cases::MEASURE_LABELS));
    #[cfg(keywords)]
    black_box(&cases::KEYWORD_INPUTS[0]);
    let (name, macs, calls, ticks, empty, stack) = match op {
        Some(op) => {
            let mut state = (op.setup)();
            let ((), stack) = crate::stack::high_water(|| (op.call)(black_box(&mut state)));
            let (mut ticks, mut empty) = (0, 0);
            for _ in 0..op.calls {
                let mut state = (op.setup)();
                ticks += clock.ticks(|| (op.call)(black_box(&mut state))).1;
                empty += clock.ticks(|| black_box(&mut state)).1;
            }
            (op.name, op.macs, op.calls, ticks, empty, stack)
        }
        None => ("none", 0, 0, 0, 0, 0),
    };
    hprintln!(
        "measure: opt-level={} macs={} calls={} ticks={} empty-ticks={} loop-instructions={} loop-ticks={} stack={} name={}",
        env!("FIRMWARE_OPT_LEVEL"),
        macs,
        calls,
        ticks,
        empty,
        loop_instructions,
        loop_ticks,
        stack,
        name
    );
    crate::rt::exit(loop_ticks > 0)
}
