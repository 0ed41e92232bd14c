//! The firmware entry point: logs a greeting and exits through semihosting.
#![no_std]
#![no_main]

use secstream_firmware_example as fw;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::info!("hello");
    fw::exit(0)
}
