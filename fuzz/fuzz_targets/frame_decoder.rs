//! Length-prefixed frame decoder (`frame::Decoder`), fed in input-chosen chunk
//! sizes, compared with one whole-buffer feed of the same bytes.
//!
//! Config bytes pick the checksum kind, the maximum length, the decoder buffer
//! size, the chunk sizes and whether `feed` or `feed_mut` is used. In "encode"
//! mode the rest of the input is a list of payloads that `encode_into` turns
//! into frames (then one input-chosen bit may be flipped or the stream cut), so
//! valid checksums are common; otherwise the rest is raw wire bytes. Checks: no
//! panic; both feeds give the same payloads and the same final result; a
//! failed decoder keeps failing; undamaged encoded streams decode to exactly
//! their payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::ChecksumKind;
use secstream_core::frame::{self, Decoder, Error, Feed, FeedMut};

/// Everything a decode produced: the payloads, then how it ended.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    payloads: Vec<Vec<u8>>,
    end: Result<(), Error>,
}

fn decode(
    kind: ChecksumKind,
    max_len: u32,
    buf_len: usize,
    wire: &[u8],
    chunks: &[usize],
    mutable: bool,
) -> Outcome {
    let mut dec = Decoder::new(kind, max_len, vec![0u8; buf_len]);
    let mut payloads = Vec::new();
    let mut rest = wire;
    let mut sizes = chunks.iter().copied().cycle();
    let end = 'outer: loop {
        if rest.is_empty() {
            break dec.finish();
        }
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let mut owned = chunk.to_vec();
        let mut input: &mut [u8] = &mut owned;
        loop {
            let len = input.len();
            let step = if mutable {
                match dec.feed_mut(input) {
                    Ok(FeedMut::NeedMore) => None,
                    Ok(FeedMut::Frame { payload, consumed }) => {
                        // A mutable payload may be changed in place (decrypted).
                        payloads.push(payload.to_vec());
                        payload.iter_mut().for_each(|b| *b = !*b);
                        Some(consumed)
                    }
                    Err(e) => break 'outer Err(e),
                }
            } else {
                match dec.feed(input) {
                    Ok(Feed::NeedMore) => None,
                    Ok(Feed::Frame { payload, consumed }) => {
                        payloads.push(payload.to_vec());
                        Some(consumed)
                    }
                    Err(e) => break 'outer Err(e),
                }
            };
            let Some(consumed) = step else { break };
            assert!(
                consumed > 0 && consumed <= len,
                "consumed {consumed} of {len}"
            );
            input = &mut input[consumed..];
            if input.is_empty() {
                break;
            }
        }
    };
    if let Err(e) = end {
        // A failed decoder stays failed until reset.
        assert_eq!(dec.feed(&[0; 16]), Err(e));
        assert_eq!(dec.finish(), Err(e));
        dec.reset();
        assert!(dec.is_idle());
    }
    let limit = dec.max_payload_len();
    assert!(payloads.iter().all(|p| p.len() <= limit));
    Outcome { payloads, end }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (cfg, body) = data.split_at(4);
    let kind = ChecksumKind::ALL[usize::from(cfg[0] % 5)];
    let encode = cfg[0] & 0x80 != 0;
    let mutable = cfg[0] & 0x40 != 0;
    let max_len = [0u32, 1, 7, 64, 300, u32::MAX][usize::from(cfg[1] % 6)];
    let buf_len = [0usize, 3, 64, 512][usize::from(cfg[1] / 6 % 4)];
    // Chunk sizes 0..=15 (0: an empty feed) from two nibbles each of cfg[2..4],
    // or one byte at a time.
    let chunks: Vec<usize> = if cfg[2] == 0 {
        vec![1]
    } else {
        cfg[2..]
            .iter()
            .flat_map(|b| [usize::from(b & 15), usize::from(b >> 4)])
            .collect()
    };

    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut damaged = false;
    if encode {
        // body := (len:u8 payload)* then an optional damage spec of 3 bytes.
        let mut p = body;
        while let Some((&n, rest)) = p.split_first() {
            if n == 0xff && rest.len() >= 3 {
                let (at, cut) = (usize::from(u16::from_le_bytes([rest[0], rest[1]])), rest[2]);
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
            let (payload, after) = rest.split_at(usize::from(n).min(rest.len()));
            let mut out = vec![0u8; frame::encoded_len(kind, payload.len())];
            let len = frame::encode_into(kind, payload, &mut out).expect("exact room");
            assert_eq!(len, out.len());
            assert_eq!(
                frame::header(kind, payload).unwrap().as_bytes(),
                &out[..frame::header_len(kind)]
            );
            assert!(frame::encode_into(kind, payload, &mut out[..len - 1]).is_err());
            wire.extend_from_slice(&out);
            sent.push(payload.to_vec());
            p = after;
        }
    } else {
        wire.extend_from_slice(body);
    }

    let whole = decode(kind, max_len, buf_len, &wire, &[wire.len()], false);
    let chunked = decode(kind, max_len, buf_len, &wire, &chunks, mutable);
    assert_eq!(whole, chunked, "chunking changed the result");

    if encode && !damaged {
        let limit = usize::try_from(max_len).unwrap_or(usize::MAX).min(buf_len);
        let fit = sent.iter().take_while(|p| p.len() <= limit).count();
        assert_eq!(whole.payloads, sent[..fit]);
        let want = if fit == sent.len() {
            Ok(())
        } else {
            Err(Error::FrameTooLong)
        };
        assert_eq!(whole.end, want);
    }
});
