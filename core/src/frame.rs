//! Length-prefixed frames (wire contract section 2), for reliable transports.
//!
//! ```text
//! frame := len:u32 LE | checksum(payload) (0/2/4/8 bytes LE) | payload (len bytes)
//! ```
//!
//! Writing: [`encode_into`] copies a frame into a caller buffer; [`header`] builds only
//! the 4..12 header bytes, so a host can write header and payload with vectored I/O and
//! never copy the payload; [`write_frame`] writes to an [`embedded_io::Write`].
//!
//! Reading: [`Decoder`] is fed chunks of any size (down to one byte). When a whole
//! payload is inside the chunk it is handed out as a slice of the chunk (no copy);
//! only a payload split across chunks is gathered in the decoder's buffer.
//!
//! ```
//! use secstream_core::checksum::ChecksumKind;
//! use secstream_core::frame::{self, Decoder, Feed};
//!
//! let mut wire = [0u8; 64];
//! let n = frame::encode_into(ChecksumKind::Crc16, b"hi", &mut wire)?;
//! assert_eq!(wire[..n], [2, 0, 0, 0, 0x0C, 0x7F, b'h', b'i']); // crc16 0x7F0C
//!
//! let mut dec = Decoder::new(ChecksumKind::Crc16, 1024, [0u8; 32]);
//! let mut input = &wire[..n];
//! let mut got = 0;
//! while !input.is_empty() {
//!     match dec.feed(input)? {
//!         Feed::Frame { payload, consumed } => {
//!             assert_eq!(payload, b"hi");
//!             got += 1;
//!             input = &input[consumed..];
//!         }
//!         Feed::NeedMore => break,
//!     }
//! }
//! dec.finish()?; // a clean end between frames
//! assert_eq!(got, 1);
//! # Ok::<(), secstream_core::frame::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::checksum::{ChecksumKind, MAX_WIDTH};

/// Length of the `len` field.
pub const LEN_SIZE: usize = 4;
/// Largest frame header: `len` plus the widest checksum.
pub const MAX_HEADER_LEN: usize = LEN_SIZE + MAX_WIDTH;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The stored checksum does not match the payload.
    BadChecksum,
    /// The `len` field (or a payload to write) exceeds the maximum frame length.
    FrameTooLong,
    /// The input ended inside a frame.
    Truncated,
    /// The output buffer is too small for the frame.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadChecksum => "frame checksum mismatch",
            Self::FrameTooLong => "frame longer than the maximum frame length",
            Self::Truncated => "input ends inside a frame",
            Self::BufferTooSmall => "output buffer too small for the frame",
        })
    }
}

impl core::error::Error for Error {}

/// The header of one frame: `len` and the checksum, 4 to 12 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Header {
    bytes: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl Header {
    /// The header bytes to write before the payload.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
    }
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Header").field(&self.as_bytes()).finish()
    }
}

impl AsRef<[u8]> for Header {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Header length of a frame with checksum `kind`: `4 + kind.width()`.
#[must_use]
pub const fn header_len(kind: ChecksumKind) -> usize {
    LEN_SIZE + kind.width()
}

/// Encoded length of a frame of `payload_len` bytes (saturates at `usize::MAX`).
#[must_use]
pub const fn encoded_len(kind: ChecksumKind, payload_len: usize) -> usize {
    header_len(kind).saturating_add(payload_len)
}

/// The header of a frame holding `payload`, for scatter/vectored writes.
///
/// # Errors
/// [`Error::FrameTooLong`] if `payload` is longer than `u32::MAX` bytes.
pub fn header(kind: ChecksumKind, payload: &[u8]) -> Result<Header, Error> {
    header_with_checksum(kind, payload.len(), kind.compute(payload))
}

/// The header of a frame of `payload_len` bytes whose checksum (already computed, e.g.
/// with a streaming [`Hasher`](crate::checksum::Hasher)) is `checksum`.
///
/// # Errors
/// [`Error::FrameTooLong`] if `payload_len` does not fit in a `u32`.
pub fn header_with_checksum(
    kind: ChecksumKind,
    payload_len: usize,
    checksum: u64,
) -> Result<Header, Error> {
    let len = u32::try_from(payload_len).map_err(|_| Error::FrameTooLong)?;
    let mut bytes = [0u8; MAX_HEADER_LEN];
    let (len_field, sum_field) = bytes.split_at_mut(LEN_SIZE);
    len_field.copy_from_slice(&len.to_le_bytes());
    let w = kind
        .write_le(checksum, sum_field)
        .ok_or(Error::BufferTooSmall)?;
    // LEN_SIZE + w <= 12, always fits in a u8.
    let hlen = u8::try_from(LEN_SIZE + w).map_err(|_| Error::BufferTooSmall)?;
    Ok(Header { bytes, len: hlen })
}

/// Writes the frame holding `payload` to the start of `out`; returns its length.
///
/// # Errors
/// [`Error::FrameTooLong`] if `payload` is longer than `u32::MAX` bytes,
/// [`Error::BufferTooSmall`] if `out` is shorter than [`encoded_len`].
pub fn encode_into(kind: ChecksumKind, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let len = u32::try_from(payload.len()).map_err(|_| Error::FrameTooLong)?;
    let hlen = header_len(kind);
    let total = hlen.checked_add(payload.len()).ok_or(Error::FrameTooLong)?;
    let dst = out.get_mut(..total).ok_or(Error::BufferTooSmall)?;
    let (head, body) = dst.split_at_mut(hlen);
    body.copy_from_slice(payload);
    put_header(kind, len, kind.compute(payload), head).ok_or(Error::BufferTooSmall)?;
    Ok(total)
}

/// Stores a frame header (`len`, then `checksum` in `kind`'s width, little-endian)
/// at the start of `head` with fixed-width stores; `None` if `head` is shorter
/// than [`header_len`].
pub(crate) fn put_header(
    kind: ChecksumKind,
    len: u32,
    checksum: u64,
    head: &mut [u8],
) -> Option<()> {
    let (len_field, sum_field) = head.split_first_chunk_mut::<LEN_SIZE>()?;
    *len_field = len.to_le_bytes();
    let le = checksum.to_le_bytes();
    match kind.width() {
        0 => {}
        2 => *sum_field.first_chunk_mut::<2>()? = *le.first_chunk::<2>()?,
        4 => *sum_field.first_chunk_mut::<4>()? = *le.first_chunk::<4>()?,
        8 => *sum_field.first_chunk_mut::<8>()? = le,
        _ => return None,
    }
    Some(())
}

/// Whether the checksum stored at the start of `stored` (in `kind`'s width) matches
/// `payload`: [`ChecksumKind::verify`] with fixed-width loads.
#[cfg(feature = "alloc")]
fn sum_matches(kind: ChecksumKind, payload: &[u8], stored: &[u8]) -> bool {
    let stored = match kind.width() {
        0 => return true,
        2 => stored
            .first_chunk::<2>()
            .map(|b| u64::from(u16::from_le_bytes(*b))),
        4 => stored
            .first_chunk::<4>()
            .map(|b| u64::from(u32::from_le_bytes(*b))),
        8 => stored.first_chunk::<8>().map(|b| u64::from_le_bytes(*b)),
        _ => None,
    };
    stored == Some(kind.compute(payload))
}

/// Error of [`write_frame`]: the frame could not be built or the writer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WriteError<E> {
    /// The frame could not be built.
    Frame(Error),
    /// The writer failed.
    Io(E),
}

impl<E: fmt::Debug> fmt::Display for WriteError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "cannot write frame: {e}"),
            Self::Io(e) => write!(f, "writer failed: {e:?}"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for WriteError<E> {}

/// Writes the frame holding `payload` to `w` (header, then payload; no copy).
///
/// # Errors
/// [`WriteError::Frame`] if `payload` is longer than `u32::MAX` bytes,
/// [`WriteError::Io`] if the writer fails.
pub fn write_frame<W: embedded_io::Write>(
    w: &mut W,
    kind: ChecksumKind,
    payload: &[u8],
) -> Result<(), WriteError<W::Error>> {
    let h = header(kind, payload).map_err(WriteError::Frame)?;
    w.write_all(h.as_bytes()).map_err(WriteError::Io)?;
    w.write_all(payload).map_err(WriteError::Io)
}

/// Result of [`Decoder::feed`] when no error occurred.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a frame or the number of consumed bytes must be handled"]
pub enum Feed<'a> {
    /// All of the input was consumed and no frame is complete yet.
    NeedMore,
    /// A whole, checked frame. `consumed` bytes of the input were used; feed the rest
    /// (`&input[consumed..]`) next.
    Frame {
        /// The payload (borrowed from the input when it was all there, otherwise from
        /// the decoder's buffer, which is wiped on the next call).
        payload: &'a [u8],
        /// Input bytes used, up to the end of this frame.
        consumed: usize,
    },
}

/// Like [`Feed`], with a mutable payload (see [`Decoder::feed_mut`]).
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a frame or the number of consumed bytes must be handled"]
pub enum FeedMut<'a> {
    /// All of the input was consumed and no frame is complete yet.
    NeedMore,
    /// A whole, checked frame (see [`Feed::Frame`]).
    Frame {
        /// The payload, mutable so it can be decrypted in place.
        payload: &'a mut [u8],
        /// Input bytes used, up to the end of this frame.
        consumed: usize,
    },
}

/// Result of [`Decoder::feed_lazy`] when no error occurred.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a frame, a buffer request or the number of consumed bytes must be handled"]
pub enum LazyFeed<'a> {
    /// All of the input was consumed and no frame is complete yet.
    NeedMore,
    /// A whole, checked frame (see [`Feed::Frame`]).
    Frame {
        /// The payload (in the input or the decoder's buffer).
        payload: &'a [u8],
        /// Input bytes used, up to the end of this frame.
        consumed: usize,
    },
    /// The frame being assembled (its length field is read and within the maximum) does
    /// not fit the buffer and is not whole in this input. Give the decoder a buffer of at
    /// least `len` bytes ([`Decoder::replace_buffer`]), then feed `&input[consumed..]`.
    NeedBuffer {
        /// Payload length of the frame: the buffer length it needs.
        len: usize,
        /// Input bytes used (the frame header).
        consumed: usize,
    },
}

/// Where a decoded frame lies (for the container reader, which decrypts in place).
pub(crate) enum Located {
    NeedMore,
    InInput {
        start: usize,
        end: usize,
    },
    InBuf {
        len: usize,
        consumed: usize,
    },
    /// Only with lazy buffering: the payload needs a buffer of `len` bytes.
    NeedBuf {
        len: usize,
        consumed: usize,
    },
    /// Only with the end mark on: a `len` field of 0xFFFFFFFF (the container's end
    /// mark) was read; `consumed` input bytes up to its end were used.
    EndMark {
        consumed: usize,
    },
}
use Located as Step;

/// Incremental decoder of length-prefixed frames.
///
/// `B` is the buffer for payloads split across chunks: `[u8; N]` (in a `static` or on the
/// stack), `&mut [u8]`, or on a host a `Vec<u8>`/`Box<[u8]>`. With [`feed`](Self::feed) the
/// largest accepted payload is the smaller of `max_len` and the buffer length, so the
/// result never depends on how the input was chunked. With [`feed_lazy`](Self::feed_lazy)
/// it is `max_len`, and the buffer is grown on request
/// ([`LazyFeed::NeedBuffer`], [`replace_buffer`](Self::replace_buffer)). The used part of the buffer is wiped when the decoder moves past
/// a frame, on [`reset`](Self::reset), after an error and on drop.
///
/// After an error the decoder stays failed (every call returns that error) until
/// [`reset`](Self::reset): on a reliable transport an error means the stream is corrupt.
pub struct Decoder<B: AsMut<[u8]>> {
    kind: ChecksumKind,
    max_len: u32,
    buf: B,
    header: [u8; MAX_HEADER_LEN],
    /// Header bytes gathered so far.
    header_got: u8,
    /// Payload length once the header is complete.
    len: usize,
    /// Payload bytes gathered in `buf`.
    got: usize,
    /// Bytes of `buf` that hold data to wipe.
    dirty: usize,
    /// Whether a `len` of 0xFFFFFFFF ends the frames (container end mark).
    end_mark: bool,
    failed: Option<Error>,
}

impl<B: AsMut<[u8]>> fmt::Debug for Decoder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("kind", &self.kind)
            .field("max_len", &self.max_len)
            .field("header_got", &self.header_got)
            .field("len", &self.len)
            .field("got", &self.got)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<B: AsMut<[u8]>> Drop for Decoder<B> {
    fn drop(&mut self) {
        self.wipe();
        self.header.zeroize();
    }
}

impl<B: AsMut<[u8]>> Decoder<B> {
    /// A decoder of frames with checksum `kind` and payloads of at most `max_len` bytes
    /// (and at most the length of `buf`).
    pub const fn new(kind: ChecksumKind, max_len: u32, buf: B) -> Self {
        Self {
            kind,
            max_len,
            buf,
            header: [0; MAX_HEADER_LEN],
            header_got: 0,
            len: 0,
            got: 0,
            dirty: 0,
            end_mark: false,
            failed: None,
        }
    }

    /// The checksum kind.
    pub const fn kind(&self) -> ChecksumKind {
        self.kind
    }

    /// The maximum payload length.
    pub const fn max_len(&self) -> u32 {
        self.max_len
    }

    /// Changes the checksum kind and maximum length (e.g. once a container header is read).
    /// Forgets any partial frame.
    pub fn reconfigure(&mut self, kind: ChecksumKind, max_len: u32) {
        self.reset();
        self.kind = kind;
        self.max_len = max_len;
    }

    /// Forgets any partial frame and a previous error, and wipes the buffer.
    pub fn reset(&mut self) {
        self.wipe();
        self.header.zeroize();
        self.header_got = 0;
        self.len = 0;
        self.got = 0;
        self.failed = None;
    }

    /// Whether the decoder is between frames (no partial frame held).
    pub const fn is_idle(&self) -> bool {
        self.header_got == 0 && self.failed.is_none()
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the input ended inside a frame; the earlier error if the
    /// decoder has failed. `Ok` for a clean end between frames.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.header_got != 0 {
            self.wipe();
            return Err(self.fail(Error::Truncated));
        }
        Ok(())
    }

    /// Largest payload accepted: `min(max_len, buffer length)`.
    pub fn max_payload_len(&mut self) -> usize {
        let cap = self.buf.as_mut().len();
        usize::try_from(self.max_len).map_or(cap, |m| m.min(cap))
    }

    /// Feeds a chunk of input.
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] as soon as a `len` field above the maximum is read,
    /// [`Error::BadChecksum`] for a damaged frame; then the decoder stays failed.
    pub fn feed<'a>(&'a mut self, input: &'a [u8]) -> Result<Feed<'a>, Error> {
        Ok(match self.step(input, false)? {
            Step::NeedMore => Feed::NeedMore,
            // Only `feed_lazy` asks for a buffer; here the length check refused the frame.
            // Only a container reader turns the end mark on.
            Step::NeedBuf { .. } | Step::EndMark { .. } => return Err(Error::FrameTooLong),
            Step::InInput { start, end } => Feed::Frame {
                payload: input.get(start..end).ok_or(Error::Truncated)?,
                consumed: end,
            },
            Step::InBuf { len, consumed } => Feed::Frame {
                payload: self.buf.as_mut().get(..len).ok_or(Error::Truncated)?,
                consumed,
            },
        })
    }

    /// Like [`feed`](Self::feed) over mutable input, handing out a mutable payload (so a
    /// container reader can decrypt it in place, in the input or in the buffer).
    ///
    /// # Errors
    /// As [`feed`](Self::feed).
    pub fn feed_mut<'a>(&'a mut self, input: &'a mut [u8]) -> Result<FeedMut<'a>, Error> {
        Ok(match self.step(input, false)? {
            Step::NeedMore => FeedMut::NeedMore,
            Step::NeedBuf { .. } | Step::EndMark { .. } => return Err(Error::FrameTooLong),
            Step::InInput { start, end } => FeedMut::Frame {
                payload: input.get_mut(start..end).ok_or(Error::Truncated)?,
                consumed: end,
            },
            Step::InBuf { len, consumed } => FeedMut::Frame {
                payload: self.buf.as_mut().get_mut(..len).ok_or(Error::Truncated)?,
                consumed,
            },
        })
    }

    /// Like [`feed`](Self::feed), for a buffer sized on demand: a frame whose length is
    /// within `max_len` but above the buffer length is accepted anyway. When it is whole in
    /// the input it is handed out from there (no buffer needed); otherwise the decoder stops
    /// after its header with [`LazyFeed::NeedBuffer`], and the caller grows the buffer with
    /// [`replace_buffer`](Self::replace_buffer) before feeding the rest. So a host can start
    /// with an empty `Vec` and allocate only what the frames it meets need, up to `max_len`.
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] as soon as a `len` field above `max_len` is read,
    /// [`Error::BadChecksum`] for a damaged frame; then the decoder stays failed.
    pub fn feed_lazy<'a>(&'a mut self, input: &'a [u8]) -> Result<LazyFeed<'a>, Error> {
        Ok(match self.step(input, true)? {
            Step::NeedMore => LazyFeed::NeedMore,
            Step::NeedBuf { len, consumed } => LazyFeed::NeedBuffer { len, consumed },
            Step::EndMark { .. } => return Err(Error::FrameTooLong),
            Step::InInput { start, end } => LazyFeed::Frame {
                payload: input.get(start..end).ok_or(Error::Truncated)?,
                consumed: end,
            },
            Step::InBuf { len, consumed } => LazyFeed::Frame {
                payload: self.buf.as_mut().get(..len).ok_or(Error::Truncated)?,
                consumed,
            },
        })
    }

    /// Payload length of the frame being assembled, once its length field is read (and
    /// accepted); `None` between frames, before the length field is complete, and after
    /// an error. The buffer must hold this many bytes unless the payload arrives whole in
    /// one input (see [`feed_lazy`](Self::feed_lazy)).
    pub const fn pending_len(&self) -> Option<usize> {
        if self.failed.is_none() && self.header_got as usize >= LEN_SIZE {
            Some(self.len)
        } else {
            None
        }
    }

    /// The buffer length.
    pub fn buffer_len(&mut self) -> usize {
        self.buf.as_mut().len()
    }

    /// Swaps in a new buffer (e.g. a larger one after [`LazyFeed::NeedBuffer`]) and returns
    /// the old one, wiped. Payload bytes gathered so far are moved to the new buffer; the
    /// decoding state is kept.
    ///
    /// # Errors
    /// Hands `buf` back unused if it is shorter than the payload bytes gathered so far.
    pub fn replace_buffer(&mut self, mut buf: B) -> Result<B, B> {
        let got = self.got;
        let Some(dst) = buf.as_mut().get_mut(..got) else {
            return Err(buf);
        };
        match self.buf.as_mut().get(..got) {
            Some(src) => dst.copy_from_slice(src),
            None => return Err(buf),
        }
        // Wipes the gathered bytes and a payload handed out before.
        self.wipe();
        let old = core::mem::replace(&mut self.buf, buf);
        self.dirty = got;
        Ok(old)
    }

    /// Decodes like [`feed`](Self::feed) (or [`feed_lazy`](Self::feed_lazy)) but
    /// reports where the payload is.
    pub(crate) fn step_located(&mut self, input: &[u8], lazy: bool) -> Result<Located, Error> {
        self.step(input, lazy)
    }

    /// Makes a `len` field of 0xFFFFFFFF end the frames ([`Located::EndMark`]) instead
    /// of being refused as too long (the container's end mark).
    pub(crate) fn set_end_mark(&mut self, on: bool) {
        self.end_mark = on;
    }

    /// The first `len` bytes of the buffer (a payload reported as [`Located::InBuf`]).
    pub(crate) fn buffered(&mut self, len: usize) -> Option<&mut [u8]> {
        self.buf.as_mut().get_mut(..len)
    }

    fn fail(&mut self, e: Error) -> Error {
        self.failed = Some(e);
        e
    }

    fn wipe(&mut self) {
        let dirty = self.dirty;
        if dirty != 0 {
            let buf = self.buf.as_mut();
            let n = dirty.min(buf.len());
            if let Some(d) = buf.get_mut(..n) {
                d.zeroize();
            }
            self.dirty = 0;
        }
    }

    /// One decoding step; with `lazy`, a frame longer than the buffer (within `max_len`)
    /// is accepted and reported as [`Step::NeedBuf`] when it has to be buffered.
    fn step(&mut self, input: &[u8], lazy: bool) -> Result<Step, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // The previous frame (if it came from the buffer) is done with.
        if self.got == 0 {
            self.wipe();
            // Hosts and wasm only: microcontrollers keep to the byte-wise path (flash).
            #[cfg(feature = "alloc")]
            if self.header_got == 0 {
                if let Some(step) = self.whole_frame(input, lazy)? {
                    return Ok(step);
                }
            }
        }
        let hlen = header_len(self.kind);
        let mut pos = 0usize;

        // 1. Gather the header.
        let mut header_got = usize::from(self.header_got);
        if header_got < hlen {
            let need = hlen - header_got;
            let rest = input.get(pos..).unwrap_or_default();
            let take = need.min(rest.len());
            let (src, dst) = (
                rest.get(..take).unwrap_or_default(),
                self.header.get_mut(header_got..header_got + take),
            );
            if let Some(dst) = dst {
                dst.copy_from_slice(src);
            }
            // Check the length field as soon as it is complete.
            if header_got < LEN_SIZE && header_got + take >= LEN_SIZE {
                if self.end_mark && self.header.get(..LEN_SIZE) == Some(&[0xFF; LEN_SIZE]) {
                    self.header.zeroize();
                    self.header_got = 0;
                    return Ok(Step::EndMark {
                        consumed: pos + (LEN_SIZE - header_got),
                    });
                }
                self.check_len(lazy)?;
            }
            header_got += take;
            pos += take;
            // header_got <= 12
            self.header_got = u8::try_from(header_got).unwrap_or(u8::MAX);
            if header_got < hlen {
                return Ok(Step::NeedMore);
            }
            self.got = 0;
        }

        // 2. The payload.
        let len = self.len;
        let rest = input.get(pos..).unwrap_or_default();
        if self.got == 0 && rest.len() >= len {
            // Zero copy: the whole payload is in this chunk.
            let end = pos + len;
            let payload = input.get(pos..end).unwrap_or_default();
            self.check_sum(payload)?;
            self.header_got = 0;
            return Ok(Step::InInput { start: pos, end });
        }
        if len > self.buf.as_mut().len() {
            // Only after a lazy length check (or a smaller buffer swapped in).
            if lazy {
                return Ok(Step::NeedBuf { len, consumed: pos });
            }
            self.wipe();
            return Err(self.fail(Error::FrameTooLong));
        }
        let need = len - self.got;
        let take = need.min(rest.len());
        let got = self.got;
        let buf = self.buf.as_mut();
        let dst = buf.get_mut(got..got + take).ok_or(Error::FrameTooLong)?;
        dst.copy_from_slice(rest.get(..take).unwrap_or_default());
        self.got += take;
        self.dirty = self.got;
        pos += take;
        if self.got < len {
            return Ok(Step::NeedMore);
        }
        let payload = self.buf.as_mut().get(..len).unwrap_or_default();
        let ok = self
            .kind
            .verify(payload, self.header.get(LEN_SIZE..).unwrap_or_default());
        if !ok {
            self.wipe();
            return Err(self.fail(Error::BadChecksum));
        }
        self.header_got = 0;
        self.got = 0;
        // `dirty` stays: the payload is wiped on the next call (`got == 0` there).
        Ok(Step::InBuf { len, consumed: pos })
    }

    /// The fast path of an idle decoder whose input starts with a whole frame (small
    /// frames in one read): the header is read in place with fixed-width loads, nothing
    /// is gathered. The same checks, in the same order, as the byte-wise path below;
    /// `None` if the frame is not wholly in `input` (that path then takes over).
    #[cfg(feature = "alloc")]
    fn whole_frame(&mut self, input: &[u8], lazy: bool) -> Result<Option<Step>, Error> {
        let hlen = header_len(self.kind);
        let Some(head) = input.get(..hlen) else {
            return Ok(None);
        };
        let Some((len_field, sum_field)) = head.split_first_chunk::<LEN_SIZE>() else {
            return Ok(None);
        };
        let len = u32::from_le_bytes(*len_field);
        if self.end_mark && len == u32::MAX {
            return Ok(Some(Step::EndMark { consumed: LEN_SIZE }));
        }
        if len > self.max_len {
            return Err(self.fail(Error::FrameTooLong));
        }
        let len = usize::try_from(len).map_err(|_| self.fail(Error::FrameTooLong))?;
        if !lazy && len > self.buf.as_mut().len() {
            return Err(self.fail(Error::FrameTooLong));
        }
        let end = hlen.saturating_add(len);
        let Some(payload) = input.get(hlen..end) else {
            return Ok(None);
        };
        if !sum_matches(self.kind, payload, sum_field) {
            return Err(self.fail(Error::BadChecksum));
        }
        Ok(Some(Step::InInput { start: hlen, end }))
    }

    fn check_len(&mut self, lazy: bool) -> Result<(), Error> {
        let mut le = [0u8; LEN_SIZE];
        le.copy_from_slice(self.header.get(..LEN_SIZE).unwrap_or(&[0; LEN_SIZE]));
        let len = u32::from_le_bytes(le);
        if len > self.max_len {
            return Err(self.fail(Error::FrameTooLong));
        }
        let len = usize::try_from(len).map_err(|_| self.fail(Error::FrameTooLong))?;
        if !lazy && len > self.buf.as_mut().len() {
            return Err(self.fail(Error::FrameTooLong));
        }
        self.len = len;
        Ok(())
    }

    fn check_sum(&mut self, payload: &[u8]) -> Result<(), Error> {
        if self
            .kind
            .verify(payload, self.header.get(LEN_SIZE..).unwrap_or_default())
        {
            Ok(())
        } else {
            Err(self.fail(Error::BadChecksum))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive loops (every bit, every cut) sample every n-th case under Miri.
    const MIRI_STEP: usize = if cfg!(miri) { 23 } else { 1 };
    use proptest::prelude::*;
    use std::vec::Vec;

    fn encode_all(kind: ChecksumKind, payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            let mut f = std::vec![0u8; encoded_len(kind, p.len())];
            let n = encode_into(kind, p, &mut f).unwrap();
            assert_eq!(n, f.len());
            out.extend_from_slice(&f);
        }
        out
    }

    /// Decodes `wire` fed in chunks of `chunk` bytes; returns payloads and the end result.
    fn decode_chunks(
        kind: ChecksumKind,
        max: u32,
        wire: &[u8],
        chunk: usize,
    ) -> (Vec<Vec<u8>>, Result<(), Error>) {
        let mut dec = Decoder::new(kind, max, std::vec![0u8; 256]);
        let mut out = Vec::new();
        for mut c in wire.chunks(chunk.max(1)) {
            loop {
                match dec.feed(c) {
                    Ok(Feed::NeedMore) => break,
                    Ok(Feed::Frame { payload, consumed }) => {
                        out.push(payload.to_vec());
                        c = &c[consumed..];
                        if c.is_empty() {
                            break;
                        }
                    }
                    Err(e) => return (out, Err(e)),
                }
            }
        }
        let end = dec.finish();
        (out, end)
    }

    #[test]
    fn exact_bytes() {
        // len 3, crc16/xmodem of "abc" = 0x9DD6
        let mut out = [0u8; 32];
        let n = encode_into(ChecksumKind::Crc16, b"abc", &mut out).unwrap();
        assert_eq!(out[..n], [3, 0, 0, 0, 0xD6, 0x9D, b'a', b'b', b'c']);
        let n = encode_into(ChecksumKind::None, b"", &mut out).unwrap();
        assert_eq!(out[..n], [0, 0, 0, 0]);
        // crc32("123456789") = 0xCBF43926
        let n = encode_into(ChecksumKind::Crc32, b"123456789", &mut out).unwrap();
        assert_eq!(out[..8], [9, 0, 0, 0, 0x26, 0x39, 0xF4, 0xCB]);
        assert_eq!(&out[8..n], b"123456789");
        let h = header(ChecksumKind::Xxh3, b"123456789").unwrap();
        assert_eq!(
            h.as_bytes(),
            [9, 0, 0, 0, 0xFF, 0x7D, 0xA1, 0x67, 0x8B, 0xB1, 0xDC, 0x72]
        );
        assert_eq!(header_len(ChecksumKind::Xxh3), 12);
        assert_eq!(
            encode_into(ChecksumKind::Crc32, b"abc", &mut out[..10]),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn embedded_io_writer() {
        let mut sink = [0u8; 16];
        let mut w: &mut [u8] = &mut sink;
        write_frame(&mut w, ChecksumKind::Crc16, b"abc").unwrap();
        assert_eq!(sink[..9], [3, 0, 0, 0, 0xD6, 0x9D, b'a', b'b', b'c']);
        let mut small = [0u8; 4];
        let mut w: &mut [u8] = &mut small;
        assert!(matches!(
            write_frame(&mut w, ChecksumKind::Crc16, b"abc"),
            Err(WriteError::Io(_))
        ));
    }

    #[test]
    fn zero_copy_when_whole_frame_in_input() {
        let wire = encode_all(ChecksumKind::Crc32c, &[b"hello", b"world"]);
        let mut dec = Decoder::new(ChecksumKind::Crc32c, 100, [0u8; 16]);
        let Ok(Feed::Frame { payload, consumed }) = dec.feed(&wire) else {
            panic!()
        };
        assert_eq!(payload, b"hello");
        assert_eq!(payload.as_ptr(), wire[8..].as_ptr());
        let Ok(Feed::Frame {
            payload,
            consumed: c2,
        }) = dec.feed(&wire[consumed..])
        else {
            panic!()
        };
        assert_eq!(payload, b"world");
        assert_eq!(consumed + c2, wire.len());
        assert_eq!(dec.finish(), Ok(()));
    }

    #[test]
    fn split_payload_uses_buffer_and_wipes_it() {
        let wire = encode_all(ChecksumKind::Crc16, &[b"secret"]);
        let mut buf = [0u8; 8];
        {
            let mut dec = Decoder::new(ChecksumKind::Crc16, 100, &mut buf[..]);
            assert_eq!(dec.feed(&wire[..8]), Ok(Feed::NeedMore));
            let Ok(Feed::Frame { payload, consumed }) = dec.feed(&wire[8..]) else {
                panic!()
            };
            assert_eq!((payload, consumed), (&b"secret"[..], 4));
            assert_eq!(dec.feed(&[]), Ok(Feed::NeedMore));
            assert_eq!(dec.finish(), Ok(()));
        }
        assert_eq!(buf, [0u8; 8]);
    }

    #[test]
    fn too_long_is_rejected_on_the_length_field() {
        let wire = encode_all(ChecksumKind::None, &[&[7u8; 20]]);
        let mut dec = Decoder::new(ChecksumKind::None, 19, [0u8; 64]);
        assert_eq!(dec.feed(&wire[..3]), Ok(Feed::NeedMore));
        assert_eq!(dec.feed(&wire[3..4]), Err(Error::FrameTooLong));
        assert_eq!(dec.feed(&wire[4..]), Err(Error::FrameTooLong));
        assert_eq!(dec.finish(), Err(Error::FrameTooLong));
        dec.reset();
        assert_eq!(dec.finish(), Ok(()));
        // The buffer bounds the length too.
        let mut dec = Decoder::new(ChecksumKind::None, 100, [0u8; 19]);
        assert_eq!(dec.feed(&wire), Err(Error::FrameTooLong));
        assert_eq!(dec.max_payload_len(), 19);
        let mut dec = Decoder::new(ChecksumKind::None, u32::MAX, [0u8; 0]);
        assert_eq!(
            dec.feed(&[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(Error::FrameTooLong)
        );
    }

    /// Decodes `wire` in chunks with `feed_lazy`, starting from an empty buffer and growing
    /// it to exactly what is asked; returns payloads, the end result and the buffer sizes
    /// asked for.
    fn decode_lazy(
        kind: ChecksumKind,
        max: u32,
        wire: &[u8],
        chunk: usize,
    ) -> (Vec<Vec<u8>>, Result<(), Error>, Vec<usize>) {
        let mut dec = Decoder::new(kind, max, Vec::new());
        let (mut out, mut asked) = (Vec::new(), Vec::new());
        for mut c in wire.chunks(chunk.max(1)) {
            loop {
                match dec.feed_lazy(c) {
                    Ok(LazyFeed::NeedMore) => break,
                    Ok(LazyFeed::Frame { payload, consumed }) => {
                        out.push(payload.to_vec());
                        c = &c[consumed..];
                    }
                    Ok(LazyFeed::NeedBuffer { len, consumed }) => {
                        assert_eq!(dec.pending_len(), Some(len));
                        asked.push(len);
                        let old = dec.replace_buffer(std::vec![0u8; len]).unwrap();
                        assert!(old.iter().all(|&b| b == 0), "old buffer wiped");
                        c = &c[consumed..];
                    }
                    Err(e) => return (out, Err(e), asked),
                }
            }
        }
        let end = dec.finish();
        (out, end, asked)
    }

    #[test]
    fn lazy_buffer_is_grown_only_for_split_frames() {
        let kind = ChecksumKind::Crc32;
        let big = [0x5Au8; 300];
        let wire = encode_all(kind, &[b"small", &big, b""]);
        // Whole input: every payload is handed out from the input, no buffer asked for.
        let (frames, end, asked) = decode_lazy(kind, 1000, &wire, wire.len());
        assert_eq!(end, Ok(()));
        assert_eq!(frames, [b"small".to_vec(), big.to_vec(), Vec::new()]);
        assert!(asked.is_empty());
        // Byte by byte: each non-empty payload asks for exactly its length, once.
        let (frames, end, asked) = decode_lazy(kind, 1000, &wire, 1);
        assert_eq!(end, Ok(()));
        assert_eq!(frames.len(), 3);
        assert_eq!(asked, [5, 300]);
        // The maximum still applies on the length field, before any buffer is asked for.
        let (frames, end, asked) = decode_lazy(kind, 299, &wire, 7);
        assert_eq!((frames.len(), end), (1, Err(Error::FrameTooLong)));
        assert!(asked.is_empty());
        // A 4 GiB claim with an empty buffer: refused at once.
        let mut dec = Decoder::new(ChecksumKind::None, 1 << 20, Vec::new());
        assert_eq!(
            dec.feed_lazy(&[0xFF, 0xFF, 0xFF, 0xFF, 0]),
            Err(Error::FrameTooLong)
        );
        // Plain `feed` keeps its rule: the buffer bounds the length.
        let mut dec = Decoder::new(kind, 1000, Vec::new());
        assert_eq!(dec.feed(&wire), Err(Error::FrameTooLong));
    }

    #[test]
    fn pending_len_and_replace_buffer_mid_frame() {
        let wire = encode_all(ChecksumKind::Crc16, &[b"payload!"]);
        let mut dec = Decoder::new(ChecksumKind::Crc16, 100, std::vec![0u8; 8]);
        assert_eq!(dec.pending_len(), None);
        assert_eq!(dec.feed(&wire[..3]), Ok(Feed::NeedMore));
        assert_eq!(dec.pending_len(), None);
        assert_eq!(dec.feed(&wire[3..9]), Ok(Feed::NeedMore)); // header + 3 payload bytes
        assert_eq!(dec.pending_len(), Some(8));
        // Too short for the 3 gathered bytes: handed back, nothing changed.
        assert_eq!(
            dec.replace_buffer(std::vec![9u8; 2]),
            Err(std::vec![9u8; 2])
        );
        // Moved to a new buffer; the old one comes back wiped.
        let old = dec.replace_buffer(std::vec![0u8; 20]).unwrap();
        assert_eq!(old, std::vec![0u8; 8]);
        assert_eq!(dec.buffer_len(), 20);
        let Ok(Feed::Frame { payload, .. }) = dec.feed(&wire[9..]) else {
            panic!()
        };
        assert_eq!(payload, b"payload!");
        assert_eq!(dec.pending_len(), None);
        // A buffer too small for a frame in progress: `feed` fails, `feed_lazy` asks.
        let mut dec = Decoder::new(ChecksumKind::Crc16, 100, std::vec![0u8; 8]);
        assert_eq!(dec.feed(&wire[..7]), Ok(Feed::NeedMore));
        let _ = dec.replace_buffer(std::vec![0u8; 4]).unwrap();
        assert_eq!(
            dec.feed_lazy(&wire[7..9]),
            Ok(LazyFeed::NeedBuffer {
                len: 8,
                consumed: 0
            })
        );
        assert_eq!(dec.feed(&wire[7..9]), Err(Error::FrameTooLong));
        assert_eq!(dec.feed(&wire[9..]), Err(Error::FrameTooLong), "sticks");
    }

    #[test]
    fn truncation_at_every_offset() {
        for kind in ChecksumKind::ALL {
            let wire = encode_all(kind, &[b"abc", b"", b"defgh"]);
            let ends: Vec<usize> = {
                let mut e = std::vec![0];
                let mut at = 0;
                for l in [3usize, 0, 5] {
                    at += header_len(kind) + l;
                    e.push(at);
                }
                e
            };
            for cut in (0..=wire.len()).step_by(MIRI_STEP) {
                let (frames, end) = decode_chunks(kind, 100, &wire[..cut], 3);
                if ends.contains(&cut) {
                    assert_eq!(end, Ok(()), "{kind} cut {cut}");
                } else {
                    assert_eq!(end, Err(Error::Truncated), "{kind} cut {cut}");
                }
                let complete = ends.iter().filter(|&&e| e != 0 && e <= cut).count();
                assert_eq!(frames.len(), complete);
            }
        }
    }

    #[test]
    fn every_bit_flip_is_detected() {
        for kind in [
            ChecksumKind::Crc16,
            ChecksumKind::Crc32,
            ChecksumKind::Crc32c,
            ChecksumKind::Xxh3,
        ] {
            let payloads: [&[u8]; 2] = [b"ab", b"xyz"];
            let wire = encode_all(kind, &payloads);
            for bit in (0..wire.len() * 8).step_by(MIRI_STEP) {
                let mut w = wire.clone();
                w[bit / 8] ^= 1 << (bit % 8);
                let (frames, end) = decode_chunks(kind, 64, &w, w.len());
                // Never wrong data: every yielded frame is an original one, in order.
                for (i, f) in frames.iter().enumerate() {
                    assert_eq!(f.as_slice(), payloads[i], "{kind} bit {bit}");
                }
                assert!(end.is_err(), "{kind} bit {bit} undetected");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn chunking_does_not_matter(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 12 } else { 80 }), 0..6),
            id in 0u8..5, chunk in 1usize..40, garbage in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let kind = ChecksumKind::from_id(id).unwrap();
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let mut wire = encode_all(kind, &refs);
            let (whole, end) = decode_chunks(kind, 100, &wire, wire.len());
            prop_assert_eq!(end, Ok(()));
            prop_assert_eq!(&whole, &payloads);
            let (bytewise, end1) = decode_chunks(kind, 100, &wire, 1);
            prop_assert_eq!(end1, Ok(()));
            prop_assert_eq!(&bytewise, &payloads);
            let (chunked, end2) = decode_chunks(kind, 100, &wire, chunk);
            prop_assert_eq!(end2, Ok(()));
            prop_assert_eq!(&chunked, &payloads);
            // Arbitrary trailing bytes: same result whatever the chunking, never a panic.
            wire.extend_from_slice(&garbage);
            let a = decode_chunks(kind, 100, &wire, wire.len());
            let b = decode_chunks(kind, 100, &wire, 1);
            prop_assert_eq!(&a, &b);
            // Lazy buffering gives the same frames and end whatever the chunking, and never
            // asks for more than the maximum.
            for c in [wire.len(), 1, chunk] {
                let (frames, end, asked) = decode_lazy(kind, 100, &wire, c);
                prop_assert_eq!((frames, end), a.clone());
                prop_assert!(asked.iter().all(|&n| n <= 100));
            }
        }
    }
}
