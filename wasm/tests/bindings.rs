//! wasm-bindgen-test suite of the bindings, run in Node and in headless
//! Chromium (`WASM_BINDGEN_USE_BROWSER=1`); see `cargo xtask test`.
//!
//! The expected bytes come from `secstream-core` itself: the bindings must
//! produce exactly what the core produces.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect, Uint8Array};
use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::Compression;
use secstream_core::container::{Config, DEFAULT_MAX_PLAIN};
use secstream_core::{cobs, frame};
use secstream_wasm::buf::SecureBuffer;
use secstream_wasm::checksum::{Checksum, checksum, checksum_bytes};
use secstream_wasm::container::{ContainerReader, ContainerWriter, generate_key, pack, unpack};
use secstream_wasm::frame::{CobsDecoder, CobsEncoder, FrameDecoder, FrameEncoder};
use secstream_wasm::ring::Ring;
use wasm_bindgen::{JsCast, JsError, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

fn js(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

fn num(n: f64) -> JsValue {
    JsValue::from_f64(n)
}

fn vec_of(v: &JsValue) -> Vec<u8> {
    v.dyn_ref::<Uint8Array>().expect("a Uint8Array").to_vec()
}

fn payloads(a: &Array) -> Vec<Vec<u8>> {
    a.iter().map(|v| vec_of(&v)).collect()
}

/// The message of the JS `Error` an `Err` carries.
fn message<T>(r: Result<T, JsError>) -> String {
    let Err(e) = r else {
        panic!("expected an error")
    };
    let v = JsValue::from(e);
    let err = v.dyn_ref::<js_sys::Error>().expect("a JS Error");
    err.message().as_string().expect("a string message")
}

fn options(pairs: &[(&str, JsValue)]) -> Option<Object> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).expect("set");
    }
    Some(o)
}

/// A non-object where an options object belongs (as JS can pass).
fn not_options(v: JsValue) -> Option<Object> {
    Some(v.unchecked_into())
}

fn core_frame(kind: ChecksumKind, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0; frame::encoded_len(kind, payload.len())];
    let n = frame::encode_into(kind, payload, &mut out).expect("core encodes");
    out.truncate(n);
    out
}

#[wasm_bindgen_test]
fn checksums_match_the_contract_check_values() {
    let data = js(b"123456789");
    let cases = [
        ("none", 0u64),
        ("crc16", 0x31C3),
        ("crc32", 0xCBF4_3926),
        ("crc32c", 0xE306_9283),
        ("xxh3", 0x72DC_B18B_67A1_7DFF),
    ];
    for (name, want) in cases {
        assert_eq!(
            checksum(&JsValue::from_str(name), &data).ok(),
            Some(want),
            "{name}"
        );
    }
    // By wire id, and little-endian bytes of the right width.
    assert_eq!(checksum(&num(3.0), &data).ok(), Some(0xE306_9283));
    let le = checksum_bytes(&JsValue::from_str("crc16"), &data).expect("bytes");
    assert_eq!(le.to_vec(), [0xC3, 0x31]);

    let mut c = Checksum::new(&JsValue::from_str("xxh3")).expect("hasher");
    for part in [&b"1234"[..], b"5", b"6789"] {
        c.update(&js(part)).expect("update");
    }
    assert_eq!(c.digest(), 0x72DC_B18B_67A1_7DFF);
}

/// Inputs longer than the 16 KiB piece the bindings copy at a time, one-shot
/// and streamed in uneven parts, against the core.
#[wasm_bindgen_test]
fn checksums_of_long_inputs_match_the_core() {
    let data: Vec<u8> = (0..50_001u32)
        .map(|i| (i * 13 + i / 5).to_le_bytes()[0])
        .collect();
    for kind in ChecksumKind::ALL {
        let name = JsValue::from_str(kind.name());
        let want = kind.compute(&data);
        assert_eq!(checksum(&name, &js(&data)).ok(), Some(want), "{kind}");
        let le = checksum_bytes(&name, &js(&data)).expect("bytes").to_vec();
        assert_eq!(le, want.to_le_bytes()[..kind.width()].to_vec(), "{kind}");
        let mut c = Checksum::new(&name).expect("hasher");
        for part in [
            &data[..1],
            &data[1..16_385],
            &data[16_385..40_000],
            &data[40_000..],
        ] {
            c.update(&js(part)).expect("update");
        }
        assert_eq!(c.digest(), want, "{kind} streamed");
    }
}

#[wasm_bindgen_test]
fn checksum_rejects_bad_arguments() {
    let data = js(b"x");
    assert_eq!(
        message(checksum(&JsValue::from_str("md5"), &data)),
        "checksum kind: unknown checksum \"md5\" (expected one of none, crc16, crc32, crc32c, xxh3)"
    );
    assert_eq!(
        message(checksum(&num(9.0), &data)),
        "checksum kind: unknown checksum id 9"
    );
    assert_eq!(
        message(checksum(
            &JsValue::from_str("crc32"),
            &JsValue::from_str("text")
        )),
        "checksum data must be a Uint8Array, got string"
    );
    assert_eq!(
        message(checksum(&JsValue::from_str("crc32"), &Array::new().into())),
        "checksum data must be a Uint8Array, got an array"
    );
}

#[wasm_bindgen_test]
fn secure_buffer_round_trips_the_ssh_types() {
    let mut b = SecureBuffer::new(&num(100.0), None).expect("buffer");
    assert_eq!(b.capacity(), 256);
    b.put_u8(&num(20.0)).expect("u8");
    b.put_bool(&JsValue::TRUE).expect("bool");
    b.put_u32(&num(4_294_967_295.0)).expect("u32");
    b.put_u64(&JsValue::bigint_from_str("18446744073709551615"))
        .expect("u64");
    b.put_string(&JsValue::from_str("ssh-ed25519"))
        .expect("string");
    b.put_string(&js(&[0, 1, 2])).expect("bytes string");
    b.put_mpint(&JsValue::FALSE, &js(&[0x80, 0x01]))
        .expect("mpint");
    let names: Array = ["curve25519-sha256", "ext-info-c"]
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect();
    b.put_name_list(&names).expect("names");

    assert_eq!(b.get_u8().ok(), Some(20));
    assert_eq!(b.get_bool().ok(), Some(true));
    assert_eq!(b.get_u32().ok(), Some(u32::MAX));
    assert_eq!(b.get_u64().ok(), Some(u64::MAX));
    assert_eq!(
        b.get_string().ok().map(|a| a.to_vec()),
        Some(b"ssh-ed25519".to_vec())
    );
    assert_eq!(b.get_string().ok().map(|a| a.to_vec()), Some(vec![0, 1, 2]));
    assert_eq!(
        b.get_mpint().ok().map(|a| a.to_vec()),
        Some(vec![0x00, 0x80, 0x01])
    );
    let got: Vec<String> = b
        .get_name_list()
        .expect("names")
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    assert_eq!(got, ["curve25519-sha256", "ext-info-c"]);
    assert_eq!(b.remaining(), 0);

    // The wire bytes are the core's: a uint32 is big-endian.
    let mut c = SecureBuffer::new(&num(8.0), None).expect("buffer");
    c.put_u32(&num(0x0102_0304 as f64)).expect("u32");
    assert_eq!(c.to_bytes().to_vec(), [1, 2, 3, 4]);
}

#[wasm_bindgen_test]
fn secure_buffer_errors_are_clear_and_leave_it_usable() {
    let mut b = SecureBuffer::new(&num(64.0), Some(8.0)).expect("buffer");
    assert_eq!(
        message(b.get_u32()),
        "SecureBuffer.getU32: truncated at offset 0: needed 4 bytes, 0 remain"
    );
    assert_eq!(
        message(b.put_bytes(&js(&[0; 65]))),
        "SecureBuffer.putBytes: no room: needed 65 bytes, 64 free"
    );
    assert_eq!(
        message(b.put_u8(&num(256.0))),
        "SecureBuffer.putU8 value must be an integer from 0 to 255, got 256"
    );
    assert_eq!(
        message(b.put_u32(&JsValue::from_str("7"))),
        "SecureBuffer.putU32 value must be a number, got string"
    );
    assert_eq!(
        message(b.put_bool(&num(1.0))),
        "SecureBuffer.putBool value must be a boolean"
    );
    assert_eq!(
        message(b.put_name_list(&JsValue::from_str("a,b"))),
        "SecureBuffer.putNameList names must be an array of strings"
    );
    // A string longer than the limit of 8 is refused and the cursor stays.
    b.put_string(&js(b"0123456789")).expect("fits");
    assert_eq!(
        message(b.get_string()),
        "SecureBuffer.getString: string at offset 0 of 10 bytes exceeds the limit of 8"
    );
    assert_eq!(b.position(), 0);
    // A non-minimal mpint is refused.
    let mut m = SecureBuffer::from_bytes(&js(&[0, 0, 0, 2, 0x00, 0x01])).expect("buffer");
    assert_eq!(
        message(m.get_mpint()),
        "SecureBuffer.getMpint: mpint at offset 4 is not minimally encoded"
    );
    assert_eq!(
        message(SecureBuffer::new(&num(65537.0), None)),
        "SecureBuffer capacity must be an integer from 0 to 65536, got 65537"
    );
    assert_eq!(
        message(SecureBuffer::new(&num(1.5), None)),
        "SecureBuffer capacity must be an integer from 0 to 65536, got 1.5"
    );

    // Still usable after every error above.
    b.wipe();
    assert_eq!(b.length(), 0);
    b.put_u32(&num(7.0)).expect("u32");
    assert_eq!(b.get_u32().ok(), Some(7));
}

#[wasm_bindgen_test]
fn secure_buffer_wipes_discarded_bytes() {
    let mut b = SecureBuffer::from_bytes(&js(b"secret-key-bytes")).expect("buffer");
    assert_eq!(b.length(), 16);
    b.consume(&num(7.0)).expect("consume");
    assert_eq!(b.unread().to_vec(), b"key-bytes");
    b.compact();
    assert_eq!(b.to_bytes().to_vec(), b"key-bytes");
    b.truncate(&num(3.0)).expect("truncate");
    assert_eq!(b.to_bytes().to_vec(), b"key");
    b.wipe();
    assert_eq!(b.length(), 0);
    assert_eq!(b.to_bytes().length(), 0);
}

#[wasm_bindgen_test]
fn ring_wraps_and_wipes() {
    let mut r = Ring::new(&num(64.0)).expect("ring");
    assert_eq!(r.capacity(), 64);
    assert_eq!(r.write(&js(&[7; 60])).ok(), Some(60));
    assert_eq!(r.read(Some(50.0)).ok().map(|a| a.length()), Some(50));
    // 10 buffered at offset 50: 40 more wrap around the end of the storage.
    let data: Vec<u8> = (0..40).collect();
    r.write_all(&js(&data)).expect("fits");
    assert_eq!(r.length(), 50);
    assert_eq!(
        r.peek(Some(10.0)).ok().map(|a| a.to_vec()),
        Some(vec![7; 10])
    );
    let all = r.read(None).expect("read").to_vec();
    assert_eq!(&all[..10], &[7; 10]);
    assert_eq!(&all[10..], &data[..]);
    assert!(r.is_empty());

    assert_eq!(r.write(&js(&[1; 100])).ok(), Some(64));
    assert!(r.is_full());
    assert_eq!(
        message(r.write_all(&js(&[1]))),
        "Ring.writeAll: not enough free space in the ring (1 bytes, 0 free)"
    );
    r.wipe();
    assert_eq!(
        message(r.read_exact(&num(1.0))),
        "Ring.readExact: not enough bytes in the ring (1 wanted, 0 buffered)"
    );
    assert_eq!(
        message(r.write(&JsValue::NULL)),
        "Ring.write data must be a Uint8Array, got null"
    );
    assert_eq!(r.write(&js(b"ok")).ok(), Some(2));
    assert_eq!(
        r.read_exact(&num(2.0)).ok().map(|a| a.to_vec()),
        Some(b"ok".to_vec())
    );
}

#[wasm_bindgen_test]
fn frame_encoder_matches_the_core_and_splits_chunks() {
    for (name, kind) in [
        ("none", ChecksumKind::None),
        ("crc16", ChecksumKind::Crc16),
        ("xxh3", ChecksumKind::Xxh3),
    ] {
        let mut enc =
            FrameEncoder::new(options(&[("checksum", JsValue::from_str(name))])).expect("encoder");
        let got = enc.encode(&js(b"hello frames")).expect("encode").to_vec();
        assert_eq!(got, core_frame(kind, b"hello frames"), "{name}");
        // An empty payload is a frame of its own.
        assert_eq!(
            enc.encode(&js(b"")).expect("empty").to_vec(),
            core_frame(kind, b"")
        );
    }
    let mut enc = FrameEncoder::new(options(&[("maxFrameLen", num(4.0))])).expect("encoder");
    let got = enc.push(&js(b"abcdefghij")).expect("push").to_vec();
    let want: Vec<u8> = [&b"abcd"[..], b"efgh", b"ij"]
        .iter()
        .flat_map(|p| core_frame(ChecksumKind::Crc32c, p))
        .collect();
    assert_eq!(got, want);
    assert_eq!(enc.push(&js(b"")).ok().map(|a| a.length()), Some(0));
    assert_eq!(
        message(enc.encode(&js(b"abcde"))),
        "FrameEncoder.encode: frame longer than the maximum frame length"
    );
}

/// Payloads longer than the encoder's checksum piece (16 KiB) and not a
/// multiple of it: the checksum fed piece by piece equals the core's.
#[wasm_bindgen_test]
fn frame_encoder_checksums_long_payloads_in_pieces() {
    let data: Vec<u8> = (0..70_001u32)
        .map(|i| (i * 31 + i / 7).to_le_bytes()[0])
        .collect();
    for (name, kind) in [
        ("crc16", ChecksumKind::Crc16),
        ("crc32", ChecksumKind::Crc32),
        ("crc32c", ChecksumKind::Crc32c),
        ("xxh3", ChecksumKind::Xxh3),
    ] {
        let mut enc = FrameEncoder::new(options(&[
            ("checksum", JsValue::from_str(name)),
            ("maxFrameLen", num(40_000.0)),
        ]))
        .expect("encoder");
        for len in [1, 16_383, 16_384, 16_385, 40_000] {
            let p = data.get(..len).expect("in range");
            let got = enc.encode(&js(p)).expect("encode").to_vec();
            assert_eq!(got, core_frame(kind, p), "{name} {len}");
        }
        let got = enc.push(&js(&data)).expect("push").to_vec();
        let want: Vec<u8> = data
            .chunks(40_000)
            .flat_map(|p| core_frame(kind, p))
            .collect();
        assert_eq!(got, want, "{name} push");
    }
}

#[wasm_bindgen_test]
fn frame_encoder_encode_into_writes_the_same_frame() {
    let mut enc = FrameEncoder::new(options(&[("maxFrameLen", num(100.0))])).expect("encoder");
    let payload = b"into a reused array";
    let want = core_frame(ChecksumKind::Crc32c, payload);
    let out = Uint8Array::new_with_length(64);
    out.fill(0xAA, 0, 64);
    let n = enc.encode_into(&js(payload), &out).expect("encodeInto");
    assert_eq!(n as usize, want.len());
    let got = out.to_vec();
    assert_eq!(got.get(..want.len()), Some(&want[..]));
    // Bytes past the frame are left alone.
    assert!(
        got.get(want.len()..)
            .expect("tail")
            .iter()
            .all(|&b| b == 0xAA)
    );

    // Too short: an error, and nothing written.
    let short = Uint8Array::new_with_length(u32::try_from(want.len() - 1).expect("small"));
    assert_eq!(
        message(enc.encode_into(&js(payload), &short)),
        format!(
            "FrameEncoder.encodeInto: out holds {} bytes, the frame needs {}",
            want.len() - 1,
            want.len()
        )
    );
    assert!(short.to_vec().iter().all(|&b| b == 0));
    assert_eq!(
        message(enc.encode_into(&js(&[0; 101]), &out)),
        "FrameEncoder.encodeInto: frame longer than the maximum frame length"
    );
    assert_eq!(
        message(enc.encode_into(&js(payload), &JsValue::from_str("out"))),
        "FrameEncoder.encodeInto out must be a Uint8Array, got string"
    );

    // In place: the payload at the start of `out`, overwritten by its frame.
    let buf = Uint8Array::new_with_length(64);
    buf.subarray(0, u32::try_from(payload.len()).expect("small"))
        .copy_from(payload);
    let view = buf.subarray(0, u32::try_from(payload.len()).expect("small"));
    let n = enc.encode_into(&view.into(), &buf).expect("in place");
    assert_eq!(buf.to_vec().get(..n as usize), Some(&want[..]));
}

#[wasm_bindgen_test]
fn frame_decoder_handles_any_split() {
    let kind = ChecksumKind::Crc32;
    let wire: Vec<u8> = [&b"one"[..], b"", b"three three"]
        .iter()
        .flat_map(|p| core_frame(kind, p))
        .collect();
    for step in [1, 2, 5, wire.len()] {
        let mut dec = FrameDecoder::new(options(&[("checksum", JsValue::from_str("crc32"))]))
            .expect("decoder");
        let mut got = Vec::new();
        for chunk in wire.chunks(step) {
            got.extend(payloads(&dec.push(&js(chunk)).expect("push")));
        }
        dec.finish().expect("clean end");
        assert_eq!(
            got,
            [b"one".to_vec(), vec![], b"three three".to_vec()],
            "step {step}"
        );
    }
}

/// `pushViews`: the same payloads as `push` in any split; those whole in
/// one chunk are views of it, the others copies.
#[wasm_bindgen_test]
fn frame_decoder_push_views_shares_whole_payloads() {
    let kind = ChecksumKind::Crc32c;
    let wire: Vec<u8> = [&b"one"[..], b"", b"three three", &[7; 300]]
        .iter()
        .flat_map(|p| core_frame(kind, p))
        .collect();
    let want = [
        b"one".to_vec(),
        vec![],
        b"three three".to_vec(),
        vec![7; 300],
    ];
    for step in [1, 2, 5, 17, wire.len()] {
        let mut dec = FrameDecoder::new(None).expect("decoder");
        let mut got = Vec::new();
        for chunk in wire.chunks(step) {
            got.extend(payloads(&dec.push_views(&js(chunk)).expect("pushViews")));
        }
        dec.finish().expect("clean end");
        assert_eq!(got, want, "step {step}");
    }

    // One chunk: each non-empty payload is a view of it.
    let mut dec = FrameDecoder::new(None).expect("decoder");
    let chunk = Uint8Array::from(&wire[..]);
    let out = dec.push_views(&chunk.clone().into()).expect("pushViews");
    assert_eq!(payloads(&out), want);
    let third = Uint8Array::from(out.get(2));
    assert!(JsValue::from(third.buffer()) == JsValue::from(chunk.buffer()));
    let at = u32::try_from(core_frame(kind, b"one").len() + core_frame(kind, b"").len() + 8)
        .expect("small");
    chunk.set_index(at, b'T');
    assert_eq!(third.to_vec(), b"Three three".to_vec());

    // Split: the payload that spans two chunks is a copy.
    let mut dec = FrameDecoder::new(None).expect("decoder");
    let frame = core_frame(kind, b"split");
    let first = Uint8Array::from(&frame[..10]);
    let second = Uint8Array::from(&frame[10..]);
    assert_eq!(
        dec.push_views(&first.into()).ok().map(|a| a.length()),
        Some(0)
    );
    let out = dec.push_views(&second.clone().into()).expect("rest");
    let got = Uint8Array::from(out.get(0));
    second.fill(0, 0, second.length());
    assert_eq!(got.to_vec(), b"split".to_vec());

    // Errors name the call.
    let mut bad = core_frame(kind, b"payload");
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let mut dec = FrameDecoder::new(None).expect("decoder");
    assert_eq!(
        message(dec.push_views(&js(&bad))),
        "FrameDecoder.pushViews: frame checksum mismatch"
    );
    assert_eq!(
        message(dec.push_views(&JsValue::from_str("x"))),
        "FrameDecoder.pushViews chunk must be a Uint8Array, got string"
    );
}

#[wasm_bindgen_test]
fn frame_decoder_rejects_corruption_and_recovers_after_reset() {
    let kind = ChecksumKind::Crc32c;
    let mut wire = core_frame(kind, b"payload");
    let last = wire.len() - 1;
    wire[last] ^= 0x01;
    let mut dec = FrameDecoder::new(None).expect("decoder");
    assert_eq!(
        message(dec.push(&js(&wire))),
        "FrameDecoder.push: frame checksum mismatch"
    );
    // It stays failed until reset ...
    assert_eq!(
        message(dec.push(&js(&core_frame(kind, b"x")))),
        "FrameDecoder.push: frame checksum mismatch"
    );
    dec.reset();
    // ... then decodes again.
    let got = payloads(&dec.push(&js(&core_frame(kind, b"again"))).expect("push"));
    assert_eq!(got, [b"again".to_vec()]);

    // A stream that ends inside a frame is truncated, not clean.
    let mut dec = FrameDecoder::new(None).expect("decoder");
    let frame = core_frame(kind, b"cut short");
    assert_eq!(dec.push(&js(&frame[..6])).ok().map(|a| a.length()), Some(0));
    assert_eq!(
        message(dec.finish()),
        "FrameDecoder.finish: input ends inside a frame"
    );

    // A length field above the maximum is refused before any payload.
    let mut dec = FrameDecoder::new(options(&[("maxFrameLen", num(8.0))])).expect("decoder");
    assert_eq!(
        message(dec.push(&js(&core_frame(kind, b"nine bytes")[..4]))),
        "FrameDecoder.push: frame longer than the maximum frame length"
    );
}

#[wasm_bindgen_test]
fn frame_options_are_checked() {
    assert_eq!(
        message(FrameDecoder::new(options(&[(
            "checksum",
            JsValue::from_str("crc64")
        )]))),
        "FrameDecoder options.checksum: unknown checksum \"crc64\" (expected one of none, crc16, crc32, crc32c, xxh3)"
    );
    assert_eq!(
        message(FrameDecoder::new(options(&[("maxFrameLen", num(0.0))]))),
        "FrameDecoder options.maxFrameLen must be at least 1"
    );
    assert_eq!(
        message(FrameEncoder::new(options(&[("maxFrameLen", num(-1.0))]))),
        "FrameEncoder options.maxFrameLen must be an integer from 0 to 16777216, got -1"
    );
    assert_eq!(
        message(FrameEncoder::new(options(&[("maxFramelen", num(10.0))]))),
        "FrameEncoder options: unknown option \"maxFramelen\" (expected checksum, maxFrameLen)"
    );
    assert_eq!(
        message(FrameEncoder::new(not_options(JsValue::from_str("crc32")))),
        "FrameEncoder options must be an object, got string"
    );
}

#[wasm_bindgen_test]
fn cobs_round_trips_and_resynchronises() {
    let kind = ChecksumKind::Crc16;
    let opts = options(&[("checksum", JsValue::from_str("crc16"))]);
    let mut enc = CobsEncoder::new(opts.clone()).expect("encoder");
    let payload = [0x11, 0x00, 0x22, 0x00];
    let frame_bytes = enc.encode(&js(&payload)).expect("encode").to_vec();
    let mut want = vec![0; cobs::max_encoded_len(kind, payload.len())];
    let n = cobs::encode_into(kind, &payload, &mut want).expect("core");
    want.truncate(n);
    assert_eq!(frame_bytes, want);
    assert!(!frame_bytes[..frame_bytes.len() - 1].contains(&0));

    // good, damaged, good: the damaged one is dropped and counted.
    let mut damaged = frame_bytes.clone();
    damaged[1] ^= 0x40;
    let wire: Vec<u8> = [&frame_bytes[..], &damaged, &frame_bytes].concat();
    let mut dec = CobsDecoder::new(opts.clone()).expect("decoder");
    let mut got = Vec::new();
    for chunk in wire.chunks(3) {
        got.extend(payloads(&dec.push(&js(chunk)).expect("push")));
    }
    dec.finish().expect("clean end");
    assert_eq!(got, [payload.to_vec(), payload.to_vec()]);
    assert_eq!(dec.rejected(), 1);
    assert_eq!(
        dec.last_rejection().as_deref(),
        Some("frame checksum mismatch")
    );

    assert_eq!(
        dec.push(&js(&frame_bytes[..3])).ok().map(|a| a.length()),
        Some(0)
    );
    assert_eq!(
        message(dec.finish()),
        "CobsDecoder.finish: input ends inside a frame"
    );
}

#[wasm_bindgen_test]
fn module_keeps_working_after_many_errors() {
    for _ in 0..100 {
        let _ = message(FrameDecoder::new(not_options(JsValue::from_f64(1.0))));
        let _ = message(checksum(&JsValue::NULL, &JsValue::NULL));
        let mut dec = FrameDecoder::new(None).expect("decoder");
        let _ = message(dec.push(&js(&[0xFF, 0xFF, 0xFF, 0xFF])));
    }
    let mut enc = FrameEncoder::new(None).expect("encoder");
    let mut dec = FrameDecoder::new(None).expect("decoder");
    let got = payloads(
        &dec.push(&enc.encode(&js(b"still fine")).expect("encode").into())
            .expect("push"),
    );
    assert_eq!(got, [b"still fine".to_vec()]);
}

fn key_js(byte: u8) -> JsValue {
    js(&[byte; 32])
}

/// The container the core's `Writer` produces for `payloads` (one frame
/// each; sealed, the last one is the final frame).
fn core_container(
    config: Config,
    index: bool,
    key: Option<([u8; 32], [u8; 16])>,
    payloads: &[&[u8]],
) -> Vec<u8> {
    use secstream_core::container::Writer;
    use secstream_core::seal::MasterKey;
    let mut w = match key {
        Some((k, nonce)) => {
            Writer::new_sealed(config, &MasterKey::from_bytes(&k), nonce).expect("writer")
        }
        None => Writer::new(config).expect("writer"),
    };
    if index {
        w = w.with_index();
    }
    let mut out = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let mut buf = vec![0; w.max_encoded_len(p.len())];
        let n = if key.is_some() && i + 1 == payloads.len() {
            w.encode_last(p, &mut buf).expect("last frame")
        } else {
            w.encode_frame(p, &mut buf).expect("frame")
        };
        out.extend_from_slice(&buf[..n]);
    }
    let mut buf = vec![0; w.max_finish_len()];
    let n = w.finish(&mut buf).expect("finish");
    out.extend_from_slice(&buf[..n]);
    out
}

#[wasm_bindgen_test]
fn pack_writes_what_the_core_writes() {
    let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let pieces: Vec<&[u8]> = data.chunks(1024).collect();
    // Plain, crc32, 1024-byte frames, no index.
    let config = Config::new(ChecksumKind::Crc32, 1024);
    let got = pack(
        &js(&data),
        options(&[
            ("checksum", JsValue::from_str("crc32")),
            ("maxPlain", num(1024.0)),
            ("index", JsValue::FALSE),
        ]),
    )
    .expect("pack")
    .to_vec();
    assert_eq!(got, core_container(config, false, None, &pieces));

    // Each compression, sealed with a fixed stream nonce, with the index:
    // the last piece is the final frame.
    for (name, compression) in [
        ("none", Compression::None),
        ("deflate", Compression::Deflate),
        ("lz4", Compression::Lz4),
    ] {
        let config = Config::new(ChecksumKind::Crc32c, 1024)
            .with_compression(compression)
            .with_sealed(true);
        let want = core_container(config, true, Some(([5; 32], [6; 16])), &pieces);
        let got = pack(
            &js(&data),
            options(&[
                ("key", key_js(5)),
                ("streamNonce", js(&[6; 16])),
                ("maxPlain", num(1024.0)),
                ("compression", JsValue::from_str(name)),
            ]),
        )
        .expect("pack")
        .to_vec();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            unpack(&js(&got), options(&[("key", key_js(5))]))
                .ok()
                .map(|a| a.to_vec()),
            Some(data.clone()),
            "{name}"
        );
    }
    // Nothing at all: the preamble and the end section.
    let config = Config::new(ChecksumKind::Crc32c, DEFAULT_MAX_PLAIN);
    assert_eq!(
        pack(&js(b""), None).expect("pack").to_vec(),
        core_container(config, true, None, &[])
    );
}

#[wasm_bindgen_test]
fn container_writer_output_does_not_depend_on_chunking() {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 13) as u8).collect();
    for compression in ["deflate", "lz4", "none"] {
        let opts = || {
            options(&[
                ("key", key_js(1)),
                ("streamNonce", js(&[2; 16])),
                ("compression", JsValue::from_str(compression)),
                ("maxPlain", num(4096.0)),
            ])
        };
        let whole = pack(&js(&data), opts()).expect("pack").to_vec();
        for step in [1usize, 999, 4096, 7000] {
            let mut w = ContainerWriter::new(opts()).expect("writer");
            let mut got = Vec::new();
            for c in data.chunks(step.max(1)) {
                got.extend(w.push(&js(c)).expect("push").to_vec());
            }
            got.extend(w.finish().expect("finish").to_vec());
            assert_eq!(got, whole, "{compression} step {step}");
            assert_eq!(
                message(w.push(&js(b"late"))),
                "ContainerWriter.push: container writer already finished"
            );
        }
        // The streaming reader in odd pieces gives the data back.
        let mut r = ContainerReader::new(options(&[("key", key_js(1))])).expect("reader");
        let mut got = Vec::new();
        for c in whole.chunks(333) {
            got.extend(payloads(&r.push(&js(c)).expect("push")).concat());
        }
        r.finish().expect("complete");
        assert_eq!(got, data, "{compression}");
    }
}

/// xorshift noise: incompressible.
fn noise(len: usize, mut x: u32) -> Vec<u8> {
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

#[wasm_bindgen_test]
fn incompressible_data_compresses_into_valid_frames() {
    let data = noise(300_000, 2_463_534_242);
    let cases: [&[(&str, JsValue)]; 5] = [
        &[
            ("compression", JsValue::from_str("deflate")),
            ("level", num(0.0)),
        ],
        &[
            ("compression", JsValue::from_str("deflate")),
            ("level", num(1.0)),
        ],
        &[
            ("compression", JsValue::from_str("deflate")),
            ("level", num(10.0)),
        ],
        &[("compression", JsValue::from_str("lz4"))],
        &[
            ("compression", JsValue::from_str("lz4")),
            ("key", key_js(7)),
        ],
    ];
    for case in cases {
        let mut o = case.to_vec();
        o.push(("maxPlain", num(65536.0)));
        let packed = pack(&js(&data), options(&o)).expect("pack");
        let key: Vec<(&str, JsValue)> = case.iter().filter(|(k, _)| *k == "key").cloned().collect();
        assert_eq!(
            unpack(&packed.into(), options(&key))
                .ok()
                .map(|a| a.to_vec()),
            Some(data.clone())
        );
    }
}

#[wasm_bindgen_test]
fn sealed_container_failures_are_clear_and_release_nothing() {
    let data = vec![0x5A; 5000];
    let opts = options(&[
        ("key", key_js(9)),
        ("maxPlain", num(1024.0)),
        ("index", JsValue::FALSE),
    ]);
    let packed = pack(&js(&data), opts).expect("pack").to_vec();
    assert_eq!(
        message(unpack(&js(&packed), options(&[("key", key_js(8))]))),
        "unpack: authentication failed"
    );
    // A wrong key releases nothing, not even the first frame, in streaming.
    let mut r = ContainerReader::new(options(&[("key", key_js(8))])).expect("reader");
    assert_eq!(
        message(r.push(&js(&packed))),
        "ContainerReader.push: authentication failed"
    );
    assert_eq!(
        message(r.finish()),
        "ContainerReader.finish: authentication failed"
    );

    // Swap two frames of the same length: reordering fails authentication.
    let preamble = 32;
    let frame = 4 + 4 + 1024 + 16;
    let mut swapped = packed.clone();
    swapped[preamble..preamble + frame]
        .copy_from_slice(&packed[preamble + frame..preamble + 2 * frame]);
    swapped[preamble + frame..preamble + 2 * frame]
        .copy_from_slice(&packed[preamble..preamble + frame]);
    assert_eq!(
        message(unpack(&js(&swapped), options(&[("key", key_js(9))]))),
        "unpack: authentication failed"
    );
    // Dropping the final frame (5000 = 4 x 1024 + 904: its frame is 4 + 4 +
    // 904 + 16 bytes, before the 36-byte end section) is truncation, with the
    // end section or without it.
    let end = packed.len() - 36;
    let last = end - (4 + 4 + 904 + 16);
    assert_eq!(
        message(unpack(&js(&packed[..last]), options(&[("key", key_js(9))]))),
        "unpack: container truncated"
    );
    let mut dropped = packed[..last].to_vec();
    dropped.extend_from_slice(&packed[end..]);
    assert_eq!(
        message(unpack(&js(&dropped), options(&[("key", key_js(9))]))),
        "unpack: container truncated"
    );
    let mut extra = packed.clone();
    extra.push(0);
    assert_eq!(
        message(unpack(&js(&extra), options(&[("key", key_js(9))]))),
        "unpack: data after the end of the container"
    );
    assert_eq!(
        message(unpack(&js(&packed), options(&[("key", js(&[1; 16]))]))),
        "unpack options.key must be 32 bytes, got 16"
    );
    assert_eq!(
        message(unpack(&js(&packed), None)),
        "unpack: container is sealed and no key was given"
    );
    assert_eq!(
        message(pack(&js(b"x"), options(&[("streamNonce", js(&[0; 16]))]))),
        "pack options: streamNonce needs a key (only sealed containers have one)"
    );
    // Still works afterwards.
    assert_eq!(
        unpack(&js(&packed), options(&[("key", key_js(9))]))
            .ok()
            .map(|a| a.to_vec()),
        Some(data)
    );
}

#[wasm_bindgen_test]
fn generated_keys_are_random() {
    let a = generate_key().expect("key").to_vec();
    let b = generate_key().expect("key").to_vec();
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
}

/// The shared vectors of `tests/vectors/` (see its README): `(name, stream, payloads)`.
macro_rules! vectors {
    ($($name:literal),* $(,)?) => {
        &[$((
            $name,
            include_bytes!(concat!("../../tests/vectors/", $name, ".bin")).as_slice(),
            include_bytes!(concat!("../../tests/vectors/", $name, ".payloads")).as_slice(),
        )),*]
    };
}

const FRAME_VECTORS: &[(&str, &[u8], &[u8])] = vectors!(
    "frames-none",
    "frames-crc16",
    "frames-crc32",
    "frames-crc32c",
    "frames-xxh3",
    "cobs-none",
    "cobs-crc16",
    "cobs-crc32",
    "cobs-crc32c",
    "cobs-xxh3",
);

/// Every `container-*` and `edge-*` vector.
const CONTAINER_VECTORS: &[(&str, &[u8], &[u8])] = vectors!(
    "container-deflate-crc16",
    "container-deflate-crc32",
    "container-deflate-crc32c",
    "container-deflate-index-crc16",
    "container-deflate-index-crc32",
    "container-deflate-index-crc32c",
    "container-deflate-index-none",
    "container-deflate-index-xxh3",
    "container-deflate-none",
    "container-deflate-sealed-crc16",
    "container-deflate-sealed-crc32",
    "container-deflate-sealed-crc32c",
    "container-deflate-sealed-index-crc16",
    "container-deflate-sealed-index-crc32",
    "container-deflate-sealed-index-crc32c",
    "container-deflate-sealed-index-none",
    "container-deflate-sealed-index-xxh3",
    "container-deflate-sealed-none",
    "container-deflate-sealed-xxh3",
    "container-deflate-xxh3",
    "container-lz4-crc16",
    "container-lz4-crc32",
    "container-lz4-crc32c",
    "container-lz4-index-crc16",
    "container-lz4-index-crc32",
    "container-lz4-index-crc32c",
    "container-lz4-index-none",
    "container-lz4-index-xxh3",
    "container-lz4-none",
    "container-lz4-sealed-crc16",
    "container-lz4-sealed-crc32",
    "container-lz4-sealed-crc32c",
    "container-lz4-sealed-index-crc16",
    "container-lz4-sealed-index-crc32",
    "container-lz4-sealed-index-crc32c",
    "container-lz4-sealed-index-none",
    "container-lz4-sealed-index-xxh3",
    "container-lz4-sealed-none",
    "container-lz4-sealed-xxh3",
    "container-lz4-xxh3",
    "container-none-crc16",
    "container-none-crc32",
    "container-none-crc32c",
    "container-none-index-crc16",
    "container-none-index-crc32",
    "container-none-index-crc32c",
    "container-none-index-none",
    "container-none-index-xxh3",
    "container-none-none",
    "container-none-sealed-crc16",
    "container-none-sealed-crc32",
    "container-none-sealed-crc32c",
    "container-none-sealed-index-crc16",
    "container-none-sealed-index-crc32",
    "container-none-sealed-index-crc32c",
    "container-none-sealed-index-none",
    "container-none-sealed-index-xxh3",
    "container-none-sealed-none",
    "container-none-sealed-xxh3",
    "container-none-xxh3",
    "edge-empty-stream",
    "edge-max-plain-deflate-sealed",
    "edge-max-plain-deflate",
    "edge-max-plain-lz4-sealed",
    "edge-max-plain-lz4",
    "edge-sealed-only-final",
);

/// `<u32 LE length><bytes>` records of a `.payloads` file.
fn parse_payloads(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((len, rest)) = b.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let (p, rest) = rest.split_at(len);
        out.push(p.to_vec());
        b = rest;
    }
    out
}

/// The vectors' master key (`00 01 .. 1f`) and stream nonce (`40 .. 4f`).
fn vector_key() -> JsValue {
    js(&core::array::from_fn::<u8, 32, _>(|i| {
        u8::try_from(i).expect("< 32")
    }))
}
fn vector_nonce() -> JsValue {
    js(&core::array::from_fn::<u8, 16, _>(|i| {
        0x40 + u8::try_from(i).expect("< 16")
    }))
}

/// The writer options of a container vector, from its name (see
/// tests/vectors/README.md): `container-<compression>[-sealed][-index]-<checksum>`,
/// or an `edge-*` vector (crc32c, with the index). `maxPlain` is 1024.
fn vector_options(name: &str) -> (Vec<(&'static str, JsValue)>, bool) {
    let sealed = name.contains("-sealed");
    let (checksum, compression, index) = if let Some(rest) = name.strip_prefix("container-") {
        let (format, checksum) = rest.rsplit_once('-').expect("format-checksum");
        let compression = format.split('-').next().expect("compression");
        (
            checksum.to_owned(),
            compression.to_owned(),
            format.contains("-index"),
        )
    } else {
        let compression = if name.contains("deflate") {
            "deflate"
        } else if name.contains("lz4") {
            "lz4"
        } else {
            "none"
        };
        ("crc32c".to_owned(), compression.to_owned(), true)
    };
    let mut o = vec![
        ("checksum", JsValue::from_str(&checksum)),
        ("compression", JsValue::from_str(&compression)),
        ("maxPlain", num(1024.0)),
        ("index", JsValue::from_bool(index)),
    ];
    if sealed {
        o.push(("key", vector_key()));
        o.push(("streamNonce", vector_nonce()));
    }
    (o, sealed)
}

#[wasm_bindgen_test]
fn frame_vectors_decode_identically_and_encode_to_the_same_bytes() {
    assert_eq!(FRAME_VECTORS.len(), 10);
    for &(name, wire, payload_file) in FRAME_VECTORS {
        let want = parse_payloads(payload_file);
        let (format, kind) = name.rsplit_once('-').expect("format-checksum");
        let opts = || {
            options(&[
                ("checksum", JsValue::from_str(kind)),
                ("maxFrameLen", num(1024.0)),
            ])
        };
        let mut encoded = Vec::new();
        let mut got = Vec::new();
        if format == "frames" {
            let mut enc = FrameEncoder::new(opts()).expect("encoder");
            for p in &want {
                encoded.extend(enc.encode(&js(p)).expect("encode").to_vec());
            }
            // Byte by byte, the hardest split, and whole.
            for step in [1, wire.len()] {
                let mut dec = FrameDecoder::new(opts()).expect("decoder");
                let mut all = Vec::new();
                for b in wire.chunks(step) {
                    all.extend(payloads(&dec.push(&js(b)).expect("push")));
                }
                dec.finish().expect("clean end");
                got = all;
                assert_eq!(got, want, "{name} step {step}");
            }
        } else {
            let mut enc = CobsEncoder::new(opts()).expect("encoder");
            for p in &want {
                encoded.extend(enc.encode(&js(p)).expect("encode").to_vec());
            }
            let mut dec = CobsDecoder::new(opts()).expect("decoder");
            for b in wire.chunks(7) {
                got.extend(payloads(&dec.push(&js(b)).expect("push")));
            }
            dec.finish().expect("clean end");
            assert_eq!(dec.rejected(), 0, "{name}");
        }
        assert_eq!(got, want, "{name}: decoded payloads");
        assert_eq!(encoded, wire, "{name}: encoded bytes");
    }
}

#[wasm_bindgen_test]
fn container_vectors_decode_identically_and_encode_to_the_same_bytes() {
    assert_eq!(CONTAINER_VECTORS.len(), 66);
    for &(name, wire, payload_file) in CONTAINER_VECTORS {
        let want = parse_payloads(payload_file);
        let (w, sealed) = vector_options(name);
        // One frame per payload; sealed, the last one is the final frame.
        let mut writer = ContainerWriter::new(options(&w)).expect("writer");
        let mut encoded = Vec::new();
        for (i, p) in want.iter().enumerate() {
            let last = sealed && i + 1 == want.len();
            let frame = writer
                .write_frame(&js(p), Some(JsValue::from_bool(last)))
                .expect("frame");
            encoded.extend(frame.to_vec());
        }
        encoded.extend(writer.finish().expect("finish").to_vec());
        assert_eq!(encoded, wire, "{name}: encoded bytes");
        if want.iter().all(|p| p.len() == 1024) {
            // Full frames: pack cuts the same frames, the last one final.
            assert_eq!(
                pack(&js(&want.concat()), options(&w))
                    .expect("pack")
                    .to_vec(),
                wire,
                "{name}: pack"
            );
        }

        let r = || {
            if sealed {
                options(&[("key", vector_key())])
            } else {
                None
            }
        };
        for step in [1, 5, 300, wire.len().max(1)] {
            let mut reader = ContainerReader::new(r()).expect("reader");
            let mut got = Vec::new();
            for b in wire.chunks(step) {
                got.extend(payloads(&reader.push(&js(b)).expect("push")));
            }
            reader.finish().expect("complete");
            assert_eq!(got, want, "{name} step {step}: decoded payloads");
        }
        // The one-shot form gives the payloads concatenated.
        assert_eq!(
            unpack(&js(wire), r()).expect("unpack").to_vec(),
            want.concat(),
            "{name}: unpack"
        );
    }
}

/// A few vectors for the exhaustive truncation and trailing-data tests.
fn some_vectors() -> impl Iterator<Item = (&'static str, &'static [u8], Vec<Vec<u8>>)> {
    [
        "container-none-crc32",
        "container-deflate-sealed-index-crc32c",
        "container-lz4-index-xxh3",
        "container-none-sealed-none",
        "edge-empty-stream",
        "edge-sealed-only-final",
    ]
    .into_iter()
    .map(|n| {
        let &(name, wire, p) = CONTAINER_VECTORS.iter().find(|v| v.0 == n).expect("vector");
        (name, wire, parse_payloads(p))
    })
}

#[wasm_bindgen_test]
fn every_truncation_is_refused_at_frame_boundaries_too() {
    for (name, wire, want) in some_vectors() {
        let (_, sealed) = vector_options(name);
        let r = || {
            if sealed {
                options(&[("key", vector_key())])
            } else {
                None
            }
        };
        for cut in 0..wire.len() {
            let part = &wire[..cut];
            assert_eq!(
                message(unpack(&js(part), r())),
                "unpack: container truncated",
                "{name} cut at {cut}"
            );
            // Streaming, in two pieces: what comes out is a prefix of the
            // payloads, and finish() refuses the end.
            let mut reader = ContainerReader::new(r()).expect("reader");
            let mut got = Vec::new();
            let (a, b) = part.split_at(cut / 2);
            got.extend(payloads(&reader.push(&js(a)).expect("push")));
            got.extend(payloads(&reader.push(&js(b)).expect("push")));
            assert!(
                got.len() <= want.len() && got[..] == want[..got.len()],
                "{name} cut at {cut}"
            );
            assert_eq!(
                message(reader.finish()),
                "ContainerReader.finish: container truncated",
                "{name} cut at {cut}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn every_bit_flip_is_detected() {
    // With a CRC (unsealed) or sealing, any flipped bit of the stream fails:
    // preamble CRC, frame checksum or authentication, lengths, end section.
    for name in [
        "container-deflate-index-crc32",
        "container-lz4-sealed-index-none",
    ] {
        let &(_, wire, _) = CONTAINER_VECTORS
            .iter()
            .find(|v| v.0 == name)
            .expect("vector");
        let (_, sealed) = vector_options(name);
        for bit in 0..wire.len() * 8 {
            let mut w = wire.to_vec();
            w[bit / 8] ^= 1 << (bit % 8);
            let r = if sealed {
                options(&[("key", vector_key())])
            } else {
                None
            };
            assert!(unpack(&js(&w), r).is_err(), "{name} bit {bit}");
        }
    }
}

#[wasm_bindgen_test]
fn data_after_the_end_section_is_refused() {
    for (name, wire, _) in some_vectors() {
        let (_, sealed) = vector_options(name);
        let r = || {
            if sealed {
                options(&[("key", vector_key())])
            } else {
                None
            }
        };
        for extra in [&[0u8][..], b"SSTM", wire] {
            let mut w = wire.to_vec();
            w.extend_from_slice(extra);
            assert_eq!(
                message(unpack(&js(&w), r())),
                "unpack: data after the end of the container",
                "{name}"
            );
            // Streaming: in its own push too.
            let mut reader = ContainerReader::new(r()).expect("reader");
            reader.push(&js(wire)).expect("push");
            assert_eq!(
                message(reader.push(&js(extra))),
                "ContainerReader.push: data after the end of the container",
                "{name}"
            );
        }
    }
}

#[wasm_bindgen_test]
fn reader_limits_and_header() {
    // 2 MiB frames: the default reader (16 MiB limit) takes them; a reader
    // limited to 1 MiB refuses the header before allocating anything.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let packed = pack(
        &js(&data),
        options(&[
            ("key", key_js(4)),
            ("maxPlain", num(2_097_152.0)),
            ("compression", JsValue::from_str("lz4")),
        ]),
    )
    .expect("pack");
    let mut r = ContainerReader::new(options(&[("key", key_js(4))])).expect("reader");
    assert!(r.header().is_undefined());
    let wire = packed.to_vec();
    let mut got = Vec::new();
    for c in wire.chunks(100_000) {
        got.extend(payloads(&r.push(&js(c)).expect("push")).concat());
    }
    r.finish().expect("complete");
    assert_eq!(got, data);
    let header = r.header();
    let field = |k: &str| Reflect::get(&header, &JsValue::from_str(k)).expect("field");
    assert_eq!(field("maxPlain").as_f64(), Some(2_097_152.0));
    assert_eq!(field("compression").as_string().as_deref(), Some("lz4"));
    assert_eq!(field("checksum").as_string().as_deref(), Some("crc32c"));
    assert_eq!(field("sealed").as_bool(), Some(true));
    assert_eq!(
        message(unpack(
            &packed.into(),
            options(&[("key", key_js(4)), ("readLimit", num(1_048_576.0))])
        )),
        "unpack: the stream's frames hold up to 2097152 bytes, above this reader's limit of 1048576"
    );
    // A preamble cut short is truncation, not a hang or a panic.
    let mut r = ContainerReader::new(None).expect("reader");
    assert_eq!(r.push(&js(b"SSTM\x02")).expect("push").length(), 0);
    assert_eq!(
        message(r.finish()),
        "ContainerReader.finish: container truncated"
    );
    assert_eq!(
        message(
            ContainerReader::new(None)
                .expect("reader")
                .push(&js(&[0; 40]))
        ),
        "ContainerReader.push: not a secstream container (bad magic)"
    );
    assert_eq!(
        message(unpack(&js(b"SSTM\x01\x03\x00\x00"), None)),
        "unpack: container version 1 is no longer read; re-pack it with the release that wrote it"
    );
}

/// Bytes of wasm memory.
fn memory_len() -> f64 {
    let m: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    m.buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length()
        .into()
}

#[wasm_bindgen_test]
fn decoders_allocate_on_demand() {
    // 32 frame decoders of the largest maxFrameLen, and 32 readers that read
    // the header of a stream of 16 MiB frames: buffers allocated up front
    // would take 2 x 512 MiB.
    let wire = pack(&js(b"small"), options(&[("maxPlain", num(16_777_216.0))]))
        .expect("pack")
        .to_vec();
    let frame = core_frame(ChecksumKind::Crc32c, &[7; 1000]);
    let before = memory_len();
    let mut decoders: Vec<FrameDecoder> = (0..32)
        .map(|_| FrameDecoder::new(options(&[("maxFrameLen", num(16_777_216.0))])).expect("dec"))
        .collect();
    let mut readers: Vec<ContainerReader> = (0..32)
        .map(|_| ContainerReader::new(None).expect("reader"))
        .collect();
    for r in &mut readers {
        r.push(&js(&wire[..20])).expect("push");
        assert!(!r.header().is_undefined());
    }
    for d in &mut decoders {
        // A frame in pieces gets a buffer of its own length.
        assert_eq!(d.push(&js(&frame[..500])).expect("push").length(), 0);
    }
    let grown = memory_len() - before;
    assert!(
        grown < 64.0 * 1024.0 * 1024.0,
        "wasm memory grew by {grown} bytes"
    );
    for d in &mut decoders {
        let got = payloads(&d.push(&js(&frame[500..])).expect("push"));
        assert_eq!(got, [vec![7; 1000]]);
    }
    for r in &mut readers {
        let got = payloads(&r.push(&js(&wire[20..])).expect("push"));
        assert_eq!(got, [b"small".to_vec()]);
        r.finish().expect("complete");
    }
}

#[wasm_bindgen_test]
fn writer_options_are_checked() {
    let cases: [(&[(&str, JsValue)], &str); 6] = [
        (
            &[("compression", JsValue::from_str("zstd"))],
            "pack options.compression: unknown compression \"zstd\" (expected one of none, deflate, lz4)",
        ),
        (
            &[("compression", JsValue::TRUE)],
            "pack options.compression must be a compression name (none, deflate, lz4), got boolean",
        ),
        (
            &[
                ("compression", JsValue::from_str("lz4")),
                ("level", num(3.0)),
            ],
            "pack options.level applies to compression \"deflate\" only",
        ),
        (
            &[("maxPlain", num(0.0))],
            "pack options.maxPlain must be at least 1",
        ),
        (
            &[("index", num(1.0))],
            "pack options.index must be a boolean",
        ),
        (
            &[("deflate", JsValue::TRUE)],
            "pack options: unknown option \"deflate\" (expected checksum, maxPlain, compression, level, index, key, streamNonce)",
        ),
    ];
    for (o, want) in cases {
        assert_eq!(message(pack(&js(b"x"), options(o))), want);
    }
    assert_eq!(
        message(unpack(&js(b""), options(&[("maxFrameLen", num(10.0))]))),
        "unpack options: unknown option \"maxFrameLen\" (expected key, readLimit)"
    );
    assert_eq!(
        message(unpack(&js(b""), options(&[("readLimit", num(0.0))]))),
        "unpack options.readLimit must be at least 1"
    );
}

#[wasm_bindgen_test]
fn write_frame_refuses_an_oversized_payload_and_stays_usable() {
    let mut w = ContainerWriter::new(options(&[("maxPlain", num(64.0))])).expect("writer");
    assert_eq!(w.max_plain(), 64);
    assert_eq!(
        message(w.write_frame(&js(&[1; 65]), None)),
        "ContainerWriter.writeFrame: frame plaintext longer than max_plain"
    );
    let mut out = w.write_frame(&js(b"fits"), None).expect("frame").to_vec();
    out.extend(
        w.write_frame(&js(b"last"), Some(JsValue::TRUE))
            .expect("last")
            .to_vec(),
    );
    assert_eq!(
        message(w.write_frame(&js(b"more"), None)),
        "ContainerWriter.writeFrame: the last frame was written; only finish() may follow"
    );
    out.extend(w.finish().expect("finish").to_vec());
    assert_eq!(
        unpack(&js(&out), None).expect("unpack").to_vec(),
        b"fitslast"
    );
}
