//! The version record (one per stored stream version, in clear) and the keyed
//! derivations that bind a version's frames to its path and version.
//!
//! ```text
//! record := format:u8 (1) | checksum id:u8 | compression id:u8 | max_plain:u32
//!         | stream id:u64 | frames:u64 | plain length:u64 | time (ms since 1970):u64
//!         | salt:[16] | end section:[36] | tag:[16]           (all little-endian, 107 bytes)
//! ```
//!
//! Under the store's master key `K`, with `PRF(info) = HKDF-SHA256(salt =
//! "secstream store v1", ikm = K).expand(info)`:
//!
//! - the stream nonce of a version is `PRF("nonce" | len(path) | path | version |
//!   stream id | salt | config)`: its frames are sealed under the container's
//!   stream key for that nonce (frame counter = chunk number), so a chunk moved to
//!   another path, version or position fails authentication;
//! - the record tag is `PRF("record" | len(path) | path | version | record
//!   without tag)`: a record edited, or moved to another path or version, is
//!   refused before any frame is read;
//! - the key check in the meta table is `PRF("key check")`.

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::Compression;
use secstream_core::container::{Config, END_FIXED_LEN, Header};
use secstream_core::seal::{MasterKey, STREAM_NONCE_LEN};

use crate::error::Error;

/// Record format byte.
const FORMAT: u8 = 1;
/// Length of a record without its tag.
const BODY_LEN: usize = 1 + 1 + 1 + 4 + 8 * 4 + 16 + END_FIXED_LEN;
/// Length of the tag.
const TAG_LEN: usize = 16;
/// Length of a record.
pub(crate) const RECORD_LEN: usize = BODY_LEN + TAG_LEN;

/// A stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) checksum: ChecksumKind,
    pub(crate) compression: Compression,
    pub(crate) max_plain: u32,
    pub(crate) sid: u64,
    pub(crate) frames: u64,
    pub(crate) plain_len: u64,
    pub(crate) time_ms: u64,
    pub(crate) salt: [u8; 16],
    pub(crate) end: [u8; END_FIXED_LEN],
}

impl Record {
    /// The stream's container config (always sealed).
    pub(crate) const fn config(&self) -> Config {
        Config::new(self.checksum, self.max_plain)
            .with_compression(self.compression)
            .with_sealed(true)
    }

    fn body(&self) -> [u8; BODY_LEN] {
        let mut b = [0u8; BODY_LEN];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            if let Some(d) = b.get_mut(at..at + bytes.len()) {
                d.copy_from_slice(bytes);
            }
            at += bytes.len();
        };
        put(&[FORMAT, self.checksum.id(), self.compression.id()]);
        put(&self.max_plain.to_le_bytes());
        put(&self.sid.to_le_bytes());
        put(&self.frames.to_le_bytes());
        put(&self.plain_len.to_le_bytes());
        put(&self.time_ms.to_le_bytes());
        put(&self.salt);
        put(&self.end);
        b
    }

    /// The record's bytes, tagged for `path` and `version`.
    pub(crate) fn encode(&self, keys: &Keys, path: &str, version: u64) -> [u8; RECORD_LEN] {
        let body = self.body();
        let tag = keys.record_tag(path, version, &body);
        let mut out = [0u8; RECORD_LEN];
        out[..BODY_LEN].copy_from_slice(&body);
        out[BODY_LEN..].copy_from_slice(&tag);
        out
    }

    /// Parses and authenticates the record of `path` and `version`.
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a wrong length, format or tag.
    pub(crate) fn decode(
        keys: &Keys,
        path: &str,
        version: u64,
        bytes: &[u8],
    ) -> Result<Self, Error> {
        let bytes: &[u8; RECORD_LEN] = bytes
            .try_into()
            .map_err(|_| Error::Corrupt("version record has the wrong length"))?;
        let (body, tag) = bytes.split_at(BODY_LEN);
        let want = keys.record_tag(path, version, body);
        if !ct_eq(&want, tag) {
            return Err(Error::Corrupt("version record failed authentication"));
        }
        if body[0] != FORMAT {
            return Err(Error::Corrupt("unknown version record format"));
        }
        let checksum = ChecksumKind::from_id(body[1])
            .map_err(|_| Error::Corrupt("unknown checksum in version record"))?;
        let compression = Compression::from_id(body[2])
            .ok_or(Error::Corrupt("unknown compression in version record"))?;
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&body[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let max_plain = u32::from_le_bytes([body[3], body[4], body[5], body[6]]);
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&body[39..55]);
        let mut end = [0u8; END_FIXED_LEN];
        end.copy_from_slice(&body[55..BODY_LEN]);
        let r = Self {
            checksum,
            compression,
            max_plain,
            sid: u64_at(7),
            frames: u64_at(15),
            plain_len: u64_at(23),
            time_ms: u64_at(31),
            salt,
            end,
        };
        r.config()
            .check()
            .map_err(|_| Error::Corrupt("bad chunk size in version record"))?;
        // Every frame but the last is full; the last holds 0..=max_plain bytes.
        let full = u64::from(r.max_plain);
        let ok = match r.frames {
            0 => false,
            1 => r.plain_len <= full,
            n => (n - 1)
                .checked_mul(full)
                .is_some_and(|before| r.plain_len > before && r.plain_len - before <= full),
        };
        if !ok {
            return Err(Error::Corrupt("frame count and length disagree"));
        }
        Ok(r)
    }

    /// The stream's header (config and the derived nonce).
    pub(crate) fn header(&self, keys: &Keys, path: &str, version: u64) -> Header {
        let config = self.config();
        Header {
            config,
            nonce: keys.stream_nonce(path, version, self.sid, &self.salt, &config),
        }
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The store's master key and the derivations of this module. Not `Clone`;
/// the key is wiped on drop.
pub(crate) struct Keys {
    master: MasterKey,
}

impl Keys {
    pub(crate) const fn new(master: MasterKey) -> Self {
        Self { master }
    }

    /// The master key (container writers and readers derive stream keys from it).
    pub(crate) const fn master(&self) -> &MasterKey {
        &self.master
    }

    fn prf(&self, parts: &[&[u8]], out: &mut [u8]) {
        let hk =
            hkdf::Hkdf::<sha2::Sha256>::new(Some(b"secstream store v1"), self.master.as_bytes());
        // Outputs here are at most 16 bytes, far below HKDF's limit.
        if hk.expand_multi_info(parts, out).is_err() {
            out.fill(0);
        }
    }

    /// The value stored to recognise the key.
    pub(crate) fn key_check(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        self.prf(&[b"key check"], &mut out);
        out
    }

    fn record_tag(&self, path: &str, version: u64, body: &[u8]) -> [u8; TAG_LEN] {
        let mut out = [0u8; TAG_LEN];
        let len = path_len(path);
        self.prf(
            &[
                b"record",
                &len,
                path.as_bytes(),
                &version.to_le_bytes(),
                body,
            ],
            &mut out,
        );
        out
    }

    /// The stream nonce of a version.
    pub(crate) fn stream_nonce(
        &self,
        path: &str,
        version: u64,
        sid: u64,
        salt: &[u8; 16],
        config: &Config,
    ) -> [u8; STREAM_NONCE_LEN] {
        let mut out = [0u8; STREAM_NONCE_LEN];
        let len = path_len(path);
        let c = [config.checksum.id(), config.compression.id()];
        self.prf(
            &[
                b"nonce",
                &len,
                path.as_bytes(),
                &version.to_le_bytes(),
                &sid.to_le_bytes(),
                salt,
                &c,
                &config.max_plain.to_le_bytes(),
            ],
            &mut out,
        );
        out
    }
}

fn path_len(path: &str) -> [u8; 8] {
    (path.len() as u64).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            checksum: ChecksumKind::Crc32c,
            compression: Compression::Lz4,
            max_plain: 1000,
            sid: 7,
            frames: 3,
            plain_len: 2500,
            time_ms: 1_700_000_000_000,
            salt: [9; 16],
            end: [5; END_FIXED_LEN],
        }
    }

    #[test]
    fn roundtrip_and_every_byte_is_authenticated() {
        let keys = Keys::new(MasterKey::from_bytes(&[1; 32]));
        let r = sample();
        let bytes = r.encode(&keys, "p/q", 4);
        assert_eq!(Record::decode(&keys, "p/q", 4, &bytes).unwrap(), r);
        for i in 0..RECORD_LEN {
            for bit in [0x01, 0x80] {
                let mut bad = bytes;
                bad[i] ^= bit;
                assert!(
                    matches!(
                        Record::decode(&keys, "p/q", 4, &bad),
                        Err(Error::Corrupt(_))
                    ),
                    "byte {i}"
                );
            }
        }
        // Bound to its path, version and key.
        assert!(Record::decode(&keys, "p/r", 4, &bytes).is_err());
        assert!(Record::decode(&keys, "p/q", 5, &bytes).is_err());
        let other = Keys::new(MasterKey::from_bytes(&[2; 32]));
        assert!(Record::decode(&other, "p/q", 4, &bytes).is_err());
        assert!(Record::decode(&keys, "p/q", 4, &bytes[1..]).is_err());
    }

    #[test]
    fn inconsistent_counts_are_refused_even_when_tagged() {
        let keys = Keys::new(MasterKey::from_bytes(&[1; 32]));
        for (frames, len, ok) in [
            (0, 0, false),
            (1, 0, true),
            (1, 1000, true),
            (1, 1001, false),
            (3, 2001, true),
            (3, 2000, false),
            (3, 3000, true),
            (3, 3001, false),
            (u64::MAX, u64::MAX, false),
        ] {
            let r = Record {
                frames,
                plain_len: len,
                ..sample()
            };
            let bytes = r.encode(&keys, "p", 1);
            assert_eq!(
                Record::decode(&keys, "p", 1, &bytes).is_ok(),
                ok,
                "{frames} {len}"
            );
        }
    }

    #[test]
    fn nonces_differ_by_path_version_and_salt() {
        let keys = Keys::new(MasterKey::from_bytes(&[1; 32]));
        let c = sample().config();
        let n = |p: &str, v, sid, salt: [u8; 16]| keys.stream_nonce(p, v, sid, &salt, &c);
        let base = n("a", 1, 0, [0; 16]);
        assert_ne!(base, n("b", 1, 0, [0; 16]));
        assert_ne!(base, n("a", 2, 0, [0; 16]));
        assert_ne!(base, n("a", 1, 1, [0; 16]));
        assert_ne!(base, n("a", 1, 0, [1; 16]));
        // Length-prefixed: "ab" + version bytes cannot collide with "a" + ...
        assert_ne!(n("ab", 1, 0, [0; 16]), n("a", 1, 0, [0; 16]));
    }
}
