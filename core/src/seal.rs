//! Sealing of container frames (wire contract section 4).
//!
//! - stream key = HKDF-SHA256(ikm = 32-byte master key, salt = 16-byte stream nonce,
//!   info = `secstream v1 payload`), 32 bytes ([`StreamKey::derive`]);
//! - each frame is ChaCha20-Poly1305 with the nonce [`frame_nonce`]: the frame counter as
//!   11 bytes big-endian, then 0x01 for the final frame and 0x00 otherwise; the AAD is the
//!   32 bytes of container header and stream nonce as stored; the 16-byte tag follows
//!   the ciphertext.
//!
//! Keys are wiped on drop, print as redacted and are not `Clone`. A failed
//! authentication is the one opaque [`Error::Authentication`], and the buffer then still
//! holds the ciphertext (the tag is checked before anything is decrypted).
//!
//! ```
//! use secstream_core::seal::{MasterKey, StreamKey, TAG_LEN};
//!
//! let master = MasterKey::from_bytes(&[7u8; 32]);
//! let key = StreamKey::derive(&master, &[1u8; 16]);
//! let aad = [0u8; 32];
//! let mut buf = *b"hello";
//! let tag = key.seal_in_place(0, false, &aad, &mut buf)?;
//! assert_ne!(&buf, b"hello");
//! key.open_in_place(0, false, &aad, &mut buf, &tag)?;
//! assert_eq!(&buf, b"hello");
//! assert_eq!(tag.len(), TAG_LEN);
//! # Ok::<(), secstream_core::seal::Error>(())
//! ```

use core::fmt;

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use zeroize::{Zeroize, Zeroizing};

/// Length of a master key and of a stream key.
pub const KEY_LEN: usize = 32;
/// Length of the stream nonce stored after a sealed container header.
pub const STREAM_NONCE_LEN: usize = 16;
/// Length of the authentication tag appended to each sealed frame.
pub const TAG_LEN: usize = 16;
/// Length of the ChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 12;
/// HKDF `info` of the stream key.
pub const KDF_INFO: &[u8] = b"secstream v1 payload";
/// Frame counters must stay below 2^88 (11 bytes).
pub const MAX_COUNTER: u128 = 1 << 88;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The frame failed authentication (wrong key, modified, reordered, dropped, or
    /// duplicated frame); nothing of it was released.
    Authentication,
    /// The frame counter reached 2^88.
    CounterOverflow,
    /// The frame is too long for ChaCha20-Poly1305.
    TooLong,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Authentication => "authentication failed",
            Self::CounterOverflow => "frame counter overflow",
            Self::TooLong => "frame too long to seal",
        })
    }
}

impl core::error::Error for Error {}

/// A 32-byte master key. Wiped on drop; `Debug` is redacted; not `Clone`.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    /// Copies `bytes` into a new key (the caller should wipe its copy).
    #[must_use]
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        k.copy_from_slice(bytes);
        Self(k)
    }

    /// Copies a key from a slice.
    ///
    /// # Errors
    /// [`Error::TooLong`] unless `bytes` is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let arr: &[u8; KEY_LEN] = bytes.try_into().map_err(|_| Error::TooLong)?;
        Ok(Self::from_bytes(arr))
    }

    /// The key bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

/// The ChaCha20-Poly1305 nonce of frame `counter`: the counter as 11 bytes big-endian,
/// then 0x01 if `is_final`, 0x00 otherwise.
///
/// # Errors
/// [`Error::CounterOverflow`] if `counter >= 2^88`.
pub fn frame_nonce(counter: u128, is_final: bool) -> Result<[u8; NONCE_LEN], Error> {
    if counter >= MAX_COUNTER {
        return Err(Error::CounterOverflow);
    }
    let be = counter.to_be_bytes();
    let mut nonce = [0u8; NONCE_LEN];
    nonce
        .get_mut(..11)
        .ok_or(Error::CounterOverflow)?
        .copy_from_slice(be.get(16 - 11..).ok_or(Error::CounterOverflow)?);
    nonce[11] = u8::from(is_final);
    Ok(nonce)
}

/// The per-stream key. Wiped on drop (the cipher zeroizes its key copy); `Debug` is
/// redacted; not `Clone`.
pub struct StreamKey {
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamKey([REDACTED])")
    }
}

impl StreamKey {
    /// Derives the stream key of a stream with `stream_nonce` from `master`.
    #[must_use]
    pub fn derive(master: &MasterKey, stream_nonce: &[u8; STREAM_NONCE_LEN]) -> Self {
        let mut okm = Zeroizing::new([0u8; KEY_LEN]);
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(stream_nonce), master.as_bytes());
        // 32 bytes are far below HKDF-SHA256's 8160-byte limit: expand cannot fail; if it
        // ever did, the key stays all zeros only in this impossible branch.
        if hk.expand(KDF_INFO, okm.as_mut()).is_err() {
            okm.zeroize();
        }
        let cipher = ChaCha20Poly1305::new((&*okm).into());
        Self { cipher }
    }

    /// Encrypts `buf` in place as frame `counter`; returns the tag to store after it.
    ///
    /// # Errors
    /// [`Error::CounterOverflow`] if `counter >= 2^88`, [`Error::TooLong`] if `buf` exceeds
    /// ChaCha20-Poly1305's limit.
    pub fn seal_in_place(
        &self,
        counter: u128,
        is_final: bool,
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let nonce = frame_nonce(counter, is_final)?;
        let tag = self
            .cipher
            .encrypt_inout_detached((&nonce).into(), aad, buf.into())
            .map_err(|_| Error::TooLong)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(&tag);
        Ok(out)
    }

    /// Checks `tag` and decrypts `buf` in place as frame `counter`. On failure `buf` is
    /// left as it was (the ciphertext).
    ///
    /// # Errors
    /// [`Error::Authentication`] if the tag does not match (any cause),
    /// [`Error::CounterOverflow`] if `counter >= 2^88`.
    pub fn open_in_place(
        &self,
        counter: u128,
        is_final: bool,
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        let nonce = frame_nonce(counter, is_final)?;
        self.cipher
            .decrypt_inout_detached((&nonce).into(), aad, buf.into(), tag.into())
            .map_err(|_| Error::Authentication)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive loops (every bit, every cut) sample every n-th case under Miri.
    const MIRI_STEP: usize = if cfg!(miri) { 23 } else { 1 };

    fn master() -> MasterKey {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap();
        }
        MasterKey::from_bytes(&k)
    }

    #[test]
    fn nonce_layout() {
        assert_eq!(frame_nonce(0, false).unwrap(), [0; 12]);
        assert_eq!(
            frame_nonce(0x0102, true).unwrap(),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1]
        );
        let top = frame_nonce(MAX_COUNTER - 1, false).unwrap();
        assert_eq!(
            top,
            [
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0
            ]
        );
        assert_eq!(frame_nonce(MAX_COUNTER, false), Err(Error::CounterOverflow));
        assert_eq!(frame_nonce(u128::MAX, true), Err(Error::CounterOverflow));
    }

    #[test]
    fn stream_key_depends_on_the_stream_nonce() {
        let a = StreamKey::derive(&master(), &[0; 16]);
        let b = StreamKey::derive(&master(), &[1; 16]);
        let aad = [9u8; 32];
        let mut x = [0u8; 8];
        let mut y = [0u8; 8];
        let ta = a.seal_in_place(0, false, &aad, &mut x).unwrap();
        let tb = b.seal_in_place(0, false, &aad, &mut y).unwrap();
        assert_ne!((x, ta), (y, tb));
    }

    #[test]
    fn known_answer() {
        // Master 00..1f, stream nonce 00..0f, "abc" sealed as frame 0 (not final) with an
        // AAD of 32 zero bytes; expected bytes computed with an independent implementation
        // (Python `cryptography` 48: HKDF, ChaCha20Poly1305), stream key
        // e6c5e09882b8f846f73688a87391ddb47213befc53c81bb9c85807225fc14b3f.
        let mut nonce = [0u8; 16];
        for (i, b) in nonce.iter_mut().enumerate() {
            *b = u8::try_from(i).unwrap();
        }
        let key = StreamKey::derive(&master(), &nonce);
        let mut buf = *b"abc";
        let tag = key.seal_in_place(0, false, &[0u8; 32], &mut buf).unwrap();
        let mut stored = buf.to_vec();
        stored.extend_from_slice(&tag);
        assert_eq!(
            stored,
            [
                0x2D, 0x08, 0xB7, 0x10, 0x60, 0xCA, 0x6C, 0xC6, 0x5A, 0x32, 0x9B, 0x67, 0xFE, 0x3B,
                0xEF, 0xAF, 0xA9, 0x9B, 0x50
            ]
        );
    }

    #[test]
    fn tamper_and_wrong_parameters_fail_without_release() {
        let key = StreamKey::derive(&master(), &[3; 16]);
        let aad = [1u8; 32];
        let mut ct = *b"attack at dawn";
        let tag = key.seal_in_place(5, false, &aad, &mut ct).unwrap();
        let sealed = ct;
        for (counter, fin, aad2) in [(4u128, false, aad), (5, true, aad), (5, false, [2u8; 32])] {
            let mut b = sealed;
            assert_eq!(
                key.open_in_place(counter, fin, &aad2, &mut b, &tag),
                Err(Error::Authentication)
            );
            assert_eq!(b, sealed, "buffer must still hold the ciphertext");
        }
        for bit in (0..(sealed.len() + TAG_LEN) * 8).step_by(MIRI_STEP) {
            let mut b = sealed;
            let mut t = tag;
            if bit / 8 < sealed.len() {
                b[bit / 8] ^= 1 << (bit % 8);
            } else {
                t[bit / 8 - sealed.len()] ^= 1 << (bit % 8);
            }
            let before = b;
            assert_eq!(
                key.open_in_place(5, false, &aad, &mut b, &t),
                Err(Error::Authentication)
            );
            assert_eq!(b, before);
        }
        let mut b = sealed;
        key.open_in_place(5, false, &aad, &mut b, &tag).unwrap();
        assert_eq!(&b, b"attack at dawn");
        let other = StreamKey::derive(&MasterKey::from_bytes(&[0xAA; 32]), &[3; 16]);
        let mut b = sealed;
        assert_eq!(
            other.open_in_place(5, false, &aad, &mut b, &tag),
            Err(Error::Authentication)
        );
    }

    #[test]
    fn keys_are_redacted() {
        let m = master();
        let s = std::format!("{m:?} {:?}", StreamKey::derive(&m, &[0; 16]));
        assert_eq!(s, "MasterKey([REDACTED]) StreamKey([REDACTED])");
        assert!(MasterKey::from_slice(&[0; 31]).is_err());
        assert_eq!(
            MasterKey::from_slice(&[5; 32]).unwrap().as_bytes(),
            &[5; 32]
        );
    }
}
