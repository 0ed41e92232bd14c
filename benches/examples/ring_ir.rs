//! The byte-ring round trip of `benches/ring.rs` (write one chunk into a
//! 16 KiB ring, read it back into a buffer), without criterion: for
//! `valgrind --tool=callgrind` instruction counts of one implementation, and
//! for wall-clock comparisons that interleave all implementations in one
//! process, many short trials each, so that other jobs on a shared machine
//! slow them alike (the minimum and the first quartile of the trials are
//! then steady to a few percent, where criterion's medians move by 1.5x).
//!
//! ```text
//! cargo build --release -p secstream-benches --example ring_ir
//! # interleaved timing: chunk size, round trips per trial, trials
//! target/release/examples/ring_ir all 4096 2000 200
//! # one implementation, for callgrind: name, chunk size, round trips
//! valgrind --tool=callgrind target/release/examples/ring_ir ring-wipe 256 10000
//! ```
//!
//! Implementations: `limit` (two `copy_from_slice`), `limit-wipe` (the same
//! plus zeroing the middle buffer), `ring-wipe`, `ring`, `spsc-wipe`,
//! `spsc`, `localrb`, `heaprb`, `staticrb`, `bbqueue` (the peers of
//! `benches/ring.rs`, except heapless's byte-at-a-time queue).
#![allow(missing_docs)]

use std::hint::black_box;

use ringbuf::traits::{Consumer as _, Producer as _, Split as _, SplitRef as _};
use secstream_core::ring::Ring;
use secstream_core::spsc::SpscRing;

#[path = "../common/trials.rs"]
mod trials;
use trials::interleave;

const CAP: usize = 16 * 1024;

const NAMES: [&str; 10] = [
    "limit",
    "limit-wipe",
    "ring-wipe",
    "ring",
    "spsc-wipe",
    "spsc",
    "localrb",
    "heaprb",
    "staticrb",
    "bbqueue",
];

/// One implementation, set up once; `run` does `rounds` round trips.
type Runner = Box<dyn FnMut(usize)>;

fn runner(which: &str, size: usize) -> Runner {
    let input: Vec<u8> = (0..size).map(|i| i.to_le_bytes()[0]).collect();
    let mut out = vec![0u8; size];
    match which {
        "limit" | "limit-wipe" => {
            let wipe = which == "limit-wipe";
            let mut mid = vec![0u8; size];
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    mid.copy_from_slice(black_box(&input));
                    black_box(&mut mid);
                    out.copy_from_slice(&mid);
                    if wipe {
                        mid.fill(0);
                        black_box(&mut mid);
                    }
                    black_box(&mut out);
                }
            })
        }
        "ring-wipe" | "ring" => {
            let mut ring = Box::new(Ring::<CAP>::new());
            ring.set_wipe(which == "ring-wipe");
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    let n = ring.write(black_box(&input));
                    let m = ring.read(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                }
            })
        }
        "spsc-wipe" | "spsc" => {
            let ring: &'static mut SpscRing<CAP> = Box::leak(Box::new(if which == "spsc-wipe" {
                SpscRing::<CAP>::new()
            } else {
                SpscRing::<CAP>::new_unwiped()
            }));
            let (mut tx, mut rx) = ring.split();
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    let n = tx.write(black_box(&input));
                    let m = rx.read_into(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                }
            })
        }
        "localrb" => {
            let mut rb = ringbuf::LocalRb::<ringbuf::storage::Heap<u8>>::new(CAP);
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    let n = rb.push_slice(black_box(&input));
                    let m = rb.pop_slice(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                }
            })
        }
        "heaprb" => {
            let (mut tx, mut rx) = ringbuf::HeapRb::<u8>::new(CAP).split();
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    let n = tx.push_slice(black_box(&input));
                    let m = rx.pop_slice(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                }
            })
        }
        "staticrb" => {
            let rb: &'static mut ringbuf::StaticRb<u8, CAP> =
                Box::leak(Box::new(ringbuf::StaticRb::<u8, CAP>::default()));
            let (mut tx, mut rx) = rb.split_ref();
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    let n = tx.push_slice(black_box(&input));
                    let m = rx.pop_slice(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                }
            })
        }
        "bbqueue" => {
            let bb: &'static bbqueue::nicknames::Churrasco<CAP> =
                Box::leak(Box::new(bbqueue::nicknames::Churrasco::<CAP>::new()));
            let tx = bb.stream_producer();
            let rx = bb.stream_consumer();
            Box::new(move |rounds| {
                for _ in 0..rounds {
                    let mut w = tx.grant_exact(size).unwrap();
                    w.copy_from_slice(black_box(&input));
                    w.commit(size);
                    let mut got = 0;
                    while got < size {
                        let r = rx.read().unwrap();
                        let n = r.len().min(size - got);
                        out[got..got + n].copy_from_slice(&r[..n]);
                        r.release(n);
                        got += n;
                    }
                    black_box(&mut out);
                }
            })
        }
        other => panic!("unknown implementation {other}: one of {NAMES:?}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "all".into());
    let size: usize = args.next().map_or(256, |s| s.parse().expect("size"));
    let rounds: usize = args.next().map_or(10_000, |s| s.parse().expect("rounds"));
    if which != "all" {
        runner(&which, size)(rounds);
        return;
    }
    let trials: usize = args.next().map_or(100, |s| s.parse().expect("trials"));
    let mut runners: Vec<Runner> = NAMES.iter().map(|w| runner(w, size)).collect();
    interleave(
        &NAMES,
        &mut runners,
        rounds,
        trials,
        &format!("{size} B, {trials} trials of {rounds} round trips, ns per round trip:"),
    );
}
