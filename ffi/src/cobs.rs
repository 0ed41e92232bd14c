//! COBS frames: encoder and resynchronising incremental decoder.

use core::ffi::c_void;

use secstream_core::cobs::{self, Decoder, Feed};

use crate::checksum::{encode_with, kind, open_decoder};
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
    raw::answer(out, || {
        Ok(cobs::max_encoded_len(kind(checksum_id)?, payload_len))
    })
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
    encode_with(
        cobs::encode_into,
        checksum_id,
        (payload, payload_len),
        (out, out_cap),
        written,
    )
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
    open_decoder(
        Decoder::new,
        (state, state_size),
        checksum_id,
        max_len,
        (buf, buf_len),
    )
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
    raw::answer(out, run)
}

/// Call at the end of the input: `SECSTREAM_ERR_TRUNCATED` if it ended inside a
/// frame.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_decoder_finish(state: *mut c_void) -> SecstreamError {
    raw::status(raw::get::<Decoder<RawBuf>>(state).and_then(|d| Ok(d.finish()?)))
}

/// Closes the decoder: wipes its buffer's used part and its state.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_cobs_decoder_close(state: *mut c_void) -> SecstreamError {
    raw::close::<Decoder<RawBuf>>(state)
}
