//! A byte ring split into a lock-free producer half and consumer half.
//!
//! [`SpscRing`] is a single-producer single-consumer Lamport queue of bytes:
//! the [`Producer`] alone advances the write index, the [`Consumer`] alone
//! advances the read index, each publishes its index with a `Release` store
//! and reads the other's with an `Acquire` load. No locks and no
//! compare-and-swap on the data path, so one half can live in an interrupt
//! handler and the other in the main loop (or in two threads).
//!
//! ```
//! use secstream_core::spsc::SpscRing;
//!
//! static RING: SpscRing<64> = SpscRing::new();
//!
//! // Only the first call hands out the halves.
//! let (mut tx, mut rx) = RING.try_split().unwrap();
//! assert!(RING.try_split().is_none());
//!
//! // Copying in and out.
//! assert_eq!(tx.write(b"hello"), 5);
//! let mut out = [0u8; 8];
//! assert_eq!(rx.read_into(&mut out), 5);
//! assert_eq!(&out[..5], b"hello");
//!
//! // In place, for DMA: a contiguous grant to fill, then to drain.
//! let mut grant = tx.grant(4)?;
//! grant.copy_from_slice(b"dma!");
//! grant.commit(4);
//! let grant = rx.read()?;
//! assert_eq!(&*grant, b"dma!");
//! grant.release(4); // zeroizes the four bytes in the ring
//! # Ok::<(), secstream_core::ring::Error>(())
//! ```
//!
//! # Capacity
//! `N` may be any size (a power of two is not needed) and all `N` bytes are
//! usable: the indices run over `0..2N`, which tells a full ring from an
//! empty one without a spare slot.
//!
//! # Wiping
//! Bytes are zeroized in the storage when they are consumed
//! ([`Consumer::read_into`], [`GrantR::release`]) unless the ring was made
//! with [`SpscRing::new_unwiped`]; the whole storage is zeroized when the
//! ring is dropped. A write grant dropped without commit, and the part of it
//! not committed, is zeroized too, so with wiping on the free space holds
//! only zeros. Dropping the halves keeps the buffered bytes in the ring (a
//! later [`SpscRing::split`] gets them back).
//!
//! # Full, empty and out-of-range counts
//! Nothing here panics or blocks. A full ring accepts `0` bytes and
//! [`Producer::grant`] returns [`Error::Full`]; an empty one yields `0` and
//! [`Consumer::read`] returns [`Error::Empty`]. [`GrantW::commit`] and
//! [`GrantR::release`] clamp their count to the grant's length and return
//! the count they applied.
//!
//! # Unsafe code
//! This module holds the crate's unsafe code: both halves reach the shared
//! storage through `UnsafeCell`, and each only touches the slots its index
//! protocol gives it. The protocol is checked with loom
//! (`RUSTFLAGS="--cfg loom"`, see `loom_tests`) and the slices with Miri.
// The halves share one storage array through `UnsafeCell` and raw pointers;
// that cannot be expressed in safe Rust. Each block says why it is sound.
#![allow(unsafe_code)]

use core::fmt;
use core::marker::PhantomData;
#[cfg(not(loom))]
use core::ops::{Deref, DerefMut};
#[cfg(not(loom))]
use core::ptr::NonNull;

#[cfg(not(loom))]
use zeroize::Zeroize;

pub use crate::ring::Error;

use self::sync::{AtomicBool, AtomicUsize, Ordering, UnsafeCell};

/// Atomics and cells: loom's under `cfg(loom)`, so loom can check the index
/// protocol, else `portable_atomic` (native atomics for loads and stores; a
/// critical section for the one compare-and-swap on targets without it).
mod sync {
    #[cfg(loom)]
    pub(super) use loom::cell::UnsafeCell;
    #[cfg(loom)]
    pub(super) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    #[cfg(not(loom))]
    pub(super) use core::cell::UnsafeCell;
    #[cfg(not(loom))]
    pub(super) use portable_atomic::{AtomicBool, AtomicUsize, Ordering};
}

/// A byte ring of capacity `N` that splits into a [`Producer`] and a
/// [`Consumer`] usable from two threads or from an interrupt handler and the
/// main loop.
///
/// Not `Clone`; `Debug` shows only the capacity.
// `repr(C)` with the storage first: it starts at the start of the value,
// aligned to the cache line where lines are 64 bytes (as `Ring`, see there).
#[repr(C)]
#[cfg_attr(
    any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64"),
    repr(align(64))
)]
pub struct SpscRing<const N: usize> {
    /// One cell per byte: the halves own disjoint slots at any time.
    buf: [UnsafeCell<u8>; N],
    /// Read index in `0..2N`; stored only by the consumer.
    head: AtomicUsize,
    /// Write index in `0..2N`; stored only by the producer.
    tail: AtomicUsize,
    /// Set once by [`SpscRing::try_split`].
    taken: AtomicBool,
    /// Whether consumed bytes are zeroized.
    wipe: bool,
}

// SAFETY: the only non-`Sync` part is the storage. Through a shared
// `&SpscRing` it is reached only by the one `Producer` (slots between `tail`
// and `head + N`, published with a `Release` store of `tail`) and the one
// `Consumer` (slots between `head` and `tail`, handed back with a `Release`
// store of `head`); each reads the other's index with `Acquire` before
// touching a slot, so no slot is accessed by both sides without a
// happens-before edge. Every other method reads atomics only.
unsafe impl<const N: usize> Sync for SpscRing<N> {}

impl<const N: usize> SpscRing<N> {
    /// The index space `0..2N`: twice the capacity tells full from empty.
    /// Arrays have at most `isize::MAX` bytes, so this does not overflow.
    const LAP: usize = 2 * N;

    /// An empty ring that wipes bytes as they are consumed.
    #[cfg(not(loom))]
    #[must_use]
    pub const fn new() -> Self {
        Self::with_wipe(true)
    }

    /// An empty ring that does not wipe bytes as they are consumed (dropping
    /// still wipes the whole storage).
    #[cfg(not(loom))]
    #[must_use]
    pub const fn new_unwiped() -> Self {
        Self::with_wipe(false)
    }

    #[cfg(not(loom))]
    const fn with_wipe(wipe: bool) -> Self {
        Self {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            taken: AtomicBool::new(false),
            wipe,
            buf: [const { UnsafeCell::new(0) }; N],
        }
    }

    /// An empty ring that wipes bytes as they are consumed.
    #[cfg(loom)]
    #[must_use]
    pub fn new() -> Self {
        Self::with_wipe(true)
    }

    /// An empty ring that does not wipe bytes as they are consumed.
    #[cfg(loom)]
    #[must_use]
    pub fn new_unwiped() -> Self {
        Self::with_wipe(false)
    }

    #[cfg(loom)]
    fn with_wipe(wipe: bool) -> Self {
        Self {
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            taken: AtomicBool::new(false),
            wipe,
            buf: core::array::from_fn(|_| UnsafeCell::new(0)),
        }
    }

    /// The capacity `N` in bytes.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Whether consumed bytes are wiped.
    #[must_use]
    pub const fn wipes(&self) -> bool {
        self.wipe
    }

    /// Splits the ring into its two halves for as long as `self` is
    /// borrowed. Bytes left in the ring stay there for the next split.
    pub fn split(&mut self) -> (Producer<'_, N>, Consumer<'_, N>) {
        (
            Producer {
                ring: self,
                _not_sync: PhantomData,
            },
            Consumer {
                ring: self,
                _not_sync: PhantomData,
            },
        )
    }

    /// Splits a ring in a `static` into its two halves, the first time only:
    /// later calls return `None`, so there is never more than one producer
    /// or consumer.
    ///
    /// On targets without compare-and-swap (thumbv6m) this takes one
    /// critical section: the final binary provides its implementation.
    pub fn try_split(&'static self) -> Option<(Producer<'static, N>, Consumer<'static, N>)> {
        self.taken
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        Some((
            Producer {
                ring: self,
                _not_sync: PhantomData,
            },
            Consumer {
                ring: self,
                _not_sync: PhantomData,
            },
        ))
    }

    /// Slot of index `i < 2N`.
    #[inline]
    const fn slot(i: usize) -> usize {
        if i >= N { i - N } else { i }
    }

    /// Index `i < 2N` moved on by `n <= N`.
    #[inline]
    const fn advance(i: usize, n: usize) -> usize {
        let j = i + n;
        if j >= Self::LAP { j - Self::LAP } else { j }
    }

    /// Bytes between the indices `head` and `tail` (both `< 2N`).
    #[inline]
    const fn distance(head: usize, tail: usize) -> usize {
        if tail >= head {
            tail - head
        } else {
            tail + Self::LAP - head
        }
    }

    /// The storage slots `start..start + len` as a mutable slice.
    ///
    /// # Safety
    /// `start + len <= N`, and while the slice lives no other code reads or
    /// writes these slots: the caller owns them under the index protocol
    /// (free slots for the producer, buffered slots for the consumer) or
    /// holds `&mut self`.
    #[cfg(not(loom))]
    #[inline]
    #[allow(clippy::mut_from_ref)] // the storage is interior-mutable; see # Safety
    unsafe fn slots(&self, start: usize, len: usize) -> &mut [u8] {
        let cells = self.buf.as_ptr();
        // SAFETY: `start <= N` by the caller's contract, so the offset stays
        // within (or one past the end of) the array.
        let first = unsafe { cells.add(start) };
        // `UnsafeCell<u8>` has the layout of `u8`, and the pointer comes from
        // a shared borrow of cells, which permits writes through it.
        let data = UnsafeCell::raw_get(first);
        // SAFETY: `len` initialised bytes from `data` lie in the array
        // (`start + len <= N`), and the caller guarantees nothing else
        // accesses them while the slice lives.
        unsafe { core::slice::from_raw_parts_mut(data, len) }
    }

    /// Copies `src` into the slots from `start`.
    ///
    /// # Safety
    /// As for [`Self::slots`] with `len = src.len()`, for the call.
    #[inline]
    unsafe fn store(&self, start: usize, src: &[u8]) {
        #[cfg(not(loom))]
        {
            // SAFETY: forwarded from this function's contract.
            let dst = unsafe { self.slots(start, src.len()) };
            dst.copy_from_slice(src);
        }
        #[cfg(loom)]
        for (cell, &b) in self.buf[start..start + src.len()].iter().zip(src) {
            // SAFETY: the caller owns this slot; loom checks that claim.
            cell.with_mut(|p| unsafe { p.write(b) });
        }
    }

    /// Moves the slots from `start` into `dst`, zeroizing them unless the
    /// ring is unwiped.
    ///
    /// # Safety
    /// As for [`Self::slots`] with `len = dst.len()`, for the call.
    #[inline]
    unsafe fn take(&self, start: usize, dst: &mut [u8]) {
        #[cfg(not(loom))]
        {
            // SAFETY: forwarded from this function's contract.
            let src = unsafe { self.slots(start, dst.len()) };
            crate::ring::move_out(dst, src, self.wipe);
        }
        #[cfg(loom)]
        for (cell, b) in self.buf[start..start + dst.len()].iter().zip(dst) {
            // SAFETY: the caller owns this slot; loom checks that claim.
            *b = cell.with(|p| unsafe { p.read() });
            if self.wipe {
                // SAFETY: as above.
                cell.with_mut(|p| unsafe { p.write(0) });
            }
        }
    }

    /// Zeroizes the slots `start..start + len`.
    ///
    /// # Safety
    /// As for [`Self::slots`], for the call.
    #[inline]
    unsafe fn wipe_slots(&self, start: usize, len: usize) {
        #[cfg(not(loom))]
        {
            // SAFETY: forwarded from this function's contract.
            let s = unsafe { self.slots(start, len) };
            s.zeroize();
        }
        #[cfg(loom)]
        for cell in &self.buf[start..start + len] {
            // SAFETY: the caller owns this slot; loom checks that claim.
            cell.with_mut(|p| unsafe { p.write(0) });
        }
    }

    /// The raw storage, for tests that check what was wiped.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn storage(&mut self) -> &[u8] {
        // SAFETY: `&mut self` excludes both halves; `N` slots from 0.
        unsafe { self.slots(0, N) }
    }
}

#[cfg(not(loom))]
impl<const N: usize> Default for SpscRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Drop for SpscRing<N> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` excludes both halves; `N` slots from 0.
        unsafe { self.wipe_slots(0, N) };
    }
}

impl<const N: usize> fmt::Debug for SpscRing<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpscRing")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

/// The writing half of a [`SpscRing`].
///
/// Hand it to one thread or interrupt handler (it is `Send`); all its
/// methods that change the ring take `&mut self`.
pub struct Producer<'a, const N: usize> {
    ring: &'a SpscRing<N>,
    /// A half is one party of the protocol: movable, not shareable.
    _not_sync: PhantomData<core::cell::Cell<()>>,
}

impl<'a, const N: usize> Producer<'a, N> {
    /// The write index and the free space as `(tail, slot, contiguous, free)`.
    #[inline]
    fn free_region(&self) -> (usize, usize, usize, usize) {
        // Only this half stores `tail`.
        let tail = self.ring.tail.load(Ordering::Relaxed);
        // Acquire: the consumer is done with (and has wiped) every slot
        // before `head` once we see it.
        let head = self.ring.head.load(Ordering::Acquire);
        let free = N - SpscRing::<N>::distance(head, tail);
        let slot = SpscRing::<N>::slot(tail);
        (tail, slot, free.min(N - slot), free)
    }

    /// Publishes `n` more bytes after `tail`.
    #[inline]
    fn publish(&self, tail: usize, n: usize) {
        // Release: the bytes written into the slots are visible to the
        // consumer once it sees the new `tail`.
        self.ring
            .tail
            .store(SpscRing::<N>::advance(tail, n), Ordering::Release);
    }

    /// The capacity `N` in bytes.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The number of bytes that fit right now (the consumer may free more
    /// at any time).
    #[must_use]
    pub fn free(&self) -> usize {
        self.free_region().3
    }

    /// Whether no byte fits right now.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.free() == 0
    }

    /// Appends as many bytes of `data` as fit and returns how many that was
    /// (`0` when the ring is full).
    #[inline]
    pub fn write(&mut self, data: &[u8]) -> usize {
        let (tail, slot, contiguous, free) = self.free_region();
        let n = data.len().min(free);
        let n1 = n.min(contiguous);
        let (first, rest) = data.split_at(n1);
        // SAFETY: `slot + n1 <= N`; the free slots after `tail` belong to
        // this half until it publishes them.
        unsafe { self.ring.store(slot, first) };
        if n > n1 {
            // SAFETY: the free space wraps to slot 0 for `n - n1 <= free -
            // contiguous` slots, still ours and below `slot`.
            unsafe { self.ring.store(0, &rest[..n - n1]) };
        }
        self.publish(tail, n);
        n
    }

    /// A contiguous part of the free space, at most `max` bytes long, to
    /// fill in place (by DMA, say) and then [`GrantW::commit`].
    ///
    /// The grant stops at the end of the storage: when the free space wraps,
    /// a second grant gets the rest after this one is committed.
    ///
    /// # Errors
    /// [`Error::Full`] when no byte is free.
    #[cfg(not(loom))]
    pub fn grant(&mut self, max: usize) -> Result<GrantW<'_, N>, Error> {
        let (tail, slot, contiguous, _) = self.free_region();
        if contiguous == 0 {
            return Err(Error::Full);
        }
        // SAFETY: `slot + contiguous <= N`; the free slots after `tail`
        // belong to this half, and the grant borrows it mutably, so no other
        // write reaches them until the grant is gone.
        let buf = unsafe { self.ring.slots(slot, contiguous.min(max)) };
        Ok(GrantW {
            ring: self.ring,
            buf: NonNull::from(buf),
            _slots: PhantomData,
            tail,
            done: false,
        })
    }
}

impl<const N: usize> fmt::Debug for Producer<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

/// The reading half of a [`SpscRing`].
///
/// Hand it to one thread or interrupt handler (it is `Send`); all its
/// methods that change the ring take `&mut self`.
///
/// Its inherent [`Consumer::read`] takes no buffer (it returns a grant); to
/// copy bytes out call [`Consumer::read_into`] or the `Read` traits.
pub struct Consumer<'a, const N: usize> {
    ring: &'a SpscRing<N>,
    /// A half is one party of the protocol: movable, not shareable.
    _not_sync: PhantomData<core::cell::Cell<()>>,
}

impl<'a, const N: usize> Consumer<'a, N> {
    /// The read index and the buffered bytes as `(head, slot, contiguous, len)`.
    #[inline]
    fn filled_region(&self) -> (usize, usize, usize, usize) {
        // Only this half stores `head`.
        let head = self.ring.head.load(Ordering::Relaxed);
        // Acquire: the producer's bytes before `tail` are visible once we
        // see it.
        let tail = self.ring.tail.load(Ordering::Acquire);
        let len = SpscRing::<N>::distance(head, tail);
        let slot = SpscRing::<N>::slot(head);
        (head, slot, len.min(N - slot), len)
    }

    /// Hands `n` bytes after `head` back to the producer.
    #[inline]
    fn publish(&self, head: usize, n: usize) {
        // Release: our reads and the wipe of those slots happen before the
        // producer reuses them.
        self.ring
            .head
            .store(SpscRing::<N>::advance(head, n), Ordering::Release);
    }

    /// The capacity `N` in bytes.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The number of buffered bytes right now (the producer may add more at
    /// any time).
    #[must_use]
    pub fn len(&self) -> usize {
        self.filled_region().3
    }

    /// Whether no byte is buffered right now.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves up to `out.len()` of the oldest bytes into `out`, wipes them in
    /// the ring (unless it is unwiped), and returns how many (`0` when the
    /// ring is empty).
    #[inline]
    pub fn read_into(&mut self, out: &mut [u8]) -> usize {
        let (head, slot, contiguous, len) = self.filled_region();
        let n = out.len().min(len);
        let n1 = n.min(contiguous);
        let (first, rest) = out.split_at_mut(n1);
        let rest = &mut rest[..n - n1];
        // SAFETY: `slot + n1 <= N`; the buffered slots after `head` belong to
        // this half until it hands them back.
        unsafe { self.ring.take(slot, first) };
        if n > n1 {
            // SAFETY: the buffered bytes wrap to slot 0 for `n - n1` slots,
            // still ours and below `slot`.
            unsafe { self.ring.take(0, rest) };
        }
        self.publish(head, n);
        n
    }

    /// The oldest buffered bytes, up to the end of the storage, to use in
    /// place (a DMA source, or decryption in place) and then
    /// [`GrantR::release`].
    ///
    /// # Errors
    /// [`Error::Empty`] when no byte is buffered.
    #[cfg(not(loom))]
    pub fn read(&mut self) -> Result<GrantR<'_, N>, Error> {
        let (head, slot, contiguous, _) = self.filled_region();
        if contiguous == 0 {
            return Err(Error::Empty);
        }
        // SAFETY: `slot + contiguous <= N`; the buffered slots after `head`
        // belong to this half, and the grant borrows it mutably, so nothing
        // else reaches them until the grant is gone.
        let buf = unsafe { self.ring.slots(slot, contiguous) };
        Ok(GrantR {
            ring: self.ring,
            buf: NonNull::from(buf),
            _slots: PhantomData,
            head,
            done: false,
        })
    }

    /// Drops up to `n` of the oldest buffered bytes from the contiguous run
    /// [`Consumer::read`] would return, wiping them; returns how many.
    ///
    /// What `BufRead::consume` does after `fill_buf`.
    #[cfg(not(loom))]
    pub(crate) fn release_front(&mut self, n: usize) -> usize {
        match self.read() {
            Ok(grant) => grant.release(n),
            Err(_) => 0,
        }
    }

    /// The run [`Consumer::read`] would return, borrowed from `self`; empty
    /// when nothing is buffered. What `BufRead::fill_buf` returns.
    #[cfg(not(loom))]
    pub(crate) fn front(&mut self) -> &[u8] {
        let (_, slot, contiguous, _) = self.filled_region();
        // SAFETY: `slot + contiguous <= N`; the buffered slots after `head`
        // belong to this half, borrowed mutably for the slice's lifetime.
        unsafe { self.ring.slots(slot, contiguous) }
    }
}

impl<const N: usize> fmt::Debug for Consumer<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

/// Contiguous free space lent by [`Producer::grant`]: fill it, then
/// [`GrantW::commit`] how much of it to publish.
///
/// Dropping it publishes nothing. Unless the ring is unwiped, the part not
/// committed is zeroized, so bytes written there do not linger.
#[cfg(not(loom))]
#[must_use = "a write grant publishes nothing until it is committed"]
pub struct GrantW<'g, const N: usize> {
    ring: &'g SpscRing<N>,
    /// The lent slots. A raw slice, not a `&mut [u8]`: a reference field
    /// of a by-value argument (`self` of `commit`/`release`) stays protected
    /// until the call returns, past the store that hands the slots to the
    /// other half; the raw slice makes a reference only inside each access.
    buf: NonNull<[u8]>,
    _slots: PhantomData<&'g mut [u8]>,
    tail: usize,
    done: bool,
}

// SAFETY: the grant is a `&mut [u8]` over slots its half owns plus a shared
// `&SpscRing` (which is `Sync`), both `Send` and `Sync`; the raw slice only
// stands in for the `&mut [u8]`.
#[cfg(not(loom))]
unsafe impl<const N: usize> Send for GrantW<'_, N> {}
// SAFETY: as for `Send`: `&GrantW` gives only `&[u8]` access.
#[cfg(not(loom))]
unsafe impl<const N: usize> Sync for GrantW<'_, N> {}

#[cfg(not(loom))]
impl<const N: usize> GrantW<'_, N> {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `buf` came from `slots` over slots this grant owns under the
        // index protocol until `finish` publishes them; `&self` keeps any
        // `&mut` access away meanwhile.
        unsafe { self.buf.as_ref() }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` makes this the only access.
        unsafe { self.buf.as_mut() }
    }
}

#[cfg(not(loom))]
impl<const N: usize> GrantW<'_, N> {
    /// Publishes the first `n` bytes of the grant to the consumer and
    /// returns how many were published: `n` is clamped to the grant's length.
    pub fn commit(mut self, n: usize) -> usize {
        self.finish(n)
    }

    fn finish(&mut self, n: usize) -> usize {
        if self.done {
            return 0;
        }
        self.done = true;
        let n = n.min(self.buf.len());
        if self.ring.wipe
            && let Some(rest) = self.bytes_mut().get_mut(n..)
        {
            rest.zeroize();
        }
        // Release: the bytes written into the grant are visible to the
        // consumer once it sees the new `tail`.
        self.ring
            .tail
            .store(SpscRing::<N>::advance(self.tail, n), Ordering::Release);
        n
    }
}

#[cfg(not(loom))]
impl<const N: usize> Deref for GrantW<'_, N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes()
    }
}

#[cfg(not(loom))]
impl<const N: usize> DerefMut for GrantW<'_, N> {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.bytes_mut()
    }
}

#[cfg(not(loom))]
impl<const N: usize> Drop for GrantW<'_, N> {
    fn drop(&mut self) {
        self.finish(0);
    }
}

#[cfg(not(loom))]
impl<const N: usize> fmt::Debug for GrantW<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantW")
            .field("len", &self.buf.len())
            .finish_non_exhaustive()
    }
}

/// The oldest buffered bytes lent by [`Consumer::read`]: use them (they may
/// be changed in place), then [`GrantR::release`] how many to drop.
///
/// Dropping it releases nothing: the bytes stay buffered.
#[cfg(not(loom))]
#[must_use = "a read grant drops nothing until it is released"]
pub struct GrantR<'g, const N: usize> {
    ring: &'g SpscRing<N>,
    /// The lent slots. A raw slice, not a `&mut [u8]`: a reference field
    /// of a by-value argument (`self` of `commit`/`release`) stays protected
    /// until the call returns, past the store that hands the slots to the
    /// other half; the raw slice makes a reference only inside each access.
    buf: NonNull<[u8]>,
    _slots: PhantomData<&'g mut [u8]>,
    head: usize,
    done: bool,
}

// SAFETY: the grant is a `&mut [u8]` over slots its half owns plus a shared
// `&SpscRing` (which is `Sync`), both `Send` and `Sync`; the raw slice only
// stands in for the `&mut [u8]`.
#[cfg(not(loom))]
unsafe impl<const N: usize> Send for GrantR<'_, N> {}
// SAFETY: as for `Send`: `&GrantR` gives only `&[u8]` access.
#[cfg(not(loom))]
unsafe impl<const N: usize> Sync for GrantR<'_, N> {}

#[cfg(not(loom))]
impl<const N: usize> GrantR<'_, N> {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `buf` came from `slots` over slots this grant owns under the
        // index protocol until `finish` publishes them; `&self` keeps any
        // `&mut` access away meanwhile.
        unsafe { self.buf.as_ref() }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, and `&mut self` makes this the only access.
        unsafe { self.buf.as_mut() }
    }
}

#[cfg(not(loom))]
impl<const N: usize> GrantR<'_, N> {
    /// Drops the first `n` bytes of the grant from the ring, zeroizing them
    /// (unless the ring is unwiped), and returns how many were dropped: `n`
    /// is clamped to the grant's length.
    pub fn release(mut self, n: usize) -> usize {
        self.finish(n)
    }

    fn finish(&mut self, n: usize) -> usize {
        if self.done {
            return 0;
        }
        self.done = true;
        let n = n.min(self.buf.len());
        if self.ring.wipe
            && let Some(used) = self.bytes_mut().get_mut(..n)
        {
            used.zeroize();
        }
        // Release: our reads and the wipe happen before the producer reuses
        // the slots.
        self.ring
            .head
            .store(SpscRing::<N>::advance(self.head, n), Ordering::Release);
        n
    }
}

#[cfg(not(loom))]
impl<const N: usize> Deref for GrantR<'_, N> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.bytes()
    }
}

#[cfg(not(loom))]
impl<const N: usize> DerefMut for GrantR<'_, N> {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.bytes_mut()
    }
}

#[cfg(not(loom))]
impl<const N: usize> Drop for GrantR<'_, N> {
    fn drop(&mut self) {
        self.finish(0);
    }
}

#[cfg(not(loom))]
impl<const N: usize> fmt::Debug for GrantR<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantR")
            .field("len", &self.buf.len())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use std::format;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn write_read_with_wrap() {
        let mut ring = SpscRing::<5>::new();
        let (mut tx, mut rx) = ring.split();
        assert_eq!(tx.capacity(), 5);
        assert_eq!(tx.write(b"abc"), 3);
        let mut out = [0u8; 8];
        assert_eq!(rx.read_into(&mut out[..2]), 2);
        assert_eq!(&out[..2], b"ab");
        assert_eq!(tx.write(b"defgh"), 4);
        assert!(tx.is_full());
        assert_eq!(tx.write(b"x"), 0);
        assert_eq!(rx.len(), 5);
        assert_eq!(rx.read_into(&mut out), 5);
        assert_eq!(&out[..5], b"cdefg");
        assert!(rx.is_empty());
        assert_eq!(rx.read_into(&mut out), 0);
    }

    #[test]
    fn grants_stop_at_the_wrap_point() {
        let mut ring = SpscRing::<6>::new();
        let (mut tx, mut rx) = ring.split();
        assert_eq!(tx.write(b"abcd"), 4);
        assert_eq!(rx.read_into(&mut [0u8; 3]), 3);
        let mut g = tx.grant(10).unwrap();
        assert_eq!(g.len(), 2);
        g.copy_from_slice(b"ef");
        assert_eq!(g.commit(5), 2);
        let mut g = tx.grant(10).unwrap();
        assert_eq!(g.len(), 3);
        g[..2].copy_from_slice(b"gh");
        assert_eq!(g.commit(2), 2);
        let g = rx.read().unwrap();
        assert_eq!(&*g, b"def");
        assert_eq!(g.release(99), 3);
        let mut g = rx.read().unwrap();
        assert_eq!(&*g, b"gh");
        g[0] = b'G'; // in place, e.g. decryption
        assert_eq!(g.release(1), 1);
        assert_eq!(&*rx.read().unwrap(), b"h");
    }

    #[test]
    fn full_and_empty_are_errors_for_grants() {
        let mut ring = SpscRing::<2>::new();
        let (mut tx, mut rx) = ring.split();
        assert_eq!(rx.read().unwrap_err(), Error::Empty);
        tx.write(b"ab");
        assert_eq!(tx.grant(1).unwrap_err(), Error::Full);
        let mut ring = SpscRing::<0>::new();
        let (mut tx, mut rx) = ring.split();
        assert_eq!(tx.grant(1).unwrap_err(), Error::Full);
        assert_eq!(rx.read().unwrap_err(), Error::Empty);
        assert_eq!(tx.write(b"a"), 0);
        assert_eq!(rx.read_into(&mut [0u8; 1]), 0);
    }

    #[test]
    fn dropped_grants_publish_nothing_and_wipe() {
        let mut ring = SpscRing::<4>::new();
        {
            let (mut tx, mut rx) = ring.split();
            let mut g = tx.grant(4).unwrap();
            g.copy_from_slice(b"key!");
            drop(g);
            assert!(rx.is_empty());
            let mut g = tx.grant(4).unwrap();
            g.copy_from_slice(b"key!");
            g.commit(2);
            let g = rx.read().unwrap();
            assert_eq!(&*g, b"ke");
            drop(g);
            assert_eq!(rx.len(), 2);
        }
        assert_eq!(ring.storage(), b"ke\0\0");
    }

    #[test]
    fn consumed_bytes_are_zeroed_in_storage() {
        let mut ring = SpscRing::<8>::new();
        {
            let (mut tx, mut rx) = ring.split();
            tx.write(&[0xAA; 6]);
            rx.read_into(&mut [0u8; 4]);
            tx.write(&[0xBB; 5]);
            let g = rx.read().unwrap();
            assert_eq!(g.len(), 4);
            g.release(3);
        }
        assert_eq!(ring.storage(), &[0xBB, 0xBB, 0xBB, 0, 0, 0, 0, 0xBB]);
        {
            let (_, mut rx) = ring.split();
            assert_eq!(rx.read_into(&mut [0u8; 8]), 4);
        }
        assert_eq!(ring.storage(), &[0; 8]);
    }

    #[test]
    fn unwiped_ring_leaves_consumed_bytes() {
        let mut ring = SpscRing::<4>::new_unwiped();
        assert!(!ring.wipes());
        {
            let (mut tx, mut rx) = ring.split();
            tx.write(b"abcd");
            rx.read_into(&mut [0u8; 2]);
        }
        assert_eq!(ring.storage(), b"abcd");
    }

    #[test]
    fn bytes_survive_a_resplit() {
        let mut ring = SpscRing::<4>::new();
        ring.split().0.write(b"xyz");
        let mut out = [0u8; 4];
        assert_eq!(ring.split().1.read_into(&mut out), 3);
        assert_eq!(&out[..3], b"xyz");
    }

    #[test]
    fn try_split_hands_out_halves_once() {
        static RING: SpscRing<16> = SpscRing::new();
        let (mut tx, mut rx) = RING.try_split().unwrap();
        assert!(RING.try_split().is_none());
        tx.write(b"once");
        let mut out = [0u8; 4];
        rx.read_into(&mut out);
        assert_eq!(&out, b"once");
    }

    #[test]
    fn debug_is_redacted() {
        let mut ring = SpscRing::<16>::new();
        let (mut tx, mut rx) = ring.split();
        tx.write(b"hunter2");
        assert_eq!(format!("{tx:?}"), "Producer { capacity: 16, .. }");
        assert_eq!(format!("{rx:?}"), "Consumer { capacity: 16, .. }");
        let g = rx.read().unwrap();
        assert_eq!(format!("{g:?}"), "GrantR { len: 7, .. }");
        drop(g);
        let g = tx.grant(3).unwrap();
        assert_eq!(format!("{g:?}"), "GrantW { len: 3, .. }");
        drop(g);
        assert_eq!(format!("{ring:?}"), "SpscRing { capacity: 16, .. }");
    }

    /// Two threads, a fixed pseudo-random pattern, odd chunk sizes: every
    /// byte arrives once, in order.
    #[test]
    fn two_threads_keep_order_and_lose_nothing() {
        const TOTAL: usize = if cfg!(miri) { 300 } else { 1 << 20 };
        fn byte(i: usize) -> u8 {
            // A fixed sequence that is not periodic in the ring's capacity.
            (i.wrapping_mul(2_654_435_761) >> 7).to_le_bytes()[0]
        }
        let mut ring = SpscRing::<61>::new();
        let (mut tx, mut rx) = ring.split();
        std::thread::scope(|s| {
            s.spawn(move || {
                let mut sent = 0;
                let mut chunk = [0u8; 37];
                let mut step = 0usize;
                while sent < TOTAL {
                    step += 1;
                    let want = (1 + step % 37).min(TOTAL - sent);
                    for (k, b) in chunk[..want].iter_mut().enumerate() {
                        *b = byte(sent + k);
                    }
                    if step % 3 == 0 {
                        if let Ok(mut g) = tx.grant(want) {
                            let n = g.len();
                            g.copy_from_slice(&chunk[..n]);
                            sent += g.commit(n);
                        }
                    } else {
                        sent += tx.write(&chunk[..want]);
                    }
                    std::thread::yield_now();
                }
            });
            s.spawn(move || {
                let mut got = 0;
                let mut out = [0u8; 29];
                let mut step = 0usize;
                while got < TOTAL {
                    step += 1;
                    if step % 2 == 0 {
                        if let Ok(g) = rx.read() {
                            let n = g.len().min(1 + step % 29);
                            for (k, &b) in g[..n].iter().enumerate() {
                                assert_eq!(b, byte(got + k), "byte {}", got + k);
                            }
                            got += g.release(n);
                        }
                    } else {
                        let n = rx.read_into(&mut out[..1 + step % 29]);
                        for (k, &b) in out[..n].iter().enumerate() {
                            assert_eq!(b, byte(got + k), "byte {}", got + k);
                        }
                        got += n;
                    }
                    std::thread::yield_now();
                }
                assert!(rx.is_empty());
            });
        });
        assert_eq!(ring.storage(), &[0; 61]);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Write(Vec<u8>),
        ReadInto(usize),
        /// Grant at most `max`, fill with the data, commit `n`.
        Grant(usize, Vec<u8>, usize),
        DropGrant(usize, Vec<u8>),
        /// Read grant, release `n`.
        Release(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        let data = proptest::collection::vec(any::<u8>(), 0..12);
        prop_oneof![
            3 => data.clone().prop_map(Op::Write),
            3 => (0usize..12).prop_map(Op::ReadInto),
            2 => (0usize..12, data.clone(), 0usize..12).prop_map(|(m, d, n)| Op::Grant(m, d, n)),
            1 => (0usize..12, data).prop_map(|(m, d)| Op::DropGrant(m, d)),
            2 => (0usize..12).prop_map(Op::Release),
        ]
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    fn check_against_model(wipe: bool, ops: &[Op]) {
        const N: usize = 7;
        let mut ring = if wipe {
            SpscRing::<N>::new()
        } else {
            SpscRing::<N>::new_unwiped()
        };
        let mut m: VecDeque<u8> = VecDeque::new();
        for op in ops {
            {
                let (mut tx, mut rx) = ring.split();
                match op {
                    Op::Write(d) => {
                        let n = tx.write(d);
                        assert_eq!(n, d.len().min(N - m.len()));
                        m.extend(&d[..n]);
                    }
                    Op::ReadInto(k) => {
                        let mut out = vec![0u8; *k];
                        let n = rx.read_into(&mut out);
                        let want: Vec<u8> = m.drain(..(*k).min(m.len())).collect();
                        assert_eq!(&out[..n], &want[..]);
                    }
                    Op::Grant(max, d, n) => match tx.grant(*max) {
                        Ok(mut g) => {
                            assert!(m.len() < N);
                            assert!(g.len() <= *max && g.len() <= N - m.len());
                            if wipe {
                                assert!(g.iter().all(|&b| b == 0), "free space not wiped");
                            }
                            let k = d.len().min(g.len());
                            g[..k].copy_from_slice(&d[..k]);
                            let want: Vec<u8> = g[..(*n).min(g.len())].to_vec();
                            assert_eq!(g.commit(*n), want.len());
                            m.extend(want);
                        }
                        Err(e) => {
                            assert_eq!(e, Error::Full);
                            assert_eq!(m.len(), N);
                        }
                    },
                    Op::DropGrant(max, d) => {
                        if let Ok(mut g) = tx.grant(*max) {
                            let k = d.len().min(g.len());
                            g[..k].copy_from_slice(&d[..k]);
                        }
                    }
                    Op::Release(n) => match rx.read() {
                        Ok(g) => {
                            assert!(!g.is_empty());
                            let want: Vec<u8> = m.iter().take(g.len()).copied().collect();
                            assert_eq!(&*g, &want[..]);
                            let r = g.release(*n);
                            assert_eq!(r, (*n).min(want.len()));
                            m.drain(..r);
                        }
                        Err(e) => {
                            assert_eq!(e, Error::Empty);
                            assert!(m.is_empty());
                        }
                    },
                }
                assert_eq!(rx.len(), m.len());
                assert_eq!(tx.free(), N - m.len());
            }
            if wipe {
                // Only the buffered bytes may be non-zero.
                let zeros = ring.storage().iter().filter(|&&b| b == 0).count();
                let live_zeros = m.iter().filter(|&&b| b == 0).count();
                assert_eq!(
                    zeros - live_zeros,
                    N - m.len(),
                    "stale bytes in the storage"
                );
            }
        }
        let (_, mut rx) = ring.split();
        let mut rest = vec![0u8; N];
        let n = rx.read_into(&mut rest);
        assert_eq!(&rest[..n], &m.iter().copied().collect::<Vec<u8>>()[..]);
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn halves_behave_like_a_vecdeque(ops in proptest::collection::vec(op(), 0..40)) {
            check_against_model(true, &ops);
        }

        #[test]
        fn unwiped_halves_behave_like_a_vecdeque(ops in proptest::collection::vec(op(), 0..40)) {
            check_against_model(false, &ops);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use std::boxed::Box;

    /// One producer thread streams 5 bytes through a 3-byte ring to the main
    /// thread; loom runs every interleaving and checks each slot access
    /// against the index protocol.
    #[test]
    fn producer_and_consumer_threads() {
        const TOTAL: u8 = 5;
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            // `try_split` wants a `&'static` ring, and loom threads want
            // `'static` halves: leak one small ring per execution.
            let ring: &'static SpscRing<3> = Box::leak(Box::new(SpscRing::new()));
            let (mut tx, mut rx) = ring.try_split().unwrap();
            assert!(ring.try_split().is_none());
            let t = loom::thread::spawn(move || {
                let data: [u8; TOTAL as usize] = [1, 2, 3, 4, 5];
                let mut sent = 0;
                while sent < data.len() {
                    let n = tx.write(&data[sent..(sent + 2).min(data.len())]);
                    if n == 0 {
                        loom::thread::yield_now();
                    }
                    sent += n;
                }
            });
            let mut next = 1u8;
            let mut out = [0u8; 2];
            while next <= TOTAL {
                let n = rx.read_into(&mut out);
                if n == 0 {
                    loom::thread::yield_now();
                }
                for &b in &out[..n] {
                    assert_eq!(b, next);
                    next += 1;
                }
            }
            t.join().unwrap();
            assert!(rx.is_empty());
        });
    }
}
