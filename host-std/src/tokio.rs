//! `tokio_util::codec` for secstream's formats (feature `tokio`): use them with
//! [`FramedRead`](tokio_util::codec::FramedRead) and
//! [`FramedWrite`](tokio_util::codec::FramedWrite) over any `AsyncRead`/`AsyncWrite`.
//!
//! - [`FrameCodec`]: raw length-prefixed frames (section 2), `Encoder<&[u8]>` and a
//!   `Decoder` of payloads.
//! - [`MessageCodec`]: typed postcard messages, one per frame (with `serde`).
//! - [`ContainerEncoder`] and [`ContainerDecoder`]: containers (section 4).
//!
//! Each runs the core's state machines (`frame::Decoder`, `container::Writer`,
//! `container::Reader`), the same code as the blocking adapters: no second
//! implementation of a format. Decoded payloads are [`Zeroizing`] vectors, wiped
//! when dropped; the codecs wipe their own buffers on drop.
//!
//! ```
//! use secstream::checksum::ChecksumKind;
//! use secstream::tokio::FrameCodec;
//! use tokio_util::codec::{Decoder, Encoder};
//! use bytes::BytesMut;
//!
//! let mut codec = FrameCodec::new(ChecksumKind::Crc32c, 1 << 20);
//! let mut wire = BytesMut::new();
//! codec.encode(&b"hello"[..], &mut wire)?;
//! let frame = codec.decode(&mut wire)?.unwrap();
//! assert_eq!(&frame[..], b"hello");
//! # Ok::<(), secstream::Error>(())
//! ```

use std::fmt;

use bytes::{Buf, BufMut, BytesMut};
use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Feed, Header};
use secstream_core::frame;
use secstream_core::seal::{MasterKey, STREAM_NONCE_LEN};
use tokio_util::codec::{Decoder, Encoder};
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::container_io::ContainerOptions;
use crate::container_io::reader::{self as container_reader, Core};
use crate::frame_io::reader::grow;

/// Raw frames with checksum `kind` and payloads of at most `max_len` bytes (the limit
/// is checked on the length field, before anything is allocated or waited for).
pub struct FrameCodec {
    dec: frame::Decoder<Vec<u8>>,
}

impl fmt::Debug for FrameCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameCodec")
            .field("kind", &self.dec.kind())
            .field("max_len", &self.dec.max_len())
            .finish_non_exhaustive()
    }
}

impl FrameCodec {
    /// A codec of frames with checksum `kind` and payloads of at most `max_len` bytes.
    #[must_use]
    pub fn new(kind: ChecksumKind, max_len: u32) -> Self {
        Self {
            dec: frame::Decoder::new(kind, max_len, Vec::new()),
        }
    }
}

impl Decoder for FrameCodec {
    type Item = Zeroizing<Vec<u8>>;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
        loop {
            match self.dec.feed_lazy(src)? {
                frame::LazyFeed::Frame { payload, consumed } => {
                    let item = Zeroizing::new(payload.to_vec());
                    wipe_front(src, consumed);
                    return Ok(Some(item));
                }
                frame::LazyFeed::NeedBuffer { len, consumed } => {
                    grow(&mut self.dec, len)?;
                    wipe_front(src, consumed);
                }
                frame::LazyFeed::NeedMore => {
                    // The decoder took every byte (into its own buffer).
                    wipe_front(src, src.len());
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
        match self.decode(src)? {
            Some(item) => Ok(Some(item)),
            None => {
                self.dec.finish()?;
                Ok(None)
            }
        }
    }
}

impl Encoder<&[u8]> for FrameCodec {
    type Error = Error;

    fn encode(&mut self, payload: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        let max = usize::try_from(self.dec.max_len()).unwrap_or(usize::MAX);
        if payload.len() > max {
            return Err(Error::Frame(frame::Error::FrameTooLong));
        }
        let h = frame::header(self.dec.kind(), payload)?;
        dst.reserve(h.as_bytes().len() + payload.len());
        dst.put_slice(h.as_bytes());
        dst.put_slice(payload);
        Ok(())
    }
}

/// Wipes the first `n` bytes of `src`, then drops them.
fn wipe_front(src: &mut BytesMut, n: usize) {
    let n = n.min(src.len());
    if let Some(used) = src.get_mut(..n) {
        used.zeroize();
    }
    src.advance(n);
}

/// Typed postcard messages, one per raw frame (features `tokio` and `serde`).
#[cfg(feature = "serde")]
pub struct MessageCodec<T> {
    frames: FrameCodec,
    _t: core::marker::PhantomData<fn() -> T>,
}

#[cfg(feature = "serde")]
impl<T> fmt::Debug for MessageCodec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageCodec")
            .field("frames", &self.frames)
            .finish()
    }
}

#[cfg(feature = "serde")]
impl<T> MessageCodec<T> {
    /// Messages in frames with checksum `kind`, each at most `max_len` bytes encoded.
    #[must_use]
    pub fn new(kind: ChecksumKind, max_len: u32) -> Self {
        Self {
            frames: FrameCodec::new(kind, max_len),
            _t: core::marker::PhantomData,
        }
    }
}

#[cfg(feature = "serde")]
impl<T: serde::de::DeserializeOwned> Decoder for MessageCodec<T> {
    type Item = T;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<T>, Error> {
        self.frames
            .decode(src)?
            .map(|p| secstream_core::message::decode_message(&p).map_err(Error::Message))
            .transpose()
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<T>, Error> {
        self.frames
            .decode_eof(src)?
            .map(|p| secstream_core::message::decode_message(&p).map_err(Error::Message))
            .transpose()
    }
}

#[cfg(feature = "serde")]
impl<T: serde::Serialize> Encoder<T> for MessageCodec<T> {
    type Error = Error;

    fn encode(&mut self, value: T, dst: &mut BytesMut) -> Result<(), Error> {
        let max = usize::try_from(self.frames.dec.max_len()).unwrap_or(usize::MAX);
        let mut buf = Zeroizing::new(vec![0u8; max.min(1 << 24)]);
        let n = secstream_core::message::to_payload(&value, &mut buf).map_err(Error::Message)?;
        self.frames.encode(buf.get(..n).unwrap_or_default(), dst)
    }
}

/// What a [`ContainerEncoder`] writes: a frame, or the last frame (a sealed stream's
/// final frame; it may be empty) followed by the end section.
#[derive(Debug, Clone, Copy)]
pub enum Chunk<'a> {
    /// One frame of plaintext (at most the stream's frame size).
    Frame(&'a [u8]),
    /// The last frame, then the end section: the stream is complete.
    Last(&'a [u8]),
}

/// Writes a container, one [`Chunk`] per frame. The preamble goes out with the first
/// chunk; [`Chunk::Last`] ends the stream (without it, readers report truncation).
pub struct ContainerEncoder {
    core: Box<container::Writer>,
    preamble_sent: bool,
}

impl fmt::Debug for ContainerEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerEncoder")
            .field("core", &self.core)
            .finish()
    }
}

impl ContainerEncoder {
    fn build(mut core: container::Writer, options: ContainerOptions) -> Self {
        let (level, index) = options.level_and_index();
        core.set_level(level);
        if index {
            core = core.with_index();
        }
        Self {
            core: Box::new(core),
            preamble_sent: false,
        }
    }

    /// An unsealed container's encoder.
    ///
    /// # Errors
    /// [`Error::Container`] for a frame size outside 1..=2^30.
    pub fn new(options: ContainerOptions) -> Result<Self, Error> {
        Ok(Self::build(
            container::Writer::new(options.config(false))?,
            options,
        ))
    }

    /// A sealed container's encoder, with a fresh random stream nonce.
    ///
    /// # Errors
    /// [`Error::Random`] if the random generator fails; as [`new`](Self::new).
    pub fn sealed(options: ContainerOptions, master: &MasterKey) -> Result<Self, Error> {
        let mut nonce = [0u8; STREAM_NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(Error::Random)?;
        let w = container::Writer::new_sealed(options.config(true), master, nonce)?;
        Ok(Self::build(w, options))
    }
}

impl Encoder<Chunk<'_>> for ContainerEncoder {
    type Error = Error;

    fn encode(&mut self, chunk: Chunk<'_>, dst: &mut BytesMut) -> Result<(), Error> {
        let (plain, last) = match chunk {
            Chunk::Frame(p) => (p, false),
            Chunk::Last(p) => (p, true),
        };
        let at = dst.len();
        // The end section grows by the last frame's index entry.
        let need = self.core.max_encoded_len(plain.len())
            + if last {
                self.core.max_finish_len() + container::INDEX_ENTRY_LEN
            } else {
                0
            };
        dst.resize(at + need, 0);
        let res = (|| {
            let out = dst.get_mut(at..).unwrap_or_default();
            let mut n = if last {
                self.core.encode_last(plain, out)?
            } else {
                self.core.encode_frame(plain, out)?
            };
            if last {
                n += self.core.finish(out.get_mut(n..).unwrap_or_default())?;
            }
            Ok::<usize, container::Error>(n)
        })();
        match res {
            Ok(n) => {
                dst.truncate(at + n);
                self.preamble_sent = true;
                Ok(())
            }
            Err(e) => {
                if let Some(tail) = dst.get_mut(at..) {
                    tail.zeroize();
                }
                dst.truncate(at);
                Err(e.into())
            }
        }
    }
}

/// Reads a container: a `Decoder` of frame plaintexts. The end of the stream is clean
/// only after the end section was read and matched (`decode_eof` reports truncation
/// otherwise).
pub struct ContainerDecoder {
    core: Box<Core>,
}

impl fmt::Debug for ContainerDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerDecoder")
            .field("core", &self.core)
            .finish()
    }
}

impl ContainerDecoder {
    fn build(reader: container::Reader<Vec<u8>>) -> Self {
        Self {
            core: Box::new(container_reader::core(reader)),
        }
    }

    /// A decoder of unsealed containers.
    #[must_use]
    pub fn new() -> Self {
        Self::build(container::Reader::new(Vec::new()))
    }

    /// A decoder of containers sealed under `master`.
    #[must_use]
    pub fn sealed(master: MasterKey) -> Self {
        Self::build(container::Reader::new_sealed(Vec::new(), master))
    }

    /// Sets the largest `max_plain` accepted (default
    /// [`container::DEFAULT_READ_LIMIT`]).
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.core.set_limit(limit);
        self
    }

    /// The header, once read.
    #[must_use]
    pub fn header(&self) -> Option<&Header> {
        self.core.header()
    }
}

impl Default for ContainerDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder for ContainerDecoder {
    type Item = Zeroizing<Vec<u8>>;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
        loop {
            match self.core.feed(src)? {
                Feed::NeedMore => {
                    wipe_front(src, src.len());
                    return Ok(None);
                }
                Feed::Header { header, consumed } => {
                    wipe_front(src, consumed);
                    container_reader::on_header(&mut self.core, &header)?;
                }
                Feed::NeedBuffer { len, consumed } => {
                    container_reader::on_need_buffer(&mut self.core, len)?;
                    wipe_front(src, consumed);
                }
                Feed::Frame { payload, consumed } => {
                    let item = Zeroizing::new(payload.to_vec());
                    wipe_front(src, consumed);
                    return Ok(Some(item));
                }
                Feed::End { consumed } => wipe_front(src, consumed),
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
        match self.decode(src)? {
            Some(item) => Ok(Some(item)),
            None => {
                self.core.finish()?;
                Ok(None)
            }
        }
    }
}
