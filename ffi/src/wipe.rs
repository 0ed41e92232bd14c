//! Wiping caller buffers.

use zeroize::Zeroize;

use crate::error::SecstreamError;
use crate::error::SecstreamError as E;
use crate::raw;

/// Overwrites `len` bytes at `ptr` with zeros in a way the optimiser may not
/// remove. `ptr` may be NULL only when `len` is 0.
#[unsafe(no_mangle)]
pub extern "C" fn secstream_wipe(ptr: *mut u8, len: usize) -> SecstreamError {
    match raw::output(ptr, len) {
        Ok(bytes) => {
            bytes.zeroize();
            E::SecstreamOk
        }
        Err(e) => e,
    }
}
