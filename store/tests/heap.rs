//! A large stream is read with little heap: a counting global allocator
//! records the peak of live heap bytes while a stream is read through; the
//! goal is under 2 MiB for a 256 MiB stream (2 MiB by default, 256 MiB with
//! `SECSTREAM_LONG=1`; the number goes to BENCHMARKS.md from a release run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use secstream_core::seal::MasterKey;
use secstream_store::{Options, Store};

#[path = "support/tmp.rs"]
mod tmp;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator with the same layout;
// the counters do not affect allocation.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn reading_a_large_stream_keeps_the_heap_small() {
    let mib: usize = if std::env::var_os("SECSTREAM_LONG").is_some() {
        256
    } else {
        2
    };
    let dir = tmp::tempdir();
    // The engine's page cache is heap too: a small one (it is a knob; the
    // reader itself holds two chunk buffers).
    let opts = Options::new().with_cache_size(1 << 20);
    let store =
        Store::open_with(dir.path().join("db"), MasterKey::from_bytes(&[1; 32]), opts).unwrap();
    let block: Vec<u8> = (0..1 << 20)
        .map(|i: u32| i.wrapping_mul(2_654_435_761).to_le_bytes()[2])
        .collect();
    {
        let mut w = store.put("big").unwrap();
        for _ in 0..mib {
            w.write_all(&block).unwrap();
        }
        w.commit().unwrap();
    }
    let mut buf = vec![0u8; 64 << 10];
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut r = store.get("big").unwrap();
    let mut total = 0usize;
    let mut at = 0usize;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        // The content is the block repeated (reads never cross a 64 KiB chunk,
        // which divides the block): check it as it streams by.
        let off = at % block.len();
        assert_eq!(buf[..n], block[off..off + n]);
        at += n;
        total += n;
    }
    drop(r);
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(total, mib << 20);
    eprintln!("read {mib} MiB with a peak of {peak} bytes of heap above the start");
    assert!(peak < 2 << 20, "peak heap while reading: {peak} bytes");
}
