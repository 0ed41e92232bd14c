//! The self-describing container, version 2 (wire contract section 4).
//!
//! ```text
//! stream := preamble (16 bytes, 32 sealed) | frame* | end section
//! ```
//!
//! - [`Config`] holds a stream's options (checksum, compression, sealed,
//!   `max_plain`) and computes every limit from them; [`DEFAULT_READ_LIMIT`] is
//!   the one default every reader (host, CLI, wasm, firmware) applies to a
//!   stream's `max_plain`.
//! - [`Header`] is the parsed preamble; [`Preamble`] its bytes.
//! - [`FrameCodec`] encodes and opens single frames by frame counter, with no
//!   other state: worker threads and random-access readers use it directly.
//! - [`Writer`] turns plaintexts into frames in caller buffers and writes the
//!   end section (with the optional index, `alloc` feature).
//! - [`Reader`] is fed chunks of any size. It reports the header first
//!   ([`Feed::Header`]), so the caller can size its buffers from it, then hands
//!   out checked, authenticated, decrypted (in place) and decompressed
//!   plaintexts, and finally checks the end section against what it read
//!   ([`Feed::End`]).
//!
//! ```
//! use secstream_core::checksum::ChecksumKind;
//! use secstream_core::compress::{Compression, Lz4Decompressor};
//! use secstream_core::container::{Config, Feed, Reader, Writer};
//! use secstream_core::seal::MasterKey;
//!
//! # #[cfg(feature = "lz4")] { // compressing LZ4 needs the `lz4` feature
//! let key = MasterKey::from_bytes(&[0x42; 32]);
//! let config = Config::new(ChecksumKind::Crc32c, 1024).with_compression(Compression::Lz4);
//! // The stream nonce must be fresh and random: take it from the platform RNG.
//! let mut w = Writer::new_sealed(config, &key, [7; 16])?;
//! let mut wire = [0u8; 512];
//! let mut n = w.encode_frame(b"hello, ", &mut wire)?;
//! n += w.encode_last(b"world", &mut wire[n..])?;
//! n += w.finish(&mut wire[n..])?;
//!
//! let mut r = Reader::new_sealed([0u8; 64], key).with_decompressor(Lz4Decompressor::new([0u8; 1024]));
//! let mut input = &mut wire[..n];
//! let mut got = Vec::new();
//! loop {
//!     match r.feed(input)? {
//!         Feed::Header { consumed, .. } | Feed::NeedBuffer { consumed, .. } => input = &mut input[consumed..],
//!         Feed::Frame { payload, consumed } => {
//!             got.extend_from_slice(payload);
//!             input = &mut input[consumed..];
//!         }
//!         Feed::End { .. } | Feed::NeedMore => break,
//!     }
//! }
//! r.finish()?; // the end section was read and matched: not truncated
//! assert_eq!(got, b"hello, world");
//! # }
//! # Ok::<(), secstream_core::container::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::checksum::{self, ChecksumKind, Crc32cDigest};
use crate::compress::{self, Compression, Decompress};
use crate::frame;
use crate::seal::{self, MasterKey, STREAM_NONCE_LEN, Scratch, StreamKey, TAG_LEN};
use crate::{deflate, lz4};

/// The magic bytes `SSTM`.
pub const MAGIC: [u8; 4] = *b"SSTM";
/// The container version this crate reads and writes.
pub const VERSION: u8 = 2;
/// Length of an unsealed preamble.
pub const PREAMBLE_LEN: usize = 16;
/// Length of a sealed preamble (also the AAD of its frames).
pub const SEALED_PREAMBLE_LEN: usize = 32;
/// The largest `max_plain` of the contract (2^30).
pub const MAX_PLAIN_LIMIT: u32 = 1 << 30;
/// `max_plain` of a [`Config`] whose caller did not choose one: 1 MiB.
pub const DEFAULT_MAX_PLAIN: u32 = 1 << 20;
/// The largest `max_plain` a reader accepts unless configured otherwise
/// ([`Reader::with_limit`]): 16 MiB. Host, CLI and wasm readers all use it.
pub const DEFAULT_READ_LIMIT: u32 = 16 << 20;
/// Default deflate level of a writer.
pub const DEFAULT_LEVEL: u8 = 6;
/// The end mark: a `len` field of 0xFFFFFFFF.
pub const END_MARK: u32 = u32::MAX;
/// Length of an end section without index entries.
pub const END_FIXED_LEN: usize = 36;
/// Length of one index entry (stored length and plaintext length, u32 LE each).
pub const INDEX_ENTRY_LEN: usize = 8;
/// The most frames a stream with an index may have (the end length is a u32).
pub const MAX_INDEX_ENTRIES: u64 = 536_870_907;

/// A field of the end section that does not match the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EndField {
    /// The frame count.
    FrameCount,
    /// The plaintext length of the whole stream.
    PlainLength,
    /// The number of index entries (neither 0 nor the frame count).
    IndexEntries,
    /// An index entry.
    Index,
    /// The end length.
    EndLength,
}

impl EndField {
    const fn name(self) -> &'static str {
        match self {
            Self::FrameCount => "frame count",
            Self::PlainLength => "plaintext length",
            Self::IndexEntries => "number of index entries",
            Self::Index => "index",
            Self::EndLength => "end length",
        }
    }
}

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The stream does not start with `SSTM`.
    BadMagic,
    /// The stream starts with `SSTP`: a passphrase envelope
    /// ([`crate::passphrase`]) in front of a sealed container. Derive the key from
    /// the passphrase (the host crate's `passphrase` feature, or the `secstream`
    /// tool) and read the container that follows the envelope.
    PassphraseEnvelope,
    /// The preamble names a version this crate does not read (version 1 is retired:
    /// re-pack such a stream with the release that wrote it).
    UnsupportedVersion(u8),
    /// The preamble's CRC-32C does not match.
    BadPreambleChecksum,
    /// The preamble names an unknown checksum id.
    UnknownChecksum(u8),
    /// The preamble names a checksum of the contract that this build left out
    /// (see the `checksum` module's build-time subset).
    ChecksumNotCompiled(u8),
    /// The preamble names an unknown compression id.
    UnknownCompression(u8),
    /// The preamble sets flag bits this crate does not know (the unknown bits).
    UnknownFlags(u8),
    /// `max_plain` is 0 or above 2^30.
    BadMaxPlain(u32),
    /// The stream's `max_plain` is above this reader's limit.
    MaxPlainOverLimit {
        /// The stream's `max_plain`.
        max_plain: u32,
        /// The reader's limit.
        limit: u32,
    },
    /// A frame's checksum does not match.
    BadChecksum {
        /// The frame's index, counted from 0.
        frame: u64,
    },
    /// A frame's stored length is above the stream's bound, or the frame does not
    /// fit the reader's frame buffer.
    FrameTooLong {
        /// The frame's index, counted from 0.
        frame: u64,
    },
    /// A plaintext is longer than `max_plain` (to write), or a frame decompresses
    /// to more than `max_plain` or the decompressor's buffer (to read); nothing
    /// past the bound was written.
    PlainTooLong,
    /// The input ended before the last byte of the end section (or, sealed, the end
    /// mark came before the final frame).
    Truncated,
    /// A frame follows the final frame of a sealed stream.
    DataAfterFinal,
    /// Bytes follow the end section.
    TrailingData,
    /// The end section does not match the frames read.
    EndMismatch(EndField),
    /// The end section's CRC-32C does not match.
    BadEndChecksum,
    /// A sealed frame failed authentication (modified, reordered, dropped, duplicated,
    /// spliced, or the wrong key). Nothing of that frame was released.
    Authentication,
    /// The stream is sealed but no key was given.
    KeyRequired,
    /// A key was given but the stream is not sealed.
    NotSealed,
    /// The frame counter reached its limit.
    CounterOverflow,
    /// A compressed frame could not be decompressed.
    Decompress(compress::Error),
    /// The stream's compression cannot be written by this build (deflate needs the
    /// `alloc` feature, LZ4 the `lz4` feature).
    CompressionUnavailable(Compression),
    /// The operation needs a stream without compression and sealing (or, for
    /// [`FrameCodec::encode_in_place`], without compression).
    NotPlain,
    /// The operation needs the preamble to be written first ([`Writer::start`]).
    NotStarted,
    /// The writer has written its final frame or finished.
    Finished,
    /// The output buffer is too small.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => f.write_str("not a secstream container (bad magic)"),
            Self::PassphraseEnvelope => f.write_str(
                "a passphrase-protected container (SSTP envelope): its key must be derived from \
                 the passphrase (Argon2id), which this reader does not do",
            ),
            Self::UnsupportedVersion(1) => f.write_str(
                "container version 1 is no longer read; re-pack it with the release that wrote it",
            ),
            Self::UnsupportedVersion(v) => write!(f, "unsupported container version {v}"),
            Self::BadPreambleChecksum => f.write_str("container preamble checksum mismatch"),
            Self::UnknownChecksum(id) => write!(f, "unknown checksum id {id}"),
            Self::ChecksumNotCompiled(id) => {
                write!(f, "checksum id {id} is not compiled into this build")
            }
            Self::UnknownCompression(id) => write!(f, "unknown compression id {id}"),
            Self::UnknownFlags(bits) => write!(f, "unknown container flags {bits:#04x}"),
            Self::BadMaxPlain(m) => write!(f, "max_plain {m} is outside 1..=2^30"),
            Self::MaxPlainOverLimit { max_plain, limit } => write!(
                f,
                "the stream's frames hold up to {max_plain} bytes, above this reader's limit of {limit}"
            ),
            Self::BadChecksum { frame } => write!(f, "checksum mismatch in frame {frame}"),
            Self::FrameTooLong { frame } => {
                write!(f, "frame {frame} is longer than the stream allows")
            }
            Self::PlainTooLong => f.write_str("frame plaintext longer than max_plain"),
            Self::Truncated => f.write_str("container truncated"),
            Self::DataAfterFinal => f.write_str("a frame follows the final frame"),
            Self::TrailingData => f.write_str("data after the end of the container"),
            Self::EndMismatch(field) => {
                write!(f, "end section {} does not match the stream", field.name())
            }
            Self::BadEndChecksum => f.write_str("end section checksum mismatch"),
            Self::Authentication => f.write_str("authentication failed"),
            Self::KeyRequired => f.write_str("container is sealed and no key was given"),
            Self::NotSealed => f.write_str("a key was given but the container is not sealed"),
            Self::CounterOverflow => f.write_str("frame counter overflow"),
            Self::Decompress(e) => write!(f, "cannot decompress frame: {e}"),
            Self::CompressionUnavailable(c) => {
                write!(f, "{c} compression is not available in this build")
            }
            Self::NotPlain => {
                f.write_str("operation needs a stream without compression and sealing")
            }
            Self::NotStarted => f.write_str("container preamble not written yet"),
            Self::Finished => f.write_str("container writer already finished"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

impl core::error::Error for Error {}

impl From<seal::Error> for Error {
    fn from(e: seal::Error) -> Self {
        match e {
            seal::Error::CounterOverflow => Self::CounterOverflow,
            seal::Error::TooLong => Self::PlainTooLong,
            _ => Self::Authentication,
        }
    }
}

/// The options of a stream: what its preamble says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Checksum applied to every frame.
    pub checksum: ChecksumKind,
    /// Compression applied to every frame.
    pub compression: Compression,
    /// Whether frames are sealed.
    pub sealed: bool,
    /// The largest plaintext of one frame, 1 to 2^30.
    pub max_plain: u32,
}

impl Config {
    /// Unsealed, uncompressed frames of up to `max_plain` bytes.
    #[must_use]
    pub const fn new(checksum: ChecksumKind, max_plain: u32) -> Self {
        Self {
            checksum,
            compression: Compression::None,
            sealed: false,
            max_plain,
        }
    }

    /// The same with `compression`.
    #[must_use]
    pub const fn with_compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The same, sealed or not.
    #[must_use]
    pub const fn with_sealed(mut self, sealed: bool) -> Self {
        self.sealed = sealed;
        self
    }

    /// Checks `max_plain` (1 to 2^30).
    ///
    /// # Errors
    /// [`Error::BadMaxPlain`].
    pub const fn check(&self) -> Result<(), Error> {
        if self.max_plain == 0 || self.max_plain > MAX_PLAIN_LIMIT {
            return Err(Error::BadMaxPlain(self.max_plain));
        }
        Ok(())
    }

    /// The largest stored length of a frame: `bound(max_plain)` plus 16 when
    /// sealed (below 2^31 for every valid `max_plain`, so never the end mark).
    #[must_use]
    pub const fn max_stored(&self) -> usize {
        let plain = self.max_plain as usize;
        let body = self.compression.bound(plain);
        if self.sealed {
            body.saturating_add(TAG_LEN)
        } else {
            body
        }
    }

    /// Bytes before the first frame: 16, or 32 when sealed.
    #[must_use]
    pub const fn preamble_len(&self) -> usize {
        if self.sealed {
            SEALED_PREAMBLE_LEN
        } else {
            PREAMBLE_LEN
        }
    }

    /// The largest encoded frame: length field, checksum and [`max_stored`](Self::max_stored).
    #[must_use]
    pub const fn max_frame_len(&self) -> usize {
        frame::encoded_len(self.checksum, self.max_stored())
    }
}

/// The bytes of a preamble (16, or 32 when sealed).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Preamble {
    bytes: [u8; SEALED_PREAMBLE_LEN],
    len: usize,
}

impl Preamble {
    /// The preamble bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&self.bytes)
    }
}

impl fmt::Debug for Preamble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Preamble").field(&self.as_bytes()).finish()
    }
}

/// A parsed preamble: the stream's [`Config`] and, sealed, its stream nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// The stream's options.
    pub config: Config,
    /// The stream nonce (all zeros and not written when unsealed).
    pub nonce: [u8; STREAM_NONCE_LEN],
}

impl Header {
    /// An unsealed stream's header.
    #[must_use]
    pub const fn new(config: Config) -> Self {
        Self {
            config,
            nonce: [0; STREAM_NONCE_LEN],
        }
    }

    /// The preamble bytes, with their CRC-32C.
    #[must_use]
    pub fn to_preamble(&self) -> Preamble {
        let c = &self.config;
        let mut b = [0u8; SEALED_PREAMBLE_LEN];
        let len = c.preamble_len();
        b[..4].copy_from_slice(&MAGIC);
        b[4] = VERSION;
        b[5] = c.checksum.id();
        b[6] = c.compression.id();
        b[7] = u8::from(c.sealed);
        b[8..12].copy_from_slice(&c.max_plain.to_le_bytes());
        if c.sealed {
            b[12..28].copy_from_slice(&self.nonce);
        }
        let crc_at = len - 4;
        let crc = checksum::crc32c(&b[..crc_at]);
        b[crc_at..len].copy_from_slice(&crc.to_le_bytes());
        Preamble { bytes: b, len }
    }

    /// The preamble length announced by its first 8 bytes (16 or 32), once magic
    /// and version are checked; `None` while fewer than 8 bytes are given.
    ///
    /// # Errors
    /// [`Error::BadMagic`] ([`Error::PassphraseEnvelope`] for a passphrase
    /// envelope's magic), [`Error::UnsupportedVersion`] (as soon as the bytes that
    /// show it are in).
    pub fn preamble_len(bytes: &[u8]) -> Result<Option<usize>, Error> {
        let n = bytes.len().min(4);
        if bytes.get(..n) != MAGIC.get(..n) {
            if crate::passphrase::Envelope::detect(bytes) {
                return Err(Error::PassphraseEnvelope);
            }
            return Err(Error::BadMagic);
        }
        if let Some(&v) = bytes.get(4)
            && v != VERSION
        {
            return Err(Error::UnsupportedVersion(v));
        }
        Ok(bytes.get(7).map(|&flags| {
            if flags & 1 == 1 {
                SEALED_PREAMBLE_LEN
            } else {
                PREAMBLE_LEN
            }
        }))
    }

    /// Parses a whole preamble. Checks, in this order: magic, version, CRC-32C,
    /// checksum id, compression id, flags, `max_plain`.
    ///
    /// # Errors
    /// [`Error::Truncated`] if `bytes` is shorter than the preamble, else the first
    /// failed check.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let len = Self::preamble_len(bytes)?.ok_or(Error::Truncated)?;
        if bytes.len() < len {
            return Err(Error::Truncated);
        }
        // A fixed array: every field below is at a constant offset (no bounds checks).
        let mut b = [0u8; SEALED_PREAMBLE_LEN];
        for (d, s) in b.iter_mut().zip(bytes.iter().take(len)) {
            *d = *s;
        }
        let sealed = len == SEALED_PREAMBLE_LEN;
        let (stored, crc) = if sealed {
            (
                u32::from_le_bytes([b[28], b[29], b[30], b[31]]),
                checksum::crc32c(&b[..28]),
            )
        } else {
            (
                u32::from_le_bytes([b[12], b[13], b[14], b[15]]),
                checksum::crc32c(&b[..12]),
            )
        };
        if stored != crc {
            return Err(Error::BadPreambleChecksum);
        }
        let checksum = ChecksumKind::from_id(b[5]).map_err(|e| match e {
            checksum::Error::NotCompiled(id) => Error::ChecksumNotCompiled(id),
            _ => Error::UnknownChecksum(b[5]),
        })?;
        let compression = Compression::from_id(b[6]).ok_or(Error::UnknownCompression(b[6]))?;
        if b[7] & !1 != 0 {
            return Err(Error::UnknownFlags(b[7] & !1));
        }
        let config = Config {
            checksum,
            compression,
            sealed,
            max_plain: u32::from_le_bytes([b[8], b[9], b[10], b[11]]),
        };
        config.check()?;
        let mut nonce = [0u8; STREAM_NONCE_LEN];
        if sealed {
            for (d, s) in nonce.iter_mut().zip(&b[12..28]) {
                *d = *s;
            }
        }
        Ok(Self { config, nonce })
    }
}

/// Encodes and opens single frames of one stream by frame counter.
///
/// It holds only the stream's config, preamble (the AAD) and stream key, and its
/// methods take `&self`, so worker threads can share one codec and random-access
/// readers can open any frame. Not `Clone`; `Debug` shows no key.
pub struct FrameCodec {
    config: Config,
    preamble: Preamble,
    key: Option<StreamKey>,
    level: u8,
}

impl fmt::Debug for FrameCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameCodec")
            .field("config", &self.config)
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// A frame written by [`FrameCodec::encode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoded {
    /// Bytes of the whole frame (length field, checksum, stored payload).
    pub len: usize,
    /// The stored length (the frame's `len` field).
    pub stored: u32,
}

impl FrameCodec {
    /// The codec of the stream with `header`; `master` is needed exactly when it is
    /// sealed (the stream key is derived from it and the stream nonce).
    ///
    /// # Errors
    /// [`Error::KeyRequired`], [`Error::NotSealed`], [`Error::BadMaxPlain`].
    pub fn new(header: &Header, master: Option<&MasterKey>) -> Result<Self, Error> {
        header.config.check()?;
        match (header.config.sealed, master) {
            (true, None) => return Err(Error::KeyRequired),
            (false, Some(_)) => return Err(Error::NotSealed),
            _ => {}
        }
        Ok(Self::from_parts(header, header.to_preamble(), master))
    }

    /// The codec of a checked header and its preamble bytes; a stream key only with
    /// `master` (a keyless reader of a sealed stream checks lengths only). One call
    /// site of the key derivation for writers and readers.
    #[inline(never)]
    fn from_parts(header: &Header, preamble: Preamble, master: Option<&MasterKey>) -> Self {
        Self {
            config: header.config,
            preamble,
            key: master.map(|m| StreamKey::derive(m, &header.nonce)),
            level: DEFAULT_LEVEL,
        }
    }

    /// The stream's config.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// The preamble bytes.
    #[must_use]
    pub fn preamble(&self) -> &[u8] {
        self.preamble.as_bytes()
    }

    /// Sets the deflate level (0..=10, default 6; 0 writes stored blocks).
    pub fn set_level(&mut self, level: u8) {
        self.level = level.min(10);
    }

    /// An output length always enough for [`encode`](Self::encode) of
    /// `plain_len` bytes. It may exceed the encoded frame's largest length
    /// ([`Config::max_frame_len`]): the LZ4 compressor wants room to work in.
    #[must_use]
    pub const fn encode_buffer_len(&self, plain_len: usize) -> usize {
        let body = match self.config.compression {
            Compression::Lz4 => lz4::compress_buffer_len(plain_len),
            c => c.bound(plain_len),
        };
        let tag = if self.config.sealed { TAG_LEN } else { 0 };
        frame::encoded_len(self.config.checksum, body.saturating_add(tag))
    }

    /// Encodes frame `counter` holding `plain` into the start of `out`:
    /// compression, then sealing (the final frame of a sealed stream with
    /// `is_final`; unsealed streams ignore it), then the checksum.
    ///
    /// # Errors
    /// [`Error::PlainTooLong`] above `max_plain`, [`Error::BufferTooSmall`] (size
    /// `out` with [`encode_buffer_len`](Self::encode_buffer_len)),
    /// [`Error::CounterOverflow`], [`Error::CompressionUnavailable`]. Nothing of
    /// the plaintext is left in `out` on error.
    pub fn encode(
        &self,
        counter: u64,
        is_final: bool,
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<Encoded, Error> {
        if plain.len() > self.config.max_plain as usize {
            return Err(Error::PlainTooLong);
        }
        let kind = self.config.checksum;
        let hlen = frame::header_len(kind);
        let (head, body) = out
            .split_at_mut_checked(hlen)
            .ok_or(Error::BufferTooSmall)?;
        let n = self.compress_into(plain, body)?;
        let tag_len = if self.key.is_some() { TAG_LEN } else { 0 };
        let stored = n + tag_len;
        if stored > body.len() {
            body.get_mut(..n).unwrap_or_default().zeroize();
            return Err(Error::BufferTooSmall);
        }
        if let Some(key) = &self.key {
            let (data, rest) = body.split_at_mut_checked(n).ok_or(Error::BufferTooSmall)?;
            let aad = self.preamble.as_bytes();
            match key.seal_in_place(u128::from(counter), is_final, aad, data) {
                Ok(tag) => rest
                    .get_mut(..TAG_LEN)
                    .ok_or(Error::BufferTooSmall)?
                    .copy_from_slice(&tag),
                Err(e) => {
                    data.zeroize();
                    return Err(e.into());
                }
            }
        }
        let stored_bytes = body.get(..stored).ok_or(Error::BufferTooSmall)?;
        let stored32 = u32::try_from(stored).map_err(|_| Error::PlainTooLong)?;
        frame::put_header(kind, stored32, kind.compute(stored_bytes), head)
            .ok_or(Error::BufferTooSmall)?;
        Ok(Encoded {
            len: hlen + stored,
            stored: stored32,
        })
    }

    /// Where a frame's stored payload starts (the frame header's length): where
    /// [`encode_in_place`](Self::encode_in_place) wants the plaintext.
    #[must_use]
    pub const fn payload_offset(&self) -> usize {
        frame::header_len(self.config.checksum)
    }

    /// [`encode`](Self::encode) for a stream without compression, with the
    /// `plain_len` bytes of plaintext already in `out` at
    /// [`payload_offset`](Self::payload_offset): sealed in place (the ciphertext
    /// overwrites them), then the tag and the frame header are written around
    /// them. No copy of the plaintext; the frame is the same bytes `encode`
    /// writes. Size `out` with [`encode_buffer_len`](Self::encode_buffer_len).
    ///
    /// # Errors
    /// [`Error::NotPlain`] for a compressed stream, [`Error::PlainTooLong`]
    /// above `max_plain`, [`Error::BufferTooSmall`], [`Error::CounterOverflow`].
    /// On error nothing of the plaintext is left in `out` (it is wiped).
    pub fn encode_in_place(
        &self,
        counter: u64,
        is_final: bool,
        plain_len: usize,
        out: &mut [u8],
    ) -> Result<Encoded, Error> {
        let res = self.seal_frame_in_place(counter, is_final, plain_len, out);
        if res.is_err() {
            let end = plain_len
                .saturating_add(self.payload_offset())
                .min(out.len());
            out.get_mut(..end).unwrap_or_default().zeroize();
        }
        res
    }

    fn seal_frame_in_place(
        &self,
        counter: u64,
        is_final: bool,
        plain_len: usize,
        out: &mut [u8],
    ) -> Result<Encoded, Error> {
        if self.config.compression != Compression::None {
            return Err(Error::NotPlain);
        }
        if plain_len > self.config.max_plain as usize {
            return Err(Error::PlainTooLong);
        }
        let kind = self.config.checksum;
        let (head, body) = out
            .split_at_mut_checked(frame::header_len(kind))
            .ok_or(Error::BufferTooSmall)?;
        let tag_len = if self.key.is_some() { TAG_LEN } else { 0 };
        let stored = plain_len + tag_len;
        let body = body.get_mut(..stored).ok_or(Error::BufferTooSmall)?;
        if let Some(key) = &self.key {
            let (data, tag) = body.split_at_mut(plain_len);
            let aad = self.preamble.as_bytes();
            tag.copy_from_slice(&key.seal_in_place(u128::from(counter), is_final, aad, data)?);
        }
        let stored32 = u32::try_from(stored).map_err(|_| Error::PlainTooLong)?;
        frame::put_header(kind, stored32, kind.compute(body), head).ok_or(Error::BufferTooSmall)?;
        Ok(Encoded {
            len: head.len() + stored,
            stored: stored32,
        })
    }

    fn compress_into(&self, plain: &[u8], body: &mut [u8]) -> Result<usize, Error> {
        match self.config.compression {
            Compression::None => {
                body.get_mut(..plain.len())
                    .ok_or(Error::BufferTooSmall)?
                    .copy_from_slice(plain);
                Ok(plain.len())
            }
            #[cfg(feature = "lz4")]
            Compression::Lz4 => lz4::compress_into(plain, body).map_err(|_| Error::BufferTooSmall),
            #[cfg(not(feature = "lz4"))]
            Compression::Lz4 => Err(Error::CompressionUnavailable(Compression::Lz4)),
            Compression::Deflate => self.deflate(plain, body),
        }
    }

    #[cfg(feature = "alloc")]
    fn deflate(&self, plain: &[u8], body: &mut [u8]) -> Result<usize, Error> {
        if self.level == 0 {
            return deflate::store_into(plain, body).map_err(|_| Error::BufferTooSmall);
        }
        deflate::deflate_into(plain, self.level, body).map_err(|_| Error::BufferTooSmall)
    }

    #[cfg(not(feature = "alloc"))]
    fn deflate(&self, plain: &[u8], body: &mut [u8]) -> Result<usize, Error> {
        if self.level == 0 {
            return deflate::store_into(plain, body).map_err(|_| Error::BufferTooSmall);
        }
        Err(Error::CompressionUnavailable(Compression::Deflate))
    }

    /// Checks the stored payload of frame `counter` for the stream's limits and,
    /// sealed, authenticates and decrypts it in place. `is_final` is the final
    /// flag when the caller knows it (random access: the last frame is final);
    /// with `None` both are tried. Returns the length of the (compressed)
    /// plaintext at the start of `stored`, and whether the frame is final
    /// (always `false` unsealed).
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] above the stored bound, [`Error::Authentication`]
    /// (then `stored` holds no plaintext: the ciphertext, or zeros with the `ring`
    /// backend), [`Error::CounterOverflow`].
    pub fn open(
        &self,
        counter: u64,
        is_final: Option<bool>,
        stored: &mut [u8],
    ) -> Result<(usize, bool), Error> {
        self.check_stored(counter, stored.len())?;
        self.open_unchecked(counter, is_final, stored, &mut Scratch::new())
    }

    fn check_stored(&self, counter: u64, len: usize) -> Result<(), Error> {
        if len > self.config.max_stored() {
            return Err(Error::FrameTooLong { frame: counter });
        }
        Ok(())
    }

    /// [`open`](Self::open) for a stored length already checked against the bound
    /// (the sequential reader's frame decoder refuses a longer `len` field).
    fn open_unchecked(
        &self,
        counter: u64,
        is_final: Option<bool>,
        stored: &mut [u8],
        scratch: &mut Scratch,
    ) -> Result<(usize, bool), Error> {
        let Some(key) = &self.key else {
            return Ok((stored.len(), false));
        };
        let ct_len = stored
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(Error::Authentication)?;
        let (ct, tag) = stored.split_at_mut(ct_len);
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(tag);
        let aad = self.preamble.as_bytes();
        let c = u128::from(counter);
        let fin = match is_final {
            Some(f) => {
                key.open_in_place(c, f, aad, ct, &t)?;
                f
            }
            None => key.open_in_place_either_in(c, aad, ct, &t, scratch)?,
        };
        Ok((ct_len, fin))
    }

    /// Decompresses an opened frame's `compressed` bytes with `d` (at most
    /// `max_plain` bytes); returns the plaintext (`compressed` itself without
    /// compression).
    ///
    /// # Errors
    /// [`Error::PlainTooLong`] for output above `max_plain` or `d`'s buffer
    /// (nothing written past it), [`Error::Decompress`] for damaged data.
    pub fn decompress<'a, D: Decompress + ?Sized>(
        &self,
        compressed: &'a [u8],
        d: &'a mut D,
    ) -> Result<&'a [u8], Error> {
        let kind = self.config.compression;
        if kind == Compression::None {
            return Ok(compressed);
        }
        let len = d
            .decompress(kind, compressed, self.config.max_plain as usize)
            .map_err(|e| match e {
                compress::Error::TooLarge => Error::PlainTooLong,
                e => Error::Decompress(e),
            })?;
        d.output().get(..len).ok_or(Error::PlainTooLong)
    }
}

/// Length of the end section of `frames` frames, with or without their index.
#[must_use]
pub const fn end_len(frames: u64, index: bool) -> usize {
    if index && frames <= MAX_INDEX_ENTRIES {
        // frames <= MAX_INDEX_ENTRIES < 2^30: the cast and the product fit in a u32.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "frames <= MAX_INDEX_ENTRIES < 2^30"
        )]
        let n = frames as usize;
        END_FIXED_LEN + INDEX_ENTRY_LEN * n
    } else {
        END_FIXED_LEN
    }
}

/// Writes a container into caller buffers, frame by frame.
///
/// The preamble is written by [`start`](Self::start), or in front of the first
/// frame, or by [`finish`](Self::finish). A sealed stream's last frame is its final
/// frame: write it with [`encode_last`](Self::encode_last), or let
/// [`finish`](Self::finish) write an empty one. Size output buffers with
/// [`max_encoded_len`](Self::max_encoded_len) and
/// [`max_finish_len`](Self::max_finish_len). Not `Clone`; `Debug` shows no key.
pub struct Writer {
    codec: FrameCodec,
    counter: u64,
    plain_total: u64,
    started: bool,
    last_written: bool,
    finished: bool,
    #[cfg(feature = "alloc")]
    index: Option<alloc::vec::Vec<u8>>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("codec", &self.codec)
            .field("frames", &self.counter)
            .field("started", &self.started)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// A writer of an unsealed stream.
    ///
    /// # Errors
    /// [`Error::KeyRequired`] if `config` is sealed (use
    /// [`new_sealed`](Self::new_sealed)); [`Error::BadMaxPlain`];
    /// [`Error::CompressionUnavailable`] for deflate without the `alloc` feature.
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::build(FrameCodec::new(&Header::new(config), None)?)
    }

    /// A writer of a sealed stream (`config` is made sealed). The stream nonce must
    /// be fresh and random for every stream: take it from the platform RNG.
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn new_sealed(
        config: Config,
        master: &MasterKey,
        stream_nonce: [u8; STREAM_NONCE_LEN],
    ) -> Result<Self, Error> {
        let header = Header {
            config: config.with_sealed(true),
            nonce: stream_nonce,
        };
        Self::build(FrameCodec::new(&header, Some(master))?)
    }

    fn build(codec: FrameCodec) -> Result<Self, Error> {
        let c = codec.config.compression;
        if !c.can_compress() {
            return Err(Error::CompressionUnavailable(c));
        }
        Ok(Self {
            codec,
            counter: 0,
            plain_total: 0,
            started: false,
            last_written: false,
            finished: false,
            #[cfg(feature = "alloc")]
            index: None,
        })
    }

    /// The same writer, keeping an index of its frames for the end section (8 bytes
    /// of memory per frame; dropped past [`MAX_INDEX_ENTRIES`] frames).
    #[cfg(feature = "alloc")]
    #[must_use]
    pub fn with_index(mut self) -> Self {
        if self.counter == 0 {
            self.index = Some(alloc::vec::Vec::new());
        }
        self
    }

    /// Whether an index will be written.
    #[must_use]
    pub const fn has_index(&self) -> bool {
        #[cfg(feature = "alloc")]
        return self.index.is_some();
        #[cfg(not(feature = "alloc"))]
        false
    }

    /// Sets the deflate level (0..=10, default 6; 0 writes stored blocks) of the
    /// following frames.
    pub fn set_level(&mut self, level: u8) {
        self.codec.set_level(level);
    }

    /// The stream's frame codec.
    #[must_use]
    pub const fn codec(&self) -> &FrameCodec {
        &self.codec
    }

    /// The stream's config.
    #[must_use]
    pub const fn config(&self) -> &Config {
        &self.codec.config
    }

    /// The preamble bytes.
    #[must_use]
    pub fn preamble(&self) -> &[u8] {
        self.codec.preamble()
    }

    /// Frames written so far.
    #[must_use]
    pub const fn frame_count(&self) -> u64 {
        self.counter
    }

    /// Plaintext bytes written so far.
    #[must_use]
    pub const fn plain_len(&self) -> u64 {
        self.plain_total
    }

    /// Whether [`finish`](Self::finish) succeeded.
    #[must_use]
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    const fn pending_preamble(&self) -> usize {
        if self.started {
            0
        } else {
            self.codec.config.preamble_len()
        }
    }

    /// An output length always enough for the next frame of `plain_len` bytes
    /// (preamble included while not yet written).
    #[must_use]
    pub const fn max_encoded_len(&self, plain_len: usize) -> usize {
        self.pending_preamble()
            .saturating_add(self.codec.encode_buffer_len(plain_len))
    }

    /// An output length always enough for [`finish`](Self::finish): the preamble if
    /// not yet written, an empty final frame if one is due, the end section.
    #[must_use]
    pub fn max_finish_len(&self) -> usize {
        let fin = if self.codec.config.sealed && !self.last_written {
            self.codec.encode_buffer_len(0)
        } else {
            0
        };
        let frames = self.counter + u64::from(fin != 0);
        self.pending_preamble() + fin + end_len(frames, self.has_index())
    }

    /// Writes the preamble to `out`; returns its length (0 if written already).
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`], [`Error::Finished`].
    pub fn start(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        if self.finished {
            return Err(Error::Finished);
        }
        let n = self.write_preamble(out)?;
        self.started = true;
        Ok(n)
    }

    fn write_preamble(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.started {
            return Ok(0);
        }
        let pre = self.codec.preamble();
        out.get_mut(..pre.len())
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(pre);
        Ok(pre.len())
    }

    fn record(&mut self, stored: u32, plain: usize) {
        self.counter += 1;
        // plain <= max_plain <= 2^30.
        let plain = u32::try_from(plain).unwrap_or(u32::MAX);
        self.plain_total += u64::from(plain);
        #[cfg(feature = "alloc")]
        if let Some(index) = &mut self.index {
            if self.counter > MAX_INDEX_ENTRIES {
                self.index = None;
            } else {
                index.extend_from_slice(&stored.to_le_bytes());
                index.extend_from_slice(&plain.to_le_bytes());
            }
        }
        #[cfg(not(feature = "alloc"))]
        let _ = stored;
    }

    /// Frame header for a plaintext the caller writes itself right after it (vectored
    /// I/O, no copy), for streams without compression and sealing, after
    /// [`start`](Self::start). Counts the frame.
    ///
    /// # Errors
    /// [`Error::NotPlain`], [`Error::NotStarted`], [`Error::Finished`],
    /// [`Error::PlainTooLong`].
    pub fn plain_frame_header(&mut self, plain: &[u8]) -> Result<frame::Header, Error> {
        let c = &self.codec.config;
        if c.compression != Compression::None || c.sealed {
            return Err(Error::NotPlain);
        }
        if self.finished || self.last_written {
            return Err(Error::Finished);
        }
        if !self.started {
            return Err(Error::NotStarted);
        }
        if plain.len() > c.max_plain as usize {
            return Err(Error::PlainTooLong);
        }
        let h = frame::header(c.checksum, plain).map_err(|_| Error::PlainTooLong)?;
        let stored = u32::try_from(plain.len()).map_err(|_| Error::PlainTooLong)?;
        self.record(stored, plain.len());
        Ok(h)
    }

    /// Encodes one frame holding `plain` into `out` (after the preamble if it was
    /// not written yet); returns the bytes written.
    ///
    /// # Errors
    /// [`Error::PlainTooLong`], [`Error::BufferTooSmall`], [`Error::Finished`],
    /// [`Error::CounterOverflow`].
    pub fn encode_frame(&mut self, plain: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.encode(plain, false, out)
    }

    /// Encodes the last frame (for a sealed stream, its final frame); afterwards
    /// only [`finish`](Self::finish) may follow.
    ///
    /// # Errors
    /// As [`encode_frame`](Self::encode_frame).
    pub fn encode_last(&mut self, plain: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let n = self.encode(plain, true, out)?;
        self.last_written = true;
        Ok(n)
    }

    fn encode(&mut self, plain: &[u8], is_final: bool, out: &mut [u8]) -> Result<usize, Error> {
        if self.finished || self.last_written {
            return Err(Error::Finished);
        }
        let pre = self.write_preamble(out)?;
        let rest = out.get_mut(pre..).ok_or(Error::BufferTooSmall)?;
        let e = self.codec.encode(self.counter, is_final, plain, rest)?;
        self.started = true;
        self.record(e.stored, plain.len());
        Ok(pre + e.len)
    }

    /// Counts frame [`frame_count`](Self::frame_count) as written when another
    /// [`FrameCodec`] of this stream encoded it (worker threads encoding frames in
    /// parallel; the caller writes them out in counter order), so that
    /// [`finish`](Self::finish) writes the matching end section and index. `enc`
    /// is what [`FrameCodec::encode`] returned for `plain_len` bytes of plaintext,
    /// `is_final` what it was given. The caller must have written the preamble
    /// ([`start`](Self::start)).
    ///
    /// # Errors
    /// [`Error::NotStarted`], [`Error::Finished`], [`Error::PlainTooLong`] above
    /// `max_plain`, [`Error::FrameTooLong`] for a stored length above the stream's
    /// bound, [`Error::CounterOverflow`].
    #[cfg(feature = "alloc")]
    pub fn record_encoded(
        &mut self,
        enc: Encoded,
        plain_len: usize,
        is_final: bool,
    ) -> Result<(), Error> {
        if self.finished || self.last_written {
            return Err(Error::Finished);
        }
        if !self.started {
            return Err(Error::NotStarted);
        }
        if plain_len > self.codec.config.max_plain as usize {
            return Err(Error::PlainTooLong);
        }
        if enc.stored as usize > self.codec.config.max_stored() {
            return Err(Error::FrameTooLong {
                frame: self.counter,
            });
        }
        if self.counter == u64::MAX {
            return Err(Error::CounterOverflow);
        }
        self.record(enc.stored, plain_len);
        self.last_written = is_final;
        Ok(())
    }

    /// Ends the stream: writes the preamble if nothing was written yet, for a sealed
    /// stream an empty final frame unless [`encode_last`](Self::encode_last) wrote
    /// one, then the end section. Returns the bytes written.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] (size `out` with
    /// [`max_finish_len`](Self::max_finish_len)), [`Error::Finished`],
    /// [`Error::CounterOverflow`].
    pub fn finish(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        if self.finished {
            return Err(Error::Finished);
        }
        if out.len() < self.max_finish_len() {
            return Err(Error::BufferTooSmall);
        }
        let mut n = 0;
        if self.codec.config.sealed && !self.last_written {
            n = self.encode_last(&[], out)?;
        } else {
            n += self.start(out)?;
        }
        let rest = out.get_mut(n..).ok_or(Error::BufferTooSmall)?;
        n += self.write_end(rest)?;
        self.finished = true;
        Ok(n)
    }

    fn write_end(&self, out: &mut [u8]) -> Result<usize, Error> {
        #[cfg(feature = "alloc")]
        let index: &[u8] = self.index.as_deref().unwrap_or_default();
        #[cfg(not(feature = "alloc"))]
        let index: &[u8] = &[];
        let len = END_FIXED_LEN + index.len();
        let out = out.get_mut(..len).ok_or(Error::BufferTooSmall)?;
        let entries = (index.len() / INDEX_ENTRY_LEN) as u64;
        let end_len = u32::try_from(len).map_err(|_| Error::BufferTooSmall)?;
        let (fixed, rest) = out
            .split_at_mut_checked(END_COUNTS_LEN + 4)
            .ok_or(Error::BufferTooSmall)?;
        let (idx, tail) = rest
            .split_at_mut_checked(index.len())
            .ok_or(Error::BufferTooSmall)?;
        let mut at = 0;
        for field in [
            u64::from(END_MARK) << 32,
            self.counter,
            self.plain_total,
            entries,
        ] {
            // The end mark is 4 bytes, the counts 8: the mark's bytes are the high
            // half of its u64 so that one loop writes them all.
            let bytes = field.to_le_bytes();
            let part = if at == 0 { &bytes[4..] } else { &bytes[..] };
            for &b in part {
                if let Some(d) = fixed.get_mut(at) {
                    *d = b;
                }
                at += 1;
            }
        }
        idx.copy_from_slice(index);
        let mut crc = Crc32cDigest::new();
        crc.update(fixed);
        crc.update(idx);
        crc.update(&end_len.to_le_bytes());
        let tail_bytes = (u64::from(crc.finalize()) << 32 | u64::from(end_len)).to_le_bytes();
        for (d, s) in tail.iter_mut().zip(tail_bytes) {
            *d = s;
        }
        Ok(len)
    }
}

/// Result of [`Reader::feed`] when no error occurred.
///
/// `Debug` (and `defmt::Format`) show a payload's length, not its bytes: it is
/// decrypted plaintext.
#[derive(PartialEq, Eq)]
#[must_use = "an event and the number of consumed bytes must be handled"]
pub enum Feed<'a> {
    /// All of the input was consumed and nothing is complete yet.
    NeedMore,
    /// The preamble was read and checked (reported once, before any frame): size
    /// buffers from it now, then feed `&input[consumed..]`.
    Header {
        /// The stream's header.
        header: Header,
        /// Input bytes used.
        consumed: usize,
    },
    /// Only for a lazy reader ([`Reader::lazy`]): the frame being read does not fit
    /// the frame buffer and is not whole in this input. Give the reader a buffer of
    /// at least `len` bytes ([`Reader::replace_buffer`]), then feed
    /// `&input[consumed..]`.
    NeedBuffer {
        /// The frame's stored length.
        len: usize,
        /// Input bytes used.
        consumed: usize,
    },
    /// The plaintext of one frame (it may be empty).
    Frame {
        /// The checked (and authenticated, decrypted, decompressed) plaintext;
        /// borrowed from the input, the frame buffer or the decompressor; valid
        /// until the next call. A keyless verifier of a sealed stream hands out
        /// the stored bytes.
        payload: &'a [u8],
        /// Input bytes used.
        consumed: usize,
    },
    /// The end section was read and matched every frame: the stream is complete.
    /// Any further input is an error.
    End {
        /// Input bytes used.
        consumed: usize,
    },
}

impl fmt::Debug for Feed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NeedMore => f.write_str("NeedMore"),
            Self::Header { header, consumed } => f
                .debug_struct("Header")
                .field("header", header)
                .field("consumed", consumed)
                .finish(),
            Self::NeedBuffer { len, consumed } => f
                .debug_struct("NeedBuffer")
                .field("len", len)
                .field("consumed", consumed)
                .finish(),
            Self::Frame { payload, consumed } => f
                .debug_struct("Frame")
                .field("payload_len", &payload.len())
                .field("consumed", consumed)
                .finish_non_exhaustive(),
            Self::End { consumed } => f.debug_struct("End").field("consumed", consumed).finish(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Feed<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::NeedMore => defmt::write!(f, "NeedMore"),
            Self::Header { header, consumed } => {
                defmt::write!(f, "Header {{ {}, consumed: {} }}", header, consumed)
            }
            Self::NeedBuffer { len, consumed } => {
                defmt::write!(f, "NeedBuffer {{ len: {}, consumed: {} }}", len, consumed)
            }
            Self::Frame { payload, consumed } => defmt::write!(
                f,
                "Frame {{ payload_len: {}, consumed: {} }}",
                payload.len(),
                consumed
            ),
            Self::End { consumed } => defmt::write!(f, "End {{ consumed: {} }}", consumed),
        }
    }
}

/// What a [`Reader`] does with frames.
enum Mode {
    /// No key: unsealed streams only.
    Open,
    /// Keyed: sealed streams only. The master key is kept until the preamble is read.
    Sealed(Option<MasterKey>),
    /// Integrity without a key: any stream. Sealed frames are handed out as stored.
    Verify,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Preamble,
    Frames,
    End,
    Done,
}

/// The index entries of a stream, digested as runs of equal entries: the reader
/// compares the entries its frames call for with the entries stored, without storing
/// either, and a stream whose frames all have one size (all but the last, usually)
/// costs one comparison a frame instead of a share of a SHA-256 block.
///
/// An entry is a value below 2^63 (stored length, and plaintext length times 2^32
/// when known). Each maximal run of equal values goes into the digest as the value
/// alone (a run of one) or as the value with bit 63 set followed by the run's length
/// (8 and 4 bytes, LE). That encoding is one-to-one, so two sequences give the same
/// digest only if they are equal (short of a SHA-256 collision). A stored entry with
/// bit 63 set matches no frame: it marks the digest as differing.
struct IndexRuns {
    digest: IndexDigest,
    value: u64,
    /// Entries in the current run: at most MAX_INDEX_ENTRIES < 2^32 wherever the
    /// digests are compared (a stream with more frames has no index); past that it
    /// wraps, in a digest nobody compares.
    count: u32,
    forged: bool,
}

impl IndexRuns {
    /// The bit no real entry has.
    const RUN: u64 = 1 << 63;

    const fn new() -> Self {
        Self {
            digest: IndexDigest::new(),
            value: 0,
            count: 0,
            forged: false,
        }
    }

    #[inline]
    fn push(&mut self, value: u64) {
        if self.count > 0 && value == self.value {
            self.count = self.count.wrapping_add(1);
            return;
        }
        self.flush();
        self.forged |= value & Self::RUN != 0;
        self.value = value;
        self.count = 1;
    }

    /// The current run into the digest.
    fn flush(&mut self) {
        match self.count {
            0 => {}
            1 => self.digest.update(&self.value.to_le_bytes()),
            n => {
                self.digest.update(&(self.value | Self::RUN).to_le_bytes());
                self.digest.update(&n.to_le_bytes());
            }
        }
        self.count = 0;
    }

    /// The digest of every entry pushed, `None` if one could not be a frame's.
    fn finish(&mut self) -> Option<[u32; 8]> {
        self.flush();
        let state = self.digest.finish();
        (!self.forged).then_some(state)
    }
}

/// The SHA-256 compression function chained over a byte sequence in 64-byte blocks,
/// ended with a block that holds the byte count (Merkle-Damgard strengthening): two
/// sequences give the same state only if they are equal (short of a SHA-256
/// collision). [`IndexRuns`] feeds it. It runs `sha2`'s block function directly,
/// which the key derivation links anyway.
struct IndexDigest {
    state: [u32; 8],
    block: [u8; 64],
    fill: usize,
    /// Bytes fed, modulo 2^32: [`IndexRuns`] feeds at most 8 bytes an entry (a run
    /// of one takes 8, a longer run 12), an index has at most MAX_INDEX_ENTRIES
    /// entries, 8 * MAX_INDEX_ENTRIES < 2^32, and the digests are compared only for a
    /// stream that has one.
    len: u32,
}

impl IndexDigest {
    /// SHA-256's initial state.
    const IV: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];

    const fn new() -> Self {
        Self {
            state: Self::IV,
            block: [0; 64],
            fill: 0,
            len: 0,
        }
    }

    fn update(&mut self, mut bytes: &[u8]) {
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the length is kept modulo 2^32 (see the field)"
        )]
        let n = bytes.len() as u32;
        self.len = self.len.wrapping_add(n);
        // Whole runs into the block, not byte by byte (a frame adds 8 bytes).
        while !bytes.is_empty() {
            let fill = self.fill.min(64);
            let room = self.block.get_mut(fill..).unwrap_or_default();
            let take = room.len().min(bytes.len());
            let (now, later) = bytes.split_at(take);
            if let Some(dst) = room.get_mut(..take) {
                dst.copy_from_slice(now);
            }
            bytes = later;
            self.fill = fill + take;
            if self.fill == 64 {
                sha2::block_api::compress256(&mut self.state, &[self.block]);
                self.fill = 0;
            }
        }
    }

    /// The final state (the digest is left ready for nothing else).
    fn finish(&mut self) -> [u32; 8] {
        let len = self.len;
        // Zeros to the end of the block (and one more block if the count does not
        // fit), then the count in the last 8 bytes.
        while self.fill != 60 {
            self.update(&[0]);
        }
        self.update(&len.to_le_bytes());
        self.state
    }
}

/// Bytes of the end section after the end mark and before the index.
const END_COUNTS_LEN: usize = 24;

/// The end section as it is read.
struct EndParse {
    counts: [u8; END_COUNTS_LEN],
    counts_got: usize,
    /// Index bytes still to come once the counts are in.
    index_left: u64,
    index_runs: IndexRuns,
    /// The index entry being read (its first `phase` bytes).
    entry: [u8; 8],
    tail: [u8; 8],
    tail_got: usize,
    crc: Crc32cDigest,
    entries: u64,
    /// Position within the current index entry (0..8).
    phase: u8,
}

impl EndParse {
    /// Index bytes, as they arrive, into the runs (an index is read once a stream:
    /// byte by byte, which keeps the code small on a microcontroller).
    fn index_bytes(&mut self, src: &[u8], plain_known: bool) {
        for &b in src {
            if let Some(slot) = self.entry.get_mut(usize::from(self.phase)) {
                *slot = b;
            }
            self.phase = (self.phase + 1) & 7;
            if self.phase == 0 {
                let entry = u64::from_le_bytes(self.entry);
                // Keyless, sealed: only the stored lengths (bytes 0..4) can be
                // compared.
                self.index_runs.push(if plain_known {
                    entry
                } else {
                    entry & u64::from(u32::MAX)
                });
            }
        }
    }

    fn new() -> Self {
        let mut crc = Crc32cDigest::new();
        crc.update(&END_MARK.to_le_bytes());
        Self {
            counts: [0; END_COUNTS_LEN],
            counts_got: 0,
            index_left: 0,
            index_runs: IndexRuns::new(),
            entry: [0; 8],
            tail: [0; 8],
            tail_got: 0,
            crc,
            entries: 0,
            phase: 0,
        }
    }
}

/// Incremental container reader.
///
/// `B` is the buffer for frames split across chunks (see [`frame::Decoder`]). `D`
/// decompresses frames: `()` (the default) refuses compressed streams; see
/// [`with_decompressor`](Self::with_decompressor). Input is `&mut [u8]` because
/// sealed frames are decrypted in place (in the input when the whole frame is
/// there, else in `B`).
///
/// Memory: the frame buffer bounds the stored length of a frame that arrives in
/// pieces (a lazy reader asks for a larger one instead, up to the stream's bound);
/// `D`'s buffer and the stream's `max_plain` bound the plaintext. The reader refuses
/// a stream whose `max_plain` is above its limit ([`DEFAULT_READ_LIMIT`] unless set
/// with [`with_limit`](Self::with_limit)) before it reads any frame.
///
/// Any error is final: the reader returns it again on every call.
pub struct Reader<B: AsMut<[u8]>, D: Decompress = ()> {
    mode: Mode,
    limit: u32,
    lazy: bool,
    pre: [u8; SEALED_PREAMBLE_LEN],
    pre_got: usize,
    header: Option<Header>,
    codec: Option<FrameCodec>,
    frames: frame::Decoder<B>,
    decomp: D,
    state: State,
    counter: u64,
    plain_total: u64,
    final_seen: bool,
    /// Whether plaintext lengths are known (not for a keyless read of a sealed stream).
    plain_known: bool,
    /// The index entries the frames read call for.
    expected_index: IndexRuns,
    end: EndParse,
    failed: Option<Error>,
    /// Kept between frames for the second try at the final flag (`ring` backend).
    scratch: Scratch,
}

impl<B: AsMut<[u8]>, D: Decompress> fmt::Debug for Reader<B, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("header", &self.header)
            .field("frames", &self.counter)
            .field("final_seen", &self.final_seen)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// Where a frame's plaintext lies.
#[derive(Clone, Copy)]
enum Src {
    Input { start: usize, end: usize },
    FrameBuf { start: usize, end: usize },
    Decompressed { len: usize },
}

impl<B: AsMut<[u8]>> Reader<B, ()> {
    fn with_mode(buf: B, mode: Mode) -> Self {
        let mut frames = frame::Decoder::new(ChecksumKind::None, 0, buf);
        frames.set_end_mark(true);
        Self {
            mode,
            limit: DEFAULT_READ_LIMIT,
            lazy: false,
            pre: [0; SEALED_PREAMBLE_LEN],
            pre_got: 0,
            header: None,
            codec: None,
            frames,
            decomp: (),
            state: State::Preamble,
            counter: 0,
            plain_total: 0,
            final_seen: false,
            plain_known: true,
            expected_index: IndexRuns::new(),
            end: EndParse::new(),
            scratch: Scratch::new(),
            failed: None,
        }
    }

    /// A reader of unsealed streams (a sealed one fails with [`Error::KeyRequired`]).
    pub fn new(buf: B) -> Self {
        Self::with_mode(buf, Mode::Open)
    }

    /// A reader of sealed streams with `master` (an unsealed one fails with
    /// [`Error::NotSealed`], so sealing cannot be stripped). The master key is wiped
    /// once the stream key is derived.
    pub fn new_sealed(buf: B, master: MasterKey) -> Self {
        Self::with_mode(buf, Mode::Sealed(Some(master)))
    }

    /// A keyless reader of any stream. It checks the preamble, every frame's length
    /// and checksum, and the end section, so it detects truncation anywhere. Unsealed
    /// streams are read as by [`new`](Self::new). A sealed stream's frames are handed
    /// out as stored (ciphertext and tag); their plaintext lengths and the final
    /// frame cannot be checked without the key, and only a keyed read proves a
    /// sealed stream authentic and complete.
    pub fn verifier(buf: B) -> Self {
        Self::with_mode(buf, Mode::Verify)
    }
}

impl<B: AsMut<[u8]>, D: Decompress> Reader<B, D> {
    /// The same reader decompressing frames with `decomp` (its output buffer bounds
    /// the plaintext together with the stream's `max_plain`).
    pub fn with_decompressor<E: Decompress>(self, decomp: E) -> Reader<B, E> {
        Reader {
            mode: self.mode,
            limit: self.limit,
            lazy: self.lazy,
            pre: self.pre,
            pre_got: self.pre_got,
            header: self.header,
            codec: self.codec,
            frames: self.frames,
            decomp,
            state: self.state,
            counter: self.counter,
            plain_total: self.plain_total,
            final_seen: self.final_seen,
            plain_known: self.plain_known,
            expected_index: self.expected_index,
            end: self.end,
            failed: self.failed,
            scratch: self.scratch,
        }
    }

    /// Sets the largest `max_plain` this reader accepts (default
    /// [`DEFAULT_READ_LIMIT`]; at most 2^30).
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.set_limit(limit);
        self
    }

    /// Sets the limit like [`with_limit`](Self::with_limit), in place (it applies to a
    /// preamble not read yet).
    pub fn set_limit(&mut self, limit: u32) {
        self.limit = limit.min(MAX_PLAIN_LIMIT);
    }

    /// Makes the reader ask for a larger frame buffer ([`Feed::NeedBuffer`]) when a
    /// frame that arrives in pieces does not fit, instead of failing: a host starts
    /// with an empty `Vec` and allocates only what the frames need.
    #[must_use]
    pub fn lazy(mut self) -> Self {
        self.lazy = true;
        self
    }

    /// The header, once read.
    pub const fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Frames read so far.
    pub const fn frame_count(&self) -> u64 {
        self.counter
    }

    /// Plaintext bytes read so far.
    pub const fn plain_len(&self) -> u64 {
        self.plain_total
    }

    /// Whether the end section was read and matched.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The decompressor (e.g. to give it an output buffer of `max_plain` bytes once
    /// the header is known).
    pub fn decompressor_mut(&mut self) -> &mut D {
        &mut self.decomp
    }

    /// The frame buffer's length.
    pub fn buffer_len(&mut self) -> usize {
        self.frames.buffer_len()
    }

    /// Swaps in a new frame buffer and returns the old one, wiped (see
    /// [`frame::Decoder::replace_buffer`]).
    ///
    /// # Errors
    /// Hands `buf` back unused if it is shorter than the bytes gathered so far.
    pub fn replace_buffer(&mut self, buf: B) -> Result<B, B> {
        self.frames.replace_buffer(buf)
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    /// [`Error::Truncated`] unless the end section was read; the earlier error if
    /// the reader has failed.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.state == State::Done {
            Ok(())
        } else {
            self.failed = Some(Error::Truncated);
            Err(Error::Truncated)
        }
    }

    /// Feeds a chunk of input; returns at most one event.
    ///
    /// # Errors
    /// Any preamble, frame, authentication, decompression or end-section error (see
    /// [`Error`]); then the reader stays failed.
    pub fn feed<'a>(&'a mut self, input: &'a mut [u8]) -> Result<Feed<'a>, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.process(input) {
            Ok(Step::Done(feed)) => Ok(feed),
            Ok(Step::Frame(src, consumed)) => {
                let payload: &'a [u8] = match src {
                    Src::Input { start, end } => input.get(start..end),
                    Src::FrameBuf { start, end } => self
                        .frames
                        .buffered(end)
                        .and_then(|b| b.get(start..end))
                        .map(|b| -> &[u8] { b }),
                    Src::Decompressed { len } => {
                        self.decomp.output().get(..len).map(|b| -> &[u8] { b })
                    }
                }
                .ok_or(Error::BufferTooSmall)?;
                Ok(Feed::Frame { payload, consumed })
            }
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    fn process(&mut self, input: &mut [u8]) -> Result<Step, Error> {
        match self.state {
            State::Preamble => self.read_preamble(input),
            State::Frames => self.read_frame(input),
            State::End => self.read_end(input, 0),
            State::Done => {
                if input.is_empty() {
                    Ok(Step::Done(Feed::NeedMore))
                } else {
                    Err(Error::TrailingData)
                }
            }
        }
    }

    /// Takes preamble bytes one at a time (at most 32 per stream): magic and version
    /// are refused as soon as they are in, the length is known from byte 7.
    fn read_preamble(&mut self, input: &[u8]) -> Result<Step, Error> {
        let mut used = 0;
        while let Some(&b) = input.get(used) {
            let Some(slot) = self.pre.get_mut(self.pre_got) else {
                break;
            };
            *slot = b;
            self.pre_got += 1;
            used += 1;
            let got = self.pre.get(..self.pre_got).unwrap_or_default();
            if Header::preamble_len(got)? == Some(self.pre_got) {
                return self.parse_preamble(used);
            }
        }
        Ok(Step::Done(Feed::NeedMore))
    }

    fn parse_preamble(&mut self, consumed: usize) -> Result<Step, Error> {
        let header = Header::parse(self.pre.get(..self.pre_got).unwrap_or_default())?;
        let config = header.config;
        if config.max_plain > self.limit {
            return Err(Error::MaxPlainOverLimit {
                max_plain: config.max_plain,
                limit: self.limit,
            });
        }
        // The preamble as read is the frames' AAD.
        let preamble = Preamble {
            bytes: self.pre,
            len: config.preamble_len(),
        };
        let codec = match (&mut self.mode, config.sealed) {
            (Mode::Open, true) => return Err(Error::KeyRequired),
            (Mode::Sealed(_), false) => return Err(Error::NotSealed),
            (Mode::Sealed(master), true) => {
                let m = master.take().ok_or(Error::KeyRequired)?;
                FrameCodec::from_parts(&header, preamble, Some(&m))
                // `m` (a zeroizing MasterKey) is dropped and wiped here.
            }
            (Mode::Verify, true) => {
                // Keyless: the codec checks lengths only.
                self.plain_known = false;
                FrameCodec::from_parts(&header, preamble, None)
            }
            (Mode::Open | Mode::Verify, false) => FrameCodec::from_parts(&header, preamble, None),
        };
        let max_stored =
            u32::try_from(config.max_stored()).map_err(|_| Error::BadMaxPlain(config.max_plain))?;
        self.frames.reconfigure(config.checksum, max_stored);
        self.header = Some(header);
        self.codec = Some(codec);
        self.state = State::Frames;
        Ok(Step::Done(Feed::Header { header, consumed }))
    }

    fn read_frame(&mut self, input: &mut [u8]) -> Result<Step, Error> {
        let frame_no = self.counter;
        let map = |e: frame::Error| match e {
            frame::Error::BadChecksum => Error::BadChecksum { frame: frame_no },
            _ => Error::FrameTooLong { frame: frame_no },
        };
        let (loc, consumed) = match self.frames.step_located(input, self.lazy).map_err(map)? {
            frame::Located::NeedMore => return Ok(Step::Done(Feed::NeedMore)),
            frame::Located::NeedBuf { len, consumed } => {
                return Ok(Step::Done(Feed::NeedBuffer { len, consumed }));
            }
            frame::Located::EndMark { consumed } => {
                if matches!(self.mode, Mode::Sealed(_)) && !self.final_seen {
                    return Err(Error::Truncated);
                }
                self.state = State::End;
                return self.read_end(input, consumed);
            }
            frame::Located::InInput { start, end } => (Src::Input { start, end }, end),
            frame::Located::InBuf { len, consumed } => {
                (Src::FrameBuf { start: 0, end: len }, consumed)
            }
        };
        if self.final_seen {
            return Err(Error::DataAfterFinal);
        }
        let codec = self.codec.as_ref().ok_or(Error::Truncated)?;
        let stored: &mut [u8] = match loc {
            Src::Input { start, end } => input.get_mut(start..end),
            Src::FrameBuf { end, .. } => self.frames.buffered(end),
            Src::Decompressed { .. } => None,
        }
        .ok_or(Error::BufferTooSmall)?;
        let stored_len = stored.len();
        let config = codec.config;
        let keyless_sealed = config.sealed && !self.plain_known;
        let src = if keyless_sealed {
            if stored_len < TAG_LEN {
                return Err(Error::Authentication);
            }
            loc
        } else {
            // The frame decoder bounded the stored length by `max_stored` already.
            // The final flag is not known here: both are tried (with the `ring`
            // backend on a copy of the frame, which ring zeroes when a try fails).
            // Guessing it from the bytes that follow would save the copy but make
            // the result of a malformed stream depend on how its bytes were fed.
            let (clen, fin) = codec.open_unchecked(frame_no, None, stored, &mut self.scratch)?;
            if fin {
                self.final_seen = true;
            }
            if config.compression == Compression::None {
                match loc {
                    Src::Input { start, .. } => Src::Input {
                        start,
                        end: start + clen,
                    },
                    _ => Src::FrameBuf {
                        start: 0,
                        end: clen,
                    },
                }
            } else {
                let compressed = stored.get(..clen).ok_or(Error::BufferTooSmall)?;
                let len = codec.decompress(compressed, &mut self.decomp)?.len();
                Src::Decompressed { len }
            }
        };
        let plain_len = match src {
            Src::Input { start, end } | Src::FrameBuf { start, end } => end - start,
            Src::Decompressed { len } => len,
        };
        self.counter = self.counter.checked_add(1).ok_or(Error::CounterOverflow)?;
        let stored32 =
            u32::try_from(stored_len).map_err(|_| Error::FrameTooLong { frame: frame_no })?;
        if self.plain_known {
            // plain_len <= max_plain <= 2^30.
            let p = u32::try_from(plain_len).map_err(|_| Error::PlainTooLong)?;
            // The frame's index entry: stored length, then plaintext length.
            self.expected_index
                .push(u64::from(p) << 32 | u64::from(stored32));
            self.plain_total += u64::from(p);
        } else {
            self.expected_index.push(u64::from(stored32));
        }
        Ok(Step::Frame(src, consumed))
    }

    /// Reads end-section bytes from `input[from..]`.
    fn read_end(&mut self, input: &[u8], from: usize) -> Result<Step, Error> {
        let mut pos = from;
        let rest = |pos: usize| input.get(pos..).unwrap_or_default();
        let e = &mut self.end;
        // The counts.
        if e.counts_got < END_COUNTS_LEN {
            let take = (END_COUNTS_LEN - e.counts_got).min(rest(pos).len());
            let src = rest(pos).get(..take).unwrap_or_default();
            e.counts
                .get_mut(e.counts_got..e.counts_got + take)
                .ok_or(Error::Truncated)?
                .copy_from_slice(src);
            e.crc.update(src);
            e.counts_got += take;
            pos += take;
            if e.counts_got < END_COUNTS_LEN {
                return Ok(Step::Done(Feed::NeedMore));
            }
            let c = &e.counts;
            let count = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            let total = u64::from_le_bytes([c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]]);
            let entries =
                u64::from_le_bytes([c[16], c[17], c[18], c[19], c[20], c[21], c[22], c[23]]);
            if count != self.counter {
                return Err(Error::EndMismatch(EndField::FrameCount));
            }
            if self.plain_known && total != self.plain_total {
                return Err(Error::EndMismatch(EndField::PlainLength));
            }
            if entries != 0 && (entries != count || count > MAX_INDEX_ENTRIES) {
                return Err(Error::EndMismatch(EndField::IndexEntries));
            }
            e.entries = entries;
            e.index_left = entries * INDEX_ENTRY_LEN as u64;
        }
        // The index.
        while e.index_left > 0 {
            let avail = rest(pos);
            if avail.is_empty() {
                return Ok(Step::Done(Feed::NeedMore));
            }
            let take = usize::try_from(e.index_left).map_or(avail.len(), |l| l.min(avail.len()));
            let src = avail.get(..take).unwrap_or_default();
            e.crc.update(src);
            e.index_bytes(src, self.plain_known);
            e.index_left -= take as u64;
            pos += take;
        }
        // End length and CRC.
        let take = (8 - e.tail_got).min(rest(pos).len());
        e.tail
            .get_mut(e.tail_got..e.tail_got + take)
            .ok_or(Error::Truncated)?
            .copy_from_slice(rest(pos).get(..take).unwrap_or_default());
        e.tail_got += take;
        pos += take;
        if e.tail_got < 8 {
            return Ok(Step::Done(Feed::NeedMore));
        }
        let t = &e.tail;
        let len = [t[0], t[1], t[2], t[3]];
        let crc = [t[4], t[5], t[6], t[7]];
        let mut digest = e.crc.clone();
        digest.update(&len);
        if digest.finalize() != u32::from_le_bytes(crc) {
            return Err(Error::BadEndChecksum);
        }
        if u64::from(u32::from_le_bytes(len))
            != END_FIXED_LEN as u64 + e.entries * INDEX_ENTRY_LEN as u64
        {
            return Err(Error::EndMismatch(EndField::EndLength));
        }
        if e.entries > 0 {
            let expected = self.expected_index.finish();
            let seen = e.index_runs.finish();
            if expected.is_none() || expected != seen {
                return Err(Error::EndMismatch(EndField::Index));
            }
        }
        self.state = State::Done;
        if !rest(pos).is_empty() {
            return Err(Error::TrailingData);
        }
        Ok(Step::Done(Feed::End { consumed: pos }))
    }
}

/// A step of [`Reader::process`]: an event without payload, or where a frame's
/// plaintext lies.
enum Step {
    Done(Feed<'static>),
    Frame(Src, usize),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::Decompressor;
    use std::vec;
    use std::vec::Vec;

    /// Exhaustive loops (every bit, every cut) sample every n-th case under Miri.
    const MIRI_STEP: usize = if cfg!(miri) { 37 } else { 1 };
    /// Loops over every configuration take every n-th one under Miri (sealing and
    /// deflate run about a thousand times slower there); the full set runs natively.
    const MIRI_CONFIG_STEP: usize = if cfg!(miri) { 13 } else { 1 };

    fn master() -> MasterKey {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap();
        }
        MasterKey::from_bytes(&k)
    }

    fn nonce() -> [u8; 16] {
        core::array::from_fn(|i| u8::try_from(i).unwrap() + 0xA0)
    }

    /// Bitwise CRC-32C, independent of the crate's table.
    fn crc32c_bitwise(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82F6_3B78
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    fn write_with(config: Config, index: bool, payloads: &[&[u8]], last: bool) -> Vec<u8> {
        let mut w = if config.sealed {
            Writer::new_sealed(config, &master(), nonce()).unwrap()
        } else {
            Writer::new(config).unwrap()
        };
        if index {
            #[cfg(feature = "alloc")]
            {
                w = w.with_index();
            }
        }
        let mut out = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let mut buf = vec![0u8; w.max_encoded_len(p.len())];
            let n = if last && i + 1 == payloads.len() {
                w.encode_last(p, &mut buf).unwrap()
            } else {
                w.encode_frame(p, &mut buf).unwrap()
            };
            out.extend_from_slice(&buf[..n]);
        }
        let mut buf = vec![0u8; w.max_finish_len()];
        let n = w.finish(&mut buf).unwrap();
        assert!(n <= buf.len(), "max_finish_len is enough");
        out.extend_from_slice(&buf[..n]);
        assert!(w.is_finished());
        out
    }

    fn write(config: Config, payloads: &[&[u8]]) -> Vec<u8> {
        write_with(config, true, payloads, false)
    }

    #[derive(Debug, PartialEq)]
    struct Reading {
        frames: Vec<Vec<u8>>,
        end: Result<(), Error>,
    }

    #[derive(Clone, Copy, PartialEq)]
    enum How {
        Keyless,
        Keyed,
        Verify,
    }

    fn read(wire: &[u8], chunk: usize, how: How) -> Reading {
        let buf = vec![0u8; 512];
        let r = match how {
            How::Keyed => Reader::new_sealed(buf, master()),
            How::Keyless => Reader::new(buf),
            How::Verify => Reader::verifier(buf),
        };
        let mut r = r.with_decompressor(Decompressor::new(vec![0u8; 8192]));
        let mut frames = Vec::new();
        let mut wire = wire.to_vec();
        for c in wire.chunks_mut(chunk.max(1)) {
            let mut c = c;
            loop {
                match r.feed(c) {
                    Ok(Feed::NeedMore) => break,
                    Ok(Feed::Header { consumed, .. } | Feed::NeedBuffer { consumed, .. }) => {
                        c = &mut c[consumed..];
                    }
                    Ok(Feed::Frame { payload, consumed }) => {
                        frames.push(payload.to_vec());
                        c = &mut c[consumed..];
                    }
                    Ok(Feed::End { consumed }) => {
                        c = &mut c[consumed..];
                        assert!(c.is_empty());
                        break;
                    }
                    Err(e) => {
                        assert_eq!(r.finish(), Err(e), "errors stick");
                        return Reading {
                            frames,
                            end: Err(e),
                        };
                    }
                }
            }
        }
        let end = r.finish();
        Reading { frames, end }
    }

    fn all_configs() -> Vec<Config> {
        let mut v = Vec::new();
        for &checksum in &ChecksumKind::ALL {
            for compression in Compression::ALL {
                if !compression.can_compress() {
                    continue;
                }
                for sealed in [false, true] {
                    v.push(
                        Config::new(checksum, 300)
                            .with_compression(compression)
                            .with_sealed(sealed),
                    );
                }
            }
        }
        v
    }

    const TEXT: &[&[u8]] = &[
        b"",
        b"the quick brown fox jumps over the lazy dog; the quick brown fox jumps again",
        &[0xA5; 300],
        b"x",
    ];

    #[test]
    fn preamble_exact_bytes() {
        let h = Header::new(
            Config::new(ChecksumKind::Crc16, 0x1000).with_compression(Compression::Lz4),
        );
        let p = h.to_preamble();
        let mut want = vec![0x53, 0x53, 0x54, 0x4D, 2, 1, 2, 0, 0x00, 0x10, 0x00, 0x00];
        want.extend_from_slice(&crc32c_bitwise(&want).to_le_bytes());
        assert_eq!(p.as_bytes(), want.as_slice());
        assert_eq!(Header::parse(p.as_bytes()), Ok(h));

        let sealed = Header {
            config: Config::new(ChecksumKind::Crc32c, 1 << 30).with_sealed(true),
            nonce: nonce(),
        };
        let p = sealed.to_preamble();
        let mut want = vec![0x53, 0x53, 0x54, 0x4D, 2, 3, 0, 1, 0, 0, 0, 0x40];
        want.extend_from_slice(&nonce());
        want.extend_from_slice(&crc32c_bitwise(&want).to_le_bytes());
        assert_eq!(p.as_bytes(), want.as_slice());
        assert_eq!(Header::parse(p.as_bytes()), Ok(sealed));
    }

    #[test]
    fn preamble_errors() {
        let good = Header::new(Config::new(ChecksumKind::None, 16)).to_preamble();
        let reseal = |mut b: Vec<u8>| {
            let n = b.len() - 4;
            let crc = crc32c_bitwise(&b[..n]);
            b[n..].copy_from_slice(&crc.to_le_bytes());
            b
        };
        let mut b = good.as_bytes().to_vec();
        b[0] = b'X';
        assert_eq!(Header::parse(&b), Err(Error::BadMagic));
        // A passphrase envelope is named as such, from its fourth byte on.
        let mut b = good.as_bytes().to_vec();
        b[3] = b'P';
        assert_eq!(Header::parse(&b), Err(Error::PassphraseEnvelope));
        assert_eq!(Header::preamble_len(b"SST"), Ok(None));
        assert_eq!(
            Header::preamble_len(b"SSTP"),
            Err(Error::PassphraseEnvelope)
        );
        assert_eq!(Header::preamble_len(b"SSTX"), Err(Error::BadMagic));
        assert!(std::format!("{}", Error::PassphraseEnvelope).contains("passphrase"));
        let mut b = good.as_bytes().to_vec();
        b[4] = 1;
        assert_eq!(Header::parse(&b), Err(Error::UnsupportedVersion(1)));
        assert!(std::format!("{}", Error::UnsupportedVersion(1)).contains("re-pack"));
        let mut b = good.as_bytes().to_vec();
        b[13] ^= 1;
        assert_eq!(Header::parse(&b), Err(Error::BadPreambleChecksum));
        let mut b = good.as_bytes().to_vec();
        b[5] = 9;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::UnknownChecksum(9)));
        let mut b = good.as_bytes().to_vec();
        b[6] = 3;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::UnknownCompression(3)));
        let mut b = good.as_bytes().to_vec();
        b[7] = 0x82;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::UnknownFlags(0x82)));
        for bad in [0u32, MAX_PLAIN_LIMIT + 1] {
            let mut b = good.as_bytes().to_vec();
            b[8..12].copy_from_slice(&bad.to_le_bytes());
            assert_eq!(Header::parse(&reseal(b)), Err(Error::BadMaxPlain(bad)));
        }
        assert_eq!(Header::parse(&good.as_bytes()[..15]), Err(Error::Truncated));
        // A sealed flag makes the preamble 32 bytes.
        let mut b = good.as_bytes().to_vec();
        b[7] = 1;
        assert_eq!(Header::parse(&b), Err(Error::Truncated));
    }

    #[test]
    fn unsealed_container_exact_bytes() {
        let wire = write_with(
            Config::new(ChecksumKind::Crc16, 16),
            false,
            &[b"abc"],
            false,
        );
        let mut want = Header::new(Config::new(ChecksumKind::Crc16, 16))
            .to_preamble()
            .as_bytes()
            .to_vec();
        want.extend_from_slice(&[3, 0, 0, 0, 0xD6, 0x9D, b'a', b'b', b'c']);
        let mut end = vec![0xFF, 0xFF, 0xFF, 0xFF];
        end.extend_from_slice(&1u64.to_le_bytes());
        end.extend_from_slice(&3u64.to_le_bytes());
        end.extend_from_slice(&0u64.to_le_bytes());
        end.extend_from_slice(&36u32.to_le_bytes());
        end.extend_from_slice(&crc32c_bitwise(&end).to_le_bytes());
        want.extend_from_slice(&end);
        assert_eq!(wire, want);

        // With the index: one entry (stored 3, plain 3).
        if !cfg!(feature = "alloc") {
            return;
        }
        let wire = write(Config::new(ChecksumKind::None, 16), &[b"abc"]);
        let end = &wire[16 + 4 + 3..];
        assert_eq!(end.len(), 44);
        assert_eq!(end[20..28], 1u64.to_le_bytes());
        assert_eq!(end[28..36], [3, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(end[36..40], 44u32.to_le_bytes());
        assert_eq!(end[40..44], crc32c_bitwise(&end[..40]).to_le_bytes());
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn empty_plaintexts_are_compressed_too() {
        for (c, body) in [
            (Compression::None, &[][..]),
            (Compression::Deflate, &[0x03, 0x00][..]),
            (Compression::Lz4, &[0x00][..]),
        ] {
            let config = Config::new(ChecksumKind::None, 16).with_compression(c);
            let wire = write_with(config, false, &[b""], false);
            let len = u32::try_from(body.len()).unwrap();
            assert_eq!(wire[16..20], len.to_le_bytes(), "{c}");
            assert_eq!(&wire[20..20 + body.len()], body, "{c}");
        }
        // Level 0 writes the empty stored block.
        let config = Config::new(ChecksumKind::None, 16).with_compression(Compression::Deflate);
        let mut w = Writer::new(config).unwrap();
        w.set_level(0);
        let mut buf = [0u8; 64];
        let n = w.encode_frame(b"", &mut buf).unwrap();
        assert_eq!(buf[16..n], [5, 0, 0, 0, 0x01, 0x00, 0x00, 0xFF, 0xFF]);
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn round_trip_every_config_and_chunking() {
        for config in all_configs().into_iter().step_by(MIRI_CONFIG_STEP) {
            for index in [false, true] {
                let wire = write_with(config, index, TEXT, false);
                let how = if config.sealed {
                    How::Keyed
                } else {
                    How::Keyless
                };
                for chunk in [1usize, 5, 64, wire.len()] {
                    if chunk == 1 && cfg!(miri) {
                        continue;
                    }
                    let got = read(&wire, chunk, how);
                    let mut want: Vec<Vec<u8>> = TEXT.iter().map(|p| p.to_vec()).collect();
                    if config.sealed {
                        want.push(Vec::new()); // the empty final frame
                    }
                    assert_eq!(
                        got,
                        Reading {
                            frames: want,
                            end: Ok(())
                        },
                        "{config:?} chunk {chunk}"
                    );
                }
                let v = read(&wire, 64, How::Verify);
                assert_eq!(v.end, Ok(()), "{config:?}");
            }
        }
    }

    #[test]
    fn encode_last_makes_the_last_frame_final() {
        let config = Config::new(ChecksumKind::Crc32c, 64).with_sealed(true);
        let wire = write_with(config, true, &[b"a", b"b"], true);
        let got = read(&wire, 7, How::Keyed);
        assert_eq!(got.frames, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(got.end, Ok(()));
        // Nothing after the final frame.
        let mut w = Writer::new_sealed(config, &master(), nonce()).unwrap();
        let mut buf = [0u8; 256];
        let n = w.encode_last(b"z", &mut buf).unwrap();
        assert_eq!(w.encode_frame(b"y", &mut buf[n..]), Err(Error::Finished));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn every_truncation_is_refused() {
        for config in all_configs().into_iter().step_by(3 * MIRI_CONFIG_STEP) {
            let wire = write(config, &TEXT[..2]);
            for cut in (0..wire.len()).step_by(MIRI_STEP) {
                for how in [How::Keyed, How::Keyless, How::Verify] {
                    if (how == How::Keyed) != config.sealed && how != How::Verify {
                        continue;
                    }
                    let r = read(&wire[..cut], 9, how);
                    assert!(r.end.is_err(), "{config:?} cut {cut} {:?}", r.end);
                }
            }
        }
    }

    #[test]
    fn truncation_at_frame_boundaries_says_truncated() {
        for sealed in [false, true] {
            let config = Config::new(ChecksumKind::Crc32c, 64).with_sealed(sealed);
            let wire = write(config, &[b"one", b"two"]);
            let pre = config.preamble_len();
            let f = 4 + 4 + 3 + if sealed { 16 } else { 0 };
            for cut in [pre, pre + f, pre + 2 * f] {
                let how = if sealed { How::Keyed } else { How::Keyless };
                assert_eq!(
                    read(&wire[..cut], 100, how).end,
                    Err(Error::Truncated),
                    "cut {cut}"
                );
                assert_eq!(
                    read(&wire[..cut], 100, How::Verify).end,
                    Err(Error::Truncated)
                );
            }
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn every_bit_flip_is_detected() {
        for config in all_configs().into_iter().step_by(MIRI_CONFIG_STEP) {
            if config.checksum == ChecksumKind::None && !config.sealed {
                continue; // no integrity: covered by `unchecked_flips_never_pass_as_the_original`
            }
            let wire = write(config, &TEXT[1..3]);
            let how = if config.sealed {
                How::Keyed
            } else {
                How::Keyless
            };
            for bit in (0..wire.len() * 8).step_by(MIRI_STEP * 7) {
                let mut w = wire.clone();
                w[bit / 8] ^= 1 << (bit % 8);
                assert!(read(&w, 64, how).end.is_err(), "{config:?} bit {bit}");
                if config.checksum != ChecksumKind::None {
                    assert!(
                        read(&w, 64, How::Verify).end.is_err(),
                        "{config:?} bit {bit}"
                    );
                }
            }
        }
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn unchecked_flips_never_pass_as_the_original() {
        let config = Config::new(ChecksumKind::None, 300);
        let wire = write(config, &TEXT[1..3]);
        let want: Vec<Vec<u8>> = TEXT[1..3].iter().map(|p| p.to_vec()).collect();
        for bit in (0..wire.len() * 8).step_by(MIRI_STEP) {
            let mut w = wire.clone();
            w[bit / 8] ^= 1 << (bit % 8);
            let r = read(&w, 64, How::Keyless);
            assert!(r.end.is_err() || r.frames != want, "bit {bit}");
        }
    }

    #[test]
    fn a_checksum_error_names_its_frame_and_keeps_earlier_frames() {
        let config = Config::new(ChecksumKind::Crc32, 64);
        let wire = write(config, &[b"first", b"second", b"third"]);
        let mut w = wire.clone();
        let second = 16 + (4 + 4 + 5) + 4 + 4; // payload of frame 1
        w[second] ^= 0x10;
        let r = read(&w, 3, How::Keyless);
        assert_eq!(r.frames, vec![b"first".to_vec()]);
        assert_eq!(r.end, Err(Error::BadChecksum { frame: 1 }));
    }

    #[test]
    fn trailing_data_is_refused() {
        for sealed in [false, true] {
            let config = Config::new(ChecksumKind::Crc16, 64).with_sealed(sealed);
            let mut wire = write(config, &[b"abc"]);
            wire.push(0);
            let how = if sealed { How::Keyed } else { How::Keyless };
            assert_eq!(read(&wire, 5, how).end, Err(Error::TrailingData));
            assert_eq!(
                read(&wire, wire.len(), How::Verify).end,
                Err(Error::TrailingData)
            );
            // Another whole stream appended.
            let mut two = write(config, &[b"abc"]);
            two.extend_from_slice(&write(config, &[b"def"]));
            assert_eq!(read(&two, 1000, how).end, Err(Error::TrailingData));
        }
    }

    /// Frames of a sealed stream, each with its length field, checksum and payload.
    fn split_frames(wire: &[u8], config: Config) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
        let pre = config.preamble_len();
        let w = config.checksum.width();
        let mut pos = pre;
        let mut frames = Vec::new();
        loop {
            let len = u32::from_le_bytes(wire[pos..pos + 4].try_into().unwrap());
            if len == END_MARK {
                break;
            }
            let end = pos + 4 + w + len as usize;
            frames.push(wire[pos..end].to_vec());
            pos = end;
        }
        (wire[..pre].to_vec(), frames, wire[pos..].to_vec())
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn whole_frame_tampering_of_sealed_streams_fails() {
        let config = Config::new(ChecksumKind::Crc32c, 64).with_sealed(true);
        let wire = write_with(config, false, &[b"a0", b"a1", b"a2"], true);
        let (pre, frames, end) = split_frames(&wire, config);
        assert_eq!(frames.len(), 3);
        let other = {
            let mut w = Writer::new_sealed(config, &master(), [0x33; 16]).unwrap();
            let mut out = Vec::new();
            for (i, p) in [b"b0", b"b1", b"b2"].iter().enumerate() {
                let mut buf = vec![0u8; w.max_encoded_len(2)];
                let n = if i == 2 {
                    w.encode_last(*p, &mut buf).unwrap()
                } else {
                    w.encode_frame(*p, &mut buf).unwrap()
                };
                out.extend_from_slice(&buf[..n]);
            }
            let mut buf = vec![0u8; w.max_finish_len()];
            let n = w.finish(&mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
            out
        };
        let (_, other_frames, _) = split_frames(&other, config);
        let other_nonce = {
            let h = Header {
                config,
                nonce: [0x55; 16],
            };
            let mut w = Writer::new_sealed(config, &master(), h.nonce).unwrap();
            let mut buf = [0u8; 256];
            let n = w.encode_last(b"a0", &mut buf).unwrap();
            buf[h.config.preamble_len()..n].to_vec()
        };
        let build = |order: &[&[u8]]| {
            let mut v = pre.clone();
            for f in order {
                v.extend_from_slice(f);
            }
            v.extend_from_slice(&end);
            v
        };
        let f = |i: usize| frames[i].as_slice();
        let cases: Vec<Vec<u8>> = vec![
            build(&[f(1), f(0), f(2)]),             // reordered
            build(&[f(0), f(2)]),                   // dropped
            build(&[f(0), f(1)]),                   // final dropped
            build(&[f(0), f(0), f(1), f(2)]),       // duplicated
            build(&[f(0), &other_frames[1], f(2)]), // spliced from another stream
            build(&[&other_nonce, f(1), f(2)]),     // the first frame of another stream
            build(&[f(0), f(1), f(2), f(2)]),       // a frame after the final
        ];
        for (i, case) in cases.iter().enumerate() {
            let r = read(case, 1000, How::Keyed);
            assert!(
                matches!(
                    r.end,
                    Err(Error::Authentication
                        | Error::Truncated
                        | Error::DataAfterFinal
                        | Error::EndMismatch(_))
                ),
                "case {i}: {:?}",
                r.end
            );
            // Only a prefix of the original plaintexts is released.
            let want = [b"a0".to_vec(), b"a1".to_vec(), b"a2".to_vec()];
            assert!(
                r.frames.len() <= 3 && r.frames[..] == want[..r.frames.len()],
                "case {i}"
            );
        }
        // A preamble of another stream in front.
        let mut twice = other[..config.preamble_len()].to_vec();
        twice.extend_from_slice(&wire);
        assert!(read(&twice, 1000, How::Keyed).end.is_err());
    }

    #[test]
    fn key_and_seal_flag_must_agree() {
        let sealed = write(
            Config::new(ChecksumKind::None, 64).with_sealed(true),
            &[b"x"],
        );
        assert_eq!(
            read(&sealed, 100, How::Keyless).end,
            Err(Error::KeyRequired)
        );
        let plain = write(Config::new(ChecksumKind::None, 64), &[b"x"]);
        assert_eq!(read(&plain, 100, How::Keyed).end, Err(Error::NotSealed));
        let mut wrong = Reader::new_sealed([0u8; 64], MasterKey::from_bytes(&[1; 32]));
        let mut w = sealed.clone();
        let mut input = &mut w[..];
        let res = loop {
            match wrong.feed(input) {
                Ok(Feed::Header { consumed, .. }) => input = &mut input[consumed..],
                Ok(other) => panic!("{other:?}"),
                Err(e) => break e,
            }
        };
        assert_eq!(res, Error::Authentication);
    }

    #[test]
    fn failed_authentication_releases_nothing() {
        let config = Config::new(ChecksumKind::None, 64).with_sealed(true);
        let mut wire = write(config, &[b"secret!"]);
        let last_ct = 32 + 4 + 6;
        wire[last_ct] ^= 1;
        let r = read(&wire, 1000, How::Keyed);
        assert_eq!(
            r,
            Reading {
                frames: vec![],
                end: Err(Error::Authentication)
            }
        );
    }

    fn index_digest(values: &[u64]) -> Option<[u32; 8]> {
        let mut runs = IndexRuns::new();
        for &v in values {
            runs.push(v);
        }
        runs.finish()
    }

    /// The index digest's runs: equal sequences give equal digests, and runs moved,
    /// lengthened or split give different ones; an entry with bit 63, which no frame
    /// has, matches nothing (not even a run's own encoding fed as entries).
    #[test]
    fn index_runs_tell_sequences_apart() {
        let (a, b) = (1 << 32 | 40, 7);
        let cases: [&[u64]; 9] = [
            &[],
            &[a],
            &[a, a],
            &[a, a, a],
            &[a, b],
            &[b, a],
            &[a, a, b],
            &[a, b, b],
            &[a, b, a],
        ];
        for (i, x) in cases.iter().enumerate() {
            for (j, y) in cases.iter().enumerate() {
                assert_eq!(index_digest(x) == index_digest(y), i == j, "{x:?} / {y:?}");
            }
        }
        assert!(index_digest(&[a | IndexRuns::RUN, 2]).is_none());
        assert!(index_digest(&[b, a | IndexRuns::RUN]).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: if cfg!(miri) { 4 } else { 512 },
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        })]

        /// Over a two-value alphabet (long runs, and many equal pairs), digests are
        /// equal exactly when the sequences are.
        #[test]
        fn index_digests_are_equal_only_for_equal_sequences(
            x in proptest::collection::vec(0u64..2, 0..7),
            y in proptest::collection::vec(0u64..2, 0..7),
        ) {
            proptest::prop_assert_eq!(index_digest(&x) == index_digest(&y), x == y);
        }
    }

    /// An index of equal entries (the runs' case) reads back, keyed, keyless and
    /// verified, and a stored index that moves, lengthens or shortens a run fails
    /// as `EndMismatch(Index)` (the CRC resealed, so only the index is wrong).
    #[cfg(feature = "alloc")]
    #[test]
    fn an_index_of_equal_entries_is_checked_entry_by_entry() {
        for sealed in [false, true] {
            let config = Config::new(ChecksumKind::Crc32c, 64).with_sealed(sealed);
            let payloads: [&[u8]; 4] = [b"abc", b"abc", b"abc", b"de"];
            let wire = write(config, &payloads);
            let n = wire.len();
            // Every frame's entry (a sealed stream ends with an empty final frame).
            let end_len = u32::from_le_bytes(wire[n - 8..n - 4].try_into().unwrap()) as usize;
            let entries = (end_len - 36) / 8;
            let index_at = n - 8 - 8 * entries;
            let hows = if sealed {
                [How::Keyed, How::Verify]
            } else {
                [How::Keyless, How::Verify]
            };
            for how in hows {
                for chunk in [1, 7, n] {
                    let got = read(&wire, chunk, how);
                    assert_eq!(got.end, Ok(()), "sealed {sealed} chunk {chunk}");
                    assert_eq!(got.frames.len(), entries);
                }
            }
            let entry = |i: usize| -> [u8; 8] {
                wire[index_at + 8 * i..index_at + 8 * i + 8]
                    .try_into()
                    .unwrap()
            };
            // Entries 0..4 as [a, a, a, b]: as [a, a, b, b], [b, a, a, a], [a, a, a, a].
            for order in [[0, 1, 3, 3], [3, 0, 1, 2], [0, 1, 2, 0]] {
                let mut w = wire.clone();
                for (i, &from) in order.iter().enumerate() {
                    w[index_at + 8 * i..index_at + 8 * i + 8].copy_from_slice(&entry(from));
                }
                let end_at = n - end_len;
                let crc = crc32c_bitwise(&w[end_at..n - 4]);
                w[n - 4..].copy_from_slice(&crc.to_le_bytes());
                let how = if sealed { How::Keyed } else { How::Keyless };
                assert_eq!(
                    read(&w, 7, how).end,
                    Err(Error::EndMismatch(EndField::Index)),
                    "sealed {sealed} order {order:?}"
                );
            }
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn end_section_is_checked_field_by_field() {
        let config = Config::new(ChecksumKind::Crc32c, 64);
        let wire = write(config, &[b"abc", b"de"]);
        let end_at = wire.len() - (36 + 16);
        let reseal = |mut w: Vec<u8>| {
            let n = w.len();
            let crc = crc32c_bitwise(&w[end_at..n - 4]);
            w[n - 4..].copy_from_slice(&crc.to_le_bytes());
            w
        };
        let patch = |off: usize, bytes: &[u8]| {
            let mut w = wire.clone();
            w[end_at + off..end_at + off + bytes.len()].copy_from_slice(bytes);
            reseal(w)
        };
        assert_eq!(
            read(&patch(4, &3u64.to_le_bytes()), 7, How::Keyless).end,
            Err(Error::EndMismatch(EndField::FrameCount))
        );
        assert_eq!(
            read(&patch(12, &6u64.to_le_bytes()), 7, How::Keyless).end,
            Err(Error::EndMismatch(EndField::PlainLength))
        );
        assert_eq!(
            read(&patch(20, &1u64.to_le_bytes()), 7, How::Keyless).end,
            Err(Error::EndMismatch(EndField::IndexEntries))
        );
        assert_eq!(
            read(&patch(28, &[4, 0, 0, 0]), 7, How::Keyless).end,
            Err(Error::EndMismatch(EndField::Index))
        );
        // An entry with bit 63 set (the runs' marker) is no frame's.
        let first = u64::from_le_bytes(wire[end_at + 28..end_at + 36].try_into().unwrap());
        assert_eq!(
            read(
                &patch(28, &(first | 1 << 63).to_le_bytes()),
                7,
                How::Keyless
            )
            .end,
            Err(Error::EndMismatch(EndField::Index))
        );
        assert_eq!(
            read(&patch(44, &53u32.to_le_bytes()), 7, How::Keyless).end,
            Err(Error::EndMismatch(EndField::EndLength))
        );
        let mut w = wire.clone();
        let n = w.len();
        w[n - 1] ^= 0x80;
        assert_eq!(read(&w, 7, How::Keyless).end, Err(Error::BadEndChecksum));
    }

    /// A stream whose preamble says `max_plain` but whose one frame holds one byte
    /// more (encoded by a codec that allows it, with the real preamble as AAD).
    fn over_max_plain(compression: Compression, sealed: bool) -> Vec<u8> {
        let small = Header {
            config: Config::new(ChecksumKind::Crc32, 100)
                .with_compression(compression)
                .with_sealed(sealed),
            nonce: nonce(),
        };
        let key = sealed.then(|| StreamKey::derive(&master(), &small.nonce));
        let codec = FrameCodec {
            config: Config {
                max_plain: 101,
                ..small.config
            },
            preamble: small.to_preamble(),
            key,
            level: 6,
        };
        let plain = [7u8; 101];
        let mut wire = small.to_preamble().as_bytes().to_vec();
        let mut buf = vec![0u8; codec.encode_buffer_len(101)];
        let e = codec.encode(0, true, &plain, &mut buf).unwrap();
        wire.extend_from_slice(&buf[..e.len]);
        wire
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn one_byte_over_max_plain_is_refused_for_every_compression() {
        for compression in Compression::ALL {
            if !compression.can_compress() {
                continue;
            }
            for sealed in [false, true] {
                let wire = over_max_plain(compression, sealed);
                let how = if sealed { How::Keyed } else { How::Keyless };
                let r = read(&wire, 1000, how);
                let want = if compression == Compression::None {
                    // Stored above the bound: refused at the length field.
                    Error::FrameTooLong { frame: 0 }
                } else {
                    Error::PlainTooLong
                };
                assert_eq!(r.end, Err(want), "{compression} sealed {sealed}");
                assert!(r.frames.is_empty());
            }
        }
        // The decompressor never writes past max_plain.
        if !Compression::Lz4.can_compress() {
            return;
        }
        let wire = over_max_plain(Compression::Lz4, false);
        let mut r =
            Reader::new(vec![0u8; 512]).with_decompressor(Decompressor::new(vec![0xEEu8; 200]));
        let mut w = wire.clone();
        let mut input = &mut w[..];
        loop {
            match r.feed(input) {
                Ok(Feed::Header { consumed, .. }) => input = &mut input[consumed..],
                Ok(other) => panic!("{other:?}"),
                Err(e) => {
                    assert_eq!(e, Error::PlainTooLong);
                    break;
                }
            }
        }
        assert!(
            r.decompressor_mut().output()[100..]
                .iter()
                .all(|&b| b == 0xEE)
        );
    }

    #[test]
    fn writer_limits() {
        let config = Config::new(ChecksumKind::Crc16, 8);
        let mut w = Writer::new(config).unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(w.encode_frame(&[0; 9], &mut buf), Err(Error::PlainTooLong));
        assert_eq!(
            w.encode_frame(&[0; 8], &mut buf[..20]),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(
            Writer::new(Config::new(ChecksumKind::None, 0)).err(),
            Some(Error::BadMaxPlain(0))
        );
        assert_eq!(
            Writer::new(config.with_sealed(true)).err(),
            Some(Error::KeyRequired)
        );
        let n = w.finish(&mut buf).unwrap();
        assert_eq!(n, 16 + 36);
        assert_eq!(w.finish(&mut buf), Err(Error::Finished));
        assert_eq!(w.encode_frame(b"", &mut buf), Err(Error::Finished));
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "exhaustive loops over sealing and compression: run natively"
    )]
    fn reader_limit_and_lazy_buffers() {
        let config = Config::new(ChecksumKind::Crc32c, 1000);
        let wire = write(config, &[&[1u8; 1000]]);
        let mut r = Reader::new(Vec::new()).with_limit(999);
        let mut w = wire.clone();
        assert_eq!(
            r.feed(&mut w).err(),
            Some(Error::MaxPlainOverLimit {
                max_plain: 1000,
                limit: 999
            })
        );
        // A lazy reader fed byte by byte asks for a buffer of the frame's length.
        let mut r = Reader::new(Vec::new()).lazy();
        let mut asked = Vec::new();
        let mut got = Vec::new();
        let mut done = false;
        for b in wire.clone().chunks_mut(1) {
            let mut c = b;
            loop {
                match r.feed(c).unwrap() {
                    Feed::NeedMore => break,
                    Feed::Header { consumed, .. } => c = &mut c[consumed..],
                    Feed::NeedBuffer { len, consumed } => {
                        asked.push(len);
                        r.replace_buffer(vec![0u8; len]).unwrap();
                        c = &mut c[consumed..];
                    }
                    Feed::Frame { payload, consumed } => {
                        got.extend_from_slice(payload);
                        c = &mut c[consumed..];
                    }
                    Feed::End { .. } => {
                        done = true;
                        break;
                    }
                }
            }
        }
        assert!(done);
        assert_eq!(asked, vec![1000]);
        assert_eq!(got, vec![1u8; 1000]);
        r.finish().unwrap();
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn codec_opens_frames_by_counter() {
        let config = Config::new(ChecksumKind::Crc32c, 64)
            .with_compression(Compression::Lz4)
            .with_sealed(true);
        let header = Header {
            config,
            nonce: nonce(),
        };
        let codec = FrameCodec::new(&header, Some(&master())).unwrap();
        let mut frames = Vec::new();
        for (i, text) in [&b"zero zero zero"[..], b"one", b"two two"]
            .iter()
            .enumerate()
        {
            let mut buf = vec![0u8; codec.encode_buffer_len(text.len())];
            let e = codec.encode(i as u64, i == 2, text, &mut buf).unwrap();
            buf.truncate(e.len);
            frames.push(buf);
        }
        let hlen = frame::header_len(config.checksum);
        let mut d = Decompressor::new(vec![0u8; 64]);
        // Open out of order, with the final flag known.
        for i in [2usize, 0, 1] {
            let mut stored = frames[i][hlen..].to_vec();
            let (n, fin) = codec.open(i as u64, Some(i == 2), &mut stored).unwrap();
            assert_eq!(fin, i == 2);
            let plain = codec.decompress(&stored[..n], &mut d).unwrap().to_vec();
            assert_eq!(plain, [&b"zero zero zero"[..], b"one", b"two two"][i]);
        }
        let mut stored = frames[1][hlen..].to_vec();
        assert_eq!(codec.open(0, None, &mut stored), Err(Error::Authentication));
        let ct_len = stored.len() - TAG_LEN;
        if cfg!(feature = "ring") {
            assert!(stored[..ct_len].iter().all(|&b| b == 0), "ring zeroes");
        } else {
            assert_eq!(stored, frames[1][hlen..], "nothing decrypted");
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn frames_encoded_elsewhere_and_recorded_give_the_same_stream() {
        for sealed in [false, true] {
            let config = Config::new(ChecksumKind::Crc32c, 64)
                .with_compression(Compression::Deflate)
                .with_sealed(sealed);
            let texts = [&b"zero zero zero"[..], b"", b"two two two two"];
            let new_writer = || {
                if sealed {
                    Writer::new_sealed(config, &master(), nonce()).unwrap()
                } else {
                    Writer::new(config).unwrap()
                }
                .with_index()
            };
            let mut one = new_writer();
            let mut want = vec![0u8; 1024];
            let mut n = 0;
            for (i, t) in texts.iter().enumerate() {
                n += if i == 2 {
                    one.encode_last(t, &mut want[n..]).unwrap()
                } else {
                    one.encode_frame(t, &mut want[n..]).unwrap()
                };
            }
            n += one.finish(&mut want[n..]).unwrap();
            want.truncate(n);

            // Frames from a separate codec of the same stream, recorded in order.
            let header = Header {
                config,
                nonce: if sealed { nonce() } else { [0; 16] },
            };
            let codec = FrameCodec::new(&header, sealed.then(master).as_ref()).unwrap();
            let mut w = new_writer();
            let mut got = vec![0u8; 1024];
            assert_eq!(
                w.record_encoded(Encoded { len: 0, stored: 0 }, 0, false),
                Err(Error::NotStarted)
            );
            let mut n = w.start(&mut got).unwrap();
            for (i, t) in texts.iter().enumerate() {
                let e = codec.encode(i as u64, i == 2, t, &mut got[n..]).unwrap();
                w.record_encoded(e, t.len(), i == 2).unwrap();
                n += e.len;
            }
            let too_long = Encoded {
                len: 0,
                stored: u32::MAX,
            };
            assert_eq!(w.record_encoded(too_long, 0, false), Err(Error::Finished));
            n += w.finish(&mut got[n..]).unwrap();
            got.truncate(n);
            assert_eq!(got, want, "sealed {sealed}");
        }
        let mut w = Writer::new(Config::new(ChecksumKind::None, 8)).unwrap();
        let mut pre = [0u8; 16];
        w.start(&mut pre).unwrap();
        let big = Encoded { len: 0, stored: 9 };
        assert_eq!(
            w.record_encoded(big, 8, false),
            Err(Error::FrameTooLong { frame: 0 })
        );
        assert_eq!(w.record_encoded(big, 9, false), Err(Error::PlainTooLong));
    }

    #[test]
    fn encode_in_place_writes_the_frames_encode_writes() {
        let max = 64u32;
        let text: Vec<u8> = (0..=max).map(|i| u8::try_from(i % 251).unwrap()).collect();
        let configs = ChecksumKind::ALL
            .into_iter()
            .flat_map(|kind| [(kind, false), (kind, true)]);
        for (kind, sealed) in configs.step_by(MIRI_CONFIG_STEP) {
            let config = Config::new(kind, max).with_sealed(sealed);
            let header = Header {
                config,
                nonce: nonce(),
            };
            let codec = FrameCodec::new(&header, sealed.then(master).as_ref()).unwrap();
            let at = codec.payload_offset();
            for len in [0, 1, 2, 31, 63, 64] {
                let plain = &text[..len];
                for (counter, is_final) in [(0, false), (7, true)] {
                    let need = codec.encode_buffer_len(len);
                    let mut want = vec![0u8; need];
                    let w = codec.encode(counter, is_final, plain, &mut want).unwrap();
                    let mut got = vec![0u8; need];
                    got[at..at + len].copy_from_slice(plain);
                    let g = codec
                        .encode_in_place(counter, is_final, len, &mut got)
                        .unwrap();
                    assert_eq!(g, w, "{kind:?} sealed {sealed} len {len}");
                    assert_eq!(got[..g.len], want[..w.len], "{kind:?} {sealed} {len}");
                }
            }
            // Errors wipe the plaintext and write no frame.
            let mut short = vec![0u8; codec.encode_buffer_len(8) - 1];
            short[at..].fill(0x5A);
            assert_eq!(
                codec.encode_in_place(0, false, 8, &mut short),
                Err(Error::BufferTooSmall)
            );
            assert!(
                short.iter().take(at + 8).all(|&b| b == 0),
                "{kind:?} {sealed}"
            );
            let mut big = vec![0x5Au8; codec.encode_buffer_len(65)];
            assert_eq!(
                codec.encode_in_place(0, false, 65, &mut big),
                Err(Error::PlainTooLong)
            );
            assert!(big[..at + 65].iter().all(|&b| b == 0));
        }
        let config = Config::new(ChecksumKind::None, 64).with_compression(Compression::Lz4);
        let codec = FrameCodec::new(&Header::new(config), None).unwrap();
        let mut buf = vec![0x5Au8; codec.encode_buffer_len(4)];
        assert_eq!(
            codec.encode_in_place(0, false, 4, &mut buf),
            Err(Error::NotPlain)
        );
        assert!(buf[..4].iter().all(|&b| b == 0));
    }

    #[test]
    fn feed_debug_shows_no_plaintext() {
        let feed = Feed::Frame {
            payload: b"hunter2",
            consumed: 30,
        };
        let shown = std::format!("{feed:?}");
        assert!(
            shown.contains("payload_len: 7") && !shown.contains("104"),
            "{shown}"
        );
    }
}
