//! One `train_step` of the 4-16-3 classifier on a batch of 8, from a fresh
//! copy of the baked net each time.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    use typenet_firmware::cases;
    typenet_firmware::measure::run(Some(typenet_firmware::measure::Operation {
        name: "4-16-3 train_step (8 samples)",
        // forward 8·(4·16 + 16·3); backward 8·16·3 for dW and 8·16·3 for
        // dx of the second Affine, 8·4·16 for dW of the first (its dx is
        // not needed)
        macs: 8 * (4 * 16 + 16 * 3) + 8 * (16 * 3 * 2 + 4 * 16),
        calls: 64,
        setup: || typenet_no_std::trainable_classifier(),
        call: |net| {
            let x = cases::MEASURE_BATCH.map(|x| cases::floats(&x));
            black_box(typenet_no_std::train_step(net, x, cases::MEASURE_LABELS, 0.05));
        },
    }))
}

#[cfg(not(target_os = "none"))]
fn main() {
    typenet_firmware::host_stub()
}
