//! Length-prefixed frames: encoder and incremental decoder.

use core::ffi::c_void;

use secstream_core::frame::{self, Decoder, Feed};

use crate::checksum::kind;
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
    if out.is_null() {
        return E::SecstreamErrNullPointer;
    }
    let k = match kind(checksum_id) {
        Ok(k) => k,
        Err(e) => return e,
    };
    match frame::header_len(k).checked_add(payload_len) {
        Some(n) => {
            raw::put(out, n);
            E::SecstreamOk
        }
        None => E::SecstreamErrInvalidArgument,
    }
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
    let run = || -> Result<usize, E> {
        if written.is_null() {
            return Err(E::SecstreamErrNullPointer);
        }
        let k = kind(checksum_id)?;
        let payload = raw::input(payload, payload_len)?;
        let out = raw::output(out, out_cap)?;
        Ok(frame::encode_into(k, payload, out)?)
    };
    match run() {
        Ok(n) => {
            raw::put(written, n);
            E::SecstreamOk
        }
        Err(e) => e,
    }
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
    let run = || -> Result<(), E> {
        let k = kind(checksum_id)?;
        let buf = RawBuf::new(buf, buf_len)?;
        raw::open(state, state_size, Decoder::new(k, max_len, buf))
    };
    match run() {
        Ok(()) => E::SecstreamOk,
        Err(e) => e,
    }
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
    if out.is_null() {
        return E::SecstreamErrNullPointer;
    }
    let run = || -> Result<SecstreamFeed, E> {
        let dec = raw::get::<Decoder<RawBuf>>(state)?;
        let input = raw::input(input, input_len)?;
        Ok(match dec.feed(input)? {
            Feed::NeedMore => SecstreamFeed::event(SecstreamEvent::SecstreamNeedMore, input.len()),
            Feed::Frame { payload, consumed } => SecstreamFeed::frame(payload, consumed),
        })
    };
    match run() {
        Ok(f) => {
            raw::put(out, f);
            E::SecstreamOk
        }
        Err(e) => e,
    }
}

/// Call at the end of the input: `SECSTREAM_ERR_TRUNCATED` if it ended inside a
/// frame.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_decoder_finish(state: *mut c_void) -> SecstreamError {
    match raw::get::<Decoder<RawBuf>>(state) {
        Ok(dec) => match dec.finish() {
            Ok(()) => E::SecstreamOk,
            Err(e) => e.into(),
        },
        Err(e) => e,
    }
}

/// Closes the decoder: wipes the used part of its buffer and its state.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_frame_decoder_close(state: *mut c_void) -> SecstreamError {
    raw::close::<Decoder<RawBuf>>(state)
}
