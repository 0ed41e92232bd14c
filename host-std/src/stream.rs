//! A FIFO byte stream of secrets that is sealed as it is written.
//!
//! A [`Stream`] implements [`Write`] and [`Read`]. Written bytes are cut into
//! chunks of [`Stream::chunk_size`] (4 × the page size: 16 KiB on x86-64
//! Linux); each chunk is sealed (XChaCha20-Poly1305 under the process key,
//! see [`secret`]) as soon as it is complete. Only the chunk
//! being filled and the chunk being read out ever exist as plaintext, each in
//! a guarded, locked region ([`GuardedRegion`]) that is wiped as bytes leave
//! it.
//!
//! - [`Stream::next`] (the [`Iterator`] impl) hands out the next chunk as a
//!   [`Secret`]; [`Stream::take_all`] everything that remains as one.
//! - [`Stream::size`] is the number of plaintext bytes held, without
//!   decrypting anything.
//! - A `Stream` is a handle: clones share one stream, and many threads may
//!   read and write at once. Each `write` call is all-or-error and lands in
//!   one piece; each `read` call takes bytes from the front in one piece. No
//!   byte is lost or read twice.
//! - Past its memory budget ([`StreamBuilder::memory_budget`]) chunks spill to
//!   a [`PageStore`] (by default an unnamed file, see [`spill`]) and are read
//!   back transparently, so a stream can hold more than RAM or the mlock limit.
//!
//! ```
//! use std::io::{Read, Write};
//! use secstream::stream::Stream;
//!
//! let mut stream = Stream::new()?;
//! stream.write_all(b"api-key: 0123456789abcdef")?;
//! assert_eq!(stream.size(), 25);
//! let mut head = [0u8; 9];
//! stream.read_exact(&mut head)?;
//! assert_eq!(&head, b"api-key: ");
//! let rest = stream.take_all()?; // the remaining 16 bytes, sealed
//! assert_eq!(rest.with_bytes(|b| b.len())?, 16);
//! assert_eq!(stream.size(), 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors and data loss
//! A chunk that fails authentication (in memory or spilled) or cannot be
//! read back from the spill poisons the stream: that read (or, when it
//! already returned earlier bytes, the next one) and every later call fail
//! with that error, rather than continuing with a gap. Reading an empty stream
//! returns `Ok(0)`, as a pipe whose writer is done would.

pub mod spill;

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use zeroize::Zeroize;

use crate::secret::{self, Sealer, Secret};
use crate::secret_memory::{self, GuardedRegion, clear_regs};
pub use spill::{FilePageStore, PageStore};
use spill::{PageRef, Spill};

/// Default memory budget: sealed bytes kept in RAM before chunks spill.
pub const DEFAULT_MEMORY_BUDGET: usize = 64 << 20;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Sealing, opening or guarded memory failed (authentication failure of
    /// an in-memory chunk included).
    Secret(secret::Error),
    /// The spill store failed.
    Io(io::ErrorKind),
    /// A spilled page failed its CRC-32C: it was torn or corrupted.
    SpillChecksum {
        /// Page index.
        page: u64,
    },
    /// A spilled page failed authentication or does not belong where it was
    /// found: it was modified or swapped.
    SpillTampered {
        /// Page index.
        page: u64,
    },
    /// The memory budget is used up and spilling is turned off.
    BudgetExceeded,
    /// The stream holds more bytes than can be returned as one secret.
    TooLarge,
    /// An earlier error lost data; the stream can no longer be used.
    Poisoned,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(e) => write!(f, "{e}"),
            Self::Io(kind) => write!(f, "spill store: {kind}"),
            Self::SpillChecksum { page } => write!(f, "spilled page {page} failed its checksum"),
            Self::SpillTampered { page } => {
                write!(f, "spilled page {page} failed authentication")
            }
            Self::BudgetExceeded => {
                f.write_str("stream memory budget exceeded and spilling is off")
            }
            Self::TooLarge => f.write_str("stream too large"),
            Self::Poisoned => f.write_str("stream poisoned by an earlier error"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Secret(e) => Some(e),
            _ => None,
        }
    }
}

impl From<secret::Error> for Error {
    fn from(e: secret::Error) -> Self {
        Self::Secret(e)
    }
}

impl From<secret_memory::Error> for Error {
    fn from(e: secret_memory::Error) -> Self {
        Self::Secret(e.into())
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match e {
            Error::Secret(secret::Error::AuthenticationFailed)
            | Error::SpillChecksum { .. }
            | Error::SpillTampered { .. } => io::ErrorKind::InvalidData,
            Error::Io(kind) => kind,
            Error::BudgetExceeded => io::ErrorKind::OutOfMemory,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

/// Where spilled chunks go.
enum SpillTo {
    Off,
    Dir(PathBuf),
    Store(Box<dyn PageStore>),
}

/// Options of a [`Stream`].
#[must_use = "call `build`"]
pub struct StreamBuilder {
    budget: usize,
    spill: SpillTo,
}

impl fmt::Debug for StreamBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamBuilder")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl StreamBuilder {
    /// Sealed bytes kept in RAM before chunks spill ([`DEFAULT_MEMORY_BUDGET`]
    /// by default). Zero spills every chunk.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
    }

    /// Spill into an unnamed file in `dir` (the default is the system's
    /// temporary directory).
    pub fn spill_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spill = SpillTo::Dir(dir.into());
        self
    }

    /// Spill into `store`.
    pub fn page_store(mut self, store: Box<dyn PageStore>) -> Self {
        self.spill = SpillTo::Store(store);
        self
    }

    /// Never spill: a write past the budget fails with
    /// [`Error::BudgetExceeded`].
    pub fn no_spill(mut self) -> Self {
        self.spill = SpillTo::Off;
        self
    }

    /// Makes the stream. Its two plaintext buffers are guarded regions of one
    /// chunk each, allocated now.
    ///
    /// # Errors
    /// [`Error::Secret`] when the guarded buffers cannot be allocated.
    pub fn build(self) -> Result<Stream, Error> {
        let chunk = secret_memory::page_size()
            .checked_mul(4)
            .ok_or(Error::TooLarge)?;
        let inner = Inner {
            staging: GuardedRegion::new(chunk)?,
            staged: 0,
            reading: GuardedRegion::new(chunk)?,
            read_pos: 0,
            read_len: 0,
            store: Chunks {
                chunk,
                list: VecDeque::new(),
                in_memory: 0,
                budget: self.budget,
                spill_to: self.spill,
                spill: None,
            },
            size: 0,
            poisoned: None,
        };
        Ok(Stream {
            inner: Arc::new(Mutex::new(inner)),
        })
    }
}

/// A chunk held by the stream.
enum Stored {
    Sealed(Secret),
    Spilled(PageRef),
}

struct Inner {
    /// Plaintext of the chunk being written.
    staging: GuardedRegion,
    staged: usize,
    /// Plaintext of the chunk being read; `read_pos .. read_len` remain.
    reading: GuardedRegion,
    read_pos: usize,
    read_len: usize,
    store: Chunks,
    size: u64,
    /// The error that lost data; returned by every later call.
    poisoned: Option<Error>,
}

/// The sealed chunks, in memory or spilled, oldest first.
struct Chunks {
    chunk: usize,
    list: VecDeque<Stored>,
    /// Sealed bytes of the in-memory chunks.
    in_memory: usize,
    budget: usize,
    spill_to: SpillTo,
    spill: Option<Spill>,
}

/// A FIFO byte stream sealed as it is written; see the [module docs](self).
///
/// Cloning gives another handle to the same stream (the bytes are not
/// copied). `Debug` shows only sizes.
#[derive(Clone)]
pub struct Stream {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("Stream")
            .field("size", &inner.size)
            .field("chunks", &inner.store.list.len())
            .finish_non_exhaustive()
    }
}

fn as_u64(n: usize) -> u64 {
    // usize is at most 64 bits on every supported target.
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Chunks {
    /// Stores a sealed copy of `plain`: in memory, or spilled past the budget.
    fn push_chunk(&mut self, sealer: &Sealer, plain: &[u8]) -> Result<(), Error> {
        let sealed_len = plain.len().saturating_add(secret::OVERHEAD);
        if self.in_memory.saturating_add(sealed_len) <= self.budget {
            self.list.push_back(Stored::Sealed(sealer.seal(plain)?));
            self.in_memory += sealed_len;
            return Ok(());
        }
        if self.spill.is_none() {
            let store: Box<dyn PageStore> =
                match std::mem::replace(&mut self.spill_to, SpillTo::Off) {
                    SpillTo::Off => return Err(Error::BudgetExceeded),
                    SpillTo::Dir(dir) => {
                        Box::new(FilePageStore::new_in(&dir).map_err(|e| Error::Io(e.kind()))?)
                    }
                    SpillTo::Store(store) => store,
                };
            self.spill = Some(Spill::new(store, self.chunk)?);
        }
        let spill = self.spill.as_mut().ok_or(Error::BudgetExceeded)?;
        let at = spill.put(plain)?;
        self.list.push_back(Stored::Spilled(at));
        Ok(())
    }
}

impl Inner {
    fn check(&self) -> Result<(), Error> {
        self.poisoned.map_or(Ok(()), Err)
    }

    /// Poisons the stream when `r` failed.
    fn poison_on_err<T>(&mut self, r: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = r {
            self.poisoned.get_or_insert(e);
        }
        r
    }

    /// Seals the staged bytes into a chunk and wipes the staging buffer.
    fn seal_staging(&mut self, sealer: &Sealer) -> Result<(), Error> {
        let staged = self.staged;
        let store = &mut self.store;
        let r = self.staging.write(|s| match s.get_mut(..staged) {
            Some(used) => {
                let r = store.push_chunk(sealer, used);
                used.zeroize();
                r
            }
            None => Err(Error::TooLarge),
        });
        self.staged = 0;
        r?
    }

    fn write(&mut self, mut buf: &[u8]) -> Result<usize, Error> {
        let _regs = clear_regs::ClearOnDrop;
        self.check()?;
        let total = buf.len();
        let chunk = self.store.chunk;
        if buf.is_empty() {
            return Ok(0);
        }
        let r = (|| {
            // Fill the staging chunk without the key when nothing completes.
            if self.staged.saturating_add(buf.len()) < chunk {
                let at = self.staged;
                self.staging.write(|s| stage(s, at, buf))??;
                self.staged += buf.len();
                return Ok(());
            }
            secret::with_sealer(|sealer| -> Result<(), Error> {
                while !buf.is_empty() {
                    if self.staged == 0 && buf.len() >= chunk {
                        // A whole chunk straight from the caller's buffer.
                        let (whole, rest) = buf.split_at(chunk);
                        self.store.push_chunk(sealer, whole)?;
                        buf = rest;
                        continue;
                    }
                    let at = self.staged;
                    let n = buf.len().min(chunk - at);
                    let (part, rest) = buf.split_at(n);
                    self.staging.write(|s| stage(s, at, part))??;
                    self.staged += n;
                    buf = rest;
                    if self.staged == chunk {
                        self.seal_staging(sealer)?;
                    }
                }
                Ok(())
            })?
        })();
        let r = self.poison_on_err(r);
        r?;
        self.size += as_u64(total);
        Ok(total)
    }

    /// Loads the next chunk into the reading buffer. False when there is none.
    fn load_next(&mut self, sealer: &mut Option<Sealer>) -> Result<bool, Error> {
        debug_assert_eq!(self.read_pos, self.read_len);
        match self.store.list.pop_front() {
            Some(Stored::Sealed(secret)) => {
                self.store.in_memory = self
                    .store
                    .in_memory
                    .saturating_sub(secret.len() + secret::OVERHEAD);
                let sealer = open_sealer(sealer)?;
                let len = secret.len();
                self.reading.write(|r| match r.get_mut(..len) {
                    Some(out) => sealer.open_into(&secret, out),
                    None => Err(secret::Error::TooLarge),
                })??;
                self.read_pos = 0;
                self.read_len = len;
                Ok(true)
            }
            Some(Stored::Spilled(at)) => {
                let spill = self.store.spill.as_mut().ok_or(Error::Poisoned)?;
                let len = at.len;
                self.reading.write(|r| match r.get_mut(..len) {
                    Some(out) => spill.take(at, out),
                    None => Err(Error::TooLarge),
                })??;
                self.read_pos = 0;
                self.read_len = len;
                Ok(true)
            }
            None if self.staged > 0 => {
                // The partial chunk being written moves to the read side.
                let staged = self.staged;
                let reading = &mut self.reading;
                self.staging.write(|s| {
                    let src = s.get_mut(..staged).ok_or(Error::TooLarge)?;
                    let r = reading.write(|r| stage(r, 0, src));
                    src.zeroize();
                    r?
                })??;
                self.staged = 0;
                self.read_pos = 0;
                self.read_len = staged;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn read(&mut self, mut out: &mut [u8]) -> Result<usize, Error> {
        let _regs = clear_regs::ClearOnDrop;
        self.check()?;
        let mut sealer = None;
        let mut done = 0;
        let r = (|| {
            while !out.is_empty() {
                if self.read_pos < self.read_len {
                    let (pos, n) = (
                        self.read_pos,
                        (self.read_len - self.read_pos).min(out.len()),
                    );
                    let (dst, rest) = std::mem::take(&mut out).split_at_mut(n);
                    self.reading.write(|r| {
                        let src = r.get_mut(pos..pos + n).ok_or(Error::TooLarge)?;
                        dst.copy_from_slice(src);
                        src.zeroize();
                        Ok::<(), Error>(())
                    })??;
                    out = rest;
                    self.read_pos += n;
                    done += n;
                    continue;
                }
                // A whole in-memory chunk straight into the caller's buffer:
                // the tag is checked before anything is decrypted into it.
                if let Some(Stored::Sealed(secret)) = self.store.list.front() {
                    let len = secret.len();
                    if out.len() >= len {
                        let (dst, rest) = std::mem::take(&mut out).split_at_mut(len);
                        open_sealer(&mut sealer)?.open_into(secret, dst)?;
                        self.store.list.pop_front();
                        self.store.in_memory =
                            self.store.in_memory.saturating_sub(len + secret::OVERHEAD);
                        out = rest;
                        done += len;
                        continue;
                    }
                }
                if !self.load_next(&mut sealer)? {
                    break;
                }
            }
            Ok(())
        })();
        self.size = self.size.saturating_sub(as_u64(done));
        let r = self.poison_on_err(r);
        // Bytes already copied out are returned; the error comes with the
        // next call (the stream is poisoned).
        match r {
            Err(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    /// The next chunk (or the rest of the current one) as a secret.
    fn next_secret(&mut self) -> Result<Option<Secret>, Error> {
        let _regs = clear_regs::ClearOnDrop;
        self.check()?;
        let r = (|| {
            let mut sealer = None;
            if self.read_pos == self.read_len {
                if let Some(Stored::Sealed(_)) = self.store.list.front() {
                    if let Some(Stored::Sealed(secret)) = self.store.list.pop_front() {
                        self.store.in_memory = self
                            .store
                            .in_memory
                            .saturating_sub(secret.len() + secret::OVERHEAD);
                        return Ok(Some(secret));
                    }
                }
                if !self.load_next(&mut sealer)? {
                    return Ok(None);
                }
            }
            let (pos, len) = (self.read_pos, self.read_len);
            let sealer = open_sealer(&mut sealer)?;
            let secret = self.reading.write(|r| {
                let rest = r.get_mut(pos..len).ok_or(Error::TooLarge)?;
                let s = sealer.seal(rest);
                rest.zeroize();
                Ok::<Secret, Error>(s?)
            })??;
            self.read_pos = len;
            Ok(Some(secret))
        })();
        let r = self.poison_on_err(r);
        if let Ok(Some(secret)) = &r {
            self.size = self.size.saturating_sub(as_u64(secret.len()));
        }
        r
    }

    fn take_all(&mut self) -> Result<Secret, Error> {
        let _regs = clear_regs::ClearOnDrop;
        self.check()?;
        let total = usize::try_from(self.size).map_err(|_| Error::TooLarge)?;
        let mut all = GuardedRegion::new(total)?;
        let got = all.write(|buf| self.read(buf))??;
        if got != total {
            self.check()?;
            return Err(Error::Poisoned);
        }
        let secret = all.read(|plain| secret::with_sealer(|s| s.seal(plain)))???;
        all.free()?;
        Ok(secret)
    }

    fn flush(&mut self) -> Result<(), Error> {
        let _regs = clear_regs::ClearOnDrop;
        self.check()?;
        if self.staged == 0 {
            return Ok(());
        }
        let r = secret::with_sealer(|sealer| self.seal_staging(sealer)).map_err(Error::from);
        self.poison_on_err(r.and_then(|r| r))
    }
}

/// Copies `bytes` into `buf` at `at`; an error if they do not fit (which the
/// chunk bookkeeping rules out; never drop bytes silently).
fn stage(buf: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), Error> {
    let end = at.checked_add(bytes.len()).ok_or(Error::TooLarge)?;
    buf.get_mut(at..end)
        .ok_or(Error::TooLarge)?
        .copy_from_slice(bytes);
    Ok(())
}

/// The process key's sealer, made once per call on first need.
fn open_sealer(slot: &mut Option<Sealer>) -> Result<&Sealer, Error> {
    if slot.is_none() {
        *slot = Some(secret::sealer()?);
    }
    slot.as_ref().ok_or(Error::Poisoned)
}

impl Stream {
    /// A stream with the default memory budget, spilling to the system's
    /// temporary directory.
    ///
    /// # Errors
    /// See [`StreamBuilder::build`].
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// Options for a new stream.
    pub fn builder() -> StreamBuilder {
        StreamBuilder {
            budget: DEFAULT_MEMORY_BUDGET,
            spill: SpillTo::Dir(std::env::temp_dir()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes per chunk: 4 × the page size.
    #[must_use]
    pub fn chunk_size(&self) -> usize {
        self.lock().store.chunk
    }

    /// Plaintext bytes the stream holds, known without decrypting.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.lock().size
    }

    /// True when the stream holds no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }

    /// Chunks currently spilled to the page store.
    #[must_use]
    pub fn spilled_chunks(&self) -> u64 {
        self.lock()
            .store
            .spill
            .as_ref()
            .map_or(0, Spill::pages_in_use)
    }

    /// True when both plaintext buffers of the stream are locked into RAM
    /// (see [`LockPolicy`](crate::secret_memory::LockPolicy)).
    #[must_use]
    pub fn is_locked(&self) -> bool {
        let inner = self.lock();
        inner.staging.is_locked() && inner.reading.is_locked()
    }

    /// Seals any partial chunk, so that no written byte is left as
    /// plaintext (the [`Write::flush`] impl does the same).
    ///
    /// # Errors
    /// As for writing.
    pub fn seal_pending(&self) -> Result<(), Error> {
        self.lock().flush()
    }

    /// Appends `bytes` in one piece (no other write lands inside them).
    ///
    /// # Errors
    /// [`Error::BudgetExceeded`] with spilling off, [`Error::Io`] from the
    /// spill store, [`Error::Secret`], or the error that poisoned the stream.
    /// A failed write may have stored part of `bytes`, so it poisons the
    /// stream.
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        self.lock().write(bytes).map(|_| ())
    }

    /// Moves up to `out.len()` bytes from the front of the stream into `out`;
    /// returns how many (0 when the stream is empty).
    ///
    /// # Errors
    /// [`Error::SpillChecksum`], [`Error::SpillTampered`] or an
    /// authentication failure when a chunk was modified (the stream is then
    /// poisoned); [`Error::Io`]; the error that poisoned the stream.
    pub fn read_bytes(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.lock().read(out)
    }

    /// The next chunk as a secret (or the unread rest of a partly read one,
    /// or the partial chunk being written); `None` when the stream is empty.
    ///
    /// # Errors
    /// As for [`Stream::read_bytes`].
    pub fn next_secret(&self) -> Result<Option<Secret>, Error> {
        self.lock().next_secret()
    }

    /// Everything the stream holds, as one secret; the stream is then empty.
    ///
    /// # Errors
    /// As for [`Stream::read_bytes`], and [`Error::Secret`] when a guarded
    /// buffer of the whole size cannot be allocated.
    pub fn take_all(&self) -> Result<Secret, Error> {
        self.lock().take_all()
    }
}

/// `next()` returns the next chunk as a [`Secret`]; see [`Stream::next_secret`].
impl Iterator for Stream {
    type Item = Result<Secret, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_secret().transpose()
    }
}

impl Write for &Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.lock().write(buf)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(self.lock().flush()?)
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Read for &Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.lock().read(buf)?)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_reads_wipe_the_reading_buffer() {
        let mut s = Stream::new().unwrap();
        s.write_all(&[0x77; 100]).unwrap();
        let mut two = [0u8; 2];
        s.read_exact(&mut two).unwrap();
        let inner = s.lock();
        let consumed_zero = inner
            .reading
            .read(|r| r[..2].iter().all(|&b| b == 0))
            .unwrap();
        let rest_there = inner
            .reading
            .read(|r| r[2..100].iter().all(|&b| b == 0x77))
            .unwrap();
        assert!(consumed_zero && rest_there);
        let staging_zero = inner.staging.read(|r| r.iter().all(|&b| b == 0)).unwrap();
        assert!(staging_zero, "staging wiped after moving to the read side");
    }

    #[test]
    #[cfg_attr(miri, ignore)] // 48 KiB through ChaCha20: too slow under Miri
    fn sealed_chunks_hold_no_plaintext() {
        let s = Stream::new().unwrap();
        let chunk = s.chunk_size();
        s.write_bytes(&vec![0x5A; 3 * chunk]).unwrap();
        let mut inner = s.lock();
        assert_eq!(inner.store.list.len(), 3);
        assert_eq!(inner.staged, 0);
        for stored in &mut inner.store.list {
            let Stored::Sealed(secret) = stored else {
                panic!("in memory")
            };
            let sealed = secret.sealed_mut();
            assert_eq!(sealed.len(), chunk + secret::OVERHEAD);
            assert!(!sealed.windows(16).any(|w| w == [0x5A; 16]));
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // 32 KiB through ChaCha20: too slow under Miri
    fn tampered_in_memory_chunk_poisons() {
        let s = Stream::new().unwrap();
        let chunk = s.chunk_size();
        s.write_bytes(&vec![1; 2 * chunk]).unwrap();
        if let Some(Stored::Sealed(secret)) = s.lock().store.list.get_mut(1) {
            secret.sealed_mut()[40] ^= 1;
        }
        let mut out = vec![0; 2 * chunk];
        assert_eq!(
            s.read_bytes(&mut out).unwrap(),
            chunk,
            "the good chunk comes out"
        );
        let err = s.read_bytes(&mut out[chunk..]).unwrap_err();
        assert_eq!(err, Error::Secret(secret::Error::AuthenticationFailed));
        assert!(
            out[chunk..].iter().all(|&b| b != 1),
            "no plaintext of the bad chunk"
        );
        assert_eq!(s.read_bytes(&mut out), Err(err), "poisoned");
    }
}
