//! How the firmware ends: an exit status for QEMU on success, failure, a
//! panic or a fault, so that nothing ends in a hang.

use core::panic::PanicInfo;

use cortex_m_semihosting::{debug, hprintln};

/// Makes a stack overflow fault: the stack is the bottom of the RAM (see
/// build.rs), and what lies below must not be accessible. On the
/// micro:bit nothing is mapped there; mps2's "reserved" region below the
/// RAM ignores writes and reads zeros, so where there is an MPU a region
/// forbids 0x1000_0000–0x2000_0000 (the rest keeps the default memory
/// map). `run overflow` checks on every board that an overflow is caught.
pub fn guard_stack() {
    const TYPE: usize = 0xE000_ED90;
    const CTRL: usize = 0xE000_ED94;
    const RNR: usize = 0xE000_ED98;
    const RBAR: usize = 0xE000_ED9C;
    const RASR: usize = 0xE000_EDA0;
    // SAFETY: the MPU registers (PMSAv6 and v7 alike); MPU_TYPE reads 0
    // without an MPU. Region 0 covers no memory this program uses.
    unsafe {
        use core::ptr::{read_volatile, write_volatile};
        if (read_volatile(TYPE as *const u32) >> 8) & 0xFF == 0 {
            return;
        }
        write_volatile(RNR as *mut u32, 0);
        write_volatile(RBAR as *mut u32, 0x1000_0000);
        // enabled, 2^(27+1) = 256 MiB, no access, never executed
        write_volatile(RASR as *mut u32, 1 << 28 | 27 << 1 | 1);
        // enabled, the default map everywhere else
        write_volatile(CTRL as *mut u32, 1 << 2 | 1);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// Ends the program; QEMU exits with 0 if `passed`, 1 otherwise.
pub fn exit(passed: bool) -> ! {
    debug::exit(if passed {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // only without a debugger or QEMU to take the call
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    exit(false)
}

// The HardFault handler must not touch the stack it was entered with: on
// a stack overflow the exception frame was pushed below the RAM and the
// stack pointer is left there. It takes the faulting SP, moves SP back to
// the top of the stack (the program is over anyway) and reports.
core::arch::global_asm!(
    ".section .text.HardFault,\"ax\",%progbits",
    ".global HardFault",
    ".type HardFault,%function",
    ".thumb_func",
    "HardFault:",
    "mrs r0, MSP",
    "ldr r1, =_stack_start",
    "mov sp, r1",
    "bl {report}",
    ".ltorg",
    report = sym fault,
);

unsafe extern "C" fn fault(sp: u32) -> ! {
    let bottom = crate::stack::bottom() as u32;
    // a failed push or exception frame leaves SP just below the bottom
    if sp < bottom + 256 {
        hprintln!(
            "stack overflow: SP {:#010x} at the fault, the stack ends at {:#010x}",
            sp,
            bottom
        );
    } else {
        hprintln!("HardFault: SP {:#010x}", sp);
    }
    #[cfg(not(armv6m))]
    {
        // SAFETY: the fault status registers of ARMv7-M's system control
        // block, read-only here
        let (cfsr, hfsr, mmfar, bfar) = unsafe {
            use core::ptr::read_volatile;
            (
                read_volatile(0xE000_ED28 as *const u32),
                read_volatile(0xE000_ED2C as *const u32),
                read_volatile(0xE000_ED34 as *const u32),
                read_volatile(0xE000_ED38 as *const u32),
            )
        };
        hprintln!(
            "CFSR {:#010x} HFSR {:#010x} MMFAR {:#010x} BFAR {:#010x}",
            cfsr,
            hfsr,
            mmfar,
            bfar
        );
    }
    exit(false)
}
