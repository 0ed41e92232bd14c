//! A fixed pool of [`SecureBuf`] slots for a `static`: take a buffer without
//! blocking, and it comes back wiped when its guard is dropped.
//!
//! [`Pool<N, SLOTS>`](Pool) holds `SLOTS` buffers of `N` bytes inline, with no
//! allocator. [`Pool::try_acquire`] claims a free slot and hands out a
//! [`PoolBuf`] guard that dereferences to the slot's [`SecureBuf<N>`]; when
//! the guard is dropped the slot is wiped and freed. Claiming is one
//! compare-and-swap on the slot's flag (a short critical section on targets
//! without compare-and-swap, such as Cortex-M0) and freeing is one store, so
//! an interrupt handler and the main loop can share one pool; nothing here
//! waits or spins.
//!
//! ```
//! use secstream_core::pool::Pool;
//!
//! // Four 2 KiB frame buffers, in a static: no allocator, no lock.
//! static FRAMES: Pool<2048, 4> = Pool::new();
//!
//! let mut frame = FRAMES.try_acquire().expect("a free slot");
//! frame.put_string(b"ssh-userauth")?;
//! assert_eq!(frame.exposed(), 16); // 16 bytes were written...
//! drop(frame); // ...so the return wipes 16 bytes, not 2048
//!
//! let again = FRAMES.try_acquire().expect("a free slot");
//! assert!(again.is_empty());
//! assert_eq!(FRAMES.available(), 3);
//! # Ok::<(), secstream_core::ssh::Error>(())
//! ```
//!
//! # Wiping
//! A returned slot is wiped before it is marked free, so no later holder, on
//! any core or in any handler, can see the previous bytes. The wipe covers
//! the slot's [`exposed`](SecureBuf::exposed) high-water mark: every write,
//! [`advance`](SecureBuf::advance) and spare-room accessor
//! ([`spare_mut`](SecureBuf::spare_mut) raises it to the capacity,
//! [`spare_mut_up_to`](SecureBuf::spare_mut_up_to) only as far as it hands
//! out) raises that mark, and a buffer swapped into the slot brings its own
//! mark. So a 64-byte message in a 2 KiB slot costs a 64-byte wipe. The
//! string limit is reset to the default too.
//!
//! # Leaks
//! A guard passed to [`core::mem::forget`] keeps its slot for good (nothing
//! unsafe follows; the pool just has one slot fewer), and its bytes stay
//! until the pool itself is dropped, which wipes every slot.
//!
//! # Unsafe code
//! Each slot's buffer sits in an `UnsafeCell`; its `busy` flag says who owns
//! it. A successful `Acquire` compare-and-swap from free to busy gives the
//! one guard exclusive access; the guard's drop wipes the buffer and then
//! frees the slot with a `Release` store, which the next claimer's `Acquire`
//! pairs with. loom checks this protocol (`RUSTFLAGS="--cfg loom"`, see
//! `loom_tests`), Miri the accesses.
// The slots are shared through `UnsafeCell`; that cannot be expressed in safe
// Rust. Each block says why it is sound.
#![allow(unsafe_code)]

use core::fmt;
use core::ops::{Deref, DerefMut};

use crate::buf::SecureBuf;
use crate::ssh::DEFAULT_STRING_LIMIT;

use self::sync::{AtomicBool, Ordering, UnsafeCell};

/// Atomics and cells: loom's under `cfg(loom)`, else `portable_atomic`
/// (native loads and stores; a critical section for the compare-and-swap on
/// targets without one).
mod sync {
    #[cfg(loom)]
    pub(super) use loom::cell::UnsafeCell;
    #[cfg(loom)]
    pub(super) use loom::sync::atomic::{AtomicBool, Ordering};

    #[cfg(not(loom))]
    pub(super) use core::cell::UnsafeCell;
    #[cfg(not(loom))]
    pub(super) use portable_atomic::{AtomicBool, Ordering};
}

/// One buffer and the flag that says whether a guard holds it.
struct Slot<const N: usize> {
    busy: AtomicBool,
    buf: UnsafeCell<SecureBuf<N>>,
}

// SAFETY: the buffer (plain bytes, so `Send`) is reached through a shared
// `&Slot` only by the one guard that won the `busy` flag with an `Acquire`
// compare-and-swap, and that guard wipes it before freeing the flag with a
// `Release` store; so no two threads or handlers touch it without a
// happens-before edge between them. Everything else reads the atomic only.
unsafe impl<const N: usize> Sync for Slot<N> {}

impl<const N: usize> Slot<N> {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            busy: AtomicBool::new(false),
            buf: UnsafeCell::new(SecureBuf::new()),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            busy: AtomicBool::new(false),
            buf: UnsafeCell::new(SecureBuf::new()),
        }
    }

    /// Claims the slot if it is free.
    #[inline]
    fn try_claim(&self) -> bool {
        // The plain load first skips busy slots without a compare-and-swap
        // (a critical section on Cortex-M0).
        !self.busy.load(Ordering::Relaxed)
            && self
                .busy
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
    }
}

/// `SLOTS` buffers of `N` bytes that can live in a `static`, shared by
/// threads or by interrupt handlers and the main loop.
///
/// Not `Clone`; `Debug` shows only sizes and the free count.
pub struct Pool<const N: usize, const SLOTS: usize> {
    slots: [Slot<N>; SLOTS],
}

impl<const N: usize, const SLOTS: usize> Pool<N, SLOTS> {
    /// A pool of `SLOTS` empty buffers; `const`, so it can initialise a
    /// `static`.
    #[cfg(not(loom))]
    #[must_use]
    pub const fn new() -> Self {
        Self {
            slots: [const { Slot::new() }; SLOTS],
        }
    }

    /// A pool of `SLOTS` empty buffers.
    #[cfg(loom)]
    #[must_use]
    pub fn new() -> Self {
        Self {
            slots: core::array::from_fn(|_| Slot::new()),
        }
    }

    /// Claims a free buffer, empty and zeroed, or returns `None` if every
    /// slot is held. Never blocks or spins: each slot is tried once, and a
    /// slot freed while the scan passes it may be missed.
    #[must_use = "dropping the guard at once returns the slot"]
    pub fn try_acquire(&self) -> Option<PoolBuf<'_, N>> {
        self.slots
            .iter()
            .find(|slot| slot.try_claim())
            .map(PoolBuf::new)
    }

    /// The number of slots, `SLOTS`.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        SLOTS
    }

    /// The size of each buffer, `N`.
    #[must_use]
    pub const fn slot_size(&self) -> usize {
        N
    }

    /// Slots free at the moment of the call (a snapshot: other threads or
    /// handlers may change it at once).
    #[must_use]
    pub fn available(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| !slot.busy.load(Ordering::Relaxed))
            .count()
    }
}

#[cfg(not(loom))]
impl<const N: usize, const SLOTS: usize> Default for Pool<N, SLOTS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize, const SLOTS: usize> fmt::Debug for Pool<N, SLOTS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("slot_size", &N)
            .field("slots", &SLOTS)
            .field("available", &self.available())
            .finish()
    }
}

/// A buffer held from a [`Pool`]: dereferences to its [`SecureBuf<N>`], and
/// wipes and returns the slot when dropped. It may be dropped on another
/// thread or in an interrupt handler.
///
/// `Debug` shows no contents.
#[must_use = "dropping the guard at once returns the slot"]
pub struct PoolBuf<'a, const N: usize> {
    slot: &'a Slot<N>,
    /// Under loom, the tracked access to the cell, held as long as the guard.
    #[cfg(loom)]
    access: Option<loom::cell::MutPtr<SecureBuf<N>>>,
}

impl<'a, const N: usize> PoolBuf<'a, N> {
    /// Wraps a slot whose `busy` flag this thread just claimed.
    fn new(slot: &'a Slot<N>) -> Self {
        Self {
            slot,
            #[cfg(loom)]
            access: Some(slot.buf.get_mut()),
        }
    }

    #[inline]
    fn buf_ptr(&self) -> *mut SecureBuf<N> {
        #[cfg(not(loom))]
        {
            self.slot.buf.get()
        }
        #[cfg(loom)]
        {
            let access = self.access.as_ref().expect("present until drop");
            // SAFETY: only the pointer is taken here; loom tracks the access
            // from `get_mut` in `new` until it is dropped in `drop`.
            let buf: &mut SecureBuf<N> = unsafe { access.deref() };
            buf
        }
    }
}

impl<const N: usize> Deref for PoolBuf<'_, N> {
    type Target = SecureBuf<N>;

    fn deref(&self) -> &SecureBuf<N> {
        // SAFETY: this guard won the slot's `busy` flag (an `Acquire`
        // compare-and-swap that pairs with the last holder's `Release` free)
        // and holds it until it is dropped, so nothing else reaches the
        // buffer; the borrow is tied to `&self`.
        unsafe { &*self.buf_ptr() }
    }
}

impl<const N: usize> DerefMut for PoolBuf<'_, N> {
    fn deref_mut(&mut self) -> &mut SecureBuf<N> {
        // SAFETY: as in `deref`; `&mut self` makes this the only borrow
        // through the guard.
        unsafe { &mut *self.buf_ptr() }
    }
}

impl<const N: usize> AsRef<SecureBuf<N>> for PoolBuf<'_, N> {
    fn as_ref(&self) -> &SecureBuf<N> {
        self
    }
}

impl<const N: usize> AsMut<SecureBuf<N>> for PoolBuf<'_, N> {
    fn as_mut(&mut self) -> &mut SecureBuf<N> {
        self
    }
}

impl<const N: usize> Drop for PoolBuf<'_, N> {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        reset(self);
        #[cfg(loom)]
        {
            // loom records an access when it starts: end the guard's access
            // and wipe in a fresh one, so loom sees the wipe where it is.
            drop(self.access.take());
            // SAFETY: the guard still owns the slot (its flag is set).
            self.slot.buf.with_mut(|p| reset(unsafe { &mut *p }));
        }
        // After the wipe: the next claimer's `Acquire` sees zeros.
        self.slot.busy.store(false, Ordering::Release);
    }
}

/// Wipes a returned buffer up to its high-water mark (every byte past it is
/// already zero) and restores the default string limit.
fn reset<const N: usize>(buf: &mut SecureBuf<N>) {
    buf.clear();
    buf.set_string_limit(DEFAULT_STRING_LIMIT);
}

impl<const N: usize> fmt::Debug for PoolBuf<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PoolBuf").field(&**self).finish()
    }
}

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for PoolBuf<'_, N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "PoolBuf({})", &**self);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    /// The slot's storage, all `N` bytes, seen while no guard holds it.
    fn raw<const N: usize, const S: usize>(pool: &mut Pool<N, S>, i: usize) -> [u8; N] {
        *pool.slots[i].buf.get_mut().raw()
    }

    #[test]
    fn slots_run_out_and_come_back() {
        let pool: Pool<16, 3> = Pool::new();
        let a = pool.try_acquire().unwrap();
        let b = pool.try_acquire().unwrap();
        let c = pool.try_acquire().unwrap();
        assert!(pool.try_acquire().is_none());
        assert_eq!(pool.available(), 0);
        drop(b);
        assert_eq!(pool.available(), 1);
        let b2 = pool.try_acquire().unwrap();
        assert!(pool.try_acquire().is_none());
        drop((a, b2, c));
        assert_eq!(pool.available(), 3);
        assert_eq!((pool.capacity(), pool.slot_size()), (3, 16));
    }

    #[test]
    fn guards_hold_distinct_buffers() {
        let pool: Pool<8, 4> = Pool::new();
        let mut guards: Vec<_> = (0..4u8)
            .map(|i| {
                let mut g = pool.try_acquire().unwrap();
                g.put_raw(&[i; 8]).unwrap();
                g
            })
            .collect();
        for (i, g) in (0u8..).zip(&guards) {
            assert_eq!(g.as_slice(), &[i; 8]);
        }
        guards[2].as_mut_slice().fill(0xee);
        assert_eq!(guards[1].as_slice(), &[1; 8]);
        assert_eq!(guards[3].as_slice(), &[3; 8]);
    }

    #[test]
    fn a_returned_slot_is_zero_and_reset() {
        let mut pool: Pool<64, 1> = Pool::new();
        {
            let mut g = pool.try_acquire().unwrap();
            g.set_string_limit(3);
            g.put_raw(&[0xa5; 40]).unwrap();
            g.skip(10).unwrap();
            // Bytes written into spare room without `advance` are wiped too.
            g.spare_mut_up_to(5).fill(0x5a);
        }
        assert_eq!(raw(&mut pool, 0), [0; 64]);
        let mut g = pool.try_acquire().unwrap();
        assert!(g.is_empty());
        assert_eq!((g.position(), g.exposed()), (0, 0));
        // The default string limit is back.
        g.put_string(b"four").unwrap();
        assert_eq!(g.get_string().unwrap(), b"four");
    }

    /// Every way of reaching the slot's bytes mutably raises the mark, so
    /// the partial wipe on return leaves nothing behind.
    #[test]
    fn every_way_to_expose_bytes_raises_the_mark() {
        type Check = fn(&mut SecureBuf<256>) -> usize;
        #[cfg_attr(not(feature = "std"), allow(unused_mut))]
        let mut cases: Vec<(&str, Check)> = std::vec![
            ("put", |b| {
                b.put_u32(7).unwrap();
                4
            }),
            ("spare_mut", |b| {
                b.spare_mut()[200] = 1;
                256
            }),
            ("spare_mut_up_to", |b| {
                b.put_u8(1).unwrap();
                b.spare_mut_up_to(9).fill(2);
                10
            }),
            ("advance", |b| {
                b.spare_mut_up_to(30).fill(3);
                b.advance(20).unwrap();
                30
            }),
            ("as_mut_slice", |b| {
                b.put_raw(&[1; 12]).unwrap();
                b.as_mut_slice().fill(9);
                12
            }),
            ("embedded_io", |b| {
                embedded_io::Write::write_all(b, &[4; 33]).unwrap();
                33
            }),
            ("swap in", |b| {
                let mut other = SecureBuf::<256>::from_slice(&[6; 50]).unwrap();
                other.truncate(10);
                core::mem::swap(b, &mut other);
                50
            }),
        ];
        #[cfg(feature = "std")]
        cases.push(("std_io", |b| {
            std::io::Write::write_all(b, &[4; 17]).unwrap();
            17
        }));
        for (name, f) in cases {
            let mut pool: Pool<256, 1> = Pool::new();
            {
                let mut g = pool.try_acquire().unwrap();
                let want = f(&mut g);
                assert_eq!(g.exposed(), want, "{name}");
                let storage = g.raw();
                assert!(storage[want..].iter().all(|&b| b == 0), "{name}");
            }
            assert_eq!(raw(&mut pool, 0), [0; 256], "{name}");
        }
    }

    #[test]
    fn guards_go_back_from_other_threads() {
        static POOL: Pool<32, 4> = Pool::new();
        let rounds = if cfg!(miri) { 50 } else { 100_000 };
        let (tx, rx) = std::sync::mpsc::sync_channel::<PoolBuf<'static, 32>>(2);
        let releaser = std::thread::spawn(move || {
            let mut n = 0usize;
            for g in rx {
                assert!(g.unread().iter().all(|&b| b == g.unread()[0]));
                n += 1;
            }
            n
        });
        let workers: Vec<_> = (0..3u8)
            .map(|id| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let mut sent = 0usize;
                    for i in 0..rounds {
                        let Some(mut g) = POOL.try_acquire() else {
                            std::thread::yield_now();
                            continue;
                        };
                        assert!(g.is_empty());
                        assert!(g.raw().iter().all(|&b| b == 0));
                        g.put_raw(&[id + 1; 32][..1 + i % 31]).unwrap();
                        if i % 2 == 0 {
                            tx.send(g).unwrap();
                            sent += 1;
                        } else {
                            assert!(g.as_slice().iter().all(|&b| b == id + 1));
                        }
                    }
                    sent
                })
            })
            .collect();
        drop(tx);
        let sent: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
        assert_eq!(releaser.join().unwrap(), sent);
        assert_eq!(POOL.available(), 4);
    }

    #[test]
    fn debug_shows_no_contents() {
        let pool: Pool<16, 2> = Pool::new();
        let mut g = pool.try_acquire().unwrap();
        g.put_raw(b"hunter2").unwrap();
        let s = std::format!("{pool:?} {g:?}");
        assert!(!s.contains("hunter2") && !s.contains("104"), "{s}");
        assert!(s.contains("available: 1"), "{s}");
    }

    #[derive(Debug, Clone)]
    enum Op {
        Acquire,
        Release(usize),
        Write(usize, u8, usize),
        Spare(usize, usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Acquire),
            2 => any::<usize>().prop_map(Op::Release),
            3 => (any::<usize>(), 1..=255u8, 0..40usize).prop_map(|(i, b, n)| Op::Write(i, b, n)),
            1 => (any::<usize>(), 0..40usize).prop_map(|(i, n)| Op::Spare(i, n)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            // Miri's isolation has no file system for the regression file.
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Against a model: a count of held slots and, per guard, the bytes
        /// it wrote. Acquire fails exactly when every slot is held, a new
        /// guard is empty and zero, guards never share bytes, and the free
        /// count is exact.
        #[test]
        fn matches_a_model(ops in proptest::collection::vec(op(), 0..60)) {
            const SLOTS: usize = 3;
            let mut pool: Pool<32, SLOTS> = Pool::new();
            {
                let pool = &pool;
                let mut held: Vec<(PoolBuf<'_, 32>, Vec<u8>)> = Vec::new();
                for op in ops {
                    match op {
                        Op::Acquire => match pool.try_acquire() {
                            Some(g) => {
                                prop_assert!(held.len() < SLOTS);
                                prop_assert!(g.is_empty());
                                prop_assert!(g.raw().iter().all(|&b| b == 0));
                                held.push((g, Vec::new()));
                            }
                            None => prop_assert_eq!(held.len(), SLOTS),
                        },
                        Op::Release(i) if !held.is_empty() => {
                            drop(held.swap_remove(i % held.len()));
                        }
                        Op::Write(i, b, n) if !held.is_empty() => {
                            let k = i % held.len();
                            let (g, model) = &mut held[k];
                            let n = n.min(g.free());
                            g.put_raw(&std::vec![b; n]).unwrap();
                            model.extend(std::iter::repeat_n(b, n));
                        }
                        Op::Spare(i, n) if !held.is_empty() => {
                            let k = i % held.len();
                            held[k].0.spare_mut_up_to(n).fill(0xff);
                        }
                        _ => {}
                    }
                    prop_assert_eq!(pool.available(), SLOTS - held.len());
                    for (g, model) in &held {
                        prop_assert_eq!(g.as_slice(), &model[..]);
                    }
                }
            }
            for i in 0..SLOTS {
                prop_assert_eq!(raw(&mut pool, i), [0; 32]);
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use std::boxed::Box;

    /// Two threads share a one-slot pool; each writes into the slot when it
    /// gets it. loom runs every interleaving: the second holder always finds
    /// the slot zeroed, and the wipe never races with its reads (it happens
    /// before the `Release` that frees the slot).
    #[test]
    fn the_wipe_happens_before_the_slot_is_free() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let pool: &'static Pool<4, 1> = Box::leak(Box::new(Pool::new()));
            let use_once = move |byte: u8| {
                loop {
                    if let Some(mut g) = pool.try_acquire() {
                        assert_eq!(g.raw(), &[0; 4]);
                        assert_eq!(g.exposed(), 0);
                        g.put_raw(&[byte; 3]).unwrap();
                        return;
                    }
                    loom::thread::yield_now();
                }
            };
            let t = loom::thread::spawn(move || use_once(1));
            use_once(2);
            t.join().unwrap();
            assert_eq!(pool.available(), 1);
        });
    }

    /// Two slots, two threads: each claims a slot, and no slot is handed to
    /// both (loom would flag the overlapping cell accesses).
    #[test]
    fn no_slot_is_handed_out_twice() {
        loom::model(|| {
            let pool: &'static Pool<2, 2> = Box::leak(Box::new(Pool::new()));
            let t = loom::thread::spawn(move || {
                let mut g = pool.try_acquire().expect("two slots for two threads");
                g.put_u8(1).unwrap();
                assert_eq!(g.as_slice(), &[1]);
            });
            let mut g = pool.try_acquire().expect("two slots for two threads");
            g.put_u8(2).unwrap();
            assert_eq!(g.as_slice(), &[2]);
            drop(g);
            t.join().unwrap();
        });
    }
}
