//! Guarded, locked pages for plaintext secrets.
//!
//! A [`GuardedRegion`] is a private anonymous mapping laid out as
//!
//! ```text
//! | guard page | data pages: ... canary (16 B) | user bytes | guard page |
//! ```
//!
//! - The guard pages are never accessible: running off either end of the
//!   user bytes faults (SIGSEGV) instead of reading or writing a neighbour.
//!   The user bytes end exactly at the trailing guard page, so an overflow
//!   faults at once; an underflow first hits the canary, which is checked
//!   when the region is freed.
//! - The data pages are locked into RAM (`mlock`/`VirtualLock`) so they are
//!   not written to swap, excluded from core dumps (`MADV_DONTDUMP`) and wiped
//!   in a forked child (`MADV_WIPEONFORK`, Linux 4.14+).
//! - The data pages have no access at all while nobody borrows them: they are
//!   readable only inside [`GuardedRegion::read`] and writable only inside
//!   [`GuardedRegion::write`] ([`Access::Scoped`], the default). A region
//!   made with [`Access::Open`] keeps them readable and writable for its
//!   whole life instead, as libsodium's `sodium_malloc` does unless told
//!   otherwise: access costs no system call, but a stray read elsewhere in
//!   the process can reach the bytes while the region lives.
//! - On free, the data pages are overwritten with zeros before they are
//!   unmapped, and the canary is checked first.
//! - [`purge_all`] wipes every live region of the process at once.
//! - After every [`GuardedRegion::read`] and [`GuardedRegion::write`] the
//!   vector registers and the caller-saved general-purpose registers are
//!   zeroed ([`clear_registers`]), so that a later core dump or debugger does
//!   not find the bytes there.
//! - [`disable_core_dumps`] turns core dumps off for the whole process.
//! - In a child made by `fork` the regions count as purged: access returns
//!   [`Error::Purged`] (their pages are zeros there on Linux), and freeing them
//!   skips the canary check.
//!
//! # The mlock policy
//! Containers often run with `RLIMIT_MEMLOCK` at 64 KiB. When `mlock` fails the
//! [`LockPolicy`] decides: [`LockPolicy::BestEffort`] (the default) keeps the
//! region unlocked but otherwise fully guarded and reports it through
//! [`GuardedRegion::is_locked`]; [`LockPolicy::Required`] returns
//! [`Error::Lock`]. Nothing here panics when the limit is reached. The process
//! default can be changed with [`set_default_lock_policy`]; it also applies
//! to the temporary regions of the `secret` and `stream` modules, and
//! [`unlocked_allocations`] counts every region left unlocked.
//!
//! ```
//! use secstream::secret_memory::GuardedRegion;
//!
//! let mut region = GuardedRegion::new(32)?;
//! region.write(|bytes| bytes.copy_from_slice(&[7; 32]))?;
//! let sum: u32 = region.read(|bytes| bytes.iter().map(|&b| u32::from(b)).sum())?;
//! assert_eq!(sum, 7 * 32);
//! region.free()?; // checks the canary, wipes, unmaps
//! # Ok::<(), secstream::secret_memory::Error>(())
//! ```
//!
//! # Platforms
//! Linux is the tested platform. Other Unix systems (macOS, the BSDs) use the
//! same `mmap`/`mprotect`/`mlock` calls without `MADV_DONTDUMP` and
//! `MADV_WIPEONFORK`; Windows uses `VirtualAlloc`/`VirtualProtect`/
//! `VirtualLock` and has no dump or fork exclusion. Neither is tested. Under
//! Miri, which cannot call `mmap`, page-aligned heap allocations without any
//! protection stand in, so that Miri can check this module's pointer and slice
//! handling; the protections are tested natively.

// This is the one module of the crate with `unsafe`: it calls the operating
// system's memory mapping functions (FFI) and builds slices over the mapped
// pages. Every block says why it is sound.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use zeroize::Zeroize;

pub(crate) mod clear_regs;
pub(crate) mod signal;
mod sys;

/// Length of the canary placed just before the user bytes.
pub const CANARY_LEN: usize = 16;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The requested length does not fit in the address space.
    TooLarge,
    /// The operating system refused to map the pages (OS error code).
    Map(i32),
    /// Changing the protection of the pages failed (OS error code).
    Protect(i32),
    /// Locking the pages into RAM failed under [`LockPolicy::Required`]
    /// (OS error code; `ENOMEM`/`EPERM` when `RLIMIT_MEMLOCK` is reached).
    Lock(i32),
    /// The canary before the user bytes was overwritten: something wrote
    /// below the start of the region. The region was still wiped and unmapped.
    CanaryOverwritten,
    /// The region was wiped by [`purge_all`]; its bytes are gone.
    Purged,
    /// The operating system's random number generator failed.
    Random,
    /// The operation is not available on this platform.
    Unsupported,
    /// Turning core dumps off failed (OS error code).
    CoreDumps(i32),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => f.write_str("secret region too large"),
            Self::Map(code) => write!(f, "mapping secret pages failed (os error {code})"),
            Self::Protect(code) => {
                write!(
                    f,
                    "changing protection of secret pages failed (os error {code})"
                )
            }
            Self::Lock(code) => write!(f, "locking secret pages into ram failed (os error {code})"),
            Self::CanaryOverwritten => f.write_str("secret region canary overwritten"),
            Self::Purged => f.write_str("secret region was purged"),
            Self::Random => f.write_str("operating system random number generator failed"),
            Self::Unsupported => f.write_str("not supported on this platform"),
            Self::CoreDumps(code) => write!(f, "turning core dumps off failed (os error {code})"),
        }
    }
}

impl core::error::Error for Error {}

/// What to do when the pages of a region cannot be locked into RAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LockPolicy {
    /// Fail with [`Error::Lock`].
    Required,
    /// Keep the region unlocked (it may be swapped out) but otherwise guarded;
    /// [`GuardedRegion::is_locked`] says so. The default.
    #[default]
    BestEffort,
}

/// When the data pages of a region may be read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// No access except inside [`GuardedRegion::read`] (read-only) and
    /// [`GuardedRegion::write`]: each call changes the protection twice
    /// (`mprotect`, a few microseconds). The default.
    #[default]
    Scoped,
    /// Readable and writable while the region lives; [`purge_all`] and
    /// freeing still wipe the bytes and take the access away. For short-lived
    /// secrets used at a high rate (see
    /// [`RegionPool`](crate::pool::RegionPool)). The guard pages, the canary,
    /// the lock and the dump and fork exclusions are the same.
    Open,
}

static DEFAULT_POLICY: AtomicU8 = AtomicU8::new(1);

/// Sets the policy that [`GuardedRegion::new`] and the `secret` and `stream`
/// modules use from now on.
pub fn set_default_lock_policy(policy: LockPolicy) {
    let v = match policy {
        LockPolicy::Required => 0,
        LockPolicy::BestEffort => 1,
    };
    DEFAULT_POLICY.store(v, Ordering::Relaxed);
}

/// The policy [`GuardedRegion::new`] uses ([`LockPolicy::BestEffort`] unless
/// changed by [`set_default_lock_policy`]).
#[must_use]
pub fn default_lock_policy() -> LockPolicy {
    match DEFAULT_POLICY.load(Ordering::Relaxed) {
        0 => LockPolicy::Required,
        _ => LockPolicy::BestEffort,
    }
}

static UNLOCKED: AtomicU64 = AtomicU64::new(0);

/// How many guarded regions this process has made without locking them into
/// RAM ([`LockPolicy::BestEffort`] after `mlock` failed), since it started.
///
/// It counts every region: those of [`GuardedRegion::new`] and also the
/// temporary ones behind [`Secret::with_bytes`](crate::secret::Secret::with_bytes),
/// `with_init`, `random`, `update` and
/// [`Stream::take_all`](crate::stream::Stream::take_all), which a caller
/// cannot ask with [`GuardedRegion::is_locked`]. Read it before and after a
/// call to know whether the call had to do without; set
/// [`LockPolicy::Required`] as the process default
/// ([`set_default_lock_policy`]) to make such calls fail with
/// [`Error::Lock`] instead.
#[must_use]
pub fn unlocked_allocations() -> u64 {
    UNLOCKED.load(Ordering::Relaxed)
}

/// Turns core dumps off for the whole process, for servers that want no dump
/// at all (guarded pages are already left out of dumps; this also leaves out
/// the heap, the stack and the registers).
///
/// - Linux: `prctl(PR_SET_DUMPABLE, 0)`, which also stops processes of the
///   same user without `CAP_SYS_PTRACE` from attaching a debugger (or
///   `gcore`) and makes `/proc/PID` files owned by root; and
///   `setrlimit(RLIMIT_CORE, 0)` (soft and hard limit), which child
///   processes inherit. `execve` of a new program makes the process dumpable
///   again; the limit stays.
/// - Other Unix systems: `setrlimit(RLIMIT_CORE, 0)` only.
///
/// # Errors
/// [`Error::CoreDumps`] with the OS error code when a call fails;
/// [`Error::Unsupported`] on Windows (crash dumps there are configured in
/// Windows Error Reporting, outside the process) and under Miri.
pub fn disable_core_dumps() -> Result<(), Error> {
    sys::disable_core_dumps()
}

/// Zeroes the CPU's vector registers (SSE/AVX/AVX-512 state on x86-64, NEON
/// on aarch64) and its caller-saved general-purpose registers, so that a core
/// dump or a debugger that stops the thread later finds no secret there.
///
/// The crate does this itself after every call that seals, opens or reads
/// secret bytes (see `docs/threat-model.md`); call it after code of your own
/// that handled secret bytes outside those calls, e.g. after using a key
/// copied out of [`Secret::with_bytes`](crate::secret::Secret::with_bytes).
/// It costs a few nanoseconds (`BENCHMARKS.md`). On other architectures, and
/// under Miri, it does nothing.
pub fn clear_registers() {
    clear_regs::clear();
}

/// The page size of the system, in bytes.
#[must_use]
pub fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(sys::page_size)
}

/// The process-wide canary value, random per process.
fn canary() -> Result<&'static [u8; CANARY_LEN], Error> {
    static CANARY: OnceLock<[u8; CANARY_LEN]> = OnceLock::new();
    if let Some(c) = CANARY.get() {
        return Ok(c);
    }
    let mut c = [0u8; CANARY_LEN];
    getrandom::fill(&mut c).map_err(|_| Error::Random)?;
    Ok(CANARY.get_or_init(|| c))
}

/// Recovers the data of a mutex whose holder panicked: the state here stays
/// consistent across a panic in a caller's closure (the protection guard runs).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Access allowed to the data pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prot {
    None,
    Read,
    ReadWrite,
}

/// One live mapping. Owned by exactly one [`Shared`], touched only under its
/// mutex.
struct Mapping {
    /// Start of the mapping (the leading guard page).
    base: NonNull<u8>,
    /// Length of the whole mapping, guard pages included.
    map_len: usize,
    /// Length of the data pages (a multiple of the page size).
    data_len: usize,
    /// Length of the user bytes, which end where the data pages end.
    len: usize,
    locked: bool,
    purged: bool,
    access: Access,
    /// The process that mapped the region. In a forked child the pages are
    /// zeros (`MADV_WIPEONFORK`) or a copy the child should not use: there the
    /// region counts as purged and its canary is not checked.
    pid: u32,
}

// SAFETY: a `Mapping` exclusively owns its pages (nothing else holds the
// pointer), so moving it to another thread moves that ownership; all access
// goes through the mutex of its `Shared`.
unsafe impl Send for Mapping {}

impl Mapping {
    /// True after a purge, and in a forked child.
    fn is_gone(&self) -> bool {
        self.purged || self.pid != std::process::id()
    }

    fn data_ptr(&self) -> *mut u8 {
        // `wrapping_add` keeps the provenance of `base`; the offset (one page)
        // lies inside the mapping, so the result points into it.
        self.base.as_ptr().wrapping_add(page_size())
    }

    fn user_offset(&self) -> usize {
        // `len + CANARY_LEN <= data_len` by construction.
        self.data_len - self.len
    }

    /// Changes the protection for a borrow; `Open` regions stay as they are.
    fn protect_for(&self, prot: Prot) -> Result<(), Error> {
        match self.access {
            Access::Scoped => self.protect(prot),
            Access::Open => Ok(()),
        }
    }

    fn protect(&self, prot: Prot) -> Result<(), Error> {
        // SAFETY: the data pages `[data_ptr, data_ptr + data_len)` are part of
        // this live mapping, which no Rust reference points into while the
        // protection changes (callers hold the mutex and hand out no slices
        // across this call).
        unsafe { sys::protect(self.data_ptr(), self.data_len, prot) }.map_err(Error::Protect)
    }

    /// The user bytes.
    ///
    /// # Safety
    /// The data pages must be readable (protection `Read` or `ReadWrite`) for
    /// the lifetime of the slice, and no mutable slice over them may exist.
    unsafe fn user(&self) -> &[u8] {
        let ptr = self.data_ptr().wrapping_add(self.user_offset());
        // SAFETY: `ptr .. ptr + len` lies in the data pages of this live
        // mapping; the caller guarantees they are readable and unaliased by
        // mutable references.
        unsafe { std::slice::from_raw_parts(ptr, self.len) }
    }

    /// The user bytes, writable.
    ///
    /// # Safety
    /// The data pages must be writable for the lifetime of the slice and no
    /// other slice over them may exist (the caller holds the mutex).
    #[allow(clippy::mut_from_ref)] // the pages are not Rust memory; the mutex is the borrow
    unsafe fn user_mut(&self) -> &mut [u8] {
        let ptr = self.data_ptr().wrapping_add(self.user_offset());
        // SAFETY: as in `user`, and the caller guarantees exclusivity and
        // write access.
        unsafe { std::slice::from_raw_parts_mut(ptr, self.len) }
    }

    /// All data pages, canary included.
    ///
    /// # Safety
    /// As for [`Mapping::user_mut`].
    #[allow(clippy::mut_from_ref)] // the pages are not Rust memory; the mutex is the borrow
    unsafe fn data_mut(&self) -> &mut [u8] {
        // SAFETY: the data pages lie inside this live mapping; the caller
        // guarantees write access and exclusivity.
        unsafe { std::slice::from_raw_parts_mut(self.data_ptr(), self.data_len) }
    }

    /// Checks the canary, wipes the data pages, unlocks and unmaps.
    fn release(mut self) -> Result<(), Error> {
        let mut result = Ok(());
        match self.protect(Prot::ReadWrite) {
            Ok(()) => {
                // SAFETY: the pages were just made writable and `self` is
                // owned here, so no other slice over them exists.
                let data = unsafe { self.data_mut() };
                if !self.is_gone() {
                    let at = self.user_offset() - CANARY_LEN;
                    let ok = match (canary(), data.get(at..at + CANARY_LEN)) {
                        (Ok(c), Some(stored)) => stored == c.as_slice(),
                        _ => false,
                    };
                    if !ok {
                        result = Err(Error::CanaryOverwritten);
                    }
                }
                data.zeroize();
                #[cfg(test)]
                tests::before_unmap(data);
            }
            // The pages cannot be wiped; unmapping still returns them to the
            // kernel, which zeroes them before any reuse.
            Err(e) => result = Err(e),
        }
        if self.locked {
            // SAFETY: the data pages were locked by `GuardedRegion::new` and
            // are still mapped.
            unsafe { sys::unlock(self.data_ptr(), self.data_len) };
            self.locked = false;
        }
        // SAFETY: `base .. base + map_len` is exactly the mapping created in
        // `GuardedRegion::with_policy`, and `self` (its only owner) is consumed,
        // so nothing refers to it afterwards.
        unsafe { sys::unmap(self.base.as_ptr(), self.map_len) };
        result
    }
}

/// What the registry of live regions and the owner share.
struct Shared {
    id: u64,
    state: Mutex<Option<Mapping>>,
}

impl Shared {
    /// Wipes the data pages and leaves them inaccessible.
    fn purge(&self) {
        let mut state = lock(&self.state);
        if let Some(m) = state.as_mut() {
            if m.purged {
                return;
            }
            if m.protect(Prot::ReadWrite).is_ok() {
                // SAFETY: writable just now; we hold the mutex, so no other
                // slice over the pages exists.
                unsafe { m.data_mut() }.zeroize();
                // A failure leaves zeros readable, which is harmless.
                let _ = m.protect(Prot::None);
            }
            m.purged = true;
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        lock(&LIVE).remove(&self.id);
        let mapping = self
            .state
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if mapping.is_some_and(|m| m.release() == Err(Error::CanaryOverwritten)) {
            // Memory below a secret region was overwritten and nobody can be
            // told (this is a drop): like libsodium's `sodium_free`, stop the
            // process rather than run on with corrupted memory. Call
            // `GuardedRegion::free` to get the error instead.
            eprintln!("secstream: secret region canary overwritten; aborting");
            std::process::abort();
        }
    }
}

static LIVE: LazyLock<Mutex<HashMap<u64, Weak<Shared>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Wipes every live region of the process and leaves it inaccessible: later
/// access returns [`Error::Purged`]. Returns how many regions were wiped.
///
/// It waits for closures that currently borrow a region to return; do not
/// call it from inside [`GuardedRegion::read`] or [`GuardedRegion::write`]
/// (that deadlocks).
pub fn purge_all() -> usize {
    // Take strong references under the registry lock, wipe after releasing
    // it: a region dropped meanwhile removes itself from the registry.
    let live: Vec<Arc<Shared>> = lock(&LIVE).values().filter_map(Weak::upgrade).collect();
    for shared in &live {
        shared.purge();
    }
    live.len()
}

/// Number of live regions in the process.
#[must_use]
pub fn live_regions() -> usize {
    lock(&LIVE).len()
}

/// Restores no-access protection when dropped (also when a closure panics);
/// does nothing for [`Access::Open`] regions.
struct Reprotect<'a>(&'a Mapping);

impl Reprotect<'_> {
    fn finish(self) -> Result<(), Error> {
        let r = self.0.protect_for(Prot::None);
        std::mem::forget(self);
        r
    }
}

impl Drop for Reprotect<'_> {
    fn drop(&mut self) {
        // Unwinding: nothing can be reported.
        let _ = self.0.protect_for(Prot::None);
    }
}

/// Bytes in guarded, locked pages; see the [module docs](self).
///
/// Not `Clone`; `Debug` shows only the length.
pub struct GuardedRegion {
    shared: Arc<Shared>,
    len: usize,
    locked: bool,
}

impl fmt::Debug for GuardedRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedRegion")
            .field("len", &self.len)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl GuardedRegion {
    /// A zeroed region of `len` bytes under the default [`LockPolicy`].
    ///
    /// # Errors
    /// See [`GuardedRegion::with_policy`].
    pub fn new(len: usize) -> Result<Self, Error> {
        Self::with_policy(len, default_lock_policy())
    }

    /// A zeroed region of `len` bytes, with [`Access::Scoped`].
    ///
    /// # Errors
    /// [`Error::TooLarge`] when the pages would not fit the address space,
    /// [`Error::Map`]/[`Error::Protect`] when the system refuses,
    /// [`Error::Lock`] when locking fails under [`LockPolicy::Required`],
    /// [`Error::Random`] when the canary cannot be drawn.
    pub fn with_policy(len: usize, policy: LockPolicy) -> Result<Self, Error> {
        Self::with_access(len, policy, Access::Scoped)
    }

    /// A zeroed region of `len` bytes whose pages are accessible as `access`
    /// says.
    ///
    /// # Errors
    /// As [`GuardedRegion::with_policy`].
    pub fn with_access(len: usize, policy: LockPolicy, access: Access) -> Result<Self, Error> {
        let canary = canary()?;
        let page = page_size();
        let data_len = len
            .checked_add(CANARY_LEN)
            .and_then(|n| n.checked_next_multiple_of(page))
            .ok_or(Error::TooLarge)?;
        let map_len = page
            .checked_mul(2)
            .and_then(|g| g.checked_add(data_len))
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or(Error::TooLarge)?;
        let base = sys::map(map_len).map_err(Error::Map)?;
        // From here on `Mapping::release` unmaps on every path.
        let mut m = Mapping {
            base,
            map_len,
            data_len,
            len,
            locked: false,
            purged: false,
            access,
            pid: std::process::id(),
        };
        if let Err(e) = m.protect(Prot::ReadWrite) {
            let _ = m.release();
            return Err(e);
        }
        // SAFETY: the data pages are part of the mapping just created.
        unsafe { sys::advise(m.data_ptr(), m.data_len) };
        // SAFETY: as above; locking also faults the (writable) pages in.
        match unsafe { sys::lock(m.data_ptr(), m.data_len) } {
            Ok(()) => m.locked = true,
            Err(code) => {
                if policy == LockPolicy::Required {
                    let _ = m.release();
                    return Err(Error::Lock(code));
                }
                UNLOCKED.fetch_add(1, Ordering::Relaxed);
            }
        }
        let at = m.user_offset() - CANARY_LEN;
        // SAFETY: the pages are writable and `m` is owned here.
        let data = unsafe { m.data_mut() };
        if let Some(slot) = data.get_mut(at..at + CANARY_LEN) {
            slot.copy_from_slice(canary);
        }
        if let Err(e) = m.protect_for(Prot::None) {
            let _ = m.release();
            return Err(e);
        }
        let locked = m.locked;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared {
            id,
            state: Mutex::new(Some(m)),
        });
        lock(&LIVE).insert(id, Arc::downgrade(&shared));
        Ok(Self {
            shared,
            len,
            locked,
        })
    }

    /// Length of the user bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the region holds no bytes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the pages are locked into RAM (see [`LockPolicy`]).
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// When the pages may be accessed.
    #[must_use]
    pub fn access(&self) -> Access {
        lock(&self.shared.state)
            .as_ref()
            .map_or(Access::Scoped, |m| m.access)
    }

    /// Runs `f` over the bytes, readable only for the duration of the call
    /// (for the region's life with [`Access::Open`]).
    ///
    /// Calling `read` or `write` on the same region from inside `f` deadlocks.
    ///
    /// # Errors
    /// [`Error::Purged`] after [`purge_all`], [`Error::Protect`] when the
    /// protection cannot be changed (then `f` is not called, or its result is
    /// dropped when the pages cannot be made inaccessible again).
    pub fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let state = lock(&self.shared.state);
        let m = state.as_ref().ok_or(Error::Purged)?;
        if m.is_gone() {
            return Err(Error::Purged);
        }
        m.protect_for(Prot::Read)?;
        let guard = Reprotect(m);
        // SAFETY: readable (just made so, or open for the region's life)
        // until `guard` restores no-access after `f`; the mutex is held, so
        // no mutable slice exists.
        let out = f(unsafe { m.user() });
        guard.finish()?;
        Ok(out)
    }

    /// Runs `f` over the bytes, writable only for the duration of the call
    /// (for the region's life with [`Access::Open`]).
    ///
    /// # Errors
    /// As for [`GuardedRegion::read`].
    pub fn write<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, Error> {
        let _regs = clear_regs::ClearOnDrop;
        let state = lock(&self.shared.state);
        let m = state.as_ref().ok_or(Error::Purged)?;
        if m.is_gone() {
            return Err(Error::Purged);
        }
        m.protect_for(Prot::ReadWrite)?;
        let guard = Reprotect(m);
        // SAFETY: writable (just made so, or open for the region's life)
        // until `guard` restores no-access after `f`; the mutex is held and
        // `&mut self` is exclusive, so no other slice exists.
        let out = f(unsafe { m.user_mut() });
        guard.finish()?;
        Ok(out)
    }

    /// Checks the canary, wipes the pages and unmaps them.
    ///
    /// Dropping the region does the same, but aborts the process when the
    /// canary was overwritten (it cannot report the error).
    ///
    /// # Errors
    /// [`Error::CanaryOverwritten`] when something wrote below the user bytes,
    /// [`Error::Protect`] when the pages could not be made writable to wipe
    /// them. The pages are unmapped in every case.
    pub fn free(self) -> Result<(), Error> {
        let mapping = lock(&self.shared.state).take();
        lock(&LIVE).remove(&self.shared.id);
        match mapping {
            Some(m) => m.release(),
            None => Ok(()),
        }
    }

    /// The address of the first user byte (for tests that inspect the
    /// mapping through `/proc`).
    #[doc(hidden)]
    #[must_use]
    pub fn addr(&self) -> usize {
        let state = lock(&self.shared.state);
        state
            .as_ref()
            .map_or(0, |m| m.data_ptr().wrapping_add(m.user_offset()).addr())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    const CHILD_ENV: &str = "SECSTREAM_UNIT_CHILD";

    /// True inside a child started by [`rerun_in_child`].
    pub(crate) fn in_child() -> bool {
        std::env::var_os(CHILD_ENV).is_some()
    }

    /// Runs one test of this binary alone in a fresh process (for tests that
    /// purge every region of the process, which would disturb tests running
    /// beside them) and asserts that it passed.
    pub(crate) fn rerun_in_child(test: &str) {
        let exe = std::env::current_exe().expect("current exe");
        let out = std::process::Command::new(exe)
            .args(["--exact", test, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, "1")
            .output()
            .expect("spawn child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child {test} failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    thread_local! {
        /// What `release` saw in the data pages after wiping, before unmap.
        static SEEN: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    }

    /// Test hook: called by `release` with the data pages after the wipe and
    /// before `munmap`.
    pub(super) fn before_unmap(data: &[u8]) {
        SEEN.with(|s| *s.borrow_mut() = Some(data.to_vec()));
    }

    fn take_seen() -> Option<Vec<u8>> {
        SEEN.with(|s| s.borrow_mut().take())
    }

    /// Overwrites the last canary byte, as an underflow would.
    fn smash_canary(region: &GuardedRegion) {
        let state = lock(&region.shared.state);
        let m = state.as_ref().expect("live");
        m.protect(Prot::ReadWrite).expect("rw");
        let at = m.user_offset() - 1;
        // SAFETY: writable just now, mutex held.
        let data = unsafe { m.data_mut() };
        data[at] ^= 0xFF;
        m.protect(Prot::None).expect("none");
    }

    #[test]
    fn pages_read_zero_before_unmap() {
        for len in [
            0,
            1,
            100,
            page_size() - CANARY_LEN,
            page_size(),
            3 * page_size() + 5,
        ] {
            let mut r = GuardedRegion::new(len).unwrap();
            r.write(|b| b.fill(0xA5)).unwrap();
            assert!(r.read(|b| b.iter().all(|&x| x == 0xA5)).unwrap());
            r.free().unwrap();
            let seen = take_seen().expect("hook ran");
            assert!(seen.len() >= len + CANARY_LEN);
            assert_eq!(seen.len() % page_size(), 0);
            assert!(
                seen.iter().all(|&b| b == 0),
                "len {len}: plaintext left before unmap"
            );
        }
    }

    #[test]
    fn drop_also_wipes() {
        let mut r = GuardedRegion::new(64).unwrap();
        r.write(|b| b.fill(1)).unwrap();
        drop(r);
        assert!(take_seen().expect("hook ran").iter().all(|&b| b == 0));
    }

    #[test]
    fn overwritten_canary_is_detected_on_free() {
        let mut r = GuardedRegion::new(40).unwrap();
        r.write(|b| b.fill(9)).unwrap();
        smash_canary(&r);
        assert_eq!(r.free(), Err(Error::CanaryOverwritten));
        // Wiped all the same.
        assert!(take_seen().expect("hook ran").iter().all(|&b| b == 0));
    }

    #[test]
    fn intact_canary_passes() {
        let r = GuardedRegion::new(40).unwrap();
        assert_eq!(r.free(), Ok(()));
    }

    #[test]
    #[cfg_attr(miri, ignore)] // spawns a child process
    fn purge_wipes_and_blocks_access() {
        if !in_child() {
            return rerun_in_child("secret_memory::tests::purge_wipes_and_blocks_access");
        }
        // Both kinds: an open region loses its access to the purge too.
        for access in [Access::Scoped, Access::Open] {
            let mut r = GuardedRegion::with_access(16, LockPolicy::BestEffort, access).unwrap();
            r.write(|b| b.fill(3)).unwrap();
            assert!(purge_all() >= 1);
            assert_eq!(r.read(|b| b.to_vec()), Err(Error::Purged));
            assert_eq!(r.write(|_| ()), Err(Error::Purged));
            r.free().unwrap();
            assert!(take_seen().expect("hook ran").iter().all(|&b| b == 0));
        }
    }

    #[test]
    fn open_regions_work_wipe_and_check_the_canary() {
        let mut r = GuardedRegion::with_access(48, LockPolicy::BestEffort, Access::Open).unwrap();
        assert_eq!(r.access(), Access::Open);
        assert!(r.read(|b| b.iter().all(|&x| x == 0)).unwrap());
        r.write(|b| b.fill(0x5A)).unwrap();
        assert!(r.read(|b| b.iter().all(|&x| x == 0x5A)).unwrap());
        r.free().unwrap();
        assert!(take_seen().expect("hook ran").iter().all(|&b| b == 0));

        let mut r = GuardedRegion::with_access(48, LockPolicy::BestEffort, Access::Open).unwrap();
        r.write(|b| b.fill(1)).unwrap();
        smash_canary(&r);
        assert_eq!(r.free(), Err(Error::CanaryOverwritten));
        assert!(take_seen().expect("hook ran").iter().all(|&b| b == 0));
        assert_eq!(GuardedRegion::new(1).unwrap().access(), Access::Scoped);
    }

    #[test]
    fn too_large_is_an_error() {
        assert_eq!(GuardedRegion::new(usize::MAX).unwrap_err(), Error::TooLarge);
        assert_eq!(
            GuardedRegion::new(usize::MAX - 4 * page_size()).unwrap_err(),
            Error::TooLarge
        );
    }

    #[test]
    fn panic_in_closure_leaves_region_usable() {
        let mut r = GuardedRegion::new(8).unwrap();
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            r.write(|_| panic!("boom")).ok();
        }));
        assert!(res.is_err());
        r.write(|b| b.fill(2)).unwrap();
        assert_eq!(r.read(|b| b.to_vec()).unwrap(), vec![2; 8]);
        r.free().unwrap();
    }

    #[test]
    fn errors_display_lowercase() {
        for e in [
            Error::TooLarge,
            Error::Map(12),
            Error::Lock(1),
            Error::CoreDumps(1),
            Error::CanaryOverwritten,
        ] {
            let s = e.to_string();
            assert!(s.chars().next().unwrap().is_lowercase());
            assert!(!s.ends_with('.'));
        }
    }
}
