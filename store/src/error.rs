//! The store's error type.

use std::fmt;
use std::io;

use secstream_core::container;

use crate::db::DbError;

/// Error of the store.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error outside the database (export, import, the caller's reader).
    Io(io::Error),
    /// The storage engine failed (I/O below it, or a damaged file it detected).
    Database(DbError),
    /// The file holds data this store did not write: a damaged or altered
    /// record, chunk or table.
    Corrupt(&'static str),
    /// A stored frame failed its checks (checksum, authentication, length); with
    /// [`container::Error::Authentication`] the chunk was altered, moved from
    /// another stream or version, or the key is wrong.
    Container(container::Error),
    /// The key does not match the one the store was created with.
    WrongKey,
    /// No such path (or version).
    NotFound,
    /// Another writer (a [`StreamWriter`](crate::StreamWriter), `delete`,
    /// `compact`) is open on this store.
    Busy,
    /// The path is empty, longer than [`MAX_PATH_LEN`](crate::MAX_PATH_LEN) or
    /// holds a NUL byte.
    InvalidPath,
    /// An option is out of range (named).
    BadOptions(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "i/o error: {e}"),
            Self::Database(e) => write!(f, "database error: {e}"),
            Self::Corrupt(what) => write!(f, "store file is corrupt: {what}"),
            Self::Container(e) => write!(f, "stored stream is damaged: {e}"),
            Self::WrongKey => f.write_str("wrong key for this store"),
            Self::NotFound => f.write_str("no such path or version"),
            Self::Busy => f.write_str("another writer is open on this store"),
            Self::InvalidPath => f.write_str("invalid path (empty, too long or holding NUL)"),
            Self::BadOptions(what) => write!(f, "bad store option: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Container(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<container::Error> for Error {
    fn from(e: container::Error) -> Self {
        Self::Container(e)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::Io(e) => e.kind(),
            Error::Database(d) => d.io_kind().unwrap_or(if d.is_corruption() {
                io::ErrorKind::InvalidData
            } else {
                io::ErrorKind::Other
            }),
            Error::Corrupt(_) | Error::Container(_) | Error::WrongKey => io::ErrorKind::InvalidData,
            Error::NotFound => io::ErrorKind::NotFound,
            Error::Busy => io::ErrorKind::WouldBlock,
            Error::InvalidPath | Error::BadOptions(_) => io::ErrorKind::InvalidInput,
        };
        match e {
            Error::Io(e) => e,
            e => Self::new(kind, e),
        }
    }
}
