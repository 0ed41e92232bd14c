//! The secstream store: encrypted, versioned byte streams under paths, in one
//! crash-safe file.
//!
//! - [`Store::open`] a file with a [`MasterKey`](secstream_core::seal::MasterKey);
//!   [`Store::put`] returns a [`StreamWriter`] (an `io::Write`) whose
//!   [`commit`](StreamWriter::commit) makes the new version appear atomically and
//!   durably (dropped uncommitted, nothing is kept); [`Store::get`] returns a
//!   [`StreamReader`] (`io::Read + io::Seek`) holding one chunk in memory at a
//!   time whatever the stream's size.
//! - [`Store::list`] (by prefix, in order), [`Store::stat`], [`Store::delete`],
//!   [`Store::versions`] and [`Store::get_version`] (the last
//!   [`Options::with_keep_versions`] versions of each path are kept),
//!   [`Store::compact`].
//! - Readers run alongside the one writer, each on a consistent snapshot
//!   ([`Store::view`]).
//! - Each version is a sealed container v2 stream whose frames are the stored
//!   chunks: [`Store::export`] writes it as a `.sst` file byte for byte,
//!   [`Store::import`] reads one back. Chunks are bound to their path, version and
//!   position (see `docs/store.md`): moved or altered, they fail authentication.
//!
//! The engine is [redb](https://www.redb.org) (copy-on-write B-trees, atomic
//! durable commits), wrapped in one module. What the file reveals (paths,
//! sizes, times, version counts) and what it protects: `docs/store.md`.

#![forbid(unsafe_code)]

mod db;
mod error;
mod options;
mod reader;
mod record;
mod store;
mod writer;

pub use db::{DbError, StorageBackend, in_guarded_engine_call};
pub use error::Error;
pub use options::Options;
pub use reader::StreamReader;
pub use store::{MAX_PATH_LEN, Stat, Store, View};
pub use writer::StreamWriter;
