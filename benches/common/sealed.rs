//! The sealed container of `benches/framing.rs` and `examples/seal_count.rs`:
//! one master key and stream nonce, and a started sealed writer.

use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Config};
use secstream_core::seal::MasterKey;

/// The benches' master key (also the bare ciphers' key).
pub(crate) const KEY: [u8; 32] = [0x42; 32];
/// The benches' stream nonce.
pub(crate) const STREAM_NONCE: [u8; 16] = [7; 16];

/// A sealed writer (checksum none, frames of at most `max` bytes) past its preamble.
pub(crate) fn sealed_writer(max: usize) -> container::Writer {
    let config = Config::new(ChecksumKind::None, u32::try_from(max).unwrap());
    let mut w =
        container::Writer::new_sealed(config, &MasterKey::from_bytes(&KEY), STREAM_NONCE).unwrap();
    let mut pre = [0u8; container::SEALED_PREAMBLE_LEN];
    w.start(&mut pre).unwrap();
    w
}
