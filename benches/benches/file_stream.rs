//! FileStream and the worker pipeline (issue 10).
//!
//! - `read_at_4k_sealed_1gib`: 4 KiB at random offsets of a sealed 1 GiB file
//!   (64 KiB frames, no compression; page-cached in `SECSTREAM_BENCH_DIR`,
//!   default /dev/shm): `FileStream::read_at` against the `age` crate's
//!   seekable `StreamReader` (x25519 recipient, 64 KiB chunks) seeking and
//!   reading the same offsets of the same plaintext. Also `FileStream` over the
//!   same plaintext in 16 KiB frames (age's chunks are fixed at 64 KiB;
//!   secstream's frame size is the writer's choice).
//! - `sequential_read_64mib`: a sealed 64 MiB file read to the end
//!   (none / LZ4, 1 MiB frames): `FileStream` against `ContainerReader`,
//!   both over a `File`, into the same 64 KiB buffer.
//! - `parallel_pack_32mib`: 32 MiB of mixed data (45% binary, 45% source
//!   text, 10% random) packed sealed, LZ4 and deflate level 1, 1 MiB frames,
//!   into a sink: `ParallelContainerWriter` with 2 workers against the
//!   sequential mode (the writing thread encodes), and the single-threaded
//!   `ContainerWriter` for reference.
//!
//! The files are written once per run, outside the timed loops.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::iter;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secstream::compress::Compression;
use secstream::container_io::{ContainerOptions, ContainerReader};
use secstream::file_stream::FileStream;
use secstream::pipeline::ChunkMode;
use secstream::seal::MasterKey;

const GIB: u64 = 1 << 30;

fn dir() -> PathBuf {
    std::env::var_os("SECSTREAM_BENCH_DIR").map_or_else(|| PathBuf::from("/dev/shm"), PathBuf::from)
}

fn master() -> MasterKey {
    MasterKey::from_bytes(&[0x5a; 32])
}

/// xorshift64 bytes.
fn fill_random(buf: &mut [u8], state: &mut u64) {
    for chunk in buf.chunks_mut(8) {
        let mut x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        let b = x.to_le_bytes();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
}

/// Writes the same `len` bytes of plaintext to every writer in `outs`.
fn write_plain(len: u64, outs: &mut [&mut dyn Write]) -> io::Result<()> {
    let mut block = vec![0u8; 1 << 20];
    let mut state = 0x0123_4567_89ab_cdef_u64;
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(block.len() as u64)).expect("1 MiB");
        fill_random(&mut block[..n], &mut state);
        for o in outs.iter_mut() {
            o.write_all(&block[..n])?;
        }
        left -= n as u64;
    }
    Ok(())
}

/// The sealed 1 GiB files: secstream (64 KiB and 16 KiB frames) and age, same
/// plaintext.
fn gib_files() -> (PathBuf, PathBuf, PathBuf, age::x25519::Identity) {
    let d = dir();
    let ours = d.join("secstream-bench-fs10-1g.sst");
    let small = d.join("secstream-bench-fs10-1g-16k.sst");
    let theirs = d.join("secstream-bench-fs10-1g.age");
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let mut w = ContainerOptions::new()
        .frame_size(64 * 1024)
        .sealed_writer(
            BufWriter::new(File::create(&ours).expect("create")),
            &master(),
        )
        .expect("writer");
    let mut w16 = ContainerOptions::new()
        .frame_size(16 * 1024)
        .sealed_writer(
            BufWriter::new(File::create(&small).expect("create")),
            &master(),
        )
        .expect("writer");
    let enc = age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
        .expect("recipient");
    let mut a = enc
        .wrap_output(BufWriter::new(File::create(&theirs).expect("create")))
        .expect("age writer");
    write_plain(GIB, &mut [&mut w, &mut w16, &mut a]).expect("write");
    w.finish().expect("finish").flush().expect("flush");
    w16.finish().expect("finish").flush().expect("flush");
    a.finish().expect("age finish").flush().expect("flush");
    (ours, small, theirs, identity)
}

fn offsets() -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % (GIB - 4096)
        })
        .collect()
}

fn read_at_4k_sealed_1gib(c: &mut Criterion) {
    let (ours, small, theirs, identity) = gib_files();
    let offs = offsets();
    let mut g = c.benchmark_group("read_at_4k_sealed_1gib");
    g.throughput(Throughput::Bytes(4096));

    let fs = FileStream::open(&ours, Some(master())).expect("open");
    let mut buf = [0u8; 4096];
    let mut i = 0;
    g.bench_function("secstream_FileStream_read_at", |b| {
        b.iter(|| {
            i = (i + 1) % offs.len();
            fs.read_exact_at(&mut buf, offs[i]).expect("read");
            black_box(&buf);
        });
    });

    let fs16 = FileStream::open(&small, Some(master())).expect("open");
    let mut i = 0;
    g.bench_function("secstream_FileStream_read_at_16k_frames", |b| {
        b.iter(|| {
            i = (i + 1) % offs.len();
            fs16.read_exact_at(&mut buf, offs[i]).expect("read");
            black_box(&buf);
        });
    });

    let dec = age::Decryptor::new(File::open(&theirs).expect("open")).expect("age header");
    let mut r = dec
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .expect("age key");
    // Same plaintext at the same offsets (checked once).
    let mut other = [0u8; 4096];
    for &o in &offs[..16] {
        fs.read_exact_at(&mut buf, o).expect("read");
        r.seek(SeekFrom::Start(o)).expect("seek");
        r.read_exact(&mut other).expect("read");
        assert_eq!(buf, other);
    }
    let mut i = 0;
    g.bench_function("age_StreamReader_seek_read", |b| {
        b.iter(|| {
            i = (i + 1) % offs.len();
            r.seek(SeekFrom::Start(offs[i])).expect("seek");
            r.read_exact(&mut other).expect("read");
            black_box(&other);
        });
    });
    g.finish();
    drop(fs);
    drop(fs16);
    let _ = std::fs::remove_file(ours);
    let _ = std::fs::remove_file(small);
    let _ = std::fs::remove_file(theirs);
}

/// Mixed data: 45% this binary, 45% the repository's sources, 10% random.
fn mixed(len: usize) -> Vec<u8> {
    let bin = std::fs::read("/proc/self/exe").unwrap_or_else(|_| vec![0x90; 1 << 20]);
    let mut text = Vec::new();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for sub in ["core/src", "host-std/src", "docs"] {
        if let Ok(rd) = std::fs::read_dir(root.join(sub)) {
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths {
                if let Ok(b) = std::fs::read(&p) {
                    text.extend_from_slice(&b);
                }
            }
        }
    }
    if text.is_empty() {
        text = b"fn main() { println!(\"hello\"); }\n".repeat(64);
    }
    let mut out = Vec::with_capacity(len);
    while out.len() < len * 45 / 100 {
        out.extend_from_slice(&bin);
    }
    out.truncate(len * 45 / 100);
    while out.len() < len * 90 / 100 {
        out.extend_from_slice(&text);
    }
    out.truncate(len * 90 / 100);
    let mut rnd = vec![0u8; len - out.len()];
    let mut state = 7;
    fill_random(&mut rnd, &mut state);
    out.extend_from_slice(&rnd);
    out
}

fn sequential_read_64mib(c: &mut Criterion) {
    let mut g = c.benchmark_group("sequential_read_64mib");
    let len = 64u64 << 20;
    g.throughput(Throughput::Bytes(len));
    for (name, compression) in [("none", Compression::None), ("lz4", Compression::Lz4)] {
        let path = dir().join(format!("secstream-bench-fs10-seq-{name}.sst"));
        let mut w = ContainerOptions::new()
            .compression(compression)
            .sealed_writer(
                BufWriter::new(File::create(&path).expect("create")),
                &master(),
            )
            .expect("writer");
        w.write_all(&mixed(64 << 20)).expect("write");
        w.finish().expect("finish").flush().expect("flush");
        let mut buf = vec![0u8; 64 * 1024];
        let drain = |r: &mut dyn Read, buf: &mut [u8]| {
            let mut n = 0u64;
            loop {
                let k = r.read(buf).expect("read");
                if k == 0 {
                    break;
                }
                n += k as u64;
            }
            assert_eq!(n, len);
        };
        g.bench_function(format!("secstream_FileStream_{name}"), |b| {
            b.iter(|| {
                let mut fs = FileStream::open(&path, Some(master())).expect("open");
                drain(&mut fs, &mut buf);
            });
        });
        g.bench_function(format!("secstream_ContainerReader_{name}"), |b| {
            b.iter(|| {
                let mut r = ContainerReader::sealed(File::open(&path).expect("open"), master());
                drain(&mut r, &mut buf);
            });
        });
        let _ = std::fs::remove_file(&path);
    }
    g.finish();
}

fn parallel_pack_32mib(c: &mut Criterion) {
    let data = mixed(32 << 20);
    let mut g = c.benchmark_group("parallel_pack_32mib");
    g.throughput(Throughput::Bytes(data.len() as u64));
    for (name, compression, level) in [
        ("lz4", Compression::Lz4, 6),
        ("deflate1", Compression::Deflate, 1),
    ] {
        g.bench_function(format!("{name}_ContainerWriter"), |b| {
            b.iter(|| {
                let mut w = ContainerOptions::new()
                    .compression(compression)
                    .level(level)
                    .sealed_writer(io::sink(), &master())
                    .expect("writer");
                w.write_all(&data).expect("write");
                w.finish().expect("finish");
            });
        });
        for (mode_name, mode) in [
            ("j1", ChunkMode::Sequential),
            ("j2", ChunkMode::Parallel(2)),
        ] {
            g.bench_function(format!("{name}_{mode_name}"), |b| {
                b.iter(|| {
                    let mut w = ContainerOptions::new()
                        .compression(compression)
                        .level(level)
                        .parallel_sealed_writer(io::sink(), &master(), mode)
                        .expect("writer");
                    w.write_all(&data).expect("write");
                    w.finish().expect("finish");
                });
            });
        }
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = read_at_4k_sealed_1gib, sequential_read_64mib, parallel_pack_32mib
}
criterion_main!(benches);
