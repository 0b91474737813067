//! The check: every case build.rs computed on the host, run on the device
//! and compared.

use core::hint::black_box;

use cortex_m_semihosting::hprintln;
use typenet_no_std as net;

use crate::cases::{self, floats};
use crate::checker::Checker;
use crate::cmdline::{self, Mode};

/// Runs the mode the command line names and ends the program.
pub fn main() -> ! {
    crate::rt::guard_stack();
    let Some(mode) = cmdline::mode() else {
        hprintln!("unknown mode: expected check, flip, overflow, panic or fault");
        crate::rt::exit(false)
    };
    match mode {
        Mode::Overflow => {
            hprintln!("recursing until the stack overflows");
            let depth = recurse(0);
            hprintln!("returned from a recursion of depth {}", depth);
            crate::rt::exit(false);
        }
        Mode::Panic => panic!("as asked"),
        Mode::Fault => cortex_m::asm::udf(),
        Mode::Check | Mode::Flip => {}
    }
    let mut checker = Checker::new((mode == Mode::Flip).then_some(0));
    #[cfg(digits)]
    digits(&mut checker);
    #[cfg(keywords)]
    keywords(&mut checker);
    classifier(&mut checker);
    training(&mut checker);
    let used = crate::stack::top() - crate::stack::deepest();
    let size = crate::stack::top() - crate::stack::bottom();
    hprintln!("stack: at most {} of {} bytes used", used, size);
    checker.finish()
}

#[cfg(digits)]
fn digits(checker: &mut Checker) {
    let mut correct = 0;
    for (i, image) in cases::IMAGES.iter().enumerate() {
        let probabilities = net::digit_probabilities(image);
        checker.floats("digit_probabilities", i, probabilities, cases::DIGIT_PROBABILITIES[i]);
        let class = net::read_digit(image);
        checker.value("read_digit", i, class, cases::DIGIT_CLASSES[i]);
        let unit = typenet::Image([image.map(|row| row.map(|p| f32::from(p) / 255.0))]);
        checker.value(
            "read_digit_f32",
            i,
            net::read_digit_f32(&unit),
            cases::DIGIT_CLASSES_F32[i],
        );
        correct += usize::from(class == usize::from(cases::LABELS[i]));
    }
    hprintln!(
        "digit reader: {} of {} MNIST test digits read correctly",
        correct,
        cases::DIGIT_COUNT
    );
}

/// The MLPerf Tiny keyword spotter, imported from its `.tflite` file and
/// baked: LiteRT's int8 outputs bit for bit.
#[cfg(keywords)]
fn keywords(checker: &mut Checker) {
    for (i, (mfcc, want)) in cases::KEYWORD_INPUTS.iter().zip(&cases::KEYWORD_SCORES).enumerate() {
        checker.value("keyword_scores", i, net::keyword_scores(mfcc), Some(*want));
    }
    hprintln!(
        "keyword spotter: {} inputs against LiteRT's reference kernels",
        cases::KEYWORD_INPUTS.len()
    );
}

fn classifier(checker: &mut Checker) {
    for (i, x) in cases::SAMPLES.iter().enumerate() {
        let x = floats(x);
        checker.floats(
            "probabilities",
            i,
            net::probabilities(&x),
            cases::SAMPLE_PROBABILITIES[i],
        );
        checker.value("classify", i, net::classify(&x), cases::SAMPLE_CLASSES[i]);
    }
    hprintln!("classifier: {} samples", cases::SAMPLES.len());
}

fn training(checker: &mut Checker) {
    let mut classifier = net::trainable_classifier();
    for (i, step) in cases::STEPS.iter().enumerate() {
        let loss = net::train_step(
            &mut classifier,
            step.x.map(|x| floats(&x)),
            step.labels,
            f64::from_bits(step.lr),
        );
        checker.floats(
            "train_step loss",
            i,
            loss.map(|l| [l]),
            cases::STEP_LOSSES[i].map(|l| [l]),
        );
        let parameters = net::classifier_parameters(&classifier);
        for (p, e) in parameters.iter().zip(cases::STEP_PARAMETERS[i]) {
            checker.float("parameter after train_step", i, *p, e);
        }
    }
    hprintln!(
        "training: {} steps of 8 samples, every parameter compared after each",
        cases::STEPS.len()
    );
}

/// Ever deeper, 256 bytes a frame, until the stack runs out (long before
/// the depth wraps).
#[inline(never)]
fn recurse(depth: u32) -> u32 {
    let frame = black_box([depth; 64]);
    if depth == u32::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(frame[(depth % 64) as usize])
}
