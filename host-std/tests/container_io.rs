//! `ContainerWriter` and `ContainerReader`: `io::Write`/`io::Read` round trips in every
//! configuration, bytes identical to the core writer and the shared vectors, truncation
//! and tampering refused with nothing released past the damage, typed errors recovered
//! from `io::Error`.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use secstream::Error;
use secstream::checksum::ChecksumKind;
use secstream::compress::Compression;
use secstream::container::{self, Config};
use secstream::container_io::{ContainerOptions, ContainerReader};
use secstream::seal::MasterKey;

fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            if (i / 700) % 2 == 0 {
                b"secstream "[i % 10]
            } else {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            }
        })
        .collect()
}

fn key() -> MasterKey {
    MasterKey::from_bytes(&[7; 32])
}

fn options() -> Vec<(ContainerOptions, bool)> {
    let mut v = Vec::new();
    for checksum in ChecksumKind::ALL {
        for compression in Compression::ALL {
            for sealed in [false, true] {
                let o = ContainerOptions::new()
                    .checksum(checksum)
                    .compression(compression)
                    .level(1)
                    .frame_size(4096)
                    .index(sealed);
                v.push((o, sealed));
            }
        }
    }
    v
}

fn pack(o: ContainerOptions, sealed: bool, plain: &[u8], write_size: usize) -> Vec<u8> {
    let mut w = if sealed {
        o.sealed_writer(Vec::new(), &key()).unwrap()
    } else {
        o.writer(Vec::new()).unwrap()
    };
    for c in plain.chunks(write_size.max(1)) {
        w.write_all(c).unwrap();
    }
    w.finish().unwrap()
}

fn reader(wire: &[u8], sealed: bool) -> ContainerReader<&[u8]> {
    if sealed {
        ContainerReader::sealed(wire, key())
    } else {
        ContainerReader::new(wire)
    }
}

#[test]
fn write_and_read_back_in_every_configuration() {
    let plain = data(20_000, 9);
    for (o, sealed) in options() {
        for write_size in [1000, 4096, 20_000] {
            let wire = pack(o, sealed, &plain, write_size);
            let mut back = Vec::new();
            reader(&wire, sealed).read_to_end(&mut back).unwrap();
            assert!(back == plain, "{o:?} sealed {sealed}");
        }
        // Frames are the input in frame-size pieces.
        let wire = pack(o, sealed, &plain, 777);
        let mut r = reader(&wire, sealed);
        let sizes: Vec<usize> = r.frames().map(|f| f.unwrap().len()).collect();
        assert_eq!(sizes, [4096, 4096, 4096, 4096, 3616]);
        // The keyless verifier accepts every intact stream.
        let mut v = ContainerReader::verifier(&wire[..]);
        assert_eq!(v.process_all(|_| Ok::<(), Error>(())).unwrap(), 5);
    }
}

#[test]
fn bufread_lines_and_empty_streams() {
    let text = b"one\ntwo\nthree\n".repeat(1000);
    let o = ContainerOptions::new().frame_size(100);
    let wire = pack(o, false, &text, 333);
    let r = ContainerReader::new(&wire[..]);
    let lines: Vec<String> = r.lines().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 3000);
    assert_eq!(lines[2999], "three");
    // Nothing written: a complete, empty stream (sealed: one empty final frame).
    for sealed in [false, true] {
        let wire = pack(ContainerOptions::new(), sealed, b"", 1);
        let mut back = Vec::new();
        reader(&wire, sealed).read_to_end(&mut back).unwrap();
        assert!(back.is_empty());
    }
}

#[test]
fn writer_bytes_are_the_core_writer_bytes() {
    let plain = data(10_000, 3);
    for compression in Compression::ALL {
        let o = ContainerOptions::new()
            .checksum(ChecksumKind::Xxh3)
            .compression(compression)
            .frame_size(3000);
        let wire = pack(o, false, &plain, 1234);
        let config = Config::new(ChecksumKind::Xxh3, 3000).with_compression(compression);
        let mut w = container::Writer::new(config).unwrap().with_index();
        let mut expected = Vec::new();
        for c in plain.chunks(3000) {
            let mut buf = vec![0u8; w.max_encoded_len(c.len())];
            let n = w.encode_frame(c, &mut buf).unwrap();
            expected.extend_from_slice(&buf[..n]);
        }
        let mut buf = vec![0u8; w.max_finish_len()];
        let n = w.finish(&mut buf).unwrap();
        expected.extend_from_slice(&buf[..n]);
        assert!(wire == expected, "{compression}");
    }
}

#[test]
fn end_frame_cuts_a_frame_early() {
    let o = ContainerOptions::new().frame_size(1000);
    let mut w = o.sealed_writer(Vec::new(), &key()).unwrap();
    w.write_all(b"hello").unwrap();
    w.end_frame().unwrap();
    w.write_all(b"world").unwrap();
    let wire = w.finish().unwrap();
    let mut r = reader(&wire, true);
    let frames: Vec<Vec<u8>> = r.frames().map(|f| f.unwrap().to_vec()).collect();
    assert_eq!(frames, [b"hello".to_vec(), b"world".to_vec()]);
}

/// Reads everything; returns what came out and the error.
fn read_err(wire: &[u8], sealed: bool) -> (Vec<u8>, Option<Error>) {
    let mut r = reader(wire, sealed);
    let mut out = Vec::new();
    let mut buf = [0u8; 333];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(Error::from(e))),
        }
    }
}

#[test]
fn every_truncation_fails_and_releases_only_a_prefix() {
    let plain = data(9000, 5);
    for sealed in [false, true] {
        let o = ContainerOptions::new()
            .compression(Compression::Lz4)
            .frame_size(2000);
        let wire = pack(o, sealed, &plain, 9000);
        // Every cut near the preamble, the frame boundaries and the end; a sample between.
        let cuts = (0..wire.len()).filter(|c| c % 7 == 0 || *c < 64 || wire.len() - c < 200);
        for cut in cuts {
            let (got, err) = read_err(&wire[..cut], sealed);
            assert!(
                matches!(err, Some(Error::Container(container::Error::Truncated))),
                "sealed {sealed} cut {cut}: {err:?}"
            );
            assert!(plain.starts_with(&got), "only a prefix is released");
        }
        // The error comes out of `Read` as UnexpectedEof.
        let mut r = reader(&wire[..wire.len() - 1], sealed);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}

#[test]
fn flips_and_trailing_bytes_fail() {
    let plain = data(5000, 7);
    for sealed in [false, true] {
        let o = ContainerOptions::new().frame_size(1000);
        let wire = pack(o, sealed, &plain, 5000);
        for at in (0..wire.len()).step_by(13) {
            let mut bad = wire.clone();
            bad[at] ^= 0x04;
            let (got, err) = read_err(&bad, sealed);
            assert!(err.is_some(), "flip at {at} undetected");
            assert!(plain.starts_with(&got));
        }
        let mut long = wire.clone();
        long.push(0);
        let (_, err) = read_err(&long, sealed);
        assert!(matches!(
            err,
            Some(Error::Container(container::Error::TrailingData))
        ));
    }
    // A wrong key releases nothing.
    let wire = pack(ContainerOptions::new(), true, &plain, 5000);
    let mut r = ContainerReader::sealed(&wire[..], MasterKey::from_bytes(&[8; 32]));
    let mut out = Vec::new();
    let e = r.read_to_end(&mut out).unwrap_err();
    assert!(matches!(
        Error::from(e),
        Error::Container(container::Error::Authentication)
    ));
    assert!(out.is_empty());
}

#[test]
fn a_dropped_writer_leaves_a_truncated_stream() {
    let mut sink = Vec::new();
    {
        let mut w = ContainerOptions::new()
            .frame_size(100)
            .batch(0)
            .writer(&mut sink)
            .unwrap();
        w.write_all(&[1u8; 1000]).unwrap();
        w.flush().unwrap();
    }
    assert!(!sink.is_empty());
    let (_, err) = read_err(&sink, false);
    assert!(matches!(
        err,
        Some(Error::Container(container::Error::Truncated))
    ));
}

#[test]
fn the_read_limit_is_checked_before_allocating() {
    let wire = pack(ContainerOptions::new().frame_size(1 << 20), false, b"x", 1);
    let mut r = ContainerReader::new(&wire[..]).with_limit(1 << 19);
    let e = r.read_frame().unwrap_err();
    assert!(matches!(
        e,
        Error::Container(container::Error::MaxPlainOverLimit {
            max_plain: 0x10_0000,
            limit: 0x8_0000
        })
    ));
    assert_eq!(
        e.to_string(),
        "the stream's frames hold up to 1048576 bytes, above this reader's limit of 524288"
    );
}

fn parse_payloads(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = usize::try_from(u32::from_le_bytes(b[..4].try_into().unwrap())).unwrap();
        out.push(b[4..4 + len].to_vec());
        b = &b[4 + len..];
    }
    out
}

#[test]
fn shared_vectors_read_and_unsealed_ones_write_bit_exact() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let vector_key = || MasterKey::from_bytes(&std::array::from_fn(|i| u8::try_from(i).unwrap()));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".bin") else {
            continue;
        };
        if !(stem.starts_with("container-") || stem.starts_with("edge-")) {
            continue;
        }
        let wire = std::fs::read(dir.join(&name)).unwrap();
        let payloads =
            parse_payloads(&std::fs::read(dir.join(format!("{stem}.payloads"))).unwrap());
        let sealed = stem.contains("sealed");
        let mut r = if sealed {
            ContainerReader::sealed(&wire[..], vector_key())
        } else {
            ContainerReader::new(&wire[..])
        };
        let got: Vec<Vec<u8>> = r.frames().map(|f| f.unwrap().to_vec()).collect();
        assert_eq!(got, payloads, "{stem}");
        n += 1;
    }
    assert_eq!(n, 66);
}
