//! The one error type of the host crate's stream adapters.

use std::fmt;
use std::io;

use secstream_core::{container, frame};

/// Error of the `std::io` adapters ([`crate::frame_io`], [`crate::container_io`]).
///
/// Each variant is one failure with one name across modules: a frame error is
/// [`Error::Frame`], a container error [`Error::Container`] (with the core's
/// precise reason, such as `Truncated` or `Authentication`), an operating system
/// error [`Error::Io`] with what the OS said. `Display` prints this error's own
/// words; the cause, where there is one, comes from
/// [`source`](std::error::Error::source), so a chain prints each part once.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The underlying reader or writer failed.
    Io(io::Error),
    /// A raw frame could not be read or written.
    Frame(frame::Error),
    /// A container could not be read or written.
    Container(container::Error),
    /// The operating system's random generator failed (stream nonce, key).
    Random(getrandom::Error),
    /// A typed message could not be encoded or decoded (feature `serde`).
    #[cfg(feature = "serde")]
    Message(secstream_core::message::Error),
    /// The writer failed before (an earlier error); it writes nothing more.
    Poisoned,
    /// The container has no index, so it cannot be read at an offset
    /// ([`crate::file_stream`]); it was written without one (`--no-index`).
    NoIndex,
    /// A buffer pool refused a frame buffer.
    Pool(crate::pool::Error),
    /// A worker thread of the pipeline ([`crate::pipeline`]) panicked or could not
    /// be started.
    Worker,
    /// A passphrase envelope could not be read: not one, damaged, or costs
    /// above the limits (`passphrase` module).
    Passphrase(secstream_core::passphrase::Error),
    /// The memory of the passphrase key derivation could not be allocated.
    KdfMemory(std::collections::TryReserveError),
    /// Argon2 refused its input (feature `passphrase`).
    #[cfg(feature = "passphrase")]
    Kdf(argon2::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(_) => f.write_str("i/o error"),
            Self::Frame(e) => write!(f, "{e}"),
            Self::Container(e) => write!(f, "{e}"),
            Self::Random(_) => f.write_str("random generator failed"),
            #[cfg(feature = "serde")]
            Self::Message(e) => write!(f, "{e}"),
            Self::Poisoned => f.write_str("writer failed earlier"),
            Self::NoIndex => f.write_str(
                "the container has no index, so it cannot seek; re-pack it without --no-index",
            ),
            Self::Pool(e) => write!(f, "{e}"),
            Self::Worker => f.write_str("a worker thread failed"),
            Self::Passphrase(e) => write!(f, "{e}"),
            Self::KdfMemory(_) => {
                f.write_str("cannot allocate the memory of the passphrase key derivation")
            }
            #[cfg(feature = "passphrase")]
            Self::Kdf(_) => f.write_str("passphrase key derivation failed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Random(e) => Some(e),
            Self::KdfMemory(e) => Some(e),
            #[cfg(feature = "passphrase")]
            Self::Kdf(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        // An adapter's own error carried through `io::Error` comes back as itself.
        if e.get_ref().is_some_and(|inner| inner.is::<Self>()) {
            return match e.into_inner().map(|b| b.downcast::<Self>()) {
                Some(Ok(own)) => *own,
                _ => Self::Poisoned,
            };
        }
        Self::Io(e)
    }
}

impl From<frame::Error> for Error {
    fn from(e: frame::Error) -> Self {
        Self::Frame(e)
    }
}

impl From<crate::pool::Error> for Error {
    fn from(e: crate::pool::Error) -> Self {
        Self::Pool(e)
    }
}

impl From<secstream_core::passphrase::Error> for Error {
    fn from(e: secstream_core::passphrase::Error) -> Self {
        Self::Passphrase(e)
    }
}

impl From<container::Error> for Error {
    fn from(e: container::Error) -> Self {
        Self::Container(e)
    }
}

impl From<Error> for io::Error {
    /// For the `Read`/`Write` impls: an operating system error is returned as it was;
    /// any other error as `InvalidData` (`UnexpectedEof` for truncation) carrying the
    /// [`Error`], which `From<io::Error>` recovers.
    fn from(e: Error) -> Self {
        match e {
            Error::Io(io) => io,
            Error::Frame(frame::Error::Truncated)
            | Error::Container(container::Error::Truncated) => {
                Self::new(io::ErrorKind::UnexpectedEof, e)
            }
            Error::NoIndex => Self::new(io::ErrorKind::Unsupported, e),
            Error::Pool(_) => Self::new(io::ErrorKind::OutOfMemory, e),
            Error::Worker => Self::other(e),
            other => Self::new(io::ErrorKind::InvalidData, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_their_source_once_and_round_trip_through_io() {
        let io = Error::from(io::Error::other("disk on fire"));
        assert_eq!(io.to_string(), "i/o error");
        let src = std::error::Error::source(&io).unwrap();
        assert_eq!(src.to_string(), "disk on fire");
        let e = Error::Container(container::Error::Authentication);
        assert_eq!(e.to_string(), "authentication failed");
        let as_io = io::Error::from(e);
        assert_eq!(as_io.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(
            Error::from(as_io),
            Error::Container(container::Error::Authentication)
        ));
        let t = io::Error::from(Error::Container(container::Error::Truncated));
        assert_eq!(t.kind(), io::ErrorKind::UnexpectedEof);
        let os = io::Error::from_raw_os_error(2);
        let back = io::Error::from(Error::from(os));
        assert_eq!(back.raw_os_error(), Some(2), "the OS error is kept");
    }
}
