//! The WebAssembly `simd128` ChaCha20-Poly1305 backend: ChaCha20 four blocks at a
//! time in 128-bit vectors (one block per lane), and RustCrypto's `poly1305`
//! (its portable code: WebAssembly has no other). Compiled only for `wasm32` with
//! the `simd128` target feature (the npm package is built with it); every other
//! build keeps [`super::portable`]. Same bytes on the wire: `wasm/tests/seal_simd.rs`
//! checks it against the portable backend in Node and in the browsers, on the
//! RFC 8439 vectors and on random inputs.
//!
//! Like the portable backend, [`open`](SimdCipher::open) checks the tag (in
//! constant time) before it decrypts anything, so a failed open leaves the
//! ciphertext. The key's words are wiped on drop, the Poly1305 state by
//! `poly1305`'s `zeroize` feature, and keystream kept in memory (the first
//! four blocks and the last partial ones) on every return; what stays in
//! vector registers or the engine's spill slots cannot be reached from Rust.
//!
//! The `core::arch::wasm32` intrinsics used here are safe functions: no unsafe code.

use core::arch::wasm32::{
    i8x16_shuffle, i32x4_shuffle, u32x4, u32x4_add, u32x4_shl, u32x4_shr, u32x4_splat,
    u64x2_extract_lane, v128, v128_or, v128_xor,
};

use poly1305::Poly1305;
use poly1305::universal_hash::{KeyInit, UniversalHash};
use zeroize::{Zeroize, Zeroizing};

use super::{Error, KEY_LEN, NONCE_LEN, TAG_LEN};

/// "expand 32-byte k".
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Bytes of four ChaCha20 blocks.
const WIDE: usize = 256;
/// Bytes of the first four blocks' keystream after the Poly1305 key's block.
const HEAD: usize = WIDE - 64;
/// Longest message: the 32-bit block counter starts at 1 (RFC 8439 section 2.8).
const MAX_LEN: u64 = (1 << 38) - 64;

/// A ChaCha20-Poly1305 key as the eight little-endian words of the ChaCha20
/// state; wiped on drop.
pub(crate) struct SimdCipher {
    key: Zeroizing<[u32; 8]>,
}

impl SimdCipher {
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> Self {
        let mut words = Zeroizing::new([0u32; 8]);
        for (w, b) in words.iter_mut().zip(key.chunks_exact(4)) {
            let mut le = [0u8; 4];
            le.copy_from_slice(b);
            *w = u32::from_le_bytes(le);
        }
        Self { key: words }
    }

    pub(crate) fn seal(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_LEN], Error> {
        check_len(buf)?;
        let n = nonce_words(nonce);
        let (mut mac, head) = self.start(&n, aad);
        // Each piece is MACed right after it is encrypted, while it is in cache.
        self.apply(&n, &head, buf, |ct| mac.update_padded(ct));
        Ok(finish(mac, aad.len(), buf.len()))
    }

    /// Checks the tag, then decrypts: on failure `buf` still holds the ciphertext.
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), Error> {
        check_len(buf)?;
        let n = nonce_words(nonce);
        let (mut mac, head) = self.start(&n, aad);
        mac.update_padded(buf);
        let mut want = finish(mac, aad.len(), buf.len());
        let same = tags_equal(&want, tag);
        want.zeroize();
        if !same {
            return Err(Error::Authentication);
        }
        self.apply(&n, &head, buf, |_| {});
        Ok(())
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

    /// Blocks 0 to 3: the Poly1305 key (block 0's first 32 bytes), already fed
    /// the padded AAD, and the keystream of blocks 1 to 3 for the message's first
    /// 192 bytes.
    fn start(&self, n: &[u32; 3], aad: &[u8]) -> (Poly1305, Zeroizing<[u8; HEAD]>) {
        let mut blocks = Zeroizing::new([0u8; WIDE]);
        xor_blocks(&self.key, n, 0, &mut blocks);
        let mut head = Zeroizing::new([0u8; HEAD]);
        head.copy_from_slice(&blocks[64..]);
        let poly_key: &[u8; 32] = blocks[..32]
            .try_into()
            .expect("a ChaCha20 block holds the 32-byte Poly1305 key");
        let mut mac = Poly1305::new(poly_key.into());
        mac.update_padded(aad);
        (mac, head)
    }

    /// XORs the keystream from block 1 on into `buf`, calling `each` on every
    /// piece right after it is done (the pieces are whole 16-byte blocks but
    /// for the last).
    fn apply(&self, n: &[u32; 3], head: &[u8; HEAD], buf: &mut [u8], mut each: impl FnMut(&[u8])) {
        let (first, rest) = buf.split_at_mut(buf.len().min(HEAD));
        for (b, k) in first.iter_mut().zip(head.iter()) {
            *b ^= k;
        }
        each(first);
        // Block counters of 4-block groups: 4, 8, ... (the length check keeps
        // them below 2^32).
        let mut counter = 4u32;
        let mut wide = rest.chunks_exact_mut(WIDE);
        for chunk in &mut wide {
            let chunk: &mut [u8; WIDE] = chunk
                .try_into()
                .expect("chunks_exact_mut yields WIDE-byte chunks");
            xor_blocks(&self.key, n, counter, chunk);
            each(chunk);
            counter = counter.wrapping_add(4);
        }
        let tail = wide.into_remainder();
        if !tail.is_empty() {
            let mut last = Zeroizing::new([0u8; WIDE]);
            let (part, _) = last.split_at_mut(tail.len());
            part.copy_from_slice(tail);
            xor_blocks(&self.key, n, counter, &mut last);
            let (part, _) = last.split_at(tail.len());
            tail.copy_from_slice(part);
            each(tail);
        }
    }
}

/// Messages longer than ChaCha20's 32-bit block counter allows are refused (on
/// wasm32 no slice is that long; the check keeps the counter arithmetic honest).
fn check_len(buf: &[u8]) -> Result<(), Error> {
    match u64::try_from(buf.len()) {
        Ok(n) if n <= MAX_LEN => Ok(()),
        _ => Err(Error::TooLong),
    }
}

fn nonce_words(nonce: &[u8; NONCE_LEN]) -> [u32; 3] {
    let mut n = [0u32; 3];
    for (w, b) in n.iter_mut().zip(nonce.chunks_exact(4)) {
        let mut le = [0u8; 4];
        le.copy_from_slice(b);
        *w = u32::from_le_bytes(le);
    }
    n
}

/// The tag: Poly1305 over the padded AAD and ciphertext (already fed), then
/// both lengths as 64-bit little-endian.
fn finish(mut mac: Poly1305, aad_len: usize, ct_len: usize) -> [u8; TAG_LEN] {
    let mut lens = [0u8; 16];
    // usize is at most 64 bits on every target Rust supports.
    lens[..8].copy_from_slice(&(aad_len as u64).to_le_bytes());
    lens[8..].copy_from_slice(&(ct_len as u64).to_le_bytes());
    mac.update_padded(&lens);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&mac.finalize());
    out
}

/// Compares two tags in constant time: every byte is looked at, whatever differs.
fn tags_equal(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    core::hint::black_box(diff) == 0
}

#[inline(always)]
fn rotl16(x: v128) -> v128 {
    i8x16_shuffle::<2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13>(x, x)
}

#[inline(always)]
fn rotl8(x: v128) -> v128 {
    i8x16_shuffle::<3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14>(x, x)
}

#[inline(always)]
fn rotl<const L: u32, const R: u32>(x: v128) -> v128 {
    v128_or(u32x4_shl(x, L), u32x4_shr(x, R))
}

#[inline(always)]
fn quarter(x: &mut [v128; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = u32x4_add(x[a], x[b]);
    x[d] = rotl16(v128_xor(x[d], x[a]));
    x[c] = u32x4_add(x[c], x[d]);
    x[b] = rotl::<12, 20>(v128_xor(x[b], x[c]));
    x[a] = u32x4_add(x[a], x[b]);
    x[d] = rotl8(v128_xor(x[d], x[a]));
    x[c] = u32x4_add(x[c], x[d]);
    x[b] = rotl::<7, 25>(v128_xor(x[b], x[c]));
}

/// XORs ChaCha20 blocks `counter` to `counter + 3` into `data`, block `i` into
/// bytes `64 i .. 64 i + 64`. Lane `i` of vector `w` is word `w` of block `i`.
#[inline(always)]
fn xor_blocks(key: &[u32; 8], n: &[u32; 3], counter: u32, data: &mut [u8; WIDE]) {
    let counters = u32x4_add(u32x4_splat(counter), u32x4(0, 1, 2, 3));
    let init: [v128; 16] = [
        u32x4_splat(SIGMA[0]),
        u32x4_splat(SIGMA[1]),
        u32x4_splat(SIGMA[2]),
        u32x4_splat(SIGMA[3]),
        u32x4_splat(key[0]),
        u32x4_splat(key[1]),
        u32x4_splat(key[2]),
        u32x4_splat(key[3]),
        u32x4_splat(key[4]),
        u32x4_splat(key[5]),
        u32x4_splat(key[6]),
        u32x4_splat(key[7]),
        counters,
        u32x4_splat(n[0]),
        u32x4_splat(n[1]),
        u32x4_splat(n[2]),
    ];
    let mut x = init;
    for _ in 0..10 {
        quarter(&mut x, 0, 4, 8, 12);
        quarter(&mut x, 1, 5, 9, 13);
        quarter(&mut x, 2, 6, 10, 14);
        quarter(&mut x, 3, 7, 11, 15);
        quarter(&mut x, 0, 5, 10, 15);
        quarter(&mut x, 1, 6, 11, 12);
        quarter(&mut x, 2, 7, 8, 13);
        quarter(&mut x, 3, 4, 9, 14);
    }
    for (v, s) in x.iter_mut().zip(init.iter()) {
        *v = u32x4_add(*v, *s);
    }
    // Words 2k and 2k+1 of blocks 0 and 1, then of blocks 2 and 3, as 64-bit lanes.
    for k in 0..8 {
        let (w0, w1) = (x[2 * k], x[2 * k + 1]);
        let lo = i32x4_shuffle::<0, 4, 1, 5>(w0, w1);
        let hi = i32x4_shuffle::<2, 6, 3, 7>(w0, w1);
        xor_word(data, 8 * k, u64x2_extract_lane::<0>(lo));
        xor_word(data, 64 + 8 * k, u64x2_extract_lane::<1>(lo));
        xor_word(data, 128 + 8 * k, u64x2_extract_lane::<0>(hi));
        xor_word(data, 192 + 8 * k, u64x2_extract_lane::<1>(hi));
    }
}

#[inline(always)]
fn xor_word(data: &mut [u8; WIDE], at: usize, ks: u64) {
    let mut le = [0u8; 8];
    le.copy_from_slice(&data[at..at + 8]);
    let v = u64::from_le_bytes(le) ^ ks;
    data[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
