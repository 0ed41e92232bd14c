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
use std::ops::{Deref, DerefMut};

use ringbuf::traits::{Consumer as _, Producer as _, Split as _, SplitRef as _};
use secstream_core::ring::Ring;
use secstream_core::spsc::SpscRing;

#[path = "../common/trials.rs"]
mod trials;
use trials::{interleave, trial_stats};

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

/// `len` bytes at byte `off` of a buffer of their own: the caller's input and
/// output buffers, placed differently in each placement.
struct Placed {
    buf: Vec<u8>,
    off: usize,
}

impl Placed {
    fn new(len: usize, off: usize) -> Self {
        let mut buf = vec![0u8; off + len];
        for (i, b) in buf[off..].iter_mut().enumerate() {
            *b = i.to_le_bytes()[0];
        }
        Self { buf, off }
    }
}

impl Deref for Placed {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.buf[self.off..]
    }
}

impl DerefMut for Placed {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.off..]
    }
}

/// The offsets of the input and output buffers in placement `place`: 16-byte
/// steps that spread over a page, so the buffers meet each ring's storage at
/// different distances modulo 4 KiB and at different alignments.
fn offsets(place: usize) -> (usize, usize) {
    ((place * 592) % 4096, (place * 1424 + 208) % 4096)
}

fn runner(which: &str, size: usize, place: usize) -> Runner {
    let (in_off, out_off) = offsets(place);
    let input = Placed::new(size, in_off);
    let mut out = Placed::new(size, out_off);
    match which {
        "limit" | "limit-wipe" => {
            let wipe = which == "limit-wipe";
            let mut mid = Placed::new(size, 0);
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
        runner(&which, size, 0)(rounds);
        return;
    }
    let trials: usize = args.next().map_or(100, |s| s.parse().expect("trials"));
    let places: usize = args.next().map_or(1, |s| s.parse().expect("placements"));
    if places <= 1 {
        let mut runners: Vec<Runner> = NAMES.iter().map(|w| runner(w, size, 0)).collect();
        interleave(
            &NAMES,
            &mut runners,
            rounds,
            trials,
            &format!("{size} B, {trials} trials of {rounds} round trips, ns per round trip:"),
        );
        return;
    }
    // Each placement builds every implementation afresh after a pad of its
    // own size (the earlier ones stay allocated, so each ring's storage lands
    // elsewhere too), and with the input and output at other offsets.
    let mut kept: Vec<(Vec<u8>, Vec<Runner>)> = Vec::with_capacity(places);
    let mut p25s: Vec<Vec<f64>> = vec![Vec::with_capacity(places); NAMES.len()];
    for place in 0..places {
        let pad = vec![1u8; 16 + 48 * place];
        let mut runners: Vec<Runner> = NAMES.iter().map(|w| runner(w, size, place)).collect();
        let stats = trial_stats(&mut runners, rounds, trials);
        for (all, [_, p25, _]) in p25s.iter_mut().zip(stats) {
            all.push(p25);
        }
        kept.push((pad, runners));
    }
    println!(
        "{size} B, {places} placements of {trials} trials of {rounds} round trips; \
         first quartile of each placement's trials, ns per round trip:"
    );
    let width = NAMES.iter().map(|n| n.len()).max().unwrap_or(0) + 1;
    println!("{:width$} {:>8} {:>8} {:>8}", "", "median", "best", "worst");
    for (name, all) in NAMES.iter().zip(&mut p25s) {
        all.sort_by(f64::total_cmp);
        let median = all[all.len() / 2];
        println!(
            "{name:width$} {median:8.1} {:8.1} {:8.1}",
            all[0],
            all[all.len() - 1]
        );
    }
}
