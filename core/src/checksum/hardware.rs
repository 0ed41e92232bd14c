//! Hardware CRCs on x86-64 and aarch64 hosts (feature `std`), from `crc-fast`:
//! it checks the CPU once at run time (`std`'s feature detection) and folds
//! with carry-less multiplication (PCLMULQDQ, VPCLMULQDQ with AVX-512 on
//! x86-64; PMULL on aarch64), using the CRC-32C instruction where it helps. A
//! CPU without them gets `crc-fast`'s own table code. The results are the same
//! as [`table`](super)'s on every input (tests `hardware_equals_table_*`).
//!
//! These paths do not use the `crc` crate's slice-by-16 loop, which LLVM turns
//! into slow gathers when built with `-C target-cpu=native`.

use crc_fast::{CrcAlgorithm, Digest};

/// The low 16 bits of a CRC-16 computed in a `u64`.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
fn low16(value: u64) -> u16 {
    let [a, b, ..] = value.to_le_bytes();
    u16::from_le_bytes([a, b])
}

/// The low 32 bits of a CRC-32 computed in a `u64`.
fn low32(value: u64) -> u32 {
    let [a, b, c, d, ..] = value.to_le_bytes();
    u32::from_le_bytes([a, b, c, d])
}

/// CRC-16/XMODEM of `bytes`.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
pub(super) fn crc16(bytes: &[u8]) -> u16 {
    low16(crc_fast::checksum(CrcAlgorithm::Crc16Xmodem, bytes))
}

/// CRC-32/ISO-HDLC of `bytes`.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    crc_fast::crc32_iso_hdlc(bytes)
}

/// CRC-32/ISCSI of `bytes`.
pub(super) fn crc32c(bytes: &[u8]) -> u32 {
    crc_fast::crc32_iscsi(bytes)
}

/// A `crc-fast` digest made on the first non-empty update, so that a fresh
/// one is a `const` value (`crc_fast::Digest::new` is not a `const fn`).
#[derive(Clone)]
struct Lazy {
    algorithm: CrcAlgorithm,
    digest: Option<Digest>,
}

impl Lazy {
    const fn new(algorithm: CrcAlgorithm) -> Self {
        Self {
            algorithm,
            digest: None,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let algorithm = self.algorithm;
        self.digest
            .get_or_insert_with(|| Digest::new(algorithm))
            .update(bytes);
    }

    fn finalize(self) -> u64 {
        match self.digest {
            Some(digest) => digest.finalize(),
            None => crc_fast::checksum(self.algorithm, &[]),
        }
    }
}

/// Streaming CRC-16/XMODEM.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
#[derive(Clone)]
pub(super) struct Crc16Digest(Lazy);

#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
impl Crc16Digest {
    pub(super) const fn new() -> Self {
        Self(Lazy::new(CrcAlgorithm::Crc16Xmodem))
    }
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(super) fn finalize(self) -> u16 {
        low16(self.0.finalize())
    }
}

/// Streaming CRC-32/ISO-HDLC.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
#[derive(Clone)]
pub(super) struct Crc32Digest(Lazy);

#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
impl Crc32Digest {
    pub(super) const fn new() -> Self {
        Self(Lazy::new(CrcAlgorithm::Crc32IsoHdlc))
    }
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(super) fn finalize(self) -> u32 {
        low32(self.0.finalize())
    }
}

/// Streaming CRC-32/ISCSI.
#[derive(Clone)]
pub(crate) struct Crc32cDigest(Lazy);

impl Crc32cDigest {
    pub(crate) const fn new() -> Self {
        Self(Lazy::new(CrcAlgorithm::Crc32Iscsi))
    }
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(crate) fn finalize(self) -> u32 {
        low32(self.0.finalize())
    }
}
