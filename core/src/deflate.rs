//! Per-frame raw deflate (RFC 1951) for containers with the deflate flag.
//!
//! Each frame is one independent deflate stream. Inflating needs no allocator: the
//! decompressor state ([`InflateState`], about 10.5 KB) and the output buffer come from
//! the caller, and output that does not fit the buffer is an error, so a small frame
//! cannot expand into unbounded memory (zip bomb). Compressing needs the `alloc` feature
//! (`deflate_to_vec`, `deflate_into`); storing (deflate level 0: stored blocks, no
//! compression) does not ([`store_into`]).
//!
//! Compressed output is never longer than [`stored_len`] of the input: when compressing
//! does not beat stored blocks (incompressible data), the stream is written as stored
//! blocks of up to 65535 bytes instead, so `n + 5 * ceil(n / 65535)` bytes (5 for `n = 0`)
//! always suffice.
//!
//! ```
//! use secstream_core::deflate::{inflate_into, InflateState};
//!
//! // "aaaaaaaaaa" compressed by zlib (raw deflate, level 9).
//! let compressed = [0x4B, 0x4C, 0x84, 0x01, 0x00];
//! let mut state = InflateState::new();
//! let mut out = [0u8; 16];
//! let n = inflate_into(&compressed, &mut out, &mut state)?;
//! assert_eq!(&out[..n], b"aaaaaaaaaa");
//! // Output larger than the buffer is refused.
//! assert!(inflate_into(&compressed, &mut out[..9], &mut state).is_err());
//! # Ok::<(), secstream_core::deflate::Error>(())
//! ```

use core::fmt;

use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
use zeroize::Zeroize;

pub use crate::compress::Error;

/// State of the raw-deflate decompressor (about 10.5 KB: keep it in a `static`, a `Box`,
/// or a long-lived stack frame).
#[derive(Clone)]
pub struct InflateState(DecompressorOxide);

impl InflateState {
    /// A fresh state.
    #[must_use]
    pub fn new() -> Self {
        Self(DecompressorOxide::new())
    }
}

impl Default for InflateState {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for InflateState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InflateState")
    }
}

/// Inflates the raw deflate stream `input` into `out`; returns the inflated length.
/// On error the output buffer is wiped.
///
/// # Errors
/// [`Error::TooLarge`] if the output does not fit `out`, [`Error::Truncated`],
/// [`Error::Corrupt`] or [`Error::TrailingData`] for a damaged stream.
pub fn inflate_into(
    input: &[u8],
    out: &mut [u8],
    state: &mut InflateState,
) -> Result<usize, Error> {
    state.0.init();
    let flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, used, written) = decompress(&mut state.0, input, out, 0, flags);
    let result = match status {
        TINFLStatus::Done if used == input.len() => Ok(written),
        TINFLStatus::Done => Err(Error::TrailingData),
        TINFLStatus::HasMoreOutput => Err(Error::TooLarge),
        TINFLStatus::NeedsMoreInput | TINFLStatus::FailedCannotMakeProgress => {
            Err(Error::Truncated)
        }
        _ => Err(Error::Corrupt),
    };
    if result.is_err() {
        out.zeroize();
    }
    result
}

/// Largest payload of one stored block (RFC 1951 section 3.2.4: `LEN` is 16 bits).
pub const MAX_STORED_BLOCK: usize = 65535;
/// Bytes a stored block adds to its payload: the block header byte (`BFINAL`, `BTYPE = 00`,
/// padding to the byte boundary) and `LEN`, `NLEN`.
pub const STORED_BLOCK_OVERHEAD: usize = 5;

/// Length of the stored-block encoding of `n` bytes: `n + 5 * ceil(n / 65535)`, and 5 for
/// `n = 0` (one empty final block); saturates at `usize::MAX`. It is also the largest
/// output of [`store_into`], `deflate_to_vec` and `deflate_into` for `n` input bytes.
#[must_use]
pub const fn stored_len(n: usize) -> usize {
    let blocks = if n == 0 {
        1
    } else {
        n.div_ceil(MAX_STORED_BLOCK)
    };
    n.saturating_add(blocks.saturating_mul(STORED_BLOCK_OVERHEAD))
}

/// Writes `input` to the start of `out` as one raw deflate stream of stored blocks (no
/// compression; blocks of 65535 bytes, the last one final); returns its length,
/// [`stored_len`]`(input.len())`. Needs no allocator.
///
/// # Errors
/// [`Error::BufferTooSmall`] if `out` is shorter than [`stored_len`] (nothing written).
pub fn store_into(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let total = stored_len(input.len());
    if total == usize::MAX || out.len() < total {
        return Err(Error::BufferTooSmall);
    }
    let mut blocks = input.chunks(MAX_STORED_BLOCK).peekable();
    let mut pos = 0usize;
    loop {
        let block = blocks.next().unwrap_or_default();
        let last = blocks.peek().is_none();
        // `block.len() <= 65535`, so it fits in a u16.
        let len = u16::try_from(block.len()).map_err(|_| Error::BufferTooSmall)?;
        let end = pos
            .checked_add(STORED_BLOCK_OVERHEAD)
            .and_then(|p| p.checked_add(block.len()))
            .ok_or(Error::BufferTooSmall)?;
        let dst = out.get_mut(pos..end).ok_or(Error::BufferTooSmall)?;
        let (head, data) = dst.split_at_mut(STORED_BLOCK_OVERHEAD);
        // BFINAL in bit 0, BTYPE = 00 in bits 1-2, then padding to the byte boundary.
        head[0] = u8::from(last);
        head[1..3].copy_from_slice(&len.to_le_bytes());
        head[3..5].copy_from_slice(&(!len).to_le_bytes());
        data.copy_from_slice(block);
        pos = end;
        if last {
            return Ok(pos);
        }
    }
}

/// Compresses `input` as one raw deflate stream at `level` (0 = store .. 10 = best;
/// larger values act as 10). Level 0, and any level where compressing would not be
/// shorter, gives stored blocks ([`store_into`]), so the result is at most
/// [`stored_len`]`(input.len())` bytes.
///
/// # Panics
/// Never: storing into a buffer of exactly [`stored_len`] bytes cannot fail.
#[cfg(feature = "alloc")]
#[must_use]
pub fn deflate_to_vec(input: &[u8], level: u8) -> alloc::vec::Vec<u8> {
    let bound = stored_len(input.len());
    if level > 0 {
        let mut c = miniz_oxide::deflate::compress_to_vec(input, level.min(10));
        if c.len() <= bound {
            return c;
        }
        c.zeroize();
    }
    let mut out = alloc::vec![0u8; bound];
    let n = store_into(input, &mut out).expect("the buffer is exactly stored_len long");
    out.truncate(n);
    out
}

/// Compresses `input` like [`deflate_to_vec`] (the same bytes) into the start of `out`;
/// returns the length, at most [`stored_len`]`(input.len())`, so an `out` of that length
/// always suffices. The compressor's scratch copy is wiped.
///
/// # Errors
/// [`Error::BufferTooSmall`] if the stream does not fit `out` (nothing written).
#[cfg(feature = "alloc")]
pub fn deflate_into(input: &[u8], level: u8, out: &mut [u8]) -> Result<usize, Error> {
    if level > 0 {
        let mut c = miniz_oxide::deflate::compress_to_vec(input, level.min(10));
        if c.len() <= stored_len(input.len()) {
            let res = match out.get_mut(..c.len()) {
                Some(dst) => {
                    dst.copy_from_slice(&c);
                    Ok(c.len())
                }
                None => Err(Error::BufferTooSmall),
            };
            c.zeroize();
            return res;
        }
        c.zeroize();
    }
    store_into(input, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::Decompress;

    /// Exhaustive loops (every bit, every cut) sample every n-th case under Miri.
    const MIRI_STEP: usize = if cfg!(miri) { 23 } else { 1 };

    // Raw deflate of "hello hello hello" produced by zlib (Python `zlib.compressobj(9,
    // zlib.DEFLATED, -15)`), an independent compressor.
    const HELLO3: [u8; 10] = [0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x57, 0xC8, 0x40, 0x90, 0x00];

    #[test]
    fn inflates_zlib_output() {
        let mut st = InflateState::new();
        let mut out = [0u8; 32];
        let n = inflate_into(&HELLO3, &mut out, &mut st).unwrap();
        assert_eq!(&out[..n], b"hello hello hello");
        // Exactly fitting output is fine, one byte less is not.
        assert_eq!(inflate_into(&HELLO3, &mut out[..17], &mut st), Ok(17));
        assert_eq!(
            inflate_into(&HELLO3, &mut out[..16], &mut st),
            Err(Error::TooLarge)
        );
        assert_eq!(out[..16], [0u8; 16], "wiped on error");
    }

    #[test]
    fn damaged_streams_are_errors() {
        let mut st = InflateState::new();
        let mut out = [0u8; 64];
        for cut in 0..HELLO3.len() {
            assert!(
                inflate_into(&HELLO3[..cut], &mut out, &mut st).is_err(),
                "cut {cut}"
            );
        }
        let mut trailing = HELLO3.to_vec();
        trailing.push(0);
        assert_eq!(
            inflate_into(&trailing, &mut out, &mut st),
            Err(Error::TrailingData)
        );
        // Block type 3 is reserved.
        assert_eq!(
            inflate_into(&[0x07], &mut out, &mut st),
            Err(Error::Corrupt)
        );
        // Every bit flip: an error or some output, never a panic.
        for bit in (0..HELLO3.len() * 8).step_by(MIRI_STEP) {
            let mut d = HELLO3;
            d[bit / 8] ^= 1 << (bit % 8);
            let _ = inflate_into(&d, &mut out, &mut st);
        }
    }

    #[test]
    fn zip_bomb_is_bounded() {
        // 1 MiB of zeros compresses to about 1 KiB; the output buffer is 4 KiB.
        #[cfg(feature = "alloc")]
        {
            let bomb = deflate_to_vec(
                &std::vec![0u8; if cfg!(miri) { 1 << 14 } else { 1 << 20 }],
                9,
            );
            assert!(bomb.len() < 2048);
            let mut inf = crate::compress::Decompressor::new(std::vec![0u8; 4096]);
            assert_eq!(
                inf.decompress(crate::compress::Compression::Deflate, &bomb, 1 << 30),
                Err(Error::TooLarge)
            );
        }
        let mut none = ();
        assert_eq!(
            none.decompress(crate::compress::Compression::Deflate, &HELLO3, 100),
            Err(Error::Unsupported)
        );
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn round_trip_every_level() {
        let data: std::vec::Vec<u8> = (0..3000u32)
            .map(|i| u8::try_from(i % 7 + i / 300).unwrap())
            .collect();
        let mut inf = crate::compress::Decompressor::new([0u8; 3000]);
        for level in (0..=12).step_by(MIRI_STEP) {
            let c = deflate_to_vec(&data, level);
            let n = inf
                .decompress(crate::compress::Compression::Deflate, &c, 3000)
                .unwrap();
            assert_eq!(&inf.output()[..n], data.as_slice(), "level {level}");
            assert!(
                inf.decompress(crate::compress::Compression::Deflate, &c, 2999)
                    .is_err()
            );
        }
        assert_eq!(
            inf.decompress(
                crate::compress::Compression::Deflate,
                &deflate_to_vec(b"", 6),
                0
            ),
            Ok(0)
        );
    }

    /// Deterministic incompressible bytes (xorshift32).
    fn noise(len: usize, seed: u32) -> std::vec::Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[1]
            })
            .collect()
    }

    #[test]
    fn stored_blocks_exact_bytes() {
        // Expected bytes from an independent encoder: Python
        // `zlib.compressobj(0, zlib.DEFLATED, -15)` writes the same for "" and "abc".
        let mut out = [0xAAu8; 16];
        assert_eq!(store_into(b"", &mut out), Ok(5));
        assert_eq!(out[..5], [0x01, 0x00, 0x00, 0xFF, 0xFF]);
        assert_eq!(store_into(b"abc", &mut out), Ok(8));
        assert_eq!(out[..8], [0x01, 0x03, 0x00, 0xFC, 0xFF, b'a', b'b', b'c']);
        // Too small: refused, nothing written.
        let mut small = [0xAAu8; 7];
        assert_eq!(store_into(b"abc", &mut small), Err(Error::BufferTooSmall));
        assert_eq!(small, [0xAA; 7]);
        assert_eq!(stored_len(0), 5);
        assert_eq!(stored_len(65535), 65540);
        assert_eq!(stored_len(65536), 65546);
        assert_eq!(stored_len(usize::MAX), usize::MAX);
        let mut st = InflateState::new();
        let mut back = [0u8; 3];
        assert_eq!(inflate_into(&out[..8], &mut back, &mut st), Ok(3));
        assert_eq!(&back, b"abc");
    }

    #[test]
    fn stored_blocks_split_at_65535_and_inflate() {
        let sizes: &[usize] = if cfg!(miri) {
            &[0, 1, 65_536]
        } else {
            &[0, 1, 65_534, 65_535, 65_536, 131_070, 131_071, 200_000]
        };
        let mut st = InflateState::new();
        for &n in sizes {
            let data = noise(n, 7);
            let mut out = std::vec![0u8; stored_len(n)];
            assert_eq!(store_into(&data, &mut out), Ok(stored_len(n)), "n {n}");
            // Block headers: every 65540 bytes, only the last one final.
            let blocks = n.div_ceil(65_535).max(1);
            for b in 0..blocks {
                let len = (n - b * 65_535).min(65_535);
                let h = &out[b * 65_540..b * 65_540 + 5];
                assert_eq!(h[0], u8::from(b + 1 == blocks), "n {n} block {b}");
                assert_eq!(u16::from_le_bytes([h[1], h[2]]) as usize, len);
                assert_eq!(
                    u16::from_le_bytes([h[3], h[4]]),
                    !u16::try_from(len).unwrap()
                );
            }
            let mut back = std::vec![0u8; n];
            assert_eq!(inflate_into(&out, &mut back, &mut st), Ok(n), "n {n}");
            assert_eq!(back, data);
        }
    }

    /// Incompressible 1..4 MiB (3 KB under Miri) at every kind of level: the output never
    /// exceeds `stored_len` (miniz_oxide alone writes about +170 bytes per MiB at levels 0,
    /// 6 and 9, about +970 at level 1) and inflates back.
    #[cfg(feature = "alloc")]
    #[test]
    fn incompressible_data_stays_within_stored_len() {
        let cases: &[(usize, &[u8])] = if cfg!(miri) {
            &[(3_000, &[1])]
        } else {
            &[
                (1 << 20, &[0, 1, 6, 9, 10]),
                (3 << 20 | 12_345, &[1, 6]),
                (4 << 20, &[1]),
            ]
        };
        for &(n, levels) in cases {
            let data = noise(n, 0x9E37_79B9);
            let mut inf = crate::compress::Decompressor::new(std::vec![0u8; n]);
            for &level in levels {
                let c = deflate_to_vec(&data, level);
                assert!(
                    c.len() <= stored_len(n),
                    "n {n} level {level}: {} > {}",
                    c.len(),
                    stored_len(n)
                );
                assert_eq!(
                    inf.decompress(crate::compress::Compression::Deflate, &c, n),
                    Ok(n),
                    "n {n} level {level}"
                );
                assert_eq!(&inf.output()[..n], data.as_slice());
                let mut out = std::vec![0u8; stored_len(n)];
                let k = deflate_into(&data, level, &mut out).unwrap();
                assert_eq!(&out[..k], c.as_slice(), "same bytes as deflate_to_vec");
            }
        }
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn deflate_into_refuses_short_output() {
        let data = [b'a'; 1000];
        let c = deflate_to_vec(&data, 6);
        let mut out = std::vec![0xAAu8; c.len() - 1];
        assert_eq!(deflate_into(&data, 6, &mut out), Err(Error::BufferTooSmall));
        let mut out = std::vec![0u8; c.len()];
        assert_eq!(deflate_into(&data, 6, &mut out), Ok(c.len()));
        let noisy = noise(500, 3);
        let mut out = std::vec![0u8; stored_len(500) - 1];
        assert_eq!(
            deflate_into(&noisy, 9, &mut out),
            Err(Error::BufferTooSmall)
        );
    }

    #[cfg(feature = "alloc")]
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn output_never_exceeds_stored_len(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..if cfg!(miri) { 300 } else { 5000 }),
            level in 0u8..=12,
        ) {
            let c = deflate_to_vec(&data, level);
            proptest::prop_assert!(c.len() <= stored_len(data.len()));
            let mut inf = crate::compress::Decompressor::new(std::vec![0u8; data.len()]);
            proptest::prop_assert_eq!(inf.decompress(crate::compress::Compression::Deflate, &c, data.len()), Ok(data.len()));
            proptest::prop_assert_eq!(&inf.output()[..data.len()], data.as_slice());
            let mut out = std::vec![0u8; stored_len(data.len())];
            let n = deflate_into(&data, level, &mut out).unwrap();
            proptest::prop_assert_eq!(&out[..n], c.as_slice());
        }
    }
}
