//! secstream for std hosts.
//!
//! Re-exports the allocation-free [`secstream_core`] and adds what a server
//! expects: `std::io` adapters over its buffers and rings.
//!
//! - [`frame_io`]: [`FrameWriter`](frame_io::FrameWriter) and
//!   [`FrameReader`](frame_io::FrameReader), frames and containers over `std::io`
//!   (the `secstream` CLI is built on them).
//! - [`pool`]: [`BufferPool`](pool::BufferPool), buffers by size class with
//!   caps, eviction, statistics and a per-thread fast path, wiped on return;
//!   [`RegionPool`](pool::RegionPool) of locked secret regions;
//!   [`ConnectionBuffers`](pool::ConnectionBuffers) for one connection.
//! - [`secret_memory`]: [`GuardedRegion`](secret_memory::GuardedRegion), bytes
//!   in mlock'd pages between guard pages, no-access unless borrowed, wiped
//!   before unmapping; the mlock [`LockPolicy`](secret_memory::LockPolicy).
//! - [`secret`]: [`Secret`](secret::Secret), bytes sealed at rest under a split,
//!   re-split process key; [`purge`](secret::purge) and opt-in purge on signals.
//! - [`stream`]: [`Stream`](stream::Stream), a `Read + Write` byte stream sealed
//!   in chunks as it is written, shared across threads, spilling to an unnamed
//!   file past its memory budget. What is protected and what is not:
//!   `docs/threat-model.md`.
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

pub mod frame_io;
pub mod pool;
pub mod secret;
pub mod secret_memory;
pub mod stream;
