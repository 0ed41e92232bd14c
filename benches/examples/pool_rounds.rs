//! The loop of `benches/pool.rs`'s `pool_8k_write_64` for instruction
//! counts: `valgrind --tool=callgrind` is steady where criterion's times
//! move with the load of a shared machine.
//!
//! `pool_rounds <ours|ours_owned|lockfree> <rounds>` runs `rounds` rounds of
//! take an 8 KiB buffer, write 64 bytes, give it back wiped. Instructions
//! per round: run two round counts and divide the difference of the totals
//! by the difference of the rounds (see BENCHMARKS.md).
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use secstream::pool::{BufferPool, Config};
use zeroize::Zeroize;

const SIZE: usize = 8192;
const WRITE: [u8; 64] = [0xa5; 64];

fn payload() -> &'static [u8] {
    black_box(&WRITE[..])
}

#[inline(never)]
fn ours(pool: &BufferPool) {
    let mut b = pool.try_acquire(SIZE).expect("no cap");
    b.extend_from_slice(payload()).expect("room");
    black_box(&b);
}

#[inline(never)]
fn lockfree(pool: &lockfree_object_pool::LinearObjectPool<Vec<u8>>) {
    let mut v = pool.pull();
    v.extend_from_slice(payload());
    black_box(&*v);
}

fn lockfree_pool() -> lockfree_object_pool::LinearObjectPool<Vec<u8>> {
    lockfree_object_pool::LinearObjectPool::<Vec<u8>>::new(
        || Vec::with_capacity(SIZE),
        |v| {
            v.as_mut_slice().zeroize();
            v.clear();
        },
    )
}

/// Nanoseconds per round of `batch` rounds of `f`.
fn time(batch: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..batch {
        f();
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(batch)
}

fn race(batches: usize) {
    const BATCH: u32 = 100_000;
    let pool = BufferPool::new(Config::default());
    let peer = lockfree_pool();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..batches.max(1) {
        a.push(time(BATCH, || ours(black_box(&pool))));
        b.push(time(BATCH, || lockfree(black_box(&peer))));
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0])
    };
    let ((am, amin), (bm, bmin)) = (stats(&mut a), stats(&mut b));
    println!(
        "ours {am:.2} ns (fastest {amin:.2}), lockfree-object-pool {bm:.2} ns (fastest {bmin:.2}): \
         ratio of medians {:.2}, of fastest {:.2}",
        bm / am,
        bmin / amin
    );
}

/// Seconds for `threads` threads to run `rounds` rounds each on `pool`.
fn on_threads(pool: &BufferPool, threads: usize, rounds: u32) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..rounds {
                    ours(black_box(pool));
                }
            });
        }
    });
    start.elapsed().as_secs_f64()
}

fn threads(batches: usize) {
    const ROUNDS: u32 = 1_000_000;
    let pool = BufferPool::new(Config::default());
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..batches.max(1) {
        one.push(on_threads(&pool, 1, ROUNDS));
        two.push(on_threads(&pool, 2, ROUNDS));
    }
    one.sort_by(f64::total_cmp);
    two.sort_by(f64::total_cmp);
    let ns = |t: f64| t * 1e9 / f64::from(ROUNDS);
    println!(
        "one thread {:.2} ns per round (fastest {:.2}), two threads {:.2} ns per round each \
         (fastest {:.2}): two move {:.2}x the rounds of one (medians), {:.2}x (fastest)",
        ns(one[one.len() / 2]),
        ns(one[0]),
        ns(two[two.len() / 2]),
        ns(two[0]),
        2.0 * one[one.len() / 2] / two[two.len() / 2],
        2.0 * one[0] / two[0]
    );
}

/// The control for `threads`: the same batches with a pool per thread, so
/// nothing is shared; tells the machine's scaling from the pool's.
fn control(batches: usize) {
    const ROUNDS: u32 = 1_000_000;
    let run = |threads: usize| {
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let pool = BufferPool::new(Config::default());
                    for _ in 0..ROUNDS {
                        ours(black_box(&pool));
                    }
                });
            }
        });
        start.elapsed().as_secs_f64()
    };
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for _ in 0..batches.max(1) {
        one.push(run(1));
        two.push(run(2));
    }
    one.sort_by(f64::total_cmp);
    two.sort_by(f64::total_cmp);
    println!(
        "a pool per thread: two move {:.2}x the rounds of one (medians), {:.2}x (fastest)",
        2.0 * one[one.len() / 2] / two[two.len() / 2],
        2.0 * one[0] / two[0]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "ours".into());
    let rounds: u64 = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    match which.as_str() {
        "ours" => {
            let pool = BufferPool::new(Config::default());
            for _ in 0..rounds {
                ours(black_box(&pool));
            }
        }
        "lockfree" => {
            let pool = lockfree_pool();
            for _ in 0..rounds {
                lockfree(black_box(&pool));
            }
        }
        "race" => race(usize::try_from(rounds).unwrap_or(usize::MAX)),
        "threads" => threads(usize::try_from(rounds).unwrap_or(usize::MAX)),
        "control" => control(usize::try_from(rounds).unwrap_or(usize::MAX)),
        other => {
            eprintln!("unknown mode {other}: ours, lockfree or race");
            std::process::exit(2);
        }
    }
}
