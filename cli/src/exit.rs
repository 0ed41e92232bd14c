//! Exit codes that tell a script what happened, and [`Failure`]: one line on stderr,
//! `secstream: <what>: <why>`, with the code that goes with it.

use std::fmt;
use std::io;

use secstream::container;

/// What went wrong, as the process exit code. The table is [`TABLE`] (shown by `--help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// 1: anything not listed below (an internal error, the random generator failed,
    /// the memory of a passphrase's key derivation could not be allocated).
    Other = 1,
    /// 2: the command line is wrong, or asks for something refused before any work
    /// (stdin is a terminal, the output exists and `--force` was not given, no output name).
    Usage = 2,
    /// 3: reading or writing a file (or stdin/stdout) failed: what the system said.
    Io = 3,
    /// 4: a key problem: a key file or variable is missing or malformed, a sealed
    /// container was given no key, or an unsealed one a key.
    Key = 4,
    /// 5: the input is not an intact container: not a container at all, a checksum
    /// mismatch, truncated, extra bytes, an unsupported version or option.
    Integrity = 5,
    /// 6: a sealed frame failed authentication: the wrong key, or modified data.
    Authentication = 6,
}

/// The exit-code table for `--help` (and the README).
pub(crate) const TABLE: &str = "\
Exit codes:
  0    success
  1    other failure (internal error, or no memory to derive a passphrase's key)
  2    usage: bad arguments, or refused before any work (stdin is a terminal,
       output exists without --force, output is a symbolic link, no output name)
  3    i/o error reading or writing a file, stdin or stdout
  4    key: key file, variable or passphrase missing or malformed, a sealed
       container without a key or passphrase, or a key for an unsealed one
  5    integrity: not a secstream container, checksum mismatch, truncated,
       bytes after the end, unsupported version or option, a damaged
       passphrase envelope or Argon2id costs above the limits
  6    authentication failed: wrong key or passphrase, or the sealed data
       was modified
  128+N  killed by signal N (interrupted: 130 SIGINT, 143 SIGTERM, 129 SIGHUP;
       a closed output pipe ends quietly as 141 SIGPIPE, like zstd); an
       interrupted run removes its temporary output first";

impl Exit {
    /// The process exit code.
    pub(crate) const fn code(self) -> u8 {
        self as u8
    }

    /// The class of a library error.
    pub(crate) fn of(e: &secstream::Error) -> Self {
        use container::Error as C;
        match e {
            secstream::Error::Io(_) => Self::Io,
            // Asked to seek in a container written without an index.
            secstream::Error::NoIndex => Self::Usage,
            secstream::Error::Container(C::Authentication) => Self::Authentication,
            secstream::Error::Container(C::KeyRequired | C::NotSealed | C::PassphraseEnvelope) => {
                Self::Key
            }
            secstream::Error::Container(
                C::CounterOverflow | C::NotPlain | C::NotStarted | C::Finished | C::BufferTooSmall,
            )
            | secstream::Error::Random(_)
            | secstream::Error::KdfMemory(_)
            | secstream::Error::Kdf(_)
            | secstream::Error::Pool(_)
            | secstream::Error::Worker
            | secstream::Error::Poisoned => Self::Other,
            _ => Self::Integrity,
        }
    }
}

/// A failure, printed as `secstream: <what>: <why>`, ending the process with `exit`.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    why: String,
    exit: Exit,
    /// Writing the output failed because its reader went away (a closed pipe): the
    /// process ends quietly, as SIGPIPE would end it.
    broken_pipe: bool,
}

impl Failure {
    pub(crate) fn new(exit: Exit, what: impl fmt::Display, why: impl fmt::Display) -> Self {
        Self {
            what: what.to_string(),
            why: why.to_string(),
            exit,
            broken_pipe: false,
        }
    }

    /// A usage failure (exit 2).
    pub(crate) fn usage(what: impl fmt::Display, why: impl fmt::Display) -> Self {
        Self::new(Exit::Usage, what, why)
    }

    /// An operating system error about `what` (exit 3; a closed pipe ends quietly).
    pub(crate) fn io(what: impl fmt::Display, e: &io::Error) -> Self {
        let mut f = Self::new(Exit::Io, what, e);
        f.broken_pipe = e.kind() == io::ErrorKind::BrokenPipe;
        f
    }

    /// A library error and its chain of sources, each printed once, classified by [`Exit::of`].
    pub(crate) fn lib(what: impl fmt::Display, e: &secstream::Error) -> Self {
        let mut why = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            why.push_str(": ");
            why.push_str(&s.to_string());
            src = s.source();
        }
        if matches!(
            e,
            secstream::Error::Container(container::Error::Authentication)
        ) {
            // What a user can do about it (age says "no identity matched").
            why.push_str(" (wrong key, or the sealed data was modified)");
        }
        Self::new(Exit::of(e), what, why)
    }

    /// The same failure for a container opened with a passphrase: an authentication
    /// failure says "wrong passphrase" rather than "wrong key".
    pub(crate) fn by_passphrase(mut self, yes: bool) -> Self {
        if yes && self.exit == Exit::Authentication {
            self.why = "authentication failed (wrong passphrase, or the sealed data was modified)"
                .to_owned();
        }
        self
    }

    pub(crate) const fn exit(&self) -> Exit {
        self.exit
    }

    pub(crate) const fn is_broken_pipe(&self) -> bool {
        self.broken_pipe
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secstream: {}: {}", self.what, self.why)
    }
}

pub(crate) type Result<T, E = Failure> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_one_line_and_classified() {
        let f = Failure::lib(
            "unpack x.sst",
            &secstream::Error::Container(container::Error::Authentication),
        );
        assert_eq!(
            f.to_string(),
            "secstream: unpack x.sst: authentication failed (wrong key, or the sealed data was modified)"
        );
        assert_eq!(f.exit(), Exit::Authentication);
        let io = secstream::Error::Io(io::Error::other("disk on fire"));
        let f = Failure::lib("pack x", &io);
        assert_eq!(f.to_string(), "secstream: pack x: i/o error: disk on fire");
        assert_eq!(f.exit().code(), 3);
        for (e, code) in [
            (container::Error::Truncated, 5),
            (container::Error::BadMagic, 5),
            (container::Error::BadChecksum { frame: 3 }, 5),
            (container::Error::TrailingData, 5),
            (container::Error::KeyRequired, 4),
            (container::Error::PassphraseEnvelope, 4),
            (container::Error::NotSealed, 4),
            (container::Error::CounterOverflow, 1),
        ] {
            assert_eq!(
                Exit::of(&secstream::Error::Container(e)).code(),
                code,
                "{e}"
            );
        }
        let pipe = Failure::io("writing stdout", &io::ErrorKind::BrokenPipe.into());
        assert!(pipe.is_broken_pipe());
        assert!(!Failure::io("x", &io::ErrorKind::NotFound.into()).is_broken_pipe());
    }
}
