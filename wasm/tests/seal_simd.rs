//! The core's WebAssembly `simd128` sealing backend (`core/src/seal/wasm_simd.rs`)
//! against its portable RustCrypto backend (`core/src/seal/portable.rs`), in the
//! wasm build itself (Node, headless Chromium and Firefox through
//! wasm-bindgen-test): RFC 8439's vectors, every length around the 4-block and
//! 16-byte boundaries, and random inputs, each backend opening what the other
//! sealed and both refusing every tampering.
//!
//! Both backends are crate-private in `secstream-core`; they are compiled here
//! from the same source files, beside the core's own copy (which
//! `bindings.rs` runs through the shared vectors).
#![cfg(target_arch = "wasm32")]

#[cfg(target_feature = "simd128")]
use secstream_core::seal::{Error, KEY_LEN, NONCE_LEN, TAG_LEN};
use wasm_bindgen_test::wasm_bindgen_test;

#[cfg(target_feature = "simd128")]
#[path = "../../core/src/seal/wasm_simd.rs"]
mod wasm_simd;

#[cfg(target_feature = "simd128")]
#[path = "../../core/src/seal/portable.rs"]
mod portable;

#[cfg(target_feature = "simd128")]
#[path = "../../core/src/seal/open_either.rs"]
mod open_either;
#[cfg(target_feature = "simd128")]
use open_either::open_either_checked;

/// `.cargo/config.toml` builds wasm32 with `+simd128`: without it the core
/// falls back to the portable backend and this file checks nothing, so fail.
#[wasm_bindgen_test]
#[allow(clippy::assertions_on_constants)] // a failing test, not a build error, says why
fn built_with_simd128() {
    assert!(
        cfg!(target_feature = "simd128"),
        "wasm32 builds must have +simd128 (.cargo/config.toml; RUSTFLAGS replaces it)"
    );
}

#[cfg(target_feature = "simd128")]
mod simd {
    use super::portable::PortableCipher;
    use super::wasm_simd::SimdCipher;
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        s.chunks_exact(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    const SUNSCREEN: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";

    /// RFC 8439 section 2.8.2: the AEAD example.
    #[wasm_bindgen_test]
    fn rfc8439_aead_example() {
        let key: [u8; 32] = core::array::from_fn(|i| 0x80 + u8::try_from(i).unwrap());
        let nonce: [u8; 12] = hex("07000000 4041424344454647").try_into().unwrap();
        let aad = hex("50515253c0c1c2c3c4c5c6c7");
        let want_ct = hex(
            "d31a8d34648e60db7b86afbc53ef7ec2 a4aded51296e08fea9e2b5a736ee62d6
             3dbea45e8ca9671282fafb69da92728b 1a71de0a9e060b2905d6a5b67ecd3b36
             92ddbd7f2d778b8c9803aee328091b58 fab324e4fad675945585808b4831d7bc
             3ff4def08e4b7a9de576d26586cec64b 6116",
        );
        let want_tag: [u8; 16] = hex("1ae10b594f09e26a7e902ecbd0600691").try_into().unwrap();
        let c = SimdCipher::new(&key);
        let mut buf = SUNSCREEN.to_vec();
        let tag = c.seal(&nonce, &aad, &mut buf).unwrap();
        assert_eq!(buf, want_ct);
        assert_eq!(tag, want_tag);
        c.open(&nonce, &aad, &mut buf, &tag).unwrap();
        assert_eq!(buf, SUNSCREEN);
    }

    /// RFC 8439 section 2.4.2: ChaCha20 from block counter 1, which is what the
    /// AEAD encrypts with, so the AEAD's ciphertext is this one.
    #[wasm_bindgen_test]
    fn rfc8439_chacha20_encryption() {
        let key: [u8; 32] = core::array::from_fn(|i| u8::try_from(i).unwrap());
        let nonce: [u8; 12] = hex("000000000000004a00000000").try_into().unwrap();
        let want = hex(
            "6e2e359a2568f98041ba0728dd0d6981 e97e7aec1d4360c20a27afccfd9fae0b
             f91b65c5524733ab8f593dabcd62b357 1639d624e65152ab8f530c359f0861d8
             07ca0dbf500d6a6156a38e088a22b65e 52bc514d16ccf806818ce91ab7793736
             5af90bbf74a35be6b40b8eedf2785e42 874d",
        );
        let mut buf = SUNSCREEN.to_vec();
        SimdCipher::new(&key).seal(&nonce, &[], &mut buf).unwrap();
        assert_eq!(buf, want);
    }

    /// RFC 8439 appendix A.5: the decryption example (265 bytes, 4 blocks and
    /// a partial fifth).
    #[wasm_bindgen_test]
    fn rfc8439_aead_decryption() {
        let key: [u8; 32] =
            hex("1c9240a5eb55d38af333888604f6b5f0 473917c1402b80099dca5cbc207075c0")
                .try_into()
                .unwrap();
        let nonce: [u8; 12] = hex("000000000102030405060708").try_into().unwrap();
        let aad = hex("f33388860000000000004e91");
        let ct = hex(
            "64a0861575861af460f062c79be643bd 5e805cfd345cf389f108670ac76c8cb2
             4c6cfc18755d43eea09ee94e382d26b0 bdb7b73c321b0100d4f03b7f355894cf
             332f830e710b97ce98c8a84abd0b9481 14ad176e008d33bd60f982b1ff37c855
             9797a06ef4f0ef61c186324e2b350638 3606907b6a7c02b0f9f6157b53c867e4
             b9166c767b804d46a59b5216cde7a4e9 9040c5a40433225ee282a1b0a06c523e
             af4534d7f83fa1155b0047718cbc546a 0d072b04b3564eea1b422273f548271a
             0bb2316053fa76991955ebd63159434e cebb4e466dae5a1073a6727627097a10
             49e617d91d361094fa68f0ff77987130 305beaba2eda04df997b714d6c6f2c29
             a6ad5cb4022b02709b",
        );
        let tag: [u8; 16] = hex("eead9d67890cbb22392336fea1851f38").try_into().unwrap();
        let c = SimdCipher::new(&key);
        let mut buf = ct.clone();
        c.open(&nonce, &aad, &mut buf, &tag).unwrap();
        assert!(
            buf.starts_with(
                b"Internet-Drafts are draft documents valid for a maximum of six months"
            )
        );
        let mut want = ct.clone();
        PortableCipher::new(&key)
            .open(&nonce, &aad, &mut want, &tag)
            .unwrap();
        assert_eq!(buf, want);
        assert_eq!(c.seal(&nonce, &aad, &mut buf).unwrap(), tag);
        assert_eq!(buf, ct);
    }

    /// Same ciphertext and tag as the portable backend; each opens what the other
    /// sealed (also through `open_either`); both refuse a flipped bit of the
    /// ciphertext, tag or AAD and leave the ciphertext in place.
    fn check(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], aad: &[u8], msg: &[u8], flip: usize) {
        let p = PortableCipher::new(key);
        let s = SimdCipher::new(key);
        let mut a = msg.to_vec();
        let mut b = msg.to_vec();
        let ta = p.seal(nonce, aad, &mut a).unwrap();
        let tb = s.seal(nonce, aad, &mut b).unwrap();
        assert_eq!(
            (&a, ta),
            (&b, tb),
            "same ciphertext and tag, {} bytes",
            msg.len()
        );
        let mut x = a.clone();
        s.open(nonce, aad, &mut x, &ta).unwrap();
        assert_eq!(x, msg);
        let mut y = b.clone();
        p.open(nonce, aad, &mut y, &tb).unwrap();
        assert_eq!(y, msg);
        let mut not_final = *nonce;
        not_final[NONCE_LEN - 1] = 0;
        let mut x = a.clone();
        let mut y = a.clone();
        let opened = s.open_either(not_final, aad, &mut x, &ta);
        assert_eq!(opened, p.open_either(not_final, aad, &mut y, &ta));
        if nonce[NONCE_LEN - 1] <= 1 {
            assert_eq!(opened, Ok(nonce[NONCE_LEN - 1] == 1));
            assert_eq!((&x[..], &y[..]), (msg, msg));
        } else {
            assert_eq!(opened, Err(Error::Authentication));
            assert_eq!(x, a, "a failed open_either leaves the ciphertext");
        }
        let (mut ct, mut tag, mut aad2) = (a.clone(), ta, aad.to_vec());
        let bit = flip % ((ct.len() + TAG_LEN + aad2.len()) * 8);
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
            s.open(nonce, &aad2, &mut x, &tag),
            Err(Error::Authentication)
        );
        assert_eq!(
            p.open(nonce, &aad2, &mut y, &tag),
            Err(Error::Authentication)
        );
        assert_eq!(x, ct, "a failed open leaves the ciphertext");
        assert_eq!(y, ct);
        let mut x = ct.clone();
        assert!(s.open_either(not_final, &aad2, &mut x, &tag).is_err());
        assert_eq!(x, ct);
    }

    /// A small xorshift generator: the same cases in every engine.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
        }

        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next().to_le_bytes()[3]).collect()
        }
    }

    #[wasm_bindgen_test]
    fn agrees_with_the_portable_backend_at_every_boundary() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let key: [u8; 32] = rng.bytes(32).try_into().unwrap();
        let msg = rng.bytes(70_000);
        let aad = rng.bytes(40);
        let mut lens: Vec<usize> = (0..=600).collect();
        lens.extend([
            1023, 1024, 1025, 4095, 4096, 4097, 16_384, 65_535, 65_536, 65_537, 69_999,
        ]);
        for (i, &len) in lens.iter().enumerate() {
            let aad_len = [0usize, 1, 15, 16, 17, 32, 40][i % 7];
            let mut nonce: [u8; 12] = rng.bytes(12).try_into().unwrap();
            nonce[NONCE_LEN - 1] = u8::try_from(i % 3).unwrap();
            check(
                &key,
                &nonce,
                &aad[..aad_len],
                &msg[..len],
                rng.below(usize::MAX),
            );
        }
    }

    #[wasm_bindgen_test]
    fn agrees_with_the_portable_backend_on_random_inputs() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        for case in 0..250 {
            let key: [u8; 32] = rng.bytes(32).try_into().unwrap();
            let mut nonce: [u8; 12] = rng.bytes(12).try_into().unwrap();
            // Mostly a container's nonces (last byte 0 or 1), sometimes any.
            if case % 4 != 0 {
                nonce[NONCE_LEN - 1] = u8::try_from(case % 2).unwrap();
            }
            let aad_len = rng.below(80);
            let aad = rng.bytes(aad_len);
            let len = if case % 25 == 0 {
                rng.below(70_000)
            } else {
                rng.below(3000)
            };
            let msg = rng.bytes(len);
            check(&key, &nonce, &aad, &msg, rng.below(usize::MAX));
        }
    }

    /// A wrong key, nonce or AAD is refused, and no plaintext is released.
    #[wasm_bindgen_test]
    fn wrong_parameters_fail_without_release() {
        let key = [7u8; 32];
        let s = SimdCipher::new(&key);
        let nonce = [1u8; 12];
        let mut ct = b"attack at dawn, attack at dawn, attack at dawn".to_vec();
        let tag = s.seal(&nonce, b"aad", &mut ct).unwrap();
        let mut other_nonce = nonce;
        other_nonce[0] ^= 1;
        for (cipher, n, aad) in [
            (SimdCipher::new(&[8u8; 32]), nonce, &b"aad"[..]),
            (SimdCipher::new(&key), other_nonce, b"aad"),
            (SimdCipher::new(&key), nonce, b"aae"),
            (SimdCipher::new(&key), nonce, b""),
        ] {
            let mut b = ct.clone();
            assert_eq!(
                cipher.open(&n, aad, &mut b, &tag),
                Err(Error::Authentication)
            );
            assert_eq!(b, ct);
        }
    }
}
