//! Operating-system calls for Windows (compiled, not tested).

use crate::secret_memory::{Error, Prot};
use std::ptr::NonNull;
use windows_sys::Win32::System::Memory::{
    MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE,
    VirtualAlloc, VirtualFree, VirtualLock, VirtualProtect, VirtualUnlock,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};

fn last_error() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

pub(in crate::secret_memory) fn page_size() -> usize {
    let mut info = std::mem::MaybeUninit::<SYSTEM_INFO>::zeroed();
    // SAFETY: `GetSystemInfo` fills the structure it is given.
    unsafe { GetSystemInfo(info.as_mut_ptr()) };
    // SAFETY: zeroed and then filled by `GetSystemInfo`; all fields are
    // plain integers and pointers, valid when zero.
    let info = unsafe { info.assume_init() };
    usize::try_from(info.dwPageSize)
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(4096)
}

pub(in crate::secret_memory) fn map(len: usize) -> Result<NonNull<u8>, i32> {
    // SAFETY: a fresh allocation at an address the system picks.
    let p = unsafe {
        VirtualAlloc(
            std::ptr::null(),
            len,
            MEM_RESERVE | MEM_COMMIT,
            PAGE_NOACCESS,
        )
    };
    NonNull::new(p.cast::<u8>()).ok_or_else(last_error)
}

/// # Safety
/// As for the Unix version.
pub(in crate::secret_memory) unsafe fn protect(
    ptr: *mut u8,
    len: usize,
    prot: Prot,
) -> Result<(), i32> {
    let p = match prot {
        Prot::None => PAGE_NOACCESS,
        Prot::Read => PAGE_READONLY,
        Prot::ReadWrite => PAGE_READWRITE,
    };
    let mut old = 0;
    // SAFETY: guaranteed by the caller.
    if unsafe { VirtualProtect(ptr.cast(), len, p, &mut old) } != 0 {
        Ok(())
    } else {
        Err(last_error())
    }
}

/// # Safety
/// As for the Unix version.
pub(in crate::secret_memory) unsafe fn lock(ptr: *mut u8, len: usize) -> Result<(), i32> {
    // SAFETY: guaranteed by the caller.
    if unsafe { VirtualLock(ptr.cast(), len) } != 0 {
        Ok(())
    } else {
        Err(last_error())
    }
}

/// # Safety
/// As for the Unix version.
pub(in crate::secret_memory) unsafe fn unlock(ptr: *mut u8, len: usize) {
    // SAFETY: guaranteed by the caller.
    unsafe { VirtualUnlock(ptr.cast(), len) };
}

/// Windows has no per-region dump or fork exclusion.
///
/// # Safety
/// None needed; kept for symmetry with the Unix version.
pub(in crate::secret_memory) unsafe fn advise(_ptr: *mut u8, _len: usize) {}

/// # Safety
/// As for the Unix version.
pub(in crate::secret_memory) unsafe fn unmap(ptr: *mut u8, _len: usize) {
    // SAFETY: guaranteed by the caller; MEM_RELEASE takes size 0.
    unsafe { VirtualFree(ptr.cast(), 0, MEM_RELEASE) };
}

/// Crash dumps on Windows are configured in Windows Error Reporting, outside
/// the process.
pub(in crate::secret_memory) fn disable_core_dumps() -> Result<(), Error> {
    Err(Error::Unsupported)
}
