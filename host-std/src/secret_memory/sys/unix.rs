//! Operating-system calls for Unix (tested on Linux).

use crate::secret_memory::{Error, Prot};
use std::ptr::NonNull;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub(in crate::secret_memory) fn page_size() -> usize {
    // SAFETY: `sysconf` has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// Maps `len` bytes with no access.
pub(in crate::secret_memory) fn map(len: usize) -> Result<NonNull<u8>, i32> {
    // SAFETY: an anonymous private mapping at an address the kernel picks
    // touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANON,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(errno());
    }
    NonNull::new(p.cast::<u8>()).ok_or(0)
}

/// # Safety
/// `ptr .. ptr + len` must be page-aligned pages of a live mapping made by
/// [`map`] with no Rust references into them that the change would break.
pub(in crate::secret_memory) unsafe fn protect(
    ptr: *mut u8,
    len: usize,
    prot: Prot,
) -> Result<(), i32> {
    let p = match prot {
        Prot::None => libc::PROT_NONE,
        Prot::Read => libc::PROT_READ,
        Prot::ReadWrite => libc::PROT_READ | libc::PROT_WRITE,
    };
    // SAFETY: guaranteed by the caller.
    if unsafe { libc::mprotect(ptr.cast(), len, p) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// # Safety
/// `ptr .. ptr + len` must be pages of a live mapping made by [`map`].
pub(in crate::secret_memory) unsafe fn lock(ptr: *mut u8, len: usize) -> Result<(), i32> {
    // SAFETY: guaranteed by the caller; locking does not change contents.
    if unsafe { libc::mlock(ptr.cast(), len) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// # Safety
/// As for [`lock`].
pub(in crate::secret_memory) unsafe fn unlock(ptr: *mut u8, len: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { libc::munlock(ptr.cast(), len) };
}

/// Keeps the pages out of core dumps and forked children where the
/// system supports it; failures (old kernels) are ignored.
///
/// # Safety
/// As for [`lock`].
#[allow(unused_variables)] // no advice on non-Linux Unix
pub(in crate::secret_memory) unsafe fn advise(ptr: *mut u8, len: usize) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: guaranteed by the caller; this advice does not change
        // the contents of a mapping that is not shared with a child yet.
        unsafe { libc::madvise(ptr.cast(), len, libc::MADV_DONTDUMP) };
        // SAFETY: as above; it only affects future forks.
        unsafe { libc::madvise(ptr.cast(), len, libc::MADV_WIPEONFORK) };
    }
    #[cfg(target_os = "freebsd")]
    {
        // SAFETY: as above.
        unsafe { libc::madvise(ptr.cast(), len, libc::MADV_NOCORE) };
    }
}

/// # Safety
/// `ptr .. ptr + len` must be exactly a mapping made by [`map`] that
/// nothing refers to any more.
pub(in crate::secret_memory) unsafe fn unmap(ptr: *mut u8, len: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { libc::munmap(ptr.cast(), len) };
}

/// `PR_SET_DUMPABLE` 0 (Linux) and `RLIMIT_CORE` 0.
pub(in crate::secret_memory) fn disable_core_dumps() -> Result<(), Error> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: `PR_SET_DUMPABLE` takes an integer argument and touches no
        // memory of ours.
        if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
            return Err(Error::CoreDumps(errno()));
        }
    }
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `setrlimit` reads the valid struct given.
    if unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const zero) } != 0 {
        return Err(Error::CoreDumps(errno()));
    }
    Ok(())
}
