//! The native side of the wasm comparison (BENCHMARKS.md, "WebAssembly in
//! Node against native"): the operations `wasm/js-tests/bench.mjs` times in
//! Node, on the same crates as the wasm build. This bench belongs to
//! `secstream-wasm`, so `secstream-core` is built with the wasm crate's
//! features only (`alloc`, not `std`): the CRC tables instead of the runtime
//! hardware CRCs, RustCrypto's ChaCha20-Poly1305 (which still picks its AVX2
//! backend at run time on x86-64; `RUSTFLAGS='--cfg chacha20_backend="soft"
//! --cfg poly1305_backend="soft"'` gives the portable code wasm runs).
//!
//! Run: `cargo bench -p secstream-wasm --bench native`.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Config};
use secstream_core::frame;
use secstream_core::seal::MasterKey;

const SIZES: [usize; 2] = [1024, 64 * 1024];
const KEY: [u8; 32] = [7; 32];
const STREAM_NONCE: [u8; 16] = [0; 16];

/// Deterministic pseudo-random bytes (xorshift64, as bench.mjs).
#[path = "../../benches/common/payload.rs"]
mod payload;
use payload::payload;

fn bytes_of(size: usize) -> Throughput {
    Throughput::Bytes(u64::try_from(size).unwrap())
}

fn frames(c: &mut Criterion) {
    let kind = ChecksumKind::Crc32c;
    let mut group = c.benchmark_group("frame crc32c");
    for size in SIZES {
        let data = payload(size);
        group.throughput(bytes_of(size));
        let mut wire = vec![0u8; frame::encoded_len(kind, size)];
        group.bench_function(BenchmarkId::new("encode_into", size), |b| {
            b.iter(|| {
                let n = frame::encode_into(kind, black_box(&data), &mut wire).unwrap();
                black_box((&mut wire, n));
            });
        });
        let mut rbuf = vec![0u8; wire.len()];
        let mut dec = frame::Decoder::new(kind, u32::MAX, vec![0u8; size]);
        group.bench_function(BenchmarkId::new("Decoder", size), |b| {
            b.iter(|| {
                rbuf.copy_from_slice(black_box(&wire));
                match dec.feed(&rbuf) {
                    Ok(frame::Feed::Frame { payload, consumed }) => {
                        black_box((payload, consumed));
                    }
                    other => panic!("{other:?}"),
                }
            });
        });
    }
    group.finish();
}

fn sealed_writer(max: usize) -> container::Writer {
    let config = Config::new(ChecksumKind::None, u32::try_from(max).unwrap());
    let mut w =
        container::Writer::new_sealed(config, &MasterKey::from_bytes(&KEY), STREAM_NONCE).unwrap();
    let mut pre = [0u8; container::SEALED_PREAMBLE_LEN];
    w.start(&mut pre).unwrap();
    w
}

fn sealed(c: &mut Criterion) {
    let mut group = c.benchmark_group("sealed none");
    for size in SIZES {
        let data = payload(size);
        group.throughput(bytes_of(size));

        let mut w = sealed_writer(size);
        let mut out = vec![0u8; w.max_encoded_len(size)];
        group.bench_function(BenchmarkId::new("Writer", size), |b| {
            b.iter(|| {
                let n = w.encode_frame(black_box(&data), &mut out).unwrap();
                black_box((&mut out, n));
            });
        });

        // A stream of many frames; each iteration reads the next one, and a
        // new reader starts when the stream is used up.
        let frames = (4 * 1024 * 1024 / size).clamp(64, 4096);
        let mut w = sealed_writer(size);
        let mut stream = w.preamble().to_vec();
        let mut ends = Vec::with_capacity(frames);
        for _ in 0..frames {
            let n = w.encode_frame(&data, &mut out).unwrap();
            stream.extend_from_slice(&out[..n]);
            ends.push(stream.len());
        }
        let pre_len = w.preamble().len();
        let new_reader = || {
            let mut r =
                container::Reader::new_sealed(vec![0u8; size + 16], MasterKey::from_bytes(&KEY));
            let mut pre = stream[..pre_len].to_vec();
            assert!(matches!(
                r.feed(&mut pre),
                Ok(container::Feed::Header { .. })
            ));
            r
        };
        let mut r = new_reader();
        let mut next = 0usize;
        let mut rbuf = vec![0u8; ends[0] - pre_len];
        group.bench_function(BenchmarkId::new("Reader", size), |b| {
            b.iter(|| {
                if next == frames {
                    r = new_reader();
                    next = 0;
                }
                let start = if next == 0 { pre_len } else { ends[next - 1] };
                rbuf.copy_from_slice(black_box(&stream[start..ends[next]]));
                next += 1;
                match r.feed(&mut rbuf) {
                    Ok(container::Feed::Frame { payload, consumed }) => {
                        black_box((payload, consumed));
                    }
                    other => panic!("{other:?}"),
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, frames, sealed);
criterion_main!(benches);
