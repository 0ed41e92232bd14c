//! `std::io` adapters for length-prefixed frames and containers (wire contract
//! sections 2 and 4): [`FrameWriter`] over any [`Write`], [`FrameReader`] over any
//! [`Read`].
//!
//! Every byte format is the core's: frames come from [`secstream_core::frame`], containers
//! (header, deflate, sealing, final frame) from [`secstream_core::container`]. This module
//! only moves bytes between those state machines and the operating system, in batches.
//!
//! ```
//! use secstream::checksum::ChecksumKind;
//! use secstream::frame_io::{ContainerConfig, FrameReader, FrameWriter};
//! use secstream::seal::MasterKey;
//!
//! let key = MasterKey::from_bytes(&[0x42; 32]);
//! let config = ContainerConfig::new(ChecksumKind::Crc32c, 64 * 1024).with_deflate(6);
//! // A fresh random stream nonce is drawn from the operating system.
//! let mut w = FrameWriter::sealed(Vec::new(), config, &key)?;
//! w.write_frame(b"first")?;
//! w.write_frame(b"second")?;
//! let file = w.finish()?; // writes the final frame; without it a reader reports truncation
//!
//! let mut r = FrameReader::sealed(&file[..], MasterKey::from_bytes(&[0x42; 32]));
//! assert_eq!(r.read_frame()?, Some(&b"first"[..]));
//! let rest: Vec<_> = r.frames().collect::<Result<_, _>>()?;
//! assert_eq!(rest.len(), 1);
//! assert_eq!(rest[0].as_slice(), b"second");
//! # Ok::<(), secstream::frame_io::Error>(())
//! ```
//!
//! # Writing
//! Frames are gathered in one batch buffer and written when it fills, so many small frames
//! cost one system call. A payload that does not fit the batch is written with
//! [`Write::write_vectored`] together with the batch and its frame header, without being
//! copied (raw frames and containers without deflate and sealing; a sealed or deflated
//! frame is built in the batch buffer, where it is encrypted in place).
//!
//! [`FrameWriter::finish`] writes what is buffered and, for a sealed container, the final
//! frame, and hands back the inner writer. A writer dropped without `finish` writes its
//! buffered whole frames (like [`std::io::BufWriter`], ignoring errors) but never a final
//! frame: a reader of such a sealed container reports [`Error::Truncated`], so an
//! interrupted sealed stream can never pass for a complete one. (Raw frames and unsealed
//! containers have no end marker: there, stopping between frames is a valid end.)
//!
//! # Reading
//! A [`FrameReader`] reads in chunks into a window and feeds the core decoder, which hands
//! out payloads in place. The maximum frame length is checked on the length field, before
//! anything is allocated or waited for: a frame claiming 4 GiB fails at once with
//! [`Error::FrameTooLong`]. A container's buffers are sized from its header's maximum
//! frame length, after checking it against the reader's limit
//! ([`FrameReader::with_limit`], default [`DEFAULT_LIMIT`]); a raw reader starts without
//! a frame buffer and grows it on demand, only when a frame (within the configured
//! maximum) is split across reads, to that frame's length (at least doubling, at most the
//! maximum), so small frames never cost a buffer of the maximum.
//!
//! Three ways to take frames: [`FrameReader::process_all`] calls a closure with each
//! payload where it lies (no copy); [`FrameReader::read_frame`] copies one payload into a
//! reused buffer that is wiped before reuse and on drop; [`FrameReader::frames`] iterates
//! over owned, zeroizing copies.
//!
//! The window, the frame buffers and the inflate output hold plaintext: they are wiped
//! before they are reused and when the reader is dropped.

use std::fmt;
use std::io::{self, IoSlice, Read, Write};

use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Flags, HEADER_LEN, Header};
use secstream_core::deflate::Inflater;
use secstream_core::frame;
use secstream_core::seal::{MasterKey, STREAM_NONCE_LEN};
use zeroize::{Zeroize, Zeroizing};

/// Default size of the write batch buffer.
pub const DEFAULT_BATCH: usize = 256 * 1024;
/// Default largest frame a [`FrameReader`] accepts (16 MiB); see
/// [`FrameReader::with_limit`].
pub const DEFAULT_LIMIT: u32 = 16 * 1024 * 1024;
/// Size of a [`FrameReader`]'s read window.
const READ_CHUNK: usize = 256 * 1024;

/// Error of [`FrameWriter`] and [`FrameReader`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The underlying reader or writer failed.
    Io(io::Error),
    /// The input ended inside the header or a frame, or (sealed container) before the
    /// final frame.
    Truncated,
    /// Bytes follow the final frame of a sealed container.
    TrailingData,
    /// A sealed frame failed authentication: modified, reordered, dropped or duplicated
    /// frames, or the wrong key. Nothing of that frame was released.
    Authentication,
    /// A frame's checksum does not match its bytes.
    BadChecksum,
    /// A frame's length field (or a payload to write) exceeds the maximum frame length.
    FrameTooLong,
    /// The container header allows frames larger than this reader's limit.
    LimitExceeded {
        /// The maximum frame length in the header.
        declared: u32,
        /// The reader's limit.
        limit: u32,
    },
    /// Any other container error (header, key, inflate).
    Container(container::Error),
    /// Any other frame error.
    Frame(frame::Error),
    /// The operating system's random generator failed (stream nonce).
    Random(getrandom::Error),
    /// The writer failed before (an earlier error); it writes nothing more.
    Poisoned,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o error: {e}"),
            Self::Truncated => {
                f.write_str("truncated: the input ends inside a frame or before the final frame")
            }
            Self::TrailingData => f.write_str("data after the final frame"),
            Self::Authentication => {
                f.write_str("authentication failed (wrong key or modified data)")
            }
            Self::BadChecksum => f.write_str("frame checksum mismatch (corrupt data)"),
            Self::FrameTooLong => f.write_str("frame longer than the maximum frame length"),
            Self::LimitExceeded { declared, limit } => write!(
                f,
                "container allows frames of {declared} bytes, above this reader's limit of {limit}"
            ),
            Self::Container(e) => write!(f, "{e}"),
            Self::Frame(e) => write!(f, "{e}"),
            Self::Random(e) => write!(f, "random generator failed: {e}"),
            Self::Poisoned => f.write_str("writer failed earlier"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Container(e) => Some(e),
            Self::Frame(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<container::Error> for Error {
    fn from(e: container::Error) -> Self {
        match e {
            container::Error::Truncated => Self::Truncated,
            container::Error::DataAfterFinal => Self::TrailingData,
            container::Error::Authentication => Self::Authentication,
            container::Error::BadChecksum => Self::BadChecksum,
            container::Error::FrameTooLong => Self::FrameTooLong,
            other => Self::Container(other),
        }
    }
}

impl From<frame::Error> for Error {
    fn from(e: frame::Error) -> Self {
        match e {
            frame::Error::Truncated => Self::Truncated,
            frame::Error::BadChecksum => Self::BadChecksum,
            frame::Error::FrameTooLong => Self::FrameTooLong,
            other => Self::Frame(other),
        }
    }
}

/// How a container is written: checksum, per-frame deflate, largest payload per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerConfig {
    /// Checksum of every frame.
    pub checksum: ChecksumKind,
    /// Deflate level (0..=10) if frames are compressed.
    pub deflate: Option<u8>,
    /// Largest payload of one frame, before deflate and sealing.
    pub max_payload_len: u32,
    /// The header's maximum frame length, if set exactly rather than derived (see
    /// [`with_max_frame_len`](Self::with_max_frame_len)).
    pub max_frame_len: Option<u32>,
}

impl ContainerConfig {
    /// Frames of up to `max_payload_len` bytes with checksum `checksum`, no deflate.
    #[must_use]
    pub const fn new(checksum: ChecksumKind, max_payload_len: u32) -> Self {
        Self {
            checksum,
            deflate: None,
            max_payload_len,
            max_frame_len: None,
        }
    }

    /// The same with the header's maximum frame length set to exactly `max` (to reproduce
    /// a given stream, such as the test vectors). A payload whose stored frame (after
    /// deflate and the tag) would be longer fails with [`Error::FrameTooLong`].
    #[must_use]
    pub const fn with_max_frame_len(mut self, max: u32) -> Self {
        self.max_frame_len = Some(max);
        self
    }

    /// The same with deflate at `level` (0 = store .. 10 = best).
    #[must_use]
    pub const fn with_deflate(mut self, level: u8) -> Self {
        self.deflate = Some(level);
        self
    }

    /// The container header for this configuration. Unless set exactly, its maximum frame
    /// length leaves room for the worst-case deflate expansion and the 16-byte tag, so every
    /// payload of up to `max_payload_len` bytes fits.
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] if that maximum does not fit in a `u32`.
    pub fn header(&self, sealed: bool) -> Result<Header, Error> {
        let mut h = Header::new(self.checksum, u32::MAX);
        h.flags = Flags {
            deflate: self.deflate.is_some(),
            sealed: false,
        };
        if let Some(max) = self.max_frame_len {
            h.max_frame_len = max;
            h.flags.sealed = sealed;
            return Ok(h);
        }
        h.flags.sealed = sealed;
        let payload = usize::try_from(self.max_payload_len).map_err(|_| Error::FrameTooLong)?;
        // The core's bound: deflate never expands beyond stored blocks, plus the tag.
        let stored = container::max_stored_len(h.flags, payload);
        h.max_frame_len = u32::try_from(stored).map_err(|_| Error::FrameTooLong)?;
        Ok(h)
    }
}

enum WriteMode {
    Raw(ChecksumKind),
    Container(Box<container::Writer>),
}

/// Writes length-prefixed frames or a container to a [`Write`] (see the
/// [module docs](self)).
pub struct FrameWriter<W: Write> {
    /// `None` once [`finish`](Self::finish) handed it back.
    inner: Option<W>,
    mode: WriteMode,
    /// Frames not yet written (the batch).
    pending: Vec<u8>,
    batch: usize,
    max_payload: usize,
    frames: u64,
    poisoned: bool,
}

impl<W: Write> fmt::Debug for FrameWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameWriter")
            .field("frames", &self.frames)
            .field("pending", &self.pending.len())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<W: Write> FrameWriter<W> {
    fn with_mode(inner: W, mode: WriteMode, max_payload: usize) -> Self {
        Self {
            inner: Some(inner),
            mode,
            pending: Vec::with_capacity(DEFAULT_BATCH),
            batch: DEFAULT_BATCH,
            max_payload,
            frames: 0,
            poisoned: false,
        }
    }

    /// A writer of raw length-prefixed frames (section 2) with checksum `kind`.
    pub fn raw(inner: W, kind: ChecksumKind) -> Self {
        Self::with_mode(
            inner,
            WriteMode::Raw(kind),
            usize::try_from(u32::MAX).unwrap_or(usize::MAX),
        )
    }

    /// A writer of an unsealed container. The header is buffered at once.
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] if the configured frame size is too large for the header.
    pub fn container(inner: W, config: ContainerConfig) -> Result<Self, Error> {
        let header = config.header(false)?;
        let mut w = container::Writer::new(header)?;
        if let Some(level) = config.deflate {
            w.set_level(level);
        }
        Self::start(inner, w, config)
    }

    /// A writer of a sealed container under `master`, with a fresh random stream nonce from
    /// the operating system.
    ///
    /// # Errors
    /// [`Error::Random`] if the random generator fails; as [`container`](Self::container).
    pub fn sealed(inner: W, config: ContainerConfig, master: &MasterKey) -> Result<Self, Error> {
        let mut nonce = [0u8; STREAM_NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(Error::Random)?;
        Self::sealed_with_nonce(inner, config, master, nonce)
    }

    /// A writer of a sealed container with the given stream nonce. The nonce must never
    /// repeat under one master key (a repeat reveals the XOR of two plaintexts): use
    /// [`sealed`](Self::sealed) unless you write fixed test vectors.
    ///
    /// # Errors
    /// As [`container`](Self::container).
    pub fn sealed_with_nonce(
        inner: W,
        config: ContainerConfig,
        master: &MasterKey,
        nonce: [u8; STREAM_NONCE_LEN],
    ) -> Result<Self, Error> {
        let header = config.header(true)?;
        let mut w = container::Writer::new_sealed(header, master, nonce)?;
        if let Some(level) = config.deflate {
            w.set_level(level);
        }
        Self::start(inner, w, config)
    }

    fn start(inner: W, mut w: container::Writer, config: ContainerConfig) -> Result<Self, Error> {
        let max_payload = usize::try_from(config.max_payload_len)
            .map_err(|_| Error::FrameTooLong)?
            .min(w.max_payload_len());
        let mut pre = [0u8; container::SEALED_PREAMBLE_LEN];
        let n = w.start(&mut pre)?;
        let mut this = Self::with_mode(inner, WriteMode::Container(Box::new(w)), max_payload);
        this.pending
            .extend_from_slice(pre.get(..n).unwrap_or_default());
        Ok(this)
    }

    /// Sets the batch size: frames are gathered until this many bytes are pending.
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// The container header, for a container writer.
    #[must_use]
    pub fn header(&self) -> Option<&Header> {
        match &self.mode {
            WriteMode::Raw(_) => None,
            WriteMode::Container(w) => Some(w.header()),
        }
    }

    /// Largest payload [`write_frame`](Self::write_frame) accepts.
    #[must_use]
    pub const fn max_payload_len(&self) -> usize {
        self.max_payload
    }

    /// Frames written so far (the final frame of a sealed container not counted).
    #[must_use]
    pub const fn frames_written(&self) -> u64 {
        self.frames
    }

    /// The inner writer.
    #[must_use]
    pub fn get_ref(&self) -> Option<&W> {
        self.inner.as_ref()
    }

    /// Writes one frame holding `payload` (buffered; see the [module docs](self)).
    ///
    /// # Errors
    /// [`Error::FrameTooLong`] if `payload` is longer than
    /// [`max_payload_len`](Self::max_payload_len) or its stored frame would exceed an exact
    /// maximum frame length (nothing is written then, and the writer stays usable);
    /// [`Error::Io`] if the inner writer fails, and [`Error::Poisoned`] on every call after
    /// such a failure.
    pub fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
        if self.poisoned || self.inner.is_none() {
            return Err(Error::Poisoned);
        }
        if payload.len() > self.max_payload {
            return Err(Error::FrameTooLong);
        }
        match self.encode(payload) {
            Ok(()) => {
                self.frames += 1;
                Ok(())
            }
            // Refused before anything was buffered or sealed: the stream is intact.
            Err(Error::FrameTooLong) => Err(Error::FrameTooLong),
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    fn encode(&mut self, payload: &[u8]) -> Result<(), Error> {
        match &mut self.mode {
            WriteMode::Raw(kind) => {
                let h = frame::header(*kind, payload)?;
                self.push(h.as_bytes(), payload)
            }
            WriteMode::Container(w) if !w.header().flags.deflate && !w.header().flags.sealed => {
                let h = w.plain_frame_header(payload)?;
                self.push(h.as_bytes(), payload)
            }
            WriteMode::Container(w) => {
                // Built in the batch buffer, where it is deflated and sealed in place.
                let at = self.pending.len();
                let need = w.max_encoded_len(payload.len());
                self.pending.resize(at.saturating_add(need), 0);
                let tail = self.pending.get_mut(at..).unwrap_or_default();
                match w.encode_frame(payload, tail) {
                    Ok(n) => self.pending.truncate(at.saturating_add(n)),
                    Err(e) => {
                        tail.zeroize();
                        self.pending.truncate(at);
                        return Err(e.into());
                    }
                }
                if self.pending.len() >= self.batch {
                    self.flush_pending()?;
                }
                Ok(())
            }
        }
    }

    /// Appends header and payload to the batch, or writes batch, header and payload with one
    /// vectored write when they do not fit.
    fn push(&mut self, header: &[u8], payload: &[u8]) -> Result<(), Error> {
        let total = self
            .pending
            .len()
            .saturating_add(header.len())
            .saturating_add(payload.len());
        if total <= self.batch {
            self.pending.extend_from_slice(header);
            self.pending.extend_from_slice(payload);
            if self.pending.len() >= self.batch {
                self.flush_pending()?;
            }
            return Ok(());
        }
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        let mut slices = [
            IoSlice::new(&self.pending),
            IoSlice::new(header),
            IoSlice::new(payload),
        ];
        write_all_vectored(inner, &mut slices)?;
        wipe(&mut self.pending);
        Ok(())
    }

    fn flush_pending(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        inner.write_all(&self.pending)?;
        wipe(&mut self.pending);
        Ok(())
    }

    /// Writes everything buffered and flushes the inner writer. A sealed container stays
    /// open (no final frame).
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Poisoned`] after an earlier failure.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let res = self.flush_pending().and_then(|()| {
            self.inner
                .as_mut()
                .ok_or(Error::Poisoned)?
                .flush()
                .map_err(Error::from)
        });
        if res.is_err() {
            self.poisoned = true;
        }
        res
    }

    /// Ends the stream: writes the final frame of a sealed container, everything buffered,
    /// flushes, and returns the inner writer.
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails; [`Error::Poisoned`] after an earlier failure.
    pub fn finish(mut self) -> Result<W, Error> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        if let WriteMode::Container(w) = &mut self.mode {
            let at = self.pending.len();
            let need = w.max_encoded_len(0);
            self.pending.resize(at.saturating_add(need), 0);
            let tail = self.pending.get_mut(at..).unwrap_or_default();
            match w.finish(tail) {
                Ok(n) => self.pending.truncate(at.saturating_add(n)),
                Err(e) => {
                    self.poisoned = true;
                    return Err(e.into());
                }
            }
        }
        self.flush()?;
        self.inner.take().ok_or(Error::Poisoned)
    }
}

impl<W: Write> Drop for FrameWriter<W> {
    fn drop(&mut self) {
        // Like BufWriter: whole buffered frames are written, errors ignored; never the
        // final frame of a sealed container (see the module docs).
        if !self.poisoned && self.inner.is_some() {
            let _ = self.flush_pending();
        }
        self.pending.zeroize();
    }
}

/// Zeroes the used part of `v` and empties it (its capacity is kept for reuse).
fn wipe(v: &mut Vec<u8>) {
    v.as_mut_slice().zeroize();
    v.clear();
}

/// `write_all` over several slices with vectored writes.
fn write_all_vectored<W: Write + ?Sized>(
    w: &mut W,
    mut bufs: &mut [IoSlice<'_>],
) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ));
            }
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The input side of a [`FrameReader`]: the inner reader and a window over its bytes.
struct Source<R> {
    inner: R,
    /// Wiped when refilled and on drop (sealed frames are decrypted in it).
    buf: Zeroizing<Vec<u8>>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Source<R> {
    fn window(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.start..self.end).unwrap_or_default()
    }

    /// Reads once into the (consumed, so wiped) window. `false` at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        if let Some(used) = self.buf.get_mut(..self.end) {
            used.zeroize();
        }
        self.start = 0;
        self.end = 0;
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end = n.min(self.buf.len());
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes at least `n` bytes available in the window (fewer only at the end of input).
    fn fill_to(&mut self, n: usize) -> io::Result<()> {
        if self.end - self.start >= n {
            return Ok(());
        }
        let old_end = self.end;
        self.buf.copy_within(self.start..old_end, 0);
        self.end -= self.start;
        self.start = 0;
        // The bytes behind the moved ones are stale copies: wipe them.
        if let Some(stale) = self.buf.get_mut(self.end..old_end) {
            stale.zeroize();
        }
        while self.end < n && !self.eof {
            let cap = self.buf.len();
            let Some(dst) = self.buf.get_mut(self.end..).filter(|d| !d.is_empty()) else {
                break;
            };
            match self.inner.read(dst) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end = self.end.saturating_add(k).min(cap),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

type ContainerReader = container::Reader<Vec<u8>, Box<Inflater<Vec<u8>>>>;

/// What the reader does with a container, before its header is read.
enum Opening {
    Plain,
    Sealed(MasterKey),
    Verify,
    /// `Plain` for an unsealed container, `Verify` for a sealed one.
    Check,
}

enum ReadMode {
    Raw(frame::Decoder<Vec<u8>>),
    /// A container whose header is not read yet (`None` once taken).
    Pending(Option<Opening>),
    Container(Box<ContainerReader>),
}

/// Reads length-prefixed frames or a container from a [`Read`] (see the
/// [module docs](self)).
pub struct FrameReader<R: Read> {
    src: Source<R>,
    mode: ReadMode,
    limit: u32,
    /// The container header, parsed by [`Header::parse`] when the reader opened it.
    header: Option<Header>,
    /// [`read_frame`](Self::read_frame)'s copy of the last payload.
    out: Zeroizing<Vec<u8>>,
    frames: u64,
    done: bool,
}

impl<R: Read> fmt::Debug for FrameReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("header", &self.header())
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> FrameReader<R> {
    fn with_mode(inner: R, mode: ReadMode) -> Self {
        Self {
            src: Source {
                inner,
                buf: Zeroizing::new(vec![0u8; READ_CHUNK]),
                start: 0,
                end: 0,
                eof: false,
            },
            mode,
            limit: DEFAULT_LIMIT,
            header: None,
            out: Zeroizing::new(Vec::new()),
            frames: 0,
            done: false,
        }
    }

    /// A reader of raw frames with checksum `kind` and payloads of at most `max_len` bytes.
    /// Its frame buffer grows on demand (see the [module docs](self)).
    pub fn raw(inner: R, kind: ChecksumKind, max_len: u32) -> Self {
        let dec = frame::Decoder::new(kind, max_len, Vec::new());
        Self::with_mode(inner, ReadMode::Raw(dec))
    }

    /// A reader of an unsealed container (a sealed one fails with
    /// [`container::Error::KeyRequired`]).
    pub fn container(inner: R) -> Self {
        Self::with_mode(inner, ReadMode::Pending(Some(Opening::Plain)))
    }

    /// A reader of a sealed container under `master` (an unsealed one fails with
    /// [`container::Error::NotSealed`], so sealing cannot be stripped off). The master key
    /// is wiped once the stream key is derived.
    pub fn sealed(inner: R, master: MasterKey) -> Self {
        Self::with_mode(inner, ReadMode::Pending(Some(Opening::Sealed(master))))
    }

    /// A reader that checks any container's header, frame lengths and checksums without a
    /// key and hands out the payloads as stored (ciphertext and tag, or deflated bytes).
    /// Without the key it cannot see a sealed container's final frame, so it does not
    /// detect whole frames cut off the end.
    pub fn verifier(inner: R) -> Self {
        Self::with_mode(inner, ReadMode::Pending(Some(Opening::Verify)))
    }

    /// A reader that checks any container as far as it can without a key: an unsealed one
    /// is read in full (checksums, and inflating when compressed) like
    /// [`container`](Self::container), a sealed one like [`verifier`](Self::verifier).
    pub fn checker(inner: R) -> Self {
        Self::with_mode(inner, ReadMode::Pending(Some(Opening::Check)))
    }

    /// Sets the largest maximum frame length a container header may declare (default
    /// [`DEFAULT_LIMIT`]); a larger one fails with [`Error::LimitExceeded`] before any
    /// frame buffer is allocated. No effect on raw readers.
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The container header, once read.
    #[must_use]
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Reads the container header now (it is otherwise read with the first frame).
    ///
    /// # Errors
    /// [`Error::Truncated`] if the input ends inside it, [`Error::LimitExceeded`], any
    /// header error; [`Error::Io`].
    pub fn read_header(&mut self) -> Result<Option<&Header>, Error> {
        self.open_container()?;
        Ok(self.header())
    }

    /// Frames handed out so far.
    #[must_use]
    pub const fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The inner reader (it may have been read ahead of the last frame).
    pub fn into_inner(self) -> R {
        self.src.inner
    }

    /// Opens a pending container: reads its header, checks its maximum frame length
    /// against the limit, then allocates the buffers and builds the core reader.
    fn open_container(&mut self) -> Result<(), Error> {
        let ReadMode::Pending(opening) = &mut self.mode else {
            return Ok(());
        };
        self.src.fill_to(HEADER_LEN)?;
        let window = self.src.window();
        let Some(bytes) = window.get(..HEADER_LEN) else {
            return Err(Error::Truncated);
        };
        let mut hb = [0u8; HEADER_LEN];
        hb.copy_from_slice(bytes);
        let header = Header::parse(&hb)?;
        if header.max_frame_len > self.limit {
            return Err(Error::LimitExceeded {
                declared: header.max_frame_len,
                limit: self.limit,
            });
        }
        let cap = usize::try_from(header.max_frame_len).map_err(|_| Error::FrameTooLong)?;
        let inflate_cap = if header.flags.deflate { cap } else { 0 };
        let inflater = Box::new(Inflater::new(vec![0u8; inflate_cap]));
        let buf = vec![0u8; cap];
        let reader = match opening.take() {
            Some(Opening::Plain) => container::Reader::new(buf).with_inflater(inflater),
            Some(Opening::Sealed(key)) => {
                container::Reader::new_sealed(buf, key).with_inflater(inflater)
            }
            Some(Opening::Verify) => container::Reader::verifier(buf).with_inflater(inflater),
            Some(Opening::Check) if header.flags.sealed => {
                container::Reader::verifier(buf).with_inflater(inflater)
            }
            Some(Opening::Check) => container::Reader::new(buf).with_inflater(inflater),
            None => return Err(Error::Truncated),
        };
        // The core reader reads the header again from the window.
        self.mode = ReadMode::Container(Box::new(reader));
        self.header = Some(header);
        Ok(())
    }

    /// Decodes the next frame and calls `f` with its payload (in place).
    fn next_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
        if self.done {
            return Ok(None);
        }
        self.open_container()?;
        let Self { src, mode, .. } = self;
        loop {
            if src.start == src.end && !src.refill()? {
                // The end of the input: clean only between frames (and after the final
                // frame of a sealed container).
                match mode {
                    ReadMode::Raw(dec) => dec.finish()?,
                    ReadMode::Container(r) => r.finish()?,
                    ReadMode::Pending(_) => return Err(Error::Truncated),
                }
                self.done = true;
                return Ok(None);
            }
            let input = src.window();
            let fed = match mode {
                ReadMode::Raw(dec) => match dec.feed_lazy(input)? {
                    frame::LazyFeed::Frame { payload, consumed } => Some((payload, consumed)),
                    frame::LazyFeed::NeedBuffer { len, consumed } => {
                        grow(dec, len)?;
                        src.start = src.start.saturating_add(consumed).min(src.end);
                        continue;
                    }
                    frame::LazyFeed::NeedMore => None,
                },
                ReadMode::Container(r) => match r.feed(input)? {
                    container::Feed::NeedMore => None,
                    container::Feed::Frame { payload, consumed } => Some((payload, consumed)),
                },
                ReadMode::Pending(_) => return Err(Error::Truncated),
            };
            match fed {
                None => src.start = src.end,
                Some((payload, consumed)) => {
                    let out = f(payload);
                    src.start = src.start.saturating_add(consumed).min(src.end);
                    self.frames += 1;
                    return Ok(Some(out));
                }
            }
        }
    }

    /// Reads the next frame; `None` at a clean end of the input. The payload is copied into
    /// a buffer of the reader, wiped before the next frame and on drop.
    ///
    /// # Errors
    /// [`Error::Truncated`], [`Error::TrailingData`], [`Error::Authentication`],
    /// [`Error::BadChecksum`], [`Error::FrameTooLong`], [`Error::LimitExceeded`], other
    /// container errors, [`Error::Io`]. After a decoding error every call fails again.
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        let mut out = std::mem::take(&mut *self.out);
        wipe(&mut out);
        let got = self.next_with(|p| out.extend_from_slice(p));
        *self.out = out;
        Ok(got?.map(|()| self.out.as_slice()))
    }

    /// Calls `f` with every payload, in place (no copy), until the end of the input;
    /// returns the number of frames.
    ///
    /// # Errors
    /// The first error of `f`, or of reading (converted with `From`).
    pub fn process_all<E, F>(&mut self, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&[u8]) -> Result<(), E>,
        E: From<Error>,
    {
        let mut n = 0u64;
        while let Some(res) = self.next_with(&mut f)? {
            res?;
            n += 1;
        }
        Ok(n)
    }

    /// An iterator over owned copies of the payloads (zeroized when dropped). It ends after
    /// the first error.
    pub fn frames(&mut self) -> Frames<'_, R> {
        Frames {
            reader: self,
            failed: false,
        }
    }
}

/// Gives a raw decoder a (zeroed) buffer of at least `len` bytes: at least double the old
/// one, at most the decoder's maximum (which `len` is within: the decoder checked it). The
/// old buffer comes back wiped and is freed.
fn grow(dec: &mut frame::Decoder<Vec<u8>>, len: usize) -> Result<(), Error> {
    let max = usize::try_from(dec.max_len()).unwrap_or(usize::MAX);
    let cap = dec.buffer_len().saturating_mul(2).min(max).max(len);
    dec.replace_buffer(vec![0u8; cap])
        .map(drop)
        .map_err(|_| Error::Frame(frame::Error::BufferTooSmall))
}

/// Iterator over owned frame payloads (see [`FrameReader::frames`]).
#[derive(Debug)]
pub struct Frames<'r, R: Read> {
    reader: &'r mut FrameReader<R>,
    failed: bool,
}

impl<R: Read> Iterator for Frames<'_, R> {
    type Item = Result<Zeroizing<Vec<u8>>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.reader.next_with(|p| Zeroizing::new(p.to_vec())) {
            Ok(Some(v)) => Some(Ok(v)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectored_write_survives_partial_writes() {
        /// Takes at most 3 bytes per call, across slices.
        struct Slow(Vec<u8>);
        impl Write for Slow {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                let k = b.len().min(3);
                self.0.extend_from_slice(&b[..k]);
                Ok(k)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = Slow(Vec::new());
        let (a, b, c) = (b"hello".as_slice(), b"".as_slice(), b" world!".as_slice());
        let mut slices = [IoSlice::new(a), IoSlice::new(b), IoSlice::new(c)];
        write_all_vectored(&mut w, &mut slices).unwrap();
        assert_eq!(w.0, b"hello world!");

        struct Dead;
        impl Write for Dead {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut slices = [IoSlice::new(a)];
        let e = write_all_vectored(&mut Dead, &mut slices).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn source_window_compacts_and_stops_at_the_end() {
        let data: Vec<u8> = (0..40u8).collect();
        let mut src = Source {
            inner: &data[..],
            buf: Zeroizing::new(vec![0u8; 32]),
            start: 0,
            end: 0,
            eof: false,
        };
        src.fill_to(16).unwrap();
        assert_eq!(src.window(), &data[..32]);
        src.start = 30;
        src.fill_to(5).unwrap();
        assert_eq!(src.window(), &data[30..40]);
        // The input is used up: a refill finds its end and wipes what was there.
        src.start = src.end;
        assert!(!src.refill().unwrap());
        assert_eq!(src.buf.as_slice(), &[0u8; 32]);
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            Error::TrailingData.to_string(),
            "data after the final frame"
        );
        assert_eq!(
            Error::LimitExceeded {
                declared: 9,
                limit: 8
            }
            .to_string(),
            "container allows frames of 9 bytes, above this reader's limit of 8"
        );
        assert!(matches!(
            Error::from(container::Error::Authentication),
            Error::Authentication
        ));
        assert!(matches!(
            Error::from(frame::Error::Truncated),
            Error::Truncated
        ));
        let io = Error::from(io::Error::other("disk on fire"));
        assert_eq!(io.to_string(), "i/o error: disk on fire");
        assert!(std::error::Error::source(&io).is_some());
    }
}
