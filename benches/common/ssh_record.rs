//! The SSH mixed record of `benches/ssh.rs`, shared with the
//! instruction-count driver `examples/ssh_ir.rs` so both run the same code.
//!
//! `secbuf` has no mpint or name-list type, so its side writes the mpint's
//! pre-encoded body and the joined name-lists as strings, the way its users
//! do; it therefore skips the mpint minimality and name-list checks that the
//! `SecureBuf` side performs. Two `secbuf` read paths are measured: its
//! `get_string` (returns an owned `Vec`) and `get_u32` + `get_bytes_ref`
//! (borrowed, the fastest it offers).
// Each includer uses a part: the driver has no throughput to report.
#![allow(dead_code)]

use secstream_core::buf::SecureBuf;
use secstream_core::ssh::Writer;

const STRINGS: [&[u8]; 4] = [b"git", b"ssh-connection", b"publickey", b"ssh-ed25519"];
const BLOB: [u8; 51] = [0x11; 51];
const NAMES: &[&str] = &[
    "curve25519-sha256",
    "chacha20-poly1305@openssh.com",
    "hmac-sha2-256-etm@openssh.com",
];

/// A 2048-bit DH public value with its top bit set (so the mpint needs a
/// sign byte).
pub(crate) fn dh_value() -> [u8; 256] {
    let mut v = [0u8; 256];
    for (i, b) in v.iter_mut().enumerate() {
        *b = u8::try_from(i % 256)
            .unwrap()
            .wrapping_mul(31)
            .wrapping_add(7);
    }
    v[0] = 0xc3;
    v
}

pub(crate) fn record_len(mpint_body: &[u8]) -> usize {
    let strings: usize = STRINGS.iter().map(|s| 4 + s.len()).sum();
    1 + strings + 4 + BLOB.len() + 4 + 4 + 4 + mpint_body.len() + 4 + NAMES.join(",").len() + 1
}

pub(crate) fn secstream_round_trip(buf: &mut SecureBuf<1024>, dh: &[u8]) -> usize {
    buf.clear();
    buf.put_u8(50).unwrap();
    for s in STRINGS {
        buf.put_string(s).unwrap();
    }
    buf.put_string(&BLOB).unwrap();
    buf.put_u32(0x0000_0800).unwrap();
    buf.put_u32(7).unwrap();
    buf.put_mpint_unsigned(dh).unwrap();
    buf.put_name_list(NAMES).unwrap();
    buf.put_bool(true).unwrap();

    let mut acc = usize::from(buf.get_u8().unwrap());
    for _ in 0..5 {
        acc += buf.get_string().unwrap().len();
    }
    acc += buf.get_u32().unwrap() as usize;
    acc += buf.get_u32().unwrap() as usize;
    acc += buf.get_mpint().unwrap().as_twos_complement().len();
    acc += buf.get_name_list().unwrap().iter().count();
    acc += usize::from(buf.get_bool().unwrap());
    acc
}

fn secbuf_write(buf: &mut secbuf::Buffer, mpint_body: &[u8], names: &[u8]) {
    buf.reset();
    buf.put_byte(50).unwrap();
    for s in STRINGS {
        buf.put_string(s).unwrap();
    }
    buf.put_string(&BLOB).unwrap();
    buf.put_u32(0x0000_0800).unwrap();
    buf.put_u32(7).unwrap();
    buf.put_string(mpint_body).unwrap();
    buf.put_string(names).unwrap();
    buf.put_byte(1).unwrap();
    buf.set_pos(0).unwrap();
}

pub(crate) fn secbuf_round_trip_owned(
    buf: &mut secbuf::Buffer,
    mpint_body: &[u8],
    names: &[u8],
) -> usize {
    secbuf_write(buf, mpint_body, names);
    let mut acc = usize::from(buf.get_byte().unwrap());
    for _ in 0..5 {
        acc += buf.get_string().unwrap().len();
    }
    acc += buf.get_u32().unwrap() as usize;
    acc += buf.get_u32().unwrap() as usize;
    acc += buf.get_string().unwrap().len();
    acc += buf.get_string().unwrap().split(|&b| b == b',').count();
    acc += usize::from(buf.get_bool().unwrap());
    acc
}

fn secbuf_string_ref(buf: &mut secbuf::Buffer) -> &[u8] {
    let len = buf.get_u32().unwrap() as usize;
    buf.get_bytes_ref(len).unwrap()
}

pub(crate) fn secbuf_round_trip_borrowed(
    buf: &mut secbuf::Buffer,
    mpint_body: &[u8],
    names: &[u8],
) -> usize {
    secbuf_write(buf, mpint_body, names);
    let mut acc = usize::from(buf.get_byte().unwrap());
    for _ in 0..5 {
        acc += secbuf_string_ref(buf).len();
    }
    acc += buf.get_u32().unwrap() as usize;
    acc += buf.get_u32().unwrap() as usize;
    acc += secbuf_string_ref(buf).len();
    acc += secbuf_string_ref(buf).split(|&b| b == b',').count();
    acc += usize::from(buf.get_bool().unwrap());
    acc
}

/// The pre-encoded mpint body and the joined name-list that secbuf's users
/// must produce themselves.
pub(crate) fn secbuf_inputs(dh: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut scratch = [0u8; 300];
    let mut w = Writer::new(&mut scratch);
    w.put_mpint_unsigned(dh).unwrap();
    let mpint_body = w.written()[4..].to_vec();
    (mpint_body, NAMES.join(",").into_bytes())
}
