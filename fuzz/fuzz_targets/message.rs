//! Postcard messages (`message::decode_message`) of a type with every common
//! serde shape, from arbitrary payloads.
//!
//! Checks: no panic; a decoded value encodes again (`to_payload` and
//! `encode_message`) and that decodes, through a frame decoder, to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::ChecksumKind;
use secstream_core::frame::{Decoder, Feed};
use secstream_core::message::{self, decode_message, encode_message};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Msg<'a> {
    Unit,
    Byte(u8),
    Signed(i64),
    Wide(u128, i16),
    Float(f32, f64),
    Flag(bool, char),
    Text(&'a str),
    Bytes(#[serde(with = "serde_bytes_borrowed")] &'a [u8]),
    Owned { name: String, tags: Vec<u16> },
    Nested(Option<Box<Msg<'a>>>, (u32, u64)),
    Seq([u8; 3], Vec<(i8, Option<&'a str>)>),
}

/// `&[u8]` as serde bytes (one length and the bytes), borrowed from the payload.
mod serde_bytes_borrowed {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &&[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'de [u8], D::Error> {
        <&'de [u8] as serde::Deserialize<'de>>::deserialize(d)
    }
}

/// NaN never equals itself: compare floats by bits.
fn same(a: &Msg<'_>, b: &Msg<'_>) -> bool {
    match (a, b) {
        (Msg::Float(a1, a2), Msg::Float(b1, b2)) => {
            a1.to_bits() == b1.to_bits() && a2.to_bits() == b2.to_bits()
        }
        (Msg::Nested(Some(x), t1), Msg::Nested(Some(y), t2)) => t1 == t2 && same(x, y),
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, payload)) = data.split_first() else {
        return;
    };
    let kind = ChecksumKind::ALL[usize::from(k % 5)];
    let Ok(msg) = decode_message::<Msg<'_>>(payload) else {
        return;
    };
    let mut out = vec![0u8; payload.len() + 16];
    let n = message::to_payload(&msg, &mut out).expect("re-encodes within the input size");
    let again = decode_message::<Msg<'_>>(&out[..n]).expect("re-encoded payload decodes");
    assert!(same(&msg, &again), "{msg:?} != {again:?}");
    // Through a frame and its decoder.
    let mut wire = vec![0u8; n + 12];
    let m = encode_message(&msg, kind, &mut wire).unwrap();
    let mut dec = Decoder::new(kind, 1 << 20, vec![0u8; n]);
    let Ok(Feed::Frame {
        payload: p,
        consumed,
    }) = dec.feed(&wire[..m])
    else {
        panic!("frame not decoded")
    };
    assert_eq!(consumed, m);
    let framed = decode_message::<Msg<'_>>(p).unwrap();
    assert!(same(&msg, &framed));
    // A buffer one byte short is refused.
    assert!(encode_message(&msg, kind, &mut wire[..m - 1]).is_err());
});
