//! Container v2 writer (unsealed or sealed; no compression or LZ4).

use core::ffi::c_void;

use secstream_core::compress::Compression;
use secstream_core::container::{Config, Writer};
use secstream_core::seal::{KEY_LEN, MasterKey, STREAM_NONCE_LEN};

use crate::checksum::kind;
use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::raw::{self, State};

/// Bytes of state memory a container writer needs.
pub const SECSTREAM_WRITER_STATE_SIZE: usize = 192;
/// Alignment of a container writer's state memory.
pub const SECSTREAM_WRITER_STATE_ALIGN: usize = 8;

impl State for Writer {
    const TAG: u32 = 0x5353_5703;
    const SIZE: usize = SECSTREAM_WRITER_STATE_SIZE;
    const ALIGN: usize = SECSTREAM_WRITER_STATE_ALIGN;
}

fn array<'a, const N: usize>(ptr: *const u8) -> Result<&'a [u8; N], E> {
    let s = raw::input(ptr, N)?;
    s.try_into().map_err(|_| E::SecstreamErrInvalidArgument)
}

/// Opens a container writer in `state` (at least `SECSTREAM_WRITER_STATE_SIZE`
/// bytes, aligned to `SECSTREAM_WRITER_STATE_ALIGN`). `compression_id` is 0
/// (none) or 2 (LZ4, in builds with the `lz4` feature, the default); deflate
/// (1) needs an allocator: both unavailable ones answer
/// `SECSTREAM_ERR_COMPRESSION_UNAVAILABLE`. `max_plain` is 1..=2^30.
///
/// Unsealed: `key` and `stream_nonce` are NULL. Sealed: `key` points to the 32-byte
/// master key and `stream_nonce` to 16 fresh random bytes (from the platform's
/// RNG, never reused). The library keeps only the derived stream key, wiped by
/// `secstream_writer_close`; the caller wipes its own copy of `key`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_open(
    state: *mut c_void,
    state_size: usize,
    checksum_id: u8,
    compression_id: u8,
    max_plain: u32,
    key: *const u8,
    stream_nonce: *const u8,
) -> SecstreamError {
    let run = || -> Result<(), E> {
        let compression =
            Compression::from_id(compression_id).ok_or(E::SecstreamErrUnknownCompression)?;
        let config = Config::new(kind(checksum_id)?, max_plain).with_compression(compression);
        let writer = match (key.is_null(), stream_nonce.is_null()) {
            (true, true) => Writer::new(config)?,
            (false, false) => {
                let master = MasterKey::from_bytes(array::<KEY_LEN>(key)?);
                let nonce = *array::<STREAM_NONCE_LEN>(stream_nonce)?;
                Writer::new_sealed(config, &master, nonce)?
            }
            _ => return Err(E::SecstreamErrNullPointer),
        };
        raw::open(state, state_size, writer)
    };
    raw::status(run())
}

fn with_writer(
    state: *mut c_void,
    f: impl FnOnce(&mut Writer) -> Result<usize, E>,
    out: *mut usize,
) -> SecstreamError {
    raw::answer(out, || raw::get::<Writer>(state).and_then(f))
}

/// An output capacity always enough for the next frame of `plain_len` bytes
/// (with the preamble while it is not written yet), into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_max_encoded_len(
    state: *mut c_void,
    plain_len: usize,
    out: *mut usize,
) -> SecstreamError {
    with_writer(state, |w| Ok(w.max_encoded_len(plain_len)), out)
}

/// An output capacity always enough for `secstream_writer_finish`, into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_max_finish_len(
    state: *mut c_void,
    out: *mut usize,
) -> SecstreamError {
    with_writer(state, |w| Ok(w.max_finish_len()), out)
}

fn encode(
    state: *mut c_void,
    last: bool,
    plain: *const u8,
    plain_len: usize,
    out: *mut u8,
    out_cap: usize,
    written: *mut usize,
) -> SecstreamError {
    with_writer(
        state,
        |w| {
            let plain = raw::input(plain, plain_len)?;
            let out = raw::output(out, out_cap)?;
            let r = if last {
                w.encode_last(plain, out)
            } else {
                w.encode_frame(plain, out)
            };
            Ok(r?)
        },
        written,
    )
}

/// Encodes one frame holding `plain` into `out` (after the preamble if it was
/// not written yet); the bytes written into `*written`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_encode_frame(
    state: *mut c_void,
    plain: *const u8,
    plain_len: usize,
    out: *mut u8,
    out_cap: usize,
    written: *mut usize,
) -> SecstreamError {
    encode(state, false, plain, plain_len, out, out_cap, written)
}

/// Encodes the last frame (a sealed stream's final frame); only
/// `secstream_writer_finish` may follow.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_encode_last(
    state: *mut c_void,
    plain: *const u8,
    plain_len: usize,
    out: *mut u8,
    out_cap: usize,
    written: *mut usize,
) -> SecstreamError {
    encode(state, true, plain, plain_len, out, out_cap, written)
}

/// Ends the stream (an empty final frame if a sealed stream has none yet, then
/// the end section) into `out`; the bytes written into `*written`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_finish(
    state: *mut c_void,
    out: *mut u8,
    out_cap: usize,
    written: *mut usize,
) -> SecstreamError {
    with_writer(
        state,
        |w| {
            let out = raw::output(out, out_cap)?;
            Ok(w.finish(out)?)
        },
        written,
    )
}

/// Closes the writer and wipes its state (the stream key included).
#[unsafe(no_mangle)]
pub extern "C" fn secstream_writer_close(state: *mut c_void) -> SecstreamError {
    raw::close::<Writer>(state)
}
