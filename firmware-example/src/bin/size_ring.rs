//! Size probe: the split ring alone. A `static` `SpscRing` split into its
//! halves, bytes copied in, read through a grant and released (wiped).
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::spsc::SpscRing;
use secstream_firmware_example as fw;

static RING: SpscRing<64> = SpscRing::new();

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let (mut producer, mut consumer) = defmt::unwrap!(RING.try_split());
    let mut total = 0usize;
    for round in 0..black_box(5u8) {
        let data = [round; 40];
        let n = producer.write(black_box(&data));
        while let Ok(grant) = consumer.read() {
            total += grant.iter().map(|&b| usize::from(b)).sum::<usize>();
            let len = grant.len();
            grant.release(len);
        }
        defmt::assert_eq!(n, 40);
    }
    defmt::info!("ring moved {=usize}", total);
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
