//! Size probe: the LZ4 block decoder alone (`lz4::decompress_into`, safe
//! decode of lz4_flex, no allocator, no table): one block with a literal
//! run, a back reference and a closing literal run, decoded into a stack
//! buffer. The block passes through `black_box` so nothing is decoded ahead
//! of time.
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::lz4;
use secstream_firmware_example as fw;

/// "abc", then 15 bytes copied from 3 back, then "defgh": 23 bytes.
const BLOCK: [u8; 12] = [
    0x3B, b'a', b'b', b'c', 0x03, 0x00, 0x50, b'd', b'e', b'f', b'g', b'h',
];

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let mut out = [0u8; 64];
    let n = defmt::unwrap!(lz4::decompress_into(black_box(&BLOCK), &mut out));
    defmt::assert_eq!(out.get(..n), Some(&b"abcabcabcabcabcabcdefgh"[..]));
    defmt::info!("decoded {=usize} bytes", n);
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
