//! secstream-core on a microcontroller.
//!
//! The firmware (`src/main.rs`) is the intended embedded use of the core,
//! everything static and without an allocator. This library holds its
//! runtime glue (defmt over semihosting, the panic handler, the exit status)
//! so the firmware, the size probes and the on-target tests share it, and
//! the firmware's parts:
//!
//! - [`protocol`]: the postcard-typed commands and replies of the link;
//! - [`link`]: a message in a COBS frame with a CRC-16;
//! - [`uart`]: the simulated UART receiver, producer half of the split ring;
//! - [`peer`]: the simulated host at the other end of the line;
//! - [`stack`]: the stack high-water mark the size probes report.
#![no_std]

pub mod link;
pub mod peer;
pub mod protocol;
pub mod stack;
pub mod uart;

// The critical-section implementation (single core, interrupts masked) that
// defmt-semihosting and, on thumbv6m, portable-atomic rely on.
use cortex_m as _;
// The vector table and reset handler, also for the defmt-test binaries.
use cortex_m_rt as _;
// The defmt global logger: frames go to semihosting stdout.
use defmt_semihosting as _;

/// Ends the program; QEMU exits with `code` (semihosting `SYS_EXIT`).
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

/// Logs where the panic happened and exits with status 101.
///
/// The message itself is not formatted: that would link `core::fmt`, which
/// costs kilobytes of flash. `defmt::panic!` and the defmt-test assertions log
/// their message through defmt before they get here.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(at) => defmt::error!("panicked at {=str}:{=u32}", at.file(), at.line()),
        None => defmt::error!("panicked"),
    }
    exit(101)
}

/// `defmt::panic!` (and defmt-test's failed assertions) end here, after the
/// message has been logged.
#[defmt::panic_handler]
fn defmt_panic() -> ! {
    exit(101)
}
