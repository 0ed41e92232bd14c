//! The portable CRCs: the `crc` crate's tables, computed at compile time into
//! `static`s. Used where [`hardware`](super) is not compiled (microcontrollers,
//! WebAssembly, hosts without the `std` feature or with another architecture),
//! and in tests as the reference the hardware CRCs are checked against.
//!
//! `crc::Table<16>` (slice-by-16: 8 KiB for CRC-16, 16 KiB per CRC-32) on hosted
//! targets, where it is several times faster than the 256-entry `Table<1>`;
//! `Table<1>` (512 B / 1 KiB per CRC) on bare-metal targets
//! (`target_os = "none"`), where flash is scarce. In WebAssembly CRC-16 and
//! CRC-32 use `Table<1>` too (see [`LegacyCrcImpl`]).

#[cfg(not(any(target_os = "none", target_family = "wasm")))]
type CrcImpl = crc::Table<16>;
#[cfg(target_os = "none")]
type CrcImpl = crc::Table<1>;

/// CRC-16 and CRC-32 in WebAssembly: the small table. The npm package ships
/// every table in its `.wasm`, and these two (24 KiB of slice-by-16 tables
/// that gzip cannot shrink) would push it past 100 KiB gzipped; CRC-32C, the
/// checksum to pick for speed, keeps slice-by-16 with its tables built at run
/// time (`runtime_table.rs`).
#[cfg(target_family = "wasm")]
#[cfg(any(
    not(secstream_checksums_subset),
    secstream_checksum = "crc16",
    secstream_checksum = "crc32"
))]
type LegacyCrcImpl = crc::Table<1>;
#[cfg(not(target_family = "wasm"))]
#[cfg(any(
    not(secstream_checksums_subset),
    secstream_checksum = "crc16",
    secstream_checksum = "crc32"
))]
type LegacyCrcImpl = CrcImpl;

/// CRC-32C in WebAssembly: slice-by-16 with the tables built at run time
/// (`runtime_table.rs`), so the `.wasm` does not carry 16 KiB of them.
#[cfg(target_family = "wasm")]
pub(crate) use super::runtime_table::Crc32cDigest;
#[cfg(target_family = "wasm")]
pub(super) use super::runtime_table::crc32c;

#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
static CRC16: crc::Crc<u16, LegacyCrcImpl> =
    crc::Crc::<u16, LegacyCrcImpl>::new(&crc::CRC_16_XMODEM);
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
static CRC32: crc::Crc<u32, LegacyCrcImpl> =
    crc::Crc::<u32, LegacyCrcImpl>::new(&crc::CRC_32_ISO_HDLC);
#[cfg(not(target_family = "wasm"))]
static CRC32C: crc::Crc<u32, CrcImpl> = crc::Crc::<u32, CrcImpl>::new(&crc::CRC_32_ISCSI);

/// CRC-16/XMODEM of `bytes`.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
pub(super) fn crc16(bytes: &[u8]) -> u16 {
    CRC16.checksum(bytes)
}

/// CRC-32/ISO-HDLC of `bytes`.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    CRC32.checksum(bytes)
}

/// CRC-32/ISCSI of `bytes`.
#[cfg(not(target_family = "wasm"))]
pub(super) fn crc32c(bytes: &[u8]) -> u32 {
    CRC32C.checksum(bytes)
}

/// Streaming CRC-16/XMODEM.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
#[derive(Clone)]
pub(super) struct Crc16Digest(crc::Digest<'static, u16, LegacyCrcImpl>);

#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc16"))]
impl Crc16Digest {
    pub(super) const fn new() -> Self {
        Self(CRC16.digest())
    }
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(super) fn finalize(self) -> u16 {
        self.0.finalize()
    }
}

/// Streaming CRC-32/ISO-HDLC.
#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
#[derive(Clone)]
pub(super) struct Crc32Digest(crc::Digest<'static, u32, LegacyCrcImpl>);

#[cfg(any(not(secstream_checksums_subset), secstream_checksum = "crc32"))]
impl Crc32Digest {
    pub(super) const fn new() -> Self {
        Self(CRC32.digest())
    }
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(super) fn finalize(self) -> u32 {
        self.0.finalize()
    }
}

/// Streaming CRC-32/ISCSI.
#[cfg(not(target_family = "wasm"))]
#[derive(Clone)]
pub(crate) struct Crc32cDigest(crc::Digest<'static, u32, CrcImpl>);

#[cfg(not(target_family = "wasm"))]
impl Crc32cDigest {
    pub(crate) const fn new() -> Self {
        Self(CRC32C.digest())
    }
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(crate) fn finalize(self) -> u32 {
        self.0.finalize()
    }
}
