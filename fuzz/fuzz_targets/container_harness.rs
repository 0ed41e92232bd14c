//! The container reader harness shared by `container_reader` (compression
//! picked by the input), `container_deflate` and `container_lz4` (one
//! compression each, so each corpus stays on one decompressor).
//!
//! Input: 5 config bytes, then a body.
//! - byte 0: mode (unsealed with a decompressor, sealed with the fixed key,
//!   keyless verifier), encode or raw, lazy or fixed frame buffer;
//! - byte 1: buffer sizes, sealed-in-verify, index, damage kind;
//! - byte 2: chunk sizes;
//! - byte 3: checksum and `max_plain`;
//! - byte 4: compression (when the target does not fix it).
//!
//! Raw mode: a valid preamble made from the config (the fuzzer cannot be
//! expected to find its CRC-32C), then the body as frames and end section.
//! Encode mode: the payloads of the body written with `container::Writer`
//! (sealed with the fixed key and nonce when the mode calls for it), then
//! one optional damage: a bit flip, a cut, or bytes after the end.
//!
//! Checks: no panic; an error is final; chunking (and a lazy buffer) never
//! change the result; an undamaged stream reads back exactly (verifier: as
//! many stored frames); a cut stream is always `Truncated` after a prefix of
//! the payloads; bytes after the end are always `TrailingData` after all
//! of them; a damaged sealed stream always fails and releases only payloads
//! written at that place.

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{Config, Error, Feed, Header, Reader, Writer};
use secstream_core::seal::MasterKey;

pub const KEY: [u8; 32] = [0x5A; 32];
pub const NONCE: [u8; 16] = [0xC3; 16];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Open,
    Sealed,
    Verify,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub header: Option<Header>,
    pub payloads: Vec<Vec<u8>>,
    pub end: Result<(), Error>,
}

/// Feeds `wire` in chunks of the sizes in `chunks` (cycled, 0 meaning an
/// empty feed) and collects what the reader hands out.
pub fn run(
    mut r: Reader<Vec<u8>, Decompressor<Vec<u8>>>,
    wire: &[u8],
    chunks: &[usize],
) -> Outcome {
    let mut payloads = Vec::new();
    let mut header = None;
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
            let consumed = match r.feed(input) {
                Ok(Feed::NeedMore) => break,
                Ok(Feed::Header {
                    header: h,
                    consumed,
                }) => {
                    assert!(header.is_none(), "two headers");
                    assert_eq!(h.config.check(), Ok(()));
                    header = Some(h);
                    consumed
                }
                Ok(Feed::NeedBuffer {
                    len: want,
                    consumed,
                }) => {
                    let h = header.expect("a buffer request before the header");
                    assert!(want <= h.config.max_stored(), "asks for {want}");
                    let old = r.replace_buffer(vec![0u8; want]).expect("larger buffer");
                    assert!(old.iter().all(|&b| b == 0), "old buffer not wiped");
                    consumed
                }
                Ok(Feed::Frame { payload, consumed }) => {
                    let h = header.expect("a frame before the header");
                    assert!(payload.len() <= h.config.max_stored());
                    payloads.push(payload.to_vec());
                    assert!(consumed > 0, "a frame consumed nothing");
                    consumed
                }
                Ok(Feed::End { consumed }) => {
                    assert!(r.is_done());
                    consumed
                }
                Err(e) => break 'outer Err(e),
            };
            assert!(consumed <= len, "consumed {consumed} of {len}");
            input = &mut input[consumed..];
            if input.is_empty() {
                break;
            }
        }
    };
    match end {
        Err(e) => {
            let _ = e.to_string();
            // Any error is final.
            assert_eq!(r.feed(&mut [0u8; 8]).err(), Some(e));
            assert_eq!(r.finish(), Err(e));
        }
        Ok(()) => assert!(r.is_done()),
    }
    Outcome {
        header,
        payloads,
        end,
    }
}

/// A reader for `mode` with a frame buffer (empty when lazy) and a
/// decompressor output of `out_len` bytes.
pub fn reader(
    mode: Mode,
    lazy: bool,
    buf_len: usize,
    out_len: usize,
) -> Reader<Vec<u8>, Decompressor<Vec<u8>>> {
    let buf = vec![0u8; if lazy { 0 } else { buf_len }];
    let r = match mode {
        Mode::Open => Reader::new(buf),
        Mode::Sealed => Reader::new_sealed(buf, MasterKey::from_bytes(&KEY)),
        Mode::Verify => Reader::verifier(buf),
    };
    let r = r.with_decompressor(Decompressor::new(vec![0u8; out_len]));
    if lazy { r.lazy() } else { r }
}

/// How the stream was damaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Damage {
    None,
    Flip,
    Cut,
    Append,
}

/// Runs one input; `fixed` is the target's compression, if it has one.
pub fn fuzz(data: &[u8], fixed: Option<Compression>) {
    if data.len() < 5 {
        return;
    }
    let (cfg, body) = data.split_at(5);
    let mode = [Mode::Open, Mode::Sealed, Mode::Verify][usize::from(cfg[0] % 3)];
    let encode = cfg[0] & 0x80 != 0;
    let lazy = cfg[0] & 0x40 != 0;
    let buf_len = [0usize, 40, 300, 5000][usize::from(cfg[1] & 3)];
    let chunks: Vec<usize> = if cfg[2] == 0 {
        vec![1]
    } else {
        vec![usize::from(cfg[2] & 15), usize::from(cfg[2] >> 4) * 7]
    };
    let checksum = ChecksumKind::ALL[usize::from(cfg[3] % 5)];
    let max_plain = [64u32, 300, 4096][usize::from(cfg[3] / 5 % 3)];
    let compression = fixed.unwrap_or(Compression::ALL[usize::from(cfg[4] % 3)]);
    let sealed = mode == Mode::Sealed || (mode == Mode::Verify && cfg[1] & 8 != 0);
    let config = Config::new(checksum, max_plain)
        .with_compression(compression)
        .with_sealed(sealed);
    let out_len = max_plain as usize;

    let mut wire = Vec::new();
    let mut sent = Vec::new();
    let mut damage = Damage::None;
    if encode {
        let mut w = if sealed {
            Writer::new_sealed(config, &MasterKey::from_bytes(&KEY), NONCE).unwrap()
        } else {
            Writer::new(config).unwrap()
        };
        if cfg[1] & 16 != 0 {
            w = w.with_index();
        }
        // Small deflate levels too (0 writes stored blocks).
        w.set_level(cfg[4] >> 4);
        let mut p = body;
        let mut at_damage = None;
        while let Some((&n, rest)) = p.split_first() {
            if n == 0xff && rest.len() >= 3 {
                at_damage = Some((u16::from_le_bytes([rest[0], rest[1]]), rest[2]));
                break;
            }
            // Payloads repeat their bytes so the compressors have something to do.
            let (seed, after) = rest.split_at(usize::from(n & 31).min(rest.len()));
            p = after;
            let payload: Vec<u8> = seed
                .iter()
                .copied()
                .cycle()
                .take(seed.len() * (usize::from(n >> 5) * 40 + 1))
                .collect();
            let mut out = vec![0u8; w.max_encoded_len(payload.len())];
            let last = sealed && n & 0x10 != 0;
            let res = if last {
                w.encode_last(&payload, &mut out)
            } else {
                w.encode_frame(&payload, &mut out)
            };
            match res {
                Ok(m) => {
                    wire.extend_from_slice(&out[..m]);
                    sent.push(payload);
                    if last {
                        break;
                    }
                }
                Err(Error::PlainTooLong) => assert!(payload.len() > max_plain as usize),
                Err(e) => panic!("writer failed: {e:?}"),
            }
        }
        let mut out = vec![0u8; w.max_finish_len()];
        let m = w.finish(&mut out).unwrap();
        wire.extend_from_slice(&out[..m]);
        if sealed && sent.len() as u64 != w.frame_count() {
            // finish wrote the empty final frame.
            sent.push(Vec::new());
        }
        assert_eq!(w.frame_count(), sent.len() as u64);
        if let Some((at, how)) = at_damage {
            let at = usize::from(at) % wire.len();
            damage = match how & 3 {
                0 | 1 => {
                    wire[at] ^= 1 << (how >> 5);
                    Damage::Flip
                }
                2 => {
                    wire.truncate(at);
                    Damage::Cut
                }
                _ => {
                    wire.extend(std::iter::repeat_n(how, usize::from(how >> 2) + 1));
                    Damage::Append
                }
            };
        }
    } else {
        let header = if sealed {
            Header {
                config,
                nonce: NONCE,
            }
        } else {
            Header::new(config)
        };
        wire.extend_from_slice(header.to_preamble().as_bytes());
        wire.extend_from_slice(body);
    }

    let whole = run(reader(mode, false, 1 << 16, out_len), &wire, &[wire.len()]);
    let chunked = run(reader(mode, lazy, buf_len, out_len), &wire, &chunks);
    let roomy = lazy || buf_len >= config.max_stored();
    if roomy {
        assert_eq!(whole, chunked, "chunking changed the result");
    } else {
        // A frame buffer too small for a frame ends the chunked read early.
        assert!(chunked.payloads.len() <= whole.payloads.len());
        assert_eq!(chunked.payloads, whole.payloads[..chunked.payloads.len()]);
        if chunked.end.is_ok() {
            assert_eq!(whole, chunked);
        }
    }
    if !encode {
        return;
    }
    if let Some(h) = whole.header {
        // A flipped preamble bit fails its CRC-32C: a header that reads is ours.
        assert_eq!(h.config, config);
    }
    let stored = mode == Mode::Verify && sealed;
    let prefix = |o: &Outcome| {
        assert!(o.payloads.len() <= sent.len(), "more frames than written");
        if !stored {
            assert_eq!(
                o.payloads,
                sent[..o.payloads.len()],
                "a payload not written there"
            );
        }
    };
    match damage {
        Damage::None => {
            assert_eq!(whole.end, Ok(()));
            assert_eq!(whole.payloads.len(), sent.len());
            if !stored {
                assert_eq!(whole.payloads, sent);
            }
        }
        Damage::Cut => {
            assert_eq!(
                whole.end,
                Err(Error::Truncated),
                "a cut stream was not refused"
            );
            prefix(&whole);
        }
        Damage::Append => {
            assert_eq!(whole.end, Err(Error::TrailingData));
            assert_eq!(whole.payloads.len(), sent.len());
            prefix(&whole);
        }
        Damage::Flip => {
            if (sealed && mode == Mode::Sealed) || checksum != ChecksumKind::None {
                // The preamble and end section have CRC-32C, frames a
                // checksum or the seal: a flipped bit never reads clean
                // (the keyless verifier cannot see into a sealed frame).
                assert!(whole.end.is_err(), "a flipped bit went unnoticed");
            }
            if sealed && mode == Mode::Sealed {
                prefix(&whole);
            }
        }
    }
}
