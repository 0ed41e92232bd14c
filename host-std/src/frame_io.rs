//! `std::io` adapters for raw length-prefixed frames (wire contract section 2):
//! [`FrameWriter`] over any [`Write`](std::io::Write), [`FrameReader`] over any
//! [`Read`](std::io::Read), one frame at a time. For a self-describing stream
//! (checksum, compression and sealing named in a preamble, an end section that
//! proves it complete) use [`crate::container_io`].
//!
//! ```
//! use secstream::checksum::ChecksumKind;
//! use secstream::frame_io::{FrameReader, FrameWriter};
//!
//! let mut w = FrameWriter::new(Vec::new(), ChecksumKind::Crc32c);
//! w.write_frame(b"first")?;
//! w.write_frame(b"second")?;
//! let wire = w.finish()?;
//!
//! let mut r = FrameReader::new(&wire[..], ChecksumKind::Crc32c, 1024);
//! assert_eq!(r.read_frame()?, Some(&b"first"[..]));
//! assert_eq!(r.read_frame()?, Some(&b"second"[..]));
//! assert_eq!(r.read_frame()?, None); // a clean end between frames
//! # Ok::<(), secstream::Error>(())
//! ```
//!
//! # Writing
//! Frames are gathered in one batch buffer and written when it fills, so many
//! small frames cost one system call. A payload that does not fit the batch is
//! written with [`Write::write_vectored`](std::io::Write::write_vectored)
//! together with the batch and its frame header, without being copied. A writer
//! dropped without [`finish`](FrameWriter::finish) writes its buffered frames
//! (like [`std::io::BufWriter`], ignoring errors).
//!
//! # Reading
//! A [`FrameReader`] reads in chunks into a window and feeds the core decoder,
//! which hands out payloads in place. The maximum frame length is checked on the
//! length field, before anything is allocated or waited for. The frame buffer
//! grows on demand, only when a frame is split across reads, to that frame's
//! length (at least doubling, at most the maximum), so small frames never cost a
//! buffer of the maximum. The window, frame buffer and copies handed out are
//! wiped before reuse and on drop.
//!
//! With the `serde` feature, `FrameWriter::write_message` and
//! `FrameReader::read_message` carry postcard-encoded typed messages, one per
//! frame.

pub(crate) mod reader;
pub(crate) mod writer;

pub use reader::{FrameReader, Frames};
pub use writer::{DEFAULT_BATCH, FrameWriter};
