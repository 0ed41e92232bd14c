//! Spilling sealed chunks to a file of fixed-size pages.
//!
//! Past its memory budget a [`Stream`](super::Stream) writes chunks to a
//! [`PageStore`]: by default a [`FilePageStore`], a file that has no name
//! (Linux `O_TMPFILE`) or is unlinked right after it is created, so nothing
//! outlives the process. Each chunk takes one page, sealed with a key that
//! exists only in this process's guarded memory:
//!
//! ```text
//! offset      size  field
//! 0           8     write sequence number, u64 LE
//! 8           4     plaintext length n, u32 LE
//! 12          24    XChaCha20-Poly1305 nonce (random)
//! 36          n     ciphertext
//! 36 + n      16    tag
//! ...               zeros up to the page's last 4 bytes
//! P - 4       4     CRC-32C (Castagnoli) of bytes 0 .. P - 4, u32 LE
//! ```
//!
//! The associated data binds the page index, the sequence number and the
//! length, so a page moved to another slot or replaced by an older page from
//! the same slot fails authentication. The CRC tells a torn or corrupted page
//! apart from a forged one before any decryption; either is an error, never
//! wrong bytes.

use std::fs::File;
use std::io;
use std::path::Path;

use secstream_core::checksum::crc32c;

use super::Error;
use crate::secret_memory::{GuardedRegion, clear_regs};
use crate::xchacha;

/// Bytes of a page beyond its chunk: header, tag and CRC, rounded up.
pub const PAGE_OVERHEAD: usize = 64;

const HEADER_LEN: usize = 8 + 4 + 24;
const TAG_LEN: usize = 16;
const CRC_LEN: usize = 4;
const AAD_LABEL: &[u8; 16] = b"secstream spill1";

/// Fixed-size page storage behind a spilling stream.
///
/// Pages are numbered from 0; the page size is fixed by the stream (its
/// chunk size plus [`PAGE_OVERHEAD`]) and is the length of every buffer passed
/// in. Implement it to put spilled pages elsewhere, or in tests to simulate
/// corruption.
pub trait PageStore: Send {
    /// Reads page `index` into `page` (exactly `page.len()` bytes).
    ///
    /// # Errors
    /// Any I/O error; a page never written may read as an error or as zeros.
    fn read_page(&mut self, index: u64, page: &mut [u8]) -> io::Result<()>;

    /// Writes `page` as page `index`.
    ///
    /// # Errors
    /// Any I/O error.
    fn write_page(&mut self, index: u64, page: &[u8]) -> io::Result<()>;
}

/// A [`PageStore`] in a file that no other process can open by name.
#[derive(Debug)]
pub struct FilePageStore {
    file: File,
}

impl FilePageStore {
    /// Creates the file in `dir`. On Linux it is opened with `O_TMPFILE` and
    /// `O_EXCL`: it never has a name, and none can be given to it later
    /// (`linkat` through `/proc/PID/fd` fails); elsewhere, or where the file system lacks
    /// `O_TMPFILE`, it is created with a random name, mode 0600, and unlinked
    /// at once (Windows: deleted on close).
    ///
    /// # Errors
    /// The I/O error of creating or unlinking the file.
    pub fn new_in(dir: &Path) -> io::Result<Self> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use std::os::unix::fs::OpenOptionsExt;
            let anon = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .mode(0o600)
                // O_EXCL: the file can never be linked into a directory.
                .custom_flags(libc::O_TMPFILE | libc::O_EXCL)
                .open(dir);
            if let Ok(file) = anon {
                return Ok(Self { file });
            }
        }
        Self::named_then_unlinked(dir)
    }

    fn named_then_unlinked(dir: &Path) -> io::Result<Self> {
        let mut rand = [0u8; 12];
        getrandom::fill(&mut rand).map_err(|_| io::Error::other("random name"))?;
        let name: String = rand.iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!(".secstream-spill-{name}"));
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(windows)]
        {
            use std::os::windows::fs::OpenOptionsExt;
            /// `FILE_FLAG_DELETE_ON_CLOSE`.
            const DELETE_ON_CLOSE: u32 = 0x0400_0000;
            /// `FILE_ATTRIBUTE_TEMPORARY`.
            const TEMPORARY: u32 = 0x100;
            options
                .custom_flags(DELETE_ON_CLOSE)
                .attributes(TEMPORARY)
                .share_mode(0);
        }
        let file = options.open(&path)?;
        #[cfg(not(windows))]
        std::fs::remove_file(&path)?;
        Ok(Self { file })
    }
}

impl PageStore for FilePageStore {
    fn read_page(&mut self, index: u64, page: &mut [u8]) -> io::Result<()> {
        let offset = offset(index, page.len())?;
        read_at(&self.file, page, offset)
    }

    fn write_page(&mut self, index: u64, page: &[u8]) -> io::Result<()> {
        let offset = offset(index, page.len())?;
        write_at(&self.file, page, offset)
    }
}

fn offset(index: u64, page_len: usize) -> io::Result<u64> {
    u64::try_from(page_len)
        .ok()
        .and_then(|len| index.checked_mul(len))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "page offset overflows"))
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = buf.get_mut(n..).unwrap_or_default();
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => {
                buf = buf.get(n..).unwrap_or_default();
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn read_at(mut file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

#[cfg(not(any(unix, windows)))]
fn write_at(mut file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(buf)
}

/// Where a spilled chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PageRef {
    pub(super) index: u64,
    pub(super) seq: u64,
    pub(super) len: usize,
}

/// The spill of one stream: its store, its ephemeral key and its free pages.
pub(super) struct Spill {
    store: Box<dyn PageStore>,
    key: GuardedRegion,
    page_len: usize,
    /// Ciphertext only; reused for every page.
    page: Vec<u8>,
    free: Vec<u64>,
    next_index: u64,
    next_seq: u64,
    pages_in_use: u64,
}

fn aad(index: u64, seq: u64, len: u32) -> [u8; 36] {
    let mut aad = [0u8; 36];
    aad[..16].copy_from_slice(AAD_LABEL);
    aad[16..24].copy_from_slice(&index.to_le_bytes());
    aad[24..32].copy_from_slice(&seq.to_le_bytes());
    aad[32..].copy_from_slice(&len.to_le_bytes());
    aad
}

impl Spill {
    pub(super) fn new(store: Box<dyn PageStore>, chunk: usize) -> Result<Self, Error> {
        let page_len = chunk.checked_add(PAGE_OVERHEAD).ok_or(Error::TooLarge)?;
        let mut key = GuardedRegion::new(32).map_err(|e| Error::Secret(e.into()))?;
        key.write(getrandom::fill)
            .map_err(|e| Error::Secret(e.into()))?
            .map_err(|_| Error::Secret(crate::secret::Error::Random))?;
        Ok(Self {
            store,
            key,
            page_len,
            page: vec![0; page_len],
            free: Vec::new(),
            next_index: 0,
            next_seq: 0,
            pages_in_use: 0,
        })
    }

    /// Pages currently holding chunks.
    pub(super) fn pages_in_use(&self) -> u64 {
        self.pages_in_use
    }

    fn with_key<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> Result<R, Error> {
        clear_regs::scrub(|| self.with_key_here(f))
    }

    fn with_key_here<R>(&self, f: impl FnOnce(&[u8; 32]) -> R) -> Result<R, Error> {
        self.key
            .read(|k| <&[u8; 32]>::try_from(k).ok().map(f))
            .map_err(|e| Error::Secret(e.into()))?
            .ok_or(Error::TooLarge)
    }

    /// Seals `plain` into a free page and writes it.
    pub(super) fn put(&mut self, plain: &[u8]) -> Result<PageRef, Error> {
        let len32 = u32::try_from(plain.len()).map_err(|_| Error::TooLarge)?;
        if plain.len() > self.page_len - PAGE_OVERHEAD {
            return Err(Error::TooLarge);
        }
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = self.next_index;
                self.next_index = i.checked_add(1).ok_or(Error::TooLarge)?;
                i
            }
        };
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| Error::Secret(crate::secret::Error::Random))?;

        let mut page = std::mem::take(&mut self.page);
        page.fill(0);
        page[..8].copy_from_slice(&seq.to_le_bytes());
        page[8..12].copy_from_slice(&len32.to_le_bytes());
        page[12..HEADER_LEN].copy_from_slice(&nonce);
        let body_end = HEADER_LEN + plain.len();
        let body = &mut page[HEADER_LEN..body_end];
        body.copy_from_slice(plain);
        let sealed = self.with_key(|key| {
            xchacha::seal_in_place(key, &nonce, &aad(index, seq, len32), body)
                .ok_or(Error::TooLarge)
        });
        let result = sealed.and_then(|tag| tag).and_then(|tag| {
            page[body_end..body_end + TAG_LEN].copy_from_slice(&tag);
            let crc_at = self.page_len - CRC_LEN;
            let crc = crc32c(&page[..crc_at]);
            page[crc_at..].copy_from_slice(&crc.to_le_bytes());
            self.store
                .write_page(index, &page)
                .map_err(|e| Error::Io(e.kind()))
        });
        self.page = page;
        match result {
            Ok(()) => {
                self.pages_in_use += 1;
                Ok(PageRef {
                    index,
                    seq,
                    len: plain.len(),
                })
            }
            Err(e) => {
                self.free.push(index);
                Err(e)
            }
        }
    }

    /// Reads, checks and decrypts the page of `at` into `out` (exactly
    /// `at.len` bytes), then frees the page. On error `out` holds no
    /// plaintext.
    pub(super) fn take(&mut self, at: PageRef, out: &mut [u8]) -> Result<(), Error> {
        let page_err = |index| Error::SpillTampered { page: index };
        let mut page = std::mem::take(&mut self.page);
        let result = (|| {
            self.store
                .read_page(at.index, &mut page)
                .map_err(|e| Error::Io(e.kind()))?;
            let crc_at = self.page_len - CRC_LEN;
            let stored = page.get(crc_at..).and_then(|c| <[u8; 4]>::try_from(c).ok());
            if stored.map(u32::from_le_bytes) != Some(crc32c(&page[..crc_at])) {
                return Err(Error::SpillChecksum { page: at.index });
            }
            let seq = page
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes);
            let len = page
                .get(8..12)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes);
            let len32 = u32::try_from(at.len).map_err(|_| page_err(at.index))?;
            if seq != Some(at.seq) || len != Some(len32) || out.len() != at.len {
                return Err(page_err(at.index));
            }
            let body_end = HEADER_LEN.checked_add(at.len).ok_or(page_err(at.index))?;
            let nonce = page
                .get(12..HEADER_LEN)
                .and_then(|n| <[u8; xchacha::XNONCE_LEN]>::try_from(n).ok());
            let tag = page
                .get(body_end..body_end + TAG_LEN)
                .and_then(|t| <[u8; TAG_LEN]>::try_from(t).ok());
            let body = page.get(HEADER_LEN..body_end);
            let (Some(nonce), Some(tag), Some(body)) = (nonce, tag, body) else {
                return Err(page_err(at.index));
            };
            if out.len() != body.len() {
                return Err(page_err(at.index));
            }
            // Decrypted in `out`: a failure leaves the ciphertext or zeros there.
            out.copy_from_slice(body);
            let opened = self.with_key(|key| {
                xchacha::open_in_place(key, &nonce, &aad(at.index, at.seq, len32), out, &tag)
            })?;
            if opened {
                Ok(())
            } else {
                Err(page_err(at.index))
            }
        })();
        self.page = page;
        if result.is_ok() {
            self.free.push(at.index);
            self.pages_in_use = self.pages_in_use.saturating_sub(1);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(store: &mut FilePageStore) {
        let a = vec![0xA1u8; 100];
        let b = vec![0xB2u8; 100];
        store.write_page(3, &b).unwrap();
        store.write_page(0, &a).unwrap();
        let mut out = vec![0u8; 100];
        store.read_page(3, &mut out).unwrap();
        assert_eq!(out, b);
        store.read_page(0, &mut out).unwrap();
        assert_eq!(out, a);
        let err = store.read_page(9, &mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    #[cfg_attr(miri, ignore)] // file system
    fn file_store_has_no_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FilePageStore::new_in(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        round_trip(&mut store);
    }

    /// Gives the open `file` the name `to` the way anyone who can open
    /// `/proc/PID/fd` could: `linkat` of the fd's magic link, following it.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[allow(unsafe_code)] // FFI: std has no `linkat` with AT_SYMLINK_FOLLOW
    fn link_by_fd(file: &File, to: &Path) -> io::Result<()> {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::io::AsRawFd;
        let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
        let to = CString::new(to.as_os_str().as_bytes())?;
        // SAFETY: both paths are valid NUL-terminated strings that outlive
        // the call; `linkat` reads nothing else.
        let rc = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(miri, ignore)] // file system and FFI
    fn file_store_cannot_be_given_a_name() {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = tempfile::tempdir().unwrap();
        let named = dir.path().join("named");
        let store = FilePageStore::new_in(dir.path()).unwrap();
        let err = link_by_fd(&store.file, &named).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // The same call names an O_TMPFILE file opened without O_EXCL, so
        // the failure above is O_EXCL's doing.
        let plain = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_TMPFILE)
            .open(dir.path())
            .unwrap();
        link_by_fd(&plain, &named).unwrap();
        assert!(named.exists());
    }

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(miri, ignore)] // file system and FFI
    fn fallback_store_cannot_be_given_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = FilePageStore::named_then_unlinked(dir.path()).unwrap();
        let err = link_by_fd(&store.file, &dir.path().join("named")).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
    }

    #[test]
    #[cfg_attr(miri, ignore)] // file system
    fn fallback_store_is_unlinked_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FilePageStore::named_then_unlinked(dir.path()).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        round_trip(&mut store);
    }

    #[test]
    fn page_offsets_are_checked() {
        assert_eq!(offset(3, 100).unwrap(), 300);
        assert_eq!(
            offset(u64::MAX, 2).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn page_layout() {
        struct Keep(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl PageStore for Keep {
            fn read_page(&mut self, _: u64, page: &mut [u8]) -> io::Result<()> {
                page.copy_from_slice(&self.0.lock().unwrap());
                Ok(())
            }
            fn write_page(&mut self, _: u64, page: &[u8]) -> io::Result<()> {
                *self.0.lock().unwrap() = page.to_vec();
                Ok(())
            }
        }
        let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut spill = Spill::new(Box::new(Keep(kept.clone())), 64).unwrap();
        let at = spill.put(b"hello").unwrap();
        assert_eq!(
            at,
            PageRef {
                index: 0,
                seq: 0,
                len: 5
            }
        );
        let page = kept.lock().unwrap().clone();
        assert_eq!(page.len(), 64 + PAGE_OVERHEAD);
        assert_eq!(&page[..8], &0u64.to_le_bytes());
        assert_eq!(&page[8..12], &5u32.to_le_bytes());
        assert_ne!(&page[HEADER_LEN..HEADER_LEN + 5], b"hello", "sealed");
        assert!(
            page[HEADER_LEN + 5 + TAG_LEN..page.len() - CRC_LEN]
                .iter()
                .all(|&b| b == 0)
        );
        let crc = crc32c(&page[..page.len() - CRC_LEN]);
        assert_eq!(&page[page.len() - CRC_LEN..], &crc.to_le_bytes());
        let mut out = [0u8; 5];
        spill.take(at, &mut out).unwrap();
        assert_eq!(&out, b"hello");
        assert_eq!(spill.pages_in_use(), 0);
        assert_eq!(
            spill.put(b"again").unwrap(),
            PageRef {
                index: 0,
                seq: 1,
                len: 5
            }
        );
    }
}
