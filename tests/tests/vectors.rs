//! The shared test vectors in `tests/vectors/` (see its README) are the contract: the core
//! must write exactly those bytes and read them back to exactly those payloads.
//!
//! Regenerate them (only for a deliberate, documented change) with
//! `cargo test -p secstream-tests --test vectors -- --ignored regenerate`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Header, Reader, Writer};
use secstream_core::deflate::Inflater;
use secstream_core::seal::MasterKey;
use secstream_core::{cobs, frame};

/// Master key of the sealed vectors: bytes 0x00..=0x1f.
fn master() -> MasterKey {
    MasterKey::from_bytes(&std::array::from_fn(|i| u8::try_from(i).unwrap()))
}
/// Stream nonce of the sealed vectors: bytes 0x40..=0x4f.
fn stream_nonce() -> [u8; 16] {
    std::array::from_fn(|i| 0x40 + u8::try_from(i).unwrap())
}
/// Maximum frame length in the container headers.
const MAX_FRAME_LEN: u32 = 1024;

/// The payloads every vector holds, in order.
fn payloads() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"hello, secstream".to_vec(),
        vec![0x00],
        (0..=255u8).collect(),
        b"abc".repeat(100),
        vec![0x00, 0x00, 0x11, 0x00],
    ]
}

/// `<u32 LE length><bytes>` for each payload.
fn payload_file(payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in payloads {
        out.extend_from_slice(&u32::try_from(p.len()).unwrap().to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

fn parse_payload_file(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (len, rest) = b.split_at(4);
        let len = usize::try_from(u32::from_le_bytes(len.try_into().unwrap())).unwrap();
        let (p, rest) = rest.split_at(len);
        out.push(p.to_vec());
        b = rest;
    }
    out
}

#[derive(Clone, Copy, Debug)]
enum Format {
    Frames,
    Cobs,
    Container { deflate: bool, sealed: bool },
}

fn name(format: Format, kind: ChecksumKind) -> String {
    let f = match format {
        Format::Frames => "frames",
        Format::Cobs => "cobs",
        Format::Container {
            deflate: false,
            sealed: false,
        } => "container",
        Format::Container {
            deflate: true,
            sealed: false,
        } => "container-deflate",
        Format::Container {
            deflate: false,
            sealed: true,
        } => "container-sealed",
        Format::Container {
            deflate: true,
            sealed: true,
        } => "container-sealed-deflate",
    };
    format!("{f}-{}", kind.name())
}

fn formats() -> Vec<Format> {
    let mut v = vec![Format::Frames, Format::Cobs];
    for (deflate, sealed) in [(false, false), (true, false), (false, true), (true, true)] {
        v.push(Format::Container { deflate, sealed });
    }
    v
}

fn encode(format: Format, kind: ChecksumKind, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    match format {
        Format::Frames => {
            for p in payloads {
                let mut buf = vec![0u8; frame::encoded_len(kind, p.len())];
                let n = frame::encode_into(kind, p, &mut buf).unwrap();
                out.extend_from_slice(&buf[..n]);
            }
        }
        Format::Cobs => {
            for p in payloads {
                let mut buf = vec![0u8; cobs::max_encoded_len(kind, p.len())];
                let n = cobs::encode_into(kind, p, &mut buf).unwrap();
                out.extend_from_slice(&buf[..n]);
            }
        }
        Format::Container { deflate, sealed } => {
            let mut h = Header::new(kind, MAX_FRAME_LEN);
            h.flags.deflate = deflate;
            h.flags.sealed = sealed;
            let mut w = if sealed {
                Writer::new_sealed(h, &master(), stream_nonce()).unwrap()
            } else {
                Writer::new(h).unwrap()
            };
            for p in payloads {
                let mut buf = vec![0u8; w.max_encoded_len(p.len())];
                let n = w.encode_frame(p, &mut buf).unwrap();
                out.extend_from_slice(&buf[..n]);
            }
            let mut buf = vec![0u8; w.max_encoded_len(0)];
            let n = w.finish(&mut buf).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
    }
    out
}

/// Decodes `wire` fed in chunks of `chunk` bytes.
fn decode(format: Format, kind: ChecksumKind, wire: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        Format::Frames => {
            let mut dec = frame::Decoder::new(kind, MAX_FRAME_LEN, vec![0u8; 1024]);
            for mut c in wire.chunks(chunk) {
                while let frame::Feed::Frame { payload, consumed } = dec.feed(c).unwrap() {
                    out.push(payload.to_vec());
                    c = &c[consumed..];
                }
            }
            dec.finish().unwrap();
        }
        Format::Cobs => {
            let mut dec = cobs::Decoder::new(kind, MAX_FRAME_LEN, vec![0u8; 1024 + 8]);
            for mut c in wire.chunks(chunk) {
                loop {
                    match dec.feed(c) {
                        cobs::Feed::NeedMore => break,
                        cobs::Feed::Frame { payload, consumed } => {
                            out.push(payload.to_vec());
                            c = &c[consumed..];
                        }
                        cobs::Feed::Rejected { error, .. } => panic!("{error}"),
                    }
                }
            }
            dec.finish().unwrap();
        }
        Format::Container { sealed, .. } => {
            let buf = vec![0u8; 1024];
            let r = if sealed {
                Reader::new_sealed(buf, master())
            } else {
                Reader::new(buf)
            };
            let mut r = r.with_inflater(Inflater::new(vec![0u8; 1024]));
            let mut wire = wire.to_vec();
            for mut c in wire.chunks_mut(chunk) {
                while let container::Feed::Frame { payload, consumed } = r.feed(c).unwrap() {
                    out.push(payload.to_vec());
                    c = &mut c[consumed..];
                }
            }
            r.finish().unwrap();
        }
    }
    out
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// Every vector: (file stem, format, checksum kind).
fn all() -> Vec<(String, Format, ChecksumKind)> {
    let mut v = Vec::new();
    for format in formats() {
        for kind in ChecksumKind::ALL {
            v.push((name(format, kind), format, kind));
        }
    }
    v
}

#[test]
fn core_writes_and_reads_the_committed_vectors() {
    let dir = vectors_dir();
    let mut expected_files = BTreeSet::from(["README.md".to_string(), "verify.py".to_string()]);
    for (stem, format, kind) in all() {
        let bin = std::fs::read(dir.join(format!("{stem}.bin")))
            .unwrap_or_else(|e| panic!("{stem}.bin: {e}"));
        let listed = std::fs::read(dir.join(format!("{stem}.payloads"))).unwrap();
        let listed = parse_payload_file(&listed);
        assert_eq!(listed, payloads(), "{stem}.payloads");
        // Byte for byte.
        assert!(
            encode(format, kind, &listed) == bin,
            "{stem}: core writes different bytes"
        );
        // Read back, whole and one byte at a time.
        assert_eq!(decode(format, kind, &bin, bin.len()), listed, "{stem}");
        assert_eq!(decode(format, kind, &bin, 1), listed, "{stem} bytewise");
        expected_files.insert(format!("{stem}.bin"));
        expected_files.insert(format!("{stem}.payloads"));
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        present, expected_files,
        "stale or missing files in tests/vectors"
    );
}

#[test]
fn sealed_vectors_fail_with_another_key() {
    let bin = std::fs::read(vectors_dir().join("container-sealed-crc32c.bin")).unwrap();
    let mut r = Reader::new_sealed(vec![0u8; 1024], MasterKey::from_bytes(&[0xFF; 32]));
    let mut wire = bin;
    assert_eq!(r.feed(&mut wire), Err(container::Error::Authentication));
}

#[test]
#[ignore = "rewrites tests/vectors; run only for a deliberate format change"]
fn regenerate() {
    let dir = vectors_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let p = payloads();
    for (stem, format, kind) in all() {
        std::fs::write(dir.join(format!("{stem}.bin")), encode(format, kind, &p)).unwrap();
        std::fs::write(dir.join(format!("{stem}.payloads")), payload_file(&p)).unwrap();
    }
}
