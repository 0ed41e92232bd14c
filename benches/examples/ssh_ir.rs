//! The SSH mixed record of `benches/ssh.rs` (`common/ssh_record.rs`), without
//! criterion: one implementation per run for `valgrind --tool=callgrind`
//! instruction counts (steadier than timings on a shared machine), or all
//! three interleaved in one process, many short trials each, so that other
//! jobs slow them alike (the minimum and first quartile of the trials are
//! then steady to a few percent, where criterion's medians move by 1.5x).
//!
//! ```text
//! cargo build --release -p secstream-benches --example ssh_ir
//! # instruction counts: subtract a run of 0 records (the set-up), divide by 10000
//! for w in secstream secbuf-owned secbuf-borrowed; do
//!   for n in 0 10000; do
//!     valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$w.$n \
//!       target/release/examples/ssh_ir $w $n
//!   done
//! done
//! # interleaved timing: records per trial, trials
//! target/release/examples/ssh_ir all 20000 200
//! ```
#![allow(missing_docs)]

use std::hint::black_box;

use secstream_core::buf::SecureBuf;

#[path = "../common/trials.rs"]
mod trials;
use trials::interleave;

#[path = "../common/ssh_record.rs"]
mod ssh_record;
use ssh_record::{
    dh_value, secbuf_inputs, secbuf_round_trip_borrowed, secbuf_round_trip_owned,
    secstream_round_trip,
};

const NAMES: [&str; 3] = ["secstream", "secbuf-owned", "secbuf-borrowed"];

/// One implementation, set up once; the closure runs `rounds` records and
/// returns a checksum of what it read.
fn runner(which: &str) -> Box<dyn FnMut(usize) -> usize> {
    let dh = dh_value();
    let (mpint_body, names) = secbuf_inputs(&dh);
    match which {
        "secstream" => {
            let mut buf = Box::new(SecureBuf::<1024>::new());
            Box::new(move |rounds| {
                (0..rounds).fold(0usize, |acc, _| {
                    acc.wrapping_add(secstream_round_trip(&mut buf, black_box(&dh)))
                })
            })
        }
        "secbuf-owned" => {
            let mut buf = secbuf::Buffer::new(1024);
            Box::new(move |rounds| {
                (0..rounds).fold(0usize, |acc, _| {
                    acc.wrapping_add(secbuf_round_trip_owned(
                        &mut buf,
                        black_box(&mpint_body),
                        &names,
                    ))
                })
            })
        }
        "secbuf-borrowed" => {
            let mut buf = secbuf::Buffer::new(1024);
            Box::new(move |rounds| {
                (0..rounds).fold(0usize, |acc, _| {
                    acc.wrapping_add(secbuf_round_trip_borrowed(
                        &mut buf,
                        black_box(&mpint_body),
                        &names,
                    ))
                })
            })
        }
        other => panic!("unknown implementation {other}: one of {NAMES:?} or all"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "all".into());
    let rounds: usize = args.next().map_or(10_000, |s| s.parse().expect("rounds"));
    if which != "all" {
        let acc = runner(&which)(rounds);
        println!("{which}: {rounds} records (checksum {acc})");
        return;
    }
    let trials: usize = args.next().map_or(100, |s| s.parse().expect("trials"));
    let mut runners: Vec<_> = NAMES.iter().map(|w| runner(w)).collect();
    interleave(
        &NAMES,
        &mut runners,
        rounds,
        trials,
        &format!("{trials} trials of {rounds} records, ns per record:"),
    );
}
