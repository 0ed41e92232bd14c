//! The build-time checksum subset (`checksum` module docs), seen from outside
//! the crate. Correct under any subset: `cargo xtask firmware` runs it with
//! a few `--cfg secstream_checksum=...` sets in RUSTFLAGS (own target
//! directory), and a plain `cargo test` runs it with every kind compiled.
//! The crate's unit tests name every kind, so they only build without a
//! subset; this file names none.

use secstream_core::checksum::{self, ChecksumKind, Error};
use secstream_core::{cobs, container};

/// Section 1 of the wire contract: id, name, width.
const CONTRACT: [(u8, &str, usize); 5] = [
    (0, "none", 0),
    (1, "crc16", 2),
    (2, "crc32", 4),
    (3, "crc32c", 4),
    (4, "xxh3", 8),
];

/// Whether the RUSTFLAGS of this build ask for the kind called `name`.
fn asked_for(name: &str) -> bool {
    !cfg!(secstream_checksums_subset)
        || match name {
            "none" => true,
            "crc16" => cfg!(secstream_checksum = "crc16"),
            "crc32" => cfg!(secstream_checksum = "crc32"),
            "crc32c" => cfg!(secstream_checksum = "crc32c"),
            "xxh3" => cfg!(secstream_checksum = "xxh3"),
            _ => false,
        }
}

#[test]
fn exactly_the_named_kinds_are_compiled() {
    let mut compiled = Vec::new();
    for (id, name, width) in CONTRACT {
        match ChecksumKind::from_id(id) {
            Ok(kind) => {
                assert!(asked_for(name), "{name} compiled but not named");
                assert_eq!((kind.id(), kind.name(), kind.width()), (id, name, width));
                compiled.push(kind);
            }
            Err(e) => {
                assert!(!asked_for(name), "{name} named but not compiled");
                assert_eq!(e, Error::NotCompiled(id));
                assert_eq!(
                    e.to_string(),
                    format!("checksum id {id} is not compiled into this build")
                );
            }
        }
    }
    assert_eq!(compiled, ChecksumKind::ALL);
    for id in 5..=255u8 {
        assert_eq!(ChecksumKind::from_id(id), Err(Error::UnknownChecksum(id)));
    }
    println!("compiled kinds: {compiled:?}");
}

#[test]
fn every_compiled_kind_frames_and_catches_a_flipped_bit() {
    let payload = b"\x00subset\x00frame";
    for kind in ChecksumKind::ALL {
        let mut wire = [0u8; 40];
        let n = cobs::encode_into(kind, payload, &mut wire).unwrap();
        let mut copy = wire;
        assert_eq!(
            cobs::decode_in_place(kind, &mut copy[..n]).unwrap(),
            payload
        );
        if kind != ChecksumKind::None {
            // Flip a bit of the first payload byte (COBS keeps it in place,
            // and 0x73 ^ 1 is not a delimiter).
            wire[2] ^= 1;
            assert_eq!(
                cobs::decode_in_place(kind, &mut wire[..n]),
                Err(cobs::Error::BadChecksum),
                "{kind}"
            );
        }
    }
}

#[test]
fn container_header_checksum_is_always_there() {
    assert_eq!(checksum::crc32c(b"123456789"), 0xE306_9283);
    // A header naming each contract id: parsed if the kind is compiled,
    // refused as an unknown checksum otherwise.
    for (id, name, _) in CONTRACT {
        let mut b: [u8; 16] =
            container::Header::new(container::Config::new(ChecksumKind::None, 64))
                .to_preamble()
                .as_bytes()
                .try_into()
                .unwrap();
        b[5] = id;
        let crc = checksum::crc32c(&b[..12]);
        b[12..].copy_from_slice(&crc.to_le_bytes());
        match container::Header::parse(&b) {
            Ok(h) => {
                assert!(asked_for(name));
                assert_eq!(h.config.checksum.id(), id);
            }
            Err(e) => {
                assert!(!asked_for(name));
                assert_eq!(e, container::Error::ChecksumNotCompiled(id));
            }
        }
    }
}
