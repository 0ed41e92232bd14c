//! Stand-ins for Miri, which cannot call `mmap`: page-aligned heap
//! allocations without protection, locking or advice. They let Miri check the
//! pointer and slice handling of the guarded regions (strict provenance); the
//! protections themselves are tested natively (`tests/secret_memory.rs`).

use crate::secret_memory::{Error, Prot};
use std::alloc::Layout;
use std::ptr::NonNull;

const PAGE: usize = 4096;

pub(in crate::secret_memory) fn page_size() -> usize {
    PAGE
}

pub(in crate::secret_memory) fn map(len: usize) -> Result<NonNull<u8>, i32> {
    let layout = Layout::from_size_align(len, PAGE).map_err(|_| 0)?;
    if len == 0 {
        return Err(0);
    }
    // SAFETY: `layout` has a non-zero size.
    NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) }).ok_or(0)
}

/// # Safety
/// As for the Unix version (nothing is changed here).
pub(in crate::secret_memory) unsafe fn protect(
    _ptr: *mut u8,
    _len: usize,
    _prot: Prot,
) -> Result<(), i32> {
    Ok(())
}

/// # Safety
/// As for the Unix version (nothing is changed here).
pub(in crate::secret_memory) unsafe fn lock(_ptr: *mut u8, _len: usize) -> Result<(), i32> {
    Ok(())
}

/// # Safety
/// As for the Unix version (nothing is changed here).
pub(in crate::secret_memory) unsafe fn unlock(_ptr: *mut u8, _len: usize) {}

/// # Safety
/// As for the Unix version (nothing is changed here).
pub(in crate::secret_memory) unsafe fn advise(_ptr: *mut u8, _len: usize) {}

/// # Safety
/// `ptr .. ptr + len` must be exactly an allocation made by [`map`] that
/// nothing refers to any more.
pub(in crate::secret_memory) unsafe fn unmap(ptr: *mut u8, len: usize) {
    if let Ok(layout) = Layout::from_size_align(len, PAGE) {
        // SAFETY: `ptr` was allocated by `map` with this layout.
        unsafe { std::alloc::dealloc(ptr, layout) };
    }
}

/// Miri cannot call `prctl` or `setrlimit`.
pub(in crate::secret_memory) fn disable_core_dumps() -> Result<(), Error> {
    Err(Error::Unsupported)
}
