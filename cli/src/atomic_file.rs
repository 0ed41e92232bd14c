//! [`AtomicFile`]: an output written under a temporary name in the same directory and
//! renamed into place only when everything succeeded, so a failed or interrupted run
//! leaves neither a partial output nor its temporary file (see [`crate::signals`]).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::signals::Registration;

/// A temporary file renamed to `dest` by [`commit`](Self::commit); removed if dropped before.
pub(crate) struct AtomicFile {
    tmp: PathBuf,
    dest: PathBuf,
    file: Option<File>,
    /// Keeps the temporary path registered for removal on a signal.
    registration: Option<Registration>,
}

impl AtomicFile {
    /// Creates the temporary file beside `dest`. `private` makes it readable by the
    /// owner only (mode 0600). Whether `dest` may be replaced is the caller's decision.
    ///
    /// # Errors
    /// The system's error creating the file.
    pub(crate) fn create(dest: &Path, private: bool) -> io::Result<Self> {
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".to_owned());
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o666 });
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut last = None;
        for _ in 0..8 {
            let mut r = [0u8; 6];
            getrandom::fill(&mut r).map_err(|e| io::Error::other(e.to_string()))?;
            let tag: String = r.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = dir.join(format!(".{base}.{tag}.tmp"));
            // Registered before it exists: a signal at any later moment removes it.
            let registration = Registration::new(&tmp);
            match opts.open(&tmp) {
                Ok(file) => {
                    return Ok(Self {
                        tmp,
                        dest: dest.to_path_buf(),
                        file: Some(file),
                        registration: Some(registration),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("cannot create a temporary file")))
    }

    /// The open temporary file.
    pub(crate) fn file(&mut self) -> io::Result<&mut File> {
        // Only `commit` takes the file, and it consumes `self`.
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("output already committed"))
    }

    /// The temporary file's path.
    pub(crate) fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Syncs the data and renames the file into place.
    ///
    /// # Errors
    /// The system's error syncing or renaming (the temporary file is then removed).
    pub(crate) fn commit(mut self) -> io::Result<()> {
        if let Some(f) = self.file.take() {
            f.sync_all()?;
        }
        fs::rename(&self.tmp, &self.dest)?;
        self.tmp = PathBuf::new();
        self.registration.take();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.tmp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.tmp);
        }
        // Unregistered only after the removal.
        self.registration.take();
    }
}
