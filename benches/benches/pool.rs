//! Buffer pools against what users would pick instead (issue 11).
//!
//! - `pool_8k_write_64`: take an 8 KiB buffer, write 64 bytes, give it back,
//!   wiping what was written. Ours: the host `BufferPool` (with and without
//!   its per-thread slots) and the core's static `Pool`. Peers: secbuf 0.1.8
//!   `BufferPool` and `FastBufferPool` (both wipe all 8 KiB on return, their
//!   only mode), `lockfree-object-pool` (its reset closure wipes the written
//!   bytes), `object-pool`, `sharded-slab`, heapless `box_pool` and
//!   `atomic-pool` (the same 64-byte wipe in the loop), and `vec![0; n]` +
//!   zeroize.
//! - `pool_threads`: the same loop on one thread and on two at once, to see
//!   how the host pool scales.
//! - `region_acquire`: a 32-byte guarded, locked region taken, written and
//!   given back: `RegionPool` (no-access pages between uses, and `open`
//!   pages) against a fresh `GuardedRegion` each time (both kinds).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use secstream::pool::{BufferPool, Config, RegionPool};
use secstream::secret_memory::{Access, GuardedRegion, default_lock_policy};
use secstream_core::pool::Pool;
use zeroize::Zeroize;

const SIZE: usize = 8192;
const WRITE: [u8; 64] = [0xa5; 64];

heapless::box_pool!(HeaplessPool: [u8; SIZE]);
// The macro's storage size is `(n + 31) / 32`, which clippy flags.
#[allow(clippy::manual_div_ceil)]
mod atomic {
    atomic_pool::pool!(pub AtomicPool: [[u8; super::SIZE]; 4]);
}
use atomic::AtomicPool;

/// The 64 bytes to write, as a slice whose length the optimiser cannot see
/// (as in real use): every side does a copy of a run-time length.
fn payload() -> &'static [u8] {
    black_box(&WRITE[..])
}

fn ours(pool: &BufferPool) {
    let mut b = pool.try_acquire(SIZE).expect("no cap");
    b.extend_from_slice(payload()).expect("room");
    black_box(&b);
}

fn pool_8k_write_64(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_8k_write_64");

    let pool = BufferPool::new(Config::default());
    g.bench_function("secstream_BufferPool", |b| b.iter(|| ours(&pool)));

    let locked = BufferPool::new(Config::default().thread_cache(false));
    g.bench_function("secstream_BufferPool_no_thread_slots", |b| {
        b.iter(|| ours(&locked));
    });

    static CORE: Pool<SIZE, 4> = Pool::new();
    g.bench_function("secstream_core_Pool", |b| {
        b.iter(|| {
            let mut buf = CORE.try_acquire().expect("free slot");
            buf.put_raw(payload()).expect("room");
            black_box(&buf);
        });
    });

    let config = secbuf::prelude::PoolConfig {
        buffer_size: SIZE,
        max_pool_size: 16,
        min_pool_size: 4,
    };
    let sb = secbuf::prelude::BufferPool::new(config.clone());
    g.bench_function("secbuf_BufferPool", |b| {
        b.iter(|| {
            let mut buf = sb.acquire();
            buf.put_bytes(payload()).expect("room");
            black_box(&buf);
        });
    });
    let fast = secbuf::prelude::FastBufferPool::new(config);
    g.bench_function("secbuf_FastBufferPool", |b| {
        b.iter(|| {
            let mut buf = fast.acquire();
            buf.put_bytes(payload()).expect("room");
            black_box(&buf);
        });
    });

    let linear = lockfree_object_pool::LinearObjectPool::<Vec<u8>>::new(
        || Vec::with_capacity(SIZE),
        |v| {
            v.as_mut_slice().zeroize();
            v.clear();
        },
    );
    g.bench_function("lockfree_object_pool_Linear", |b| {
        b.iter(|| {
            let mut v = linear.pull();
            v.extend_from_slice(payload());
            black_box(&*v);
        });
    });

    let op = object_pool::Pool::<Vec<u8>>::new(4, || Vec::with_capacity(SIZE));
    g.bench_function("object_pool", |b| {
        b.iter(|| {
            let mut v = op.pull(|| Vec::with_capacity(SIZE));
            v.extend_from_slice(payload());
            black_box(&*v);
            v.as_mut_slice().zeroize();
            v.clear();
        });
    });

    let slab = sharded_slab::Pool::<Vec<u8>>::new();
    g.bench_function("sharded_slab_Pool", |b| {
        b.iter(|| {
            let key = slab
                .create_with(|v| {
                    v.reserve(SIZE);
                    v.extend_from_slice(payload());
                    black_box(&*v);
                    v.as_mut_slice().zeroize();
                })
                .expect("slab room");
            slab.clear(key);
        });
    });

    for _ in 0..4 {
        HeaplessPool.manage(Box::leak(Box::new(heapless::pool::boxed::BoxBlock::new())));
    }
    g.bench_function("heapless_box_pool", |b| {
        b.iter(|| {
            let mut buf = HeaplessPool.alloc([0; SIZE]).expect("free block");
            let data = payload();
            buf[..data.len()].copy_from_slice(data);
            black_box(&*buf);
            buf[..data.len()].zeroize();
        });
    });

    g.bench_function("atomic_pool", |b| {
        b.iter(|| {
            let mut buf = atomic_pool::Box::<AtomicPool>::new([0; SIZE]).expect("free slot");
            let data = payload();
            buf[..data.len()].copy_from_slice(data);
            black_box(&*buf);
            buf[..data.len()].zeroize();
        });
    });

    g.bench_function("vec_zeroed_then_zeroize", |b| {
        b.iter(|| {
            let mut v = vec![0u8; SIZE];
            let data = payload();
            v[..data.len()].copy_from_slice(data);
            black_box(&v);
            v[..data.len()].zeroize();
        });
    });
    g.finish();
}

/// `iters` rounds on each of `threads` threads; the time until all finish.
fn run_threads(pool: &BufferPool, threads: usize, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iters {
                    ours(pool);
                }
            });
        }
    });
    start.elapsed()
}

fn pool_threads(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_threads");
    let pool = BufferPool::new(Config::default());
    for threads in [1usize, 2] {
        // Time per round on each thread: equal times mean perfect scaling.
        g.bench_with_input(
            BenchmarkId::new("secstream_BufferPool", threads),
            &threads,
            |b, &threads| b.iter_custom(|iters| run_threads(&pool, threads, iters)),
        );
    }
    g.finish();
}

fn region_acquire(c: &mut Criterion) {
    let mut g = c.benchmark_group("region_acquire");
    let pool = RegionPool::new(32, 4);
    g.bench_function("secstream_RegionPool", |b| {
        b.iter(|| {
            let mut r = pool.acquire().expect("region");
            r.write(|bytes| bytes.copy_from_slice(black_box(&WRITE[..32])))
                .expect("write");
            black_box(&r);
        });
    });
    let open = RegionPool::open(32, 4);
    g.bench_function("secstream_RegionPool_open", |b| {
        b.iter(|| {
            let mut r = open.acquire().expect("region");
            r.write(|bytes| bytes.copy_from_slice(black_box(&WRITE[..32])))
                .expect("write");
            black_box(&r);
        });
    });
    g.bench_function("fresh_GuardedRegion", |b| {
        b.iter(|| {
            let mut r = GuardedRegion::new(32).expect("region");
            r.write(|bytes| bytes.copy_from_slice(black_box(&WRITE[..32])))
                .expect("write");
            black_box(&r);
        });
    });
    g.bench_function("fresh_GuardedRegion_open", |b| {
        b.iter(|| {
            let mut r = GuardedRegion::with_access(32, default_lock_policy(), Access::Open)
                .expect("region");
            r.write(|bytes| bytes.copy_from_slice(black_box(&WRITE[..32])))
                .expect("write");
            black_box(&r);
        });
    });
    g.finish();
}

criterion_group!(benches, pool_8k_write_64, pool_threads, region_acquire);
criterion_main!(benches);
