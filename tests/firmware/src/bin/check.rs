//! Every output of the baked nets on the device against the host build.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    typenet_firmware::check::main()
}

#[cfg(not(target_os = "none"))]
fn main() {
    typenet_firmware::host_stub()
}
