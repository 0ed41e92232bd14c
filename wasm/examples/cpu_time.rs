//! CPU time, not wall time, at 64 KiB through `secstream-core` with the wasm
//! crate's features: frame encode and decode with CRC-32C
//! (`frame::encode_into`, `frame::Decoder::feed` of one whole frame) and
//! sealed encode (`container::Writer::encode_frame`, checksum none), the
//! operations of `wasm/benches/native.rs`. The native side of
//! `wasm/js-tests/bench-cpu.mjs`, for comparisons on a loaded machine, where
//! wall-clock medians move 1.5x between runs (BENCHMARKS.md, "WebAssembly in
//! Node against native"). Linux only: the thread's CPU time comes from
//! `/proc/thread-self/schedstat`.
//!
//! Run: `cargo run --release -p secstream-wasm --example cpu_time` (add
//! `RUSTFLAGS='--cfg chacha20_backend="soft" --cfg poly1305_backend="soft"'`
//! and its own `CARGO_TARGET_DIR` for the portable ChaCha20-Poly1305 code).

use std::hint::black_box;

use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Config};
use secstream_core::frame;
use secstream_core::seal::MasterKey;

const SIZE: usize = 64 * 1024;
/// Frames per timed run (64 MiB), as bench-cpu.mjs.
const FRAMES: usize = 1024;
const RUNS: usize = 7;
const KEY: [u8; 32] = [7; 32];

/// Nanoseconds this thread has run on a CPU.
fn cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("Linux: /proc/thread-self/schedstat");
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("schedstat starts with the CPU time in ns")
}

/// Median MB/s of `RUNS` runs of `FRAMES` calls of `f`.
fn measure(mut f: impl FnMut()) -> f64 {
    let mut rates: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = cpu_ns();
            for _ in 0..FRAMES {
                f();
            }
            let ns = cpu_ns() - t;
            (FRAMES * SIZE) as f64 * 1e3 / ns as f64
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[RUNS / 2]
}

fn main() {
    let data: Vec<u8> = (0..SIZE).map(|i| (i * 7 + 1).to_le_bytes()[0]).collect();

    let kind = ChecksumKind::Crc32c;
    let mut wire = vec![0u8; frame::encoded_len(kind, SIZE)];
    let frame_encode = measure(|| {
        let n = frame::encode_into(kind, black_box(&data), &mut wire).unwrap();
        black_box((&mut wire, n));
    });
    // As the criterion bench: the frame is copied into a buffer (the input
    // a reader gets), then decoded.
    let mut rbuf = vec![0u8; wire.len()];
    let mut dec = frame::Decoder::new(kind, u32::MAX, vec![0u8; SIZE]);
    let frame_decode = measure(|| {
        rbuf.copy_from_slice(black_box(&wire));
        match dec.feed(&rbuf) {
            Ok(frame::Feed::Frame { payload, consumed }) => {
                black_box((payload, consumed));
            }
            other => panic!("{other:?}"),
        }
    });

    let config = Config::new(ChecksumKind::None, u32::try_from(SIZE).unwrap());
    let mut w = container::Writer::new_sealed(config, &MasterKey::from_bytes(&KEY), [0; 16])
        .expect("a valid configuration");
    let mut pre = [0u8; container::SEALED_PREAMBLE_LEN];
    w.start(&mut pre).unwrap();
    let mut out = vec![0u8; w.max_encoded_len(SIZE)];
    let encode = measure(|| {
        let n = w.encode_frame(black_box(&data), &mut out).unwrap();
        black_box((&mut out, n));
    });

    println!("native, 64 KiB, CPU time");
    println!("| operation | frame size | MB/s |");
    println!("|---|---|---|");
    for (name, rate) in [
        ("frame encode crc32c", frame_encode),
        ("frame decode crc32c", frame_decode),
        ("sealed encode", encode),
    ] {
        println!("| {name} | {SIZE} | {rate:.0} |");
    }
}
