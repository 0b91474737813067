//! What the host asked for: the last word of the semihosting command line
//! (QEMU's `-semihosting-config ...,arg=check,arg=flip`).

use cortex_m_semihosting::nr;

/// What the check does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Compare every output with the host's.
    Check,
    /// The same with one expected bit flipped: must fail with exactly one
    /// mismatch, which shows the comparison can fail.
    Flip,
    /// Recurse until the stack overflows: must end as a failure, not hang.
    Overflow,
    /// Panic: must end as a failure.
    Panic,
    /// Execute an undefined instruction: must end as a failure.
    Fault,
}

/// The mode named after the program's name on the command line (`Check`
/// if there is none), or `None` for an unknown one.
pub fn mode() -> Option<Mode> {
    let mut line = [0u8; 128];
    let mut block = [line.as_mut_ptr() as usize, line.len() - 1];
    // SAFETY: SYS_GET_CMDLINE writes at most the given length into `line`
    // and the length it wrote into `block`
    let failed = unsafe { cortex_m_semihosting::syscall1(nr::GET_CMDLINE, block.as_mut_ptr() as usize) } != 0;
    if failed {
        return Some(Mode::Check);
    }
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let mut words = line[..end].split(|&b| b == b' ').filter(|w| !w.is_empty()).skip(1);
    match words.next() {
        None | Some(b"check") => Some(Mode::Check),
        Some(b"flip") => Some(Mode::Flip),
        Some(b"overflow") => Some(Mode::Overflow),
        Some(b"panic") => Some(Mode::Panic),
        Some(b"fault") => Some(Mode::Fault),
        Some(_) => None,
    }
}
