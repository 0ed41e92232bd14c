//! COBS frames: encoder and resynchronising incremental decoder.

use core::ffi::c_void;

use secstream_core::cobs::{self, Decoder, Feed};

use crate::checksum::kind;
use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::feed::{SecstreamEvent, SecstreamFeed};
use crate::raw::{self, RawBuf, State};

/// Bytes of state memory a COBS decoder needs.
pub const SECSTREAM_COBS_DECODER_STATE_SIZE: usize = 80;
/// Alignment of a COBS decoder's state memory.
pub const SECSTREAM_COBS_DECODER_STATE_ALIGN: usize = 8;

impl State for Decoder<RawBuf> {
    const TAG: u32 = 0x5353_4302;
    const SIZE: usize = SECSTREAM_COBS_DECODER_STATE_SIZE;
    const ALIGN: usize = SECSTREAM_COBS_DECODER_STATE_ALIGN;
}

/// An upper bound of the encoded length (delimiter included) of a COBS frame
/// holding `payload_len` bytes with checksum `checksum_id`, into `*out`
/// (saturates at `SIZE_MAX`).
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_max_encoded_len(
    checksum_id: u8,
    payload_len: usize,
    out: *mut usize,
) -> SecstreamError {
    if out.is_null() {
        return E::SecstreamErrNullPointer;
    }
    match kind(checksum_id) {
        Ok(k) => {
            raw::put(out, cobs::max_encoded_len(k, payload_len));
            E::SecstreamOk
        }
        Err(e) => e,
    }
}

/// Writes the COBS frame of `payload` (delimiter included) into `out`
/// (`out_cap` bytes); its length into `*written`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_encode(
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
        Ok(cobs::encode_into(k, payload, out)?)
    };
    match run() {
        Ok(n) => {
            raw::put(written, n);
            E::SecstreamOk
        }
        Err(e) => e,
    }
}

/// Opens a COBS decoder in `state` (at least `SECSTREAM_COBS_DECODER_STATE_SIZE`
/// bytes, aligned to `SECSTREAM_COBS_DECODER_STATE_ALIGN`). `buf` holds the
/// frame being decoded: the largest payload is the smaller of `max_len` and
/// `buf_len` minus the checksum width. It must stay valid and untouched until
/// `secstream_cobs_decoder_close`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_decoder_open(
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

/// Feeds `input_len` bytes; fills `*out` (`SECSTREAM_NEED_MORE`,
/// `SECSTREAM_FRAME` or `SECSTREAM_REJECTED`: a damaged frame never fails the
/// decoder, it resynchronises at the next 0x00).
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_decoder_feed(
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
        Ok(match dec.feed(input) {
            Feed::NeedMore => SecstreamFeed::event(SecstreamEvent::SecstreamNeedMore, input.len()),
            Feed::Frame { payload, consumed } => SecstreamFeed::frame(payload, consumed),
            Feed::Rejected { error, consumed } => {
                let mut f = SecstreamFeed::event(SecstreamEvent::SecstreamRejected, consumed);
                f.rejected = error.into();
                f
            }
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
pub extern "C" fn secstream_cobs_decoder_finish(state: *mut c_void) -> SecstreamError {
    match raw::get::<Decoder<RawBuf>>(state) {
        Ok(dec) => match dec.finish() {
            Ok(()) => E::SecstreamOk,
            Err(e) => e.into(),
        },
        Err(e) => e,
    }
}

/// Closes the decoder: wipes its buffer's used part and its state.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_decoder_close(state: *mut c_void) -> SecstreamError {
    raw::close::<Decoder<RawBuf>>(state)
}
