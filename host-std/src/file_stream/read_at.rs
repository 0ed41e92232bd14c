//! [`ReadAt`]: positioned reads, the source a [`FileStream`](super::FileStream)
//! reads from.

use std::fs::File;
use std::io;
use std::sync::Arc;

/// A byte source read at offsets, with no cursor: several threads may read one
/// at once. Implemented for [`File`] (the operating system's positioned read,
/// see [`read_file_at`]), for bytes in memory (`[u8]`, `Vec<u8>`), and through
/// `&T`, `Box<T>` and `Arc<T>`. Tests plug in sources that count what is read
/// or make up their contents.
pub trait ReadAt {
    /// Reads up to `buf.len()` bytes starting at `offset`; returns how many were
    /// read, 0 at or past the end.
    ///
    /// # Errors
    /// What the operating system said.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// The source's length in bytes.
    ///
    /// # Errors
    /// What the operating system said.
    fn size(&self) -> io::Result<u64>;

    /// Fills `buf` from `offset`, retrying short and interrupted reads.
    ///
    /// # Errors
    /// [`io::ErrorKind::UnexpectedEof`] if the source ends first, else as
    /// [`read_at`](Self::read_at).
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    let n = n.min(buf.len());
                    buf = &mut buf[n..];
                    offset = offset.saturating_add(n as u64);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// One positioned read of `file` (`pread` on Unix, `ReadFile` with an offset on
/// Windows); the file's cursor is not used (on Windows it moves, but nothing
/// here relies on it).
///
/// # Errors
/// What the operating system said; [`io::ErrorKind::Unsupported`] on platforms
/// without positioned reads.
pub fn read_file_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::FileExt::seek_read(file, buf, offset)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, buf, offset);
        Err(io::ErrorKind::Unsupported.into())
    }
}

impl ReadAt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        read_file_at(self, buf, offset)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let src = self.get(start..).unwrap_or_default();
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        Ok(n)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.as_slice().read_at(buf, offset)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        (**self).read_at(buf, offset)
    }

    fn size(&self) -> io::Result<u64> {
        (**self).size()
    }
}

impl<T: ReadAt + ?Sized> ReadAt for Box<T> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        (**self).read_at(buf, offset)
    }

    fn size(&self) -> io::Result<u64> {
        (**self).size()
    }
}

impl<T: ReadAt + ?Sized> ReadAt for Arc<T> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        (**self).read_at(buf, offset)
    }

    fn size(&self) -> io::Result<u64> {
        (**self).size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    #[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
    fn memory_and_file_sources_read_at_offsets() {
        let data: Vec<u8> = (0..=255u8).collect();
        let mut buf = [0u8; 8];
        assert_eq!(data.read_at(&mut buf, 250).unwrap(), 6);
        assert_eq!(&buf[..6], &data[250..]);
        assert_eq!(data.read_at(&mut buf, 256).unwrap(), 0);
        assert_eq!(data.read_at(&mut buf, u64::MAX).unwrap(), 0);
        assert_eq!(
            data.read_exact_at(&mut buf, 252).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );

        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&data).unwrap();
        assert_eq!(ReadAt::size(&f).unwrap(), 256);
        f.read_exact_at(&mut buf, 100).unwrap();
        assert_eq!(&buf, &data[100..108]);
        // From several threads at once: no shared cursor.
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let f = &f;
                let data = &data;
                s.spawn(move || {
                    for i in 0..50u64 {
                        let at = (t * 31 + i * 7) % 248;
                        let mut b = [0u8; 8];
                        f.read_exact_at(&mut b, at).unwrap();
                        assert_eq!(&b[..], &data[at as usize..at as usize + 8]);
                    }
                });
            }
        });
    }
}
