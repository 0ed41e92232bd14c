//! The secure Stream: round trips at the chunk edges, spilling past the memory
//! budget, many threads at once, and tampered spilled pages.
//!
//! Everything here uses guarded memory (mmap/mlock FFI), so nothing runs
//! under Miri.
#![cfg(not(miri))]

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use proptest::collection::vec;
use proptest::prelude::*;
use secstream::secret::Secret;
use secstream::stream::spill::PAGE_OVERHEAD;
use secstream::stream::{Error, PageStore, Stream};

/// splitmix64: a fixed-seed generator for test data and schedules.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next().to_le_bytes()[0]).collect()
    }
}

fn chunk() -> usize {
    4 * secstream::secret_memory::page_size()
}

fn sizes() -> Vec<usize> {
    let c = chunk();
    vec![0, 1, c - 1, c, c + 1, 7 * c + 123]
}

fn concat(secrets: impl IntoIterator<Item = Secret>) -> Vec<u8> {
    let mut out = Vec::new();
    for s in secrets {
        s.with_bytes(|b| out.extend_from_slice(b)).unwrap();
    }
    out
}

#[test]
fn chunk_is_four_pages() {
    let s = Stream::new().unwrap();
    assert_eq!(s.chunk_size(), chunk());
}

#[test]
fn round_trip_write_all_read_to_end() {
    for n in sizes() {
        let data = Rng(n as u64).bytes(n);
        let mut s = Stream::new().unwrap();
        s.write_all(&data).unwrap();
        assert_eq!(s.size(), n as u64, "size without decryption");
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, data, "size {n}");
        assert_eq!(s.size(), 0);
    }
}

#[test]
fn round_trip_small_pieces() {
    for n in sizes() {
        let data = Rng(n as u64 + 1).bytes(n);
        let mut s = Stream::new().unwrap();
        for piece in data.chunks(1000) {
            s.write_all(piece).unwrap();
        }
        let mut out = Vec::new();
        let mut buf = [0u8; 777];
        loop {
            let k = s.read(&mut buf).unwrap();
            if k == 0 {
                break;
            }
            out.extend_from_slice(&buf[..k]);
        }
        assert_eq!(out, data, "size {n}");
    }
}

#[test]
fn round_trip_next_chunks() {
    for n in sizes() {
        let data = Rng(n as u64 + 2).bytes(n);
        let mut s = Stream::new().unwrap();
        s.write_all(&data).unwrap();
        let secrets: Vec<Secret> = Iterator::by_ref(&mut s).collect::<Result<_, _>>().unwrap();
        assert_eq!(
            secrets.len(),
            n.div_ceil(chunk()),
            "one secret per chunk, size {n}"
        );
        assert!(secrets.iter().all(|x| x.len() <= chunk()));
        assert_eq!(concat(secrets), data, "size {n}");
        assert!(s.next().is_none());
    }
}

#[test]
fn round_trip_take_all() {
    for n in sizes() {
        let data = Rng(n as u64 + 3).bytes(n);
        let s = Stream::new().unwrap();
        s.write_bytes(&data).unwrap();
        let all = s.take_all().unwrap();
        assert_eq!(all.len(), n);
        assert_eq!(concat([all]), data, "size {n}");
        assert!(s.is_empty());
    }
}

#[test]
fn next_after_partial_read_returns_the_rest() {
    let s = Stream::new().unwrap();
    let data = Rng(9).bytes(chunk() + 10);
    s.write_bytes(&data).unwrap();
    let mut head = [0u8; 5];
    s.read_bytes(&mut head).unwrap();
    let rest: Vec<Secret> = s.clone().collect::<Result<_, _>>().unwrap();
    assert_eq!(rest[0].len(), chunk() - 5);
    let mut got = head.to_vec();
    got.extend(concat(rest));
    assert_eq!(got, data);
}

#[test]
fn spills_past_the_budget_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let c = chunk();
    let budget = 2 * (c + 40);
    for n in [3 * c, 20 * c + 5] {
        let data = Rng(n as u64 + 4).bytes(n);
        let mut s = Stream::builder()
            .memory_budget(budget)
            .spill_dir(dir.path())
            .build()
            .unwrap();
        s.write_all(&data).unwrap();
        assert!(s.spilled_chunks() >= 1, "spilled past the budget");
        assert_eq!(s.size(), n as u64);
        // The spill file has no name in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(s.spilled_chunks(), 0, "pages freed once read");
    }
}

#[test]
fn spill_pages_are_reused() {
    let store = MemStore::default();
    let pages = store.pages.clone();
    let s = Stream::builder()
        .memory_budget(0)
        .page_store(Box::new(store))
        .build()
        .unwrap();
    let c = chunk();
    let mut out = vec![0u8; 3 * c];
    for round in 0..10u8 {
        s.write_bytes(&vec![round; 3 * c]).unwrap();
        s.read_bytes(&mut out).unwrap();
        assert!(out.iter().all(|&b| b == round));
    }
    assert_eq!(
        pages.lock().unwrap().len(),
        3,
        "three pages, reused each round"
    );
}

#[test]
fn budget_exceeded_without_spill_is_an_error() {
    let s = Stream::builder()
        .memory_budget(chunk() + 40)
        .no_spill()
        .build()
        .unwrap();
    s.write_bytes(&vec![1; chunk()]).unwrap();
    assert_eq!(s.write_bytes(&vec![2; chunk()]), Err(Error::BudgetExceeded));
}

#[derive(Debug, Clone)]
enum Op {
    Write(usize, u64),
    Read(usize),
    Next,
    Flush,
}

fn op(c: usize) -> impl Strategy<Value = Op> {
    let len = prop_oneof![
        Just(0),
        Just(1),
        Just(c - 1),
        Just(c),
        Just(c + 1),
        0..3 * c + 8
    ];
    prop_oneof![
        3 => (len.clone(), any::<u64>()).prop_map(|(n, seed)| Op::Write(n, seed)),
        2 => len.prop_map(Op::Read),
        1 => Just(Op::Next),
        1 => Just(Op::Flush),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any interleaving of writes, reads, `next` and flushes matches a
    /// `VecDeque`, with and without spilling.
    #[test]
    fn stream_matches_a_vecdeque(budget_chunks in 0usize..4, ops in vec(op(chunk()), 1..40)) {
        let c = chunk();
        let s = Stream::builder()
            .memory_budget(budget_chunks * (c + 40))
            .page_store(Box::new(MemStore::default()))
            .build()
            .unwrap();
        let mut model: VecDeque<u8> = VecDeque::new();
        for op in ops {
            match op {
                Op::Write(n, seed) => {
                    let data = Rng(seed).bytes(n);
                    s.write_bytes(&data).unwrap();
                    model.extend(&data);
                }
                Op::Read(n) => {
                    let mut buf = vec![0u8; n];
                    let k = s.read_bytes(&mut buf).unwrap();
                    prop_assert_eq!(k, n.min(model.len()));
                    let expect: Vec<u8> = model.drain(..k).collect();
                    prop_assert_eq!(&buf[..k], &expect[..]);
                }
                Op::Next => match s.next_secret().unwrap() {
                    Some(secret) => {
                        prop_assert!(secret.len() <= c && secret.len() <= model.len());
                        let expect: Vec<u8> = model.drain(..secret.len()).collect();
                        prop_assert!(!expect.is_empty());
                        prop_assert_eq!(concat([secret]), expect);
                    }
                    None => prop_assert!(model.is_empty()),
                },
                Op::Flush => s.seal_pending().unwrap(),
            }
            prop_assert_eq!(s.size(), model.len() as u64);
        }
        let rest: Vec<u8> = model.drain(..).collect();
        prop_assert_eq!(concat([s.take_all().unwrap()]), rest);
    }
}

const RECORD: usize = 64;

fn record(writer: u32, seq: u32) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[..4].copy_from_slice(&writer.to_le_bytes());
    r[4..8].copy_from_slice(&seq.to_le_bytes());
    let mut rng = Rng(u64::from(writer) << 32 | u64::from(seq));
    for b in &mut r[8..] {
        *b = rng.next().to_le_bytes()[0];
    }
    r
}

/// 4 writers and 4 readers on clones of one stream (spilling), fixed seed:
/// every record comes out exactly once, intact, and each writer's records in
/// order. Writes are whole records and the chunk size is a multiple of the
/// record size, so every read returns whole records.
#[test]
fn eight_threads_lose_nothing() {
    const WRITERS: u32 = 4;
    const READERS: usize = 4;
    const PER_WRITER: u32 = 3000;
    assert_eq!(chunk() % RECORD, 0);
    let stream = Stream::builder()
        .memory_budget(8 * (chunk() + 40))
        .page_store(Box::new(MemStore::default()))
        .build()
        .unwrap();
    let total = WRITERS as usize * PER_WRITER as usize;
    let taken = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for w in 0..WRITERS {
        let s = stream.clone();
        handles.push(std::thread::spawn(move || {
            let mut rng = Rng(0x5EED ^ u64::from(w));
            let mut seq = 0;
            while seq < PER_WRITER {
                let n = u32::try_from(1 + rng.below(300))
                    .unwrap()
                    .min(PER_WRITER - seq);
                let mut buf = Vec::with_capacity(n as usize * RECORD);
                for i in 0..n {
                    buf.extend_from_slice(&record(w, seq + i));
                }
                let mut h = &s;
                assert_eq!(
                    h.write(&buf).unwrap(),
                    buf.len(),
                    "writes are never partial"
                );
                seq += n;
                if rng.below(10) == 0 {
                    h.flush().unwrap();
                }
            }
            Vec::new()
        }));
    }
    for r in 0..READERS {
        let s = stream.clone();
        let taken = taken.clone();
        handles.push(std::thread::spawn(move || {
            let mut rng = Rng(0xBEEF ^ r as u64);
            let mut seen = Vec::new();
            let mut buf = vec![0u8; 64 * RECORD];
            while taken.load(Ordering::SeqCst) < total {
                let want = (1 + rng.below(64)) * RECORD;
                let k = s.read_bytes(&mut buf[..want]).unwrap();
                if k == 0 {
                    std::thread::yield_now();
                    continue;
                }
                assert_eq!(k % RECORD, 0, "whole records");
                for rec in buf[..k].chunks_exact(RECORD) {
                    let w = u32::from_le_bytes(rec[..4].try_into().unwrap());
                    let seq = u32::from_le_bytes(rec[4..8].try_into().unwrap());
                    assert_eq!(rec, record(w, seq), "record intact");
                    seen.push((w, seq));
                }
                taken.fetch_add(k / RECORD, Ordering::SeqCst);
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        let seen = h.join().unwrap();
        let mut last: HashMap<u32, u32> = HashMap::new();
        for &(w, seq) in &seen {
            if let Some(prev) = last.insert(w, seq) {
                assert!(seq > prev, "writer {w} out of order in one reader");
            }
        }
        all.extend(seen);
    }
    all.sort_unstable();
    let expect: Vec<(u32, u32)> = (0..WRITERS)
        .flat_map(|w| (0..PER_WRITER).map(move |s| (w, s)))
        .collect();
    assert_eq!(all.len(), expect.len(), "nothing lost or duplicated");
    assert_eq!(all, expect);
    assert_eq!(stream.size(), 0);
}

/// Pages in memory, shared with the test so it can tamper with them.
#[derive(Default)]
struct MemStore {
    pages: Arc<Mutex<HashMap<u64, Vec<u8>>>>,
}

impl PageStore for MemStore {
    fn read_page(&mut self, index: u64, page: &mut [u8]) -> io::Result<()> {
        let pages = self.pages.lock().unwrap();
        let stored = pages.get(&index).ok_or(io::ErrorKind::UnexpectedEof)?;
        page.copy_from_slice(stored);
        Ok(())
    }

    fn write_page(&mut self, index: u64, page: &[u8]) -> io::Result<()> {
        self.pages.lock().unwrap().insert(index, page.to_vec());
        Ok(())
    }
}

fn fix_crc(page: &mut [u8]) {
    let at = page.len() - 4;
    let crc = secstream::checksum::crc32c(&page[..at]);
    page[at..].copy_from_slice(&crc.to_le_bytes());
}

/// Writes five spilled chunks, lets `tamper` change the stored pages, and
/// returns what reading gives: the bytes that came out and the error.
fn read_tampered(tamper: impl FnOnce(&mut HashMap<u64, Vec<u8>>)) -> (Vec<u8>, Vec<u8>, Error) {
    let store = MemStore::default();
    let pages = store.pages.clone();
    let s = Stream::builder()
        .memory_budget(0)
        .page_store(Box::new(store))
        .build()
        .unwrap();
    let data = Rng(77).bytes(5 * chunk());
    s.write_bytes(&data).unwrap();
    assert_eq!(s.spilled_chunks(), 5);
    {
        let mut pages = pages.lock().unwrap();
        assert!(pages.values().all(|p| p.len() == chunk() + PAGE_OVERHEAD));
        tamper(&mut pages);
    }
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk() / 2];
    let err = loop {
        match s.read_bytes(&mut buf) {
            Ok(0) => panic!("tampering went unnoticed"),
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e) => break e,
        }
    };
    // Poisoned: the same error from then on, also for `next` and `take_all`.
    assert_eq!(s.read_bytes(&mut buf), Err(err));
    assert_eq!(s.next_secret().unwrap_err(), err);
    assert_eq!(s.take_all().unwrap_err(), err);
    (data, out, err)
}

#[test]
fn tampered_spilled_page_fails_its_checksum() {
    let (data, out, err) = read_tampered(|pages| {
        pages.get_mut(&2).unwrap()[100] ^= 0x40;
    });
    assert_eq!(err, Error::SpillChecksum { page: 2 });
    assert_eq!(out, data[..2 * chunk()], "only the intact chunks before it");
}

#[test]
fn forged_spilled_page_fails_authentication() {
    let (data, out, err) = read_tampered(|pages| {
        let p = pages.get_mut(&1).unwrap();
        p[100] ^= 0x40;
        fix_crc(p);
    });
    assert_eq!(err, Error::SpillTampered { page: 1 });
    assert_eq!(out, data[..chunk()]);
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidData);
}

#[test]
fn swapped_spilled_pages_fail_authentication() {
    let (data, out, err) = read_tampered(|pages| {
        let a = pages.remove(&0).unwrap();
        let b = pages.remove(&3).unwrap();
        pages.insert(0, b);
        pages.insert(3, a);
    });
    assert_eq!(err, Error::SpillTampered { page: 0 });
    assert!(out.is_empty(), "{} bytes of {}", out.len(), data.len());
}

#[test]
fn stale_spilled_page_fails_authentication() {
    // Page 0 is written, read (freed), then reused: replaying its old content
    // must fail.
    let store = MemStore::default();
    let pages = store.pages.clone();
    let s = Stream::builder()
        .memory_budget(0)
        .page_store(Box::new(store))
        .build()
        .unwrap();
    s.write_bytes(&vec![1; chunk()]).unwrap();
    let old = pages.lock().unwrap()[&0].clone();
    let mut buf = vec![0u8; chunk()];
    s.read_bytes(&mut buf).unwrap();
    s.write_bytes(&vec![2; chunk()]).unwrap();
    pages.lock().unwrap().insert(0, old);
    assert_eq!(
        s.read_bytes(&mut buf),
        Err(Error::SpillTampered { page: 0 })
    );
}

#[test]
fn lost_spilled_page_is_an_io_error() {
    let (_, _, err) = read_tampered(|pages| {
        pages.remove(&4);
    });
    assert_eq!(err, Error::Io(io::ErrorKind::UnexpectedEof));
}

#[test]
fn stream_handle_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Stream>();
}

#[test]
fn errors_display_lowercase_without_period() {
    let errs = [
        Error::BudgetExceeded,
        Error::Poisoned,
        Error::TooLarge,
        Error::SpillChecksum { page: 3 },
        Error::SpillTampered { page: 3 },
        Error::Io(io::ErrorKind::UnexpectedEof),
    ];
    for e in errs {
        let s = e.to_string();
        assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
        assert!(!s.ends_with('.'), "{s}");
    }
}
