//! Opening one container frame held whole in a buffer: checksum, length bound,
//! authentication and decryption, decompression. Shared by the
//! [`FileStream`](crate::file_stream::FileStream) and the worker pipeline.

use secstream_core::compress::{self, Compression};
use secstream_core::container::{self, FrameCodec};
use secstream_core::deflate::{self, InflateState};
use secstream_core::frame;
use secstream_core::lz4;

/// What a frame's bytes turned out to hold.
pub(crate) struct Opened {
    /// Where the (compressed) plaintext lies in the frame bytes after opening.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether it is a sealed stream's final frame.
    pub(crate) is_final: bool,
}

/// Checks and opens frame `counter`, whose bytes (length field, checksum,
/// stored payload) are all of `bytes`: the `len` field must match, the stored
/// length be within the stream's bound, the checksum match; a sealed frame is
/// authenticated and decrypted in place (`is_final` as in [`FrameCodec::open`]).
pub(crate) fn open(
    codec: &FrameCodec,
    counter: u64,
    is_final: Option<bool>,
    bytes: &mut [u8],
) -> Result<Opened, container::Error> {
    let hlen = check(codec, counter, bytes)?;
    let stored = bytes.get_mut(hlen..).ok_or(container::Error::Truncated)?;
    let (n, fin) = codec.open(counter, is_final, stored)?;
    Ok(Opened {
        start: hlen,
        end: hlen + n,
        is_final: fin,
    })
}

/// [`open`] for an unsealed stream, which changes nothing in the frame's
/// `bytes` (so they can stay where they are: a mapped file).
pub(crate) fn check_unsealed(
    codec: &FrameCodec,
    counter: u64,
    bytes: &[u8],
) -> Result<Opened, container::Error> {
    if codec.config().sealed {
        return Err(container::Error::KeyRequired);
    }
    Ok(Opened {
        start: check(codec, counter, bytes)?,
        end: bytes.len(),
        is_final: false,
    })
}

/// The checks of frame `counter`'s bytes before opening, shared by [`open`] and
/// [`check_unsealed`]: the `len` field matches the stored length, which is within
/// the stream's bound, and the checksum matches. Returns the header length.
fn check(codec: &FrameCodec, counter: u64, bytes: &[u8]) -> Result<usize, container::Error> {
    let kind = codec.config().checksum;
    let hlen = frame::header_len(kind);
    let (head, stored) = bytes
        .split_at_checked(hlen)
        .ok_or(container::Error::Truncated)?;
    let mut len = [0u8; 4];
    len.copy_from_slice(head.get(..4).unwrap_or(&[0; 4]));
    if u32::from_le_bytes(len) as usize != stored.len() {
        return Err(container::Error::EndMismatch(container::EndField::Index));
    }
    if stored.len() > codec.config().max_stored() {
        return Err(container::Error::FrameTooLong { frame: counter });
    }
    if !kind.verify(stored, head.get(4..).unwrap_or_default()) {
        return Err(container::Error::BadChecksum { frame: counter });
    }
    Ok(hlen)
}

/// Decompresses an opened frame's `input` into `out` (which bounds the
/// plaintext: at most `max_plain` bytes); returns the plaintext length. The
/// inflate state is made on first use of deflate.
pub(crate) fn decompress(
    kind: Compression,
    input: &[u8],
    out: &mut [u8],
    state: &mut Option<Box<InflateState>>,
) -> Result<usize, container::Error> {
    let res = match kind {
        Compression::None => {
            let dst = out.get_mut(..input.len()).ok_or(compress::Error::TooLarge);
            dst.map(|d| {
                d.copy_from_slice(input);
                input.len()
            })
        }
        Compression::Lz4 => lz4::decompress_into(input, out),
        Compression::Deflate => {
            let st = state.get_or_insert_with(|| Box::new(InflateState::new()));
            deflate::inflate_into(input, out, st)
        }
    };
    res.map_err(|e| match e {
        compress::Error::TooLarge => container::Error::PlainTooLong,
        e => container::Error::Decompress(e),
    })
}
