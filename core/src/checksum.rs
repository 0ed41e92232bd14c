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
//! # Implementations
//! On x86-64 and aarch64 with the `std` feature (hosts), the three CRCs are
//! computed by `crc-fast`, which picks the CPU's carry-less multiply and CRC
//! instructions at run time (`hardware.rs`). Everywhere else (microcontrollers,
//! WebAssembly, builds without `std`) they use the `crc` crate's tables
//! (`table.rs`): `crc::Table<16>` on hosted targets, `Table<1>` (512 B / 1 KiB
//! per CRC) on bare-metal targets (`target_os = "none"`), and in WebAssembly
//! `Table<1>` for CRC-16 and CRC-32 to keep the npm package's `.wasm` small,
//! and for CRC-32C slice-by-16 with its tables built at run time
//! (`runtime_table.rs`) rather than stored in the `.wasm`.
//! Both give the same values on every input: the tests compare them on random
//! inputs fed in random splits.
//!
//! # Build-time subset
//! The kind is a run-time value (decoders keep it), so a build links every
//! algorithm it compiles, used or not: the CRC-32 and CRC-32C tables and XXH3
//! cost about 3.4 KiB of flash on a Cortex-M. A firmware that knows its
//! checksums names them when it is built, the way `sha2` picks its backend:
//!
//! ```text
//! RUSTFLAGS='--cfg secstream_checksums_subset --cfg secstream_checksum="crc16" --cfg secstream_checksum="crc32c"'
//! ```
//!
//! With `secstream_checksums_subset` set, only the kinds named by
//! `secstream_checksum` (`crc16`, `crc32`, `crc32c`, `xxh3`) and
//! [`ChecksumKind::None`] exist: the other variants are left out of the enum
//! and their code and tables out of the binary, [`ChecksumKind::ALL`] lists the
//! compiled kinds, and [`ChecksumKind::from_id`] answers
//! [`Error::NotCompiled`] for the ids of the others (a container header naming
//! one is `container::Error::ChecksumNotCompiled`). [`crc32c`] (the container header's
//! checksum) is always there. Without `secstream_checksums_subset` every kind is
//! compiled. The cfg applies to the whole build, so set it for a firmware's own
//! build, not for one that runs the shared test vectors (they use all five).

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
    /// The checksum id is in the wire contract, but its algorithm was left out
    /// of this build (see [Build-time subset](self#build-time-subset)).
    NotCompiled(u8),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownChecksum(id) => write!(f, "unknown checksum id {id}"),
            Self::NotCompiled(id) => {
                write!(f, "checksum id {id} is not compiled into this build")
            }
        }
    }
}

impl core::error::Error for Error {}

#[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod hardware;
#[cfg(any(test, target_family = "wasm"))]
mod runtime_table;
#[cfg(any(
    test,
    not(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64")))
))]
mod table;

#[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64")))]
use hardware as imp;
#[cfg(not(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64"))))]
use table as imp;

/// Streaming CRC-32/ISCSI, compiled in every build (the container's preamble and
/// end-section checksum).
pub(crate) use imp::Crc32cDigest;

/// CRC-32/ISCSI of `bytes`, the checksum of the container header. Compiled in
/// every build, whatever the [subset](self#build-time-subset).
#[must_use]
pub fn crc32c(bytes: &[u8]) -> u32 {
    imp::crc32c(bytes)
}

/// A checksum algorithm of the wire contract, identified on the wire by its id.
///
/// In a build with a [checksum subset](self#build-time-subset) only the
/// compiled kinds are variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub enum ChecksumKind {
    /// No checksum (width 0).
    None = 0,
    /// CRC-16/XMODEM (width 2).
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
    Crc16 = 1,
    /// CRC-32/ISO-HDLC, zlib's crc32 (width 4).
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
    Crc32 = 2,
    /// CRC-32/ISCSI, Castagnoli (width 4).
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
    Crc32c = 3,
    /// XXH3-64 with seed 0 (width 8).
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
    Xxh3 = 4,
}

/// Number of compiled kinds: 5 unless a [subset](self#build-time-subset) is set.
const COMPILED: usize = 1
    + cfg!(any(
        not(secstream_checksums_subset),
        secstream_checksum = "crc16"
    )) as usize
    + cfg!(any(
        not(secstream_checksums_subset),
        secstream_checksum = "crc32"
    )) as usize
    + cfg!(any(
        not(secstream_checksums_subset),
        secstream_checksum = "crc32c"
    )) as usize
    + cfg!(any(
        not(secstream_checksums_subset),
        secstream_checksum = "xxh3"
    )) as usize;

/// Largest checksum id of the wire contract.
const MAX_ID: u8 = 4;

impl ChecksumKind {
    /// Every compiled kind, in id order: all five unless the build names a
    /// [subset](self#build-time-subset).
    pub const ALL: [Self; COMPILED] = [
        Self::None,
        #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
        Self::Crc16,
        #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
        Self::Crc32,
        #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
        Self::Crc32c,
        #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
        Self::Xxh3,
    ];

    /// The kind with wire id `id`.
    ///
    /// # Errors
    /// [`Error::UnknownChecksum`] if `id` is not a checksum id of the wire
    /// contract; [`Error::NotCompiled`] if it is, but the build left its
    /// algorithm out (see [Build-time subset](self#build-time-subset)).
    pub const fn from_id(id: u8) -> Result<Self, Error> {
        match id {
            0 => Ok(Self::None),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            1 => Ok(Self::Crc16),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            2 => Ok(Self::Crc32),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            3 => Ok(Self::Crc32c),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            4 => Ok(Self::Xxh3),
            // A guard, not a range pattern: with every kind compiled the arm is
            // never taken, and a pattern would warn as unreachable.
            other if other <= MAX_ID => Err(Error::NotCompiled(other)),
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
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            Self::Crc16 => 2,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            Self::Crc32 => 4,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            Self::Crc32c => 4,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            Self::Xxh3 => 8,
        }
    }

    /// Lowercase name as in the wire contract (`none`, `crc16`, `crc32`, `crc32c`, `xxh3`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            Self::Crc16 => "crc16",
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            Self::Crc32 => "crc32",
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            Self::Crc32c => "crc32c",
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            Self::Xxh3 => "xxh3",
        }
    }

    /// One-shot checksum of `bytes` (0 for [`ChecksumKind::None`]).
    #[must_use]
    pub fn compute(self, bytes: &[u8]) -> u64 {
        match self {
            // `bytes` is named so a build with no algorithm compiled has no
            // unused parameter.
            Self::None => {
                let _ = bytes;
                0
            }
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            Self::Crc16 => u64::from(imp::crc16(bytes)),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            Self::Crc32 => u64::from(imp::crc32(bytes)),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            Self::Crc32c => u64::from(imp::crc32c(bytes)),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
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
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
    Crc16(imp::Crc16Digest),
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
    Crc32(imp::Crc32Digest),
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
    Crc32c(imp::Crc32cDigest),
    #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
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
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            ChecksumKind::Crc16 => State::Crc16(imp::Crc16Digest::new()),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            ChecksumKind::Crc32 => State::Crc32(imp::Crc32Digest::new()),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            ChecksumKind::Crc32c => State::Crc32c(imp::Crc32cDigest::new()),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            ChecksumKind::Xxh3 => State::Xxh3(xxhash_rust::xxh3::Xxh3Default::new()),
        })
    }

    /// The kind this hasher computes.
    #[must_use]
    pub const fn kind(&self) -> ChecksumKind {
        match &self.0 {
            State::None => ChecksumKind::None,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            State::Crc16(_) => ChecksumKind::Crc16,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            State::Crc32(_) => ChecksumKind::Crc32,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            State::Crc32c(_) => ChecksumKind::Crc32c,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            State::Xxh3(_) => ChecksumKind::Xxh3,
        }
    }

    /// Feeds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        match &mut self.0 {
            // Nothing to feed; `bytes` is named so a build with no algorithm
            // compiled has no unused parameter.
            State::None => {
                let _ = bytes;
            }
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            State::Crc16(d) => d.update(bytes),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            State::Crc32(d) => d.update(bytes),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            State::Crc32c(d) => d.update(bytes),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            State::Xxh3(h) => h.update(bytes),
        }
    }

    /// The checksum of everything fed so far (the hasher is consumed).
    #[must_use]
    pub fn finish(self) -> u64 {
        match self.0 {
            State::None => 0,
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            State::Crc16(d) => u64::from(d.finalize()),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            State::Crc32(d) => u64::from(d.finalize()),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32c"))]
            State::Crc32c(d) => u64::from(d.finalize()),
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "xxh3"))]
            State::Xxh3(h) => h.digest(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CHECK: &[u8] = b"123456789";

    /// Section 1 of the wire contract: id, name, width, check value of `CHECK`.
    const CONTRACT: [(u8, &str, usize, u64); 5] = [
        (0, "none", 0, 0),
        (1, "crc16", 2, 0x31C3),
        (2, "crc32", 4, 0xCBF4_3926),
        (3, "crc32c", 4, 0xE306_9283),
        (4, "xxh3", 8, 0x72DC_B18B_67A1_7DFF),
    ];

    /// Whether the build compiles the kind called `name` (see the module docs).
    fn compiled(name: &str) -> bool {
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

    /// Runs under any checksum subset: every contract id is either a compiled
    /// kind (listed in `ALL`, with the contract's name, width and check value)
    /// or refused as not compiled, exactly as the cfgs say.
    #[test]
    fn contract_kinds_compiled_or_refused() {
        let mut found = 0;
        for (id, name, width, check) in CONTRACT {
            match ChecksumKind::from_id(id) {
                Ok(kind) => {
                    assert!(compiled(name), "{name} is compiled but not asked for");
                    assert_eq!(ChecksumKind::ALL.get(found), Some(&kind));
                    found += 1;
                    assert_eq!(ChecksumKind::try_from(id), Ok(kind));
                    assert_eq!(kind.id(), id);
                    assert_eq!(kind.name(), name);
                    assert_eq!(kind.width(), width);
                    assert_eq!(kind.compute(CHECK), check);
                    let mut h = Hasher::new(kind);
                    h.update(&CHECK[..4]);
                    h.update(&CHECK[4..]);
                    assert_eq!(h.kind(), kind);
                    assert_eq!(h.finish(), check);
                }
                Err(e) => {
                    assert!(!compiled(name), "{name} is asked for but not compiled");
                    assert_eq!(e, Error::NotCompiled(id));
                    assert_eq!(ChecksumKind::try_from(id), Err(e));
                }
            }
        }
        assert_eq!(found, ChecksumKind::ALL.len());
        assert_eq!(ChecksumKind::ALL.first(), Some(&ChecksumKind::None));
        for id in 5..=255u8 {
            assert_eq!(ChecksumKind::from_id(id), Err(Error::UnknownChecksum(id)));
        }
        // The container header's checksum is there whatever the subset.
        assert_eq!(crc32c(CHECK), 0xE306_9283);
    }

    #[test]
    fn error_messages() {
        let mut s = std::string::String::new();
        core::fmt::write(&mut s, format_args!("{}", Error::UnknownChecksum(9))).unwrap();
        assert_eq!(s, "unknown checksum id 9");
        s.clear();
        core::fmt::write(&mut s, format_args!("{}", Error::NotCompiled(4))).unwrap();
        assert_eq!(s, "checksum id 4 is not compiled into this build");
    }

    #[test]
    fn all_kinds_without_a_subset() {
        if cfg!(secstream_checksums_subset) {
            return;
        }
        assert_eq!(ChecksumKind::ALL.len(), 5);
        let widths = ChecksumKind::ALL.map(ChecksumKind::width);
        assert_eq!(widths[..], [0, 2, 4, 4, 8]);
    }

    #[test]
    #[cfg(not(secstream_checksums_subset))]
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

    /// The hardware CRCs (hosts with `std`) against the tables the other builds
    /// use, on random inputs, one-shot and streamed in three random pieces.
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "aarch64")))]
    mod hardware_vs_table {
        use super::super::{hardware, table};
        use proptest::prelude::*;

        /// Up to 3 KiB: past every size threshold of the folding loops
        /// (16, 64, 128, 256 and 512-byte blocks) and their tails.
        const MAX_LEN: usize = if cfg!(miri) { 300 } else { 3 * 1024 };

        fn pieces(data: &[u8], a: prop::sample::Index, b: prop::sample::Index) -> [&[u8]; 3] {
            let (x, y) = (a.index(data.len() + 1), b.index(data.len() + 1));
            let (lo, hi) = (x.min(y), x.max(y));
            [&data[..lo], &data[lo..hi], &data[hi..]]
        }

        #[test]
        fn check_values_and_empty_input() {
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            {
                assert_eq!(hardware::crc16(b"123456789"), 0x31C3);
                assert_eq!(hardware::crc16(b""), table::crc16(b""));
                assert_eq!(hardware::Crc16Digest::new().finalize(), table::crc16(b""));
            }
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            {
                assert_eq!(hardware::crc32(b"123456789"), 0xCBF4_3926);
                assert_eq!(hardware::crc32(b""), table::crc32(b""));
                assert_eq!(hardware::Crc32Digest::new().finalize(), table::crc32(b""));
            }
            assert_eq!(hardware::crc32c(b"123456789"), 0xE306_9283);
            assert_eq!(hardware::crc32c(b""), table::crc32c(b""));
            assert_eq!(hardware::Crc32cDigest::new().finalize(), table::crc32c(b""));
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: if cfg!(miri) { 4 } else { 512 },
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
            fn hardware_equals_table_crc16(data in proptest::collection::vec(any::<u8>(), 0..MAX_LEN),
                                           a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
                let want = table::crc16(&data);
                prop_assert_eq!(hardware::crc16(&data), want);
                let mut d = hardware::Crc16Digest::new();
                let mut t = table::Crc16Digest::new();
                for piece in pieces(&data, a, b) {
                    d.update(piece);
                    t.update(piece);
                }
                prop_assert_eq!(t.finalize(), want);
                prop_assert_eq!(d.finalize(), want);
            }

            #[test]
            #[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
            fn hardware_equals_table_crc32(data in proptest::collection::vec(any::<u8>(), 0..MAX_LEN),
                                           a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
                let want = table::crc32(&data);
                prop_assert_eq!(hardware::crc32(&data), want);
                let mut d = hardware::Crc32Digest::new();
                let mut t = table::Crc32Digest::new();
                for piece in pieces(&data, a, b) {
                    d.update(piece);
                    t.update(piece);
                }
                prop_assert_eq!(t.finalize(), want);
                prop_assert_eq!(d.finalize(), want);
            }

            #[test]
            fn hardware_equals_table_crc32c(data in proptest::collection::vec(any::<u8>(), 0..MAX_LEN),
                                            a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
                let want = table::crc32c(&data);
                prop_assert_eq!(hardware::crc32c(&data), want);
                let mut d = hardware::Crc32cDigest::new();
                let mut t = table::Crc32cDigest::new();
                for piece in pieces(&data, a, b) {
                    d.update(piece);
                    t.update(piece);
                }
                prop_assert_eq!(t.finalize(), want);
                prop_assert_eq!(d.finalize(), want);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn streaming_equals_one_shot(data in proptest::collection::vec(any::<u8>(), 0..if cfg!(miri) { 40 } else { 600 }),
                                     split in any::<prop::sample::Index>(), pick in any::<prop::sample::Index>()) {
            let kind = ChecksumKind::ALL[pick.index(ChecksumKind::ALL.len())];
            let at = split.index(data.len() + 1);
            let mut h = Hasher::new(kind);
            h.update(&data[..at]);
            h.update(&data[at..]);
            prop_assert_eq!(h.kind(), kind);
            prop_assert_eq!(h.finish(), kind.compute(&data));
        }
    }
}
