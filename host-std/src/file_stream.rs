//! Random access into container files: [`FileStream`] reads a container
//! (sealed or not, any compression) as its plaintext, with
//! [`io::Read`] + [`io::BufRead`] + [`io::Seek`], and
//! [`read_at`](FileStream::read_at) for positioned reads that several threads
//! may make at once.
//!
//! ```
//! use std::io::{Read, Seek, SeekFrom, Write};
//! use secstream::compress::Compression;
//! use secstream::container_io::ContainerOptions;
//! use secstream::file_stream::FileStream;
//! use secstream::seal::MasterKey;
//!
//! let key = MasterKey::generate()?;
//! let mut w = ContainerOptions::new()
//!     .compression(Compression::Lz4)
//!     .frame_size(4096)
//!     .sealed_writer(Vec::new(), &key)?;
//! for i in 0..10_000u32 {
//!     w.write_all(&i.to_le_bytes())?;
//! }
//! let file = w.finish()?; // any `ReadAt`: a `File`, bytes in memory, ...
//!
//! let key = MasterKey::from_bytes(key.as_bytes());
//! let mut fs = FileStream::from_source(file, Some(key))?;
//! assert_eq!(fs.size(), 40_000);
//! let mut four = [0u8; 4];
//! fs.read_exact_at(&mut four, 4 * 6_000)?; // opens one frame, not the file
//! assert_eq!(u32::from_le_bytes(four), 6_000);
//! fs.seek(SeekFrom::End(-4))?;
//! fs.read_exact(&mut four)?;
//! assert_eq!(u32::from_le_bytes(four), 9_999);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How a file is opened
//! [`FileStream`] reads the preamble, then the end section from the file's
//! tail (wire contract section 4, "Random access"): its CRC-32C is checked
//! before any field is used, then the entry count and end length, and with an
//! index that the frames it lists end exactly at the end mark, that their
//! plaintexts sum to the total, that every stored length is within the
//! stream's bound (and holds a tag, sealed). A sealed stream's final frame is
//! authenticated at open (counter = frame count - 1): a file cut short, or
//! with frames dropped and the end section rewritten, fails here. Each read
//! then checks the frame's `len` field, checksum, tag and plaintext length
//! against its entry, so a forged index can only produce an error.
//!
//! # Without an index
//! A stream written without an index (`--no-index`, or by a microcontroller)
//! reads sequentially (`Read`, `BufRead`), with every check of the sequential
//! reader; [`read_at`](FileStream::read_at) and seeking away from the current
//! position fail with [`Error::NoIndex`].
//!
//! # Memory
//! The index costs 16 bytes per frame; each read holds one frame (stored bytes
//! and, compressed, its plaintext) in buffers from a
//! [`BufferPool`], wiped when they go back. The
//! `Read` side keeps the current frame's plaintext until it moves on. Nothing
//! else grows with the file. A pool given with
//! [`FileStreamOptions::pool`] whose cap on bytes handed out is reached makes
//! a read fail with [`Error::Pool`] rather than wait.

mod index;
mod read_at;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use secstream_core::compress::Compression;
use secstream_core::container::{self, EndField, FrameCodec, Header};
use secstream_core::frame;
use secstream_core::seal::MasterKey;

pub use self::read_at::{ReadAt, read_file_at};

use self::index::{End, Slot};
use crate::Error;
use crate::frame_open;
use crate::pool::{self, BufferPool, PooledBuf};

/// How a [`FileStream`] is opened: the largest `max_plain` accepted and the
/// pool its frame buffers come from.
#[derive(Debug, Clone)]
pub struct FileStreamOptions {
    limit: u32,
    pool: Option<BufferPool>,
}

impl Default for FileStreamOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl FileStreamOptions {
    /// The defaults: [`container::DEFAULT_READ_LIMIT`], a pool of the stream's own.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            limit: container::DEFAULT_READ_LIMIT,
            pool: None,
        }
    }

    /// The largest `max_plain` a stream may declare (at most 2^30).
    #[must_use]
    pub const fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Takes frame buffers from `pool` (its largest size class must hold a
    /// frame) instead of a pool of the stream's own.
    #[must_use]
    pub fn pool(mut self, pool: BufferPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Opens the container file at `path`; `key` is needed exactly when it is
    /// sealed (see [`FileStream::from_source`]).
    ///
    /// # Errors
    /// As [`open_source`](Self::open_source).
    pub fn open(
        self,
        path: impl AsRef<Path>,
        key: Option<MasterKey>,
    ) -> Result<FileStream<File>, Error> {
        self.open_source(File::open(path)?, key)
    }

    /// Opens the container in `src`.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Container`]: `BadMagic` and the other preamble
    /// errors, `MaxPlainOverLimit`, `KeyRequired` / `NotSealed`, `Truncated`,
    /// `BadEndChecksum`, `EndMismatch`, `FrameTooLong`, `Authentication` (the
    /// final frame, sealed); [`Error::Pool`] if the given pool cannot hold a frame.
    pub fn open_source<S: ReadAt>(
        self,
        src: S,
        key: Option<MasterKey>,
    ) -> Result<FileStream<S>, Error> {
        FileStream::build(src, key, self)
    }
}

/// A container file read as its plaintext: `Read`, `BufRead` and `Seek` (with an
/// index), and [`read_at`](Self::read_at) from any number of threads. See the
/// [module docs](self).
pub struct FileStream<S: ReadAt = File> {
    src: S,
    header: Header,
    codec: FrameCodec,
    pool: BufferPool,
    end: End,
    /// The `Read` position in the plaintext.
    pos: u64,
    /// The frame the `Read` side is in.
    cur: Option<Plaintext>,
    /// Reading without an index: where the next frame starts.
    seq: Seq,
}

/// Progress of a sequential read of a stream without an index.
#[derive(Debug, Default)]
struct Seq {
    frame: u64,
    file_off: u64,
    plain_off: u64,
    final_seen: bool,
    /// Set after a decoding error: every read fails again.
    failed: Option<container::Error>,
}

impl<S: ReadAt> fmt::Debug for FileStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStream")
            .field("header", &self.header)
            .field("frames", &self.end.frames)
            .field("size", &self.end.plain_len)
            .field("indexed", &self.end.index.is_some())
            .field("position", &self.pos)
            .finish_non_exhaustive()
    }
}

impl FileStream<File> {
    /// Opens the container file at `path` with the default options; `key` is
    /// needed exactly when it is sealed.
    ///
    /// # Errors
    /// As [`FileStreamOptions::open_source`].
    pub fn open(path: impl AsRef<Path>, key: Option<MasterKey>) -> Result<Self, Error> {
        FileStreamOptions::new().open(path, key)
    }
}

/// One frame's plaintext in a pooled buffer, wiped when dropped; dereferences
/// to the bytes. From [`FileStream::read_frame`].
pub struct Plaintext {
    frame: u64,
    offset: u64,
    buf: PooledBuf<'static>,
    start: usize,
    end: usize,
}

impl Plaintext {
    /// The frame's number.
    #[must_use]
    pub const fn frame(&self) -> u64 {
        self.frame
    }

    /// Where the frame's plaintext starts in the stream's plaintext.
    #[must_use]
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The plaintext.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    fn covers(&self, pos: u64) -> bool {
        pos >= self.offset && pos - self.offset < self.as_slice().len() as u64
    }
}

impl std::ops::Deref for Plaintext {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plaintext")
            .field("frame", &self.frame)
            .field("offset", &self.offset)
            .field("len", &self.as_slice().len())
            .finish_non_exhaustive()
    }
}

/// A pool for one stream's frames: classes up to `big` bytes (its largest
/// frame or plaintext), `keep` buffers of that class kept idle (what is in
/// flight at once, so steady work allocates nothing).
pub(crate) fn frame_pool(big: usize, keep: usize) -> BufferPool {
    let class = big.checked_next_power_of_two().unwrap_or(big);
    BufferPool::new(
        pool::Config::default()
            .min_size(4096)
            .max_size(big)
            .max_idle_bytes(class.saturating_mul(keep).max(1 << 20))
            .max_idle_time(Some(Duration::from_secs(30))),
    )
}

fn map_read(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::Container(container::Error::Truncated)
    } else {
        Error::Io(e)
    }
}

impl<S: ReadAt> FileStream<S> {
    /// Opens the container in `src` (a [`File`], bytes in memory, any
    /// [`ReadAt`]) with the default options; `key` is needed exactly when it is
    /// sealed (it is wiped once the stream key is derived).
    ///
    /// # Errors
    /// As [`FileStreamOptions::open_source`].
    pub fn from_source(src: S, key: Option<MasterKey>) -> Result<Self, Error> {
        FileStreamOptions::new().open_source(src, key)
    }

    fn build(src: S, key: Option<MasterKey>, opts: FileStreamOptions) -> Result<Self, Error> {
        let size = src.size()?;
        let mut pre = [0u8; container::SEALED_PREAMBLE_LEN];
        let got = usize::try_from(size).unwrap_or(usize::MAX).min(pre.len());
        src.read_exact_at(pre.get_mut(..got).unwrap_or_default(), 0)
            .map_err(map_read)?;
        let header = Header::parse(pre.get(..got).unwrap_or_default())?;
        let limit = opts.limit.min(container::MAX_PLAIN_LIMIT);
        if header.config.max_plain > limit {
            return Err(container::Error::MaxPlainOverLimit {
                max_plain: header.config.max_plain,
                limit,
            }
            .into());
        }
        let codec = FrameCodec::new(&header, key.as_ref())?;
        drop(key);
        let pool = match opts.pool {
            Some(p) => {
                p.size_class(header.config.max_frame_len())?;
                p
            }
            // A read holds a frame and its plaintext; a few threads at once.
            None => frame_pool(
                header
                    .config
                    .max_frame_len()
                    .max(header.config.max_plain as usize),
                8,
            ),
        };
        let end = index::read_end(&src, size, header.config.preamble_len(), &header.config)?;
        let seq = Seq {
            file_off: header.config.preamble_len() as u64,
            ..Seq::default()
        };
        let fs = Self {
            src,
            header,
            codec,
            pool,
            end,
            pos: 0,
            cur: None,
            seq,
        };
        if fs.header.config.sealed
            && let Some(last) = fs.end.frames.checked_sub(1)
            && fs.end.index.is_some()
        {
            // Authenticate the final frame now: a stream cut after any frame
            // and given a new end section fails here.
            drop(fs.read_frame(last)?);
        }
        Ok(fs)
    }

    /// The stream's header.
    #[must_use]
    pub const fn header(&self) -> &Header {
        &self.header
    }

    /// The plaintext length of the whole stream (from its end section).
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.end.plain_len
    }

    /// The `Read` position in the plaintext.
    #[must_use]
    pub const fn position(&self) -> u64 {
        self.pos
    }

    /// The number of frames.
    #[must_use]
    pub const fn frame_count(&self) -> u64 {
        self.end.frames
    }

    /// Whether the stream has an index (random access works).
    #[must_use]
    pub const fn has_index(&self) -> bool {
        self.end.index.is_some()
    }

    /// The plaintext range of frame `frame` (with an index).
    ///
    /// # Errors
    /// [`Error::NoIndex`]; `None` past the last frame.
    pub fn frame_range(&self, frame: u64) -> Result<Option<std::ops::Range<u64>>, Error> {
        let slot = self.slot(frame)?;
        Ok(slot.map(|s| s.plain_off..s.plain_off + u64::from(s.plain)))
    }

    /// The frame whose plaintext holds byte `offset` (with an index); `None` at
    /// or past the end.
    ///
    /// # Errors
    /// [`Error::NoIndex`].
    pub fn frame_at(&self, offset: u64) -> Result<Option<u64>, Error> {
        Ok(self
            .end
            .index
            .as_ref()
            .ok_or(Error::NoIndex)?
            .frame_at(offset))
    }

    fn slot(&self, frame: u64) -> Result<Option<Slot>, Error> {
        let index = self.end.index.as_ref().ok_or(Error::NoIndex)?;
        Ok(index.slot(frame, frame::header_len(self.header.config.checksum)))
    }

    /// The pool the frame buffers come from.
    #[must_use]
    pub const fn pool(&self) -> &BufferPool {
        &self.pool
    }

    /// The source.
    #[must_use]
    pub const fn get_ref(&self) -> &S {
        &self.src
    }

    /// Reads, checks and opens frame `frame` (with an index): its plaintext in
    /// a pooled buffer, wiped when dropped. `&self`: threads may call it at once.
    ///
    /// # Errors
    /// [`Error::NoIndex`]; [`Error::Io`]; [`Error::Container`] (`BadChecksum`,
    /// `Authentication`, `EndMismatch` when the frame does not match its
    /// entry, `Decompress`, `Truncated` if the file shrank); [`Error::Pool`].
    /// A frame number past the last one is `EndMismatch(FrameCount)`.
    pub fn read_frame(&self, frame: u64) -> Result<Plaintext, Error> {
        let slot = self
            .slot(frame)?
            .ok_or(Error::Container(container::Error::EndMismatch(
                EndField::FrameCount,
            )))?;
        let last = frame + 1 == self.end.frames;
        let hint = self.header.config.sealed.then_some(last);
        let (p, _) = self.load(
            frame,
            slot.file_off,
            slot.stored,
            hint,
            Some(slot.plain),
            slot.plain_off,
        )?;
        Ok(p)
    }

    /// Reads frame `frame` of `stored` stored bytes at `file_off`, opens it and
    /// decompresses it into a buffer of `plain` bytes (the entry's length, which
    /// must match) or, without an index, `max_plain`.
    fn load(
        &self,
        frame: u64,
        file_off: u64,
        stored: u32,
        hint: Option<bool>,
        plain: Option<u32>,
        plain_off: u64,
    ) -> Result<(Plaintext, bool), Error> {
        let cfg = &self.header.config;
        let hlen = frame::header_len(cfg.checksum);
        let flen = hlen + stored as usize;
        let mut buf = self.pool.try_acquire(flen)?.into_owned();
        let dst = buf.spare_mut_up_to(flen);
        self.src.read_exact_at(dst, file_off).map_err(map_read)?;
        buf.advance(flen)?;
        let opened = frame_open::open(&self.codec, frame, hint, buf.as_mut_slice())?;
        let mismatch = Error::Container(container::Error::EndMismatch(EndField::Index));
        let (buf, start, end) = if cfg.compression == Compression::None {
            (buf, opened.start, opened.end)
        } else {
            let cap = plain.map_or(cfg.max_plain as usize, |p| p as usize);
            let mut out = self.pool.try_acquire(cap)?.into_owned();
            let mut state = None;
            let input = buf.get(opened.start..opened.end).unwrap_or_default();
            let res = frame_open::decompress(
                cfg.compression,
                input,
                out.spare_mut_up_to(cap),
                &mut state,
            );
            drop(buf);
            let n = match res {
                Ok(n) => n,
                Err(container::Error::PlainTooLong) if plain.is_some() => return Err(mismatch),
                Err(e) => return Err(e.into()),
            };
            out.advance(n)?;
            (out, 0, n)
        };
        if plain.is_some_and(|p| p as usize != end - start) {
            return Err(mismatch);
        }
        Ok((
            Plaintext {
                frame,
                offset: plain_off,
                buf,
                start,
                end,
            },
            opened.is_final,
        ))
    }

    /// Reads plaintext at `offset` into `buf` without moving the `Read`
    /// position; returns the bytes read, fewer than `buf.len()` only at the end
    /// of the stream (0 at or past it). Opens only the frames that hold the
    /// range. `&self`: threads may call it at once (positioned reads, no shared
    /// cursor).
    ///
    /// # Errors
    /// [`Error::NoIndex`] for a stream without an index; as
    /// [`read_frame`](Self::read_frame).
    pub fn read_at(&self, mut offset: u64, buf: &mut [u8]) -> Result<usize, Error> {
        let index = self.end.index.as_ref().ok_or(Error::NoIndex)?;
        let mut done = 0;
        while done < buf.len() {
            let Some(frame) = index.frame_at(offset) else {
                break;
            };
            let p = self.read_frame(frame)?;
            done += copy_from(&p, offset, buf.get_mut(done..).unwrap_or_default());
            offset = p.offset + p.as_slice().len() as u64;
        }
        Ok(done)
    }

    /// Fills `buf` from plaintext offset `offset`.
    ///
    /// # Errors
    /// [`Error::Io`] of kind [`io::ErrorKind::UnexpectedEof`] if the stream
    /// ends first (nothing is promised about `buf` then); as
    /// [`read_at`](Self::read_at).
    pub fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> Result<(), Error> {
        if self.read_at(offset, buf)? == buf.len() {
            Ok(())
        } else {
            Err(Error::Io(io::ErrorKind::UnexpectedEof.into()))
        }
    }

    /// Makes `cur` the frame holding `pos` (`false` at the end of the stream).
    fn fill(&mut self) -> Result<bool, Error> {
        if self.cur.as_ref().is_some_and(|c| c.covers(self.pos)) {
            return Ok(true);
        }
        if self.end.index.is_some() {
            let Some(frame) = self.frame_at(self.pos)? else {
                return Ok(false);
            };
            self.cur = None;
            self.cur = Some(self.read_frame(frame)?);
            return Ok(true);
        }
        self.cur = None;
        loop {
            let Some(p) = self.next_sequential()? else {
                return Ok(false);
            };
            if !p.as_slice().is_empty() {
                self.cur = Some(p);
                return Ok(true);
            }
        }
    }

    /// The next frame of a stream without an index; `None` after the last one,
    /// once the end section matched.
    fn next_sequential(&mut self) -> Result<Option<Plaintext>, Error> {
        if let Some(e) = self.seq.failed {
            return Err(e.into());
        }
        let res = self.next_sequential_inner();
        if let Err(Error::Container(e)) = &res {
            self.seq.failed = Some(*e);
        }
        res
    }

    fn next_sequential_inner(&mut self) -> Result<Option<Plaintext>, Error> {
        let cfg = self.header.config;
        let s = &self.seq;
        let frame_count = || Error::Container(container::Error::EndMismatch(EndField::FrameCount));
        if s.file_off == self.end.end_at {
            if s.frame != self.end.frames {
                return Err(frame_count());
            }
            if s.plain_off != self.end.plain_len {
                return Err(container::Error::EndMismatch(EndField::PlainLength).into());
            }
            if cfg.sealed && !s.final_seen {
                return Err(container::Error::Truncated.into());
            }
            return Ok(None);
        }
        if s.final_seen {
            return Err(container::Error::DataAfterFinal.into());
        }
        if s.frame >= self.end.frames {
            return Err(frame_count());
        }
        let hlen = frame::header_len(cfg.checksum) as u64;
        let mut len = [0u8; 4];
        if s.file_off + hlen > self.end.end_at {
            return Err(frame_count());
        }
        self.src
            .read_exact_at(&mut len, s.file_off)
            .map_err(map_read)?;
        let stored = u32::from_le_bytes(len);
        if stored as usize > cfg.max_stored() {
            return Err(container::Error::FrameTooLong { frame: s.frame }.into());
        }
        if s.file_off + hlen + u64::from(stored) > self.end.end_at {
            return Err(frame_count());
        }
        // Without an index the final frame is known only by its tag (both tried).
        let (p, fin) = self.load(s.frame, s.file_off, stored, None, None, s.plain_off)?;
        let s = &mut self.seq;
        s.frame += 1;
        s.file_off += hlen + u64::from(stored);
        s.plain_off += p.as_slice().len() as u64;
        s.final_seen = fin;
        Ok(Some(p))
    }
}

/// Copies what `p` holds of the plaintext from `offset` on into `out`.
fn copy_from(p: &Plaintext, offset: u64, out: &mut [u8]) -> usize {
    let skip = usize::try_from(offset.saturating_sub(p.offset)).unwrap_or(usize::MAX);
    let src = p.as_slice().get(skip..).unwrap_or_default();
    let n = src.len().min(out.len());
    out[..n].copy_from_slice(&src[..n]);
    n
}

impl<S: ReadAt> BufRead for FileStream<S> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.fill()? {
            return Ok(&[]);
        }
        let pos = self.pos;
        Ok(self.cur.as_ref().map_or(&[][..], |c| {
            let skip = usize::try_from(pos - c.offset).unwrap_or(usize::MAX);
            c.as_slice().get(skip..).unwrap_or_default()
        }))
    }

    fn consume(&mut self, amt: usize) {
        let avail = self.cur.as_ref().map_or(0, |c| {
            (c.offset + c.as_slice().len() as u64).saturating_sub(self.pos)
        });
        self.pos += (amt as u64).min(avail);
    }
}

impl<S: ReadAt> Read for FileStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::source::read_through_buffer(self, buf)
    }
}

/// Seeking needs the index; without one, only "seeking" to the current
/// position works ([`Error::NoIndex`] otherwise). Positions past the end are
/// allowed (reads there return 0); before the start they are an error.
impl<S: ReadAt> Seek for FileStream<S> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.end.plain_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(target) = target else {
            let forward = matches!(to, SeekFrom::End(d) | SeekFrom::Current(d) if d > 0);
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                if forward {
                    "seek to a position past u64::MAX"
                } else {
                    "seek to a position before the start of the stream"
                },
            ));
        };
        if target != self.pos && self.end.index.is_none() {
            return Err(Error::NoIndex.into());
        }
        self.pos = target;
        Ok(target)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests;
