//! Tests of [`BufferPool`](super::BufferPool).

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;
use std::io::Write;
use std::sync::mpsc;

/// Polls `done` until it holds (another thread is on its way there).
fn wait_for(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn unshared(config: Config) -> BufferPool {
    BufferPool::new(config.thread_cache(false))
}

#[test]
fn requests_round_up_to_size_classes() {
    let pool = BufferPool::new(Config::default().min_size(100).max_size(5000));
    // 100 -> 128, 5000 -> 8192.
    assert_eq!(pool.size_class(0), Ok(128));
    assert_eq!(pool.size_class(129), Ok(256));
    assert_eq!(pool.size_class(8192), Ok(8192));
    assert_eq!(
        pool.size_class(8193).unwrap_err(),
        Error::TooLarge {
            requested: 8193,
            max: 8192
        }
    );
    assert!(pool.try_acquire(usize::MAX).is_err());
    let b = pool.try_acquire(300).unwrap();
    assert_eq!((b.capacity(), b.len()), (512, 0));
    // Nonsense sizes are made valid, never a panic.
    let odd = BufferPool::new(Config::default().min_size(0).max_size(0));
    assert_eq!(odd.size_class(1), Ok(1));
    assert!(odd.size_class(2).is_err());
}

#[test]
fn returned_buffers_are_wiped_and_reused() {
    for pool in [
        BufferPool::new(Config::default()),
        unshared(Config::default()),
    ] {
        let mut b = pool.try_acquire(8192).unwrap();
        let addr = b.addr();
        b.write_all(&[0xa5; 64]).unwrap();
        b.spare_mut_up_to(10).fill(0x5a); // not advanced over: still wiped
        assert_eq!(b.exposed(), 74);
        drop(b);
        assert!(pool.idle_all_zero());
        let again = pool.try_acquire(5000).unwrap();
        assert_eq!(again.addr(), addr);
        assert!(again.is_empty());
        assert_eq!(again.exposed(), 0);
        let s = pool.stats();
        assert_eq!((s.hits, s.misses), (1, 1));
    }
}

#[test]
fn the_mark_follows_every_way_of_writing() {
    let pool = unshared(Config::default());
    let mut b = pool.try_acquire(256).unwrap();
    b.extend_from_slice(&[1; 10]).unwrap();
    assert_eq!(b.exposed(), 10);
    b.spare_mut_up_to(5).fill(2);
    assert_eq!(b.exposed(), 15);
    b.advance(3).unwrap();
    assert_eq!((b.len(), b.exposed()), (13, 15));
    b.as_mut_slice().fill(3);
    assert_eq!(b.exposed(), 15);
    b.truncate(4);
    assert_eq!(&*b, &[3; 4]);
    b.extend_from_slice(&[9, 8, 7]).unwrap();
    b.consume(5);
    assert_eq!(&*b, &[8, 7]);
    assert_eq!(
        b.extend_from_slice(&[0; 255]),
        Err(Error::NoRoom {
            needed: 255,
            free: 254
        })
    );
    assert_eq!(
        b.advance(255).unwrap_err(),
        Error::NoRoom {
            needed: 255,
            free: 254
        }
    );
    b.spare_mut()[253] = 1;
    assert_eq!(b.exposed(), 256);
    b.advance(254).unwrap();
    assert_eq!(b.write(b"x").unwrap_err().kind(), io::ErrorKind::WriteZero);
    assert_eq!(b.write(b"").unwrap(), 0);
    drop(b);
    assert!(pool.idle_all_zero());
}

/// The secbuf 0.1.8 bug: its thread cache is shared by all pools, so an
/// 8 KiB pool handed out a 64-byte buffer another pool had released on the
/// same thread. Here the slots belong to their pool.
#[test]
fn thread_slots_belong_to_their_pool() {
    let small = BufferPool::new(Config::default().min_size(64).max_size(64));
    let large = BufferPool::new(Config::default().min_size(64).max_size(8192));
    let a = small.try_acquire(64).unwrap();
    let a_addr = a.addr();
    drop(a); // parked in this thread's slot for `small`
    assert_eq!(small.stats().idle_bytes, 64);
    let b = large.try_acquire(64).unwrap();
    assert_ne!(b.addr(), a_addr);
    assert_eq!(large.stats().misses, 1);
    assert_eq!(large.stats().hits, 0);
    drop(b);
    let c = small.try_acquire(1).unwrap();
    assert_eq!(c.addr(), a_addr);
    let s = small.stats();
    assert_eq!((s.hits, s.thread_hits, s.misses), (1, 1, 1));
}

#[test]
fn the_idle_cap_evicts_least_recently_used_first() {
    let pool = unshared(Config::default().max_idle_bytes(3 * 256 + 32));
    let bufs: Vec<_> = (0..4).map(|_| pool.try_acquire(256).unwrap()).collect();
    let addrs: Vec<_> = bufs.iter().map(PooledBuf::addr).collect();
    let small = pool.try_acquire(64).unwrap();
    drop(bufs); // in order 0, 1, 2, 3: the fourth evicts the first
    let s = pool.stats();
    assert_eq!((s.idle_bytes, s.evictions_lru), (3 * 256, 1));
    // The 64-byte buffer fits once the least recently used (1) goes.
    drop(small);
    let s = pool.stats();
    assert_eq!((s.idle_bytes, s.evictions_lru), (2 * 256 + 64, 2));
    let back: Vec<_> = (0..2).map(|_| pool.try_acquire(256).unwrap()).collect();
    let back: HashSet<_> = back.iter().map(PooledBuf::addr).collect();
    assert_eq!(back, HashSet::from([addrs[2], addrs[3]]));
    assert_eq!(pool.stats().idle_high_water, 3 * 256);
    // A buffer larger than the whole cap is freed on return.
    let tiny = unshared(Config::default().max_idle_bytes(100));
    drop(tiny.try_acquire(128).unwrap());
    assert_eq!(tiny.stats().evictions_lru, 1);
    assert_eq!(tiny.stats().idle_bytes, 0);
}

#[test]
fn idle_buffers_expire_on_the_clock() {
    let clock = Arc::new(ManualClock::new());
    let pool = BufferPool::with_clock(
        Config::default()
            .thread_cache(false)
            .max_idle_time(Some(Duration::from_secs(10))),
        clock.clone(),
    );
    drop(pool.try_acquire(100).unwrap());
    clock.advance(Duration::from_secs(6));
    drop(pool.try_acquire(1000).unwrap());
    clock.advance(Duration::from_secs(4));
    // The first is 10 s idle, the second 4 s.
    assert_eq!(pool.evict_expired(), 128);
    assert_eq!(pool.stats().evictions_idle_time, 1);
    clock.advance(Duration::from_secs(6));
    // Slow-path calls evict too: this acquire finds nothing idle.
    drop(pool.try_acquire(1000).unwrap());
    let s = pool.stats();
    assert_eq!((s.evictions_idle_time, s.misses, s.hits), (2, 3, 0));
    assert_eq!(s.idle_bytes, 1024);
    // `None` keeps idle buffers.
    let keep = BufferPool::with_clock(
        Config::default().thread_cache(false).max_idle_time(None),
        clock.clone(),
    );
    drop(keep.try_acquire(1).unwrap());
    clock.advance(Duration::from_secs(1 << 30));
    assert_eq!(keep.evict_expired(), 0);
}

#[test]
fn the_outstanding_cap_refuses_or_waits() {
    let pool = BufferPool::new(Config::default().max_outstanding_bytes(1024));
    let a = pool.try_acquire(512).unwrap();
    let b = pool.try_acquire(512).unwrap();
    assert_eq!(
        pool.try_acquire(1).unwrap_err(),
        Error::OverLimit {
            requested: 64,
            outstanding: 1024,
            limit: 1024
        }
    );
    assert_eq!(
        pool.acquire_timeout(1, Duration::from_millis(20))
            .unwrap_err(),
        Error::TimedOut
    );
    // More than the cap can never fit: refused at once, even when waiting.
    assert!(matches!(pool.acquire(2048), Err(Error::OverLimit { .. })));
    let waiter = {
        let pool = pool.clone();
        std::thread::spawn(move || pool.acquire(600).map(|b| b.capacity()))
    };
    // The timed-out request was the first wait; this one is the second.
    wait_for(|| pool.stats().waits == 2);
    drop(a);
    drop(b);
    assert_eq!(waiter.join().unwrap(), Ok(1024));
    let s = pool.stats();
    assert_eq!((s.refused, s.waits), (2, 2));
    assert_eq!(s.outstanding_bytes, 0);
    assert_eq!(s.outstanding_high_water, 1024);
}

#[test]
fn trim_drains_every_threads_slots() {
    let pool = BufferPool::new(Config::default());
    for _ in 0..3 {
        let pool = pool.clone();
        std::thread::spawn(move || {
            drop(pool.try_acquire(4096).unwrap()); // parked in the thread's row
        })
        .join()
        .unwrap();
    }
    drop(pool.try_acquire(64).unwrap()); // parked here
    drop(pool.try_acquire(64).unwrap()); // taken back from here, parked again
    let s = pool.stats();
    // Threads may share a row (rows are numbered modulo the row count), and
    // a thread takes what another parked in its row: at least one 4 KiB
    // buffer and the 64-byte one are parked, all counted as idle.
    assert!(s.idle_bytes >= 4096 + 64, "{s:?}");
    assert_eq!(
        u64::try_from(s.idle_bytes).unwrap(),
        (s.misses - 1) * 4096 + 64
    );
    assert_eq!(pool.trim(), s.idle_bytes);
    let after = pool.stats();
    assert_eq!((after.idle_bytes, after.outstanding_bytes), (0, 0));
    assert_eq!(after.trimmed, s.misses);
    assert!(pool.idle_all_zero());
}

#[test]
fn guards_are_send_and_debug_is_redacted() {
    fn is_send<T: Send>() {}
    is_send::<PooledBuf<'static>>();
    is_send::<PooledRegion>();
    let pool = BufferPool::new(Config::default());
    let mut b = pool.try_acquire(10).unwrap();
    b.write_all(b"hunter2").unwrap();
    let s = format!("{b:?} {pool:?}");
    assert!(!s.contains("hunter2") && !s.contains("104, 117"), "{s}");
}

/// 8 threads, each acquiring and releasing; every other buffer is sent to
/// the next thread and released there. No buffer is seen dirty, none is
/// held twice, and the totals add up.
#[test]
fn eight_threads_release_on_each_others_threads() {
    const THREADS: usize = 8;
    let rounds: usize = if cfg!(miri) {
        40
    } else if cfg!(debug_assertions) {
        50_000
    } else {
        1_000_000
    };
    let pool = BufferPool::new(Config::default().max_size(4096));
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..THREADS)
        .map(|_| mpsc::channel::<PooledBuf<'static>>())
        .unzip();
    let mut txs: VecDeque<_> = txs.into();
    txs.rotate_left(1);
    let workers: Vec<_> = rxs
        .into_iter()
        .zip(txs)
        .enumerate()
        .map(|(id, (rx, tx))| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                let tag = u8::try_from(id + 1).expect("eight threads");
                for i in 0..rounds {
                    let len = 1 + (i * 7 + id) % 4096;
                    let mut b = pool.try_acquire(len).unwrap();
                    assert!(b.spare_mut_up_to(len).iter().all(|&x| x == 0));
                    b.spare_mut_up_to(len).fill(tag);
                    b.advance(len).unwrap();
                    if i % 2 == 0 {
                        tx.send(b.into_owned()).unwrap();
                    } else {
                        assert!(b.iter().all(|&x| x == tag));
                    }
                    for b in rx.try_iter() {
                        assert!(b.first().is_some_and(|&t| b.iter().all(|&x| x == t)));
                    }
                }
                drop(tx);
                rx
            })
        })
        .collect();
    let rxs: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    drop(rxs); // releases what was still in flight
    let s = pool.stats();
    assert_eq!(s.hits + s.misses, (THREADS * rounds) as u64);
    assert_eq!(s.outstanding_bytes, 0);
    assert!(pool.idle_all_zero());
}

/// The operations of the model test.
#[derive(Debug, Clone)]
enum Op {
    Acquire(usize),
    Release(usize),
    Write(usize, usize),
    Trim,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..600usize).prop_map(Op::Acquire),
        3 => any::<usize>().prop_map(Op::Release),
        2 => (any::<usize>(), 0..600usize).prop_map(|(i, n)| Op::Write(i, n)),
        1 => Just(Op::Trim),
    ]
}

/// A plain reference: per class, the thread's parked buffer and a list of
/// idle buffers oldest first, with a global sequence for least recent use;
/// leases and the two capped counters as the module docs describe them.
#[derive(Default)]
struct Model {
    parked: Vec<Option<usize>>,
    listed: Vec<VecDeque<(u64, usize)>>,
    leased_ids: HashSet<usize>,
    seq: u64,
    /// Handed out + leased (the outstanding cap's count).
    out: usize,
    /// Listed + leased (the idle cap's count).
    idle_used: usize,
    leased: usize,
    stats: Stats,
}

const MIN: usize = 64;
const CLASSES: usize = 4; // 64..=512
const IDLE_CAP: usize = 1200;
const OUT_CAP: usize = 1500;

impl Model {
    fn class(len: usize) -> Option<usize> {
        let size = len.max(MIN).next_power_of_two();
        (size <= MIN << (CLASSES - 1)).then(|| (size / MIN).trailing_zeros() as usize)
    }

    fn add_idle(&mut self, size: usize) -> bool {
        if self.idle_used + size > IDLE_CAP {
            return false;
        }
        self.idle_used += size;
        self.stats.idle_high_water = self.stats.idle_high_water.max(self.idle_used);
        true
    }

    fn add_out(&mut self, size: usize) -> bool {
        if self.out + size > OUT_CAP {
            return false;
        }
        self.out += size;
        self.stats.outstanding_high_water = self.stats.outstanding_high_water.max(self.out);
        true
    }

    fn end_lease(&mut self, id: usize, size: usize) {
        if self.leased_ids.remove(&id) {
            self.leased -= size;
            self.idle_used -= size;
        }
    }

    fn list(&mut self, id: usize, class: usize) {
        let size = MIN << class;
        loop {
            if self.add_idle(size) {
                self.listed[class].push_back((self.seq, id));
                self.seq += 1;
                return;
            }
            self.stats.evictions_lru += 1;
            let oldest = (0..CLASSES)
                .filter_map(|c| self.listed[c].front().map(|&(s, _)| (s, c)))
                .min();
            let Some((_, c)) = oldest else { return };
            self.listed[c].pop_front();
            self.idle_used -= MIN << c;
        }
    }

    fn reclaim(&mut self) {
        for c in 0..CLASSES {
            if let Some(id) = self.parked[c].take() {
                self.end_lease(id, MIN << c);
                self.out -= MIN << c;
                self.list(id, c);
            }
        }
    }

    /// Returns the id of the buffer handed out (fresh ids are `next`).
    fn acquire(&mut self, len: usize, cache: bool, next: usize) -> Result<usize, ()> {
        let class = Self::class(len).ok_or(())?;
        let size = MIN << class;
        if cache {
            if let Some(id) = self.parked[class].take() {
                self.stats.hits += 1;
                self.stats.thread_hits += 1;
                return Ok(id);
            }
        }
        if !self.add_out(size) {
            self.reclaim();
            if !self.add_out(size) {
                self.stats.refused += 1;
                return Err(());
            }
        }
        if let Some((_, id)) = self.listed[class].pop_back() {
            self.idle_used -= size;
            self.stats.hits += 1;
            return Ok(id);
        }
        self.stats.misses += 1;
        Ok(next)
    }

    fn release(&mut self, id: usize, class: usize, cache: bool) {
        let size = MIN << class;
        if cache && self.parked[class].is_none() {
            if self.leased_ids.contains(&id) {
                self.parked[class] = Some(id);
                return;
            }
            if self.add_idle(size) {
                self.leased += size;
                self.leased_ids.insert(id);
                self.parked[class] = Some(id);
                return;
            }
        }
        self.end_lease(id, size);
        self.out -= size;
        self.list(id, class);
    }

    fn trim(&mut self) {
        self.reclaim();
        for c in 0..CLASSES {
            self.stats.trimmed += self.listed[c].len() as u64;
            self.idle_used -= self.listed[c].len() * (MIN << c);
            self.listed[c].clear();
        }
    }

    fn parked_bytes(&self) -> usize {
        (0..CLASSES)
            .filter(|&c| self.parked[c].is_some())
            .map(|c| MIN << c)
            .sum()
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // Miri's isolation has no file system for the regression file.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Single-threaded runs against the model: the same hits, misses,
    /// evictions and byte totals, exactly; caps held; no buffer handed out
    /// twice; every buffer handed out is zero.
    #[test]
    fn matches_a_model(ops in proptest::collection::vec(op(), 0..80), cache in any::<bool>()) {
        let pool = BufferPool::new(
            Config::default()
                .min_size(MIN)
                .max_size(MIN << (CLASSES - 1))
                .max_idle_bytes(IDLE_CAP)
                .max_outstanding_bytes(OUT_CAP)
                .max_idle_time(None)
                .thread_cache(cache),
        );
        let mut model = Model {
            parked: vec![None; CLASSES],
            listed: vec![VecDeque::new(); CLASSES],
            ..Model::default()
        };
        // Buffers are named by model ids; the pool's are checked against
        // them by address while they are out.
        let mut held: Vec<(usize, PooledBuf<'_>)> = Vec::new();
        let mut addr_of: std::collections::HashMap<usize, usize> = Default::default();
        let mut next = 0;
        for op in ops {
            match op {
                Op::Acquire(len) => {
                    let want = model.acquire(len, cache, next);
                    let got = pool.try_acquire(len);
                    prop_assert_eq!(want.is_ok(), got.is_ok());
                    if let (Ok(id), Ok(mut b)) = (want, got) {
                        if id == next {
                            next += 1;
                            addr_of.insert(id, b.addr());
                        }
                        prop_assert_eq!(addr_of[&id], b.addr());
                        prop_assert!(b.is_empty());
                        prop_assert!(b.spare_mut().iter().all(|&x| x == 0));
                        held.push((id, b));
                    }
                }
                Op::Release(i) if !held.is_empty() => {
                    let (id, b) = held.swap_remove(i % held.len());
                    let class = Model::class(b.capacity()).unwrap();
                    drop(b);
                    model.release(id, class, cache);
                    // An evicted buffer's address may be reused: forget it.
                    let live: HashSet<usize> = model
                        .parked
                        .iter()
                        .flatten()
                        .copied()
                        .chain(model.listed.iter().flatten().map(|&(_, id)| id))
                        .chain(held.iter().map(|(id, _)| *id))
                        .collect();
                    addr_of.retain(|id, _| live.contains(id));
                }
                Op::Write(i, n) if !held.is_empty() => {
                    let k = i % held.len();
                    let b = &mut held[k].1;
                    let n = n.min(b.free());
                    b.extend_from_slice(&vec![0xcc; n]).unwrap();
                }
                Op::Trim => {
                    pool.trim();
                    model.trim();
                    let live: HashSet<usize> = held.iter().map(|(id, _)| *id).collect();
                    addr_of.retain(|id, _| live.contains(id));
                }
                _ => {}
            }
            let mut want = model.stats;
            let parked = model.parked_bytes();
            want.idle_bytes = model.idle_used - model.leased + parked;
            want.outstanding_bytes = model.out - parked;
            prop_assert_eq!(pool.stats(), want);
            prop_assert!(want.idle_bytes <= IDLE_CAP && want.outstanding_bytes <= OUT_CAP);
            let addrs: HashSet<usize> = held.iter().map(|(_, b)| b.addr()).collect();
            prop_assert_eq!(addrs.len(), held.len());
        }
        drop(held);
        prop_assert!(pool.idle_all_zero());
    }
}

/// A buffer parked in a thread's slot counts against the outstanding cap
/// until the pool needs the room: then it is reclaimed, not refused.
#[test]
fn parked_buffers_give_way_under_the_outstanding_cap() {
    let pool = BufferPool::new(Config::default().max_outstanding_bytes(1024));
    drop(pool.try_acquire(512).unwrap()); // parked, still counted as out
    let s = pool.stats();
    assert_eq!((s.outstanding_bytes, s.idle_bytes), (0, 512));
    let big = pool.try_acquire(1024).unwrap();
    let s = pool.stats();
    assert_eq!(
        (s.outstanding_bytes, s.idle_bytes, s.refused),
        (1024, 512, 0)
    );
    drop(big);
    // A waiter is woken when a buffer comes back, though the releasing
    // thread would park it.
    let held = pool.try_acquire(1024).unwrap();
    std::thread::scope(|scope| {
        let waits = pool.stats().waits;
        let waiter = scope.spawn(|| pool.acquire(1024).map(|b| b.capacity()));
        wait_for(|| pool.stats().waits > waits);
        drop(held);
        assert_eq!(waiter.join().unwrap(), Ok(1024));
    });
}

/// Writes of every length around the inline copy's and wipe's 8-, 16- and
/// 32-byte moves and their switch to `memcpy`/`memset` past 64 bytes land
/// whole and come back wiped (written in two halves, so the second copy
/// starts at an odd offset).
#[test]
fn short_and_long_writes_are_copied_and_wiped_whole() {
    let pool = BufferPool::new(Config::default().max_size(1024));
    for n in [
        0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 128, 300, 1024,
    ] {
        let src: Vec<u8> = (0..n).map(|i| u8::try_from(i % 251 + 1).unwrap()).collect();
        let mut b = pool.try_acquire(n.max(1)).unwrap();
        b.extend_from_slice(&src[..n / 2]).unwrap();
        b.extend_from_slice(&src[n / 2..]).unwrap();
        assert_eq!(&*b, &src[..]);
        assert_eq!(b.exposed(), n);
        drop(b);
        assert!(pool.idle_all_zero(), "{n} bytes");
    }
}

/// An owned guard holds one count of its pool, however often it is made
/// owned, and gives it back when dropped on another thread.
#[test]
fn owned_guards_hold_one_count_of_their_pool() {
    let pool = BufferPool::new(Config::default());
    let borrowed = pool.try_acquire(10).unwrap();
    assert_eq!(Arc::strong_count(&pool.inner), 1);
    let owned = borrowed.into_owned().into_owned();
    assert_eq!(Arc::strong_count(&pool.inner), 2);
    std::thread::spawn(move || drop(owned)).join().unwrap();
    assert_eq!(Arc::strong_count(&pool.inner), 1);
    let s = pool.stats();
    assert_eq!((s.outstanding_bytes, s.idle_bytes), (0, 64));
}

/// The branch-free class of a request agrees with rounding up to a power
/// of two for every smallest class, and a request past the largest class
/// (the fast path looks for its slot before the size check) is refused
/// without a panic, whether its class has a row slot or not.
#[test]
fn the_class_of_a_request_is_its_rounded_size() {
    for min in [1usize, 2, 64, 4096] {
        let pool = BufferPool::new(Config::default().min_size(min).max_size(1 << 20));
        // A parked buffer in every slot the requests below may look at.
        for class in 0..=(1usize << 20).trailing_zeros() {
            drop(pool.try_acquire(1 << class).unwrap());
        }
        for len in [
            0,
            1,
            2,
            3,
            min - 1,
            min,
            min + 1,
            1000,
            4095,
            4097,
            (1 << 20) - 1,
            1 << 20,
        ] {
            let want = len.max(min).next_power_of_two();
            assert_eq!(pool.size_class(len), Ok(want), "min {min}, len {len}");
            let b = pool.try_acquire(len).unwrap();
            assert_eq!(b.capacity(), want, "min {min}, len {len}");
        }
        for len in [
            (1 << 20) + 1,
            1 << 21,
            1 << 40,
            usize::MAX / 2 + 2,
            usize::MAX,
        ] {
            let refused = Error::TooLarge {
                requested: len,
                max: 1 << 20,
            };
            assert_eq!(pool.try_acquire(len).unwrap_err(), refused, "len {len}");
            assert_eq!(pool.acquire(len).unwrap_err(), refused, "len {len}");
        }
    }
}

/// Buffers under 64 bytes (which the drop wipes on its slow path, byte
/// for byte) are wiped, parked and taken again from the thread's slot.
#[test]
fn buffers_under_64_bytes_come_back_wiped() {
    let pool = BufferPool::new(Config::default().min_size(8).max_size(1024));
    for (len, write) in [(8, 8), (32, 20), (8, 3)] {
        let mut b = pool.try_acquire(len).unwrap();
        let addr = b.addr();
        b.extend_from_slice(&[0xa5; 32][..write]).unwrap();
        drop(b);
        assert!(pool.idle_all_zero(), "{len} bytes");
        let again = pool.try_acquire(len).unwrap();
        assert_eq!(again.addr(), addr, "{len} bytes");
    }
    let s = pool.stats();
    assert_eq!((s.hits, s.thread_hits, s.misses), (4, 4, 2));
}
