//! Length-prefixed frames: encoder and incremental decoder.

use core::ffi::c_void;

use secstream_core::frame::{self, Decoder, Feed};

use crate::checksum::{encode_with, kind, open_decoder};
use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::feed::{SecstreamEvent, SecstreamFeed};
use crate::raw::{self, RawBuf, State};

/// Bytes of state memory a frame decoder needs.
pub const SECSTREAM_FRAME_DECODER_STATE_SIZE: usize = 96;
/// Alignment of a frame decoder's state memory.
pub const SECSTREAM_FRAME_DECODER_STATE_ALIGN: usize = 8;

impl State for Decoder<RawBuf> {
    const TAG: u32 = 0x5353_4601;
    const SIZE: usize = SECSTREAM_FRAME_DECODER_STATE_SIZE;
    const ALIGN: usize = SECSTREAM_FRAME_DECODER_STATE_ALIGN;
}

/// Length of the frame holding `payload_len` bytes with checksum `checksum_id`,
/// into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_encoded_len(
    checksum_id: u8,
    payload_len: usize,
    out: *mut usize,
) -> SecstreamError {
    raw::answer(out, || {
        frame::header_len(kind(checksum_id)?)
            .checked_add(payload_len)
            .ok_or(E::SecstreamErrInvalidArgument)
    })
}

/// Writes the frame of `payload` into `out` (`out_cap` bytes); its length into
/// `*written`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_encode(
    checksum_id: u8,
    payload: *const u8,
    payload_len: usize,
    out: *mut u8,
    out_cap: usize,
    written: *mut usize,
) -> SecstreamError {
    encode_with(
        frame::encode_into,
        checksum_id,
        (payload, payload_len),
        (out, out_cap),
        written,
    )
}

/// Opens a frame decoder in `state` (`state_size` bytes, at least
/// `SECSTREAM_FRAME_DECODER_STATE_SIZE`, aligned to
/// `SECSTREAM_FRAME_DECODER_STATE_ALIGN`). `buf` (`buf_len` bytes) gathers
/// payloads split across inputs and bounds, with `max_len`, the payload length;
/// it must stay valid and untouched until `secstream_frame_decoder_close`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_decoder_open(
    state: *mut c_void,
    state_size: usize,
    checksum_id: u8,
    max_len: u32,
    buf: *mut u8,
    buf_len: usize,
) -> SecstreamError {
    open_decoder(
        Decoder::new,
        (state, state_size),
        checksum_id,
        max_len,
        (buf, buf_len),
    )
}

/// Feeds `input_len` bytes; fills `*out` (`SECSTREAM_NEED_MORE` or
/// `SECSTREAM_FRAME`). After an error the decoder stays failed.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_decoder_feed(
    state: *mut c_void,
    input: *const u8,
    input_len: usize,
    out: *mut SecstreamFeed,
) -> SecstreamError {
    let run = || -> Result<SecstreamFeed, E> {
        let dec = raw::get::<Decoder<RawBuf>>(state)?;
        let input = raw::input(input, input_len)?;
        Ok(match dec.feed(input)? {
            Feed::NeedMore => SecstreamFeed::event(SecstreamEvent::SecstreamNeedMore, input.len()),
            Feed::Frame { payload, consumed } => SecstreamFeed::frame(payload, consumed),
        })
    };
    raw::answer(out, run)
}

/// Call at the end of the input: `SECSTREAM_ERR_TRUNCATED` if it ended inside a
/// frame.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_decoder_finish(state: *mut c_void) -> SecstreamError {
    raw::status(raw::get::<Decoder<RawBuf>>(state).and_then(|d| Ok(d.finish()?)))
}

/// Closes the decoder: wipes the used part of its buffer and its state.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_decoder_close(state: *mut c_void) -> SecstreamError {
    raw::close::<Decoder<RawBuf>>(state)
}
