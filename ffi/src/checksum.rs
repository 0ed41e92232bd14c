//! The checksums of the contract, by id.

use core::ffi::c_void;

use secstream_core::checksum::ChecksumKind;

use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::raw::{self, RawBuf, State};

pub(crate) fn kind(id: u8) -> Result<ChecksumKind, E> {
    ChecksumKind::from_id(id).map_err(E::from)
}

/// Computes checksum `checksum_id` (0 none, 1 CRC-16, 2 CRC-32, 3 CRC-32C,
/// 4 XXH3-64) of `len` bytes at `data` into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_checksum(
    checksum_id: u8,
    data: *const u8,
    len: usize,
    out: *mut u64,
) -> SecstreamError {
    raw::answer(out, || {
        Ok(kind(checksum_id)?.compute(raw::input(data, len)?))
    })
}

/// The width in bytes (0, 2, 4 or 8) of checksum `checksum_id` into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_checksum_width(checksum_id: u8, out: *mut usize) -> SecstreamError {
    raw::answer(out, || Ok(kind(checksum_id)?.width()))
}

/// `frame::encode_into` or `cobs::encode_into`.
type EncodeInto<Err> = fn(ChecksumKind, &[u8], &mut [u8]) -> Result<usize, Err>;

/// The body of `secstream_frame_encode` and `secstream_cobs_encode`: the frame
/// of `payload` with checksum `checksum_id` into `out`, its length into
/// `*written`.
pub(crate) fn encode_with<Err: Into<E>>(
    encode: EncodeInto<Err>,
    checksum_id: u8,
    (payload, payload_len): (*const u8, usize),
    (out, out_cap): (*mut u8, usize),
    written: *mut usize,
) -> E {
    raw::answer(written, || {
        let k = kind(checksum_id)?;
        let payload = raw::input(payload, payload_len)?;
        let out = raw::output(out, out_cap)?;
        encode(k, payload, out).map_err(Into::into)
    })
}

/// The body of `secstream_frame_decoder_open` and
/// `secstream_cobs_decoder_open`: a decoder made by `new` over the caller's
/// buffer, placed in `state`.
pub(crate) fn open_decoder<D: State>(
    new: fn(ChecksumKind, u32, RawBuf) -> D,
    (state, state_size): (*mut c_void, usize),
    checksum_id: u8,
    max_len: u32,
    (buf, buf_len): (*mut u8, usize),
) -> E {
    raw::status((|| {
        let k = kind(checksum_id)?;
        let buf = RawBuf::new(buf, buf_len)?;
        raw::open(state, state_size, new(k, max_len, buf))
    })())
}
