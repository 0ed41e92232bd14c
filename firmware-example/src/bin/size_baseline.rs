//! Size probe: the runtime alone (vector table, reset handler, defmt over
//! semihosting, panic handler, semihosting exit). The other probes include
//! it; subtract it to see what a core feature costs.
#![no_std]
#![no_main]

use secstream_firmware_example as fw;

#[cortex_m_rt::entry]
fn main() -> ! {
    defmt::info!("baseline");
    fw::exit(0)
}
