//! Instruction counts of the SSH mixed record (the one `benches/ssh.rs`
//! times), for `valgrind --tool=callgrind`: steadier than timings on a
//! shared machine.
//!
//! ```text
//! cargo build --release -p secstream-benches --example ssh_ir
//! for w in secstream secbuf-owned secbuf-borrowed; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$w \
//!     target/release/examples/ssh_ir $w 10000
//! done
//! ```
//!
//! Each run does `rounds` round trips of one implementation; subtract a run
//! with 0 rounds (the set-up) and divide by the rounds for a per-record
//! count.
#![allow(missing_docs)]

use std::hint::black_box;

use secstream_core::buf::SecureBuf;

#[path = "../common/ssh_record.rs"]
mod ssh_record;
use ssh_record::{
    dh_value, secbuf_inputs, secbuf_round_trip_borrowed, secbuf_round_trip_owned,
    secstream_round_trip,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "secstream".into());
    let rounds: usize = args.next().map_or(10_000, |s| s.parse().expect("rounds"));
    let dh = dh_value();
    let (mpint_body, names) = secbuf_inputs(&dh);
    let mut acc = 0usize;
    let start = std::time::Instant::now();
    match which.as_str() {
        "secstream" => {
            let mut buf = Box::new(SecureBuf::<1024>::new());
            for _ in 0..rounds {
                acc = acc.wrapping_add(secstream_round_trip(&mut buf, black_box(&dh)));
            }
        }
        "secbuf-owned" => {
            let mut buf = secbuf::Buffer::new(1024);
            for _ in 0..rounds {
                acc = acc.wrapping_add(secbuf_round_trip_owned(
                    &mut buf,
                    black_box(&mpint_body),
                    &names,
                ));
            }
        }
        "secbuf-borrowed" => {
            let mut buf = secbuf::Buffer::new(1024);
            for _ in 0..rounds {
                acc = acc.wrapping_add(secbuf_round_trip_borrowed(
                    &mut buf,
                    black_box(&mpint_body),
                    &names,
                ));
            }
        }
        other => {
            panic!("unknown implementation {other}: secstream, secbuf-owned or secbuf-borrowed")
        }
    }
    // Wall time too, for quick comparisons; criterion (`benches/ssh.rs`) gives
    // the figures BENCHMARKS.md quotes.
    let ns = start.elapsed().as_secs_f64() * 1e9 / rounds.max(1) as f64;
    println!("{which} {rounds} rounds: {ns:.1} ns/record (checksum {acc})");
}
