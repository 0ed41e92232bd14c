//! [`ParallelContainerReader`]: frames opened and decompressed on worker threads.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use secstream_core::checksum::{ChecksumKind, Hasher};
use secstream_core::compress::Compression;
use secstream_core::container::{
    self, END_FIXED_LEN, END_MARK, EndField, FrameCodec, Header, INDEX_ENTRY_LEN, MAX_INDEX_ENTRIES,
};
use secstream_core::frame;
use secstream_core::seal::MasterKey;
use sha2::{Digest, Sha256};

use super::shared::{Payload, SharedBytes};
use super::workers::{Task, Workers};
use super::{ChunkMode, SharedReader, SharedSource};
use crate::Error;
use crate::file_stream::frame_pool;
use crate::frame_open;
use crate::pool::BufferPool;
use crate::source::{READ_CHUNK, Source};

/// A frame to open: its bytes (length field, checksum, stored payload).
struct Job {
    counter: u64,
    frame: Payload,
}

/// An opened frame: its plaintext is `buf[start..end]`.
struct Done {
    buf: Payload,
    start: usize,
    end: usize,
    stored: u32,
    is_final: bool,
}

impl Done {
    fn plaintext(&self) -> &[u8] {
        self.buf
            .as_slice()
            .get(self.start..self.end)
            .unwrap_or_default()
    }
}

/// What the end section said, checked against the frames once all are out.
struct EndInfo {
    plain_len: u64,
    entries: u64,
    index: [u8; 32],
}

/// Where the splitter (reading the input into frames) stands.
enum Split {
    Header,
    Frames,
    End(EndInfo),
    Failed(Error),
    Done,
}

/// An error kept to be returned again by every later call.
#[derive(Clone, Copy)]
enum Failed {
    Container(container::Error),
    Io(io::ErrorKind),
    Other,
}

impl Failed {
    fn of(e: &Error) -> Self {
        match e {
            Error::Container(c) => Self::Container(*c),
            Error::Io(io) => Self::Io(io.kind()),
            _ => Self::Other,
        }
    }

    fn error(self) -> Error {
        match self {
            Self::Container(c) => Error::Container(c),
            Self::Io(kind) => Error::Io(io::Error::new(kind, "an earlier read failed")),
            Self::Other => Error::Worker,
        }
    }
}

/// Reads a container like [`ContainerReader`](crate::container_io::ContainerReader),
/// with frames checked, opened and decompressed on worker threads
/// ([`ChunkMode`]) and handed out in order: an [`io::Read`] +
/// [`io::BufRead`] of the plaintext.
///
/// The reading thread splits the input into frames (checking each length
/// against the stream's bound before taking a buffer) and keeps about twice
/// as many frames as workers in flight, in buffers from a [`BufferPool`]
/// (wiped when they go back). `Ok(0)` comes only after the end section was
/// read and matched every frame, as for the sequential reader.
///
/// An error in frame `k` (checksum, authentication, decompression) is
/// returned once every frame before it was handed out; no plaintext of frame
/// `k` or after it is. Every later call fails again.
pub struct ParallelContainerReader<R: Read> {
    src: Source<R>,
    key: Option<MasterKey>,
    limit: u32,
    threads: usize,
    max_in_flight: u64,
    header: Option<Header>,
    workers: Option<Workers<Job, Result<Done, Error>>>,
    pool: Option<BufferPool>,
    split: Split,
    frames_split: u64,
    frames_out: u64,
    plain_out: u64,
    final_seen: bool,
    sealed: bool,
    /// SHA-256 of the index entries the frames handed out call for.
    expected: Sha256,
    cur: Option<Done>,
    pos: usize,
    failed: Option<Failed>,
    /// From [`from_shared`](ParallelContainerReader::from_shared): the bytes
    /// and the input's position in them, so that an unsealed, uncompressed
    /// frame is taken as a range of them rather than read.
    tap: Option<(SharedBytes, Arc<AtomicUsize>)>,
}

impl<R: Read> fmt::Debug for ParallelContainerReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParallelContainerReader")
            .field("header", &self.header)
            .field("threads", &self.threads)
            .field("frames", &self.frames_out)
            .finish_non_exhaustive()
    }
}

impl<R: Read> ParallelContainerReader<R> {
    fn build(inner: R, key: Option<MasterKey>, mode: ChunkMode) -> Self {
        let threads = mode.worker_threads();
        Self {
            src: Source::new(inner),
            key,
            limit: container::DEFAULT_READ_LIMIT,
            threads,
            max_in_flight: 2 * threads.max(1) as u64,
            header: None,
            workers: None,
            pool: None,
            split: Split::Header,
            frames_split: 0,
            frames_out: 0,
            plain_out: 0,
            final_seen: false,
            sealed: false,
            expected: Sha256::new(),
            cur: None,
            pos: 0,
            failed: None,
            tap: None,
        }
    }

    /// A reader of an unsealed container (a sealed one fails with
    /// [`container::Error::KeyRequired`]).
    pub fn new(inner: R, mode: ChunkMode) -> Self {
        Self::build(inner, None, mode)
    }

    /// A reader of a container sealed under `master` (an unsealed one fails
    /// with [`container::Error::NotSealed`]). The key is wiped once the stream
    /// key is derived.
    pub fn sealed(inner: R, master: MasterKey, mode: ChunkMode) -> Self {
        Self::build(inner, Some(master), mode)
    }

    /// Sets the largest `max_plain` a stream may declare (default
    /// [`container::DEFAULT_READ_LIMIT`], at most 2^30); before the first read.
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = limit.min(container::MAX_PLAIN_LIMIT);
        self
    }

    /// Takes frame buffers from `pool` (its largest class must hold a frame of
    /// the stream, or reading fails with [`Error::Pool`]).
    #[must_use]
    pub fn with_pool(mut self, pool: BufferPool) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Worker threads (0: frames are opened in the reading thread).
    #[must_use]
    pub const fn threads(&self) -> usize {
        self.threads
    }

    /// The header, once read.
    #[must_use]
    pub const fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Frames handed out so far.
    #[must_use]
    pub const fn frames_read(&self) -> u64 {
        self.frames_out
    }

    /// Plaintext bytes of the frames handed out so far.
    #[must_use]
    pub const fn plain_len(&self) -> u64 {
        self.plain_out
    }

    /// Reads the preamble now (it is otherwise read with the first frame).
    ///
    /// # Errors
    /// As `read`: [`Error::Container`] (`BadMagic`, `MaxPlainOverLimit`,
    /// `KeyRequired`, `NotSealed`, ...), [`Error::Io`].
    pub fn read_header(&mut self) -> Result<&Header, Error> {
        self.guard(Self::start)?;
        self.header
            .as_ref()
            .ok_or(Error::Container(container::Error::Truncated))
    }

    fn guard<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if let Some(e) = self.failed {
            return Err(e.error());
        }
        let res = f(self);
        if let Err(e) = &res {
            self.failed = Some(Failed::of(e));
            // Stop the workers; frames in flight are dropped and wiped.
            self.workers = None;
            self.cur = None;
        }
        res
    }

    /// Reads exactly `dst.len()` bytes; `false` if the input ended first.
    fn fill(&mut self, dst: &mut [u8]) -> Result<bool, Error> {
        // A shared source is copied from directly (no window): so the window
        // stays empty, and frames can be taken as ranges.
        self.fill_past(dst, self.tap.is_some())
    }

    /// As [`fill`](Self::fill); with `past`, or for a large `dst`, bytes not
    /// in the window are read straight into `dst`, not through the window.
    fn fill_past(&mut self, mut dst: &mut [u8], past: bool) -> Result<bool, Error> {
        while !dst.is_empty() {
            if self.src.start == self.src.end {
                if past || dst.len() >= READ_CHUNK {
                    // Large: straight into `dst`, not copied through the window.
                    let n = self.src.read_past(dst)?;
                    if n == 0 {
                        return Ok(false);
                    }
                    dst = dst.get_mut(n..).unwrap_or_default();
                    continue;
                }
                if !self.src.refill()? {
                    return Ok(false);
                }
            }
            let w = self.src.window();
            let n = w.len().min(dst.len());
            let (now, later) = dst.split_at_mut(n);
            now.copy_from_slice(w.get(..n).unwrap_or_default());
            self.src.consume(n);
            dst = later;
        }
        Ok(true)
    }

    fn fill_or_truncated(&mut self, dst: &mut [u8]) -> Result<(), Error> {
        if self.fill(dst)? {
            Ok(())
        } else {
            Err(container::Error::Truncated.into())
        }
    }

    /// Reads and checks the preamble and starts the workers.
    fn start(&mut self) -> Result<(), Error> {
        if !matches!(self.split, Split::Header) {
            return Ok(());
        }
        let mut pre = [0u8; container::SEALED_PREAMBLE_LEN];
        self.fill_or_truncated(pre.get_mut(..8).unwrap_or_default())?;
        let len = Header::preamble_len(pre.get(..8).unwrap_or_default())?
            .ok_or(container::Error::Truncated)?;
        self.fill_or_truncated(pre.get_mut(8..len).unwrap_or_default())?;
        let header = Header::parse(pre.get(..len).unwrap_or_default())?;
        let c = header.config;
        if c.max_plain > self.limit {
            return Err(container::Error::MaxPlainOverLimit {
                max_plain: c.max_plain,
                limit: self.limit,
            }
            .into());
        }
        let key = self.key.take();
        let codec = Arc::new(FrameCodec::new(&header, key.as_ref())?);
        drop(key);
        let pool = match &self.pool {
            Some(p) => {
                p.size_class(c.max_frame_len())?;
                p.clone()
            }
            // In flight: a frame and (compressed) a plaintext buffer each.
            None => frame_pool(
                c.max_frame_len().max(c.max_plain as usize),
                4 * self.threads + 4,
            ),
        };
        let task_pool = pool.clone();
        let task: Task<Job, Result<Done, Error>> =
            Arc::new(move |job: Job| open(&codec, &task_pool, job));
        self.workers = Some(Workers::new(self.threads, task)?);
        self.pool = Some(pool);
        self.header = Some(header);
        self.sealed = c.sealed;
        self.split = Split::Frames;
        Ok(())
    }

    /// Reads the next frame (or the end section) of the input.
    fn split_next(&mut self) -> Result<Option<Job>, Error> {
        let Some(header) = self.header else {
            return Err(container::Error::Truncated.into());
        };
        let c = header.config;
        let mut len = [0u8; 4];
        // With frames larger than the window, a frame's length is read on its
        // own (one small read), so that the frame itself is read straight into
        // its buffer rather than a window's worth of it copied through the window.
        let past = c.max_stored() >= READ_CHUNK || self.tap.is_some();
        if !self.fill_past(&mut len, past)? {
            return Err(container::Error::Truncated.into());
        }
        let stored = u32::from_le_bytes(len);
        if stored == END_MARK {
            let info = self.read_end()?;
            self.split = Split::End(info);
            return Ok(None);
        }
        let counter = self.frames_split;
        if stored as usize > c.max_stored() {
            return Err(container::Error::FrameTooLong { frame: counter }.into());
        }
        let flen = frame::header_len(c.checksum) + stored as usize;
        if let Some((src, pos)) = &self.tap {
            if !c.sealed && c.compression == Compression::None && self.src.start == self.src.end {
                // The frame where it lies: checked there by a worker and
                // handed out from there, not copied.
                let at = pos.load(Ordering::Relaxed);
                let start = at - len.len();
                let end = start + flen;
                if end > src.bytes().len() {
                    return Err(container::Error::Truncated.into());
                }
                pos.store(end, Ordering::Relaxed);
                self.frames_split += 1;
                return Ok(Some(Job {
                    counter,
                    frame: Payload::Shared {
                        src: Arc::clone(src),
                        start,
                        end,
                    },
                }));
            }
        }
        let pool = self.pool.as_ref().ok_or(Error::Worker)?;
        let mut buf = pool.try_acquire(flen)?.into_owned();
        buf.extend_from_slice(&len)?;
        let rest = buf.spare_mut_up_to(flen - 4);
        let got = rest.len();
        let ok = self.fill_past(rest, past)?;
        if !ok {
            return Err(container::Error::Truncated.into());
        }
        buf.advance(got)?;
        self.frames_split += 1;
        Ok(Some(Job {
            counter,
            frame: Payload::Pooled(buf),
        }))
    }

    /// Reads the end section after its end mark: counts, index (hashed as it
    /// streams by, not kept), end length, CRC-32C; then the end of the input.
    fn read_end(&mut self) -> Result<EndInfo, Error> {
        let mut crc = Hasher::new(ChecksumKind::Crc32c);
        crc.update(&END_MARK.to_le_bytes());
        let mut counts = [0u8; 24];
        self.fill_or_truncated(&mut counts)?;
        crc.update(&counts);
        let field = |i: usize| {
            let mut le = [0u8; 8];
            le.copy_from_slice(counts.get(i * 8..i * 8 + 8).unwrap_or(&[0; 8]));
            u64::from_le_bytes(le)
        };
        let (frames, plain_len, entries) = (field(0), field(1), field(2));
        let mismatch = |f| Error::Container(container::Error::EndMismatch(f));
        if frames != self.frames_split {
            return Err(mismatch(EndField::FrameCount));
        }
        if entries != 0 && (entries != frames || entries > MAX_INDEX_ENTRIES) {
            return Err(mismatch(EndField::IndexEntries));
        }
        let mut index = Sha256::new();
        let mut left = entries * INDEX_ENTRY_LEN as u64;
        let mut chunk = [0u8; 4096];
        while left > 0 {
            let n = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
            let part = chunk.get_mut(..n).unwrap_or_default();
            self.fill_or_truncated(part)?;
            crc.update(part);
            index.update(&*part);
            left -= n as u64;
        }
        let mut tail = [0u8; 8];
        self.fill_or_truncated(&mut tail)?;
        let mut end_len = [0u8; 4];
        end_len.copy_from_slice(tail.get(..4).unwrap_or(&[0; 4]));
        crc.update(&end_len);
        let mut stored_crc = [0u8; 4];
        stored_crc.copy_from_slice(tail.get(4..).unwrap_or(&[0; 4]));
        if crc.finish() != u64::from(u32::from_le_bytes(stored_crc)) {
            return Err(container::Error::BadEndChecksum.into());
        }
        if u64::from(u32::from_le_bytes(end_len))
            != END_FIXED_LEN as u64 + entries * INDEX_ENTRY_LEN as u64
        {
            return Err(mismatch(EndField::EndLength));
        }
        let mut one = [0u8; 1];
        if self.fill(&mut one)? {
            return Err(container::Error::TrailingData.into());
        }
        Ok(EndInfo {
            plain_len,
            entries,
            index: index.finalize().into(),
        })
    }

    /// Submits frames until enough are in flight or the input is split.
    fn pump(&mut self) -> Result<(), Error> {
        loop {
            let room = self
                .workers
                .as_ref()
                .is_some_and(|w| w.in_flight() < self.max_in_flight);
            if !room || !matches!(self.split, Split::Frames) {
                return Ok(());
            }
            match self.split_next() {
                Ok(Some(job)) => self.workers.as_mut().ok_or(Error::Worker)?.submit(job)?,
                Ok(None) => {}
                Err(e) => self.split = Split::Failed(e),
            }
        }
    }

    /// The next frame, in order; `None` at the checked end of the stream.
    fn next_frame(&mut self) -> Result<Option<Done>, Error> {
        self.start()?;
        loop {
            self.pump()?;
            if let Some(res) = self.workers.as_mut().and_then(Workers::next) {
                let done = res??;
                if self.final_seen {
                    return Err(container::Error::DataAfterFinal.into());
                }
                let plain = u32::try_from(done.end - done.start)
                    .map_err(|_| container::Error::PlainTooLong)?;
                self.expected.update(done.stored.to_le_bytes());
                self.expected.update(plain.to_le_bytes());
                self.plain_out += u64::from(plain);
                self.frames_out += 1;
                self.final_seen = self.sealed && done.is_final;
                return Ok(Some(done));
            }
            match std::mem::replace(&mut self.split, Split::Done) {
                Split::Failed(e) => return Err(e),
                Split::End(info) => {
                    self.check_end(&info)?;
                    return Ok(None);
                }
                Split::Done => return Ok(None),
                s @ (Split::Header | Split::Frames) => self.split = s,
            }
        }
    }

    /// The end section against the frames handed out.
    fn check_end(&mut self, info: &EndInfo) -> Result<(), Error> {
        if self.sealed && !self.final_seen {
            return Err(container::Error::Truncated.into());
        }
        if info.plain_len != self.plain_out {
            return Err(container::Error::EndMismatch(EndField::PlainLength).into());
        }
        if info.entries != 0 {
            let want: [u8; 32] = std::mem::take(&mut self.expected).finalize().into();
            if want != info.index {
                return Err(container::Error::EndMismatch(EndField::Index).into());
            }
        }
        Ok(())
    }
}

/// A worker's job: check, open and decompress one frame.
fn open(codec: &FrameCodec, pool: &BufferPool, job: Job) -> Result<Done, Error> {
    let mut frame = match job.frame {
        Payload::Pooled(frame) => frame,
        shared @ Payload::Shared { .. } => {
            if let Payload::Shared { src, start, end } = &shared {
                src.will_read(*start, end - start);
            }
            let bytes = shared.as_slice();
            let opened = frame_open::check_unsealed(codec, job.counter, bytes)?;
            let stored = u32::try_from(bytes.len() - frame::header_len(codec.config().checksum))
                .map_err(|_| container::Error::FrameTooLong { frame: job.counter })?;
            return Ok(Done {
                buf: shared,
                start: opened.start,
                end: opened.end,
                stored,
                is_final: false,
            });
        }
    };
    let opened = frame_open::open(codec, job.counter, None, frame.as_mut_slice())?;
    let stored = u32::try_from(frame.len() - frame::header_len(codec.config().checksum))
        .map_err(|_| container::Error::FrameTooLong { frame: job.counter })?;
    let c = codec.config();
    if c.compression == Compression::None {
        return Ok(Done {
            buf: Payload::Pooled(frame),
            start: opened.start,
            end: opened.end,
            stored,
            is_final: opened.is_final,
        });
    }
    let max = c.max_plain as usize;
    let mut out = pool.try_acquire(max)?.into_owned();
    let mut state = None;
    let input = frame.get(opened.start..opened.end).unwrap_or_default();
    let n = frame_open::decompress(c.compression, input, out.spare_mut_up_to(max), &mut state)?;
    drop(frame);
    out.advance(n)?;
    Ok(Done {
        buf: Payload::Pooled(out),
        start: 0,
        end: n,
        stored,
        is_final: opened.is_final,
    })
}

impl ParallelContainerReader<SharedReader> {
    /// A reader of the container held by `src` (a mapped file), sealed under
    /// `master` or not (`None`). The frames of an unsealed container without
    /// compression are checked where they lie and handed out from there
    /// (`fill_buf` returns slices of `src`): no copy. Other frames are copied
    /// into frame buffers, as from any reader (a sealed frame is always
    /// authenticated and decrypted in private memory).
    ///
    /// The bytes must not change while this runs: a frame changed after its
    /// checksum was checked is handed out unchecked. (An unsealed container's
    /// checksums guard against damage at rest, not against someone who can
    /// write the file: they can write any container.)
    pub fn from_shared<S: SharedSource + 'static>(
        src: Arc<S>,
        master: Option<MasterKey>,
        mode: ChunkMode,
    ) -> Self {
        let src: SharedBytes = src;
        let pos = Arc::new(AtomicUsize::new(0));
        let inner = SharedReader {
            src: Arc::clone(&src),
            pos: Arc::clone(&pos),
        };
        let mut r = Self::build(inner, master, mode);
        r.tap = Some((src, pos));
        r
    }
}

impl<R: Read> BufRead for ParallelContainerReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self
            .cur
            .as_ref()
            .is_none_or(|c| self.pos >= c.plaintext().len())
        {
            self.cur = None;
            match self.guard(Self::next_frame)? {
                Some(d) => {
                    self.cur = Some(d);
                    self.pos = 0;
                }
                None => return Ok(&[]),
            }
        }
        let pos = self.pos;
        Ok(self
            .cur
            .as_ref()
            .map_or(&[][..], |c| c.plaintext().get(pos..).unwrap_or_default()))
    }

    fn consume(&mut self, amt: usize) {
        let len = self.cur.as_ref().map_or(0, |c| c.plaintext().len());
        self.pos = self.pos.saturating_add(amt).min(len);
    }
}

impl<R: Read> Read for ParallelContainerReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let avail = self.fill_buf()?;
        let n = avail.len().min(buf.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}
