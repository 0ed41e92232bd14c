//! XChaCha20-Poly1305 of the secret memory ([`crate::secret`]) and the Stream's
//! spill pages: HChaCha20 (RustCrypto's `chacha20`) derives a subkey from the key
//! and the nonce's first 16 bytes, then ChaCha20-Poly1305 seals under that subkey
//! with the nonce `0000 || nonce[16..24]` (draft-irtf-cfrg-xchacha). The
//! ChaCha20-Poly1305 is the core's [`ChaChaPolyKey`]: ring's with the `ring`
//! feature (the default), else RustCrypto's; the same bytes either way, checked
//! against RustCrypto's `XChaCha20Poly1305` in the tests.

use chacha20::hchacha;
use secstream_core::seal::{ChaChaPolyKey, KEY_LEN, NONCE_LEN, TAG_LEN};
use zeroize::Zeroizing;

/// Length of an XChaCha20-Poly1305 nonce.
pub(crate) const XNONCE_LEN: usize = 24;

/// The subkey and the inner nonce of `nonce`.
fn inner(key: &[u8; KEY_LEN], nonce: &[u8; XNONCE_LEN]) -> (ChaChaPolyKey, [u8; NONCE_LEN]) {
    let (head, tail) = nonce.split_first_chunk::<16>().unwrap_or((&[0; 16], &[]));
    let mut sub = Zeroizing::new([0u8; KEY_LEN]);
    let mut derived = hchacha::<chacha20::R20>(key.into(), head.into());
    sub.copy_from_slice(&derived);
    zeroize::Zeroize::zeroize(derived.as_mut_slice());
    let mut n = [0u8; NONCE_LEN];
    if let Some(dst) = n.get_mut(4..) {
        dst.copy_from_slice(tail);
    }
    (ChaChaPolyKey::new(&sub), n)
}

/// Encrypts `buf` in place; returns the tag, or `None` if `buf` is too long.
pub(crate) fn seal_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; XNONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let (cipher, n) = inner(key, nonce);
    cipher.seal_in_place(&n, aad, buf).ok()
}

/// Checks `tag` and decrypts `buf` in place; `false` (and no plaintext in `buf`) if
/// the tag does not match.
#[must_use]
pub(crate) fn open_in_place(
    key: &[u8; KEY_LEN],
    nonce: &[u8; XNONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    let (cipher, n) = inner(key, nonce);
    cipher.open_in_place(&n, aad, buf, tag).is_ok()
}

#[cfg(test)]
mod tests {
    use chacha20poly1305::aead::AeadInOut;
    use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
    use proptest::prelude::*;

    use super::*;

    fn check(key: &[u8; 32], nonce: &[u8; 24], aad: &[u8], msg: &[u8], flip: usize) {
        let reference = XChaCha20Poly1305::new(key.into());
        let mut a = msg.to_vec();
        let ta = reference
            .encrypt_inout_detached(nonce.into(), aad, a.as_mut_slice().into())
            .unwrap();
        let mut b = msg.to_vec();
        let tb = seal_in_place(key, nonce, aad, &mut b).unwrap();
        assert_eq!(
            (&a, ta.as_slice()),
            (&b, &tb[..]),
            "same ciphertext and tag"
        );
        let mut x = a.clone();
        assert!(open_in_place(key, nonce, aad, &mut x, &tb));
        assert_eq!(x, msg);
        let mut y = b.clone();
        reference
            .decrypt_inout_detached(nonce.into(), aad, y.as_mut_slice().into(), &ta)
            .unwrap();
        assert_eq!(y, msg);
        // One bit flipped in the ciphertext, the tag or the nonce: both refuse.
        let (mut ct, mut tag, mut n) = (a.clone(), tb, *nonce);
        let bit = flip % ((ct.len() + TAG_LEN + XNONCE_LEN) * 8);
        let byte = bit / 8;
        if byte < ct.len() {
            ct[byte] ^= 1 << (bit % 8);
        } else if byte < ct.len() + TAG_LEN {
            tag[byte - ct.len()] ^= 1 << (bit % 8);
        } else {
            n[byte - ct.len() - TAG_LEN] ^= 1 << (bit % 8);
        }
        let mut x = ct.clone();
        assert!(!open_in_place(key, &n, aad, &mut x, &tag));
        assert!(
            x.iter().all(|&v| v == 0) || x == ct,
            "no plaintext after a failure"
        );
        let mut y = ct.clone();
        assert!(
            reference
                .decrypt_inout_detached((&n).into(), aad, y.as_mut_slice().into(), (&tag).into())
                .is_err()
        );
    }

    #[test]
    fn draft_irtf_cfrg_xchacha_test_vector() {
        // draft-irtf-cfrg-xchacha-03, section A.3.1.
        let key: [u8; 32] = core::array::from_fn(|i| 0x80 + i.to_le_bytes()[0]);
        let nonce: [u8; 24] = core::array::from_fn(|i| 0x40 + i.to_le_bytes()[0]);
        let aad = [
            0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
        ];
        let mut buf = *b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let tag = seal_in_place(&key, &nonce, &aad, &mut buf).unwrap();
        assert_eq!(&buf[..8], &[0xbd, 0x6d, 0x17, 0x9d, 0x3e, 0x83, 0xd4, 0x3b]);
        assert_eq!(
            tag,
            [
                0xc0, 0x87, 0x59, 0x24, 0xc1, 0xc7, 0x98, 0x79, 0x47, 0xde, 0xaf, 0xd8, 0x78, 0x0a,
                0xcf, 0x49
            ]
        );
    }

    #[test]
    fn at_assorted_lengths() {
        let key: [u8; 32] = core::array::from_fn(|i| (i * 5).to_le_bytes()[0]);
        let nonce: [u8; 24] = core::array::from_fn(|i| (i * 11).to_le_bytes()[0]);
        let msg: Vec<u8> = (0..70_000u32)
            .map(|i| (i * 13 + 7).to_le_bytes()[0])
            .collect();
        for (i, len) in [
            0usize, 1, 63, 64, 65, 255, 256, 1024, 4096, 4095, 65_536, 69_999,
        ]
        .into_iter()
        .enumerate()
        {
            check(&key, &nonce, &msg[..36], &msg[..len], i * 977 + len);
        }
    }

    proptest! {
        #[test]
        fn on_random_inputs(
            key in any::<[u8; 32]>(),
            nonce in any::<[u8; 24]>(),
            aad in proptest::collection::vec(any::<u8>(), 0..64),
            msg in proptest::collection::vec(any::<u8>(), 0..3000),
            flip in any::<usize>(),
        ) {
            check(&key, &nonce, &aad, &msg, flip);
        }
    }
}
