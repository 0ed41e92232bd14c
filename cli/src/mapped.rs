//! A regular input file mapped read-only into memory (Linux), for `pack`: an unsealed,
//! uncompressed frame is then checksummed where it lies and written from there, one copy
//! (the kernel's, into the output) instead of `read`'s copy in and `write`'s copy out.
//! Each frame's pages are populated just before use (`MADV_POPULATE_READ`), so a large
//! file on disk is read as it is packed, not all at once.
//!
//! A mapping has one danger: another process may truncate the file while it is mapped,
//! and touching a page past the new end raises SIGBUS. [`Mapped::new`] installs a
//! SIGBUS handler for that: a fault inside the mapping removes the temporary output (as
//! an interrupted run does, [`crate::signals`]), prints `secstream: reading FILE: the
//! file shrank while it was read` and exits with the i/o code, 3, as a `pack` that sees
//! the size change by other means does; a SIGBUS anywhere else keeps its default
//! action. When the kernel itself meets the missing page (the `write` from the
//! mapping), the write fails with `EFAULT`, which `pack` reports the same way.
//!
//! A file changed in place (same size) while it is packed is not detected, with or
//! without a mapping; with one, a frame changed between its checksum and its write is
//! written with a checksum that does not match, so `unpack` and `verify` then reject
//! the container (with `read`, the container holds a mix of old and new bytes that
//! checks). The temporary output is still renamed into place only after the whole
//! input was read.
//!
//! All the unsafe code of the mapping is here; Miri cannot run it (system calls), the
//! CLI tests do (`tests/behaviour.rs`: a file truncated while it is packed).

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use secstream::pipeline::SharedSource;

/// The mapping the SIGBUS handler knows: its first and one-past-last address (0, 0: none).
static START: AtomicUsize = AtomicUsize::new(0);
static END: AtomicUsize = AtomicUsize::new(0);
/// The line the handler prints (null: none).
static MESSAGE: AtomicPtr<libc::c_char> = AtomicPtr::new(ptr::null_mut());

/// `MADV_POPULATE_READ` (Linux 5.14); older kernels say `EINVAL` and the pages are
/// faulted in on first touch instead.
const MADV_POPULATE_READ: libc::c_int = 22;

/// A whole regular file mapped read-only. One at a time (the SIGBUS handler knows one).
#[derive(Debug)]
pub(crate) struct Mapped {
    ptr: *const u8,
    len: usize,
}

// SAFETY: the mapping is read-only memory owned by this value until drop; sharing
// `&[u8]` views of it between threads is as safe as sharing any `&[u8]`.
unsafe impl Send for Mapped {}
// SAFETY: as for `Send`: nothing in `Mapped` is mutated after `new`.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps the `len` bytes of `file` (its size when opened; `len` > 0), and arms the
    /// SIGBUS handler with the message for `name`.
    ///
    /// # Errors
    /// What `mmap` or `sigaction` said (the caller then reads the file instead).
    pub(crate) fn new(file: &File, len: u64, name: &str) -> io::Result<Self> {
        let len = usize::try_from(len).map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        if len == 0 {
            return Err(io::ErrorKind::InvalidInput.into());
        }
        install()?;
        // SAFETY: a fresh read-only (shared: the page cache's pages) mapping of an open file descriptor, at an
        // address the kernel picks: it aliases no Rust object.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let message = CString::new(format!(
            "secstream: reading {name}: the file shrank while it was read\n"
        ))
        .unwrap_or_default();
        free(MESSAGE.swap(message.into_raw(), Ordering::AcqRel));
        START.store(p as usize, Ordering::Release);
        END.store(p as usize + len, Ordering::Release);
        Ok(Self { ptr: p.cast(), len })
    }
}

impl Mapped {
    /// The mapped length.
    pub(crate) const fn len(&self) -> usize {
        self.len
    }
}

impl SharedSource for Mapped {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live read-only mapping of `len` bytes until drop, and no one
        // writes through it. The file's bytes may change under it (another process
        // writing the file): the checksum and the output then hold the new bytes, a
        // mismatch readers reject (see the module's docs). A page cut off by a
        // truncation faults: the SIGBUS handler ends the process.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn will_read(&self, offset: usize, len: usize) {
        // Page-aligned start (the mapping starts on a page).
        let start = offset & !4095;
        let end = offset.saturating_add(len).min(self.len);
        if start < end {
            // A pointer inside the mapping (no unsafe `add`: it is not dereferenced).
            let at = self.ptr.wrapping_add(start).cast_mut().cast();
            // SAFETY: the range lies inside the mapping; populating page tables changes
            // no memory. An error (an old kernel, a truncated file) is ignored: the
            // access itself then faults the pages in, or raises SIGBUS.
            unsafe { libc::madvise(at, end - start, MADV_POPULATE_READ) };
        }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        START.store(0, Ordering::Release);
        END.store(0, Ordering::Release);
        free(MESSAGE.swap(ptr::null_mut(), Ordering::AcqRel));
        // SAFETY: `ptr`/`len` are this value's mapping, and no view of it outlives
        // `self` (`bytes` borrows `self`).
        unsafe { libc::munmap(self.ptr.cast_mut().cast(), self.len) };
    }
}

/// Frees a message taken out of the slot.
fn free(p: *mut libc::c_char) {
    if !p.is_null() {
        // SAFETY: `p` came from `CString::into_raw` and the swap that returned it made
        // the caller its only owner (the handler got null).
        drop(unsafe { CString::from_raw(p) });
    }
}

extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid `siginfo_t` to an SA_SIGINFO handler.
    let info = unsafe { &*info };
    // SAFETY: for SIGBUS the union holds `si_addr`, the faulting address.
    let addr = unsafe { info.si_addr() } as usize;
    let (start, end) = (START.load(Ordering::Acquire), END.load(Ordering::Acquire));
    if (start..end).contains(&addr) {
        crate::signals::clean_up_in_handler();
        let msg = MESSAGE.swap(ptr::null_mut(), Ordering::AcqRel);
        if !msg.is_null() {
            // SAFETY: `msg` came from `CString::into_raw` and the swap made this handler
            // its owner; it is a valid C string (never freed: the process ends).
            let len = unsafe { libc::strlen(msg) };
            // SAFETY: `write` is async-signal-safe; `msg` holds `len` bytes.
            unsafe { libc::write(libc::STDERR_FILENO, msg.cast(), len) };
        }
        // SAFETY: `_exit` is async-signal-safe and ends the process at once.
        unsafe { libc::_exit(i32::from(crate::exit::Exit::Io.code())) };
    }
    // Not ours: the default action (the fault repeats on return, or the raised signal
    // is delivered, and ends the process).
    // SAFETY: `signal` is async-signal-safe; SIG_DFL is a valid action for `sig`.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
    // SAFETY: `raise` is async-signal-safe (delivered once this handler returns).
    unsafe { libc::raise(sig) };
}

/// Installs the SIGBUS handler (again: harmless).
fn install() -> io::Result<()> {
    // SAFETY: an all-zero `sigaction` is a valid starting value.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_sigbus
        as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
        as libc::sighandler_t;
    action.sa_flags = libc::SA_SIGINFO;
    // SAFETY: `sa_mask` is a valid signal set to empty.
    unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
    // SAFETY: `action` is fully initialised and its handler calls only
    // async-signal-safe functions.
    if unsafe { libc::sigaction(libc::SIGBUS, &raw const action, ptr::null_mut()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_mapping_holds_the_file() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&data).unwrap();
        let m = Mapped::new(&f, data.len() as u64, "f").unwrap();
        m.will_read(4000, 6000);
        m.will_read(9999, 100);
        assert_eq!(m.bytes(), &data[..]);
        assert_ne!(START.load(Ordering::Acquire), 0);
        drop(m);
        assert_eq!(START.load(Ordering::Acquire), 0);
        assert!(MESSAGE.load(Ordering::Acquire).is_null());
        assert!(Mapped::new(&f, 0, "f").is_err());
    }
}
