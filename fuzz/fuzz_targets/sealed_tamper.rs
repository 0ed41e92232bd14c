//! Whole-frame tampering of sealed containers (structure-aware).
//!
//! The input writes two sealed streams under the same key with different
//! stream nonces (A, the victim, and B, the donor): checksum, compression,
//! `max_plain`, index and payloads from the input, the last payload of A
//! possibly in its final frame (else `finish` writes an empty one). The
//! streams are kept as units (preamble, each frame, end section), then the
//! input applies one to four whole-unit operations to A:
//! reorder two frames, drop a frame (the final frame too), duplicate a frame
//! to another place, splice in a frame of B (replacing or inserted), append
//! bytes after the end (garbage or all of B), replace the preamble with B's
//! or with A's nonce under another `max_plain`, drop or replace the end
//! section.
//!
//! Property: read with the key (whole, and in input-chosen chunks), a
//! stream whose bytes differ from what was written always ends in
//! `Authentication`, `Truncated`, `DataAfterFinal`, `TrailingData` or
//! `EndMismatch`, after releasing only a prefix of the payloads written
//! under its preamble (A's, or B's when B's preamble replaced A's: a prefix
//! of B is a prefix of a stream that was written); an unchanged one reads
//! back exactly. Bytes are appended only while an end section is there
//! (without one they would be read as the next frame's header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{Config, Error, Feed, Header, Reader, Writer};
use secstream_core::seal::MasterKey;

const KEY: [u8; 32] = [0x17; 32];
const NONCE_A: [u8; 16] = [0xA0; 16];
const NONCE_B: [u8; 16] = [0xB0; 16];

/// A written stream as units.
struct Units {
    preamble: Vec<u8>,
    frames: Vec<Vec<u8>>,
    end: Vec<u8>,
    payloads: Vec<Vec<u8>>,
}

impl Units {
    fn wire(&self) -> Vec<u8> {
        let mut w = self.preamble.clone();
        for f in &self.frames {
            w.extend_from_slice(f);
        }
        w.extend_from_slice(&self.end);
        w
    }
}

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

/// Writes a sealed stream of up to `count` payloads cut from `input`.
fn write(config: Config, index: bool, nonce: [u8; 16], count: u8, input: &mut &[u8]) -> Units {
    let mut w = Writer::new_sealed(config, &MasterKey::from_bytes(&KEY), nonce).unwrap();
    if index {
        w = w.with_index();
    }
    let mut pre = vec![0u8; w.preamble().len()];
    assert_eq!(w.start(&mut pre).unwrap(), pre.len());
    let mut frames = Vec::new();
    let mut payloads = Vec::new();
    let mut final_written = false;
    for _ in 0..count {
        let spec = take(input);
        let len = usize::from(spec & 15).min(input.len());
        let (seed, rest) = input.split_at(len);
        *input = rest;
        let repeat = usize::from(spec >> 5) * 10 + 1;
        let p: Vec<u8> = seed.iter().copied().cycle().take(len * repeat).collect();
        let p = &p[..p.len().min(config.max_plain as usize)];
        let mut out = vec![0u8; w.max_encoded_len(p.len())];
        let last = spec & 0x10 != 0;
        let n = if last {
            w.encode_last(p, &mut out).unwrap()
        } else {
            w.encode_frame(p, &mut out).unwrap()
        };
        frames.push(out[..n].to_vec());
        payloads.push(p.to_vec());
        if last {
            final_written = true;
            break;
        }
    }
    if !final_written {
        let mut out = vec![0u8; w.max_encoded_len(0)];
        let n = w.encode_last(&[], &mut out).unwrap();
        frames.push(out[..n].to_vec());
        payloads.push(Vec::new());
    }
    let mut end = vec![0u8; w.max_finish_len()];
    let n = w.finish(&mut end).unwrap();
    end.truncate(n);
    Units {
        preamble: pre,
        frames,
        end,
        payloads,
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    payloads: Vec<Vec<u8>>,
    end: Result<(), Error>,
}

fn read(wire: &[u8], chunk: usize) -> Outcome {
    let mut r = Reader::new_sealed(Vec::new(), MasterKey::from_bytes(&KEY))
        .lazy()
        .with_decompressor(Decompressor::new(vec![0u8; 4096]));
    let mut payloads = Vec::new();
    let mut wire = wire.to_vec();
    for c in wire.chunks_mut(chunk.max(1)) {
        let mut c = c;
        loop {
            let consumed = match r.feed(c) {
                Ok(Feed::NeedMore) => break,
                Ok(Feed::Header { consumed, .. } | Feed::End { consumed }) => consumed,
                Ok(Feed::NeedBuffer { len, consumed }) => {
                    r.replace_buffer(vec![0u8; len]).unwrap();
                    consumed
                }
                Ok(Feed::Frame { payload, consumed }) => {
                    payloads.push(payload.to_vec());
                    consumed
                }
                Err(e) => {
                    return Outcome {
                        payloads,
                        end: Err(e),
                    };
                }
            };
            c = &mut c[consumed..];
            if c.is_empty() {
                break;
            }
        }
    }
    Outcome {
        payloads,
        end: r.finish(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    let c = take(&mut input);
    let checksum = ChecksumKind::ALL[usize::from(c % 5)];
    let compression = Compression::ALL[usize::from(c / 5 % 3)];
    let index = c & 0x80 != 0;
    let max_plain = [16u32, 100, 1024][usize::from(take(&mut input) % 3)];
    let config = Config::new(checksum, max_plain).with_compression(compression);
    let counts = take(&mut input);
    let chunk = usize::from(take(&mut input) % 17) + 1;
    let a = write(config, index, NONCE_A, counts & 7, &mut input);
    let b = write(config, index, NONCE_B, (counts >> 3) & 7, &mut input);

    let mut pre = a.preamble.clone();
    let mut frames = a.frames.clone();
    let mut end = a.end.clone();
    let mut after = Vec::new();
    let ops = take(&mut input) % 4 + 1;
    for _ in 0..ops {
        let op = take(&mut input);
        let i = usize::from(take(&mut input));
        let j = usize::from(take(&mut input));
        let nf = frames.len();
        match op % 9 {
            0 if nf > 0 => frames.swap(i % nf, j % nf),
            1 if nf > 0 => {
                frames.remove(i % nf);
            }
            2 if nf > 0 => {
                let f = frames[i % nf].clone();
                frames.insert(j % (nf + 1), f);
            }
            3 if nf > 0 => frames[i % nf] = b.frames[j % b.frames.len()].clone(),
            4 => frames.insert(i % (nf + 1), b.frames[j % b.frames.len()].clone()),
            5 => after.extend(std::iter::repeat_n(op, j % 7 + 1)),
            6 => after.extend(b.wire()),
            7 if i & 1 == 0 => pre = b.preamble.clone(),
            7 => {
                // A's own nonce under a preamble with a larger `max_plain`
                // (valid CRC; every frame still parses): the preamble is
                // the frames' AAD.
                let other = Config {
                    max_plain: config.max_plain * 2,
                    ..config.with_sealed(true)
                };
                let h = Header {
                    config: other,
                    nonce: NONCE_A,
                };
                pre = h.to_preamble().as_bytes().to_vec();
            }
            _ => {
                if i & 1 == 0 {
                    end.clear();
                } else {
                    end = b.end.clone();
                }
            }
        }
    }
    if end.is_empty() {
        // Bytes after a removed end section are not after the end: they are
        // read as a frame header (whole-unit operations only).
        after.clear();
    }
    // The preamble decides which stream's frames can authenticate.
    let from = if pre == b.preamble { &b } else { &a };
    let mut wire = pre;
    for f in &frames {
        wire.extend_from_slice(f);
    }
    wire.extend_from_slice(&end);
    wire.extend_from_slice(&after);

    let whole = read(&wire, wire.len());
    let chunked = read(&wire, chunk);
    assert_eq!(whole, chunked, "chunking changed the result");
    if wire == from.wire() {
        assert_eq!(whole.end, Ok(()));
        assert_eq!(whole.payloads, from.payloads);
        return;
    }
    assert!(
        matches!(
            whole.end,
            Err(Error::Authentication
                | Error::Truncated
                | Error::DataAfterFinal
                | Error::TrailingData
                | Error::EndMismatch(_))
        ),
        "tampered stream ended in {:?}",
        whole.end
    );
    assert!(whole.payloads.len() <= from.payloads.len());
    assert_eq!(
        whole.payloads,
        from.payloads[..whole.payloads.len()],
        "released a payload out of place"
    );
});
