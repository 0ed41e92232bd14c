//! Where output goes, decided before any work: stdout; a device or FIFO, written
//! through; or a regular file, written through an [`AtomicFile`] (a temporary file
//! renamed into place on success).
//!
//! An existing regular file is replaced only with `--force`. A FIFO or a character
//! device (`/dev/null`, a terminal) is written through as a shell redirection would,
//! without `--force`; a block device only with `--force`. A symbolic link is never
//! replaced: one that points to a FIFO or device is written through, any other is
//! refused (give the path it points to).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::atomic_file::AtomicFile;
use crate::exit::{Failure, Result};

/// An output as named on the command line (after default names are applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Stdout,
    Path(PathBuf),
}

impl Target {
    /// For messages: `stdout` or the path.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Stdout => "stdout".to_owned(),
            Self::Path(p) => p.display().to_string(),
        }
    }
}

/// How an output will be written; see [`plan`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    Stdout,
    /// An existing FIFO or device, opened for writing as it is.
    Through(PathBuf),
    /// A new or replaced regular file, through a temporary file.
    Atomic(PathBuf),
}

/// Decides how `target` is written, or refuses it; touches nothing.
///
/// # Errors
/// Usage failures (exists without `--force`, a symbolic link, a directory, a socket) and
/// the system's error looking at the path.
pub(crate) fn plan(target: &Target, force: bool) -> Result<Plan> {
    let path = match target {
        Target::Stdout => return Ok(Plan::Stdout),
        Target::Path(p) => p,
    };
    let refuse = |why: &str| Failure::usage(format!("output {}", path.display()), why);
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        // `-o missing/`: a directory that does not exist, not a file to create.
        Err(e) if e.kind() == io::ErrorKind::NotFound && ends_with_separator(path) => {
            return Err(Failure::io(
                format!("output {}", path.display()),
                &io::Error::new(io::ErrorKind::NotFound, "no such directory"),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Plan::Atomic(path.clone())),
        Err(e) => return Err(Failure::io(format!("output {}", path.display()), &e)),
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        return match fs::metadata(path).map(|m| special(&m.file_type())) {
            Ok(Special::Stream) | Ok(Special::Block) if force => Ok(Plan::Through(path.clone())),
            Ok(Special::Stream) => Ok(Plan::Through(path.clone())),
            _ => Err(refuse(
                "is a symbolic link; it is not replaced (give the path it points to)",
            )),
        };
    }
    if ft.is_file() {
        return if force {
            Ok(Plan::Atomic(path.clone()))
        } else {
            Err(refuse("file exists (use --force to overwrite)"))
        };
    }
    match special(&ft) {
        Special::Stream => return Ok(Plan::Through(path.clone())),
        Special::Block if force => return Ok(Plan::Through(path.clone())),
        Special::Block => return Err(refuse("is a block device (use --force to write to it)")),
        Special::No => {}
    }
    if ft.is_dir() {
        return Err(refuse("is a directory"));
    }
    Err(refuse("is not a regular file, a FIFO or a device"))
}

fn ends_with_separator(path: &Path) -> bool {
    path.as_os_str()
        .to_string_lossy()
        .ends_with(std::path::is_separator)
}

/// Refuses a file output that is the input itself (`pack f -o f --force`), as zstd
/// does: renaming the result over it would destroy the input.
///
/// # Errors
/// Usage: the output is the input file.
pub(crate) fn refuse_input(plan: &Plan, input: &Path) -> Result<()> {
    let Plan::Atomic(out) = plan else {
        return Ok(());
    };
    if crate::names::is_stdin(input) {
        return Ok(());
    }
    if let (Ok(i), Ok(o)) = (fs::metadata(input), fs::metadata(out))
        && same_file(&i, &o)
    {
        return Err(Failure::usage(
            format!("output {}", out.display()),
            "is the input file; refusing to overwrite it",
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &fs::Metadata, _b: &fs::Metadata) -> bool {
    false
}

/// Files that are written through rather than replaced.
#[cfg_attr(
    not(unix),
    allow(dead_code, reason = "FIFOs and devices are Unix files")
)]
enum Special {
    /// A FIFO or a character device: written through without `--force`.
    Stream,
    /// A block device: written through with `--force`.
    Block,
    No,
}

#[cfg(unix)]
fn special(ft: &fs::FileType) -> Special {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() || ft.is_char_device() {
        Special::Stream
    } else if ft.is_block_device() {
        Special::Block
    } else {
        Special::No
    }
}

#[cfg(not(unix))]
fn special(_ft: &fs::FileType) -> Special {
    Special::No
}

enum Sink {
    Stdout(io::StdoutLock<'static>),
    Through(File),
    Atomic(AtomicFile),
}

/// An open output; counts the bytes written.
pub(crate) struct Output {
    sink: Sink,
    target: Target,
    written: u64,
}

impl Output {
    /// Opens what [`plan`] decided. `private` makes a new file readable by its owner
    /// only (mode 0600: plaintext of a sealed container).
    ///
    /// # Errors
    /// The system's error opening or creating the file.
    pub(crate) fn open(plan: Plan, private: bool) -> Result<Self> {
        let (sink, target) = match plan {
            Plan::Stdout => (Sink::Stdout(io::stdout().lock()), Target::Stdout),
            Plan::Through(p) => {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .map_err(|e| Failure::io(format!("cannot open {}", p.display()), &e))?;
                (Sink::Through(f), Target::Path(p))
            }
            Plan::Atomic(p) => {
                let f = AtomicFile::create(&p, private)
                    .map_err(|e| Failure::io(format!("cannot create {}", p.display()), &e))?;
                (Sink::Atomic(f), Target::Path(p))
            }
        };
        Ok(Self {
            sink,
            target,
            written: 0,
        })
    }

    /// The temporary file, if the output goes through one (for `-v`).
    pub(crate) fn temp_path(&self) -> Option<&Path> {
        match &self.sink {
            Sink::Atomic(f) => Some(f.temp_path()),
            _ => None,
        }
    }

    /// A failure writing this output (a closed pipe ends quietly).
    pub(crate) fn failure(&self, e: &io::Error) -> Failure {
        Failure::io(format!("writing {}", self.target.name()), e)
    }

    /// Flushes, and renames a temporary file into place.
    ///
    /// # Errors
    /// The system's error flushing, syncing or renaming.
    pub(crate) fn commit(self) -> Result<u64> {
        let Self {
            sink,
            target,
            written,
        } = self;
        let fail = |e: &io::Error| Failure::io(format!("writing {}", target.name()), e);
        match sink {
            Sink::Stdout(mut s) => s.flush().map_err(|e| fail(&e))?,
            Sink::Through(mut f) => f.flush().map_err(|e| fail(&e))?,
            Sink::Atomic(f) => f.commit().map_err(|e| fail(&e))?,
        }
        Ok(written)
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &mut self.sink {
            Sink::Stdout(s) => s.write(buf),
            Sink::Through(f) => f.write(buf),
            Sink::Atomic(f) => f.file()?.write(buf),
        }?;
        self.written += n as u64;
        Ok(n)
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n = match &mut self.sink {
            Sink::Stdout(s) => s.write_vectored(bufs),
            Sink::Through(f) => f.write_vectored(bufs),
            Sink::Atomic(f) => f.file()?.write_vectored(bufs),
        }?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(s) => s.flush(),
            Sink::Through(f) => f.flush(),
            Sink::Atomic(f) => f.file()?.flush(),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        let t = |p: &Path| Target::Path(p.to_path_buf());
        assert_eq!(plan(&t(&new), false).unwrap(), Plan::Atomic(new.clone()));
        fs::write(&new, b"x").unwrap();
        assert_eq!(plan(&t(&new), false).unwrap_err().exit().code(), 2);
        assert_eq!(plan(&t(&new), true).unwrap(), Plan::Atomic(new.clone()));
        let null = Path::new("/dev/null");
        assert_eq!(plan(&t(null), false).unwrap(), Plan::Through(null.into()));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&new, &link).unwrap();
        for force in [false, true] {
            let e = plan(&t(&link), force).unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        let to_null = dir.path().join("to-null");
        std::os::unix::fs::symlink(null, &to_null).unwrap();
        assert_eq!(
            plan(&t(&to_null), false).unwrap(),
            Plan::Through(to_null.clone())
        );
        assert!(plan(&t(dir.path()), true).is_err());
        assert_eq!(plan(&Target::Stdout, false).unwrap(), Plan::Stdout);
    }
}
