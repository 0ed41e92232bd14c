//! One flipped bit in one frame of a stream with a CRC (CRC-16, CRC-32 or
//! CRC-32C: each detects every single-bit error in the bytes it covers).
//!
//! The input picks the format, the checksum, the payloads, the frame `k` to
//! damage and the bit, and the chunk size the stream is fed in:
//! - raw length-prefixed frames (`frame::Decoder`): exactly the payloads
//!   before `k` come out, then `BadChecksum`;
//! - a container (unsealed, or sealed read with the key; any compression,
//!   with or without an index): exactly the payloads before `k`, then
//!   `Error::BadChecksum { frame: k }` (the checksum is checked before
//!   authentication and decompression);
//! - the same container through the keyless verifier: the same, the stored
//!   bytes of a sealed stream's frames before `k`;
//! - COBS frames (`cobs::Decoder`): every frame but `k` still comes out, in
//!   order (the decoder resynchronises at the next delimiter); the damaged
//!   frame's pieces are rejected or, at most two of them, come out as
//!   frames between its neighbours.
//!
//! The flipped bit lies in the checksum field or the stored payload of a
//! length-prefixed frame (a flipped length field changes which bytes the
//! checksum covers, so a CRC does not guarantee the error there: it is
//! `FrameTooLong`, `Truncated` or, almost always, `BadChecksum`; the
//! `container_*` targets check that such a stream never reads clean), and
//! anywhere but the delimiter of a COBS frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs;
use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{Config, Error, Feed, Reader, Writer};
use secstream_core::frame;
use secstream_core::seal::MasterKey;

const KEY: [u8; 32] = [0x29; 32];
const MAX_PLAIN: u32 = 2048;
const CRCS: [ChecksumKind; 3] = [
    ChecksumKind::Crc16,
    ChecksumKind::Crc32,
    ChecksumKind::Crc32c,
];

/// Takes the next input byte (0 when the input is used up).
fn take(input: &mut &[u8]) -> u8 {
    match input.split_first() {
        Some((&b, rest)) => {
            *input = rest;
            b
        }
        None => 0,
    }
}

/// Reads a container whole or in chunks; the payloads and how it ended.
fn read_container(
    mut r: Reader<Vec<u8>, Decompressor<Vec<u8>>>,
    wire: &[u8],
    chunk: usize,
) -> (Vec<Vec<u8>>, Result<(), Error>) {
    let mut out = Vec::new();
    let mut wire = wire.to_vec();
    for c in wire.chunks_mut(chunk) {
        let mut c = c;
        loop {
            let consumed = match r.feed(c) {
                Ok(Feed::NeedMore) => break,
                Ok(
                    Feed::Header { consumed, .. }
                    | Feed::End { consumed }
                    | Feed::NeedBuffer { consumed, .. },
                ) => consumed,
                Ok(Feed::Frame { payload, consumed }) => {
                    out.push(payload.to_vec());
                    consumed
                }
                Err(e) => return (out, Err(e)),
            };
            c = &mut c[consumed..];
            if c.is_empty() {
                break;
            }
        }
    }
    (out, r.finish())
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    let cfg = take(&mut input);
    let kind = CRCS[usize::from(cfg % 3)];
    let format = cfg / 3 % 4;
    let chunk = usize::from(take(&mut input) % 23) + 1;
    let damaged = usize::from(take(&mut input));
    let bit = usize::from(take(&mut input)) | usize::from(take(&mut input)) << 8;
    let opts = take(&mut input);

    // Payloads: a length byte, then the bytes (repeated for compression).
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    while !input.is_empty() && payloads.len() < 12 {
        let spec = take(&mut input);
        let len = usize::from(spec & 31).min(input.len());
        let (seed, rest) = input.split_at(len);
        input = rest;
        let times = usize::from(spec >> 5) * 9 + 1;
        payloads.push(seed.iter().copied().cycle().take(len * times).collect());
    }
    if payloads.is_empty() {
        return;
    }
    let k = damaged % payloads.len();

    match format {
        0 => {
            // Raw length-prefixed frames.
            let hlen = frame::header_len(kind);
            let mut wire = Vec::new();
            let mut at = 0;
            for (i, p) in payloads.iter().enumerate() {
                if i == k {
                    at = wire.len();
                }
                let mut f = vec![0u8; frame::encoded_len(kind, p.len())];
                let n = frame::encode_into(kind, p, &mut f).unwrap();
                wire.extend_from_slice(&f[..n]);
            }
            // Checksum field or payload of frame k.
            let span = hlen - frame::LEN_SIZE + payloads[k].len();
            let b = bit % (span * 8);
            wire[at + frame::LEN_SIZE + b / 8] ^= 1 << (b % 8);
            let mut dec = frame::Decoder::new(kind, MAX_PLAIN, vec![0u8; MAX_PLAIN as usize]);
            let mut got = Vec::new();
            let mut end = Ok(());
            'feed: for mut c in wire.chunks(chunk) {
                loop {
                    match dec.feed(c) {
                        Ok(frame::Feed::NeedMore) => break,
                        Ok(frame::Feed::Frame { payload, consumed }) => {
                            got.push(payload.to_vec());
                            c = &c[consumed..];
                        }
                        Err(e) => {
                            end = Err(e);
                            break 'feed;
                        }
                    }
                }
            }
            assert_eq!(end, Err(frame::Error::BadChecksum));
            assert_eq!(got, payloads[..k], "payloads before the damage");
        }
        1 | 2 => {
            // A container: keyed (unsealed or sealed) or the verifier.
            let verify = format == 2;
            let sealed = opts & 1 != 0;
            let config = Config::new(kind, MAX_PLAIN)
                .with_compression(Compression::ALL[usize::from(opts >> 1) % 3])
                .with_sealed(sealed);
            let mut w = if sealed {
                Writer::new_sealed(config, &MasterKey::from_bytes(&KEY), [9; 16]).unwrap()
            } else {
                Writer::new(config).unwrap()
            };
            if opts & 0x80 != 0 {
                w = w.with_index();
            }
            let mut wire = vec![0u8; config.preamble_len()];
            w.start(&mut wire).unwrap();
            let mut frames = Vec::new();
            for (i, p) in payloads.iter().enumerate() {
                let mut out = vec![0u8; w.max_encoded_len(p.len())];
                let n = if sealed && i + 1 == payloads.len() {
                    w.encode_last(p, &mut out).unwrap()
                } else {
                    w.encode_frame(p, &mut out).unwrap()
                };
                frames.push((wire.len(), n));
                wire.extend_from_slice(&out[..n]);
            }
            let mut out = vec![0u8; w.max_finish_len()];
            let n = w.finish(&mut out).unwrap();
            wire.extend_from_slice(&out[..n]);
            let hlen = frame::header_len(kind);
            let (at, n) = frames[k];
            let span = n - frame::LEN_SIZE;
            let b = bit % (span * 8);
            // What a reader hands out for the frames before k.
            let before: Vec<Vec<u8>> = if verify && sealed {
                frames[..k]
                    .iter()
                    .map(|&(s, n)| wire[s + hlen..s + n].to_vec())
                    .collect()
            } else {
                payloads[..k].to_vec()
            };
            wire[at + frame::LEN_SIZE + b / 8] ^= 1 << (b % 8);
            let buf = vec![0u8; config.max_stored()];
            let r = if verify {
                Reader::verifier(buf)
            } else if sealed {
                Reader::new_sealed(buf, MasterKey::from_bytes(&KEY))
            } else {
                Reader::new(buf)
            };
            let r = r.with_decompressor(Decompressor::new(vec![0u8; MAX_PLAIN as usize]));
            let (got, end) = read_container(r, &wire, chunk);
            assert_eq!(end, Err(Error::BadChecksum { frame: k as u64 }));
            assert_eq!(got, before, "payloads before the damage");
        }
        _ => {
            // COBS frames.
            let mut wire = Vec::new();
            let mut spans = Vec::new();
            for p in &payloads {
                let mut f = vec![0u8; cobs::max_encoded_len(kind, p.len())];
                let n = cobs::encode_into(kind, p, &mut f).unwrap();
                spans.push((wire.len(), n));
                wire.extend_from_slice(&f[..n]);
            }
            // Anywhere in frame k but its delimiter.
            let (at, n) = spans[k];
            let b = bit % ((n - 1) * 8);
            wire[at + b / 8] ^= 1 << (b % 8);
            let mut dec = cobs::Decoder::new(kind, MAX_PLAIN, vec![0u8; MAX_PLAIN as usize + 8]);
            let mut got = Vec::new();
            for mut c in wire.chunks(chunk) {
                loop {
                    match dec.feed(c) {
                        cobs::Feed::NeedMore => break,
                        cobs::Feed::Frame { payload, consumed } => {
                            got.push(payload.to_vec());
                            c = &c[consumed..];
                        }
                        cobs::Feed::Rejected { consumed, .. } => c = &c[consumed..],
                    }
                }
            }
            assert_eq!(dec.finish(), Ok(()), "every frame ends in its delimiter");
            let after = &payloads[k + 1..];
            assert!(got.len() >= k + after.len(), "an untouched frame was lost");
            assert_eq!(got[..k], payloads[..k], "frames before the damage");
            assert_eq!(
                got[got.len() - after.len()..],
                *after,
                "frames after the damage"
            );
            assert!(
                got.len() - k - after.len() <= 2,
                "more than two pieces of one frame"
            );
        }
    }
});
