//! The portable ChaCha20-Poly1305 backend (RustCrypto, pure Rust): every build
//! without the `ring` feature (microcontrollers, wasm), and the reference the
//! `ring` backend is checked against.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};

use super::{Error, KEY_LEN, NONCE_LEN, TAG_LEN};

/// A ChaCha20-Poly1305 key (the cipher zeroizes its key copy on drop).
pub(crate) struct PortableCipher(ChaCha20Poly1305);

impl PortableCipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        Self(ChaCha20Poly1305::new(key.into()))
    }

    pub(crate) fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let tag = self
            .0
            .encrypt_inout_detached(nonce.into(), aad, buf.into())
            .map_err(|_| Error::TooLong)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Checks the tag, then decrypts: on failure `buf` still holds the ciphertext.
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.0
            .decrypt_inout_detached(nonce.into(), aad, buf.into(), tag.into())
            .map_err(|_| Error::Authentication)
    }

    /// Opens as a frame that is not final (`nonce`), then as the final one (its last
    /// byte 1); returns whether it is final. The tag is checked before decrypting, so
    /// a failed try leaves `buf` as it was.
    pub(crate) fn open_either(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<bool, Error> {
        super::open_either_checked(nonce, |n| self.open(n, aad, buf, tag))
    }
}
