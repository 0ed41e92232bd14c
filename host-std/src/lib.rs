//! secstream for std hosts.
//!
//! Re-exports the allocation-free [`secstream_core`] and adds what a server
//! expects: `std::io` adapters over its formats, buffers and rings, and locked
//! secret memory.
//!
//! - [`container_io`]: [`ContainerWriter`](container_io::ContainerWriter) (an
//!   `io::Write`) and [`ContainerReader`](container_io::ContainerReader) (an
//!   `io::Read + BufRead`), options through
//!   [`ContainerOptions`](container_io::ContainerOptions). The `secstream` CLI
//!   (crate `secstream-cli`) is built on them.
//! - [`file_stream`]: [`FileStream`](file_stream::FileStream), a container
//!   file read as its plaintext with `Read + BufRead + Seek` and
//!   [`read_at`](file_stream::FileStream::read_at) from many threads at once
//!   (through the index: only the frames holding a range are read and opened).
//! - `passphrase` (feature `passphrase`): passphrase-protected containers, the
//!   master key derived with Argon2id from a passphrase and the salt and costs
//!   of an envelope before the container.
//! - [`progress`]: [`Progress`](progress::Progress), bytes done, total, rate and
//!   time left on an injectable clock, with counting reader and writer.
//! - [`frame_io`]: [`FrameWriter`](frame_io::FrameWriter) and
//!   [`FrameReader`](frame_io::FrameReader), raw frames one at a time (typed
//!   postcard messages with the `serde` feature).
//! - [`pool`]: [`BufferPool`](pool::BufferPool), buffers by size class with
//!   caps, eviction, statistics and a per-thread fast path, wiped on return;
//!   [`RegionPool`](pool::RegionPool) of locked secret regions;
//!   [`ConnectionBuffers`](pool::ConnectionBuffers) for one connection.
//! - [`secret_memory`]: [`GuardedRegion`](secret_memory::GuardedRegion), bytes
//!   in mlock'd pages between guard pages, no-access unless borrowed, wiped
//!   before unmapping; the mlock [`LockPolicy`](secret_memory::LockPolicy);
//!   CPU registers cleared after each use of secret bytes
//!   ([`clear_registers`](secret_memory::clear_registers)) and
//!   [`disable_core_dumps`](secret_memory::disable_core_dumps).
//! - [`secret`]: [`Secret`](secret::Secret), bytes sealed at rest under a split,
//!   re-split process key; [`purge`](secret::purge) and opt-in purge on signals.
//! - [`stream`]: [`Stream`](stream::Stream), a `Read + Write` byte stream sealed
//!   in chunks as it is written, shared across threads, spilling to an unnamed
//!   file past its memory budget. What is protected and what is not:
//!   `docs/threat-model.md`.
//!
//! Keys: [`MasterKey::generate`](seal::MasterKey::generate) draws one from the
//! operating system, [`MasterKey::load`](seal::MasterKey::load) reads a key file
//! (32 raw bytes, hex or base64).
//!
//! ```
//! use std::io::{Read, Write};
//! use secstream::ring::Ring;
//!
//! let mut ring = Ring::<16>::new();
//! ring.write_all(b"hello")?;
//! let mut out = [0u8; 5];
//! ring.read_exact(&mut out)?;
//! assert_eq!(&out, b"hello");
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(unsafe_code)]

pub use secstream_core::*;

pub mod container_io;
mod error;
pub mod file_stream;
pub mod frame_io;
mod frame_open;
#[cfg(feature = "passphrase")]
pub mod passphrase;
pub mod pipeline;
pub mod pool;
pub mod progress;
pub mod secret;
pub mod secret_memory;
mod source;
pub mod stream;
#[cfg(feature = "tokio")]
pub mod tokio;
mod xchacha;

pub use error::Error;
