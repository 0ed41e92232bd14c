//! Size probe: the framing set of `size-framing` (COBS frames with a
//! CRC-16, the split ring, a secure buffer) plus a sealed container: the key
//! comes out of a `SecureBuf`, a stream key is derived (HKDF-SHA256), frames
//! are sealed (ChaCha20-Poly1305, CRC-32C) and read back with the container
//! reader. Inputs pass through `black_box` so nothing is computed ahead of
//! time.
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::buf::SecureBuf;
use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs;
use secstream_core::container::{self, Config};
use secstream_core::seal::MasterKey;
use secstream_core::spsc::SpscRing;
use secstream_firmware_example as fw;

static RX: SpscRing<64> = SpscRing::new();

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    // Receive a frame through the ring into a secure buffer: the key.
    let kind = ChecksumKind::Crc16;
    let (mut producer, mut consumer) = defmt::unwrap!(RX.try_split());
    let mut wire = [0u8; 48];
    let n = defmt::unwrap!(cobs::encode_into(kind, black_box(&[0x5a; 32]), &mut wire));
    defmt::assert_eq!(producer.write(wire.get(..n).unwrap_or_default()), n);
    let mut decoder = cobs::Decoder::new(kind, 32, [0u8; 40]);
    let mut key = SecureBuf::<32>::new();
    fw::uart::drain_cobs_into(&mut consumer, &mut decoder, &mut key);

    // Seal two frames under it and open them again.
    let master = defmt::unwrap!(MasterKey::from_slice(key.as_slice()));
    key.clear();
    let config = Config::new(ChecksumKind::Crc32c, 64);
    let mut writer = defmt::unwrap!(container::Writer::new_sealed(
        config,
        &master,
        black_box([7; 16])
    ));
    let mut stream = [0u8; 192];
    let mut at = defmt::unwrap!(writer.encode_frame(black_box(b"telemetry"), &mut stream));
    at += defmt::unwrap!(writer.finish(stream.get_mut(at..).unwrap_or_default()));

    let mut reader = container::Reader::new_sealed([0u8; 64], master);
    let mut input = stream.get_mut(..at).unwrap_or_default();
    let mut opened = 0;
    while !input.is_empty() {
        let consumed = match defmt::unwrap!(reader.feed(input)) {
            container::Feed::NeedMore | container::Feed::NeedBuffer { .. } => break,
            container::Feed::Header { consumed, .. } | container::Feed::End { consumed } => {
                consumed
            }
            container::Feed::Frame { payload, consumed } => {
                opened += payload.len();
                consumed
            }
        };
        input = input.get_mut(consumed..).unwrap_or_default();
    }
    defmt::unwrap!(reader.finish());
    defmt::info!("sealed {=usize} bytes, opened {=usize}", at, opened);
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}
