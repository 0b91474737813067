//! The MLPerf Tiny keyword spotter, imported from its `.tflite` file and
//! baked: one input of 49 × 10 MFCC codes, from TFLite's order to its int8
//! scores.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(all(target_os = "none", keywords))]
#[cortex_m_rt::entry]
fn main() -> ! {
    use core::hint::black_box;
    typenet_firmware::measure::run(Some(typenet_firmware::measure::Operation {
        name: "keyword spotter (MLPerf Tiny KWS) keyword_scores",
        // conv 64×25×5 outputs of 10×4 taps; four depthwise 3×3 and
        // pointwise 64→64 blocks on 25×5; Affine 64→12
        macs: 64 * 25 * 5 * 40 + 4 * (64 * 25 * 5 * 9 + 64 * 64 * 25 * 5) + 64 * 12,
        calls: 1,
        setup: || (),
        call: |_| {
            black_box(typenet_no_std::keyword_scores(black_box(
                &typenet_firmware::cases::KEYWORD_INPUTS[0],
            )));
        },
    }))
}

/// A board without room for the keyword spotter measures nothing.
#[cfg(all(target_os = "none", not(keywords)))]
#[cortex_m_rt::entry]
fn main() -> ! {
    typenet_firmware::measure::run::<()>(None)
}

#[cfg(not(target_os = "none"))]
fn main() {
    typenet_firmware::host_stub()
}
