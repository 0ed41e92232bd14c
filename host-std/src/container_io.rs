//! Containers (wire contract section 4) over `std::io`: [`ContainerWriter`] is an
//! [`io::Write`](std::io::Write) that splits plaintext into frames, and
//! [`ContainerReader`] an [`io::Read`](std::io::Read) +
//! [`io::BufRead`](std::io::BufRead) that checks, opens and decompresses them.
//! Options (checksum, compression and level, frame size, index) go through one
//! [`ContainerOptions`] value; every limit and default is the core's
//! ([`secstream_core::container::Config`]).
//!
//! ```
//! use std::io::{Read, Write};
//! use secstream::compress::Compression;
//! use secstream::container_io::{ContainerOptions, ContainerReader};
//! use secstream::seal::MasterKey;
//!
//! let key = MasterKey::generate()?;
//! let mut w = ContainerOptions::new()
//!     .compression(Compression::Lz4)
//!     .frame_size(64 * 1024)
//!     .sealed_writer(Vec::new(), &key)?; // a fresh random stream nonce
//! w.write_all(b"hello, sealed world")?;
//! let file = w.finish()?; // the final frame and the end section; without it, readers say truncated
//!
//! let mut r = ContainerReader::sealed(&file[..], key);
//! let mut text = String::new();
//! r.read_to_string(&mut text)?;
//! assert_eq!(text, "hello, sealed world");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors come out of the `Read`/`Write` impls as [`std::io::Error`]: what the
//! operating system said, unchanged, or `InvalidData` (`UnexpectedEof` for a
//! truncated stream) carrying a [`crate::Error`] that
//! `secstream::Error::from(io_error)` gives back.
//!
//! The plaintext buffer of the writer, the reader's window, frame buffer,
//! decompression output and current frame are wiped before reuse and on drop.

pub(crate) mod reader;
pub(crate) mod writer;

pub use reader::{ContainerReader, Frames};
pub use writer::{ContainerOptions, ContainerWriter};
