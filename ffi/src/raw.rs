//! Caller memory: byte buffers handed to the core, and typed states placed in
//! caller-provided memory. Every raw-pointer access of the crate goes through
//! here or carries its own `// SAFETY:`.

use core::ffi::c_void;
use core::mem::{align_of, size_of};
use core::ptr;

use zeroize::Zeroize;

use crate::error::SecstreamError as E;

/// A caller buffer that the core uses as `&mut [u8]` (a decoder's frame buffer, a
/// decompressor's output). The caller keeps it valid, unaliased and in place
/// from `*_open` until `*_close`, as the header documents.
pub(crate) struct RawBuf {
    ptr: *mut u8,
    len: usize,
}

impl RawBuf {
    /// A buffer of `len` bytes at `ptr` (NULL only with `len` 0).
    pub(crate) fn new(ptr: *mut u8, len: usize) -> Result<Self, E> {
        if ptr.is_null() && len != 0 {
            return Err(E::SecstreamErrNullPointer);
        }
        if isize::try_from(len).is_err() {
            return Err(E::SecstreamErrInvalidArgument);
        }
        Ok(Self { ptr, len })
    }
}

impl AsMut<[u8]> for RawBuf {
    fn as_mut(&mut self) -> &mut [u8] {
        if self.ptr.is_null() || self.len == 0 {
            return &mut [];
        }
        // SAFETY: `new` checked ptr non-NULL and len <= isize::MAX; the caller
        // contract (header: valid, writable, unaliased from open to close) makes
        // `len` bytes at `ptr` a live exclusive region while the state exists, and
        // `&mut self` ties this borrow to the state's.
        unsafe { core::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// A caller input slice (`NULL` allowed with length 0).
pub(crate) fn input<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], E> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(E::SecstreamErrNullPointer);
    }
    if isize::try_from(len).is_err() {
        return Err(E::SecstreamErrInvalidArgument);
    }
    // SAFETY: non-NULL, len <= isize::MAX, and the caller contract says `len`
    // readable bytes are at `ptr` for the duration of the call.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// A caller output (or in-place input) slice (`NULL` allowed with length 0).
pub(crate) fn output<'a>(ptr: *mut u8, len: usize) -> Result<&'a mut [u8], E> {
    if len == 0 {
        return Ok(&mut []);
    }
    if ptr.is_null() {
        return Err(E::SecstreamErrNullPointer);
    }
    if isize::try_from(len).is_err() {
        return Err(E::SecstreamErrInvalidArgument);
    }
    // SAFETY: non-NULL, len <= isize::MAX, and the caller contract says `len`
    // writable bytes that nothing else accesses are at `ptr` for the call.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// Writes `value` through an optional out-pointer.
pub(crate) fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: non-NULL; the caller contract says out-pointers point to
        // writable, aligned `T`s.
        unsafe { out.write(value) };
    }
}

/// The status of an entry point that answers with nothing.
pub(crate) fn status(r: Result<(), E>) -> E {
    match r {
        Ok(()) => E::SecstreamOk,
        Err(e) => e,
    }
}

/// Runs `f` and stores its value through the required out-pointer `out`: the
/// status of an entry point that answers with a value (NULL `out` is refused
/// before any work).
pub(crate) fn answer<T>(out: *mut T, f: impl FnOnce() -> Result<T, E>) -> E {
    if out.is_null() {
        return E::SecstreamErrNullPointer;
    }
    match f() {
        Ok(v) => {
            put(out, v);
            E::SecstreamOk
        }
        Err(e) => e,
    }
}

/// A typed state in caller memory: a tag naming the type (0 once closed) and the
/// value. `#[repr(C)]` puts the tag first.
#[repr(C)]
pub(crate) struct Slot<T> {
    tag: u32,
    value: T,
}

/// A type that lives in caller-provided state memory.
pub(crate) trait State: Sized {
    /// Nonzero tag of this type.
    const TAG: u32;
    /// Published `*_STATE_SIZE`.
    const SIZE: usize;
    /// Published `*_STATE_ALIGN`.
    const ALIGN: usize;
    /// Checked when the crate is compiled (referenced from `open`).
    const FITS: () = assert!(
        size_of::<Slot<Self>>() <= Self::SIZE && align_of::<Slot<Self>>() <= Self::ALIGN,
        "a state type outgrew its published size or alignment"
    );
}

fn check_mem<T: State>(mem: *mut u8, size: usize) -> Result<(), E> {
    if mem.is_null() {
        return Err(E::SecstreamErrNullPointer);
    }
    if size < T::SIZE {
        return Err(E::SecstreamErrStateTooSmall);
    }
    if (mem as usize) % T::ALIGN != 0 {
        return Err(E::SecstreamErrStateMisaligned);
    }
    Ok(())
}

/// Places `value` in the caller's state memory (`size` bytes at `mem`), which
/// must not hold an open state (close it first: its contents are overwritten,
/// not dropped).
pub(crate) fn open<T: State>(mem: *mut c_void, size: usize, value: T) -> Result<(), E> {
    let mem = mem.cast::<u8>();
    let () = T::FITS;
    check_mem::<T>(mem, size)?;
    // SAFETY: checked non-NULL, at least SIZE >= size_of::<Slot<T>>() bytes
    // (FITS) and aligned to ALIGN >= align_of::<Slot<T>>(); the caller owns it.
    unsafe {
        mem.cast::<Slot<T>>().write(Slot { tag: T::TAG, value });
    }
    Ok(())
}

/// The open state at `mem`.
pub(crate) fn get<'a, T: State>(mem: *mut c_void) -> Result<&'a mut T, E> {
    let mem = mem.cast::<u8>();
    if mem.is_null() {
        return Err(E::SecstreamErrNullPointer);
    }
    if (mem as usize) % T::ALIGN != 0 {
        return Err(E::SecstreamErrStateMisaligned);
    }
    // SAFETY: non-NULL and aligned for the u32 tag (ALIGN >= 4, see the consts);
    // the caller contract says `mem` is state memory of at least SIZE bytes,
    // initialised by any `*_open` or zeroed, so its first 4 bytes are readable.
    let tag = unsafe { mem.cast::<u32>().read() };
    if tag != T::TAG {
        return Err(E::SecstreamErrBadState);
    }
    // SAFETY: the tag says `open::<T>` wrote a `Slot<T>` here and no `close`
    // has run since; the caller does not share the state between threads or
    // calls, so this is the only reference for the call.
    Ok(unsafe { &mut (*mem.cast::<Slot<T>>()).value })
}

/// Drops the state at `mem` (its own wiping runs) and then zeroes all of its
/// bytes, keys included. Does nothing to memory that holds no open `T`.
pub(crate) fn close<T: State>(mem: *mut c_void) -> E {
    if let Err(e) = get::<T>(mem) {
        return e;
    }
    let mem = mem.cast::<u8>();
    let slot = mem.cast::<Slot<T>>();
    // SAFETY: `get` checked that an open Slot<T> is here; it is dropped once,
    // and the tag is cleared below so no later call sees it as open.
    unsafe { ptr::drop_in_place(slot) };
    // SAFETY: the Slot<T>'s bytes are caller memory of size_of::<Slot<T>>()
    // bytes (checked at open); after the drop nothing refers into them.
    let bytes = unsafe { core::slice::from_raw_parts_mut(mem, size_of::<Slot<T>>()) };
    bytes.zeroize();
    E::SecstreamOk
}
