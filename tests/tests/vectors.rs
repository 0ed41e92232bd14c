//! The shared test vectors in `tests/vectors/` (see its README) are the contract: the core
//! must write exactly those bytes and read them back to exactly those payloads.
//!
//! Regenerate them (only for a deliberate, documented change) with
//! `cargo test -p secstream-tests --test vectors -- --ignored regenerate`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{self, Config, Reader, Writer};
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
/// Maximum frame length of the raw frame and COBS decoders.
const MAX_FRAME_LEN: u32 = 1024;
/// `max_plain` of the containers.
const MAX_PLAIN: u32 = 1024;

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
    Container {
        compression: Compression,
        sealed: bool,
        index: bool,
    },
}

fn name(format: Format, kind: ChecksumKind) -> String {
    let f = match format {
        Format::Frames => "frames".to_string(),
        Format::Cobs => "cobs".to_string(),
        Format::Container {
            compression,
            sealed,
            index,
        } => format!(
            "container-{}{}{}",
            compression.name(),
            if sealed { "-sealed" } else { "" },
            if index { "-index" } else { "" }
        ),
    };
    format!("{f}-{}", kind.name())
}

fn formats() -> Vec<Format> {
    let mut v = vec![Format::Frames, Format::Cobs];
    for compression in Compression::ALL {
        for sealed in [false, true] {
            for index in [false, true] {
                v.push(Format::Container {
                    compression,
                    sealed,
                    index,
                });
            }
        }
    }
    v
}

/// Writes a container of `payloads`; a sealed stream's last payload is its final frame.
fn write_container(config: Config, index: bool, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut w = if config.sealed {
        Writer::new_sealed(config, &master(), stream_nonce()).unwrap()
    } else {
        Writer::new(config).unwrap()
    };
    if index {
        w = w.with_index();
    }
    let mut out = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let mut buf = vec![0u8; w.max_encoded_len(p.len())];
        let n = if config.sealed && i + 1 == payloads.len() {
            w.encode_last(p, &mut buf).unwrap()
        } else {
            w.encode_frame(p, &mut buf).unwrap()
        };
        out.extend_from_slice(&buf[..n]);
    }
    let mut buf = vec![0u8; w.max_finish_len()];
    let n = w.finish(&mut buf).unwrap();
    out.extend_from_slice(&buf[..n]);
    out
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
        Format::Container {
            compression,
            sealed,
            index,
        } => {
            let config = Config::new(kind, MAX_PLAIN)
                .with_compression(compression)
                .with_sealed(sealed);
            out = write_container(config, index, payloads);
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
            out = read_container(wire, sealed, chunk).unwrap();
        }
    }
    out
}

/// Reads a container fed in chunks of `chunk` bytes.
fn read_container(
    wire: &[u8],
    sealed: bool,
    chunk: usize,
) -> Result<Vec<Vec<u8>>, container::Error> {
    let buf = vec![0u8; 1100];
    let r = if sealed {
        Reader::new_sealed(buf, master())
    } else {
        Reader::new(buf)
    };
    let mut r = r.with_decompressor(Decompressor::new(vec![0u8; 1024]));
    let mut out = Vec::new();
    let mut wire = wire.to_vec();
    for mut c in wire.chunks_mut(chunk) {
        loop {
            match r.feed(c)? {
                container::Feed::NeedMore | container::Feed::End { .. } => break,
                container::Feed::Header { consumed, .. }
                | container::Feed::NeedBuffer { consumed, .. } => c = &mut c[consumed..],
                container::Feed::Frame { payload, consumed } => {
                    out.push(payload.to_vec());
                    c = &mut c[consumed..];
                }
            }
        }
    }
    r.finish()?;
    Ok(out)
}

/// Edge-case containers: (file stem, bytes, payloads).
fn edge_cases() -> Vec<(String, Vec<u8>, Vec<Vec<u8>>)> {
    let mut v = Vec::new();
    // No frames at all (unsealed), and a sealed stream that is only its empty final frame.
    let c = Config::new(ChecksumKind::Crc32c, MAX_PLAIN);
    v.push((
        "edge-empty-stream".into(),
        write_container(c, true, &[]),
        vec![],
    ));
    v.push((
        "edge-sealed-only-final".into(),
        write_container(c.with_sealed(true), true, &[vec![]]),
        vec![vec![]],
    ));
    // Incompressible frames of exactly max_plain: deflate falls back to stored blocks
    // and LZ4 to one literal-only block, at the contract's bound.
    let mut x = 0x9E37_79B9u32;
    let noise: Vec<u8> = (0..MAX_PLAIN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect();
    for compression in [Compression::Deflate, Compression::Lz4] {
        for sealed in [false, true] {
            let cfg = c.with_compression(compression).with_sealed(sealed);
            let p = vec![noise.clone(), b"z".repeat(MAX_PLAIN as usize)];
            v.push((
                format!(
                    "edge-max-plain-{}{}",
                    compression.name(),
                    if sealed { "-sealed" } else { "" }
                ),
                write_container(cfg, true, &p),
                p,
            ));
        }
    }
    v
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
    for (stem, bin, want) in edge_cases() {
        let on_disk = std::fs::read(dir.join(format!("{stem}.bin")))
            .unwrap_or_else(|e| panic!("{stem}.bin: {e}"));
        assert!(on_disk == bin, "{stem}: core writes different bytes");
        let listed =
            parse_payload_file(&std::fs::read(dir.join(format!("{stem}.payloads"))).unwrap());
        assert_eq!(listed, want, "{stem}.payloads");
        let sealed = stem.contains("sealed");
        assert_eq!(read_container(&bin, sealed, 1).unwrap(), want, "{stem}");
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
    let bin = std::fs::read(vectors_dir().join("container-none-sealed-crc32c.bin")).unwrap();
    let mut r = Reader::new_sealed(vec![0u8; 1024], MasterKey::from_bytes(&[0xFF; 32]));
    let mut wire = bin;
    let pre = match r.feed(&mut wire) {
        Ok(container::Feed::Header { consumed, .. }) => consumed,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        r.feed(&mut wire[pre..]),
        Err(container::Error::Authentication)
    );
}

/// Every truncation of every container vector is refused, with and without the key.
#[test]
fn every_truncation_of_every_container_vector_is_refused() {
    for (stem, format, _) in all() {
        let Format::Container { sealed, .. } = format else {
            continue;
        };
        let bin = std::fs::read(vectors_dir().join(format!("{stem}.bin"))).unwrap();
        for cut in 0..bin.len() {
            assert!(
                read_container(&bin[..cut], sealed, 64).is_err(),
                "{stem} cut {cut}"
            );
        }
    }
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
    for (stem, bin, payloads) in edge_cases() {
        std::fs::write(dir.join(format!("{stem}.bin")), bin).unwrap();
        std::fs::write(
            dir.join(format!("{stem}.payloads")),
            payload_file(&payloads),
        )
        .unwrap();
    }
}
