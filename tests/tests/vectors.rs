//! The shared test vectors in `tests/vectors/` (see its README) are the contract: the core
//! must write exactly those bytes and read them back to exactly those payloads.
//!
//! Regenerate them (only for a deliberate, documented change) with
//! `cargo test -p secstream-tests --test vectors -- --ignored regenerate`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use secstream::passphrase::{self, ENVELOPE_LEN, Envelope, KdfParams, Passphrase};
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
    write_container_with(config, index, payloads, &master())
}

/// [`write_container`] sealed (if it is) with `key`.
fn write_container_with(
    config: Config,
    index: bool,
    payloads: &[Vec<u8>],
    key: &MasterKey,
) -> Vec<u8> {
    let mut w = if config.sealed {
        Writer::new_sealed(config, key, stream_nonce()).unwrap()
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
    read_container_with(wire, sealed.then(master), chunk)
}

/// [`read_container`] with `key` for a sealed stream.
fn read_container_with(
    wire: &[u8],
    key: Option<MasterKey>,
    chunk: usize,
) -> Result<Vec<Vec<u8>>, container::Error> {
    let buf = vec![0u8; 1100];
    let r = if let Some(key) = key {
        Reader::new_sealed(buf, key)
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

/// Passphrase of the `passphrase-*` vectors.
const PASSPHRASE: &[u8] = b"correct horse battery staple";

/// The `passphrase-*` vectors: (file stem, costs, the derived key in hex, from an
/// independent Argon2id (OpenSSL's, through Python's `cryptography`; `verify.py`
/// derives it again)).
fn passphrase_vectors() -> Vec<(String, KdfParams, &'static str)> {
    [
        (
            256,
            2,
            1,
            "4494f6b10203fc48041c89428f592f2775ce958200b404493f37958efa125fb9",
        ),
        (
            64,
            1,
            2,
            "6aa6559ba74448783e41df9cb2030777b6ab50cb8b1974c33d1fb524daa129b6",
        ),
    ]
    .into_iter()
    .map(|(m, t, p, hex)| {
        (
            format!("passphrase-argon2id-m{m}-t{t}-p{p}"),
            KdfParams::new(m, t, p).unwrap(),
            hex,
        )
    })
    .collect()
}

/// Salt of the `passphrase-*` vectors: bytes 0x60..=0x6f.
fn passphrase_salt() -> [u8; 16] {
    std::array::from_fn(|i| 0x60 + u8::try_from(i).unwrap())
}

/// The container inside every `passphrase-*` vector: sealed, crc32c, no compression,
/// indexed, the usual payloads and stream nonce.
fn passphrase_config() -> Config {
    Config::new(ChecksumKind::Crc32c, MAX_PLAIN).with_sealed(true)
}

fn derive(pass: &[u8], env: &Envelope) -> MasterKey {
    passphrase::derive_key(&Passphrase::new(pass.to_vec()), env).unwrap()
}

/// A `passphrase-*` vector: the envelope, then the container under the derived key.
fn write_passphrase_vector(params: KdfParams, payloads: &[Vec<u8>]) -> Vec<u8> {
    let env = Envelope::new(params, passphrase_salt());
    let mut out = env.to_bytes().to_vec();
    let key = derive(PASSPHRASE, &env);
    out.extend(write_container_with(
        passphrase_config(),
        true,
        payloads,
        &key,
    ));
    out
}

/// Reads a `passphrase-*` vector with `pass`, fed in chunks of `chunk` bytes.
fn read_passphrase_vector(
    bin: &[u8],
    pass: &[u8],
    chunk: usize,
) -> Result<Vec<Vec<u8>>, secstream::Error> {
    let env = Envelope::parse(bin)?;
    let key = derive(pass, &env);
    Ok(read_container_with(&bin[ENVELOPE_LEN..], Some(key), chunk)?)
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
    for (stem, _, _) in passphrase_vectors() {
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
fn passphrase_vectors_exact_bytes_and_known_keys() {
    let dir = vectors_dir();
    for (stem, params, key_hex) in passphrase_vectors() {
        let bin = std::fs::read(dir.join(format!("{stem}.bin")))
            .unwrap_or_else(|e| panic!("{stem}.bin: {e}"));
        let listed =
            parse_payload_file(&std::fs::read(dir.join(format!("{stem}.payloads"))).unwrap());
        assert_eq!(listed, payloads(), "{stem}.payloads");
        // The derived key is the independent implementation's.
        let env = Envelope::parse(&bin).unwrap();
        assert_eq!(env, Envelope::new(params, passphrase_salt()), "{stem}");
        let hex: String = derive(PASSPHRASE, &env)
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, key_hex, "{stem}: derived key");
        // Byte for byte, and read back whole and one byte at a time.
        assert!(
            write_passphrase_vector(params, &listed) == bin,
            "{stem}: core writes different bytes"
        );
        assert_eq!(
            read_passphrase_vector(&bin, PASSPHRASE, bin.len()).unwrap(),
            listed
        );
        assert_eq!(read_passphrase_vector(&bin, PASSPHRASE, 1).unwrap(), listed);
        // After the envelope: an ordinary sealed container under the derived key.
        let inner = write_container_with(
            passphrase_config(),
            true,
            &listed,
            &derive(PASSPHRASE, &env),
        );
        assert!(bin[ENVELOPE_LEN..] == inner[..], "{stem}");
    }
}

#[test]
fn passphrase_vectors_refuse_a_wrong_passphrase_and_any_damage() {
    let (stem, _, _) = &passphrase_vectors()[0];
    let bin = std::fs::read(vectors_dir().join(format!("{stem}.bin"))).unwrap();
    for wrong in [
        &b"correct horse battery stapler"[..],
        b"Correct horse battery staple",
        b"x",
    ] {
        assert!(matches!(
            read_passphrase_vector(&bin, wrong, 64),
            Err(secstream::Error::Container(
                container::Error::Authentication
            ))
        ));
    }
    // One flipped bit anywhere in the envelope: refused by the envelope's checks.
    for bit in 0..ENVELOPE_LEN * 8 {
        let mut t = bin.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(
            Envelope::parse(&t).is_err(),
            "{stem}: bit {bit} of the envelope accepted"
        );
    }
    // A salt or cost rewritten with a matching CRC: another key, so the frames do not open.
    for (at, what) in [(18, "salt"), (6, "memory"), (10, "passes")] {
        let mut t = bin.clone();
        t[at] ^= 1;
        let crc = secstream_core::checksum::crc32c(&t[..ENVELOPE_LEN - 4]);
        t[ENVELOPE_LEN - 4..ENVELOPE_LEN].copy_from_slice(&crc.to_le_bytes());
        assert!(
            matches!(
                read_passphrase_vector(&t, PASSPHRASE, 64),
                Err(secstream::Error::Container(
                    container::Error::Authentication
                ))
            ),
            "{stem}: {what} changed"
        );
    }
    // Every truncation (the envelope, or the container after it) is refused.
    for cut in 0..bin.len() {
        assert!(
            read_passphrase_vector(&bin[..cut], PASSPHRASE, 64).is_err(),
            "cut {cut}"
        );
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
    for (stem, params, _) in passphrase_vectors() {
        std::fs::write(
            dir.join(format!("{stem}.bin")),
            write_passphrase_vector(params, &p),
        )
        .unwrap();
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
