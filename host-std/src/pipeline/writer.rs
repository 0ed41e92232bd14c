//! [`ParallelContainerWriter`]: frames compressed and sealed on worker threads.

use std::fmt;
use std::io::{self, IoSlice, Write};
use std::sync::{Arc, Mutex, PoisonError};

use secstream_core::compress::Compression;
use secstream_core::container::{self, Config, Encoded, FrameCodec, Header};
use secstream_core::frame;
use secstream_core::seal::{MasterKey, STREAM_NONCE_LEN};

use super::shared::{Payload, SharedBytes};
use super::workers::{Task, Workers};
use super::{ChunkMode, SharedSource};
use crate::Error;
use crate::container_io::ContainerOptions;
use crate::file_stream::{ReadAt, frame_pool};
use crate::frame_io::writer::write_all_vectored;
use crate::pool::{BufferPool, PooledBuf};

/// A frame to encode.
struct Job {
    counter: u64,
    is_final: bool,
    plain: Plain,
}

/// The plaintext of a job.
enum Plain {
    /// Already in a buffer (written to the writer).
    Buf(PooledBuf<'static>),
    /// `len` bytes of a source at `offset`, read by the worker that encodes
    /// them (so a frame's bytes stay in one core's cache, and the writing
    /// thread does not copy them).
    At {
        src: Arc<dyn ReadAt + Send + Sync>,
        offset: u64,
        len: usize,
    },
    /// `len` bytes of a source already in memory (a mapped file) at
    /// `offset`: checksummed and written from there when the stream has no
    /// compression and no sealing, else copied into a frame buffer.
    Shared {
        src: SharedBytes,
        offset: usize,
        len: usize,
    },
}

/// Fills a buffer from a position of the source (`finish_ranges`).
type TopUp<'a> = dyn FnMut(&mut [u8], u64) -> Result<(), Error> + 'a;

/// An encoded frame.
struct Done {
    /// The whole frame; or, with `head`, its payload (the plaintext itself:
    /// a stream without compression and sealing).
    out: Payload,
    head: Option<frame::Header>,
    enc: Encoded,
    plain_len: usize,
    is_final: bool,
}

impl ContainerOptions {
    /// A [`ParallelContainerWriter`] of an unsealed container, encoding frames
    /// on the threads `mode` says.
    ///
    /// # Errors
    /// As [`writer`](Self::writer); [`Error::Worker`] if a thread cannot start.
    pub fn parallel_writer<W: Write>(
        self,
        inner: W,
        mode: ChunkMode,
    ) -> Result<ParallelContainerWriter<W>, Error> {
        let header = Header::new(self.config(false));
        ParallelContainerWriter::build(inner, self, header, None, mode)
    }

    /// A [`ParallelContainerWriter`] of a container sealed under `master`, with a
    /// fresh random stream nonce.
    ///
    /// # Errors
    /// [`Error::Random`]; as [`parallel_writer`](Self::parallel_writer).
    pub fn parallel_sealed_writer<W: Write>(
        self,
        inner: W,
        master: &MasterKey,
        mode: ChunkMode,
    ) -> Result<ParallelContainerWriter<W>, Error> {
        let mut nonce = [0u8; STREAM_NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(Error::Random)?;
        self.parallel_sealed_writer_with_nonce(inner, master, nonce, mode)
    }

    /// As [`parallel_sealed_writer`](Self::parallel_sealed_writer) with the given
    /// stream nonce, which must never repeat under one key (for test vectors).
    ///
    /// # Errors
    /// As [`parallel_writer`](Self::parallel_writer).
    pub fn parallel_sealed_writer_with_nonce<W: Write>(
        self,
        inner: W,
        master: &MasterKey,
        nonce: [u8; STREAM_NONCE_LEN],
        mode: ChunkMode,
    ) -> Result<ParallelContainerWriter<W>, Error> {
        let header = Header {
            config: self.config(true),
            nonce,
        };
        ParallelContainerWriter::build(inner, self, header, Some(master), mode)
    }
}

/// Writes a container like [`ContainerWriter`](crate::container_io::ContainerWriter),
/// byte for byte the same, with frames compressed and sealed on worker
/// threads ([`ChunkMode`]) and written out in order. An `io::Write` of
/// plaintext; [`finish`](Self::finish) writes the last frame and the end
/// section.
///
/// At most about twice as many frames as workers are in flight (plaintext
/// and encoded, in buffers from a [`BufferPool`], wiped when they go back);
/// a `write` waits for the oldest frame when that many are.
///
/// After an error (an encoding error in any frame, or writing the output) the
/// writer stops and every later call fails with [`Error::Poisoned`]; what
/// was written so far is not a valid container. Write to a temporary file
/// and rename it into place only once [`finish`](Self::finish) returned
/// `Ok`. A writer dropped without `finish` writes nothing more (readers
/// then report the stream truncated).
pub struct ParallelContainerWriter<W: Write> {
    inner: Option<W>,
    core: Box<container::Writer>,
    codec: Arc<FrameCodec>,
    /// Started with the first frame (so that [`with_pool`](Self::with_pool)
    /// applies to the workers too).
    workers: Option<Workers<Job, Result<Done, Error>>>,
    pool: BufferPool,
    /// The preamble, until the first output.
    preamble: Option<Vec<u8>>,
    /// Plaintext of the frame being filled.
    plain: Option<PooledBuf<'static>>,
    /// Sealed frames' buffers, written out and rewound, for the next frames
    /// (see [`Spares`]).
    spares: Arc<Spares>,
    max_plain: usize,
    max_in_flight: u64,
    /// The counter of the next frame submitted.
    counter: u64,
    threads: usize,
    poisoned: bool,
}

impl<W: Write> fmt::Debug for ParallelContainerWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParallelContainerWriter")
            .field("config", self.core.config())
            .field("threads", &self.threads)
            .field("frames", &self.counter)
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<W: Write> ParallelContainerWriter<W> {
    fn build(
        inner: W,
        options: ContainerOptions,
        header: Header,
        master: Option<&MasterKey>,
        mode: ChunkMode,
    ) -> Result<Self, Error> {
        let (level, index) = options.level_and_index();
        let config = header.config;
        let mut core = if config.sealed {
            let key = master.ok_or(container::Error::KeyRequired)?;
            container::Writer::new_sealed(config, key, header.nonce)?
        } else {
            container::Writer::new(config)?
        };
        core.set_level(level);
        if index {
            core = core.with_index();
        }
        let mut codec = FrameCodec::new(&header, master)?;
        codec.set_level(level);
        let mut pre = vec![0u8; config.preamble_len()];
        let n = core.start(&mut pre)?;
        pre.truncate(n);
        // The encoder's work buffer can exceed the largest frame (LZ4). In
        // flight: a plaintext and an encoded buffer per frame.
        let threads = mode.worker_threads();
        let pool = frame_pool(
            codec
                .encode_buffer_len(config.max_plain as usize)
                .max(config.max_plain as usize),
            4 * threads + 4,
        );
        Ok(Self {
            inner: Some(inner),
            core: Box::new(core),
            codec: Arc::new(codec),
            workers: None,
            pool,
            preamble: Some(pre),
            plain: None,
            spares: Arc::new(Spares::new(threads + 2)),
            max_plain: config.max_plain as usize,
            max_in_flight: 2 * threads.max(1) as u64,
            counter: 0,
            threads,
            poisoned: false,
        })
    }

    /// Takes frame buffers from `pool` instead of the writer's own (its
    /// largest class must hold an encoded frame and `max_plain`).
    ///
    /// # Errors
    /// [`Error::Pool`] if it cannot.
    pub fn with_pool(mut self, pool: BufferPool) -> Result<Self, Error> {
        let max_plain = self.max_plain;
        pool.size_class(
            self.core
                .codec()
                .encode_buffer_len(max_plain)
                .max(max_plain),
        )?;
        self.pool = pool;
        Ok(self)
    }

    /// The stream's config.
    #[must_use]
    pub fn config(&self) -> &Config {
        self.core.config()
    }

    /// Worker threads (0: frames are encoded in the writing thread).
    #[must_use]
    pub const fn threads(&self) -> usize {
        self.threads
    }

    /// Frames written out so far.
    #[must_use]
    pub fn frames_written(&self) -> u64 {
        self.core.frame_count()
    }

    fn check(&self) -> Result<(), Error> {
        if self.poisoned || self.inner.is_none() {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    fn poison_on_err<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let res = f(self);
        if res.is_err() {
            self.poisoned = true;
        }
        res
    }

    /// The workers, started on first use.
    fn workers(&mut self) -> Result<&mut Workers<Job, Result<Done, Error>>, Error> {
        if self.workers.is_none() {
            let tools = Tools {
                codec: Arc::clone(&self.codec),
                pool: self.pool.clone(),
                spares: Arc::clone(&self.spares),
            };
            let task: Task<Job, Result<Done, Error>> =
                Arc::new(move |job: Job| encode(&tools, job));
            self.workers = Some(Workers::new(self.threads, task)?);
        }
        self.workers.as_mut().ok_or(Error::Worker)
    }

    /// Hands the pending plaintext to the workers as the next frame.
    fn submit(&mut self, is_final: bool) -> Result<(), Error> {
        let Some(plain) = self.plain.take() else {
            return Ok(());
        };
        self.submit_job(Plain::Buf(plain), is_final, &mut |_| {})
    }

    /// Hands `plain` to the workers as the next frame, first writing out
    /// frames (`written` is told their plaintext lengths) while too many are
    /// in flight.
    fn submit_job(
        &mut self,
        plain: Plain,
        is_final: bool,
        written: &mut dyn FnMut(u64),
    ) -> Result<(), Error> {
        while self.workers()?.in_flight() >= self.max_in_flight {
            if let Some(n) = self.write_next()? {
                written(n);
            }
        }
        let counter = self.counter;
        self.workers()?.submit(Job {
            counter,
            is_final,
            plain,
        })?;
        self.counter += 1;
        Ok(())
    }

    /// Writes out the oldest frame in flight (waiting for it); returns its
    /// plaintext length, `None` when none is in flight.
    fn write_next(&mut self) -> Result<Option<u64>, Error> {
        let Some(done) = self.workers.as_mut().and_then(Workers::next) else {
            return Ok(None);
        };
        let done = done??;
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        let pre = self.preamble.take();
        let mut slices = [
            IoSlice::new(pre.as_deref().unwrap_or_default()),
            IoSlice::new(
                done.head
                    .as_ref()
                    .map(frame::Header::as_bytes)
                    .unwrap_or_default(),
            ),
            IoSlice::new(done.out.as_slice()),
        ];
        write_all_vectored(inner, &mut slices)?;
        self.core
            .record_encoded(done.enc, done.plain_len, done.is_final)?;
        // A frame sealed in place holds only what was just written out (the
        // plaintext it was read into is ciphertext now): the next frame can
        // have its buffer without a wipe first.
        if seals_in_place(self.core.config()) {
            if let Payload::Pooled(buf) = done.out {
                self.spares.put(buf);
            }
        }
        Ok(Some(done.plain_len as u64))
    }

    fn output(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        if let Some(pre) = self.preamble.take() {
            inner.write_all(&pre)?;
        }
        inner.write_all(bytes)?;
        Ok(())
    }

    /// Ends the stream: the pending plaintext as the last frame (a sealed
    /// stream's final frame, empty if nothing is pending), waits for every
    /// frame, writes the end section, flushes, and returns the inner writer.
    ///
    /// # Errors
    /// The first error of any frame, [`Error::Io`], [`Error::Poisoned`]. The
    /// output is then incomplete (see the type's docs).
    pub fn finish(self) -> Result<W, Error> {
        self.finish_with(&mut |_| {})
    }

    fn finish_with(mut self, written: &mut dyn FnMut(u64)) -> Result<W, Error> {
        self.check()?;
        self.poison_on_err(|w| {
            if w.plain.as_ref().is_some_and(|p| !p.is_empty()) {
                w.submit(true)?;
            }
            while let Some(n) = w.write_next()? {
                written(n);
            }
            let mut end = vec![0u8; w.core.max_finish_len()];
            let n = w.core.finish(&mut end)?;
            w.output(end.get(..n).unwrap_or_default())?;
            w.inner.as_mut().ok_or(Error::Poisoned)?.flush()?;
            Ok(())
        })?;
        self.inner.take().ok_or(Error::Poisoned)
    }

    /// Writes everything `r` holds, to its end, as plaintext: read straight
    /// into the frame buffers (no copy through a buffer of the caller's), as
    /// `write_all` of the same bytes would write it. Returns the bytes read.
    ///
    /// # Errors
    /// [`Error::Io`] from reading `r` or writing the output, as
    /// [`write`](Write::write) otherwise; either poisons the writer.
    pub fn write_from<R: io::Read + ?Sized>(&mut self, r: &mut R) -> Result<u64, Error> {
        self.check()?;
        let max = self.max_plain;
        self.poison_on_err(|w| {
            let mut total = 0u64;
            loop {
                // The buffer to read into: the pending frame's, or a new one once
                // that is full (a full frame goes to the workers only once more
                // bytes came, as the last frame is the final one).
                let full = w.plain.as_ref().is_some_and(|p| p.len() == max);
                let mut p = match w.plain.take() {
                    Some(p) if !full => p,
                    pending => {
                        w.plain = pending;
                        w.pool.try_acquire(max)?.into_owned()
                    }
                };
                let room = max - p.len();
                // Bytes read before an error are wiped with the buffer.
                let n = loop {
                    match r.read(p.spare_mut_up_to(room)) {
                        Ok(n) => break n.min(room),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e.into()),
                    }
                };
                if n == 0 {
                    if !full {
                        w.plain = Some(p);
                    }
                    return Ok(total);
                }
                p.advance(n)?;
                total += n as u64;
                if full {
                    w.submit(false)?;
                }
                w.plain = Some(p);
            }
        })
    }

    /// Writes `len` bytes of `src` from `offset` as the rest of the stream and
    /// finishes it (as [`finish`](Self::finish)). The worker threads read
    /// their frames themselves with positioned reads ([`ReadAt`]), so the
    /// calling thread only writes the output, and no plaintext is copied
    /// between threads; without workers the calling thread reads each frame
    /// straight into the buffer it is encoded (or, for a stream without
    /// compression and sealing, written) from. The output is the same as
    /// `write_all` of those bytes and `finish`. A frame left partly filled by
    /// earlier writes is topped up first.
    ///
    /// `written` is told the plaintext length of each frame as it is written
    /// out (for progress).
    ///
    /// # Errors
    /// As [`finish`](Self::finish); [`Error::Io`] from reading `src`
    /// ([`io::ErrorKind::UnexpectedEof`] if it holds fewer than `len` bytes
    /// from `offset`).
    pub fn finish_from<S: ReadAt + Send + Sync + 'static>(
        self,
        src: Arc<S>,
        offset: u64,
        len: u64,
        written: impl FnMut(u64),
    ) -> Result<W, Error> {
        let src: Arc<dyn ReadAt + Send + Sync> = src;
        let top_up = Arc::clone(&src);
        self.finish_ranges(
            offset,
            len,
            &mut |buf, pos| Ok(top_up.read_exact_at(buf, pos)?),
            &mut |pos, n| Plain::At {
                src: Arc::clone(&src),
                offset: pos,
                len: n,
            },
            written,
        )
    }

    /// As [`finish_from`](Self::finish_from), `len` bytes of `src` from
    /// `offset`, where `src` is already in memory (a [`SharedSource`]: a
    /// mapped file). A stream without compression and sealing checksums each
    /// frame where it lies and writes it from there (no copy in this process,
    /// and no buffer to wipe); otherwise each frame is copied into its frame
    /// buffer (and, without compression, sealed in place there). The output
    /// is the same as `write_all` of those bytes and `finish`.
    ///
    /// The bytes must not change while this runs: a frame changed between
    /// its checksum and its write is written with a checksum that does not
    /// match (readers then reject it).
    ///
    /// # Errors
    /// As [`finish_from`](Self::finish_from) ([`io::ErrorKind::UnexpectedEof`]
    /// if `src` holds fewer than `len` bytes from `offset`).
    pub fn finish_from_shared<S: SharedSource + 'static>(
        self,
        src: Arc<S>,
        offset: usize,
        len: usize,
        written: impl FnMut(u64),
    ) -> Result<W, Error> {
        let src: SharedBytes = src;
        let top_up = Arc::clone(&src);
        self.finish_ranges(
            offset as u64,
            len as u64,
            &mut |buf, pos| {
                let at = usize::try_from(pos)
                    .map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))?;
                buf.copy_from_slice(shared_range(&top_up, at, buf.len())?);
                Ok(())
            },
            &mut |pos, n| Plain::Shared {
                src: Arc::clone(&src),
                // `pos` is below `offset + len`, a usize.
                offset: usize::try_from(pos).unwrap_or(usize::MAX),
                len: n,
            },
            written,
        )
    }

    /// `finish_from` and `finish_from_shared`: `top_up` fills a frame left
    /// partly filled by earlier writes (from a position), `job` makes the job
    /// of `n` bytes from a position.
    fn finish_ranges(
        mut self,
        offset: u64,
        len: u64,
        top_up: &mut TopUp<'_>,
        job: &mut dyn FnMut(u64, usize) -> Plain,
        mut written: impl FnMut(u64),
    ) -> Result<W, Error> {
        self.check()?;
        let max = self.max_plain;
        self.poison_on_err(|w| {
            let end = offset
                .checked_add(len)
                .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
            let mut pos = offset;
            if let Some(mut p) = w.plain.take().filter(|p| !p.is_empty()) {
                let take = usize::try_from(end - pos)
                    .unwrap_or(usize::MAX)
                    .min(max - p.len());
                top_up(p.spare_mut_up_to(take), pos)?;
                p.advance(take)?;
                pos += take as u64;
                if pos < end {
                    w.submit_job(Plain::Buf(p), false, &mut written)?;
                } else {
                    // The last frame: `finish` submits it.
                    w.plain = Some(p);
                }
            }
            while pos < end {
                let n = usize::try_from(end - pos).unwrap_or(usize::MAX).min(max);
                let is_final = pos + n as u64 == end;
                let plain = job(pos, n);
                w.submit_job(plain, is_final, &mut written)?;
                pos += n as u64;
            }
            Ok(())
        })?;
        self.finish_with(&mut written)
    }
}

/// Whether frames of `config` are sealed where their plaintext was put
/// (sealed, no compression): [`seal_in_place`] for a plaintext read from a
/// source, and their buffers then hold nothing but the frame, so [`Spares`]
/// can reuse them (compression's work could leave plaintext-derived bytes
/// past the frame).
fn seals_in_place(config: &Config) -> bool {
    config.sealed && config.compression == Compression::None
}

/// Buffers of frames sealed in place (no compression) and already written
/// out, rewound but not wiped, for the next such frames: they hold only
/// header, ciphertext and tag bytes that are in the output, so the per-frame
/// wipe (a `memset` of the whole frame, about 1.5% of a sealed `pack`) is not
/// needed. Each is wiped once, when it finally goes back to the pool (dropped
/// with the writer, or when more come back than are kept). Any failure after
/// a buffer is taken drops it, which wipes what it exposed, plaintext
/// included. Each frame written out gives one back and the next frame takes
/// one, so few are kept at a time; `keep` bounds them (one per worker and
/// two more) on top of the frames in flight.
struct Spares {
    bufs: Mutex<Vec<PooledBuf<'static>>>,
    keep: usize,
}

impl Spares {
    fn new(keep: usize) -> Self {
        Self {
            bufs: Mutex::new(Vec::with_capacity(keep)),
            keep,
        }
    }

    /// Keeps `buf` (emptied, not wiped) unless enough are kept.
    fn put(&self, mut buf: PooledBuf<'static>) {
        let mut bufs = self.bufs.lock().unwrap_or_else(PoisonError::into_inner);
        if bufs.len() < self.keep {
            buf.rewind();
            bufs.push(buf);
        }
    }

    /// An empty buffer of at least `need` bytes: a kept one, or a new one
    /// from `pool`.
    fn take(&self, pool: &BufferPool, need: usize) -> Result<PooledBuf<'static>, Error> {
        let kept = self
            .bufs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .filter(|b| b.capacity() >= need);
        match kept {
            Some(buf) => Ok(buf),
            None => Ok(pool.try_acquire(need)?.into_owned()),
        }
    }
}

/// What the workers encode frames with.
struct Tools {
    codec: Arc<FrameCodec>,
    pool: BufferPool,
    spares: Arc<Spares>,
}

/// A worker's job: one frame encoded into a pooled buffer (the plaintext
/// read first if the job says where from).
fn encode(tools: &Tools, job: Job) -> Result<Done, Error> {
    let Tools { codec, pool, .. } = tools;
    let config = codec.config();
    let plain_only = config.compression == Compression::None && !config.sealed;
    match &job.plain {
        Plain::At { src, offset, len } if seals_in_place(config) => {
            return seal_in_place(tools, job.counter, job.is_final, &**src, *offset, *len);
        }
        Plain::Shared { src, offset, len } => {
            src.will_read(*offset, *len);
            let bytes = shared_range(src, *offset, *len)?;
            if plain_only {
                // Checksummed where it is and written from there: no copy
                // in this process at all.
                let head = frame::header(config.checksum, bytes)?;
                let stored = u32::try_from(*len).map_err(|_| container::Error::PlainTooLong)?;
                return Ok(Done {
                    enc: Encoded {
                        len: head.as_bytes().len() + len,
                        stored,
                    },
                    head: Some(head),
                    plain_len: *len,
                    out: Payload::Shared {
                        src: Arc::clone(src),
                        start: *offset,
                        end: *offset + len,
                    },
                    is_final: job.is_final,
                });
            }
            if seals_in_place(config) {
                return seal_in_place(tools, job.counter, job.is_final, &bytes, 0, *len);
            }
        }
        _ => {}
    }
    let plain = match job.plain {
        Plain::Buf(plain) => plain,
        Plain::Shared { src, offset, len } => {
            src.will_read(offset, len);
            let mut plain = pool.try_acquire(len)?.into_owned();
            plain.extend_from_slice(shared_range(&src, offset, len)?)?;
            plain
        }
        Plain::At { src, offset, len } => {
            let mut plain = pool.try_acquire(len)?.into_owned();
            // Bytes read before an error are wiped with the buffer (the pool
            // wipes what `spare_mut_up_to` handed out).
            src.read_exact_at(plain.spare_mut_up_to(len), offset)?;
            plain.advance(len)?;
            plain
        }
    };
    if plain_only {
        // The frame is its header and the plaintext as it is: no copy, the
        // writing thread writes both with one vectored write.
        let head = frame::header(config.checksum, &plain)?;
        let stored = u32::try_from(plain.len()).map_err(|_| container::Error::PlainTooLong)?;
        return Ok(Done {
            enc: Encoded {
                len: head.as_bytes().len() + plain.len(),
                stored,
            },
            head: Some(head),
            plain_len: plain.len(),
            out: Payload::Pooled(plain),
            is_final: job.is_final,
        });
    }
    let need = codec.encode_buffer_len(plain.len());
    let mut out = if seals_in_place(config) {
        tools.spares.take(pool, need)?
    } else {
        pool.try_acquire(need)?.into_owned()
    };
    let enc = codec.encode(job.counter, job.is_final, &plain, out.spare_mut_up_to(need))?;
    out.advance(enc.len)?;
    Ok(Done {
        out: Payload::Pooled(out),
        head: None,
        enc,
        plain_len: plain.len(),
        is_final: job.is_final,
    })
}

/// `len` bytes of `src` from `offset`.
fn shared_range(src: &SharedBytes, offset: usize, len: usize) -> Result<&[u8], Error> {
    offset
        .checked_add(len)
        .and_then(|end| src.bytes().get(offset..end))
        .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof).into())
}

/// A sealed frame without compression, `len` bytes of `src` from `offset`:
/// read straight into the frame buffer at the payload's place and sealed there
/// (the ciphertext overwrites the plaintext), so there is no second buffer to
/// copy into and wipe. The bytes are those [`FrameCodec::encode`] writes.
fn seal_in_place(
    tools: &Tools,
    counter: u64,
    is_final: bool,
    src: &dyn ReadAt,
    offset: u64,
    len: usize,
) -> Result<Done, Error> {
    let Tools {
        codec,
        pool,
        spares,
    } = tools;
    let need = codec.encode_buffer_len(len);
    let mut out = spares.take(pool, need)?;
    let at = codec.payload_offset();
    // Bytes read before an error are wiped with the buffer (the pool wipes
    // what `spare_mut_up_to` handed out); `encode_in_place` wipes them too.
    let buf = out.spare_mut_up_to(need);
    let payload = buf
        .get_mut(at..at.saturating_add(len))
        .ok_or(container::Error::BufferTooSmall)?;
    src.read_exact_at(payload, offset)?;
    let enc = codec.encode_in_place(counter, is_final, len, buf)?;
    out.advance(enc.len)?;
    Ok(Done {
        out: Payload::Pooled(out),
        head: None,
        enc,
        plain_len: len,
        is_final,
    })
}

impl<W: Write> Write for ParallelContainerWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        let mut rest = buf;
        while !rest.is_empty() {
            if self
                .plain
                .as_ref()
                .is_some_and(|p| p.len() == self.max_plain)
            {
                self.poison_on_err(|w| w.submit(false))?;
            }
            if self.plain.is_none() {
                let max = self.max_plain;
                let p = self.poison_on_err(|w| Ok(w.pool.try_acquire(max)?.into_owned()))?;
                self.plain = Some(p);
            }
            let max_plain = self.max_plain;
            let plain = self.plain.as_mut().ok_or(Error::Poisoned)?;
            let take = (max_plain - plain.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            plain.extend_from_slice(now).map_err(Error::Pool)?;
            rest = later;
        }
        Ok(buf.len())
    }

    /// Writes out every frame in flight and flushes the inner writer; the
    /// plaintext of an unfinished frame stays buffered.
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.poison_on_err(|w| {
            while w.write_next()?.is_some() {}
            w.inner.as_mut().ok_or(Error::Poisoned)?.flush()?;
            Ok(())
        })?;
        Ok(())
    }
}
