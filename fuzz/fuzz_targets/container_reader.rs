//! Container reader (`container::Reader`), unsealed and sealed with a fixed key.
//!
//! Config bytes pick the mode (unsealed with an inflater, sealed with the fixed
//! key, or the keyless verifier), the reader buffer size and the chunk sizes.
//! Raw mode feeds the rest of the input as a stream. Encode mode writes the
//! payloads of the input with `container::Writer` (checksum, deflate and
//! maximum length from the input; sealed with the fixed key and nonce), then
//! may flip one bit or cut the stream. Checks: no panic; chunking does not
//! change the result; undamaged streams read back exactly; a damaged sealed
//! stream always ends in an error and never releases a payload that was not
//! written at that place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{Error, Feed, Header, Reader, Writer};
use secstream_core::deflate::{Inflate, Inflater};
use secstream_core::seal::MasterKey;

const KEY: [u8; 32] = [0x5A; 32];
const NONCE: [u8; 16] = [0xC3; 16];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Open,
    Sealed,
    Verify,
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    payloads: Vec<Vec<u8>>,
    end: Result<(), Error>,
}

fn run<I: Inflate>(mut r: Reader<Vec<u8>, I>, wire: &[u8], chunks: &[usize]) -> Outcome {
    let mut payloads = Vec::new();
    let mut rest = wire;
    let mut sizes = chunks.iter().copied().cycle();
    let end = 'outer: loop {
        if rest.is_empty() {
            break r.finish();
        }
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let mut owned = chunk.to_vec();
        let mut input: &mut [u8] = &mut owned;
        loop {
            let len = input.len();
            match r.feed(input) {
                Ok(Feed::NeedMore) => break,
                Ok(Feed::Frame { payload, consumed }) => {
                    payloads.push(payload.to_vec());
                    assert!(
                        consumed > 0 && consumed <= len,
                        "consumed {consumed} of {len}"
                    );
                    input = &mut input[consumed..];
                }
                Err(e) => break 'outer Err(e),
            }
        }
    };
    if let Err(e) = end {
        let _ = e.to_string();
        // Any error is final.
        assert_eq!(r.feed(&mut [0u8; 8]), Err(e));
        assert_eq!(r.finish(), Err(e));
    }
    Outcome { payloads, end }
}

fn decode(mode: Mode, buf_len: usize, wire: &[u8], chunks: &[usize]) -> Outcome {
    let buf = vec![0u8; buf_len];
    match mode {
        Mode::Open => run(
            Reader::new(buf).with_inflater(Inflater::new(vec![0u8; buf_len])),
            wire,
            chunks,
        ),
        Mode::Sealed => run(
            Reader::new_sealed(buf, MasterKey::from_bytes(&KEY))
                .with_inflater(Inflater::new(vec![0u8; buf_len])),
            wire,
            chunks,
        ),
        Mode::Verify => run(Reader::verifier(buf), wire, chunks),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (cfg, body) = data.split_at(4);
    let mode = [Mode::Open, Mode::Sealed, Mode::Verify][usize::from(cfg[0] % 3)];
    let encode = cfg[0] & 0x80 != 0;
    let buf_len = [0usize, 40, 300, 4096][usize::from(cfg[1] & 3)];
    let chunks: Vec<usize> = if cfg[2] == 0 {
        vec![1]
    } else {
        vec![usize::from(cfg[2] & 15), usize::from(cfg[2] >> 4) * 7]
    };

    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut damaged = false;
    let mut header = None;
    if encode {
        let mut h = Header::new(
            ChecksumKind::ALL[usize::from(cfg[3] % 5)],
            [64u32, 300, 4096][usize::from(cfg[3] / 5 % 3)],
        );
        h.flags.deflate = cfg[1] & 4 != 0;
        let sealed = mode == Mode::Sealed || (mode == Mode::Verify && cfg[1] & 8 != 0);
        let mut w = if sealed {
            Writer::new_sealed(h, &MasterKey::from_bytes(&KEY), NONCE).unwrap()
        } else {
            Writer::new(h).unwrap()
        };
        header = Some(*w.header());
        let mut out = vec![0u8; 8192];
        let mut p = body;
        while let Some((&n, rest)) = p.split_first() {
            if n == 0xff && rest.len() >= 3 {
                let at = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
                let cut = rest[2];
                let m = w.finish(&mut out).unwrap();
                wire.extend_from_slice(&out[..m]);
                if !wire.is_empty() {
                    let at = at % wire.len();
                    if cut & 1 == 0 {
                        wire[at] ^= 1 << (cut >> 5);
                    } else {
                        wire.truncate(at);
                    }
                    damaged = true;
                }
                break;
            }
            // Payloads repeat their bytes so deflate has something to do.
            let (seed, after) = rest.split_at(usize::from(n & 31).min(rest.len()));
            p = after;
            let payload: Vec<u8> = seed
                .iter()
                .copied()
                .cycle()
                .take(seed.len() * usize::from(n >> 5 | 1))
                .collect();
            let before = w.max_encoded_len(payload.len());
            match w.encode_frame(&payload, &mut out) {
                Ok(m) => {
                    assert!(m <= before);
                    wire.extend_from_slice(&out[..m]);
                    sent.push(payload);
                }
                Err(Error::FrameTooLong) => assert!(payload.len() + 16 > 64),
                Err(e) => panic!("writer failed: {e:?}"),
            }
        }
        if !w.is_finished() {
            let m = w.finish(&mut out).unwrap();
            wire.extend_from_slice(&out[..m]);
        }
    } else {
        wire.extend_from_slice(body);
    }

    let whole = decode(mode, buf_len, &wire, &[wire.len()]);
    let chunked = decode(mode, buf_len, &wire, &chunks);
    assert_eq!(whole, chunked, "chunking changed the result");

    let Some(h) = header else { return };
    let sealed = h.flags.sealed;
    if mode == Mode::Verify {
        if !damaged {
            // The verifier hands out stored payloads; their number is known.
            if buf_len >= 4096 {
                assert_eq!(whole.end, Ok(()));
                assert_eq!(whole.payloads.len(), sent.len() + usize::from(sealed));
            }
        }
        return;
    }
    // Large enough buffers for every frame the writer could make.
    let roomy = usize::try_from(h.max_frame_len).unwrap() <= buf_len;
    if !damaged && roomy {
        assert_eq!(whole.payloads, sent);
        assert_eq!(whole.end, Ok(()));
    }
    if sealed {
        // Whatever the damage: what comes out was written there, and the stream fails.
        assert!(whole.payloads.len() <= sent.len());
        assert_eq!(whole.payloads, sent[..whole.payloads.len()]);
        if damaged {
            assert!(whole.end.is_err(), "damage not detected");
        }
    }
});
