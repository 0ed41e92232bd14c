//! The final-flag rule of the backends whose open checks the tag before it
//! decrypts (the portable and the wasm `simd128` ones). Its own file so that the
//! wasm build's backend test (`wasm/tests/seal_simd.rs`) compiles it beside them.

use super::{Error, NONCE_LEN};

/// Opens as a frame that is not final (`nonce`), then as the final one (its last
/// byte 1), with `open`: a backend's open that checks the tag before it decrypts, so
/// that a failed try leaves the buffer as it was. Returns whether it is final.
pub(super) fn open_either_checked(
    mut nonce: [u8; NONCE_LEN],
    mut open: impl FnMut(&[u8; NONCE_LEN]) -> Result<(), Error>,
) -> Result<bool, Error> {
    if open(&nonce).is_ok() {
        return Ok(false);
    }
    nonce[NONCE_LEN - 1] = 1;
    open(&nonce)?;
    Ok(true)
}
