//! The passphrase envelope (a project extension of the wire contract,
//! `docs/format.md`, "Passphrase envelope"): 38 bytes before a sealed container v2
//! stream that say how its master key is derived from a passphrase: Argon2id with the
//! memory, time and parallelism costs and the salt recorded here.
//!
//! This module only reads and writes the envelope and checks its costs against the
//! limits every reader and writer agree on; the key derivation itself (Argon2id) is in
//! the host crate (`secstream::passphrase`, feature `passphrase`). The container after
//! the envelope is an ordinary sealed v2 stream, byte for byte, under the derived key.
//!
//! ```
//! use secstream_core::passphrase::{Envelope, KdfParams, ENVELOPE_LEN};
//!
//! let env = Envelope::new(KdfParams::new(256, 2, 1)?, [7; 16]);
//! let bytes = env.to_bytes();
//! assert_eq!(bytes.len(), ENVELOPE_LEN);
//! assert!(Envelope::detect(&bytes));
//! assert_eq!(Envelope::parse(&bytes)?, env);
//! # Ok::<(), secstream_core::passphrase::Error>(())
//! ```

use core::fmt;

use crate::checksum;

/// The envelope's magic, `SSTP` (a container starts with `SSTM`).
pub const MAGIC: [u8; 4] = *b"SSTP";
/// The envelope version this crate reads and writes.
pub const VERSION: u8 = 1;
/// KDF id of Argon2id, version 0x13 (RFC 9106), the only one defined.
pub const KDF_ARGON2ID: u8 = 1;
/// Length of the salt.
pub const SALT_LEN: usize = 16;
/// Length of the whole envelope.
pub const ENVELOPE_LEN: usize = 38;
/// Length of the derived key (the container's master key).
pub const KEY_LEN: usize = 32;

/// The largest memory cost, in KiB (2 GiB, RFC 9106's first recommendation).
pub const MAX_M_COST_KIB: u32 = 2 * 1024 * 1024;
/// The largest parallelism (lanes).
pub const MAX_P_COST: u32 = 16;
/// The largest work, memory cost × passes, in KiB (8 GiB of blocks filled: seconds,
/// not hours, whatever a file says).
pub const MAX_WORK_KIB: u64 = 8 * 1024 * 1024;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The bytes do not start with `SSTP`.
    BadMagic,
    /// Fewer than [`ENVELOPE_LEN`] bytes.
    Truncated,
    /// An envelope version this crate does not read.
    UnsupportedVersion(u8),
    /// The envelope's CRC-32C does not match.
    BadChecksum,
    /// An unknown KDF id.
    UnknownKdf(u8),
    /// The memory cost (KiB) is below 8 × lanes or above [`MAX_M_COST_KIB`].
    MemoryCost(u32),
    /// The number of passes is 0.
    TimeCost(u32),
    /// The parallelism is 0 or above [`MAX_P_COST`].
    Parallelism(u32),
    /// Memory cost × passes is above [`MAX_WORK_KIB`].
    Work {
        /// Memory cost, KiB.
        m_cost_kib: u32,
        /// Passes.
        t_cost: u32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic => f.write_str("not a passphrase envelope (no SSTP magic)"),
            Self::Truncated => f.write_str("passphrase envelope truncated"),
            Self::UnsupportedVersion(v) => {
                write!(f, "unsupported passphrase envelope version {v}")
            }
            Self::BadChecksum => f.write_str("passphrase envelope checksum mismatch"),
            Self::UnknownKdf(id) => write!(f, "unknown key derivation function id {id}"),
            Self::MemoryCost(m) => write!(
                f,
                "argon2id memory cost {m} KiB is outside 8 KiB per lane to {MAX_M_COST_KIB} KiB"
            ),
            Self::TimeCost(t) => write!(f, "argon2id passes {t}: at least 1"),
            Self::Parallelism(p) => {
                write!(f, "argon2id parallelism {p} is outside 1 to {MAX_P_COST}")
            }
            Self::Work { m_cost_kib, t_cost } => write!(
                f,
                "argon2id work {m_cost_kib} KiB x {t_cost} passes is above the limit of \
                 {MAX_WORK_KIB} KiB"
            ),
        }
    }
}

impl core::error::Error for Error {}

/// Argon2id costs: memory in KiB, passes (time) and lanes (parallelism), within the
/// limits of this module (checked by [`new`](Self::new) and by every parse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct KdfParams {
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
}

impl KdfParams {
    /// The writers' default: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommended
    /// option with one lane; above OWASP's minimum of 19 MiB and 2 passes).
    pub const DEFAULT: Self = Self {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// Costs after checking them against the limits.
    ///
    /// # Errors
    /// [`Error::Parallelism`], [`Error::MemoryCost`], [`Error::TimeCost`],
    /// [`Error::Work`], checked in that order.
    pub const fn new(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, Error> {
        if p_cost == 0 || p_cost > MAX_P_COST {
            return Err(Error::Parallelism(p_cost));
        }
        if m_cost_kib < 8 * p_cost || m_cost_kib > MAX_M_COST_KIB {
            return Err(Error::MemoryCost(m_cost_kib));
        }
        if t_cost == 0 {
            return Err(Error::TimeCost(t_cost));
        }
        if (m_cost_kib as u64) * (t_cost as u64) > MAX_WORK_KIB {
            return Err(Error::Work { m_cost_kib, t_cost });
        }
        Ok(Self {
            m_cost_kib,
            t_cost,
            p_cost,
        })
    }

    /// Memory cost, KiB.
    #[must_use]
    pub const fn m_cost_kib(&self) -> u32 {
        self.m_cost_kib
    }

    /// Passes.
    #[must_use]
    pub const fn t_cost(&self) -> u32 {
        self.t_cost
    }

    /// Lanes.
    #[must_use]
    pub const fn p_cost(&self) -> u32 {
        self.p_cost
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A passphrase envelope: the KDF's costs and salt (not secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Envelope {
    /// The Argon2id costs.
    pub params: KdfParams,
    /// The salt, random per envelope.
    pub salt: [u8; SALT_LEN],
}

impl Envelope {
    /// An envelope for `params` and `salt` (draw the salt from a random generator).
    #[must_use]
    pub const fn new(params: KdfParams, salt: [u8; SALT_LEN]) -> Self {
        Self { params, salt }
    }

    /// Whether `bytes` start like an envelope (its magic; at least 4 bytes needed), so
    /// a reader tells an envelope from a container (`SSTM`) by the first 4 bytes.
    #[must_use]
    pub fn detect(bytes: &[u8]) -> bool {
        bytes.get(..MAGIC.len()) == Some(&MAGIC[..])
    }

    /// Parses the first [`ENVELOPE_LEN`] bytes of `bytes` (more may follow: the
    /// container).
    ///
    /// # Errors
    /// In this order: [`Error::BadMagic`], [`Error::Truncated`],
    /// [`Error::UnsupportedVersion`], [`Error::BadChecksum`], [`Error::UnknownKdf`],
    /// then the costs as [`KdfParams::new`].
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() >= MAGIC.len() && !Self::detect(bytes) {
            return Err(Error::BadMagic);
        }
        let Some(b) = bytes.first_chunk::<ENVELOPE_LEN>() else {
            return Err(Error::Truncated);
        };
        if b[4] != VERSION {
            return Err(Error::UnsupportedVersion(b[4]));
        }
        let (body, crc) = b.split_at(ENVELOPE_LEN - 4);
        if checksum::crc32c(body).to_le_bytes() != crc {
            return Err(Error::BadChecksum);
        }
        if b[5] != KDF_ARGON2ID {
            return Err(Error::UnknownKdf(b[5]));
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let params = KdfParams::new(u32_at(6), u32_at(10), u32_at(14))?;
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&b[18..18 + SALT_LEN]);
        Ok(Self { params, salt })
    }

    /// The envelope's bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; ENVELOPE_LEN] {
        let mut b = [0u8; ENVELOPE_LEN];
        b[..4].copy_from_slice(&MAGIC);
        b[4] = VERSION;
        b[5] = KDF_ARGON2ID;
        b[6..10].copy_from_slice(&self.params.m_cost_kib.to_le_bytes());
        b[10..14].copy_from_slice(&self.params.t_cost.to_le_bytes());
        b[14..18].copy_from_slice(&self.params.p_cost.to_le_bytes());
        b[18..18 + SALT_LEN].copy_from_slice(&self.salt);
        let crc = checksum::crc32c(&b[..ENVELOPE_LEN - 4]);
        b[ENVELOPE_LEN - 4..].copy_from_slice(&crc.to_le_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope::new(
            KdfParams::new(256, 2, 1).unwrap(),
            core::array::from_fn(|i| 0x60 + u8::try_from(i).unwrap()),
        )
    }

    #[test]
    fn exact_bytes_and_round_trip() {
        let b = sample().to_bytes();
        let mut want = [0u8; 34];
        want[..6].copy_from_slice(b"SSTP\x01\x01");
        want[6..18].copy_from_slice(&[0, 1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]);
        for (s, v) in want[18..].iter_mut().zip(0x60u8..) {
            *s = v;
        }
        assert_eq!(&b[..34], &want);
        assert_eq!(b[34..], checksum::crc32c(&want).to_le_bytes());
        assert_eq!(Envelope::parse(&b), Ok(sample()));
        // What follows the envelope is not its business.
        let mut longer = [0xAAu8; 50];
        longer[..ENVELOPE_LEN].copy_from_slice(&b);
        assert_eq!(Envelope::parse(&longer), Ok(sample()));
        assert_eq!(KdfParams::default(), KdfParams::new(65536, 3, 1).unwrap());
    }

    #[test]
    fn every_flipped_bit_and_every_truncation_is_refused() {
        let b = sample().to_bytes();
        for i in 0..ENVELOPE_LEN * 8 {
            let mut t = b;
            t[i / 8] ^= 1 << (i % 8);
            let e = Envelope::parse(&t).unwrap_err();
            let want = match i / 8 {
                0..=3 => Error::BadMagic,
                4 => Error::UnsupportedVersion(t[4]),
                _ => Error::BadChecksum,
            };
            assert_eq!(e, want, "bit {i}");
        }
        for n in 0..ENVELOPE_LEN {
            assert_eq!(Envelope::parse(&b[..n]), Err(Error::Truncated), "{n} bytes");
        }
        assert_eq!(Envelope::parse(b"SSTM\x02"), Err(Error::BadMagic));
        assert!(!Envelope::detect(b"SST"));
        assert!(!Envelope::detect(b"SSTM\x02"));
    }

    /// Rewrites the costs and the CRC, as a hostile file would.
    fn forged(m: u32, t: u32, p: u32, kdf: u8) -> [u8; ENVELOPE_LEN] {
        let mut b = sample().to_bytes();
        b[5] = kdf;
        b[6..10].copy_from_slice(&m.to_le_bytes());
        b[10..14].copy_from_slice(&t.to_le_bytes());
        b[14..18].copy_from_slice(&p.to_le_bytes());
        let crc = checksum::crc32c(&b[..34]);
        b[34..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn hostile_costs_are_refused() {
        for (m, t, p, want) in [
            (u32::MAX, 1, 1, Error::MemoryCost(u32::MAX)),
            (
                MAX_M_COST_KIB + 1,
                1,
                1,
                Error::MemoryCost(MAX_M_COST_KIB + 1),
            ),
            (7, 1, 1, Error::MemoryCost(7)),
            (15, 1, 2, Error::MemoryCost(15)),
            (256, 0, 1, Error::TimeCost(0)),
            (256, 1, 0, Error::Parallelism(0)),
            (256, 1, 17, Error::Parallelism(17)),
            (256, 1, u32::MAX, Error::Parallelism(u32::MAX)),
            (
                1024,
                u32::MAX,
                1,
                Error::Work {
                    m_cost_kib: 1024,
                    t_cost: u32::MAX,
                },
            ),
            (
                MAX_M_COST_KIB,
                5,
                1,
                Error::Work {
                    m_cost_kib: MAX_M_COST_KIB,
                    t_cost: 5,
                },
            ),
        ] {
            assert_eq!(
                Envelope::parse(&forged(m, t, p, 1)),
                Err(want),
                "{m} {t} {p}"
            );
            assert_eq!(KdfParams::new(m, t, p), Err(want));
        }
        assert_eq!(
            Envelope::parse(&forged(256, 2, 1, 2)),
            Err(Error::UnknownKdf(2))
        );
        // The limits themselves are accepted.
        for (m, t, p) in [(MAX_M_COST_KIB, 4, 1), (8, 1, 1), (128, 1, MAX_P_COST)] {
            let env = Envelope::parse(&forged(m, t, p, 1)).unwrap();
            assert_eq!(env.params, KdfParams::new(m, t, p).unwrap());
        }
    }
}
