//! Inputs: a file, or stdin (`-`), which must not be a terminal: like zstd, a command
//! refuses to read a container or data typed at a console ("stdin is a console").

use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::sync::Arc;

use secstream::file_stream::ReadAt;

use crate::exit::{Exit, Failure, Result};
use crate::names::is_stdin;

/// An open input.
pub(crate) struct Input {
    pub(crate) reader: Box<dyn Read + Send>,
    /// The size of a regular file (`None` for stdin, a pipe or a device).
    pub(crate) size: Option<u64>,
    /// A regular file, for positioned reads (the pipeline's workers read their
    /// own frames); `reader` reads the same file.
    pub(crate) file: Option<Arc<InputAt>>,
    /// `stdin` or the path, for messages.
    pub(crate) name: String,
}

impl Input {
    /// The file mapped into memory (Linux, [`crate::mapped`]): a regular, non-empty
    /// file whose bytes a command can use where they lie. `None`: read it (also when
    /// mapping fails).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn mapped(&self) -> Option<Arc<crate::mapped::Mapped>> {
        let (file, size) = (self.file.as_ref()?, self.size.filter(|&s| s > 0)?);
        crate::mapped::Mapped::new(file.file(), size, &self.name)
            .ok()
            .map(Arc::new)
    }

    /// No mapping on other systems.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn mapped(&self) -> Option<std::convert::Infallible> {
        None
    }

    /// Opens `path` (`-`: stdin).
    ///
    /// # Errors
    /// Usage: stdin is a terminal. I/O: the file cannot be opened.
    pub(crate) fn open(path: &Path) -> Result<Self> {
        if is_stdin(path) {
            if io::stdin().is_terminal() {
                return Err(Failure::usage(
                    "stdin is a console, aborting",
                    "give a file name, or pipe data in",
                ));
            }
            return Ok(Self {
                reader: Box::new(io::stdin()),
                size: None,
                file: None,
                name: "stdin".to_owned(),
            });
        }
        let name = path.display().to_string();
        let file = File::open(path).map_err(|e| Failure::io(format!("cannot open {name}"), &e))?;
        let meta = file
            .metadata()
            .map_err(|e| Failure::io(format!("cannot open {name}"), &e))?;
        if meta.is_dir() {
            return Err(Failure::usage(format!("input {name}"), "is a directory"));
        }
        let at = if meta.is_file() {
            let dup = file
                .try_clone()
                .map_err(|e| Failure::io(format!("cannot open {name}"), &e))?;
            Some(Arc::new(InputAt(dup)))
        } else {
            None
        };
        Ok(Self {
            reader: Box::new(file),
            size: meta.is_file().then_some(meta.len()),
            file: at,
            name,
        })
    }
}

/// Reads until `buf` is full or the input ends; the bytes read.
///
/// # Errors
/// The reader's error (`Interrupted` is retried).
pub(crate) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(buf.get_mut(n..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A regular input file read with positioned reads. Its errors carry an
/// [`InputError`], so that a command can tell them from the output's.
#[derive(Debug)]
pub(crate) struct InputAt(File);

/// An error reading the input (inside the `io::Error` that a positioned read
/// of an [`InputAt`] returns).
#[derive(Debug)]
pub(crate) struct InputError(io::Error);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.kind() == io::ErrorKind::UnexpectedEof {
            f.write_str("the file shrank while it was read")
        } else {
            fmt::Display::fmt(&self.0, f)
        }
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// A file whose size went from `was` to `now` while it was packed.
    pub(crate) fn changed(was: u64, now: u64) -> Self {
        Self(io::Error::other(format!(
            "the file changed size while it was read ({was} bytes, then {now}): pack it again"
        )))
    }

    /// A mapped file that got shorter while it was read.
    pub(crate) fn shrank() -> Self {
        Self(io::ErrorKind::UnexpectedEof.into())
    }

    /// The failure of a write from the mapped input `name` that met a page cut off
    /// by a truncation (`EFAULT`: the kernel's copy found no memory there); `None`
    /// for any other error of `e`.
    pub(crate) fn cut_mapping(e: &io::Error, name: &str) -> Option<Failure> {
        #[cfg(unix)]
        let cut = e.raw_os_error() == Some(libc::EFAULT);
        #[cfg(not(unix))]
        let cut = {
            let _ = e;
            false
        };
        cut.then(|| Failure::new(Exit::Io, format!("reading {name}"), Self::shrank()))
    }

    /// The input's error carried by `e`, if it carries one.
    pub(crate) fn of(e: &io::Error) -> Option<&Self> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<Self>())
    }
}

fn input_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), InputError(e))
}

impl InputAt {
    /// The file.
    #[cfg_attr(
        not(any(target_os = "linux", target_os = "android")),
        expect(dead_code, reason = "only mapped on Linux")
    )]
    pub(crate) const fn file(&self) -> &File {
        &self.0
    }
}

impl ReadAt for InputAt {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.0.read_at(buf, offset).map_err(input_error)
    }

    fn size(&self) -> io::Result<u64> {
        ReadAt::size(&self.0).map_err(input_error)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.0.read_exact_at(buf, offset).map_err(input_error)
    }
}

/// A reader whose errors (other than `Interrupted`) carry an [`InputError`].
pub(crate) struct Tagged<R>(pub(crate) R);

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                input_error(e)
            }
        })
    }
}
