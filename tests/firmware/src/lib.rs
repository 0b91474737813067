//! The baked nets of `typenet-no-std` on an emulated microcontroller.
//!
//! `check` runs every case that build.rs computed on the host build of the
//! same no_std code and compares each output bit for bit; the `measure-*`
//! binaries count instructions and stack for one net each (and
//! `measure-none` for none, the baseline their flash is measured against).
//! Both talk to the host through semihosting and end QEMU with an exit
//! status. The scripts `run` and `measure` beside this crate's manifest
//! build and run them.
#![cfg_attr(target_os = "none", no_std)]

#[cfg(target_os = "none")]
pub mod cases;
#[cfg(target_os = "none")]
pub mod check;
#[cfg(target_os = "none")]
mod checker;
#[cfg(target_os = "none")]
pub mod clock;
#[cfg(target_os = "none")]
mod cmdline;
#[cfg(target_os = "none")]
pub mod measure;
#[cfg(target_os = "none")]
pub mod rt;
#[cfg(target_os = "none")]
pub mod stack;

/// What a binary does when built for the host: say how to build it.
#[cfg(not(target_os = "none"))]
pub fn host_stub() -> ! {
    eprintln!("this is firmware: build and run it with tests/firmware/run (thumbv7em-none-eabihf, QEMU)");
    std::process::exit(2)
}
