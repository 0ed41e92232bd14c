//! Buffer pools for servers: byte buffers by size class with caps, eviction
//! and statistics, locked secret regions, and per-connection buffers. Every
//! buffer is wiped when it comes back.
//!
//! - [`BufferPool`]: buffers in power-of-two size classes. A returned buffer
//!   is wiped (as far as it was used) before anyone can take it again. Idle
//!   buffers are capped in bytes and evicted least recently used first and
//!   after an idle time ([`Clock`] injectable for tests); bytes handed out
//!   are capped too, and a caller chooses per call to be refused
//!   ([`try_acquire`](BufferPool::try_acquire)) or to wait
//!   ([`acquire`](BufferPool::acquire),
//!   [`acquire_timeout`](BufferPool::acquire_timeout)).
//!   [`stats`](BufferPool::stats) counts hits, misses, evictions and bytes.
//! - [`RegionPool`]: guarded regions ([`GuardedRegion`](crate::secret_memory::GuardedRegion))
//!   kept mapped and locked between uses, so a short-lived secret skips
//!   `mmap` + `mlock` + `mprotect`.
//! - [`ConnectionBuffers`]: a connection's read and write buffers and its
//!   queue of outgoing packets, from a pool, with limits.
//!
//! ```
//! use std::io::Write;
//! use secstream::pool::{BufferPool, Config};
//!
//! let pool = BufferPool::new(Config::default().max_idle_bytes(1 << 20));
//! let mut buf = pool.try_acquire(100)?; // a 128-byte buffer
//! buf.write_all(b"session key material")?;
//! assert_eq!(buf.capacity(), 128);
//! drop(buf); // wiped (20 bytes) and kept for the next caller
//!
//! let again = pool.try_acquire(120)?;
//! assert!(again.is_empty());
//! assert_eq!(pool.stats().hits, 1);
//!
//! // An owned buffer outlives the borrow and may come back on any thread.
//! let owned = pool.try_acquire(64)?.into_owned();
//! std::thread::spawn(move || drop(owned)).join().expect("no panic");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The per-thread fast path
//! Each pool has a table of slots, a row per thread and a slot per size
//! class (a thread takes the smallest free number on its first slow-path
//! return of a buffer to any pool, and gives it back when it exits; the table has a row for each of twice
//! the cores, 64 to 256 rows, and threads numbered past the last row go
//! without the fast path, as do classes from the 31st up). A buffer returned
//! on a thread is parked in its row's slot if that is empty and the idle cap
//! allows, and the next request of that class on that thread takes it
//! without the pool's lock, without an atomic read-modify-write and without
//! writing anything another row's thread reads. The slots belong to their
//! pool: a buffer released to one pool is never handed out by another.
//!
//! A row's thread marks the row busy, checks a gate and only then touches
//! its slots; [`trim`](BufferPool::trim) (or a request at the outstanding
//! cap) closes the gate and waits for each busy row before emptying it.
//! On Linux the two sides are ordered by an asymmetric fence: a compiler
//! fence on the thread's side, `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`
//! on the draining side; elsewhere (or where the kernel refuses it) both
//! sides use a full fence.
//!
//! A parked buffer is *leased* to its row: from the first park until it is
//! released on a thread of another row, reclaimed or trimmed, its bytes
//! count against both caps (handed out or parked, it is the row's), so the fast
//! path needs no shared bookkeeping and neither cap is ever exceeded.
//! [`stats`](BufferPool::stats) still reports parked bytes as idle and the
//! rest as outstanding, and counts takes from the slots as hits
//! ([`Stats::thread_hits`]). When a request would pass the outstanding cap,
//! parked buffers are first moved to the shared lists (and anyone waiting
//! for room is woken rather than a buffer parked); [`trim`](BufferPool::trim)
//! empties every row from any thread. Parked buffers are not aged by the
//! idle time (at most one per class and row waits there).
//! [`Config::thread_cache`] turns the fast path off.
//!
//! # What is wiped
//! A guard keeps a high-water mark of the bytes it exposed (written, or
//! handed out through [`spare_mut`](PooledBuf::spare_mut) and friends), and
//! its drop zeroizes those before the buffer is parked or listed: idle
//! buffers hold only zeros, so an evicted or trimmed buffer is freed
//! without a second wipe. (Up to 64 exposed bytes of a buffer of 64 or
//! more, the drop zeroes the first 64 whatever the mark: past the mark that
//! writes zeros over zeros, and it needs no branch on the count.)

mod clock;
mod connection;
mod membarrier;
mod pool_ref;
mod region;
mod rows;
mod thread_number;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::mem::{self, ManuallyDrop};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use zeroize::Zeroize;

pub use self::clock::{Clock, ManualClock, SystemClock};
pub use self::connection::{ConnectionBuffers, ConnectionConfig};
pub use self::region::{PooledRegion, RegionPool, RegionStats};

use self::pool_ref::PoolRef;
use self::rows::{Local, NO_LEASE, Rows};

/// Error of the pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The request is larger than the pool's largest size class.
    TooLarge {
        /// Bytes asked for.
        requested: usize,
        /// The largest size class.
        max: usize,
    },
    /// Handing out the buffer would pass the cap on outstanding bytes.
    OverLimit {
        /// The size class asked for.
        requested: usize,
        /// Bytes handed out at the time.
        outstanding: usize,
        /// The cap.
        limit: usize,
    },
    /// Waiting for room under the outstanding cap took too long.
    TimedOut,
    /// A write does not fit in the buffer; nothing was written.
    NoRoom {
        /// Bytes to write.
        needed: usize,
        /// Room left.
        free: usize,
    },
    /// A connection's packet queue is at its cap of packets or bytes.
    QueueFull {
        /// Packets queued.
        packets: usize,
        /// Bytes queued.
        bytes: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooLarge { requested, max } => write!(
                f,
                "buffer of {requested} bytes requested, the largest size class is {max}"
            ),
            Self::OverLimit {
                requested,
                outstanding,
                limit,
            } => write!(
                f,
                "buffer of {requested} bytes refused: {outstanding} of {limit} bytes handed out"
            ),
            Self::TimedOut => f.write_str("timed out waiting for a pool buffer"),
            Self::NoRoom { needed, free } => {
                write!(f, "no room in buffer: {needed} bytes to write, {free} free")
            }
            Self::QueueFull { packets, bytes } => {
                write!(f, "packet queue full ({packets} packets, {bytes} bytes)")
            }
        }
    }
}

impl core::error::Error for Error {}

impl From<Error> for io::Error {
    fn from(e: Error) -> Self {
        let kind = match e {
            Error::NoRoom { .. } => io::ErrorKind::WriteZero,
            Error::TimedOut => io::ErrorKind::TimedOut,
            _ => io::ErrorKind::OutOfMemory,
        };
        io::Error::new(kind, e)
    }
}

/// Sizes and limits of a [`BufferPool`]; builder-style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    min_size: usize,
    max_size: usize,
    max_idle_bytes: usize,
    max_outstanding_bytes: usize,
    max_idle_time: Option<Duration>,
    thread_cache: bool,
}

impl Default for Config {
    /// Classes from 64 bytes to 1 MiB, 64 MiB idle, no cap on bytes handed
    /// out, idle buffers freed after 60 s, per-thread fast path on.
    fn default() -> Self {
        Self {
            min_size: 64,
            max_size: 1 << 20,
            max_idle_bytes: 64 << 20,
            max_outstanding_bytes: usize::MAX,
            max_idle_time: Some(Duration::from_secs(60)),
            thread_cache: true,
        }
    }
}

impl Config {
    /// The smallest size class (rounded up to a power of two, at least 1).
    #[must_use]
    pub const fn min_size(mut self, bytes: usize) -> Self {
        self.min_size = bytes;
        self
    }

    /// The largest size class (rounded up to a power of two, at least the
    /// smallest); larger requests are [`Error::TooLarge`].
    #[must_use]
    pub const fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// The cap on idle bytes, parked per-thread buffers included; past it
    /// the least recently used idle buffers are freed.
    #[must_use]
    pub const fn max_idle_bytes(mut self, bytes: usize) -> Self {
        self.max_idle_bytes = bytes;
        self
    }

    /// The cap on bytes handed out at once (by size class, not by request).
    #[must_use]
    pub const fn max_outstanding_bytes(mut self, bytes: usize) -> Self {
        self.max_outstanding_bytes = bytes;
        self
    }

    /// How long a listed idle buffer is kept; `None` keeps it until evicted
    /// by the cap or [`BufferPool::trim`].
    #[must_use]
    pub const fn max_idle_time(mut self, idle: Option<Duration>) -> Self {
        self.max_idle_time = idle;
        self
    }

    /// Whether threads park returned buffers in their own slots.
    #[must_use]
    pub const fn thread_cache(mut self, on: bool) -> Self {
        self.thread_cache = on;
        self
    }

    /// The same configuration with the sizes made valid.
    fn normalized(mut self) -> Self {
        let top = 1usize << (usize::BITS - 1);
        self.min_size = self
            .min_size
            .max(1)
            .checked_next_power_of_two()
            .unwrap_or(top);
        self.max_size = self
            .max_size
            .max(self.min_size)
            .checked_next_power_of_two()
            .unwrap_or(top);
        self
    }
}

/// Counters and byte totals of a [`BufferPool`], from
/// [`BufferPool::stats`]. Exact when no other thread is using the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Requests served from idle buffers (both paths).
    pub hits: u64,
    /// Of the hits, those served from the thread's own parked buffer.
    pub thread_hits: u64,
    /// Requests that allocated a new buffer.
    pub misses: u64,
    /// Idle buffers freed to keep idle bytes under the cap (least recently
    /// used first), and returned buffers that did not fit under it.
    pub evictions_lru: u64,
    /// Idle buffers freed after the idle time.
    pub evictions_idle_time: u64,
    /// Idle buffers freed by [`BufferPool::trim`].
    pub trimmed: u64,
    /// Requests refused over the outstanding cap.
    pub refused: u64,
    /// Requests that had to wait for room under the outstanding cap.
    pub waits: u64,
    /// Bytes in idle buffers, parked ones included.
    pub idle_bytes: usize,
    /// Bytes in buffers handed out.
    pub outstanding_bytes: usize,
    /// The most bytes counted against the idle cap at once: listed idle
    /// buffers and buffers leased to threads' slots (see the
    /// [module docs](self)).
    pub idle_high_water: usize,
    /// The most bytes counted against the outstanding cap at once: buffers
    /// handed out and buffers parked in threads' slots.
    pub outstanding_high_water: usize,
}

/// A listed idle buffer (its size class is its list's): when it came
/// back, and in what order.
struct Idle {
    data: Box<[u8]>,
    since: Duration,
    seq: u64,
}

/// What the pool's lock protects: the idle lists, oldest first.
struct State {
    idle: Vec<VecDeque<Idle>>,
    seq: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    evictions_lru: AtomicU64,
    evictions_idle_time: AtomicU64,
    trimmed: AtomicU64,
    refused: AtomicU64,
    waits: AtomicU64,
    /// Bytes handed out plus bytes leased to threads (parked or not): the
    /// outstanding cap applies to this.
    out: AtomicUsize,
    /// Bytes listed plus bytes leased: the idle cap applies to this.
    idle_used: AtomicUsize,
    /// Bytes leased to threads' slots.
    leased: AtomicUsize,
    idle_high_water: AtomicUsize,
    out_high_water: AtomicUsize,
}

struct Inner {
    config: Config,
    classes: usize,
    /// `min_size - 1`: [`class_of`](Self::class_of) rounds a length up to
    /// the smallest class with it.
    min_mask: usize,
    /// `usize::BITS - log2(min_size)`: the class of a power of two `2^k`
    /// (at least `min_size`) is this less its leading zeros of `2^k - 1`.
    class_base: u32,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Signalled when outstanding bytes go down and someone waits (the
    /// rows count the waiters).
    room: Condvar,
    counters: Counters,
    rows: Rows,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent across a panic in a holder (every update
    // is a push or a pop), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds `size` to `counter` if the sum stays within `limit`; on success
/// raises `high_water`, on failure returns the counter's value.
fn add_within(
    counter: &AtomicUsize,
    size: usize,
    limit: usize,
    high_water: &AtomicUsize,
) -> Result<(), usize> {
    let mut cur = counter.load(Ordering::SeqCst);
    loop {
        let Some(new) = cur.checked_add(size).filter(|&n| n <= limit) else {
            return Err(cur);
        };
        match counter.compare_exchange_weak(cur, new, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => {
                if new > high_water.load(Ordering::Relaxed) {
                    high_water.fetch_max(new, Ordering::Relaxed);
                }
                return Ok(());
            }
            Err(now) => cur = now,
        }
    }
}

impl Inner {
    #[inline]
    fn class_size(&self, class: usize) -> usize {
        self.config.min_size << class
    }

    /// The class a request of `len` bytes falls in, past the largest one
    /// for a request too large (see [`class_of`](Self::class_of)).
    #[inline]
    fn class_index(&self, len: usize) -> usize {
        // The class of `len` is ceil(log2(max(len, min_size))) less
        // log2(min_size); `x` has the bit length of that ceiling (0 and 1
        // round up to `min_size`, whose mask has the length log2(min_size)),
        // at most `class_base`, so no branch and no underflow.
        let x = len.saturating_sub(1) | self.min_mask;
        (self.class_base - x.leading_zeros()) as usize
    }

    #[inline]
    fn class_of(&self, len: usize) -> Result<usize, Error> {
        let class = self.class_index(len);
        if class < self.classes {
            Ok(class)
        } else {
            Err(Error::TooLarge {
                requested: len,
                max: self.config.max_size,
            })
        }
    }

    /// Counts `size` more bytes against the outstanding cap.
    fn reserve(&self, size: usize) -> Result<(), usize> {
        let c = &self.counters;
        add_within(
            &c.out,
            size,
            self.config.max_outstanding_bytes,
            &c.out_high_water,
        )
    }

    fn unreserve(&self, size: usize) {
        self.counters.out.fetch_sub(size, Ordering::SeqCst);
        if self.rows.waiting() {
            // Taking the lock orders this with a waiter between its last
            // check and its wait.
            let _state = lock(&self.state);
            self.room.notify_all();
        }
    }

    /// Reserves `size` outstanding bytes, first moving buffers parked in
    /// threads' slots to the lists if the cap is reached (they count against
    /// it while parked).
    fn reserve_or_reclaim(&self, size: usize) -> Result<(), usize> {
        self.reserve(size).or_else(|_| {
            self.reclaim_parked();
            self.reserve(size)
        })
    }

    fn refuse(&self, size: usize, outstanding: usize) -> Error {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        Error::OverLimit {
            requested: size,
            outstanding,
            limit: self.config.max_outstanding_bytes,
        }
    }

    fn reserve_waiting(&self, size: usize, deadline: Option<Instant>) -> Result<(), Error> {
        let limit = self.config.max_outstanding_bytes;
        if size > limit {
            return Err(self.refuse(size, self.counters.out.load(Ordering::Relaxed)));
        }
        if self.reserve_or_reclaim(size).is_ok() {
            return Ok(());
        }
        self.counters.waits.fetch_add(1, Ordering::Relaxed);
        let mut state = lock(&self.state);
        self.rows.add_waiter();
        let result = loop {
            let reserved = self.reserve(size).or_else(|_| {
                self.reclaim_parked_locked(&mut state);
                self.reserve(size)
            });
            if reserved.is_ok() {
                break Ok(());
            }
            state = match deadline {
                None => self
                    .room
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        break Err(Error::TimedOut);
                    }
                    self.room
                        .wait_timeout(state, d - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        };
        self.rows.remove_waiter();
        result
    }

    /// Counts `size` more bytes against the idle cap, if it allows.
    fn reserve_idle(&self, size: usize) -> bool {
        let c = &self.counters;
        add_within(
            &c.idle_used,
            size,
            self.config.max_idle_bytes,
            &c.idle_high_water,
        )
        .is_ok()
    }

    fn unreserve_idle(&self, size: usize) {
        self.counters.idle_used.fetch_sub(size, Ordering::SeqCst);
    }

    /// Ends a buffer's lease: its `size` bytes no longer count as leased.
    #[inline]
    fn end_lease(&self, lease: &mut usize, size: usize) {
        if *lease != NO_LEASE {
            *lease = NO_LEASE;
            self.counters.leased.fetch_sub(size, Ordering::SeqCst);
            self.unreserve_idle(size);
        }
    }

    /// A zeroed buffer for a request of `len` bytes, its class and its
    /// lease. The fast path takes this thread's parked buffer (its bytes are
    /// already counted); the slow path checks the size and reserves the
    /// bytes (refusing, or waiting until `deadline` if `wait`).
    #[inline]
    fn take(
        &self,
        len: usize,
        wait: bool,
        deadline: Option<Instant>,
    ) -> Result<(Box<[u8]>, usize, usize), Error> {
        // Unchecked: the slot of a class past the largest is empty (no
        // buffer of it is ever parked) or absent, so such a request goes on
        // to the slow path, which refuses it.
        let class = self.class_index(len);
        if let Some(local) = self.rows.local() {
            if let Some(data) = local.take(class) {
                return Ok((data, class, local.id()));
            }
        }
        self.take_slow(len, wait, deadline)
    }

    /// [`take`](Self::take) past the thread's own slot: out of line, so the
    /// fast path saves no registers for it.
    #[cold]
    #[inline(never)]
    fn take_slow(
        &self,
        len: usize,
        wait: bool,
        deadline: Option<Instant>,
    ) -> Result<(Box<[u8]>, usize, usize), Error> {
        let class = self.class_of(len)?;
        let size = self.class_size(class);
        if wait {
            self.reserve_waiting(size, deadline)?;
        } else {
            self.reserve_or_reclaim(size)
                .map_err(|outstanding| self.refuse(size, outstanding))?;
        }
        let listed = {
            let mut state = lock(&self.state);
            self.evict_expired_locked(&mut state, self.clock.now());
            state.idle.get_mut(class).and_then(VecDeque::pop_back)
        };
        if let Some(idle) = listed {
            self.unreserve_idle(size);
            self.counters.hits.fetch_add(1, Ordering::Relaxed);
            return Ok((idle.data, class, NO_LEASE));
        }
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        Ok((vec![0; size].into_boxed_slice(), class, NO_LEASE))
    }

    /// Takes back a wiped buffer of `class` with its `lease`: parks it in
    /// this thread's slot (keeping or starting its lease), lists it, or frees
    /// it.
    #[inline]
    fn put_back(&self, data: Box<[u8]>, class: usize, lease: usize) {
        // The fast path: a buffer leased to this thread's row goes back to
        // its slot.
        let data = match self.rows.local() {
            Some(local) if local.id() == lease => match local.put(class, data) {
                Ok(()) => return,
                Err(data) => data,
            },
            _ => data,
        };
        self.put_back_slow(data, class, lease);
    }

    /// [`put_back`](Self::put_back) of a buffer not leased to this thread's
    /// row or refused by its slot.
    #[cold]
    #[inline(never)]
    fn put_back_slow(&self, data: Box<[u8]>, class: usize, lease: usize) {
        let size = data.len();
        // The thread takes its number here, on its first slow release: the
        // fast paths skip a thread without one.
        let local = self.rows.local_or_number();
        let Some((data, mut lease)) = self.park(local, data, class, lease) else {
            return;
        };
        self.end_lease(&mut lease, size);
        self.unreserve(size);
        let mut state = lock(&self.state);
        let now = self.clock.now();
        self.evict_expired_locked(&mut state, now);
        self.list_locked(&mut state, data, class, now);
    }

    /// Parks a returned buffer in the calling thread's `local` slot (with
    /// its row's lease id) if it may; else hands it back with its lease.
    fn park(
        &self,
        local: Option<Local<'_>>,
        data: Box<[u8]>,
        class: usize,
        lease: usize,
    ) -> Option<(Box<[u8]>, usize)> {
        let Some(local) = local else {
            return Some((data, lease));
        };
        let id = local.id();
        if lease != id {
            // Someone waits for outstanding room: a parked buffer would still
            // count as out, so take the slow path, which wakes them. (`put`
            // checks this again inside the row's section.)
            let size = data.len();
            if lease != NO_LEASE
                || self.rows.waiting()
                || local.is_full(class)
                || !self.reserve_idle(size)
            {
                return Some((data, lease));
            }
            // A new lease: the bytes stay counted as out, and now count
            // against the idle cap too.
            self.counters.leased.fetch_add(size, Ordering::SeqCst);
        }
        // Refused while someone waits for room or a drain runs; a waiter
        // that came later drains the slot (see `rows`).
        local.put(class, data).err().map(|data| (data, id))
    }

    /// Lists an unleased buffer of `class` that no longer counts as out,
    /// evicting the least recently used to fit it under the idle cap, or
    /// frees it.
    fn list_locked(&self, state: &mut State, data: Box<[u8]>, class: usize, now: Duration) {
        let size = data.len();
        loop {
            if self.reserve_idle(size) {
                let seq = state.seq;
                state.seq += 1;
                if let Some(list) = state.idle.get_mut(class) {
                    list.push_back(Idle {
                        data,
                        since: now,
                        seq,
                    });
                }
                return;
            }
            if !self.evict_lru_locked(state) {
                // Nothing listed left to free: this buffer does not fit.
                self.counters.evictions_lru.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }

    /// Frees the least recently listed idle buffer, if any.
    fn evict_lru_locked(&self, state: &mut State) -> bool {
        let oldest = state
            .idle
            .iter()
            .enumerate()
            .filter_map(|(class, list)| list.front().map(|i| (i.seq, class)))
            .min();
        let Some((_, class)) = oldest else {
            return false;
        };
        if let Some(idle) = state.idle.get_mut(class).and_then(VecDeque::pop_front) {
            self.unreserve_idle(idle.data.len());
            self.counters.evictions_lru.fetch_add(1, Ordering::Relaxed);
        }
        true
    }

    /// Frees listed buffers idle for the configured time or longer.
    fn evict_expired_locked(&self, state: &mut State, now: Duration) -> usize {
        let Some(max_idle) = self.config.max_idle_time else {
            return 0;
        };
        let mut freed = 0;
        for list in &mut state.idle {
            while let Some(first) = list.front() {
                if now.saturating_sub(first.since) < max_idle {
                    break;
                }
                if let Some(idle) = list.pop_front() {
                    let size = idle.data.len();
                    self.unreserve_idle(size);
                    self.counters
                        .evictions_idle_time
                        .fetch_add(1, Ordering::Relaxed);
                    freed += size;
                }
            }
        }
        freed
    }

    /// Takes every parked buffer out of every thread's slots (ending their
    /// leases) and lists them, so they stop counting as out.
    fn reclaim_parked(&self) {
        let mut state = lock(&self.state);
        self.reclaim_parked_locked(&mut state);
    }

    /// [`reclaim_parked`](Self::reclaim_parked) under the state lock (taken
    /// before the slots' registry, never after).
    fn reclaim_parked_locked(&self, state: &mut State) {
        let parked = self.rows.drain();
        if parked.is_empty() {
            return;
        }
        let now = self.clock.now();
        for (row, class, data) in parked {
            let mut lease = row;
            let size = data.len();
            self.end_lease(&mut lease, size);
            self.counters.out.fetch_sub(size, Ordering::SeqCst);
            self.list_locked(state, data, class, now);
        }
        if self.rows.waiting() {
            self.room.notify_all();
        }
    }

    /// Bytes parked in threads' slots now.
    fn parked_bytes(&self) -> usize {
        self.rows.parked_bytes()
    }
}

/// A pool of byte buffers by size class; see the [module docs](self).
///
/// Cloning the pool gives another handle to the same buffers. `Debug` shows
/// its statistics.
#[derive(Clone)]
pub struct BufferPool {
    inner: Arc<Inner>,
}

impl BufferPool {
    /// A pool using the system clock for idle times.
    #[must_use]
    pub fn new(config: Config) -> Self {
        Self::with_clock(config, Arc::new(SystemClock::new()))
    }

    /// A pool using `clock` for idle times (a [`ManualClock`] in tests).
    #[must_use]
    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> Self {
        let config = config.normalized();
        let classes =
            (config.max_size.trailing_zeros() - config.min_size.trailing_zeros()) as usize + 1;
        // Rows for twice the cores, 64 to 256 (a row is a 64-byte line for
        // its busy mark and hit counter plus a line per 8 classes: 12 KiB
        // for the default 15 classes and 64 rows).
        let count = if config.thread_cache {
            std::thread::available_parallelism()
                .map_or(64, |n| n.get().saturating_mul(2))
                .clamp(64, 256)
        } else {
            0
        };
        let rows = Rows::new(count, classes, config.min_size);
        Self {
            inner: Arc::new(Inner {
                config,
                classes,
                min_mask: config.min_size - 1,
                class_base: usize::BITS - config.min_size.trailing_zeros(),
                clock,
                state: Mutex::new(State {
                    idle: (0..classes).map(|_| VecDeque::new()).collect(),
                    seq: 0,
                }),
                room: Condvar::new(),
                counters: Counters::default(),
                rows,
            }),
        }
    }

    /// The capacity a request of `len` bytes gets: `len` rounded up to a
    /// power of two, at least the smallest class.
    ///
    /// # Errors
    /// [`Error::TooLarge`] past the largest class.
    pub fn size_class(&self, len: usize) -> Result<usize, Error> {
        self.inner
            .class_of(len)
            .map(|class| self.inner.class_size(class))
    }

    /// An empty buffer with room for at least `len` bytes; refused at once
    /// when the outstanding cap does not allow it. The buffer borrows the
    /// pool; [`PooledBuf::into_owned`] makes it `'static`.
    ///
    /// # Errors
    /// [`Error::TooLarge`] past the largest class, [`Error::OverLimit`] over
    /// the cap on outstanding bytes.
    #[inline]
    pub fn try_acquire(&self, len: usize) -> Result<PooledBuf<'_>, Error> {
        let (data, class, lease) = self.inner.take(len, false, None)?;
        Ok(self.guard(data, class, lease))
    }

    /// As [`try_acquire`](Self::try_acquire), but waits (without limit) for
    /// other buffers to come back when the outstanding cap is reached.
    ///
    /// # Errors
    /// [`Error::TooLarge`] past the largest class; [`Error::OverLimit`] only
    /// when the size class alone is over the cap (waiting could not help).
    pub fn acquire(&self, len: usize) -> Result<PooledBuf<'_>, Error> {
        let (data, class, lease) = self.inner.take(len, true, None)?;
        Ok(self.guard(data, class, lease))
    }

    /// As [`acquire`](Self::acquire), waiting at most `timeout`.
    ///
    /// # Errors
    /// As [`acquire`](Self::acquire), and [`Error::TimedOut`].
    pub fn acquire_timeout(&self, len: usize, timeout: Duration) -> Result<PooledBuf<'_>, Error> {
        self.inner.class_of(len)?;
        let deadline = Instant::now().checked_add(timeout);
        let (data, class, lease) = self.inner.take(len, true, deadline)?;
        Ok(self.guard(data, class, lease))
    }

    #[inline]
    fn guard(&self, data: Box<[u8]>, class: usize, lease: usize) -> PooledBuf<'_> {
        PooledBuf {
            pool: PoolRef::borrowed(&self.inner),
            data: ManuallyDrop::new(data),
            class,
            lease,
            len: 0,
            exposed: 0,
        }
    }

    /// Frees every idle buffer, the ones parked in any thread's slots
    /// included; returns the bytes freed.
    pub fn trim(&self) -> usize {
        self.inner.reclaim_parked();
        let mut state = lock(&self.inner.state);
        let mut freed = 0;
        for list in &mut state.idle {
            for idle in list.drain(..) {
                let size = idle.data.len();
                self.inner.unreserve_idle(size);
                self.inner.counters.trimmed.fetch_add(1, Ordering::Relaxed);
                freed += size;
            }
        }
        freed
    }

    /// Frees the listed buffers idle for the configured time (this also
    /// happens on every slow-path acquire and release); returns the bytes
    /// freed.
    pub fn evict_expired(&self) -> usize {
        let mut state = lock(&self.inner.state);
        self.inner
            .evict_expired_locked(&mut state, self.inner.clock.now())
    }

    /// The pool's counters and byte totals.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let c = &self.inner.counters;
        let thread_hits = self.inner.rows.hits();
        let parked = self.inner.parked_bytes();
        let out = c.out.load(Ordering::SeqCst);
        let listed = c
            .idle_used
            .load(Ordering::SeqCst)
            .saturating_sub(c.leased.load(Ordering::SeqCst));
        Stats {
            hits: c.hits.load(Ordering::Relaxed) + thread_hits,
            thread_hits,
            misses: c.misses.load(Ordering::Relaxed),
            evictions_lru: c.evictions_lru.load(Ordering::Relaxed),
            evictions_idle_time: c.evictions_idle_time.load(Ordering::Relaxed),
            trimmed: c.trimmed.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            waits: c.waits.load(Ordering::Relaxed),
            idle_bytes: listed + parked,
            outstanding_bytes: out.saturating_sub(parked),
            idle_high_water: c.idle_high_water.load(Ordering::Relaxed),
            outstanding_high_water: c.out_high_water.load(Ordering::Relaxed),
        }
    }

    /// The time on the pool's clock.
    pub(crate) fn now(&self) -> Duration {
        self.inner.clock.now()
    }

    /// Whether every idle buffer, listed or parked, holds only zeros.
    #[cfg(test)]
    fn idle_all_zero(&self) -> bool {
        let state = lock(&self.inner.state);
        let listed = state
            .idle
            .iter()
            .flatten()
            .all(|i| i.data.iter().all(|&b| b == 0));
        drop(state);
        let parked = self.inner.rows.parked_all_zero();
        listed && parked
    }
}

impl fmt::Debug for BufferPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferPool")
            .field("config", &self.inner.config)
            .field("stats", &self.stats())
            .finish()
    }
}

/// A buffer from a [`BufferPool`]: written bytes `0..len` in a fixed
/// capacity. Dropping it wipes the bytes it exposed and gives it back, on
/// whatever thread that happens. It borrows its pool (`'a`) unless made
/// [`into_owned`](Self::into_owned).
///
/// Dereferences to the written bytes. Not `Clone`; `Debug` shows no
/// contents.
#[must_use = "dropping the buffer at once gives it back"]
pub struct PooledBuf<'a> {
    /// Borrowed (no reference count to touch) or owning a count.
    pool: PoolRef<'a, Inner>,
    /// The storage; empty (no allocation) once given back. Never dropped
    /// in place: the guard's drop moves it out (so the guard has no drop
    /// glue after its `Drop`; an empty box needs none).
    data: ManuallyDrop<Box<[u8]>>,
    class: usize,
    /// The row the buffer is leased to (its thread's number), or
    /// `NO_LEASE`.
    lease: usize,
    /// Written bytes. Invariant: `len <= exposed <= capacity`.
    len: usize,
    /// High-water mark: every byte past it is zero.
    exposed: usize,
}

impl PooledBuf<'_> {
    /// The same buffer holding its own reference to the pool, so it can
    /// outlive the borrow (be sent to a thread, stored in a struct).
    pub fn into_owned(mut self) -> PooledBuf<'static> {
        PooledBuf {
            pool: self.pool.to_owned(),
            data: ManuallyDrop::new(mem::take(&mut *self.data)),
            class: self.class,
            lease: self.lease,
            len: self.len,
            exposed: self.exposed,
        }
    }

    #[inline]
    fn data(&self) -> &[u8] {
        &self.data
    }

    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// The fixed capacity (the size class).
    #[must_use]
    #[inline]
    pub fn capacity(&self) -> usize {
        self.data().len()
    }

    /// Bytes written.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left.
    #[must_use]
    pub fn free(&self) -> usize {
        self.capacity() - self.len
    }

    /// The high-water mark: bytes that may hold data and will be wiped.
    #[must_use]
    pub fn exposed(&self) -> usize {
        self.exposed
    }

    /// The written bytes.
    #[must_use]
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        self.data().get(..self.len).unwrap_or_default()
    }

    /// The written bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        let len = self.len;
        self.data_mut().get_mut(..len).unwrap_or_default()
    }

    /// Appends `bytes`.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if they do not fit; nothing is written.
    #[inline]
    pub fn extend_from_slice(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let len = self.len;
        let end = len.wrapping_add(bytes.len());
        // On overflow `end < len`, an empty range `get_mut` refuses.
        let Some(dst) = self.data.get_mut(len..end) else {
            return Err(Error::NoRoom {
                needed: bytes.len(),
                free: self.free(),
            });
        };
        copy(dst, bytes);
        self.len = end;
        self.exposed = self.exposed.max(end);
        Ok(())
    }

    /// All the free room after the written bytes, to fill in place before
    /// [`advance`](Self::advance); raises the mark to the capacity.
    pub fn spare_mut(&mut self) -> &mut [u8] {
        self.spare_mut_up_to(usize::MAX)
    }

    /// At most `max` bytes of free room after the written bytes; raises the
    /// mark only to the end of the returned slice.
    #[inline]
    pub fn spare_mut_up_to(&mut self, max: usize) -> &mut [u8] {
        let len = self.len;
        let end = len.saturating_add(max.min(self.free()));
        self.exposed = self.exposed.max(end);
        self.data_mut().get_mut(len..end).unwrap_or_default()
    }

    /// Marks `n` bytes of the spare room as written.
    ///
    /// # Errors
    /// [`Error::NoRoom`] past the capacity; nothing changes.
    pub fn advance(&mut self, n: usize) -> Result<(), Error> {
        if n > self.free() {
            return Err(Error::NoRoom {
                needed: n,
                free: self.free(),
            });
        }
        self.len += n;
        self.exposed = self.exposed.max(self.len);
        Ok(())
    }

    /// Keeps the first `len` written bytes and wipes the rest.
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            let end = self.len;
            if let Some(tail) = self.data_mut().get_mut(len..end) {
                tail.zeroize();
            }
            self.len = len;
        }
    }

    /// Removes the first `n` written bytes (all, if fewer), moves the rest
    /// to the front and wipes what is left behind.
    pub fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        let len = self.len;
        let data = self.data_mut();
        if let Some(live) = data.get_mut(..len) {
            live.copy_within(n.., 0);
            if let Some(stale) = live.get_mut(len - n..) {
                stale.zeroize();
            }
        }
        self.len -= n;
    }

    /// Empties the buffer without wiping it: the written bytes stay in the
    /// storage, and exposed, until [`clear`](Self::clear) or the drop wipes
    /// them. Only for bytes that need no wipe before the buffer is filled
    /// again: the pipeline reuses a sealed frame's buffer this way once the
    /// frame (header, ciphertext, tag) is written out.
    #[inline]
    pub(crate) fn rewind(&mut self) {
        self.len = 0;
    }

    /// Wipes every exposed byte and empties the buffer.
    #[inline]
    pub fn clear(&mut self) {
        let exposed = self.exposed;
        if let Some(used) = self.data_mut().get_mut(..exposed) {
            used.zeroize();
        }
        self.len = 0;
        self.exposed = 0;
    }

    /// The address of the storage, for tests that follow one buffer.
    #[cfg(test)]
    fn addr(&self) -> usize {
        self.data().as_ptr().addr()
    }
}

impl std::ops::Deref for PooledBuf<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl std::ops::DerefMut for PooledBuf<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsRef<[u8]> for PooledBuf<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Appends as much as fits; a full buffer refuses a non-empty write with
/// [`io::ErrorKind::WriteZero`].
impl io::Write for PooledBuf<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if bytes.is_empty() {
            return Ok(0);
        }
        let n = bytes.len().min(self.free());
        if n == 0 {
            return Err(Error::NoRoom {
                needed: bytes.len(),
                free: 0,
            }
            .into());
        }
        self.extend_from_slice(bytes.get(..n).unwrap_or_default())?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for PooledBuf<'_> {
    #[inline]
    fn drop(&mut self) {
        // The fast path: a short wipe and the thread's own slot; anything
        // else out of line (wiping again what it wipes), so this part needs
        // few registers.
        #[allow(unsafe_code)]
        // SAFETY: this is the drop: if the fast path took the box, nothing
        // touches the guard again.
        if !unsafe { self.drop_fast() } {
            self.drop_slow();
        }
    }
}

impl PooledBuf<'_> {
    /// [`drop`](Drop::drop)'s fast path: wipes a short use and parks the
    /// buffer in this thread's slot if it is leased to the thread's row and
    /// the slot takes it; true when done.
    ///
    /// # Safety
    /// Only the drop may call it: on true, `self.data` has been moved out
    /// (without writing an empty box back: two stores a round) and must not
    /// be used again.
    #[allow(unsafe_code)]
    #[inline]
    unsafe fn drop_fast(&mut self) -> bool {
        if !wipe_short(&mut self.data, self.exposed) {
            return false;
        }
        let Some(local) = self.pool.get().rows.local() else {
            return false;
        };
        if local.id() != self.lease {
            return false;
        }
        // SAFETY: written back below if the slot refuses the box; if it
        // takes it, the caller leaves `self.data` alone (see # Safety).
        let data = unsafe { ManuallyDrop::take(&mut self.data) };
        match local.put(self.class, data) {
            Ok(()) => {
                self.pool.release();
                true
            }
            Err(data) => {
                self.data = ManuallyDrop::new(data);
                false
            }
        }
    }

    /// The rest of [`drop`](Drop::drop): the wipe of what is still exposed,
    /// the slow way back to the pool, and the pool's count.
    #[cold]
    #[inline(never)]
    fn drop_slow(&mut self) {
        if let Some(used) = self.data.get_mut(..self.exposed) {
            wipe(used);
        }
        let data = mem::take(&mut *self.data);
        // Empty once moved out by `into_owned`.
        if !data.is_empty() {
            self.pool.get().put_back(data, self.class, self.lease);
        }
        self.pool.release();
    }
}

/// Copies `src` into `dst` (of the same length) without a call for up to
/// 64 bytes, the common short write: two fixed-size moves that overlap in
/// the middle (as `memcpy` does inside); longer copies go to `memcpy`.
#[inline]
fn copy(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 64 || dst.len() != n {
        dst.copy_from_slice(src);
    } else if n >= 32 {
        copy_ends::<32>(dst, src);
    } else if n >= 16 {
        copy_ends::<16>(dst, src);
    } else if n >= 8 {
        copy_ends::<8>(dst, src);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// Copies the first and the last `N` bytes (`N <= len <= 2N`: all of them).
#[inline]
fn copy_ends<const N: usize>(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if let (Some(d), Some(s)) = (dst.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
        *d = *s;
    }
    if let (Some(d), Some(s)) = (
        dst.get_mut(n - N..).and_then(<[u8]>::first_chunk_mut::<N>),
        src.get(n - N..).and_then(<[u8]>::first_chunk::<N>),
    ) {
        *d = *s;
    }
}

/// Zeroizes `bytes`, without a call for up to 64 bytes (as [`copy`]), kept
/// by zeroize's optimization barrier; longer wipes through `zeroize`
/// (`memset`).
#[inline]
fn wipe(bytes: &mut [u8]) {
    let n = bytes.len();
    if n > 64 {
        wipe_long(bytes);
        return;
    }
    if n >= 32 {
        zero_ends::<32>(bytes);
    } else if n >= 16 {
        zero_ends::<16>(bytes);
    } else if n >= 8 {
        zero_ends::<8>(bytes);
    } else {
        for b in &mut *bytes {
            *b = 0;
        }
    }
    zeroize::optimization_barrier(bytes);
}

/// The drop's short wipe: if `exposed` is at most 64 and `data` has 64
/// bytes, zeroes its first 64 bytes (every byte past `exposed` is already
/// zero, so this wipes the exposed ones, with no branch on their count)
/// and returns true; else wipes nothing and returns false.
#[inline]
fn wipe_short(data: &mut [u8], exposed: usize) -> bool {
    match data.first_chunk_mut::<64>() {
        Some(head) if exposed <= 64 => {
            *head = [0; 64];
            zeroize::optimization_barrier(head);
            true
        }
        _ => false,
    }
}

/// [`wipe`] past 64 bytes, out of line.
#[cold]
#[inline(never)]
fn wipe_long(bytes: &mut [u8]) {
    bytes.zeroize();
}

/// Zeroes the first and the last `N` bytes (`N <= len <= 2N`: all of them).
#[inline]
fn zero_ends<const N: usize>(bytes: &mut [u8]) {
    let n = bytes.len();
    if let Some(head) = bytes.first_chunk_mut::<N>() {
        *head = [0; N];
    }
    if let Some(tail) = bytes
        .get_mut(n - N..)
        .and_then(<[u8]>::first_chunk_mut::<N>)
    {
        *tail = [0; N];
    }
}

impl fmt::Debug for PooledBuf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
