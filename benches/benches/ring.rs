//! Byte-ring throughput: write one chunk, read it back, on a 16 KiB ring.
//!
//! Peers in the same group: `ringbuf` (`LocalRb`, and the thread-safe
//! `HeapRb` / `StaticRb` halves, `push_slice` / `pop_slice`), `bbqueue`
//! (grant, copy, commit; read, copy, release), `heapless::spsc::Queue` (no
//! slice API: one `enqueue` / `dequeue` per byte), and the limit: the same
//! bytes copied twice with `copy_from_slice`, and the limit with a wipe
//! (the same, plus zeroing the middle buffer). Ours run with the wipe of
//! consumed bytes on and off.
//!
//! Run: `cargo bench -p secstream-benches --bench ring`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ringbuf::traits::{Consumer as _, Producer as _, Split as _, SplitRef as _};
use secstream_core::ring::Ring;
use secstream_core::spsc::SpscRing;

/// Ring capacity in bytes.
const CAP: usize = 16 * 1024;
/// heapless keeps one slot empty: its `N` is the capacity plus one.
const HEAPLESS_N: usize = CAP + 1;
/// Chunk sizes written and read per iteration.
const CHUNKS: [usize; 3] = [16, 256, 4096];

fn ring_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring write+read");
    for size in CHUNKS {
        let input: Vec<u8> = (0..size).map(|i| i.to_le_bytes()[0]).collect();
        let mut out = vec![0u8; size];
        group.throughput(Throughput::Bytes(u64::try_from(size).unwrap()));

        let mut mid = vec![0u8; size];
        group.bench_function(BenchmarkId::new("copy_from_slice x2 (limit)", size), |b| {
            b.iter(|| {
                mid.copy_from_slice(black_box(&input));
                black_box(&mut mid);
                out.copy_from_slice(&mid);
                black_box(&mut out);
            });
        });

        // The limit for a ring that wipes: the same two copies and one more
        // pass that zeroes the source of the second (no peer wipes).
        group.bench_function(
            BenchmarkId::new("copy_from_slice x2 + zero (limit with wipe)", size),
            |b| {
                b.iter(|| {
                    mid.copy_from_slice(black_box(&input));
                    black_box(&mut mid);
                    out.copy_from_slice(&mid);
                    mid.fill(0);
                    black_box(&mut mid);
                    black_box(&mut out);
                });
            },
        );

        for (name, wipe) in [
            ("secstream Ring wipe", true),
            ("secstream Ring no-wipe", false),
        ] {
            let mut ring = Box::new(Ring::<CAP>::new());
            ring.set_wipe(wipe);
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter(|| {
                    let n = ring.write(black_box(&input));
                    let m = ring.read(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                });
            });
        }

        for (name, wipe) in [
            ("secstream SpscRing wipe", true),
            ("secstream SpscRing no-wipe", false),
        ] {
            let mut ring = Box::new(if wipe {
                SpscRing::<CAP>::new()
            } else {
                SpscRing::<CAP>::new_unwiped()
            });
            let (mut tx, mut rx) = ring.split();
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter(|| {
                    let n = tx.write(black_box(&input));
                    let m = rx.read_into(&mut out);
                    assert_eq!((n, m), (size, size));
                    black_box(&mut out);
                });
            });
        }

        let mut rb = ringbuf::LocalRb::<ringbuf::storage::Heap<u8>>::new(CAP);
        group.bench_function(BenchmarkId::new("ringbuf LocalRb", size), |b| {
            b.iter(|| {
                let n = rb.push_slice(black_box(&input));
                let m = rb.pop_slice(&mut out);
                assert_eq!((n, m), (size, size));
                black_box(&mut out);
            });
        });

        let (mut tx, mut rx) = ringbuf::HeapRb::<u8>::new(CAP).split();
        group.bench_function(BenchmarkId::new("ringbuf HeapRb", size), |b| {
            b.iter(|| {
                let n = tx.push_slice(black_box(&input));
                let m = rx.pop_slice(&mut out);
                assert_eq!((n, m), (size, size));
                black_box(&mut out);
            });
        });

        let mut rb = Box::new(ringbuf::StaticRb::<u8, CAP>::default());
        let (mut tx, mut rx) = rb.split_ref();
        group.bench_function(BenchmarkId::new("ringbuf StaticRb", size), |b| {
            b.iter(|| {
                let n = tx.push_slice(black_box(&input));
                let m = rx.pop_slice(&mut out);
                assert_eq!((n, m), (size, size));
                black_box(&mut out);
            });
        });

        let bb = Box::new(bbqueue::nicknames::Churrasco::<CAP>::new());
        let tx = bb.stream_producer();
        let rx = bb.stream_consumer();
        group.bench_function(BenchmarkId::new("bbqueue", size), |b| {
            b.iter(|| {
                let mut w = tx.grant_exact(size).unwrap();
                w.copy_from_slice(black_box(&input));
                w.commit(size);
                // A bip buffer may hand the bytes back in two reads.
                let mut got = 0;
                while got < size {
                    let r = rx.read().unwrap();
                    let n = r.len().min(size - got);
                    out[got..got + n].copy_from_slice(&r[..n]);
                    r.release(n);
                    got += n;
                }
                black_box(&mut out);
            });
        });

        let mut q = Box::new(heapless::spsc::Queue::<u8, HEAPLESS_N>::new());
        let (mut tx, mut rx) = q.split();
        group.bench_function(
            BenchmarkId::new("heapless spsc::Queue (per byte)", size),
            |b| {
                b.iter(|| {
                    for &byte in black_box(&input) {
                        tx.enqueue(byte).unwrap();
                    }
                    for o in &mut out {
                        *o = rx.dequeue().unwrap();
                    }
                    black_box(&mut out);
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, ring_throughput);
criterion_main!(benches);
