//! The width of the stores in a wiping read, on its own: a ring-like round
//! trip (copy a chunk into a 16 KiB buffer, then copy it out and zero it) with
//! the copy-out-and-zero done four ways: the fused per-byte loop as the
//! baseline x86-64 target compiles it (16-byte SSE2 moves), the same loop
//! compiled for AVX2 and for AVX-512 (chosen at run time), and `memcpy` +
//! `memset`. For the rings' goal of issue 14 (BENCHMARKS.md, rings, session 6:
//! the AVX2 form was measured in the rings too, and not kept).
//!
//!     rustc -O -o /tmp/wipe-width benches/scripts/wipe-width.rs
//!     /tmp/wipe-width 256          # chunk size; FIXED=1: always slot 0, as `Ring`
//!
//! Prints ns per round trip for rounds 2 to 5 of each way.

use std::hint::black_box;
use std::time::Instant;

#[inline(never)]
fn fused_sse(dst: &mut [u8], src: &mut [u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter_mut()) {
        *d = *s;
        *s = 0;
    }
    black_box(&*src);
}

#[target_feature(enable = "avx2")]
unsafe fn fused_avx2(dst: &mut [u8], src: &mut [u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter_mut()) {
        *d = *s;
        *s = 0;
    }
    black_box(&*src);
}

#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn fused_avx512(dst: &mut [u8], src: &mut [u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter_mut()) {
        *d = *s;
        *s = 0;
    }
    black_box(&*src);
}

#[inline(never)]
fn calls(dst: &mut [u8], src: &mut [u8]) {
    dst.copy_from_slice(src);
    src.fill(0);
    black_box(&*src);
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .filter(|&n| n > 0 && n <= 16384)
        .expect("usage: wipe-width CHUNK (1 to 16384 bytes)");
    let iters = 20_000_000 / n * 64;
    let fixed = std::env::var_os("FIXED").is_some();
    let mut ring = vec![0u8; 16384];
    let input = vec![7u8; n];
    let mut out = vec![0u8; n];
    let avx2 = std::is_x86_feature_detected!("avx2");
    let avx512 =
        std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw");
    for round in 0..5 {
        for (name, way) in [("sse", 0), ("avx2", 1), ("avx512", 2), ("calls", 3)] {
            if (way == 1 && !avx2) || (way == 2 && !avx512) {
                continue;
            }
            let mut pos = 0;
            let t = Instant::now();
            for _ in 0..iters {
                let slot = &mut ring[pos..pos + n];
                slot.copy_from_slice(black_box(&input[..]));
                let o = black_box(&mut out[..]);
                match way {
                    0 => fused_sse(o, slot),
                    // SAFETY: the CPU has AVX2 (checked above).
                    1 => unsafe { fused_avx2(o, slot) },
                    // SAFETY: the CPU has AVX-512 F and BW (checked above).
                    2 => unsafe { fused_avx512(o, slot) },
                    _ => calls(o, slot),
                }
                pos = if fixed {
                    0
                } else {
                    (pos + n) % (16384 - n + 1) & !15
                };
            }
            let ns = t.elapsed().as_nanos() as f64 / iters as f64;
            if round > 0 {
                print!("{name} {ns:.2}  ");
            }
        }
        if round > 0 {
            println!();
        }
    }
}
