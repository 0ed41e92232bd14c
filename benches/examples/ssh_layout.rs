//! How much the SSH record of `benches/ssh.rs` (`common/ssh_record.rs`)
//! depends on where its buffer lies: the same `SecureBuf<1024>` code run on
//! 128 buffers of one array, whose addresses cover every multiple of 32
//! modulo 4096 (the element size, 1056 bytes, is 32 times an odd number), in
//! interleaved trials. A buffer whose bytes share their low 12 address bits
//! with other memory the record touches (its input, the stack, constants) can
//! be slowed by the CPU's 4 KiB-aliasing of loads and stores; that is why
//! criterion's medians of the record move with the stack's random placement
//! while the code is byte-for-byte the same.
//!
//! ```text
//! cargo build --release -p secstream-benches --example ssh_layout
//! target/release/examples/ssh_layout 20000 15   # records per trial, trials
//! ```
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use secstream_core::buf::SecureBuf;

#[path = "../common/ssh_record.rs"]
mod ssh_record;
use ssh_record::{dh_value, secstream_round_trip};

const BUFFERS: usize = 128;

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(20_000, |s| s.parse().expect("rounds"));
    let trials: usize = args.next().map_or(15, |s| s.parse().expect("trials"));
    let dh = Box::new(dh_value());
    let mut bufs: Vec<SecureBuf<1024>> = (0..BUFFERS).map(|_| SecureBuf::new()).collect();
    let mut times: Vec<Vec<f64>> = (0..BUFFERS).map(|_| Vec::with_capacity(trials)).collect();
    for _ in 0..trials {
        for (buf, t) in bufs.iter_mut().zip(&mut times) {
            let start = Instant::now();
            let acc = (0..rounds).fold(0usize, |acc, _| {
                acc.wrapping_add(secstream_round_trip(buf, black_box(&dh[..])))
            });
            black_box(acc);
            t.push(start.elapsed().as_secs_f64() * 1e9 / rounds.max(1) as f64);
        }
    }
    let input = std::ptr::from_ref(&*dh) as usize % 4096;
    println!("input at {input} mod 4096; ns per record by buffer address mod 4096:");
    println!("{:>6} {:>8} {:>8}", "addr", "min", "p25");
    let mut rows: Vec<(usize, f64, f64)> = bufs
        .iter()
        .zip(&mut times)
        .map(|(buf, t)| {
            t.sort_by(f64::total_cmp);
            (
                std::ptr::from_ref(buf) as usize % 4096,
                t[0],
                t[t.len() / 4],
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    for (addr, min, p25) in &rows {
        println!("{addr:6} {min:8.1} {p25:8.1}");
    }
    let mut p25s: Vec<f64> = rows.iter().map(|r| r.2).collect();
    p25s.sort_by(f64::total_cmp);
    println!(
        "p25 over the {BUFFERS} places: best {:.1}, median {:.1}, 90th percentile {:.1}, worst {:.1}",
        p25s[0],
        p25s[BUFFERS / 2],
        p25s[BUFFERS * 9 / 10],
        p25s[BUFFERS - 1]
    );
}
