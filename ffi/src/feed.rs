//! The result of every decoder's `*_feed`.

use crate::error::SecstreamError;

/// What a `*_feed` call produced.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecstreamEvent {
    /// All of the input was used and nothing is complete yet.
    SecstreamNeedMore = 0,
    /// A whole, checked frame: `payload`/`payload_len`.
    SecstreamFrame = 1,
    /// COBS only: a damaged frame was dropped (`rejected` says why); decoding
    /// continues after the next delimiter.
    SecstreamRejected = 2,
    /// Container only: the preamble was read (`checksum_id`, `compression_id`,
    /// `sealed`, `max_plain`).
    SecstreamHeader = 3,
    /// Container only: the end section was read and matched; the stream is complete.
    SecstreamEnd = 4,
}

/// Filled by every `*_feed` call that returns `SECSTREAM_OK`. Feed the input
/// from `consumed` on next. `payload` points into the input, the frame buffer
/// or the plaintext buffer and is valid until the next call on the state.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SecstreamFeed {
    /// What happened.
    pub event: SecstreamEvent,
    /// Input bytes used by this call.
    pub consumed: usize,
    /// The frame's payload (`SECSTREAM_FRAME`), else NULL.
    pub payload: *const u8,
    /// Length of `payload`.
    pub payload_len: usize,
    /// Why a COBS frame was rejected (`SECSTREAM_REJECTED`), else `SECSTREAM_OK`.
    pub rejected: SecstreamError,
    /// `SECSTREAM_HEADER`: the stream's `max_plain`.
    pub max_plain: u32,
    /// `SECSTREAM_HEADER`: the stream's checksum id.
    pub checksum_id: u8,
    /// `SECSTREAM_HEADER`: the stream's compression id (0 none, 1 deflate, 2 LZ4).
    pub compression_id: u8,
    /// `SECSTREAM_HEADER`: 1 if the stream is sealed.
    pub sealed: u8,
}

impl SecstreamFeed {
    pub(crate) const fn event(event: SecstreamEvent, consumed: usize) -> Self {
        Self {
            event,
            consumed,
            payload: core::ptr::null(),
            payload_len: 0,
            rejected: SecstreamError::SecstreamOk,
            max_plain: 0,
            checksum_id: 0,
            compression_id: 0,
            sealed: 0,
        }
    }

    pub(crate) const fn frame(payload: &[u8], consumed: usize) -> Self {
        let mut f = Self::event(SecstreamEvent::SecstreamFrame, consumed);
        f.payload = payload.as_ptr();
        f.payload_len = payload.len();
        f
    }
}
