//! Size probe: COBS frames with a CRC-16, the split ring and a secure
//! buffer, the receive path of a UART link: frames go into a ring in a
//! `static`, come out of it through the resynchronising decoder and the
//! payload lands in a `SecureBuf`. Inputs pass through `black_box` so the
//! compiler cannot compute the result ahead of time.
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::buf::SecureBuf;
use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs;
use secstream_core::spsc::SpscRing;
use secstream_firmware_example as fw;

static RX: SpscRing<64> = SpscRing::new();

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let kind = ChecksumKind::Crc16;
    let (mut producer, mut consumer) = defmt::unwrap!(RX.try_split());
    let mut wire = [0u8; 48];
    let n = defmt::unwrap!(cobs::encode_into(
        kind,
        black_box(b"\x00secret\x00frame"),
        &mut wire
    ));
    defmt::assert_eq!(producer.write(wire.get(..n).unwrap_or_default()), n);

    let mut decoder = cobs::Decoder::new(kind, 32, [0u8; 40]);
    let mut kept = SecureBuf::<32>::new();
    fw::uart::drain_cobs_into(&mut consumer, &mut decoder, &mut kept);
    defmt::info!("kept {=usize} bytes", kept.len());
    kept.clear();
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
