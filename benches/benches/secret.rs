//! Secret memory and the secure Stream against what users would pick instead.
//!
//! - `stream_write_read`: 1 MiB written to a `secstream::stream::Stream` and read
//!   back, against the bare XChaCha20-Poly1305 sealing and opening the same
//!   bytes in the same 16 KiB chunks in place (no allocation, no guarded
//!   memory): the cost of the Stream over the cipher it uses. Also the Stream
//!   with every chunk spilled (memory budget 0, unnamed temp file).
//! - `guarded_alloc_free`: allocate and free one guarded region (guard pages,
//!   canary, mlock) with secstream, libsodium (`secrets::SecretVec`, which is
//!   `sodium_allocarray` + `sodium_mprotect_noaccess`) and `memsec`.
//! - `secret_seal_open`: a 32-byte `Secret` sealed and opened, against
//!   `secrets::SecretBox` borrowed.
//!
//! - `register_clearing`: what issue 15 added to every seal, open and accessor:
//!   `secret_memory::clear_registers()` (vector and caller-saved registers),
//!   the 16 KiB stack wipe that follows each seal, open and key use (the same
//!   code as the crate's, which is private), and a 32-byte guarded read for
//!   scale.
//!
//! The `memguard` crate on crates.io (0.1.0) is an empty placeholder, so the
//! Go library's Rust port cannot be measured.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::io::{Read, Write};

use chacha20poly1305::aead::inout::InOutBuf;
use chacha20poly1305::{AeadInOut, Key, KeyInit, XChaCha20Poly1305, XNonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use secstream::secret::Secret;
use secstream::secret_memory::GuardedRegion;
use secstream::stream::Stream;

const STREAM_BYTES: usize = 1 << 20;

fn stream_write_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream_write_read");
    g.throughput(Throughput::Bytes(STREAM_BYTES as u64));
    let data: Vec<u8> = (0..STREAM_BYTES)
        .map(|i| (i % 251).to_le_bytes()[0])
        .collect();
    let mut out = vec![0u8; STREAM_BYTES];

    let mut stream = Stream::new().expect("stream");
    let chunk = stream.chunk_size();
    g.bench_function(BenchmarkId::new("secstream_stream", "1MiB"), |b| {
        b.iter(|| {
            stream.write_all(black_box(&data)).expect("write");
            stream.read_exact(&mut out).expect("read");
            black_box(&out);
        });
    });
    // Checked only when a run filled `out` (a filter may skip the bench).
    assert!(out == data || out.iter().all(|&b| b == 0));

    let dir = std::env::temp_dir();
    let mut spilling = Stream::builder()
        .memory_budget(0)
        .spill_dir(dir)
        .build()
        .expect("stream");
    g.bench_function(BenchmarkId::new("secstream_stream_spilled", "1MiB"), |b| {
        b.iter(|| {
            spilling.write_all(black_box(&data)).expect("write");
            spilling.read_exact(&mut out).expect("read");
            black_box(&out);
        });
    });
    // Checked only when a run filled `out` (a filter may skip the bench).
    assert!(out == data || out.iter().all(|&b| b == 0));

    let key = Key::from([7u8; 32]);
    let cipher = XChaCha20Poly1305::new(&key);
    let mut tags = vec![[0u8; 16]; STREAM_BYTES.div_ceil(chunk)];
    g.bench_function(BenchmarkId::new("bare_xchacha20poly1305", "1MiB"), |b| {
        b.iter(|| {
            out.copy_from_slice(black_box(&data));
            for (i, (part, tag)) in out.chunks_mut(chunk).zip(tags.iter_mut()).enumerate() {
                let mut nonce = [0u8; 24];
                nonce[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let t = cipher
                    .encrypt_inout_detached(&XNonce::from(nonce), b"", InOutBuf::from(part))
                    .expect("seal");
                tag.copy_from_slice(&t);
            }
            for (i, (part, tag)) in out.chunks_mut(chunk).zip(tags.iter()).enumerate() {
                let mut nonce = [0u8; 24];
                nonce[..8].copy_from_slice(&(i as u64).to_le_bytes());
                cipher
                    .decrypt_inout_detached(
                        &XNonce::from(nonce),
                        b"",
                        InOutBuf::from(part),
                        &(*tag).into(),
                    )
                    .expect("open");
            }
            black_box(&out);
        });
    });
    // Checked only when a run filled `out` (a filter may skip the bench).
    assert!(out == data || out.iter().all(|&b| b == 0));
    g.finish();
}

fn guarded_alloc_free(c: &mut Criterion) {
    let mut g = c.benchmark_group("guarded_alloc_free");
    for len in [32usize, 16 << 10] {
        g.bench_function(BenchmarkId::new("secstream_guarded_region", len), |b| {
            b.iter(|| {
                let r = GuardedRegion::new(black_box(len)).expect("alloc");
                r.free().expect("free");
            });
        });
        g.bench_function(BenchmarkId::new("secrets_libsodium", len), |b| {
            b.iter(|| {
                let v = secrets::SecretVec::<u8>::zero(black_box(len));
                black_box(&v);
            });
        });
        g.bench_function(BenchmarkId::new("memsec", len), |b| {
            b.iter(|| {
                // SAFETY: a fresh allocation of `len` bytes, freed once.
                let p = unsafe { memsec::malloc_sized(black_box(len)) }.expect("alloc");
                // SAFETY: `p` came from `malloc_sized` and is freed once.
                unsafe { memsec::free(p) };
            });
        });
    }
    g.finish();
}

fn secret_seal_open(c: &mut Criterion) {
    let mut g = c.benchmark_group("secret_seal_open");
    g.bench_function(BenchmarkId::new("secstream_secret", 32), |b| {
        b.iter(|| {
            let s = Secret::with_init(32, |b| b.fill(black_box(3))).expect("seal");
            let sum = s
                .with_bytes(|b| b.iter().map(|&x| u32::from(x)).sum::<u32>())
                .expect("open");
            black_box(sum);
        });
    });
    g.bench_function(BenchmarkId::new("secrets_libsodium_secretvec", 32), |b| {
        b.iter(|| {
            let mut v = secrets::SecretVec::<u8>::zero(32);
            v.borrow_mut().fill(black_box(3));
            let sum = v.borrow().iter().map(|&x| u32::from(x)).sum::<u32>();
            black_box(sum);
        });
    });
    g.finish();
}

/// The crate's stack wipe after each seal, open and key use
/// (`secret_memory/clear_regs.rs`, private there).
#[inline(never)]
fn wipe_stack_16k() {
    let mut below = [0u8; 16 << 10];
    black_box(&mut below);
}

fn register_clearing(c: &mut Criterion) {
    let mut g = c.benchmark_group("register_clearing");
    g.bench_function("clear_registers", |b| {
        b.iter(secstream::secret_memory::clear_registers);
    });
    g.bench_function("wipe_stack_16KiB", |b| b.iter(wipe_stack_16k));
    let region = GuardedRegion::new(32).expect("alloc");
    g.bench_function(BenchmarkId::new("guarded_read", 32), |b| {
        b.iter(|| region.read(|b| black_box(b[0])).expect("read"));
    });
    g.finish();
}

criterion_group!(
    benches,
    stream_write_read,
    guarded_alloc_free,
    secret_seal_open,
    register_clearing
);
criterion_main!(benches);
