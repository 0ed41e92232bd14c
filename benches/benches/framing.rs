//! Framing throughput at 64 B, 1 KiB and 64 KiB payloads, peers side by side.
//!
//! - `frame encode <checksum>` / `frame decode <checksum>`: the length-prefixed
//!   frame (`frame::encode_into`, `frame::Decoder`) against the limit, the bare
//!   checksum plus one memcpy over the same bytes, and (checksum none) against
//!   tokio-util's `LengthDelimitedCodec`. Every decode side first copies the
//!   wire bytes into its read buffer, as a socket read would (the codec's
//!   `BytesMut`, our read buffer, the limit's buffer), then decodes from there.
//!   `secstream Decoder, 2 reads` splits the frame in two feeds, so the payload
//!   is gathered in the decoder's buffer (one more copy).
//! - `sealed encode` / `sealed decode` (64 B to 1 MiB): the sealed container
//!   (`container::Writer` and `container::Reader`, checksum none, with the
//!   `ring` backend that `secstream` turns on) against bare `ring`
//!   ChaCha20-Poly1305 in place with a detached tag over the same bytes, and
//!   bare RustCrypto `chacha20poly1305` (the portable backend). Encoding copies
//!   the payload into the output (the writer's API), so the bare AEADs are shown
//!   without and with that copy. Decoding copies the stored frame into the read
//!   buffer on both sides (in-place decryption destroys it).
//! - `cobs encode` / `cobs decode`: COBS frames (checksum none) against the
//!   `cobs` crate: encode with delimiter; decode into another buffer (our
//!   streaming decoder, `cobs::decode`) and in place (both copy the frame into
//!   the work buffer first).
//!
//! Payloads are pseudo-random bytes (COBS: a zero about every 256 bytes).
//!
//! Run: `cargo bench -p secstream-benches --bench framing`.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{self, Config, FrameCodec, Header};
use secstream_core::seal::MasterKey;
use secstream_core::{cobs as sscobs, frame};
use tokio_util::codec::{Decoder as _, Encoder as _, LengthDelimitedCodec};

const SIZES: [usize; 3] = [64, 1024, 64 * 1024];
const SEALED_SIZES: [usize; 4] = [64, 1024, 64 * 1024, 1024 * 1024];

#[path = "../common/sealed.rs"]
mod sealed;
use sealed::{KEY, sealed_writer};

#[path = "../common/payload.rs"]
mod payload;
use payload::payload;

fn bytes_of(size: usize) -> Throughput {
    Throughput::Bytes(u64::try_from(size).unwrap())
}

fn frame_encode(c: &mut Criterion) {
    for kind in ChecksumKind::ALL {
        let mut group = c.benchmark_group(format!("frame encode {kind}"));
        for size in SIZES {
            let data = payload(size);
            let mut out = vec![0u8; frame::encoded_len(kind, size)];
            group.throughput(bytes_of(size));

            group.bench_function(BenchmarkId::new("checksum + memcpy (limit)", size), |b| {
                b.iter(|| {
                    let p = black_box(&data[..]);
                    let sum = kind.compute(p).to_le_bytes();
                    let hlen = frame::header_len(kind);
                    let (head, body) = out.split_at_mut(hlen);
                    head[..4].copy_from_slice(&u32::try_from(p.len()).unwrap().to_le_bytes());
                    head[4..].copy_from_slice(&sum[..kind.width()]);
                    body.copy_from_slice(p);
                    black_box(&mut out);
                });
            });

            group.bench_function(BenchmarkId::new("secstream encode_into", size), |b| {
                b.iter(|| {
                    let n = frame::encode_into(kind, black_box(&data), &mut out).unwrap();
                    black_box((&mut out, n));
                });
            });

            if kind == ChecksumKind::None {
                let mut codec = LengthDelimitedCodec::new();
                let src = Bytes::from(data.clone());
                let mut dst = BytesMut::with_capacity(size + 4);
                group.bench_function(
                    BenchmarkId::new("tokio-util LengthDelimitedCodec", size),
                    |b| {
                        b.iter(|| {
                            dst.clear();
                            codec.encode(black_box(src.clone()), &mut dst).unwrap();
                            black_box(&mut dst);
                        });
                    },
                );
            }
        }
        group.finish();
    }
}

fn frame_decode(c: &mut Criterion) {
    for kind in ChecksumKind::ALL {
        let mut group = c.benchmark_group(format!("frame decode {kind}"));
        for size in SIZES {
            let data = payload(size);
            let mut wire = vec![0u8; frame::encoded_len(kind, size)];
            frame::encode_into(kind, &data, &mut wire).unwrap();
            let hlen = frame::header_len(kind);
            let mut rbuf = vec![0u8; wire.len()];
            group.throughput(bytes_of(size));

            group.bench_function(BenchmarkId::new("memcpy + checksum (limit)", size), |b| {
                b.iter(|| {
                    rbuf.copy_from_slice(black_box(&wire));
                    let (head, body) = rbuf.split_at(hlen);
                    let ok = kind.read_le(&head[4..]) == Some(kind.compute(body));
                    assert!(ok);
                    black_box(body);
                });
            });

            let mut dec = frame::Decoder::new(kind, u32::MAX, vec![0u8; size]);
            group.bench_function(BenchmarkId::new("secstream Decoder", size), |b| {
                b.iter(|| {
                    rbuf.copy_from_slice(black_box(&wire));
                    match dec.feed(&rbuf) {
                        Ok(frame::Feed::Frame { payload, consumed }) => {
                            black_box((payload, consumed));
                        }
                        other => panic!("{other:?}"),
                    }
                });
            });

            let split = wire.len() / 2;
            group.bench_function(BenchmarkId::new("secstream Decoder, 2 reads", size), |b| {
                b.iter(|| {
                    rbuf.copy_from_slice(black_box(&wire));
                    let (first, second) = rbuf.split_at(split);
                    assert!(matches!(dec.feed(first), Ok(frame::Feed::NeedMore)));
                    match dec.feed(second) {
                        Ok(frame::Feed::Frame { payload, consumed }) => {
                            black_box((payload, consumed));
                        }
                        other => panic!("{other:?}"),
                    }
                });
            });

            if kind == ChecksumKind::None {
                let mut codec = LengthDelimitedCodec::new();
                let mut big_endian = wire.clone();
                big_endian[..4].reverse();
                let mut src = BytesMut::with_capacity(wire.len());
                group.bench_function(
                    BenchmarkId::new("tokio-util LengthDelimitedCodec", size),
                    |b| {
                        b.iter(|| {
                            src.extend_from_slice(black_box(&big_endian));
                            let f = codec.decode(&mut src).unwrap().unwrap();
                            black_box(&f);
                        });
                    },
                );
            }
        }
        group.finish();
    }
}

fn sealed(c: &mut Criterion) {
    let cipher = ChaCha20Poly1305::new(&KEY.into());
    let aad = [0x5A_u8; container::SEALED_PREAMBLE_LEN];
    let nonce = [0u8; 12];

    let ring_key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &KEY).unwrap());
    let ring_nonce = || Nonce::assume_unique_for_key(nonce);

    let mut group = c.benchmark_group("sealed encode");
    for size in SEALED_SIZES {
        let data = payload(size);
        group.throughput(bytes_of(size));

        let mut buf = data.clone();
        group.bench_function(BenchmarkId::new("bare ring in place", size), |b| {
            b.iter(|| {
                let tag = ring_key
                    .seal_in_place_separate_tag(
                        ring_nonce(),
                        Aad::from(&aad),
                        black_box(&mut buf[..]),
                    )
                    .unwrap();
                black_box(&tag);
            });
        });
        group.bench_function(BenchmarkId::new("memcpy + bare ring", size), |b| {
            b.iter(|| {
                buf.copy_from_slice(black_box(&data));
                let tag = ring_key
                    .seal_in_place_separate_tag(ring_nonce(), Aad::from(&aad), &mut buf[..])
                    .unwrap();
                black_box(&tag);
            });
        });
        group.bench_function(BenchmarkId::new("bare RustCrypto in place", size), |b| {
            b.iter(|| {
                let tag = cipher
                    .encrypt_inout_detached(&nonce.into(), &aad, black_box(&mut buf[..]).into())
                    .unwrap();
                black_box(tag);
            });
        });

        let mut w = sealed_writer(size);
        let mut out = vec![0u8; w.max_encoded_len(size)];
        group.bench_function(BenchmarkId::new("secstream container Writer", size), |b| {
            b.iter(|| {
                let n = w.encode_frame(black_box(&data), &mut out).unwrap();
                black_box((&mut out, n));
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sealed decode");
    for size in SEALED_SIZES {
        let data = payload(size);
        group.throughput(bytes_of(size));

        let mut ct = data.clone();
        let tag = cipher
            .encrypt_inout_detached(&nonce.into(), &aad, (&mut ct[..]).into())
            .unwrap();
        let ring_tag = ring::aead::Tag::from(<[u8; 16]>::try_from(&tag[..]).unwrap());
        let mut buf = ct.clone();
        group.bench_function(BenchmarkId::new("memcpy + bare ring", size), |b| {
            b.iter(|| {
                buf.copy_from_slice(black_box(&ct));
                ring_key
                    .open_in_place_separate_tag(
                        ring_nonce(),
                        Aad::from(&aad),
                        ring_tag,
                        &mut buf[..],
                        0..,
                    )
                    .unwrap();
                black_box(&mut buf);
            });
        });
        group.bench_function(BenchmarkId::new("memcpy + bare RustCrypto", size), |b| {
            b.iter(|| {
                buf.copy_from_slice(black_box(&ct));
                cipher
                    .decrypt_inout_detached(&nonce.into(), &aad, (&mut buf[..]).into(), &tag)
                    .unwrap();
                black_box(&mut buf);
            });
        });

        // A stream of many frames; each iteration reads the next one (a reader checks
        // the counter), and a new reader starts when the stream is used up.
        // About 1 MiB of stream (4 frames at 1 MiB): it stays in cache like the bare
        // AEAD's one frame, so the copy into the read buffer costs both sides alike.
        let frames = (1024 * 1024 / size).clamp(4, 4096);
        let mut w = sealed_writer(size);
        let mut stream = w.preamble().to_vec();
        let mut out = vec![0u8; w.max_encoded_len(size)];
        let mut ends = Vec::with_capacity(frames);
        for _ in 0..frames {
            let n = w.encode_frame(&data, &mut out).unwrap();
            stream.extend_from_slice(&out[..n]);
            ends.push(stream.len());
        }
        let pre_len = w.preamble().len();
        let new_reader = || {
            let mut r =
                container::Reader::new_sealed(vec![0u8; size + 16], MasterKey::from_bytes(&KEY));
            let mut pre = stream[..pre_len].to_vec();
            assert!(matches!(
                r.feed(&mut pre),
                Ok(container::Feed::Header { .. })
            ));
            r
        };
        // `frame alone`: each feed holds exactly one frame, so the reader cannot see
        // whether the final frame's end mark follows: with the ring backend it keeps
        // a copy for the second try. `frames back to back`: each feed also holds the
        // next frame's first 4 bytes, as a read of a stream would: one open, no copy.
        for (name, ahead) in [
            ("secstream container Reader, frame alone", 0usize),
            ("secstream container Reader, frames back to back", 4),
        ] {
            let mut r = new_reader();
            let mut next = 0usize;
            let mut rbuf = vec![0u8; ends[0] - pre_len + ahead];
            group.bench_function(BenchmarkId::new(name, size), |b| {
                b.iter(|| {
                    if next == frames {
                        r = new_reader();
                        next = 0;
                    }
                    let start = if next == 0 { pre_len } else { ends[next - 1] };
                    let end = (ends[next] + ahead).min(stream.len());
                    let input = &mut rbuf[..end - start];
                    input.copy_from_slice(black_box(&stream[start..end]));
                    next += 1;
                    match r.feed(input) {
                        Ok(container::Feed::Frame { payload, consumed }) => {
                            black_box((payload, consumed));
                        }
                        other => panic!("{other:?}"),
                    }
                });
            });
        }
    }
    group.finish();
}

/// Compressible input: text with some runs and some noise, like a mixed file.
fn mixed(size: usize) -> Vec<u8> {
    let mut x = 0x2545_F491u32;
    (0..size)
        .map(|i| match (i / 4096) % 4 {
            0 | 1 => b"the quick brown fox jumps over the lazy dog\n"[i % 44],
            2 => u8::try_from(i / 64 % 7).unwrap(),
            _ => {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            }
        })
        .collect()
}

/// LZ4 per frame: the container's frame codec (unsealed, checksum none) against bare
/// `lz4_flex` block compression into the same buffer.
fn lz4(c: &mut Criterion) {
    for (name, sizes) in [
        ("lz4 compress", [64 * 1024, 1 << 20]),
        ("lz4 decompress", [64 * 1024, 1 << 20]),
    ] {
        let mut group = c.benchmark_group(name);
        for size in sizes {
            let data = mixed(size);
            group.throughput(bytes_of(size));
            let config = Config::new(ChecksumKind::None, u32::try_from(size).unwrap())
                .with_compression(Compression::Lz4);
            let codec = FrameCodec::new(&Header::new(config), None).unwrap();
            let mut out = vec![0u8; codec.encode_buffer_len(size)];
            let mut bare = vec![0u8; lz4_flex::block::get_maximum_output_size(size)];
            if name == "lz4 compress" {
                group.bench_function(BenchmarkId::new("bare lz4_flex compress_into", size), |b| {
                    b.iter(|| {
                        let n =
                            lz4_flex::block::compress_into(black_box(&data), &mut bare).unwrap();
                        black_box(n);
                    });
                });
                group.bench_function(
                    BenchmarkId::new("secstream FrameCodec::encode", size),
                    |b| {
                        b.iter(|| {
                            let e = codec.encode(0, false, black_box(&data), &mut out).unwrap();
                            black_box(e);
                        });
                    },
                );
            } else {
                let n = lz4_flex::block::compress_into(&data, &mut bare).unwrap();
                let packed = bare[..n].to_vec();
                let mut plain = vec![0u8; size];
                group.bench_function(
                    BenchmarkId::new("bare lz4_flex decompress_into", size),
                    |b| {
                        b.iter(|| {
                            let n =
                                lz4_flex::block::decompress_into(black_box(&packed), &mut plain)
                                    .unwrap();
                            black_box(n);
                        });
                    },
                );
                let e = codec.encode(0, false, &data, &mut out).unwrap();
                let hlen = secstream_core::frame::header_len(ChecksumKind::None);
                let stored = out[hlen..e.len].to_vec();
                let mut d = Decompressor::new(vec![0u8; size]);
                group.bench_function(
                    BenchmarkId::new("secstream FrameCodec::decompress", size),
                    |b| {
                        b.iter(|| {
                            let p = codec.decompress(black_box(&stored), &mut d).unwrap();
                            black_box(p.len());
                        });
                    },
                );
            }
        }
        group.finish();
    }
}

fn cobs(c: &mut Criterion) {
    let none = ChecksumKind::None;
    let mut group = c.benchmark_group("cobs encode");
    for size in SIZES {
        let data = payload(size);
        let mut out =
            vec![0u8; sscobs::max_encoded_len(none, size).max(cobs::max_encoding_length(size) + 1)];
        group.throughput(bytes_of(size));
        group.bench_function(BenchmarkId::new("cobs crate encode", size), |b| {
            b.iter(|| {
                let n = cobs::encode(black_box(&data), &mut out);
                out[n] = 0;
                black_box((&mut out, n));
            });
        });
        group.bench_function(BenchmarkId::new("secstream encode_into", size), |b| {
            b.iter(|| {
                let n = sscobs::encode_into(none, black_box(&data), &mut out).unwrap();
                black_box((&mut out, n));
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("cobs decode");
    for size in SIZES {
        let data = payload(size);
        let mut wire = vec![0u8; sscobs::max_encoded_len(none, size)];
        let n = sscobs::encode_into(none, &data, &mut wire).unwrap();
        wire.truncate(n);
        let mut dest = vec![0u8; size];
        let mut work = wire.clone();
        group.throughput(bytes_of(size));

        group.bench_function(BenchmarkId::new("cobs crate decode", size), |b| {
            b.iter(|| {
                let r = cobs::decode(black_box(&wire), &mut dest).unwrap();
                black_box((&mut dest, r));
            });
        });
        let mut dec = sscobs::Decoder::new(none, u32::MAX, vec![0u8; size]);
        group.bench_function(BenchmarkId::new("secstream Decoder", size), |b| {
            b.iter(|| match dec.feed(black_box(&wire)) {
                sscobs::Feed::Frame { payload, consumed } => {
                    black_box((payload, consumed));
                }
                other => panic!("{other:?}"),
            });
        });
        group.bench_function(BenchmarkId::new("cobs crate decode_in_place", size), |b| {
            b.iter(|| {
                work.copy_from_slice(black_box(&wire));
                let n = cobs::decode_in_place(&mut work).unwrap();
                black_box(&work[..n]);
            });
        });
        group.bench_function(BenchmarkId::new("secstream decode_in_place", size), |b| {
            b.iter(|| {
                work.copy_from_slice(black_box(&wire));
                let p = sscobs::decode_in_place(none, &mut work).unwrap();
                black_box(p);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, lz4, frame_encode, frame_decode, sealed, cobs);
criterion_main!(benches);
