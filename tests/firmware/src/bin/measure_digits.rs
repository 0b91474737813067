//! The digit reader: one 28×28 MNIST digit, from bytes to the digit.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    typenet_firmware::measure::run(Some(typenet_firmware::measure::Operation {
        name: "digit reader read_digit",
        // conv 4×24×24 outputs of 5×5 taps, Affine 576→10
        macs: 4 * 24 * 24 * 25 + 576 * 10,
        calls: 4,
        setup: || (),
        call: |_| {
            black_box(typenet_no_std::read_digit(black_box(
                &typenet_firmware::cases::MEASURE_IMAGE,
            )));
        },
    }))
}

#[cfg(not(target_os = "none"))]
fn main() {
    typenet_firmware::host_stub()
}
