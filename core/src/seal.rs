//! Sealing of container frames (wire contract section 4).
//!
//! - stream key = HKDF-SHA256(ikm = 32-byte master key, salt = 16-byte stream nonce,
//!   info = `secstream v2 payload`), 32 bytes ([`StreamKey::derive`]);
//! - each frame is ChaCha20-Poly1305 with the nonce [`frame_nonce`]: the frame counter as
//!   11 bytes big-endian, then 0x01 for the final frame and 0x00 otherwise; the AAD is the
//!   32 bytes of container header and stream nonce as stored; the 16-byte tag follows
//!   the ciphertext.
//!
//! Keys are wiped on drop, print as redacted and are not `Clone`. A failed
//! authentication is the one opaque [`Error::Authentication`], and the buffer then holds
//! no plaintext: the ciphertext with the portable backend (the tag is checked before
//! anything is decrypted), zeros with `ring` (it decrypts while it authenticates).
//!
//! Backends (the one seam; the container and everything above it are written once):
//! RustCrypto's `chacha20poly1305` everywhere (microcontrollers, wasm without SIMD), with
//! the feature `ring` (hosts; `secstream` turns it on) ring's assembly, about 2x faster at
//! 64 KiB and 9x at 64 bytes, and on `wasm32` with the `simd128` target feature (the npm
//! package) a four-block SIMD ChaCha20 with RustCrypto's Poly1305 (`seal/wasm_simd.rs`).
//! All give the same bytes: the tests cross-check them on random inputs (the SIMD one in
//! Node and the browsers, `wasm/tests/seal_simd.rs`), and the shared vectors pass with
//! each.
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

use zeroize::{Zeroize, Zeroizing};

// With `ring`, the portable backend stays for the tests that cross-check the two.
#[cfg(any(
    all(
        not(feature = "ring"),
        not(all(target_arch = "wasm32", target_feature = "simd128"))
    ),
    test
))]
mod portable;
#[cfg(feature = "ring")]
mod ring_cipher;
// The final-flag rule of the backends that check a tag before decrypting.
#[cfg(any(not(feature = "ring"), test))]
mod open_either;
#[cfg(any(not(feature = "ring"), test))]
use open_either::open_either_checked;
#[cfg(all(
    not(feature = "ring"),
    target_arch = "wasm32",
    target_feature = "simd128"
))]
mod wasm_simd;

/// The backend behind [`StreamKey`].
#[cfg(all(
    not(feature = "ring"),
    not(all(target_arch = "wasm32", target_feature = "simd128"))
))]
type Cipher = portable::PortableCipher;
/// The backend behind [`StreamKey`].
#[cfg(feature = "ring")]
type Cipher = ring_cipher::RingCipher;
/// The backend behind [`StreamKey`].
#[cfg(all(
    not(feature = "ring"),
    target_arch = "wasm32",
    target_feature = "simd128"
))]
type Cipher = wasm_simd::SimdCipher;

/// Length of a master key and of a stream key.
pub const KEY_LEN: usize = 32;
/// Length of the stream nonce stored after a sealed container header.
pub const STREAM_NONCE_LEN: usize = 16;
/// Length of the authentication tag appended to each sealed frame.
pub const TAG_LEN: usize = 16;
/// Length of the ChaCha20-Poly1305 nonce.
pub const NONCE_LEN: usize = 12;
/// HKDF `info` of the stream key.
pub const KDF_INFO: &[u8] = b"secstream v2 payload";
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

    /// A new random key from the operating system's generator (feature `std`).
    ///
    /// # Errors
    /// The generator's error (it does not fall back to anything weaker).
    #[cfg(feature = "std")]
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(k.as_mut())?;
        Ok(Self(k))
    }

    /// Parses a key file's contents: exactly 32 raw bytes, or 64 hex digits, or the 44
    /// characters of standard base64 (padding included); surrounding ASCII whitespace is
    /// ignored for the text forms. A 32-byte input is always raw.
    ///
    /// # Errors
    /// [`KeyError`] saying what the input looked like.
    pub fn parse(bytes: &[u8]) -> Result<Self, KeyError> {
        if let Ok(raw) = <&[u8; KEY_LEN]>::try_from(bytes) {
            return Ok(Self::from_bytes(raw));
        }
        let text = bytes.trim_ascii();
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        match text.len() {
            64 => {
                for (out, pair) in k.iter_mut().zip(text.chunks_exact(2)) {
                    let hi = hex_digit(pair[0]).ok_or(KeyError::BadHex)?;
                    let lo = hex_digit(pair[1]).ok_or(KeyError::BadHex)?;
                    *out = (hi << 4) | lo;
                }
            }
            44 => decode_base64(text, &mut k)?,
            n => return Err(KeyError::Length(n)),
        }
        Ok(Self(k))
    }

    /// Reads a key file (see [`parse`](Self::parse); feature `std`). Its bytes are wiped
    /// after parsing.
    ///
    /// # Errors
    /// The I/O error, or [`KeyError`] as `InvalidData`.
    #[cfg(feature = "std")]
    pub fn load(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        use std::io::Read;
        let mut file = std::fs::File::open(path)?;
        // A key file is small: read a little past the longest form to report the length.
        let mut bytes = Zeroizing::new([0u8; 257]);
        let mut n = 0;
        while n < bytes.len() {
            match file.read(&mut bytes[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Self::parse(&bytes[..n])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn base64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes 44 characters of padded standard base64 (43 data characters and one `=`)
/// into 32 bytes.
fn decode_base64(text: &[u8], out: &mut [u8; KEY_LEN]) -> Result<(), KeyError> {
    let (data, pad) = text.split_at(43);
    if pad != b"=" {
        return Err(KeyError::BadBase64);
    }
    let mut acc = 0u32;
    let mut bits = 0u32;
    let mut n = 0usize;
    for &c in data {
        acc = (acc << 6) | u32::from(base64_value(c).ok_or(KeyError::BadBase64)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = out.get_mut(n).ok_or(KeyError::BadBase64)?;
            *byte = (acc >> bits).to_le_bytes()[0];
            n += 1;
        }
    }
    // 43 characters carry 258 bits: 256 of key and 2 that must be zero.
    let leftover = acc & ((1 << bits) - 1);
    acc.zeroize();
    if n != KEY_LEN || leftover != 0 {
        return Err(KeyError::BadBase64);
    }
    Ok(())
}

/// Why a key file's contents are not a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum KeyError {
    /// Not 32 raw bytes, 64 hex digits or 44 base64 characters (the length after
    /// trimming whitespace).
    Length(usize),
    /// 64 characters, not all hex digits.
    BadHex,
    /// 44 characters, not a padded base64 encoding of 32 bytes.
    BadBase64,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length(n) => write!(
                f,
                "a key is 32 raw bytes, 64 hex digits or 44 base64 characters, not {n} bytes"
            ),
            Self::BadHex => f.write_str("a 64-character key holds something other than hex digits"),
            Self::BadBase64 => f.write_str("a 44-character key is not base64 of 32 bytes"),
        }
    }
}

impl core::error::Error for KeyError {}

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
    cipher: Cipher,
}

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StreamKey([REDACTED])")
    }
}

impl StreamKey {
    /// Derives the stream key of a stream with `stream_nonce` from `master`.
    ///
    /// # Panics
    /// Never: 32 bytes are far below HKDF-SHA256's output limit.
    #[must_use]
    pub fn derive(master: &MasterKey, stream_nonce: &[u8; STREAM_NONCE_LEN]) -> Self {
        let mut okm = Zeroizing::new([0u8; KEY_LEN]);
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(stream_nonce), master.as_bytes());
        hk.expand(KDF_INFO, okm.as_mut())
            .expect("32 bytes are far below HKDF-SHA256's 8160-byte output limit");
        let cipher = Cipher::new(&okm);
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
        self.cipher.seal(&nonce, aad, buf)
    }

    /// Checks `tag` and decrypts `buf` in place as frame `counter`. On failure `buf`
    /// holds no plaintext (the ciphertext, or zeros with the `ring` backend).
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
        self.cipher.open(&nonce, aad, buf, tag)
    }

    /// [`open_in_place`](Self::open_in_place) of a frame that may or may not be the
    /// final one: tries it as not final, then as final; returns whether it is final.
    /// On failure `buf` holds no plaintext, as for `open_in_place`.
    ///
    /// # Errors
    /// [`Error::Authentication`] if neither matches, [`Error::CounterOverflow`] if
    /// `counter >= 2^88`; [`Error::TooLong`] with the `ring` backend if there is no
    /// memory to keep the ciphertext aside for the second try.
    pub fn open_in_place_either(
        &self,
        counter: u128,
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<bool, Error> {
        self.open_in_place_either_in(counter, aad, buf, tag, &mut Scratch::new())
    }

    /// [`open_in_place_either`](Self::open_in_place_either) keeping the `ring`
    /// backend's copy of the ciphertext in `scratch`, which a sequential reader
    /// keeps from frame to frame (no allocation per frame).
    pub(crate) fn open_in_place_either_in(
        &self,
        counter: u128,
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        scratch: &mut Scratch,
    ) -> Result<bool, Error> {
        let nonce = frame_nonce(counter, false)?;
        #[cfg(feature = "ring")]
        let res = self
            .cipher
            .open_either(nonce, aad, buf, tag, &mut scratch.saved);
        #[cfg(not(feature = "ring"))]
        let res = {
            let _ = scratch;
            self.cipher.open_either(nonce, aad, buf, tag)
        };
        res
    }
}

/// Memory a sequential reader keeps between frames for
/// [`StreamKey::open_in_place_either_in`]: with the `ring` backend, room for a
/// frame's ciphertext (not secret) kept for the second try; empty otherwise.
#[derive(Default)]
pub(crate) struct Scratch {
    #[cfg(feature = "ring")]
    saved: alloc::vec::Vec<u8>,
}

impl Scratch {
    /// No memory yet (it grows to the longest frame opened with it).
    pub(crate) const fn new() -> Self {
        Self {
            #[cfg(feature = "ring")]
            saved: alloc::vec::Vec::new(),
        }
    }
}

/// ChaCha20-Poly1305 (RFC 8439) under a raw 32-byte key, in place with a detached tag,
/// on the same backend as [`StreamKey`] (ring with the feature `ring`, else RustCrypto):
/// for hosts' own constructions on top of it (`secstream`'s XChaCha20-Poly1305 secret
/// memory). The key is wiped on drop; `Debug` is redacted; not `Clone`.
pub struct ChaChaPolyKey {
    cipher: Cipher,
}

impl fmt::Debug for ChaChaPolyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChaChaPolyKey([REDACTED])")
    }
}

impl ChaChaPolyKey {
    /// A key from its 32 bytes (the caller should wipe its copy).
    #[must_use]
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        Self {
            cipher: Cipher::new(key),
        }
    }

    /// Encrypts `buf` in place under `nonce` and `aad`; returns the tag.
    ///
    /// # Errors
    /// [`Error::TooLong`] if `buf` exceeds ChaCha20-Poly1305's limit.
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        self.cipher.seal(nonce, aad, buf)
    }

    /// Checks `tag` and decrypts `buf` in place. On failure `buf` holds no plaintext
    /// (the ciphertext, or zeros with the `ring` backend).
    ///
    /// # Errors
    /// [`Error::Authentication`] if the tag does not match.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.cipher.open(nonce, aad, buf, tag)
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
    fn keys_parse_from_raw_hex_and_base64() {
        let raw: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7).unwrap());
        assert_eq!(MasterKey::parse(&raw).unwrap().as_bytes(), &raw);
        let hex = "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9\n";
        assert_eq!(MasterKey::parse(hex.as_bytes()).unwrap().as_bytes(), &raw);
        assert_eq!(
            MasterKey::parse(hex.to_uppercase().as_bytes())
                .unwrap()
                .as_bytes(),
            &raw
        );
        // base64 of the same bytes (Python: base64.b64encode(bytes(i*7 for i in range(32))))
        let b64 = b"  AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=  ";
        assert_eq!(MasterKey::parse(b64).unwrap().as_bytes(), &raw);
        assert_eq!(MasterKey::parse(b"short").err(), Some(KeyError::Length(5)));
        let mut bad = hex.as_bytes().to_vec();
        bad[3] = b'g';
        assert_eq!(MasterKey::parse(&bad).err(), Some(KeyError::BadHex));
        assert_eq!(
            MasterKey::parse(b"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tl=").err(),
            Some(KeyError::BadBase64),
            "non-zero trailing bits"
        );
        assert_eq!(
            MasterKey::parse(b"AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0t!=").err(),
            Some(KeyError::BadBase64)
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn generated_keys_differ() {
        let a = MasterKey::generate().unwrap();
        let b = MasterKey::generate().unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
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
        // (Python `cryptography`: HKDF with info `secstream v2 payload`, ChaCha20Poly1305), stream key
        // 6afbca8d4537b2c029f2abfc5a448a393c46de7773022655290f4bff33715e68.
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
                0xC8, 0x6B, 0x85, 0xF4, 0x1C, 0x79, 0x8C, 0x88, 0x28, 0xB0, 0x7E, 0x5D, 0x31, 0x19,
                0x7D, 0xC2, 0xD2, 0xBB, 0x9B
            ]
        );
    }

    /// After a failed open the buffer holds the ciphertext (portable backend) or zeros
    /// (`ring`): never plaintext.
    fn assert_failed_buffer(buf: &[u8], ciphertext: &[u8]) {
        if cfg!(feature = "ring") {
            assert!(buf.iter().all(|&b| b == 0), "ring zeroes a failed open");
        } else {
            assert_eq!(buf, ciphertext, "buffer must still hold the ciphertext");
        }
    }

    #[test]
    fn open_either_reports_the_final_flag_and_refuses_tampering() {
        let key = StreamKey::derive(&master(), &[4; 16]);
        let aad = [7u8; 32];
        for fin in [false, true] {
            let mut ct = *b"last or not";
            let tag = key.seal_in_place(9, fin, &aad, &mut ct).unwrap();
            let mut b = ct;
            assert_eq!(key.open_in_place_either(9, &aad, &mut b, &tag), Ok(fin));
            assert_eq!(&b, b"last or not");
            let mut b = ct;
            assert_eq!(
                key.open_in_place_either(8, &aad, &mut b, &tag),
                Err(Error::Authentication)
            );
            assert_failed_buffer(&b, &ct);
            let mut b = ct;
            b[0] ^= 0x80;
            assert_eq!(
                key.open_in_place_either(9, &aad, &mut b, &tag),
                Err(Error::Authentication)
            );
        }
        assert_eq!(
            key.open_in_place_either(MAX_COUNTER, &aad, &mut [], &[0; TAG_LEN]),
            Err(Error::CounterOverflow)
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
            assert_failed_buffer(&b, &sealed);
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
            assert_failed_buffer(&b, &before);
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

    /// The `ring` backend against the portable one: same ciphertext and tag, each opens
    /// what the other sealed, both refuse every tampering.
    #[cfg(feature = "ring")]
    mod backends_agree {
        use proptest::prelude::*;
        use std::vec::Vec;

        use super::super::portable::PortableCipher;
        use super::super::ring_cipher::RingCipher;
        use super::super::{Error, NONCE_LEN, TAG_LEN};

        fn check(key: &[u8; 32], nonce: &[u8; NONCE_LEN], aad: &[u8], msg: &[u8], flip: usize) {
            let p = PortableCipher::new(key);
            let r = RingCipher::new(key);
            let mut a = msg.to_vec();
            let mut b = msg.to_vec();
            let ta = p.seal(nonce, aad, &mut a).unwrap();
            let tb = r.seal(nonce, aad, &mut b).unwrap();
            assert_eq!((&a, ta), (&b, tb), "same ciphertext and tag");
            let mut x = a.clone();
            p.open(nonce, aad, &mut x, &tb).unwrap();
            assert_eq!(x, msg);
            let mut y = a.clone();
            r.open(nonce, aad, &mut y, &ta).unwrap();
            assert_eq!(y, msg);
            // open_either tries the nonce with its last byte 0, then 1.
            let mut not_final = *nonce;
            not_final[NONCE_LEN - 1] = 0;
            let want = nonce[NONCE_LEN - 1] == 1;
            if nonce[NONCE_LEN - 1] <= 1 {
                let mut x = a.clone();
                let mut y = a.clone();
                assert_eq!(p.open_either(not_final, aad, &mut x, &ta), Ok(want));
                assert_eq!(
                    r.open_either(not_final, aad, &mut y, &ta, &mut Vec::new()),
                    Ok(want)
                );
                assert_eq!((&x[..], &y[..]), (msg, msg));
            } else {
                let mut y = a.clone();
                assert!(
                    r.open_either(not_final, aad, &mut y, &ta, &mut Vec::new())
                        .is_err()
                );
            }
            // One bit flipped in the ciphertext, the tag or the AAD.
            let (mut ct, mut tag, mut aad2) = (a.clone(), ta, aad.to_vec());
            let bits = (ct.len() + TAG_LEN + aad2.len()) * 8;
            let bit = flip % bits;
            let byte = bit / 8;
            if byte < ct.len() {
                ct[byte] ^= 1 << (bit % 8);
            } else if byte < ct.len() + TAG_LEN {
                tag[byte - ct.len()] ^= 1 << (bit % 8);
            } else {
                aad2[byte - ct.len() - TAG_LEN] ^= 1 << (bit % 8);
            }
            let mut x = ct.clone();
            let mut y = ct.clone();
            assert_eq!(
                p.open(nonce, &aad2, &mut x, &tag),
                Err(Error::Authentication)
            );
            assert_eq!(
                r.open(nonce, &aad2, &mut y, &tag),
                Err(Error::Authentication)
            );
            assert_eq!(x, ct, "portable leaves the ciphertext");
            assert!(y.iter().all(|&v| v == 0), "ring zeroes");
            let mut x = ct.clone();
            let mut y = ct.clone();
            assert!(p.open_either(not_final, &aad2, &mut x, &tag).is_err());
            assert!(
                r.open_either(not_final, &aad2, &mut y, &tag, &mut Vec::new())
                    .is_err()
            );
        }

        #[test]
        fn at_the_lengths_where_ring_changes_path() {
            let key: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 3).unwrap());
            let mut nonce = [0x5A; NONCE_LEN];
            let msg: Vec<u8> = (0..70_000u32)
                .map(|i| (i * 7 + 1).to_le_bytes()[0])
                .collect();
            let lens = [
                0usize, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257,
                319, 320, 383, 384, 447, 448, 511, 512, 513, 1023, 1024, 1025, 4096, 65_536,
                69_999,
            ];
            for (i, &len) in lens.iter().enumerate() {
                for aad_len in [0usize, 1, 32] {
                    nonce[NONCE_LEN - 1] = u8::from(aad_len == 1);
                    check(&key, &nonce, &msg[..aad_len], &msg[..len], i * 7919 + len);
                }
            }
        }

        proptest! {
            #[test]
            fn on_random_inputs(
                key in any::<[u8; 32]>(),
                mut nonce in any::<[u8; NONCE_LEN]>(),
                fin in any::<Option<bool>>(),
                aad in proptest::collection::vec(any::<u8>(), 0..80),
                msg in proptest::collection::vec(any::<u8>(), 0..3000),
                flip in any::<usize>(),
            ) {
                // Mostly a container's nonces (last byte 0 or 1), sometimes any.
                if let Some(fin) = fin {
                    nonce[NONCE_LEN - 1] = u8::from(fin);
                }
                check(&key, &nonce, &aad, &msg, flip);
            }
        }
    }
}
