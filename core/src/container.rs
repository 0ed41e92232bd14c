//! The self-describing container (wire contract section 4).
//!
//! ```text
//! stream := header (16 bytes) | stream nonce (16 bytes, when sealed) | frame* | final frame (when sealed)
//! ```
//!
//! [`Header`] reads and writes the 16-byte header. [`Writer`] turns payloads into frames in
//! caller buffers, applying per frame deflate (flag bit 0, needs the `alloc` feature),
//! then sealing (flag bit 1, [`crate::seal`]), then the checksum over the stored bytes.
//! [`Reader`] is fed chunks of any size and hands out checked, authenticated,
//! decrypted (in place) and inflated payloads.
//!
//! ```
//! use secstream_core::checksum::ChecksumKind;
//! use secstream_core::container::{Feed, Header, Reader, Writer};
//! use secstream_core::seal::MasterKey;
//!
//! let key = MasterKey::from_bytes(&[0x42; 32]);
//! let mut header = Header::new(ChecksumKind::Crc32c, 1024);
//! header.flags.sealed = true;
//! let mut w = Writer::new_sealed(header, &key, [7; 16])?; // nonce: from the caller's RNG
//! let mut wire = [0u8; 256];
//! let mut n = w.encode_frame(b"hello", &mut wire)?;
//! n += w.finish(&mut wire[n..])?;
//!
//! let mut r = Reader::new_sealed([0u8; 64], key);
//! let mut input = &mut wire[..n];
//! let mut got = [0u8; 5];
//! loop {
//!     match r.feed(input)? {
//!         Feed::Frame { payload, consumed } => {
//!             got.copy_from_slice(payload);
//!             input = &mut input[consumed..];
//!         }
//!         Feed::NeedMore => break,
//!     }
//! }
//! r.finish()?; // the final frame was seen: not truncated
//! assert_eq!(&got, b"hello");
//! # Ok::<(), secstream_core::container::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::checksum::{self, ChecksumKind};
use crate::deflate::{self, Inflate};
use crate::frame;
use crate::seal::{self, MasterKey, STREAM_NONCE_LEN, StreamKey, TAG_LEN};

/// The magic bytes `SSTM`.
pub const MAGIC: [u8; 4] = *b"SSTM";
/// The container version this crate reads and writes.
pub const VERSION: u8 = 1;
/// Length of the header.
pub const HEADER_LEN: usize = 16;
/// Length of header plus stream nonce of a sealed container (also the AAD of its frames).
pub const SEALED_PREAMBLE_LEN: usize = HEADER_LEN + STREAM_NONCE_LEN;
/// Default deflate level of a [`Writer`].
pub const DEFAULT_LEVEL: u8 = 6;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The stream does not start with `SSTM`.
    BadMagic,
    /// The header names a version this crate does not read.
    UnsupportedVersion(u8),
    /// The header's CRC-32C does not match.
    BadHeaderChecksum,
    /// The header names an unknown checksum id.
    UnknownChecksum(u8),
    /// The header names a checksum of the contract that this build left out
    /// (see the `checksum` module's build-time subset).
    ChecksumNotCompiled(u8),
    /// The header sets flag bits this crate does not know (the unknown bits).
    UnknownFlags(u8),
    /// The reserved header byte is not zero.
    ReservedNotZero(u8),
    /// A frame's checksum does not match.
    BadChecksum,
    /// A frame (stored or inflated) is longer than the maximum frame length or the buffer.
    FrameTooLong,
    /// The input ended inside the header or a frame, or (sealed) before the final frame.
    Truncated,
    /// Bytes follow the final frame of a sealed stream.
    DataAfterFinal,
    /// A sealed frame failed authentication (modified, reordered, dropped, duplicated, or
    /// the wrong key). Nothing of that frame was released.
    Authentication,
    /// The stream is sealed but no key was given.
    KeyRequired,
    /// A key was given but the stream is not sealed.
    NotSealed,
    /// The frame counter reached 2^88.
    CounterOverflow,
    /// A compressed frame could not be inflated.
    Inflate(deflate::Error),
    /// The stream is compressed but this build cannot compress (no `alloc` feature).
    DeflateUnavailable,
    /// The operation needs a stream without deflate and sealing.
    NotPlain,
    /// The operation needs the header to be written first ([`Writer::start`]).
    NotStarted,
    /// The writer has finished.
    Finished,
    /// The output buffer is too small.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => f.write_str("not a secstream container (bad magic)"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported container version {v}"),
            Self::BadHeaderChecksum => f.write_str("container header checksum mismatch"),
            Self::UnknownChecksum(id) => write!(f, "unknown checksum id {id}"),
            Self::ChecksumNotCompiled(id) => {
                write!(f, "checksum id {id} is not compiled into this build")
            }
            Self::UnknownFlags(bits) => write!(f, "unknown container flags {bits:#04x}"),
            Self::ReservedNotZero(b) => write!(f, "reserved header byte is {b:#04x}, not 0"),
            Self::BadChecksum => f.write_str("frame checksum mismatch"),
            Self::FrameTooLong => f.write_str("frame longer than the maximum frame length"),
            Self::Truncated => f.write_str("container truncated"),
            Self::DataAfterFinal => f.write_str("data after the final frame"),
            Self::Authentication => f.write_str("authentication failed"),
            Self::KeyRequired => f.write_str("container is sealed and no key was given"),
            Self::NotSealed => f.write_str("a key was given but the container is not sealed"),
            Self::CounterOverflow => f.write_str("frame counter overflow"),
            Self::Inflate(e) => write!(f, "cannot inflate frame: {e}"),
            Self::DeflateUnavailable => f.write_str("deflate needs the alloc feature"),
            Self::NotPlain => f.write_str("operation needs a stream without deflate and sealing"),
            Self::NotStarted => f.write_str("container header not written yet"),
            Self::Finished => f.write_str("container writer already finished"),
            Self::BufferTooSmall => f.write_str("output buffer too small"),
        }
    }
}

impl core::error::Error for Error {}

impl From<frame::Error> for Error {
    fn from(e: frame::Error) -> Self {
        match e {
            frame::Error::BadChecksum => Self::BadChecksum,
            frame::Error::Truncated => Self::Truncated,
            frame::Error::BufferTooSmall => Self::BufferTooSmall,
            _ => Self::FrameTooLong,
        }
    }
}

impl From<seal::Error> for Error {
    fn from(e: seal::Error) -> Self {
        match e {
            seal::Error::CounterOverflow => Self::CounterOverflow,
            seal::Error::TooLong => Self::FrameTooLong,
            _ => Self::Authentication,
        }
    }
}

impl From<deflate::Error> for Error {
    fn from(e: deflate::Error) -> Self {
        Self::Inflate(e)
    }
}

/// Header flags (byte 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Flags {
    /// Bit 0: every frame is one raw deflate stream.
    pub deflate: bool,
    /// Bit 1: frames are sealed; a stream nonce follows the header.
    pub sealed: bool,
}

impl Flags {
    /// Bit of [`Flags::deflate`].
    pub const DEFLATE: u8 = 0b01;
    /// Bit of [`Flags::sealed`].
    pub const SEALED: u8 = 0b10;

    /// The flags byte.
    #[must_use]
    pub const fn bits(self) -> u8 {
        (if self.deflate { Self::DEFLATE } else { 0 })
            | (if self.sealed { Self::SEALED } else { 0 })
    }

    /// Parses the flags byte.
    ///
    /// # Errors
    /// [`Error::UnknownFlags`] (with the unknown bits) if bits other than 0 and 1 are set.
    pub const fn from_bits(bits: u8) -> Result<Self, Error> {
        let unknown = bits & !(Self::DEFLATE | Self::SEALED);
        if unknown != 0 {
            return Err(Error::UnknownFlags(unknown));
        }
        Ok(Self {
            deflate: bits & Self::DEFLATE != 0,
            sealed: bits & Self::SEALED != 0,
        })
    }
}

/// The 16-byte container header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Header {
    /// Checksum applied to every frame.
    pub checksum: ChecksumKind,
    /// Deflate and sealed flags.
    pub flags: Flags,
    /// Largest stored frame payload, and largest payload before deflate and sealing.
    pub max_frame_len: u32,
}

impl Header {
    /// A header without flags.
    #[must_use]
    pub const fn new(checksum: ChecksumKind, max_frame_len: u32) -> Self {
        Self {
            checksum,
            flags: Flags {
                deflate: false,
                sealed: false,
            },
            max_frame_len,
        }
    }

    /// The header bytes, with their CRC-32C.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[..4].copy_from_slice(&MAGIC);
        b[4] = VERSION;
        b[5] = self.checksum.id();
        b[6] = self.flags.bits();
        b[7] = 0;
        b[8..12].copy_from_slice(&self.max_frame_len.to_le_bytes());
        let crc = checksum::crc32c(&b[..12]);
        b[12..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses header bytes. Checks, in this order: magic, version, CRC-32C, checksum id,
    /// flags, reserved byte.
    ///
    /// # Errors
    /// [`Error::BadMagic`], [`Error::UnsupportedVersion`], [`Error::BadHeaderChecksum`],
    /// [`Error::UnknownChecksum`], [`Error::UnknownFlags`], [`Error::ReservedNotZero`].
    pub fn parse(b: &[u8; HEADER_LEN]) -> Result<Self, Error> {
        if b[..4] != MAGIC {
            return Err(Error::BadMagic);
        }
        if b[4] != VERSION {
            return Err(Error::UnsupportedVersion(b[4]));
        }
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&b[12..]);
        if u32::from_le_bytes(crc) != checksum::crc32c(&b[..12]) {
            return Err(Error::BadHeaderChecksum);
        }
        let checksum = ChecksumKind::from_id(b[5]).map_err(|e| match e {
            checksum::Error::NotCompiled(id) => Error::ChecksumNotCompiled(id),
            _ => Error::UnknownChecksum(b[5]),
        })?;
        let flags = Flags::from_bits(b[6])?;
        if b[7] != 0 {
            return Err(Error::ReservedNotZero(b[7]));
        }
        let mut max = [0u8; 4];
        max.copy_from_slice(&b[8..12]);
        Ok(Self {
            checksum,
            flags,
            max_frame_len: u32::from_le_bytes(max),
        })
    }

    /// Bytes before the first frame: 16, or 32 when sealed.
    #[must_use]
    pub const fn preamble_len(&self) -> usize {
        if self.flags.sealed {
            SEALED_PREAMBLE_LEN
        } else {
            HEADER_LEN
        }
    }
}

/// The largest stored frame payload (after deflate and sealing) a [`Writer`] produces for
/// a payload of `payload_len` bytes with `flags`: with deflate [`deflate::stored_len`]
/// (incompressible data is stored, never expanded further), plus the 16-byte tag when
/// sealed. Saturates at `usize::MAX`. A header whose maximum frame length is at least this
/// for the largest payload accepts every payload up to that length.
#[must_use]
pub const fn max_stored_len(flags: Flags, payload_len: usize) -> usize {
    let body = if flags.deflate {
        deflate::stored_len(payload_len)
    } else {
        payload_len
    };
    if flags.sealed {
        body.saturating_add(TAG_LEN)
    } else {
        body
    }
}

fn max_len_usize(max: u32) -> usize {
    usize::try_from(max).unwrap_or(usize::MAX)
}

/// Writes a container into caller buffers, frame by frame.
///
/// The header (and stream nonce) is written by [`start`](Self::start), or automatically
/// in front of the first frame or by [`finish`](Self::finish). Size output buffers with
/// [`max_encoded_len`](Self::max_encoded_len). Not `Clone`; `Debug` shows no key.
pub struct Writer {
    header: Header,
    preamble: [u8; SEALED_PREAMBLE_LEN],
    key: Option<StreamKey>,
    counter: u128,
    level: u8,
    started: bool,
    finished: bool,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("header", &self.header)
            .field("counter", &self.counter)
            .field("started", &self.started)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl Writer {
    /// A writer of an unsealed container.
    ///
    /// # Errors
    /// [`Error::KeyRequired`] if `header` has the sealed flag (use
    /// [`new_sealed`](Self::new_sealed)); [`Error::DeflateUnavailable`] if it has the
    /// deflate flag and the `alloc` feature is off.
    pub fn new(header: Header) -> Result<Self, Error> {
        if header.flags.sealed {
            return Err(Error::KeyRequired);
        }
        Self::build(header, None)
    }

    /// A writer of a sealed container (the sealed flag is set on `header`). The stream
    /// nonce must be fresh and random for every stream: take it from the platform RNG.
    ///
    /// # Errors
    /// [`Error::DeflateUnavailable`] as for [`new`](Self::new).
    pub fn new_sealed(
        mut header: Header,
        master: &MasterKey,
        stream_nonce: [u8; STREAM_NONCE_LEN],
    ) -> Result<Self, Error> {
        header.flags.sealed = true;
        let key = StreamKey::derive(master, &stream_nonce);
        let mut w = Self::build(header, Some(key))?;
        w.preamble[HEADER_LEN..].copy_from_slice(&stream_nonce);
        Ok(w)
    }

    fn build(header: Header, key: Option<StreamKey>) -> Result<Self, Error> {
        if header.flags.deflate && !cfg!(feature = "alloc") {
            return Err(Error::DeflateUnavailable);
        }
        let mut preamble = [0u8; SEALED_PREAMBLE_LEN];
        preamble[..HEADER_LEN].copy_from_slice(&header.to_bytes());
        Ok(Self {
            header,
            preamble,
            key,
            counter: 0,
            level: DEFAULT_LEVEL,
            started: false,
            finished: false,
        })
    }

    /// Sets the deflate level (0..=10, default 6) of the following frames.
    pub fn set_level(&mut self, level: u8) {
        self.level = level.min(10);
    }

    /// The header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The header bytes (and stream nonce when sealed).
    #[must_use]
    pub fn preamble(&self) -> &[u8] {
        self.preamble
            .get(..self.header.preamble_len())
            .unwrap_or_default()
    }

    /// Largest payload a frame may hold (checked before deflate; the stored frame, after
    /// deflate and the 16-byte tag, must also fit the maximum frame length).
    #[must_use]
    pub fn max_payload_len(&self) -> usize {
        let max = max_len_usize(self.header.max_frame_len);
        if self.header.flags.sealed {
            max.saturating_sub(TAG_LEN)
        } else {
            max
        }
    }

    /// An output length always enough for the next [`encode_frame`](Self::encode_frame)
    /// of `payload_len` bytes (preamble included while not yet written).
    #[must_use]
    pub fn max_encoded_len(&self, payload_len: usize) -> usize {
        let pre = if self.started {
            0
        } else {
            self.header.preamble_len()
        };
        let body = max_stored_len(self.header.flags, payload_len);
        pre.saturating_add(frame::encoded_len(self.header.checksum, body))
    }

    /// Writes the header (and stream nonce) to `out`; returns its length (0 if written
    /// already).
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
        let pre = self.preamble();
        out.get_mut(..pre.len())
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(pre);
        Ok(pre.len())
    }

    /// Frame header for a payload written by the caller without copying (vectored I/O),
    /// for streams without deflate and sealing, after [`start`](Self::start).
    ///
    /// # Errors
    /// [`Error::NotPlain`], [`Error::NotStarted`], [`Error::Finished`],
    /// [`Error::FrameTooLong`].
    pub fn plain_frame_header(&mut self, payload: &[u8]) -> Result<frame::Header, Error> {
        if self.header.flags.deflate || self.header.flags.sealed {
            return Err(Error::NotPlain);
        }
        if self.finished {
            return Err(Error::Finished);
        }
        if !self.started {
            return Err(Error::NotStarted);
        }
        if payload.len() > max_len_usize(self.header.max_frame_len) {
            return Err(Error::FrameTooLong);
        }
        Ok(frame::header(self.header.checksum, payload)?)
    }

    /// Encodes one frame holding `payload` into `out` (after the preamble if it was not
    /// written yet); returns the bytes written.
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] if the payload or the stored frame exceeds the maximum
    /// frame length, [`Error::BufferTooSmall`], [`Error::Finished`],
    /// [`Error::CounterOverflow`].
    pub fn encode_frame(&mut self, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        self.encode(payload, false, out)
    }

    /// Ends the stream: for a sealed stream writes the empty final frame (and the preamble
    /// if nothing was written yet). Returns the bytes written.
    ///
    /// # Errors
    /// As [`encode_frame`](Self::encode_frame).
    pub fn finish(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        if self.header.flags.sealed {
            let n = self.encode(&[], true, out)?;
            self.finished = true;
            Ok(n)
        } else {
            let n = self.start(out)?;
            self.finished = true;
            Ok(n)
        }
    }

    /// Whether [`finish`](Self::finish) succeeded.
    #[must_use]
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    fn encode(&mut self, payload: &[u8], is_final: bool, out: &mut [u8]) -> Result<usize, Error> {
        if self.finished {
            return Err(Error::Finished);
        }
        if payload.len() > self.max_payload_len() {
            return Err(Error::FrameTooLong);
        }
        let pre = self.write_preamble(out)?;
        let kind = self.header.checksum;
        let hlen = frame::header_len(kind);
        let body_start = pre.checked_add(hlen).ok_or(Error::BufferTooSmall)?;
        let body = out.get_mut(body_start..).ok_or(Error::BufferTooSmall)?;
        let tag_len = if self.header.flags.sealed { TAG_LEN } else { 0 };
        let max = max_len_usize(self.header.max_frame_len);

        // 1. Plaintext or deflated plaintext into the body.
        let n = if self.header.flags.deflate {
            self.deflate_into(payload, body, max.saturating_sub(tag_len))?
        } else {
            body.get_mut(..payload.len())
                .ok_or(Error::BufferTooSmall)?
                .copy_from_slice(payload);
            payload.len()
        };
        let stored = n.checked_add(tag_len).ok_or(Error::FrameTooLong)?;
        if stored > max || stored > body.len() {
            body.get_mut(..n).unwrap_or_default().zeroize();
            return Err(if stored > max {
                Error::FrameTooLong
            } else {
                Error::BufferTooSmall
            });
        }

        // 2. Seal.
        if let Some(key) = &self.key {
            let aad = &self.preamble;
            let (data, rest) = body.split_at_mut(n);
            match key.seal_in_place(self.counter, is_final, aad, data) {
                Ok(tag) => rest
                    .get_mut(..TAG_LEN)
                    .ok_or(Error::BufferTooSmall)?
                    .copy_from_slice(&tag),
                Err(e) => {
                    data.zeroize();
                    return Err(e.into());
                }
            }
            self.counter += 1; // < 2^88 was checked by seal_in_place
        }

        // 3. Checksum over the stored bytes, frame header.
        let stored_bytes = body.get(..stored).unwrap_or_default();
        let h = frame::header(kind, stored_bytes)?;
        out.get_mut(pre..body_start)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(h.as_bytes());
        self.started = true;
        Ok(body_start + stored)
    }

    /// Deflates (or, when that is not shorter, stores) `payload` into `body`; the result is
    /// at most [`deflate::stored_len`] bytes, the bound of [`max_encoded_len`](Self::max_encoded_len).
    #[cfg(feature = "alloc")]
    fn deflate_into(&self, payload: &[u8], body: &mut [u8], max: usize) -> Result<usize, Error> {
        if self.level == 0 {
            // Stored blocks straight into the body, no scratch copy.
            if deflate::stored_len(payload.len()) > max {
                return Err(Error::FrameTooLong);
            }
            return deflate::store_into(payload, body).map_err(|_| Error::BufferTooSmall);
        }
        let mut c = deflate::deflate_to_vec(payload, self.level);
        let res = if c.len() > max {
            Err(Error::FrameTooLong)
        } else {
            match body.get_mut(..c.len()) {
                Some(dst) => {
                    dst.copy_from_slice(&c);
                    Ok(c.len())
                }
                None => Err(Error::BufferTooSmall),
            }
        };
        c.zeroize();
        res
    }

    #[cfg(not(feature = "alloc"))]
    fn deflate_into(&self, _payload: &[u8], _body: &mut [u8], _max: usize) -> Result<usize, Error> {
        Err(Error::DeflateUnavailable)
    }
}

/// Result of [`Reader::feed`] when no error occurred.
///
/// `Debug` (and `defmt::Format`) show the payload's length, not its bytes: it
/// is decrypted plaintext.
#[derive(PartialEq, Eq)]
#[must_use = "a frame or the number of consumed bytes must be handled"]
pub enum Feed<'a> {
    /// All of the input was consumed and no frame is complete yet.
    NeedMore,
    /// The payload of one frame; `consumed` input bytes were used, feed the rest next.
    Frame {
        /// The checked (and authenticated, decrypted, inflated) payload. Borrowed from
        /// the input, the reader's buffer or the inflater; valid until the next call.
        payload: &'a [u8],
        /// Input bytes used.
        consumed: usize,
    },
}

impl fmt::Debug for Feed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NeedMore => f.write_str("NeedMore"),
            Self::Frame { payload, consumed } => f
                .debug_struct("Frame")
                .field("payload_len", &payload.len())
                .field("consumed", consumed)
                .finish_non_exhaustive(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Feed<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::NeedMore => defmt::write!(f, "NeedMore"),
            Self::Frame { payload, consumed } => defmt::write!(
                f,
                "Frame {{ payload_len: {}, consumed: {} }}",
                payload.len(),
                consumed
            ),
        }
    }
}

/// What a [`Reader`] does with frames.
enum Mode {
    /// No key: unsealed streams only.
    Open,
    /// Keyed: sealed streams only. The master key is kept until the stream nonce is read.
    Sealed(Option<MasterKey>),
    /// Integrity only: header and checksums are checked; stored payloads are handed out
    /// as stored (not decrypted or inflated).
    Verify,
}

/// Incremental container reader.
///
/// `B` is the buffer for frames split across chunks (see [`frame::Decoder`]); it bounds
/// the frame length together with the header's maximum. `I` inflates deflate streams:
/// `()` (the default) refuses them; use [`with_inflater`](Self::with_inflater) with a
/// [`deflate::Inflater`]. Input is `&mut [u8]` because sealed frames are decrypted in
/// place (in the input when the whole frame is there, else in `B`).
///
/// Any error is final: the reader returns it again on every call.
pub struct Reader<B: AsMut<[u8]>, I: Inflate = ()> {
    mode: Mode,
    key: Option<StreamKey>,
    pre: [u8; SEALED_PREAMBLE_LEN],
    pre_got: usize,
    header: Option<Header>,
    frames: frame::Decoder<B>,
    inflater: I,
    counter: u128,
    final_seen: bool,
    failed: Option<Error>,
}

impl<B: AsMut<[u8]>, I: Inflate> fmt::Debug for Reader<B, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("header", &self.header)
            .field("counter", &self.counter)
            .field("final_seen", &self.final_seen)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<B: AsMut<[u8]>> Reader<B, ()> {
    fn with_mode(buf: B, mode: Mode) -> Self {
        Self {
            mode,
            key: None,
            pre: [0; SEALED_PREAMBLE_LEN],
            pre_got: 0,
            header: None,
            frames: frame::Decoder::new(ChecksumKind::None, 0, buf),
            inflater: (),
            counter: 0,
            final_seen: false,
            failed: None,
        }
    }

    /// A reader of unsealed containers (a sealed one fails with [`Error::KeyRequired`]).
    pub fn new(buf: B) -> Self {
        Self::with_mode(buf, Mode::Open)
    }

    /// A reader of sealed containers with `master` (an unsealed one fails with
    /// [`Error::NotSealed`], so sealing cannot be stripped). The master key is wiped
    /// once the stream key is derived.
    pub fn new_sealed(buf: B, master: MasterKey) -> Self {
        Self::with_mode(buf, Mode::Sealed(Some(master)))
    }

    /// A reader that checks header, frame lengths and checksums of any container without
    /// a key, and hands out the stored payloads (ciphertext with tag, or deflated bytes).
    /// It cannot tell a sealed stream's final frame, so it cannot detect truncation of
    /// whole frames.
    pub fn verifier(buf: B) -> Self {
        Self::with_mode(buf, Mode::Verify)
    }
}

impl<B: AsMut<[u8]>, I: Inflate> Reader<B, I> {
    /// The same reader inflating deflate streams with `inflater` (its output buffer bounds
    /// the inflated frame length together with the header's maximum).
    pub fn with_inflater<J: Inflate>(self, inflater: J) -> Reader<B, J> {
        Reader {
            mode: self.mode,
            key: self.key,
            pre: self.pre,
            pre_got: self.pre_got,
            header: self.header,
            frames: self.frames,
            inflater,
            counter: self.counter,
            final_seen: self.final_seen,
            failed: self.failed,
        }
    }

    /// The header, once read.
    pub const fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Whether the final frame of a sealed stream was read.
    pub const fn is_finished(&self) -> bool {
        self.final_seen
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the input ended inside the header or a frame, or, for a
    /// sealed stream read with a key, before the final frame; the earlier error if the
    /// reader has failed.
    pub fn finish(&mut self) -> Result<(), Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let complete = match self.header {
            None => false,
            Some(h) => {
                self.pre_got >= h.preamble_len()
                    && self.frames.is_idle()
                    && (self.final_seen || !h.flags.sealed || matches!(self.mode, Mode::Verify))
            }
        };
        if complete {
            Ok(())
        } else {
            self.failed = Some(Error::Truncated);
            Err(Error::Truncated)
        }
    }

    /// Feeds a chunk of input; returns at most one frame.
    ///
    /// # Errors
    /// Any header, frame, authentication or inflate error (see [`Error`]); then the
    /// reader stays failed.
    pub fn feed<'a>(&'a mut self, input: &'a mut [u8]) -> Result<Feed<'a>, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let (src, consumed) = match self.process(input) {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(Feed::NeedMore),
            Err(e) => {
                self.failed = Some(e);
                return Err(e);
            }
        };
        let payload: &'a [u8] = match src {
            Src::Input { start, end } => input.get(start..end),
            Src::FrameBuf { len } => self.frames.buffered(len).map(|b| &*b),
            Src::Inflater { len } => self.inflater.output().get(..len),
        }
        .ok_or(Error::BufferTooSmall)?;
        Ok(Feed::Frame { payload, consumed })
    }

    /// Reads the preamble; returns the input position after it, or `None` if more is needed.
    fn read_preamble(&mut self, input: &[u8]) -> Result<Option<usize>, Error> {
        let mut pos = 0usize;
        if self.pre_got < HEADER_LEN {
            let take = (HEADER_LEN - self.pre_got).min(input.len());
            let dst = self
                .pre
                .get_mut(self.pre_got..self.pre_got + take)
                .ok_or(Error::Truncated)?;
            dst.copy_from_slice(input.get(..take).unwrap_or_default());
            self.pre_got += take;
            pos += take;
            if self.pre_got < HEADER_LEN {
                return Ok(None);
            }
            let mut hb = [0u8; HEADER_LEN];
            hb.copy_from_slice(self.pre.get(..HEADER_LEN).unwrap_or(&[0; HEADER_LEN]));
            let h = Header::parse(&hb)?;
            match (&self.mode, h.flags.sealed) {
                (Mode::Open, true) => return Err(Error::KeyRequired),
                (Mode::Sealed(_), false) => return Err(Error::NotSealed),
                _ => {}
            }
            self.frames.reconfigure(h.checksum, h.max_frame_len);
            self.header = Some(h);
        }
        let Some(h) = self.header else {
            return Err(Error::Truncated);
        };
        let want = h.preamble_len();
        if self.pre_got < want {
            let rest = input.get(pos..).unwrap_or_default();
            let take = (want - self.pre_got).min(rest.len());
            let dst = self
                .pre
                .get_mut(self.pre_got..self.pre_got + take)
                .ok_or(Error::Truncated)?;
            dst.copy_from_slice(rest.get(..take).unwrap_or_default());
            self.pre_got += take;
            pos += take;
            if self.pre_got < want {
                return Ok(None);
            }
            if let Mode::Sealed(master) = &mut self.mode {
                let mut nonce = [0u8; STREAM_NONCE_LEN];
                nonce.copy_from_slice(self.pre.get(HEADER_LEN..).unwrap_or(&[0; STREAM_NONCE_LEN]));
                let m = master.take().ok_or(Error::KeyRequired)?;
                self.key = Some(StreamKey::derive(&m, &nonce));
                // `m` (a zeroizing MasterKey) is dropped and wiped here.
            }
        }
        Ok(Some(pos))
    }

    /// Decodes, checks, opens and inflates at most one frame; reports where its payload is.
    fn process(&mut self, input: &mut [u8]) -> Result<Option<(Src, usize)>, Error> {
        let pos = if self.pre_got < self.header.map_or(HEADER_LEN, |h| h.preamble_len()) {
            match self.read_preamble(input)? {
                Some(p) => p,
                None => return Ok(None),
            }
        } else {
            0
        };
        let Some(h) = self.header else {
            return Ok(None);
        };
        let rest = input.get_mut(pos..).unwrap_or_default();
        if self.final_seen {
            return if rest.is_empty() {
                Ok(None)
            } else {
                Err(Error::DataAfterFinal)
            };
        }
        let (loc, consumed) = match self.frames.step_located(rest)? {
            frame::Located::NeedMore => return Ok(None),
            frame::Located::InInput { start, end } => (
                Src::Input {
                    start: pos + start,
                    end: pos + end,
                },
                pos + end,
            ),
            frame::Located::InBuf { len, consumed } => (Src::FrameBuf { len }, pos + consumed),
            // Only lazy decoding asks for a buffer; this reader's decoder never does.
            frame::Located::NeedBuf { .. } => return Err(Error::FrameTooLong),
        };
        if matches!(self.mode, Mode::Verify) {
            return Ok(Some((loc, consumed)));
        }

        // The stored payload, mutable for in-place decryption.
        let stored: &mut [u8] = match loc {
            Src::Input { start, end } => input.get_mut(start..end),
            Src::FrameBuf { len } => self.frames.buffered(len),
            Src::Inflater { .. } => None,
        }
        .ok_or(Error::BufferTooSmall)?;

        let (plain_len, is_final) = match &self.key {
            Some(key) => {
                let ct_len = stored
                    .len()
                    .checked_sub(TAG_LEN)
                    .ok_or(Error::Authentication)?;
                let (ct, tag) = stored.split_at_mut(ct_len);
                let mut t = [0u8; TAG_LEN];
                t.copy_from_slice(tag);
                let aad = &self.pre;
                // The final flag is not stored: try "not final", then "final". The tag is
                // checked before anything is decrypted, so a failed try leaves `ct` as is.
                let fin = match key.open_in_place(self.counter, false, aad, ct, &t) {
                    Ok(()) => false,
                    Err(seal::Error::Authentication) => {
                        key.open_in_place(self.counter, true, aad, ct, &t)?;
                        true
                    }
                    Err(e) => return Err(e.into()),
                };
                self.counter += 1; // < 2^88 was checked by open_in_place
                (ct_len, fin)
            }
            None => (stored.len(), false),
        };
        let plain = stored.get(..plain_len).unwrap_or_default();

        let src = if h.flags.deflate {
            let len = self
                .inflater
                .inflate(plain, max_len_usize(h.max_frame_len))?;
            Src::Inflater { len }
        } else {
            match loc {
                Src::Input { start, .. } => Src::Input {
                    start,
                    end: start + plain_len,
                },
                _ => Src::FrameBuf { len: plain_len },
            }
        };
        if is_final {
            self.final_seen = true;
            let empty = match src {
                Src::Input { start, end } => end == start,
                Src::FrameBuf { len } | Src::Inflater { len } => len == 0,
            };
            if empty {
                // An empty final frame only marks the end; nothing may follow it.
                return if input.get(consumed..).is_some_and(|r| !r.is_empty()) {
                    Err(Error::DataAfterFinal)
                } else {
                    Ok(None)
                };
            }
        }
        Ok(Some((src, consumed)))
    }
}

/// Where a frame's payload lies.
#[derive(Clone, Copy)]
enum Src {
    Input { start: usize, end: usize },
    FrameBuf { len: usize },
    Inflater { len: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive loops (every bit, every cut) sample every n-th case under Miri.
    const MIRI_STEP: usize = if cfg!(miri) { 23 } else { 1 };
    use crate::deflate::Inflater;
    use proptest::prelude::*;
    use std::vec::Vec;

    #[test]
    fn feed_debug_shows_no_plaintext() {
        let feed = Feed::Frame {
            payload: b"hunter2",
            consumed: 30,
        };
        let shown = std::format!("{feed:?}");
        assert!(shown.contains("payload_len: 7") && shown.contains("consumed: 30"));
        assert!(
            !shown.contains("104") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    fn master() -> MasterKey {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap();
        }
        MasterKey::from_bytes(&k)
    }

    fn nonce() -> [u8; 16] {
        let mut n = [0u8; 16];
        for (i, b) in n.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap();
        }
        n
    }

    fn write(header: Header, payloads: &[&[u8]]) -> Vec<u8> {
        let mut w = if header.flags.sealed {
            Writer::new_sealed(header, &master(), nonce()).unwrap()
        } else {
            Writer::new(header).unwrap()
        };
        let mut out = Vec::new();
        for p in payloads {
            let mut buf = std::vec![0u8; w.max_encoded_len(p.len())];
            let n = w.encode_frame(p, &mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        let mut buf = std::vec![0u8; w.max_encoded_len(0)];
        let n = w.finish(&mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
        assert!(w.is_finished());
        out
    }

    type Reading = (Vec<Vec<u8>>, Result<(), Error>);

    /// Reads `wire` in chunks with a reader that has the key iff `keyed`.
    fn read(wire: &[u8], chunk: usize, keyed: bool) -> Reading {
        let buf = std::vec![0u8; 512];
        let r = if keyed {
            Reader::new_sealed(buf, master())
        } else {
            Reader::new(buf)
        };
        let mut r = r.with_inflater(Inflater::new(std::vec![0u8; 8192]));
        let mut out = Vec::new();
        let mut wire = wire.to_vec();
        for c in wire.chunks_mut(chunk.max(1)) {
            let mut c = c;
            loop {
                match r.feed(c) {
                    Ok(Feed::NeedMore) => break,
                    Ok(Feed::Frame { payload, consumed }) => {
                        out.push(payload.to_vec());
                        c = &mut c[consumed..];
                    }
                    Err(e) => {
                        assert_eq!(r.finish(), Err(e), "errors stick");
                        return (out, Err(e));
                    }
                }
            }
        }
        let end = r.finish();
        (out, end)
    }

    const PLAIN_HEADER: [u8; 16] = [
        0x53, 0x53, 0x54, 0x4D, 0x01, 0x01, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0xC8, 0xAF, 0x06,
        0xF9,
    ];

    #[test]
    fn header_exact_bytes_and_errors() {
        // Expected CRC-32C computed with an independent bitwise implementation.
        let mut h = Header::new(ChecksumKind::Crc16, 0x1000);
        h.flags.deflate = true;
        assert_eq!(h.to_bytes(), PLAIN_HEADER);
        assert_eq!(Header::parse(&PLAIN_HEADER), Ok(h));
        let reseal = |mut b: [u8; 16]| {
            let crc = checksum::crc32c(&b[..12]);
            b[12..].copy_from_slice(&crc.to_le_bytes());
            b
        };
        let mut b = PLAIN_HEADER;
        b[0] = b'X';
        assert_eq!(Header::parse(&b), Err(Error::BadMagic));
        let mut b = PLAIN_HEADER;
        b[4] = 2;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::UnsupportedVersion(2)));
        let mut b = PLAIN_HEADER;
        b[9] ^= 1;
        assert_eq!(Header::parse(&b), Err(Error::BadHeaderChecksum));
        let mut b = PLAIN_HEADER;
        b[5] = 5;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::UnknownChecksum(5)));
        let mut b = PLAIN_HEADER;
        b[6] = 0x83;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::UnknownFlags(0x80)));
        let mut b = PLAIN_HEADER;
        b[7] = 1;
        assert_eq!(Header::parse(&reseal(b)), Err(Error::ReservedNotZero(1)));
        assert_eq!(
            std::format!("{}", Error::UnknownFlags(4)),
            "unknown container flags 0x04"
        );
    }

    #[test]
    fn plain_container_exact_bytes() {
        let h = Header::new(ChecksumKind::Crc16, 64);
        let wire = write(h, &[b"abc"]);
        let mut expect = h.to_bytes().to_vec();
        expect.extend_from_slice(&[3, 0, 0, 0, 0xD6, 0x9D, b'a', b'b', b'c']);
        assert_eq!(wire, expect);
        assert_eq!(read(&wire, 1, false), (std::vec![b"abc".to_vec()], Ok(())));
        // An empty stream is just the header.
        assert_eq!(write(h, &[]), h.to_bytes());
    }

    #[test]
    fn sealed_container_exact_bytes() {
        // Computed independently with Python `cryptography` (HKDF, ChaCha20Poly1305) and a
        // bitwise CRC-32C: header crc32c/sealed/max 64, nonce 00..0f, master 00..1f,
        // frames "abc" and the empty final frame.
        let expect: Vec<u8> = [
            "5353544d0103020040000000ef1fb8c6000102030405060708090a0b0c0d0e0f1300000016cd538b",
            "2d08b7ff8fc15a18499f6e43653bbfe945306010000000eb10702612f704492ef4451b9a44e17b",
            "ecd0b6d3",
        ]
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(core::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect();
        let mut h = Header::new(ChecksumKind::Crc32c, 64);
        h.flags.sealed = true;
        let wire = write(h, &[b"abc"]);
        assert_eq!(wire, expect);
        assert_eq!(
            read(&wire, wire.len(), true),
            (std::vec![b"abc".to_vec()], Ok(()))
        );
    }

    #[test]
    fn key_and_seal_flag_must_agree() {
        let mut h = Header::new(ChecksumKind::Crc32, 64);
        let plain = write(h, &[b"x"]);
        assert_eq!(read(&plain, 64, true).1, Err(Error::NotSealed));
        h.flags.sealed = true;
        let sealed = write(h, &[b"x"]);
        assert_eq!(read(&sealed, 64, false).1, Err(Error::KeyRequired));
        assert!(matches!(Writer::new(h), Err(Error::KeyRequired)));
    }

    #[test]
    fn every_bit_flip_is_detected() {
        let mut sealed = Header::new(ChecksumKind::Crc16, 64);
        sealed.flags.sealed = true;
        let mut deflated = Header::new(ChecksumKind::Crc32, 64);
        deflated.flags.deflate = true;
        let cases = [
            (Header::new(ChecksumKind::Crc32c, 64), false),
            (sealed, true),
            (Header::new(ChecksumKind::None, 64), true), // sealed below
            (deflated, false),
        ];
        for (i, (mut h, keyed)) in cases.into_iter().enumerate() {
            if i == 2 {
                h.flags.sealed = true; // no checksum: only authentication detects flips
            }
            if h.flags.deflate && !cfg!(feature = "alloc") {
                continue;
            }
            let payloads: [&[u8]; 2] = [b"ab", b"c"];
            let wire = write(h, &payloads);
            assert_eq!(read(&wire, wire.len(), keyed).1, Ok(()));
            for bit in (0..wire.len() * 8).step_by(MIRI_STEP) {
                let mut w = wire.clone();
                w[bit / 8] ^= 1 << (bit % 8);
                let (frames, end) = read(&w, w.len(), keyed);
                for (j, f) in frames.iter().enumerate() {
                    assert_eq!(f.as_slice(), payloads[j], "case {i} bit {bit}: wrong data");
                }
                assert!(end.is_err(), "case {i} bit {bit} undetected");
            }
        }
    }

    #[test]
    fn truncation_at_every_offset() {
        let mut h = Header::new(ChecksumKind::Crc32, 64);
        h.flags.sealed = true;
        let wire = write(h, &[b"ab", b"", b"cde"]);
        for cut in (0..wire.len()).step_by(MIRI_STEP) {
            let (frames, end) = read(&wire[..cut], 5, true);
            assert_eq!(end, Err(Error::Truncated), "cut {cut}");
            assert!(frames.len() <= 3);
        }
        assert_eq!(read(&wire, 5, true).1, Ok(()));
        // Unsealed: a cut inside the header or a frame is detected.
        let plain = write(Header::new(ChecksumKind::Crc32, 64), &[b"ab"]);
        for cut in (0..16).chain(17..plain.len()).step_by(MIRI_STEP) {
            assert_eq!(
                read(&plain[..cut], 3, false).1,
                Err(Error::Truncated),
                "cut {cut}"
            );
        }
    }

    /// Splits a sealed container with 4-byte checksum-free frames into preamble and frames.
    fn split_frames(wire: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
        let (pre, mut rest) = wire.split_at(SEALED_PREAMBLE_LEN);
        let mut frames = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
            frames.push(rest[..4 + len].to_vec());
            rest = &rest[4 + len..];
        }
        (pre.to_vec(), frames)
    }

    #[test]
    fn reordered_dropped_duplicated_and_extra_frames_fail() {
        let mut h = Header::new(ChecksumKind::None, 64);
        h.flags.sealed = true;
        let wire = write(h, &[b"one", b"two", b"three"]);
        let (pre, frames) = split_frames(&wire);
        assert_eq!(frames.len(), 4);
        let build = |order: &[usize]| {
            let mut w = pre.clone();
            for &i in order {
                w.extend_from_slice(&frames[i]);
            }
            w
        };
        assert_eq!(read(&build(&[0, 1, 2, 3]), 7, true).1, Ok(()));
        for order in [
            &[1, 0, 2, 3][..],
            &[0, 2, 3],
            &[0, 0, 1, 2, 3],
            &[0, 1, 3],
            &[3],
        ] {
            assert_eq!(
                read(&build(order), 7, true).1,
                Err(Error::Authentication),
                "{order:?}"
            );
        }
        // Dropping the final frame is truncation; anything after it is an error.
        assert_eq!(read(&build(&[0, 1, 2]), 7, true).1, Err(Error::Truncated));
        assert_eq!(
            read(&build(&[0, 1, 2, 3, 3]), 7, true).1,
            Err(Error::DataAfterFinal)
        );
        let mut extra = wire.clone();
        extra.push(0);
        assert_eq!(
            read(&extra, extra.len(), true).1,
            Err(Error::DataAfterFinal)
        );
        // A frame of another stream (other nonce) does not authenticate.
        let mut other = Writer::new_sealed(h, &master(), [9; 16]).unwrap();
        let mut buf = [0u8; 128];
        let n = other.encode_frame(b"one", &mut buf).unwrap();
        let mut mixed = pre.clone();
        mixed.extend_from_slice(&buf[SEALED_PREAMBLE_LEN..n]);
        assert_eq!(read(&mixed, 9, true).1, Err(Error::Authentication));
    }

    #[test]
    fn failed_authentication_releases_nothing() {
        let mut h = Header::new(ChecksumKind::None, 64);
        h.flags.sealed = true;
        let mut wire = write(h, &[b"secret payload"]);
        let last = wire.len() - 1 - (4 + TAG_LEN); // last byte of the first frame's tag
        wire[last] ^= 1;
        let mut r = Reader::new_sealed([0u8; 64], master());
        let ct_before = wire[SEALED_PREAMBLE_LEN + 4..SEALED_PREAMBLE_LEN + 4 + 14].to_vec();
        assert_eq!(r.feed(&mut wire), Err(Error::Authentication));
        // The input still holds the ciphertext, not the plaintext.
        assert_eq!(
            &wire[SEALED_PREAMBLE_LEN + 4..SEALED_PREAMBLE_LEN + 4 + 14],
            ct_before.as_slice()
        );
        assert_eq!(r.feed(&mut []), Err(Error::Authentication));
    }

    #[test]
    fn verifier_checks_integrity_without_the_key() {
        let mut h = Header::new(ChecksumKind::Xxh3, 64);
        h.flags.sealed = true;
        let wire = write(h, &[b"abc"]);
        let mut r = Reader::verifier([0u8; 64]);
        let mut w = wire.clone();
        let Ok(Feed::Frame { payload, consumed }) = r.feed(&mut w) else {
            panic!()
        };
        assert_eq!(payload.len(), 3 + TAG_LEN);
        let c1 = consumed;
        let Ok(Feed::Frame { payload, .. }) = r.feed(&mut w[c1..]) else {
            panic!()
        };
        assert_eq!(payload.len(), TAG_LEN);
        assert_eq!(r.finish(), Ok(()));
        let mut bad = wire;
        bad[40] ^= 4;
        let mut r = Reader::verifier([0u8; 64]);
        assert_eq!(r.feed(&mut bad), Err(Error::BadChecksum));
    }

    #[test]
    fn writer_limits() {
        let h = Header::new(ChecksumKind::Crc16, 8);
        let mut w = Writer::new(h).unwrap();
        let mut out = [0u8; 64];
        assert_eq!(w.plain_frame_header(b"x"), Err(Error::NotStarted));
        assert_eq!(w.start(&mut out[..15]), Err(Error::BufferTooSmall));
        assert_eq!(w.start(&mut out), Ok(16));
        assert_eq!(w.start(&mut out), Ok(0));
        assert_eq!(w.encode_frame(&[1; 9], &mut out), Err(Error::FrameTooLong));
        assert_eq!(
            w.encode_frame(&[1; 8], &mut out[..13]),
            Err(Error::BufferTooSmall)
        );
        assert_eq!(w.encode_frame(&[1; 8], &mut out), Ok(14));
        assert_eq!(
            w.plain_frame_header(b"abc").unwrap().as_bytes(),
            [3, 0, 0, 0, 0xD6, 0x9D]
        );
        assert_eq!(w.finish(&mut out), Ok(0));
        assert_eq!(w.encode_frame(b"", &mut out), Err(Error::Finished));
        let mut sh = h;
        sh.flags.sealed = true;
        let mut s = Writer::new_sealed(sh, &master(), nonce()).unwrap();
        assert_eq!(s.max_payload_len(), 0);
        assert_eq!(s.encode_frame(b"x", &mut out), Err(Error::FrameTooLong));
        assert_eq!(s.plain_frame_header(b"x"), Err(Error::NotPlain));
        assert!(!std::format!("{s:?}").contains("key:"));
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn deflate_bounds_and_zip_bombs() {
        let mut h = Header::new(ChecksumKind::Crc32, 4096);
        h.flags.deflate = true;
        let wire = write(h, &[&[b'a'; 4096], b"", b"xyz"]);
        assert!(wire.len() < 100);
        let (frames, end) = read(&wire, 3, false);
        assert_eq!(end, Ok(()));
        assert_eq!(
            frames,
            std::vec![std::vec![b'a'; 4096], Vec::new(), b"xyz".to_vec()]
        );
        // A reader whose inflate buffer is smaller than a frame's output refuses it.
        let mut small = Reader::new([0u8; 64]).with_inflater(Inflater::new([0u8; 100]));
        let mut w = wire.clone();
        assert_eq!(
            small.feed(&mut w),
            Err(Error::Inflate(deflate::Error::TooLarge))
        );
        // A reader without an inflater refuses deflate streams.
        let mut none = Reader::new([0u8; 64]);
        let mut w = wire.clone();
        assert_eq!(
            none.feed(&mut w),
            Err(Error::Inflate(deflate::Error::Unsupported))
        );
        // Deflate + seal together.
        h.flags.sealed = true;
        let wire = write(h, &[&[b'b'; 1000]]);
        assert_eq!(
            read(&wire, 11, true),
            (std::vec![std::vec![b'b'; 1000]], Ok(()))
        );
    }

    /// Deterministic incompressible bytes (xorshift32).
    #[cfg(feature = "alloc")]
    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[2]
            })
            .collect()
    }

    /// Encodes `payload` into a buffer of exactly `max_encoded_len`, reads it back.
    fn encode_in_bound(h: Header, level: u8, payload: &[u8]) -> Result<usize, Error> {
        let mut w = if h.flags.sealed {
            Writer::new_sealed(h, &master(), nonce())?
        } else {
            Writer::new(h)?
        };
        w.set_level(level);
        let bound = w.max_encoded_len(payload.len());
        let mut out = std::vec![0u8; bound];
        let n = w.encode_frame(payload, &mut out)?;
        assert!(n <= bound);
        let stored = n - h.preamble_len() - frame::header_len(h.checksum);
        assert!(stored <= max_stored_len(h.flags, payload.len()));
        let mut r = if h.flags.sealed {
            Reader::new_sealed(std::vec![0u8; n], master())
        } else {
            Reader::new(std::vec![0u8; n])
        }
        .with_inflater(Inflater::new(std::vec![0u8; payload.len()]));
        let Ok(Feed::Frame { payload: got, .. }) = r.feed(&mut out[..n]) else {
            panic!("frame not read back")
        };
        assert_eq!(got, payload);
        Ok(n)
    }

    /// Incompressible frames of 1..4 MiB (3 KB under Miri) at the levels where
    /// miniz_oxide expands them most fit a buffer of `max_encoded_len` and a header whose
    /// maximum is `max_stored_len`.
    #[cfg(feature = "alloc")]
    #[test]
    fn max_encoded_len_bounds_incompressible_frames() {
        let cases: &[(usize, &[u8])] = if cfg!(miri) {
            &[(3_000, &[1])]
        } else {
            &[
                (1 << 20, &[0, 1, 6]),
                (2 << 20 | 777, &[1]),
                (4 << 20, &[1, 9]),
            ]
        };
        for &(n, levels) in cases {
            let p = noise(n, 5);
            for sealed in [false, true] {
                let mut flags = Flags {
                    deflate: true,
                    sealed,
                };
                let max = u32::try_from(max_stored_len(flags, n)).unwrap();
                let mut h = Header::new(ChecksumKind::Crc32c, max);
                h.flags = flags;
                for &level in levels {
                    let len = encode_in_bound(h, level, &p).unwrap();
                    let bound = h.preamble_len()
                        + frame::header_len(h.checksum)
                        + max_stored_len(h.flags, n);
                    // Level 0 is stored blocks: exactly the bound.
                    assert!(
                        len <= bound && (level != 0 || len == bound),
                        "level {level}"
                    );
                }
                // One byte less of maximum: refused as too long, not as a short buffer.
                h.max_frame_len = max - 1;
                assert_eq!(encode_in_bound(h, 1, &p), Err(Error::FrameTooLong));
                flags.deflate = false;
                assert_eq!(
                    max_stored_len(flags, n),
                    n + if sealed { TAG_LEN } else { 0 }
                );
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
        fn max_encoded_len_is_an_upper_bound(
            random in proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 200 } else { 3000 }),
            runs in any::<bool>(),
            id in 0u8..5, deflate in any::<bool>(), sealed in any::<bool>(), level in 0u8..=10,
        ) {
            // Random bytes (incompressible) or runs of them (compressible).
            let p: Vec<u8> = if runs { random.iter().flat_map(|&b| [b; 7]).collect() } else { random };
            let mut h = Header::new(ChecksumKind::from_id(id).unwrap(), u32::MAX);
            h.flags.deflate = deflate && cfg!(feature = "alloc");
            h.flags.sealed = sealed;
            prop_assert!(encode_in_bound(h, level, &p).is_ok());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 2 } else { 64 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn round_trip_any_chunking(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 8 } else { 100 }), 0..5),
            id in 0u8..5, deflate in any::<bool>(), sealed in any::<bool>(), chunk in 1usize..50,
        ) {
            let mut h = Header::new(ChecksumKind::from_id(id).unwrap(), 200);
            h.flags.deflate = deflate && cfg!(feature = "alloc");
            h.flags.sealed = sealed;
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let wire = write(h, &refs);
            // An empty final frame is not handed out.
            let whole = read(&wire, wire.len(), sealed);
            prop_assert_eq!(&whole, &(payloads.clone(), Ok(())));
            prop_assert_eq!(&read(&wire, 1, sealed), &whole);
            prop_assert_eq!(&read(&wire, chunk, sealed), &whole);
        }
    }
}
