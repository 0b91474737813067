//! The 4-16-3 classifier's `classify` on one sample.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    use typenet_firmware::cases;
    typenet_firmware::measure::run(Some(typenet_firmware::measure::Operation {
        name: "4-16-3 classify",
        macs: 4 * 16 + 16 * 3,
        calls: 256,
        setup: || cases::floats(&cases::MEASURE_SAMPLE),
        call: |x| {
            black_box(typenet_no_std::classify(x));
        },
    }))
}

#[cfg(not(target_os = "none"))]
fn main() {
    typenet_firmware::host_stub()
}
