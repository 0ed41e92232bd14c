//! The worker pipeline: containers written and read with frames compressed and
//! sealed, or opened and decompressed, on worker threads, in order.
//!
//! - [`ParallelContainerWriter`] (an `io::Write`, from
//!   [`ContainerOptions::parallel_writer`](crate::container_io::ContainerOptions::parallel_writer)
//!   and [`parallel_sealed_writer`](crate::container_io::ContainerOptions::parallel_sealed_writer))
//!   writes the same bytes as a [`ContainerWriter`](crate::container_io::ContainerWriter)
//!   with the same options and nonce, whatever the thread count. Its
//!   [`finish_from`](ParallelContainerWriter::finish_from) takes the rest of
//!   the stream from a [`ReadAt`](crate::file_stream::ReadAt) source (a
//!   regular file): each worker reads its own frames with positioned reads,
//!   and the calling thread only writes the output;
//!   [`finish_from_shared`](ParallelContainerWriter::finish_from_shared) takes it
//!   from bytes in memory (a [`SharedSource`]: a mapped file), written without
//!   a copy when the stream is neither compressed nor sealed.
//! - [`ParallelContainerReader`] (an `io::Read` + `io::BufRead`) hands out the
//!   same plaintext, with the same checks, as a
//!   [`ContainerReader`](crate::container_io::ContainerReader); made with
//!   [`from_shared`](ParallelContainerReader::from_shared) over a
//!   [`SharedSource`] (a mapped file) it hands out an unsealed, uncompressed
//!   container's frames from the source itself, checked where they lie.
//! - [`ChunkMode`] says how many threads: [`Sequential`](ChunkMode::Sequential)
//!   (none: everything in the calling thread), [`Parallel(n)`](ChunkMode::Parallel),
//!   or [`Auto`](ChunkMode::Auto) (the available cores).
//!
//! ```
//! use std::io::{Read, Write};
//! use secstream::compress::Compression;
//! use secstream::container_io::ContainerOptions;
//! use secstream::pipeline::{ChunkMode, ParallelContainerReader};
//! use secstream::seal::MasterKey;
//!
//! let key = MasterKey::generate()?;
//! let mut w = ContainerOptions::new()
//!     .compression(Compression::Lz4)
//!     .frame_size(64 * 1024)
//!     .parallel_sealed_writer(Vec::new(), &key, ChunkMode::Parallel(2))?;
//! w.write_all(&vec![7u8; 1 << 20])?;
//! let file = w.finish()?; // write to a temporary file, rename it once this is Ok
//!
//! let key = MasterKey::from_bytes(key.as_bytes());
//! let mut r = ParallelContainerReader::sealed(&file[..], key, ChunkMode::Auto);
//! let mut back = Vec::new();
//! r.read_to_end(&mut back)?;
//! assert_eq!(back, vec![7u8; 1 << 20]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Threads, order and memory
//! Worker threads take frames from a bounded queue; the thread that writes
//! (or reads) hands frames to them and puts the results back in order. At
//! most about twice as many frames as workers are in flight, each in buffers
//! from a [`BufferPool`](crate::pool::BufferPool) that are wiped when they go
//! back: memory stays a few frames per worker whatever the stream's length.
//! A pool passed in (`with_pool`) with a cap on bytes handed out must allow
//! about `2 * (workers + 1)` plaintext and encoded frames: past its cap a frame
//! fails with [`Error::Pool`](crate::Error::Pool) (the pipeline never waits
//! on the pool, so it cannot deadlock on it).
//!
//! # Errors stop the pipeline
//! An error in any frame ends the work: the writer returns it and then
//! [`Error::Poisoned`](crate::Error::Poisoned) (its output is not a valid
//! container: write to a temporary file and rename it into place only after
//! [`finish`](ParallelContainerWriter::finish) succeeded); the reader hands out
//! every frame before the bad one, then the error, and no plaintext after it.
//! A panic in a worker is reported as [`Error::Worker`](crate::Error::Worker)
//! for its frame.

mod reader;
mod shared;
mod workers;
mod writer;

pub use self::reader::ParallelContainerReader;
pub use self::shared::{SharedReader, SharedSource};
pub use self::writer::ParallelContainerWriter;

/// The most worker threads a pipeline starts (as zstd caps `-T`): a larger
/// [`ChunkMode::Parallel`] count, or more available cores, is reduced to it.
pub const MAX_WORKERS: usize = 256;

/// How many threads work on frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChunkMode {
    /// No worker threads: frames are encoded or opened in the calling thread.
    Sequential,
    /// `n` worker threads (0 counts as 1, more than [`MAX_WORKERS`] as
    /// [`MAX_WORKERS`]).
    Parallel(usize),
    /// One worker per available core ([`std::thread::available_parallelism`],
    /// at most [`MAX_WORKERS`]); sequential on a single core.
    #[default]
    Auto,
}

impl ChunkMode {
    /// The mode for a `-j`/`--threads N` option, as zstd's `-T`: 0 is
    /// [`Auto`](Self::Auto), 1 [`Sequential`](Self::Sequential), more
    /// [`Parallel`](Self::Parallel).
    #[must_use]
    pub const fn from_threads(n: usize) -> Self {
        match n {
            0 => Self::Auto,
            1 => Self::Sequential,
            n => Self::Parallel(n),
        }
    }

    /// The number of threads working on frames: 1 for sequential (the
    /// calling thread), else the workers.
    #[must_use]
    pub fn threads(self) -> usize {
        self.worker_threads().max(1)
    }

    /// Worker threads to start (0: none, the calling thread does the work).
    pub(crate) fn worker_threads(self) -> usize {
        match self {
            Self::Sequential => 0,
            // Capped: a huge count would overflow the in-flight bounds and
            // the job queue's capacity, and could not start anyway.
            Self::Parallel(n) => n.clamp(1, MAX_WORKERS),
            Self::Auto => match std::thread::available_parallelism().map_or(1, usize::from) {
                1 => 0,
                n => n.min(MAX_WORKERS),
            },
        }
    }
}

#[cfg(test)]
mod tests;
