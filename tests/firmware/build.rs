//! Lays out the firmware's memory (stack below the statics, so that an
//! overflow faults instead of corrupting them) and writes the test cases
//! with the host's answers into OUT_DIR.

#[path = "build/cases.rs"]
mod cases;
#[path = "../tinyml/fixture.rs"]
mod fixture;
#[path = "build/mnist.rs"]
mod mnist;

use std::env;
use std::path::{Path, PathBuf};

/// Where the code and the RAM are, and how much of the RAM is stack.
struct Board {
    flash: u32,
    ram: u32,
    stack: u32,
    /// How many MNIST test digits the check reads (none where the digit
    /// reader's stack does not fit).
    digits: usize,
    /// Whether the check runs the MLPerf Tiny keyword spotter (its rows
    /// take 72 kB of stack).
    keywords: bool,
}

/// QEMU's mps2-an386 (Cortex-M4F) and mps2-an385 (Cortex-M3): 4 MiB of
/// code memory at 0, 4 MiB of SRAM at 0x2000_0000.
const MPS2: Board = Board {
    flash: 4 << 20,
    ram: 4 << 20,
    stack: 256 << 10,
    digits: 100,
    keywords: true,
};

/// The micro:bit's nRF51822 (Cortex-M0): 256 KiB of flash, 16 KiB of RAM.
const MICROBIT: Board = Board {
    flash: 256 << 10,
    ram: 16 << 10,
    stack: 14 << 10,
    digits: 100,
    keywords: false,
};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=build");
    println!("cargo:rustc-check-cfg=cfg(digits)");
    println!("cargo:rustc-check-cfg=cfg(keywords)");
    println!("cargo:rustc-check-cfg=cfg(armv6m)");
    // What the measuring firmware reports it was built with.
    println!("cargo:rustc-env=FIRMWARE_OPT_LEVEL={}", env::var("OPT_LEVEL").unwrap());
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("none") {
        return; // the host build is a stub
    }
    if env::var("TARGET").unwrap().starts_with("thumbv6m") {
        println!("cargo:rustc-cfg=armv6m"); // no fault status registers
    }
    let board = if env::var_os("CARGO_FEATURE_MICROBIT").is_some() {
        MICROBIT
    } else {
        MPS2
    };
    if board.digits > 0 {
        println!("cargo:rustc-cfg=digits");
    }
    memory_layout(&out, &board);
    let mnist = manifest.join("../../data/mnist");
    println!("cargo:rerun-if-changed={}", mnist.display());
    let (images, labels) = mnist::test_digits(&mnist, board.digits);
    let mut source = cases::source(&images, &labels);
    if board.keywords {
        println!("cargo:rustc-cfg=keywords");
        let fixture = manifest.join("../fixtures/tinyml/kws_int8.fixture");
        println!("cargo:rerun-if-changed={}", fixture.display());
        let bytes = std::fs::read(&fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        let arrays = fixture::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        cases::keyword_cases(&mut source, &arrays);
    }
    std::fs::write(out.join("cases.rs"), source).unwrap();
}

/// memory.x for cortex-m-rt's link.x, in OUT_DIR. (A memory.x in this
/// folder would win over it, since the linker searches the working
/// directory first: there is none.)
fn memory_layout(out: &Path, board: &Board) {
    let memory = format!(
        "/* Written by build.rs. The stack fills the bottom of the RAM and grows
   down towards 0x20000000, below which nothing is mapped: an overflow is
   a bus fault (reported by the firmware's HardFault handler), not a
   silent overwrite of the statics above it. */
MEMORY
{{
  FLASH : ORIGIN = 0x00000000, LENGTH = {flash:#x}
  STACK : ORIGIN = 0x20000000, LENGTH = {stack:#x}
  RAM : ORIGIN = 0x20000000 + {stack:#x}, LENGTH = {rest:#x}
}}
_stack_start = ORIGIN(STACK) + LENGTH(STACK);
_stack_end = ORIGIN(STACK);
",
        flash = board.flash,
        stack = board.stack,
        rest = board.ram - board.stack,
    );
    std::fs::write(out.join("memory.x"), memory).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
