//! Frame checksums (wire contract section 1).
//!
//! | id | kind | width | algorithm |
//! |---|---|---|---|
//! | 0 | [`ChecksumKind::None`] | 0 | — |
//! | 1 | [`ChecksumKind::Crc16`] | 2 | CRC-16/XMODEM |
//! | 2 | [`ChecksumKind::Crc32`] | 4 | CRC-32/ISO-HDLC (zlib) |
//! | 3 | [`ChecksumKind::Crc32c`] | 4 | CRC-32/ISCSI (Castagnoli) |
//! | 4 | [`ChecksumKind::Xxh3`] | 8 | XXH3-64, seed 0 |
//!
//! A checksum value is written little-endian in its width ([`ChecksumKind::write_le`]).
//!
//! ```
//! use secstream_core::checksum::{ChecksumKind, Hasher};
//!
//! let kind = ChecksumKind::from_id(3)?;
//! assert_eq!(kind.compute(b"123456789"), 0xE306_9283);
//! let mut h = Hasher::new(kind);
//! h.update(b"1234");
//! h.update(b"56789");
//! assert_eq!(h.finish(), 0xE306_9283);
//! # Ok::<(), secstream_core::checksum::Error>(())
//! ```
//!
//! # Table choice
//! The CRCs use the `crc` crate's slice-by-16 tables (`crc::Table<16>`: 8 KiB for
//! CRC-16, 16 KiB per CRC-32) on hosted targets, where they are several times
//! faster than the 256-entry table (`Table<1>`), and `Table<1>` (512 B / 1 KiB per
//! CRC) on bare-metal targets (`target_os = "none"`), where flash is scarce. The
//! tables are computed at compile time into `static`s.

use core::fmt;

/// Largest checksum width in bytes (XXH3-64).
pub const MAX_WIDTH: usize = 8;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The checksum id is not one of section 1 of the wire contract.
    UnknownChecksum(u8),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownChecksum(id) => write!(f, "unknown checksum id {id}"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(not(target_os = "none"))]
type CrcImpl = crc::Table<16>;
#[cfg(target_os = "none")]
type CrcImpl = crc::Table<1>;

static CRC16: crc::Crc<u16, CrcImpl> = crc::Crc::<u16, CrcImpl>::new(&crc::CRC_16_XMODEM);
static CRC32: crc::Crc<u32, CrcImpl> = crc::Crc::<u32, CrcImpl>::new(&crc::CRC_32_ISO_HDLC);
static CRC32C: crc::Crc<u32, CrcImpl> = crc::Crc::<u32, CrcImpl>::new(&crc::CRC_32_ISCSI);

/// CRC-32/ISCSI of `bytes`, the checksum of the container header.
#[must_use]
pub fn crc32c(bytes: &[u8]) -> u32 {
    CRC32C.checksum(bytes)
}

/// A checksum algorithm of the wire contract, identified on the wire by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ChecksumKind {
    /// No checksum (width 0).
    None = 0,
    /// CRC-16/XMODEM (width 2).
    Crc16 = 1,
    /// CRC-32/ISO-HDLC, zlib's crc32 (width 4).
    Crc32 = 2,
    /// CRC-32/ISCSI, Castagnoli (width 4).
    Crc32c = 3,
    /// XXH3-64 with seed 0 (width 8).
    Xxh3 = 4,
}

impl ChecksumKind {
    /// Every kind, in id order.
    pub const ALL: [Self; 5] = [
        Self::None,
        Self::Crc16,
        Self::Crc32,
        Self::Crc32c,
        Self::Xxh3,
    ];

    /// The kind with wire id `id`.
    ///
    /// # Errors
    /// [`Error::UnknownChecksum`] if `id` is not a known checksum id.
    pub const fn from_id(id: u8) -> Result<Self, Error> {
        match id {
            0 => Ok(Self::None),
            1 => Ok(Self::Crc16),
            2 => Ok(Self::Crc32),
            3 => Ok(Self::Crc32c),
            4 => Ok(Self::Xxh3),
            other => Err(Error::UnknownChecksum(other)),
        }
    }

    /// The wire id.
    #[must_use]
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// Width of the checksum on the wire, in bytes (0, 2, 4 or 8).
    #[must_use]
    pub const fn width(self) -> usize {
        match self {
            Self::None => 0,
            Self::Crc16 => 2,
            Self::Crc32 | Self::Crc32c => 4,
            Self::Xxh3 => 8,
        }
    }

    /// Lowercase name as in the wire contract (`none`, `crc16`, `crc32`, `crc32c`, `xxh3`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Crc16 => "crc16",
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Xxh3 => "xxh3",
        }
    }

    /// One-shot checksum of `bytes` (0 for [`ChecksumKind::None`]).
    #[must_use]
    pub fn compute(self, bytes: &[u8]) -> u64 {
        match self {
            Self::None => 0,
            Self::Crc16 => u64::from(CRC16.checksum(bytes)),
            Self::Crc32 => u64::from(CRC32.checksum(bytes)),
            Self::Crc32c => u64::from(CRC32C.checksum(bytes)),
            Self::Xxh3 => xxhash_rust::xxh3::xxh3_64(bytes),
        }
    }

    /// The checksum of `bytes` as stored on the wire: little-endian, [`width`](Self::width)
    /// bytes at the start of the returned array.
    #[must_use]
    pub fn compute_le(self, bytes: &[u8]) -> [u8; MAX_WIDTH] {
        self.compute(bytes).to_le_bytes()
    }

    /// Writes `value` little-endian in this kind's width to the start of `out`;
    /// returns the number of bytes written, or `None` if `out` is shorter than the width.
    #[must_use]
    pub fn write_le(self, value: u64, out: &mut [u8]) -> Option<usize> {
        let w = self.width();
        let le = value.to_le_bytes();
        out.get_mut(..w)?.copy_from_slice(le.get(..w)?);
        Some(w)
    }

    /// Reads a checksum value stored little-endian in this kind's width from the start of
    /// `bytes`, or `None` if `bytes` is shorter than the width.
    #[must_use]
    pub fn read_le(self, bytes: &[u8]) -> Option<u64> {
        let w = self.width();
        let mut le = [0u8; MAX_WIDTH];
        le.get_mut(..w)?.copy_from_slice(bytes.get(..w)?);
        Some(u64::from_le_bytes(le))
    }

    /// Whether the stored checksum at the start of `stored` matches `payload`.
    /// `false` if `stored` is shorter than the width.
    #[must_use]
    pub fn verify(self, payload: &[u8], stored: &[u8]) -> bool {
        self.read_le(stored) == Some(self.compute(payload))
    }
}

impl TryFrom<u8> for ChecksumKind {
    type Error = Error;
    fn try_from(id: u8) -> Result<Self, Error> {
        Self::from_id(id)
    }
}

impl fmt::Display for ChecksumKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A streaming checksum: feed bytes in any split with [`update`](Self::update),
/// read the value with [`finish`](Self::finish). Lives on the stack (XXH3 state is
/// about 350 bytes inline; no allocation).
#[derive(Clone)]
pub struct Hasher(State);

#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "no_std: the XXH3 state cannot be boxed; a Hasher is short-lived on the stack"
)]
enum State {
    None,
    Crc16(crc::Digest<'static, u16, CrcImpl>),
    Crc32(crc::Digest<'static, u32, CrcImpl>),
    Crc32c(crc::Digest<'static, u32, CrcImpl>),
    Xxh3(xxhash_rust::xxh3::Xxh3Default),
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Hasher").field(&self.kind()).finish()
    }
}

impl Hasher {
    /// A fresh hasher for `kind`.
    #[must_use]
    pub const fn new(kind: ChecksumKind) -> Self {
        Self(match kind {
            ChecksumKind::None => State::None,
            ChecksumKind::Crc16 => State::Crc16(CRC16.digest()),
            ChecksumKind::Crc32 => State::Crc32(CRC32.digest()),
            ChecksumKind::Crc32c => State::Crc32c(CRC32C.digest()),
            ChecksumKind::Xxh3 => State::Xxh3(xxhash_rust::xxh3::Xxh3Default::new()),
        })
    }

    /// The kind this hasher computes.
    #[must_use]
    pub const fn kind(&self) -> ChecksumKind {
        match &self.0 {
            State::None => ChecksumKind::None,
            State::Crc16(_) => ChecksumKind::Crc16,
            State::Crc32(_) => ChecksumKind::Crc32,
            State::Crc32c(_) => ChecksumKind::Crc32c,
            State::Xxh3(_) => ChecksumKind::Xxh3,
        }
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            State::None => {}
            State::Crc16(d) => d.update(bytes),
            State::Crc32(d) | State::Crc32c(d) => d.update(bytes),
            State::Xxh3(h) => h.update(bytes),
        }
    }

    /// The checksum of everything fed so far (the hasher is consumed).
    #[must_use]
    pub fn finish(self) -> u64 {
        match self.0 {
            State::None => 0,
            State::Crc16(d) => u64::from(d.finalize()),
            State::Crc32(d) | State::Crc32c(d) => u64::from(d.finalize()),
            State::Xxh3(h) => h.digest(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CHECK: &[u8] = b"123456789";

    #[test]
    fn check_values_of_the_contract() {
        assert_eq!(ChecksumKind::None.compute(CHECK), 0);
        assert_eq!(ChecksumKind::Crc16.compute(CHECK), 0x31C3);
        assert_eq!(ChecksumKind::Crc32.compute(CHECK), 0xCBF4_3926);
        assert_eq!(ChecksumKind::Crc32c.compute(CHECK), 0xE306_9283);
        assert_eq!(ChecksumKind::Xxh3.compute(CHECK), 0x72DC_B18B_67A1_7DFF);
        assert_eq!(crc32c(CHECK), 0xE306_9283);
    }

    #[test]
    fn ids_widths_and_names() {
        for (i, kind) in ChecksumKind::ALL.iter().enumerate() {
            assert_eq!(usize::from(kind.id()), i);
            assert_eq!(ChecksumKind::from_id(kind.id()), Ok(*kind));
            assert_eq!(ChecksumKind::try_from(kind.id()), Ok(*kind));
        }
        let widths: [usize; 5] = ChecksumKind::ALL.map(ChecksumKind::width);
        assert_eq!(widths, [0, 2, 4, 4, 8]);
        assert_eq!(ChecksumKind::Crc32c.name(), "crc32c");
        for id in 5..=255u8 {
            assert_eq!(ChecksumKind::from_id(id), Err(Error::UnknownChecksum(id)));
        }
        let mut s = std::string::String::new();
        core::fmt::write(&mut s, format_args!("{}", Error::UnknownChecksum(9))).unwrap();
        assert_eq!(s, "unknown checksum id 9");
    }

    #[test]
    fn little_endian_in_width() {
        let mut out = [0xAAu8; 9];
        assert_eq!(ChecksumKind::Crc16.write_le(0x31C3, &mut out), Some(2));
        assert_eq!(out[..3], [0xC3, 0x31, 0xAA]);
        assert_eq!(ChecksumKind::Crc16.read_le(&out), Some(0x31C3));
        assert_eq!(
            ChecksumKind::Crc32.compute_le(CHECK)[..4],
            [0x26, 0x39, 0xF4, 0xCB]
        );
        assert_eq!(ChecksumKind::Xxh3.write_le(1, &mut out[..7]), None);
        assert_eq!(ChecksumKind::Xxh3.read_le(&out[..7]), None);
        assert_eq!(ChecksumKind::None.write_le(5, &mut []), Some(0));
        assert!(ChecksumKind::Crc32c.verify(CHECK, &[0x83, 0x92, 0x06, 0xE3]));
        assert!(!ChecksumKind::Crc32c.verify(CHECK, &[0x83, 0x92, 0x06, 0xE2]));
        assert!(!ChecksumKind::Crc32c.verify(CHECK, &[0x83, 0x92, 0x06]));
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn streaming_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 40 } else { 600 }),
                                     split in any::<prop::sample::Index>(), id in 0u8..5) {
            let kind = ChecksumKind::from_id(id).unwrap();
            let at = split.index(data.len() + 1);
            let mut h = Hasher::new(kind);
            h.update(&data[..at]);
            h.update(&data[at..]);
            prop_assert_eq!(h.kind(), kind);
            prop_assert_eq!(h.finish(), kind.compute(&data));
        }
    }
}
