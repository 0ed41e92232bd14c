//! Size probe: COBS frames with a CRC-16 alone (all five checksums are
//! linked, see the size report): a frame encoded, then decoded by the
//! resynchronising decoder.
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs::{self, Feed};
use secstream_firmware_example as fw;

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let kind = ChecksumKind::Crc16;
    let mut wire = [0u8; 48];
    let n = defmt::unwrap!(cobs::encode_into(
        kind,
        black_box(b"\x00frame\x00"),
        &mut wire
    ));
    let mut decoder = cobs::Decoder::new(kind, 32, [0u8; 40]);
    let mut input = wire.get(..n).unwrap_or_default();
    let mut frames = 0usize;
    while !input.is_empty() {
        let used = match decoder.feed(input) {
            Feed::NeedMore => input.len(),
            Feed::Frame { payload, consumed } => {
                frames += payload.len();
                consumed
            }
            Feed::Rejected { error, consumed } => {
                defmt::warn!("dropped: {}", error);
                consumed
            }
        };
        input = input.get(used..).unwrap_or_default();
    }
    defmt::info!("decoded {=usize} bytes", frames);
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
