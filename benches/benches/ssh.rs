//! SSH wire codec: write then read a typical mixed record (strings, uint32s,
//! a 2048-bit mpint and a name-list, 471 bytes) with `SecureBuf` and with the
//! `secbuf` crate's `Buffer` doing the same work (see `common/ssh_record.rs`).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secstream_core::buf::SecureBuf;

#[path = "../common/ssh_record.rs"]
mod ssh_record;
use ssh_record::{
    dh_value, record_len, secbuf_inputs, secbuf_round_trip_borrowed, secbuf_round_trip_owned,
    secstream_round_trip,
};

fn ssh_codec(c: &mut Criterion) {
    let dh = dh_value();
    let (mpint_body, names) = secbuf_inputs(&dh);

    let mut group = c.benchmark_group("ssh_mixed_record");
    group.throughput(Throughput::Bytes(record_len(&mpint_body) as u64));

    let mut ours = SecureBuf::<1024>::new();
    group.bench_function("secstream SecureBuf", |b| {
        b.iter(|| secstream_round_trip(&mut ours, black_box(&dh)));
    });
    let mut theirs = secbuf::Buffer::new(1024);
    group.bench_function("secbuf Buffer (get_string, owned)", |b| {
        b.iter(|| secbuf_round_trip_owned(&mut theirs, black_box(&mpint_body), &names));
    });
    group.bench_function("secbuf Buffer (get_bytes_ref, borrowed)", |b| {
        b.iter(|| secbuf_round_trip_borrowed(&mut theirs, black_box(&mpint_body), &names));
    });
    group.finish();
}

criterion_group!(benches, ssh_codec);
criterion_main!(benches);
