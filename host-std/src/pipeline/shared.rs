//! [`SharedSource`]: bytes already in memory (a mapped file), which a
//! [`ParallelContainerWriter`](super::ParallelContainerWriter) writes and a
//! [`ParallelContainerReader`](super::ParallelContainerReader) reads without
//! copying them first; [`SharedReader`], the reader's input over one.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::pool::PooledBuf;

/// Bytes in memory that the calling thread and the workers share, for
/// [`finish_from_shared`](super::ParallelContainerWriter::finish_from_shared)
/// and [`ParallelContainerReader::from_shared`](super::ParallelContainerReader::from_shared).
/// A read-only mapping of a file is the use: an unsealed, uncompressed frame
/// is then checksummed where it lies and written (or handed out) from there,
/// so the process copies none of it (with `read` it copies each byte in and
/// out).
pub trait SharedSource: Send + Sync {
    /// All the bytes.
    fn bytes(&self) -> &[u8];

    /// A hint that `len` bytes from `offset` are read next (a mapping
    /// populates its page tables); the default does nothing.
    fn will_read(&self, offset: usize, len: usize) {
        let _ = (offset, len);
    }
}

impl SharedSource for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl SharedSource for Box<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

/// A [`SharedSource`] behind an `Arc`, as the pipeline holds it.
pub(crate) type SharedBytes = Arc<dyn SharedSource>;

/// A frame's bytes: in a pooled buffer, or a range of a shared source.
pub(crate) enum Payload {
    /// In a pooled buffer (wiped when it goes back).
    Pooled(PooledBuf<'static>),
    /// A range of the shared source, as it is.
    Shared {
        src: SharedBytes,
        start: usize,
        end: usize,
    },
}

impl Payload {
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Self::Pooled(b) => b.as_slice(),
            Self::Shared { src, start, end } => src.bytes().get(*start..*end).unwrap_or_default(),
        }
    }
}

/// The input of a [`ParallelContainerReader`](super::ParallelContainerReader)
/// made by [`from_shared`](super::ParallelContainerReader::from_shared): an
/// `io::Read` over a [`SharedSource`] whose frames the reader can also take
/// as ranges, uncopied.
pub struct SharedReader {
    pub(crate) src: SharedBytes,
    /// The next byte to read (shared with the reader, which skips frames it
    /// takes as ranges).
    pub(crate) pos: Arc<AtomicUsize>,
}

impl std::fmt::Debug for SharedReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedReader")
            .field("len", &self.src.bytes().len())
            .field("pos", &self.pos.load(Ordering::Relaxed))
            .finish()
    }
}

impl io::Read for SharedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pos = self.pos.load(Ordering::Relaxed);
        let rest = self.src.bytes().get(pos..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.pos.store(pos + n, Ordering::Relaxed);
        Ok(n)
    }
}
