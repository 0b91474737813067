//! The measuring harness alone: the baseline for the other binaries' flash.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    typenet_firmware::measure::run::<()>(None)
}

#[cfg(not(target_os = "none"))]
fn main() {
    typenet_firmware::host_stub()
}
