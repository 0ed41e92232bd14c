//! The checksums of the contract, by id.

use secstream_core::checksum::ChecksumKind;

use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::raw;

pub(crate) fn kind(id: u8) -> Result<ChecksumKind, E> {
    ChecksumKind::from_id(id).map_err(E::from)
}

/// Computes checksum `checksum_id` (0 none, 1 CRC-16, 2 CRC-32, 3 CRC-32C,
/// 4 XXH3-64) of `len` bytes at `data` into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_checksum(
    checksum_id: u8,
    data: *const u8,
    len: usize,
    out: *mut u64,
) -> SecstreamError {
    let run = || -> Result<u64, E> {
        if out.is_null() {
            return Err(E::SecstreamErrNullPointer);
        }
        Ok(kind(checksum_id)?.compute(raw::input(data, len)?))
    };
    match run() {
        Ok(v) => {
            raw::put(out, v);
            E::SecstreamOk
        }
        Err(e) => e,
    }
}

/// The width in bytes (0, 2, 4 or 8) of checksum `checksum_id` into `*out`.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_checksum_width(checksum_id: u8, out: *mut usize) -> SecstreamError {
    if out.is_null() {
        return E::SecstreamErrNullPointer;
    }
    match kind(checksum_id) {
        Ok(k) => {
            raw::put(out, k.width());
            E::SecstreamOk
        }
        Err(e) => e,
    }
}
