//! Typed messages: postcard-serialised values in frames (feature `serde`).
//!
//! A message is a frame payload holding one value in the postcard format. The value is
//! serialised straight into the output buffer behind the room for the frame header (no
//! intermediate copy), and decoded from a payload a frame decoder handed out (borrowing
//! strings and byte slices from it).
//!
//! ```
//! use secstream_core::checksum::ChecksumKind;
//! use secstream_core::frame::{Decoder, Feed};
//! use secstream_core::message::{decode_message, encode_message};
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Reading<'a> { sensor: &'a str, value: i32 }
//!
//! let mut wire = [0u8; 64];
//! let n = encode_message(&Reading { sensor: "t0", value: -3 }, ChecksumKind::Crc16, &mut wire)?;
//! let mut dec = Decoder::new(ChecksumKind::Crc16, 64, [0u8; 64]);
//! let Ok(Feed::Frame { payload, .. }) = dec.feed(&wire[..n]) else { unreachable!() };
//! assert_eq!(decode_message::<Reading>(payload)?, Reading { sensor: "t0", value: -3 });
//! # Ok::<(), secstream_core::message::Error>(())
//! ```

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::checksum::ChecksumKind;
use crate::frame;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The output buffer is too small for the message.
    BufferTooSmall,
    /// The value cannot be serialised by postcard.
    Serialize,
    /// The payload is not a valid postcard encoding of the type.
    Deserialize,
    /// Bytes follow the value in the payload.
    TrailingBytes,
    /// The frame could not be built (payload longer than `u32::MAX`).
    Frame(frame::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall => f.write_str("output buffer too small for the message"),
            Self::Serialize => f.write_str("cannot serialise the message"),
            Self::Deserialize => f.write_str("malformed message"),
            Self::TrailingBytes => f.write_str("bytes after the message"),
            Self::Frame(e) => write!(f, "cannot frame the message: {e}"),
        }
    }
}

impl core::error::Error for Error {}

fn ser_err(e: postcard::Error) -> Error {
    match e {
        postcard::Error::SerializeBufferFull => Error::BufferTooSmall,
        _ => Error::Serialize,
    }
}

/// Serialises `value` (postcard) to the start of `out`; returns the payload length.
///
/// # Errors
/// [`Error::BufferTooSmall`], [`Error::Serialize`].
pub fn to_payload<T: Serialize + ?Sized>(value: &T, out: &mut [u8]) -> Result<usize, Error> {
    postcard::to_slice(value, out)
        .map(|s| s.len())
        .map_err(ser_err)
}

/// Writes `value` as one length-prefixed frame (section 2) with checksum `kind` to the
/// start of `out`; returns the frame length.
///
/// # Errors
/// [`Error::BufferTooSmall`], [`Error::Serialize`], [`Error::Frame`].
pub fn encode_message<T: Serialize + ?Sized>(
    value: &T,
    kind: ChecksumKind,
    out: &mut [u8],
) -> Result<usize, Error> {
    let hlen = frame::header_len(kind);
    let (head, body) = out
        .split_at_mut_checked(hlen)
        .ok_or(Error::BufferTooSmall)?;
    let n = to_payload(value, body)?;
    let payload = body.get(..n).ok_or(Error::BufferTooSmall)?;
    let h = frame::header(kind, payload).map_err(Error::Frame)?;
    head.copy_from_slice(h.as_bytes());
    Ok(hlen + n)
}

/// Decodes a value from a whole frame payload.
///
/// # Errors
/// [`Error::Deserialize`] for a malformed payload, [`Error::TrailingBytes`] if bytes
/// follow the value.
pub fn decode_message<'de, T: Deserialize<'de>>(payload: &'de [u8]) -> Result<T, Error> {
    let (value, rest) = postcard::take_from_bytes(payload).map_err(|_| Error::Deserialize)?;
    if rest.is_empty() {
        Ok(value)
    } else {
        Err(Error::TrailingBytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Decoder, Feed};
    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Msg<'a> {
        Ping(u32),
        Data { id: u16, bytes: &'a [u8] },
        Text(&'a str),
    }

    #[test]
    fn exact_bytes() {
        let mut out = [0u8; 32];
        let n = encode_message(&Msg::Ping(300), ChecksumKind::None, &mut out).unwrap();
        // len 3, variant 0, varint 300 = AC 02
        assert_eq!(out[..n], [3, 0, 0, 0, 0x00, 0xAC, 0x02]);
        let n = encode_message(
            &Msg::Data {
                id: 1,
                bytes: b"ab",
            },
            ChecksumKind::Crc16,
            &mut out,
        )
        .unwrap();
        let payload = [0x01, 0x01, 0x02, b'a', b'b'];
        let crc = ChecksumKind::Crc16.compute_le(&payload);
        assert_eq!(out[..6], [5, 0, 0, 0, crc[0], crc[1]]);
        assert_eq!(out[6..n], payload);
    }

    #[test]
    fn errors() {
        let mut out = [0u8; 6];
        assert_eq!(
            encode_message(&Msg::Text("hello"), ChecksumKind::None, &mut out),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            encode_message(&Msg::Ping(1), ChecksumKind::Xxh3, &mut out),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(decode_message::<Msg<'_>>(&[9]), Err(Error::Deserialize));
        assert_eq!(
            decode_message::<Msg<'_>>(&[0, 1, 0]),
            Err(Error::TrailingBytes)
        );
        assert_eq!(
            decode_message::<Msg<'_>>(&[2, 5, b'a']),
            Err(Error::Deserialize)
        );
        assert_eq!(
            decode_message::<Msg<'_>>(&[2, 1, 0xFF]),
            Err(Error::Deserialize)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn round_trip(n in any::<u32>(), id in any::<u16>(), bytes in proptest::collection::vec(any::<u8>(), 0..40),
                      text in ".{0,20}", junk in proptest::collection::vec(any::<u8>(), 0..20)) {
            let msgs = [Msg::Ping(n), Msg::Data { id, bytes: &bytes }, Msg::Text(&text)];
            let mut dec = Decoder::new(ChecksumKind::Crc32, 256, [0u8; 256]);
            for m in &msgs {
                let mut out = [0u8; 256];
                let len = encode_message(m, ChecksumKind::Crc32, &mut out).unwrap();
                let Ok(Feed::Frame { payload, consumed }) = dec.feed(&out[..len]) else { panic!() };
                prop_assert_eq!(consumed, len);
                prop_assert_eq!(&decode_message::<Msg<'_>>(payload).unwrap(), m);
            }
            // Arbitrary payloads never panic.
            let _ = decode_message::<Msg<'_>>(&junk);
        }
    }
}
