//! Checksum throughput at 64 B, 1 KiB and 64 KiB, peers side by side.
//!
//! - `checksum crc32c`: `ChecksumKind::Crc32c.compute` against `crc-fast`
//!   (`crc32_iscsi`), the `crc32c` crate and the `crc` crate's slice-by-16
//!   table (the portable path, which hosts used before the hardware CRCs).
//! - `checksum crc32`: against `crc-fast` (`crc32_iso_hdlc`), `crc32fast`
//!   and the `crc` table.
//! - `checksum crc16`: CRC-16/XMODEM against `crc-fast` and the `crc` table.
//! - `hasher crc32c`: the streaming `Hasher`, the input fed in 4 KiB pieces
//!   (64 KiB only), against `crc-fast`'s `Digest` fed the same pieces and
//!   one-shot `crc-fast`.
//!
//! Payloads are pseudo-random bytes. Run it for the default build and for
//! `RUSTFLAGS="-C target-cpu=native"` (with its own `CARGO_TARGET_DIR`):
//! `cargo bench -p secstream-benches --bench checksum`.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use secstream_core::checksum::{ChecksumKind, Hasher};

const SIZES: [usize; 3] = [64, 1024, 64 * 1024];

static CRC16_TABLE: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_XMODEM);
static CRC32_TABLE: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISO_HDLC);
static CRC32C_TABLE: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

#[path = "../common/payload.rs"]
mod payload;
use payload::payload;

type Peer = (&'static str, fn(&[u8]) -> u64);

fn group(c: &mut Criterion, kind: ChecksumKind, peers: &[Peer]) {
    let mut group = c.benchmark_group(format!("checksum {kind}"));
    for size in SIZES {
        let data = payload(size);
        let want = kind.compute(&data);
        group.throughput(Throughput::Bytes(u64::try_from(size).unwrap()));
        group.bench_function(BenchmarkId::new("secstream", size), |b| {
            b.iter(|| black_box(kind.compute(black_box(&data))));
        });
        for &(name, f) in peers {
            assert_eq!(f(&data), want, "{name} disagrees on {kind}");
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter(|| black_box(f(black_box(&data))));
            });
        }
    }
    group.finish();
}

fn checksums(c: &mut Criterion) {
    group(
        c,
        ChecksumKind::Crc32c,
        &[
            ("crc-fast", |d| u64::from(crc_fast::crc32_iscsi(d))),
            ("crc32c", |d| u64::from(crc32c::crc32c(d))),
            ("crc Table<16>", |d| u64::from(CRC32C_TABLE.checksum(d))),
        ],
    );
    group(
        c,
        ChecksumKind::Crc32,
        &[
            ("crc-fast", |d| u64::from(crc_fast::crc32_iso_hdlc(d))),
            ("crc32fast", |d| u64::from(crc32fast::hash(d))),
            ("crc Table<16>", |d| u64::from(CRC32_TABLE.checksum(d))),
        ],
    );
    group(
        c,
        ChecksumKind::Crc16,
        &[
            ("crc-fast", |d| {
                crc_fast::checksum(crc_fast::CrcAlgorithm::Crc16Xmodem, d)
            }),
            ("crc Table<16>", |d| u64::from(CRC16_TABLE.checksum(d))),
        ],
    );
}

fn hasher(c: &mut Criterion) {
    let mut group = c.benchmark_group("hasher crc32c");
    let size = 64 * 1024;
    let data = payload(size);
    group.throughput(Throughput::Bytes(u64::try_from(size).unwrap()));
    group.bench_function(
        BenchmarkId::new("secstream Hasher, 4 KiB pieces", size),
        |b| {
            b.iter(|| {
                let mut h = Hasher::new(ChecksumKind::Crc32c);
                for piece in black_box(&data).chunks(4096) {
                    h.update(piece);
                }
                black_box(h.finish())
            });
        },
    );
    group.bench_function(
        BenchmarkId::new("crc-fast Digest, 4 KiB pieces", size),
        |b| {
            b.iter(|| {
                let mut d = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc32Iscsi);
                for piece in black_box(&data).chunks(4096) {
                    d.update(piece);
                }
                black_box(d.finalize())
            });
        },
    );
    group.bench_function(BenchmarkId::new("crc-fast one-shot", size), |b| {
        b.iter(|| black_box(crc_fast::crc32_iscsi(black_box(&data))));
    });
    group.finish();
}

criterion_group!(benches, checksums, hasher);
criterion_main!(benches);
