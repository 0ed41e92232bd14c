//! Size probe: the runtime alone (vector table, reset handler, defmt over
//! semihosting, panic handler, semihosting exit). The other probes include
//! it; subtract it to see what a core feature costs. Like every probe it
//! logs its stack peak, which the size report adds to its static RAM.
#![no_std]
#![no_main]

use secstream_firmware_example as fw;

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    defmt::info!("baseline");
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
