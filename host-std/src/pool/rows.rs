//! [`Rows`]: the per-thread slots of a [`BufferPool`](super::BufferPool), a
//! row per thread number and a slot per size class, each slot holding at
//! most one wiped buffer of its class.
//!
//! A row's own thread takes from and puts into its slots with plain loads
//! and stores: no atomic read-modify-write, no lock. Any thread may
//! [`drain`](Rows::drain) every row (the pool's `trim()`, and the slow path
//! when the outstanding cap is reached), which is the rare case and pays
//! for both sides:
//!
//! - the owner marks its row busy, runs the light side of an asymmetric
//!   fence ([`Fences`]), reads the gate and only touches its slots if no
//!   drain is under way (and, to park, if nobody waits for room), then
//!   clears busy (a release). With [`Fences::Symmetric`] the gate carries a
//!   bit for good that sends every owner past its first read to a full
//!   fence and a second read, so the common case tests one word for both
//!   the mode and the gate;
//! - a drainer sets the gate's drain bit, runs the heavy side of the fence
//!   (Linux `membarrier`, or a full fence when the owner uses one too), then
//!   waits for each row to be idle (an acquire) and takes its buffers;
//!   clearing the drain bit (a release) gives the emptied slots back.
//!
//! The fences make this Dekker's handshake: an owner that read the gate
//! before the drain bit reached it has already made its busy mark visible
//! to the drainer, which waits for it; an owner that reads the gate later
//! sees the bit and leaves its slots alone. Every access to a slot is atomic
//! (so no data race whichever way the hardware orders them); the fences are
//! what keeps a buffer from having two owners.
// A box is parked in a slot as the raw pointer of `Box::into_raw`; that
// needs `Box::from_raw` to take it back. Each block says why it is sound.
#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering, compiler_fence};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::membarrier::Fences;
use super::thread_number;

/// Slots a row: a row fills four cache lines with its busy mark and hit
/// counter. Classes from this one up (buffers of at least `2^30` times the
/// smallest) have no slot and always take the slow path.
pub(super) const ROW_SLOTS: usize = 30;
/// The lease of a buffer leased to no row (rows are numbered from 0, far
/// below this).
pub(super) const NO_LEASE: usize = usize::MAX;
/// The gate's bit set while a drain is under way.
const DRAINING: usize = 1;
/// The gate's bit set for good when the rows use [`Fences::Symmetric`]:
/// an owner that reads it runs the full fence and reads the gate again
/// ([`Rows::settle`]).
const SYMMETRIC: usize = 2;
/// What one waiter adds to the gate.
const WAITER: usize = 4;

/// A row: its busy mark, its hit counter and its slots, on cache lines of
/// their own (only the row's thread writes them, but for drains). A slot
/// is null or the data pointer of a `Box<[u8]>` of the slot's class size.
#[repr(C, align(64))]
#[derive(Default)]
struct Row {
    busy: AtomicBool,
    hits: AtomicU64,
    slots: [AtomicPtr<u8>; ROW_SLOTS],
}

/// The gate, on a cache line of its own: every row reads it on every use,
/// waiters and drains (rare) write it.
#[repr(align(64))]
struct Gate(AtomicUsize);

/// The slots of every row; see the [module docs](self).
pub(super) struct Rows {
    rows: Box<[Row]>,
    /// Size classes with slots (at most `ROW_SLOTS`).
    classes: usize,
    /// The size of a buffer in each slot: `min_size << c` for a class `c`
    /// with slots, `usize::MAX` (no buffer's length) past them, so one
    /// comparison both checks a buffer's size and refuses a class without
    /// slots.
    sizes: [usize; ROW_SLOTS],
    /// `DRAINING`, `SYMMETRIC`, plus `WAITER` for each thread waiting for
    /// room.
    gate: Gate,
    /// Serialises drains.
    drain: Mutex<()>,
    fences: Fences,
}

impl Rows {
    /// `rows` rows of `classes` slots, class `c` for buffers of
    /// `min_size << c` bytes. With no rows no thread has a fast path.
    pub(super) fn new(rows: usize, classes: usize, min_size: usize) -> Self {
        Self::with_fences(rows, classes, min_size, Fences::detect())
    }

    fn with_fences(rows: usize, classes: usize, min_size: usize, fences: Fences) -> Self {
        let classes = classes.min(ROW_SLOTS);
        let mut sizes = [usize::MAX; ROW_SLOTS];
        for (class, size) in sizes.iter_mut().enumerate().take(classes) {
            // The pool's class sizes fit in `usize`; one that does not gets
            // no slot.
            *size = u32::try_from(class)
                .ok()
                .and_then(|c| 1usize.checked_shl(c))
                .and_then(|factor| min_size.checked_mul(factor))
                .unwrap_or(usize::MAX);
        }
        Self {
            rows: (0..rows).map(|_| Row::default()).collect(),
            classes,
            sizes,
            gate: Gate(AtomicUsize::new(match fences {
                Fences::Asymmetric => 0,
                Fences::Symmetric => SYMMETRIC,
            })),
            drain: Mutex::new(()),
            fences,
        }
    }

    /// The size of a buffer parked in the slots of `class`; `usize::MAX`
    /// for a class without slots (no buffer has that size).
    #[inline]
    fn class_size(&self, class: usize) -> usize {
        self.sizes.get(class).copied().unwrap_or(usize::MAX)
    }

    #[inline]
    fn slot(&self, row: usize, class: usize) -> Option<&AtomicPtr<u8>> {
        self.rows.get(row)?.slots.get(class)
    }

    /// The calling thread's row, or `None` when the thread has no number
    /// yet (see [`local_or_number`](Self::local_or_number)), its number is
    /// past the last row, or it is exiting.
    #[inline]
    pub(super) fn local(&self) -> Option<Local<'_>> {
        // Past every row when the thread has no number.
        self.local_of(thread_number::current())
    }

    /// As [`local`](Self::local), giving the thread a number on its first
    /// call (for slow paths: the fast ones skip a thread without one).
    pub(super) fn local_or_number(&self) -> Option<Local<'_>> {
        self.local_of(thread_number::take()?)
    }

    /// The row of the calling thread, whose number is `number` (none for
    /// [`thread_number::NONE`] and above: a table has fewer rows).
    #[inline]
    fn local_of(&self, number: usize) -> Option<Local<'_>> {
        let row = self.rows.get(number)?;
        Some(Local {
            rows: self,
            number,
            row,
            _not_send: PhantomData,
        })
    }

    /// The gate as an owner must judge it, given a non-zero first read in
    /// [`Local::enter`]: with the symmetric fences, read again after the
    /// full fence (without their bit); else that first read. Inline: a call
    /// would make the owner's fast paths save registers.
    #[inline(always)]
    fn settle(&self, gate: usize) -> usize {
        if gate & SYMMETRIC == 0 {
            return gate;
        }
        // The bit is set only with these fences.
        Fences::Symmetric.light();
        self.gate.0.load(Ordering::Acquire) & !SYMMETRIC
    }

    /// Counts a thread waiting for room: from now on no row parks a buffer
    /// (a parked buffer would keep its bytes counted as handed out).
    pub(super) fn add_waiter(&self) {
        self.gate.0.fetch_add(WAITER, Ordering::SeqCst);
    }

    /// Undoes [`add_waiter`](Self::add_waiter).
    pub(super) fn remove_waiter(&self) {
        self.gate.0.fetch_sub(WAITER, Ordering::SeqCst);
    }

    /// Whether a thread waits for room.
    #[inline]
    pub(super) fn waiting(&self) -> bool {
        self.gate.0.load(Ordering::SeqCst) >= WAITER
    }

    /// Takes every parked buffer out of every row, with its row and class.
    /// Any thread may call this; each buffer comes out once.
    pub(super) fn drain(&self) -> Vec<(usize, usize, Box<[u8]>)> {
        let quiet = self.quiesce();
        let mut taken = Vec::new();
        for (row, class, slot) in quiet.slots() {
            let p = slot.load(Ordering::Relaxed);
            if !p.is_null() {
                slot.store(ptr::null_mut(), Ordering::Relaxed);
                taken.push((row, class, p));
            }
        }
        drop(quiet);
        taken
            .into_iter()
            .map(|(row, class, p)| {
                // SAFETY: a non-null slot pointer is the data pointer of a
                // `Box<[u8]>` of the class size, parked by `Local::put`; the
                // quiesced rows let no owner touch the slot until the null
                // stored above was published (the gate's release), so this
                // is its only owner.
                let data = unsafe { self.unpark(p, class) };
                (row, class, data)
            })
            .collect()
    }

    /// The box behind a slot pointer.
    ///
    /// # Safety
    /// `p` came from [`Local::put`] into a slot of `class`, and the caller
    /// took it out of the slot: no one else owns it.
    unsafe fn unpark(&self, p: *mut u8, class: usize) -> Box<[u8]> {
        let raw = ptr::slice_from_raw_parts_mut(p, self.class_size(class));
        // SAFETY: `Local::put` parks `Box::into_raw` of a box of exactly
        // the class size (it checks the length), so `raw` is that box's fat
        // pointer; the caller owns it.
        unsafe { Box::from_raw(raw) }
    }

    /// Stops every row's owner from using its slots until the guard drops.
    fn quiesce(&self) -> Quiesced<'_> {
        let lock = self.drain.lock().unwrap_or_else(PoisonError::into_inner);
        self.gate.0.fetch_or(DRAINING, Ordering::SeqCst);
        self.fences.heavy();
        for head in &self.rows {
            // An owner in its section when the fence ran is seen busy here
            // (or its release of busy is): wait for it to leave. One that
            // enters later sees the drain bit and leaves the slots alone.
            while head.busy.load(Ordering::Acquire) {
                std::thread::yield_now();
            }
        }
        Quiesced {
            rows: self,
            _lock: lock,
        }
    }

    /// Takes from the rows' slots, summed.
    pub(super) fn hits(&self) -> u64 {
        self.rows
            .iter()
            .map(|r| r.hits.load(Ordering::Relaxed))
            .sum()
    }

    /// Bytes parked now (a snapshot).
    pub(super) fn parked_bytes(&self) -> usize {
        (0..self.rows.len())
            .flat_map(|row| (0..self.classes).map(move |class| (row, class)))
            .filter(|&(row, class)| {
                self.slot(row, class)
                    .is_some_and(|s| !s.load(Ordering::Relaxed).is_null())
            })
            .map(|(_, class)| self.class_size(class))
            .sum()
    }

    /// Whether every parked buffer holds only zeros.
    #[cfg(test)]
    pub(super) fn parked_all_zero(&self) -> bool {
        let quiet = self.quiesce();
        quiet.slots().all(|(_, class, slot)| {
            let p = slot.load(Ordering::Relaxed);
            if p.is_null() {
                return true;
            }
            // SAFETY: `p` is a parked box of the class size (see `unpark`);
            // the rows are quiesced, so no owner takes or frees it while
            // this shared view lives.
            let bytes = unsafe { std::slice::from_raw_parts(p, self.class_size(class)) };
            bytes.iter().all(|&b| b == 0)
        })
    }
}

impl Drop for Rows {
    fn drop(&mut self) {
        // `&mut self`: no owner or drainer is left.
        drop(self.drain());
    }
}

/// Rows whose owners keep off their slots while this lives.
struct Quiesced<'a> {
    rows: &'a Rows,
    _lock: MutexGuard<'a, ()>,
}

impl Quiesced<'_> {
    /// Every slot with its row and class.
    fn slots(&self) -> impl Iterator<Item = (usize, usize, &AtomicPtr<u8>)> {
        let rows = self.rows;
        (0..rows.rows.len())
            .flat_map(move |row| (0..rows.classes).map(move |class| (row, class)))
            .filter_map(move |(row, class)| rows.slot(row, class).map(|s| (row, class, s)))
    }
}

impl Drop for Quiesced<'_> {
    fn drop(&mut self) {
        // Release: an owner that sees the bit clear sees the slots emptied.
        self.rows.gate.0.fetch_and(!DRAINING, Ordering::SeqCst);
    }
}

/// The calling thread's row. Not `Send`: only the thread whose number is
/// the row may use it (numbers belong to one live thread at a time, see
/// [`thread_number`]).
pub(super) struct Local<'a> {
    rows: &'a Rows,
    number: usize,
    row: &'a Row,
    _not_send: PhantomData<*const ()>,
}

impl Local<'_> {
    /// The row's lease id: its number (never [`NO_LEASE`]).
    #[inline]
    pub(super) fn id(&self) -> usize {
        self.number
    }

    /// The row's slot of `class` (`None` past the row's slots; a class
    /// within them but without slots in the pool has one that stays empty,
    /// since `put` refuses every buffer for it).
    #[inline]
    fn slot(&self, class: usize) -> Option<&AtomicPtr<u8>> {
        self.row.slots.get(class)
    }

    /// Enters the row's section: marks it busy and returns the gate, 0 in
    /// the common case (no drain, nobody waiting, asymmetric fences).
    #[inline]
    fn enter(&self) -> usize {
        self.row.busy.store(true, Ordering::Relaxed);
        // The light side of `Fences::Asymmetric`. With the symmetric ones
        // this read counts for nothing: its `SYMMETRIC` bit sends the owner
        // to `settle`.
        compiler_fence(Ordering::SeqCst);
        let gate = self.rows.gate.0.load(Ordering::Acquire);
        if gate == 0 { 0 } else { self.rows.settle(gate) }
    }

    #[inline]
    fn leave(&self) {
        self.row.busy.store(false, Ordering::Release);
    }

    /// Takes the buffer parked in the slot of `class` (counting a hit), if
    /// any and no drain is under way.
    #[inline]
    pub(super) fn take(&self, class: usize) -> Option<Box<[u8]>> {
        let slot = self.slot(class)?;
        let mut p = ptr::null_mut();
        if self.enter() & DRAINING == 0 {
            p = slot.load(Ordering::Relaxed);
            if !p.is_null() {
                slot.store(ptr::null_mut(), Ordering::Relaxed);
                // Only this thread writes its row's counter.
                let hits = &self.row.hits;
                hits.store(hits.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
        }
        self.leave();
        if p.is_null() {
            return None;
        }
        // SAFETY: this thread emptied the slot inside its section, with no
        // drain under way (see the module docs), so it alone owns `p`, a box
        // parked by `put` into this class's slot.
        Some(unsafe { self.rows.unpark(p, class) })
    }

    /// Whether the slot of `class` holds a buffer (only this thread fills
    /// it, so a `false` stays true until it does).
    #[inline]
    pub(super) fn is_full(&self, class: usize) -> bool {
        self.slot(class)
            .is_some_and(|s| !s.load(Ordering::Relaxed).is_null())
    }

    /// Parks `data` in the slot of `class` if it has the class's size, the
    /// slot is empty, no drain is under way and nobody waits for room; else
    /// hands it back.
    #[inline]
    pub(super) fn put(&self, class: usize, data: Box<[u8]>) -> Result<(), Box<[u8]>> {
        let Some(slot) = self.slot(class) else {
            return Err(data);
        };
        // `usize::MAX` for a class without slots: refused too.
        if data.len() != self.rows.class_size(class) {
            return Err(data);
        }
        let p = Box::into_raw(data).cast::<u8>();
        let parked = self.enter() == 0 && slot.load(Ordering::Relaxed).is_null();
        if parked {
            slot.store(p, Ordering::Relaxed);
        }
        self.leave();
        if parked {
            return Ok(());
        }
        // SAFETY: `p` was not stored, so it is still the unique pointer of
        // the box turned into it above (of the class size, checked).
        Err(unsafe { self.rows.unpark(p, class) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    /// Buffers a drainer took from a row, for the row's owner.
    type Returned = Mutex<Vec<Box<[u8]>>>;

    /// A buffer of `size` bytes whose first eight say `id`.
    fn tagged(size: usize, id: u64) -> Box<[u8]> {
        let mut b = vec![0u8; size].into_boxed_slice();
        b[..8].copy_from_slice(&id.to_le_bytes());
        b
    }

    fn id_of(b: &[u8]) -> u64 {
        u64::from_le_bytes(b[..8].try_into().unwrap())
    }

    #[test]
    fn a_thread_parks_and_takes_one_buffer_per_class() {
        for fences in [Fences::Symmetric, Fences::detect()] {
            let rows = Rows::with_fences(4, 3, 16, fences);
            assert!(
                thread_number::current() < thread_number::NONE || rows.local().is_none(),
                "a thread without a number has no fast path"
            );
            let local = rows.local_or_number().unwrap();
            assert!(rows.local().is_some());
            assert!(local.take(1).is_none());
            local.put(1, tagged(32, 7)).unwrap();
            assert!(local.is_full(1));
            // Full slot, wrong size, no such class: handed back.
            assert_eq!(id_of(&local.put(1, tagged(32, 8)).unwrap_err()), 8);
            assert_eq!(local.put(0, tagged(32, 9)).unwrap_err().len(), 32);
            assert_eq!(local.put(3, tagged(128, 10)).unwrap_err().len(), 128);
            assert_eq!(rows.parked_bytes(), 32);
            assert_eq!(id_of(&local.take(1).unwrap()), 7);
            assert!(!local.is_full(1));
            assert_eq!(rows.hits(), 1);
            // Nothing parks while a thread waits for room; takes go on.
            local.put(1, tagged(32, 13)).unwrap();
            rows.add_waiter();
            assert!(rows.waiting());
            assert!(local.put(2, tagged(64, 11)).is_err());
            assert_eq!(id_of(&local.take(1).unwrap()), 13);
            assert_eq!(rows.hits(), 2);
            rows.remove_waiter();
            assert!(!rows.waiting());
            local.put(2, tagged(64, 12)).unwrap();
            local.put(0, vec![0; 16].into_boxed_slice()).unwrap();
            assert!(!rows.parked_all_zero()); // the tag
            let drained = rows.drain();
            let ids: Vec<_> = drained.iter().map(|(_, c, b)| (*c, b.len())).collect();
            assert_eq!(ids, [(0, 16), (2, 64)]);
            assert!(rows.parked_all_zero());
            // Dropping rows frees what is parked (Miri checks for leaks).
            local.put(0, vec![0; 16].into_boxed_slice()).unwrap();
        }
    }

    /// Owners park and take their own buffers while another thread keeps
    /// draining every row and hands what it took back to its owner: no
    /// buffer is lost, none is seen by two threads at once.
    #[test]
    fn drains_race_owners_without_losing_or_sharing_buffers() {
        const OWNERS: u64 = 2;
        let rounds: u64 = if cfg!(miri) { 150 } else { 200_000 };
        for fences in [Fences::Symmetric, Fences::detect()] {
            // Rows for the test binary's thread numbers (Miri runs one
            // test at a time: few numbers, and fewer rows to drain).
            let count = if cfg!(miri) { 16 } else { 256 };
            let rows = Arc::new(Rows::with_fences(count, 2, 16, fences));
            let returned: Arc<[Returned]> = (0..256).map(|_| Mutex::new(Vec::new())).collect();
            let stop = Arc::new(AtomicBool::new(false));
            let drainer = {
                let (rows, returned, stop) =
                    (Arc::clone(&rows), Arc::clone(&returned), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let mut drains = 0u64;
                    while !stop.load(Ordering::Relaxed) || drains == 0 {
                        for (row, _, b) in rows.drain() {
                            returned[row].lock().unwrap().push(b);
                        }
                        drains += 1;
                        std::thread::yield_now();
                    }
                })
            };
            let owners: Vec<_> = (0..OWNERS)
                .map(|o| {
                    let (rows, returned) = (Arc::clone(&rows), Arc::clone(&returned));
                    std::thread::spawn(move || {
                        let local = rows.local_or_number().unwrap();
                        let row = local.id();
                        // Each owner has two buffers; every round it checks
                        // and bumps a counter in one, so two owners of one
                        // buffer would lose a count.
                        let mut held: Vec<Box<[u8]>> =
                            (0..2).map(|i| tagged(32, o * 10 + i)).collect();
                        let mut bumps = 0u64;
                        for _ in 0..rounds {
                            if let Some(b) = local.take(1) {
                                held.push(b);
                            }
                            held.extend(returned[row].lock().unwrap().drain(..));
                            if let Some(mut b) = held.pop() {
                                let n = u64::from_le_bytes(b[8..16].try_into().unwrap());
                                b[8..16].copy_from_slice(&(n + 1).to_le_bytes());
                                bumps += 1;
                                if let Err(b) = local.put(1, b) {
                                    held.push(b);
                                }
                            }
                        }
                        (held, bumps)
                    })
                })
                .collect();
            let mut all = Vec::new();
            let mut bumps = 0;
            for o in owners {
                let (held, n) = o.join().unwrap();
                all.extend(held);
                bumps += n;
            }
            stop.store(true, Ordering::Relaxed);
            drainer.join().unwrap();
            all.extend(rows.drain().into_iter().map(|(_, _, b)| b));
            for r in returned.iter() {
                all.append(&mut r.lock().unwrap());
            }
            let ids: HashSet<u64> = all.iter().map(|b| id_of(b)).collect();
            assert_eq!(ids.len(), all.len(), "a buffer came back twice");
            assert_eq!(all.len(), usize::try_from(OWNERS * 2).unwrap());
            let counted: u64 = all
                .iter()
                .map(|b| u64::from_le_bytes(b[8..16].try_into().unwrap()))
                .sum();
            assert_eq!(counted, bumps, "a bump was lost");
        }
    }
}
