//! The `ring` ChaCha20-Poly1305 backend (feature `ring`, hosts): ring's
//! assembly runs 2x RustCrypto's speed at 64 KiB and 9x at 64 bytes here
//! (BENCHMARKS.md). Same bytes on the wire as the portable backend (`seal/portable.rs`).
//!
//! ring decrypts while it authenticates and zeroes the buffer when the tag
//! does not match, so a failed open leaves zeros, not the ciphertext; and ring
//! does not wipe its keys, so [`RingCipher`] wipes the key's memory on drop
//! (the one unsafe block here).
#![allow(unsafe_code)]

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::mem::{ManuallyDrop, size_of};

use ::ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};

use super::{Error, KEY_LEN, NONCE_LEN, TAG_LEN};

/// A ChaCha20-Poly1305 key in ring's form, on the heap so that no copy of it is
/// moved around after construction; its bytes are wiped on drop.
pub(crate) struct RingCipher(Box<ManuallyDrop<LessSafeKey>>);

impl RingCipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        // A 32-byte key is what CHACHA20_POLY1305 takes: `new` cannot fail.
        let unbound = match UnboundKey::new(&CHACHA20_POLY1305, key) {
            Ok(k) => k,
            Err(_) => unreachable!("ChaCha20-Poly1305 takes 32-byte keys"),
        };
        Self(Box::new(ManuallyDrop::new(LessSafeKey::new(unbound))))
    }

    pub(crate) fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), buf)
            .map_err(|_| Error::TooLong)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts and authenticates: on failure `buf` holds zeros.
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        self.0
            .open_in_place_separate_tag(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                Tag::from(*tag),
                buf,
                0..,
            )
            .map(|_| ())
            .map_err(|_| Error::Authentication)
    }

    /// Opens as a frame that is not final (`nonce`), then as the final one (its last
    /// byte 1); returns whether it is final. A failed try zeroes `buf`, so the
    /// ciphertext is kept aside for the second: on the stack up to
    /// [`STACK_COPY`] bytes, else in `saved` (grown when too short, reused by a
    /// reader from frame to frame: no allocation per frame).
    pub(crate) fn open_either(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        saved: &mut Vec<u8>,
    ) -> Result<bool, Error> {
        if buf.len() <= STACK_COPY {
            return self.open_either_on_stack::<STACK_COPY>(nonce, aad, buf, tag);
        }
        saved.clear();
        saved
            .try_reserve_exact(buf.len())
            .map_err(|_| Error::TooLong)?;
        saved.extend_from_slice(buf);
        self.open_either_with(nonce, aad, buf, tag, saved)
    }

    /// [`open_either`](Self::open_either) with the ciphertext kept in an
    /// `N`-byte stack array (`buf` is at most `N` bytes long).
    fn open_either_on_stack<const N: usize>(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<bool, Error> {
        let mut copy = [0u8; N];
        let copy = copy.get_mut(..buf.len()).ok_or(Error::TooLong)?;
        copy.copy_from_slice(buf);
        self.open_either_with(nonce, aad, buf, tag, copy)
    }

    /// [`open_either`](Self::open_either) with the ciphertext kept in `saved`.
    fn open_either_with(
        &self,
        mut nonce: [u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
        saved: &[u8],
    ) -> Result<bool, Error> {
        if self.open(&nonce, aad, buf, tag).is_ok() {
            return Ok(false);
        }
        buf.copy_from_slice(saved);
        nonce[NONCE_LEN - 1] = 1;
        self.open(&nonce, aad, buf, tag)?;
        Ok(true)
    }
}

/// Frames up to this many bytes keep their ciphertext on the stack for
/// [`RingCipher::open_either`]'s second try (the array is zeroed first: a small
/// one costs less than reaching for the heap).
const STACK_COPY: usize = 128;

impl Drop for RingCipher {
    fn drop(&mut self) {
        let key: *mut ManuallyDrop<LessSafeKey> = &mut *self.0;
        let bytes = key.cast::<u8>();
        for i in 0..size_of::<LessSafeKey>() {
            // SAFETY: `bytes + i` lies inside the boxed `LessSafeKey` (i < its size),
            // which this `RingCipher` owns exclusively; it is a `ManuallyDrop` never
            // read or dropped after this, so the zeros (not a valid `LessSafeKey`:
            // it holds a reference) are never used as one. Volatile: the wipe stays.
            unsafe { core::ptr::write_volatile(bytes.wrapping_add(i), 0) };
        }
        core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
    }
}
