//! Inputs: a file, or stdin (`-`), which must not be a terminal: like zstd, a command
//! refuses to read a container or data typed at a console ("stdin is a console").

use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::Path;

use crate::exit::{Failure, Result};
use crate::names::is_stdin;

/// An open input.
pub(crate) struct Input {
    pub(crate) reader: Box<dyn Read + Send>,
    /// The size of a regular file (`None` for stdin, a pipe or a device).
    pub(crate) size: Option<u64>,
    /// `stdin` or the path, for messages.
    pub(crate) name: String,
}

impl Input {
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
        Ok(Self {
            reader: Box::new(file),
            size: meta.is_file().then_some(meta.len()),
            name,
        })
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
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
