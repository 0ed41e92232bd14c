//! Typed messages in link frames: a postcard message (the core's
//! [`message`] module) inside a COBS frame with the link checksum
//! ([`protocol::LINK_CHECKSUM`]). Decoding is [`message::decode_message`] on
//! the payload a COBS decoder hands out.

use secstream_core::{cobs, message};
use serde::Serialize;

use crate::protocol::{self, MAX_PAYLOAD};

/// Why a message could not be put into a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
#[non_exhaustive]
pub enum Error {
    /// The message does not fit in [`MAX_PAYLOAD`] bytes.
    TooLarge,
    /// The output buffer is too small for the frame.
    BufferTooSmall,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "message larger than a link frame payload",
            Self::BufferTooSmall => "output buffer too small for the frame",
        })
    }
}

impl core::error::Error for Error {}

/// Serializes `msg` (postcard) and frames it into `out`; returns the
/// frame's length (delimiter included).
///
/// # Errors
/// [`Error::TooLarge`] if the message needs more than [`MAX_PAYLOAD`] bytes,
/// [`Error::BufferTooSmall`] if `out` cannot hold the frame.
pub fn encode<T: Serialize>(msg: &T, out: &mut [u8]) -> Result<usize, Error> {
    let mut payload = [0u8; MAX_PAYLOAD];
    let n = message::to_payload(msg, &mut payload).map_err(|_| Error::TooLarge)?;
    let used = payload.get(..n).ok_or(Error::TooLarge)?;
    cobs::encode_into(protocol::LINK_CHECKSUM, used, out).map_err(|_| Error::BufferTooSmall)
}
