//! Container v2 reader (unsealed, sealed with a key, or keyless verifier), with
//! LZ4 decompression.

use core::ffi::c_void;

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{Compression, Lz4Decompressor};
use secstream_core::container::{Config, Feed, Reader};
use secstream_core::seal::{KEY_LEN, MasterKey};

use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::feed::{SecstreamEvent, SecstreamFeed};
use crate::raw::{self, RawBuf, State};

/// Bytes of state memory a container reader needs.
pub const SECSTREAM_READER_STATE_SIZE: usize = 1152;
/// Alignment of a container reader's state memory.
pub const SECSTREAM_READER_STATE_ALIGN: usize = 8;

type R = Reader<RawBuf, Lz4Decompressor<RawBuf>>;

impl State for R {
    const TAG: u32 = 0x5353_5204;
    const SIZE: usize = SECSTREAM_READER_STATE_SIZE;
    const ALIGN: usize = SECSTREAM_READER_STATE_ALIGN;
}

/// How to open a reader.
enum Mode {
    Open,
    Sealed(*const u8),
    Verify,
}

#[allow(clippy::too_many_arguments)]
fn open(
    state: *mut c_void,
    state_size: usize,
    mode: Mode,
    frame_buf: *mut u8,
    frame_buf_len: usize,
    plain_buf: *mut u8,
    plain_buf_len: usize,
    limit: u32,
) -> SecstreamError {
    let run = || -> Result<(), E> {
        let frames = RawBuf::new(frame_buf, frame_buf_len)?;
        let plain = RawBuf::new(plain_buf, plain_buf_len)?;
        let reader = match mode {
            Mode::Open => Reader::new(frames),
            Mode::Verify => Reader::verifier(frames),
            Mode::Sealed(key) => {
                let key: &[u8; KEY_LEN] = raw::input(key, KEY_LEN)?
                    .try_into()
                    .map_err(|_| E::SecstreamErrInvalidArgument)?;
                Reader::new_sealed(frames, MasterKey::from_bytes(key))
            }
        };
        let mut reader = reader.with_decompressor(Lz4Decompressor::new(plain));
        if limit != 0 {
            reader.set_limit(limit);
        }
        raw::open(state, state_size, reader)
    };
    raw::status(run())
}

/// The largest stored length of a frame of a stream with `compression_id`,
/// `sealed` (0 or 1) and `max_plain` (as a `SECSTREAM_HEADER` event reports
/// them), into `*out`: the `frame_buf_len` that lets a reader take the stream's
/// frames in any chunking. `SECSTREAM_ERR_BAD_MAX_PLAIN` outside 1..=2^30.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_container_max_stored(
    compression_id: u8,
    sealed: u8,
    max_plain: u32,
    out: *mut usize,
) -> SecstreamError {
    raw::answer(out, || {
        let compression =
            Compression::from_id(compression_id).ok_or(E::SecstreamErrUnknownCompression)?;
        let config = Config::new(ChecksumKind::None, max_plain)
            .with_compression(compression)
            .with_sealed(sealed != 0);
        config.check()?;
        Ok(config.max_stored())
    })
}

/// Opens a reader of unsealed containers in `state` (at least
/// `SECSTREAM_READER_STATE_SIZE` bytes, aligned to `SECSTREAM_READER_STATE_ALIGN`).
///
/// `frame_buf` gathers a frame that arrives split across inputs: a frame larger
/// than it fails with `SECSTREAM_ERR_FRAME_TOO_LONG` unless it is whole in one
/// input (size it with `secstream_container_max_stored`); `plain_buf` receives
/// LZ4-decompressed plaintexts (`max_plain` bytes; may be NULL/0 for
/// uncompressed streams). Both stay valid and untouched
/// until `secstream_reader_close`. `limit` is the largest `max_plain` accepted
/// (0: the default, 16 MiB). Deflate streams answer
/// `SECSTREAM_ERR_COMPRESSION_UNAVAILABLE`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_reader_open(
    state: *mut c_void,
    state_size: usize,
    frame_buf: *mut u8,
    frame_buf_len: usize,
    plain_buf: *mut u8,
    plain_buf_len: usize,
    limit: u32,
) -> SecstreamError {
    let m = Mode::Open;
    open(
        state,
        state_size,
        m,
        frame_buf,
        frame_buf_len,
        plain_buf,
        plain_buf_len,
        limit,
    )
}

/// Like `secstream_reader_open`, for sealed containers with the 32-byte master
/// `key` (an unsealed stream fails with `SECSTREAM_ERR_NOT_SEALED`). The key is
/// copied into the state, wiped once the stream key is derived, and the stream
/// key is wiped by `secstream_reader_close`; the caller wipes its own copy.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_reader_open_sealed(
    state: *mut c_void,
    state_size: usize,
    key: *const u8,
    frame_buf: *mut u8,
    frame_buf_len: usize,
    plain_buf: *mut u8,
    plain_buf_len: usize,
    limit: u32,
) -> SecstreamError {
    if key.is_null() {
        return E::SecstreamErrNullPointer;
    }
    let m = Mode::Sealed(key);
    open(
        state,
        state_size,
        m,
        frame_buf,
        frame_buf_len,
        plain_buf,
        plain_buf_len,
        limit,
    )
}

/// Like `secstream_reader_open`, a keyless verifier of any container: it checks
/// the preamble, every frame's length and checksum and the end section (so it
/// detects truncation); a sealed stream's frames are handed out as stored
/// (ciphertext and tag), and only a keyed read proves it authentic.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_verifier_open(
    state: *mut c_void,
    state_size: usize,
    frame_buf: *mut u8,
    frame_buf_len: usize,
    plain_buf: *mut u8,
    plain_buf_len: usize,
    limit: u32,
) -> SecstreamError {
    let m = Mode::Verify;
    open(
        state,
        state_size,
        m,
        frame_buf,
        frame_buf_len,
        plain_buf,
        plain_buf_len,
        limit,
    )
}

/// Feeds `input_len` bytes (sealed frames are decrypted in place, so `input` is
/// writable); fills `*out`: `SECSTREAM_HEADER` first, then one
/// `SECSTREAM_FRAME` per frame (empty ones too), then `SECSTREAM_END`. Any error
/// is final.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_reader_feed(
    state: *mut c_void,
    input: *mut u8,
    input_len: usize,
    out: *mut SecstreamFeed,
) -> SecstreamError {
    let run = || -> Result<SecstreamFeed, E> {
        let r = raw::get::<R>(state)?;
        let input = raw::output(input, input_len)?;
        let len = input.len();
        Ok(match r.feed(input)? {
            Feed::NeedMore => SecstreamFeed::event(SecstreamEvent::SecstreamNeedMore, len),
            Feed::Header { header, consumed } => {
                let mut f = SecstreamFeed::event(SecstreamEvent::SecstreamHeader, consumed);
                let c = header.config;
                f.max_plain = c.max_plain;
                f.checksum_id = c.checksum.id();
                f.compression_id = c.compression.id();
                f.sealed = u8::from(c.sealed);
                f
            }
            // Not lazy: the reader never asks for a buffer; report it as too small.
            Feed::NeedBuffer { .. } => return Err(E::SecstreamErrBufferTooSmall),
            Feed::Frame { payload, consumed } => SecstreamFeed::frame(payload, consumed),
            Feed::End { consumed } => SecstreamFeed::event(SecstreamEvent::SecstreamEnd, consumed),
        })
    };
    raw::answer(out, run)
}

/// Call at the end of the input: `SECSTREAM_OK` only once the end section was
/// read and matched (`SECSTREAM_ERR_TRUNCATED` otherwise).
#[unsafe(no_mangle)]
pub extern "C" fn secstream_reader_finish(state: *mut c_void) -> SecstreamError {
    raw::status(raw::get::<R>(state).and_then(|d| Ok(d.finish()?)))
}

/// Closes the reader: wipes its buffers' used parts and its state (keys included).
#[unsafe(no_mangle)]
pub extern "C" fn secstream_reader_close(state: *mut c_void) -> SecstreamError {
    raw::close::<R>(state)
}
