//! Size probe: an unsealed container with LZ4 frames and CRC-16, read with
//! the container reader and the LZ4-only decompressor (`Lz4Decompressor`: an
//! output buffer, no inflate state): what a device pays to receive
//! compressed data. The stream is the shared vector `container-lz4-crc16`
//! (`max_plain` 1024, six frames, 577 bytes of plaintext); the copy it is
//! read from passes through `black_box`.
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::compress::Lz4Decompressor;
use secstream_core::container::{Feed, Reader};
use secstream_firmware_example as fw;

const STREAM: &[u8] = include_bytes!("../../../tests/vectors/container-lz4-crc16.bin");

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let mut wire = [0u8; 448];
    let wire = defmt::unwrap!(wire.get_mut(..STREAM.len()));
    wire.copy_from_slice(black_box(STREAM));
    // Frames arrive whole here; a frame buffer of the largest stored frame
    // takes them in pieces. The output buffer bounds each frame's plaintext.
    let mut reader = Reader::new([0u8; 320]).with_decompressor(Lz4Decompressor::new([0u8; 512]));
    let mut input = wire;
    let mut plain = 0usize;
    while !input.is_empty() {
        let consumed = match defmt::unwrap!(reader.feed(input)) {
            Feed::NeedMore | Feed::NeedBuffer { .. } => break,
            Feed::Header { consumed, .. } | Feed::End { consumed } => consumed,
            Feed::Frame { payload, consumed } => {
                plain += payload.len();
                consumed
            }
        };
        input = input.get_mut(consumed..).unwrap_or_default();
    }
    defmt::unwrap!(reader.finish());
    defmt::assert_eq!(plain, 577);
    defmt::info!("read {=usize} bytes", plain);
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
