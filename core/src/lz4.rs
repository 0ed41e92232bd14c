//! LZ4 block format (no frame header, no size prefix) for container frames.
//!
//! Decoding runs on [`lz4_flex`]'s safe decoder (untrusted input), encoding on its
//! faster pointer-based encoder (our own plaintext); neither needs an
//! allocator: the compressor's hash table lives on the stack (8 KiB for inputs
//! under 64 KiB, 16 KiB above). The wire contract bounds a block of `n` input
//! bytes by [`bound`]`(n) = n + n / 255 + 16`; when the compressor's output
//! would be longer, `compress_into` writes a literal-only block instead
//! ([`store_into`]), which never is. The compressor wants a little more room
//! than that bound to work in: size its output with [`compress_buffer_len`].
//!
//! ```
//! use secstream_core::lz4;
//!
//! # #[cfg(feature = "lz4")] { // compressing LZ4 needs the `lz4` feature
//! let text = b"secstream secstream secstream secstream secstream";
//! let mut packed = [0u8; 128];
//! let n = lz4::compress_into(text, &mut packed)?;
//! assert!(n < text.len());
//! let mut out = [0u8; 64];
//! let m = lz4::decompress_into(&packed[..n], &mut out)?;
//! assert_eq!(&out[..m], text);
//! # }
//! # Ok::<(), secstream_core::compress::Error>(())
//! ```

use zeroize::Zeroize;

use crate::compress::Error;

/// The contract's bound on a block of `n` input bytes: `n + n / 255 + 16`
/// (saturating).
#[must_use]
pub const fn bound(n: usize) -> usize {
    n.saturating_add(n / 255).saturating_add(16)
}

/// Output length `compress_into` (feature `lz4`) needs for `n` input bytes: the larger of
/// [`bound`] and the compressor's own working bound (`n * 1.1 + 20`). The
/// result is never longer than [`bound`]`(n)`.
#[must_use]
pub const fn compress_buffer_len(n: usize) -> usize {
    let b = bound(n);
    #[cfg(feature = "lz4")]
    {
        let flex = lz4_flex::block::get_maximum_output_size(n);
        if flex > b {
            return flex;
        }
    }
    b
}

/// Length of the literal-only block of `n` bytes: a token, `(n - 15) / 255 + 1`
/// length bytes when `n >= 15`, and the literals.
#[must_use]
pub const fn stored_len(n: usize) -> usize {
    let ext = if n >= 15 { (n - 15) / 255 + 1 } else { 0 };
    n.saturating_add(1).saturating_add(ext)
}

/// Writes `input` as one literal-only LZ4 block (valid for any input, at most
/// [`bound`] bytes); returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`] if `out` is shorter than [`stored_len`] (nothing
/// written).
pub fn store_into(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let n = input.len();
    let total = stored_len(n);
    let out = out.get_mut(..total).ok_or(Error::BufferTooSmall)?;
    let (head, lits) = out.split_at_mut(total - n);
    let mut pos = 0;
    if n >= 15 {
        let first = head.first_mut().ok_or(Error::BufferTooSmall)?;
        *first = 0xF0;
        pos = 1;
        let mut rest = n - 15;
        while rest >= 255 {
            *head.get_mut(pos).ok_or(Error::BufferTooSmall)? = 255;
            pos += 1;
            rest -= 255;
        }
        // rest < 255 here.
        *head.get_mut(pos).ok_or(Error::BufferTooSmall)? = u8::try_from(rest).unwrap_or(254);
    } else {
        // n < 15: the literal length fits the token.
        *head.get_mut(pos).ok_or(Error::BufferTooSmall)? = u8::try_from(n << 4).unwrap_or(0xE0);
    }
    lits.copy_from_slice(input);
    Ok(total)
}

/// Compresses `input` (feature `lz4`) into one LZ4 block at the start of `out`; returns its
/// length, at most [`bound`]`(input.len())`. An `out` of
/// [`compress_buffer_len`] bytes always suffices. Bytes of `out` past the
/// result that the compressor touched are wiped.
///
/// # Errors
/// [`Error::BufferTooSmall`] if `out` is shorter than needed.
// Never inlined: the compressor's hash tables (8 KiB and 16 KiB, both in
// lz4_flex's frame) would otherwise join the stack frame of every caller,
// e.g. `container::FrameCodec::encode` of an uncompressed or sealed stream,
// and overflow a 16 KiB microcontroller that never compresses.
#[cfg(feature = "lz4")]
#[inline(never)]
pub fn compress_into(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let b = bound(input.len());
    if out.len() >= lz4_flex::block::get_maximum_output_size(input.len()) {
        match lz4_flex::block::compress_into(input, out) {
            Ok(n) if n <= b => {
                // The encoder may write a few bytes past its result (wild copies of
                // up to 16 bytes); nothing further is touched.
                wipe_after(out, n, n + 32);
                return Ok(n);
            }
            Ok(n) => wipe_after(out, 0, n),
            Err(_) => wipe_after(out, 0, b),
        }
    }
    store_into(input, out)
}

#[cfg(feature = "lz4")]
fn wipe_after(out: &mut [u8], from: usize, to: usize) {
    let to = to.min(out.len());
    if let Some(rest) = out.get_mut(from.min(to)..to) {
        rest.zeroize();
    }
}

/// Decompresses the LZ4 block `input` into `out`; returns the decompressed
/// length. Nothing is written past `out` (a block that would need more fails
/// with [`Error::TooLarge`] before it does), and `out` is wiped on error.
///
/// # Errors
/// [`Error::TooLarge`] if the output does not fit `out`, [`Error::Truncated`]
/// or [`Error::Corrupt`] for a damaged block (a match offset of 0 or before the
/// start of the output).
pub fn decompress_into(input: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    use lz4_flex::block::DecompressError as E;
    let res = lz4_flex::block::decompress_into(input, out)
        .map_err(|e| match e {
            E::OutputTooSmall { .. } => Error::TooLarge,
            E::LiteralOutOfBounds | E::ExpectedAnotherByte => Error::Truncated,
            _ => Error::Corrupt,
        })
        .and_then(|n| {
            if meets_end_conditions(input, n) {
                Ok(n)
            } else {
                Err(Error::Corrupt)
            }
        });
    if res.is_err() {
        out.zeroize();
    }
    res
}

/// The end-of-block conditions of the LZ4 block format, which the contract requires of
/// every block: the last sequence holds only literals, and when the block has matches,
/// its last 5 bytes are literals and the last match starts at least 12 bytes before the
/// end. `input` is a block that decoded to `out_len` bytes.
fn meets_end_conditions(input: &[u8], out_len: usize) -> bool {
    let mut pos = 0usize;
    let mut produced = 0usize;
    let mut last_match_start: Option<usize> = None;
    // Reads a length continued by 255-bytes.
    let ext = |pos: &mut usize, mut len: usize| -> Option<usize> {
        loop {
            let b = *input.get(*pos)?;
            *pos += 1;
            len = len.checked_add(usize::from(b))?;
            if b != 255 {
                return Some(len);
            }
        }
    };
    loop {
        let Some(&token) = input.get(pos) else {
            return false;
        };
        pos += 1;
        let mut lits = usize::from(token >> 4);
        if lits == 15 {
            let Some(l) = ext(&mut pos, lits) else {
                return false;
            };
            lits = l;
        }
        pos = pos.saturating_add(lits);
        produced = produced.saturating_add(lits);
        if pos >= input.len() {
            // The last sequence: literals only.
            return pos == input.len()
                && produced == out_len
                && last_match_start.is_none_or(|m| lits >= 5 && m + 12 <= out_len);
        }
        pos += 2; // the offset (the decoder checked it)
        let mut len = usize::from(token & 0x0F);
        if len == 15 {
            let Some(l) = ext(&mut pos, len) else {
                return false;
            };
            len = l;
        }
        last_match_start = Some(produced);
        produced = produced.saturating_add(len + 4);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn empty_input_is_one_zero_byte() {
        let mut out = [0xAAu8; 32];
        #[cfg(feature = "lz4")]
        {
            assert_eq!(compress_into(b"", &mut out), Ok(1));
            assert_eq!(out[0], 0);
        }
        assert_eq!(store_into(b"", &mut out), Ok(1));
        assert_eq!(out[0], 0);
        let mut plain = [0u8; 4];
        assert_eq!(decompress_into(&[0], &mut plain), Ok(0));
    }

    #[test]
    fn literal_blocks_round_trip_at_every_length_edge() {
        let big = if cfg!(miri) { 600 } else { 70_000 };
        for n in [0usize, 1, 14, 15, 16, 269, 270, 271, 524, 525, big] {
            let input: Vec<u8> = (0..n).map(|i| (i * 7 + 3).to_le_bytes()[0]).collect();
            let mut out = vec![0u8; stored_len(n)];
            assert_eq!(store_into(&input, &mut out), Ok(stored_len(n)), "n={n}");
            assert!(stored_len(n) <= bound(n));
            let mut back = vec![0u8; n];
            assert_eq!(decompress_into(&out, &mut back), Ok(n), "n={n}");
            assert_eq!(back, input);
            assert_eq!(
                store_into(&input, &mut out[..stored_len(n) - 1]),
                Err(Error::BufferTooSmall)
            );
        }
        // Exact bytes: 15 literals need one extra length byte of 0.
        let mut out = [0u8; 17];
        store_into(&[9; 15], &mut out).unwrap();
        assert_eq!(out[..2], [0xF0, 0x00]);
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn incompressible_input_stays_within_the_bound() {
        let mut x = 0x1234_5678u32;
        let input: Vec<u8> = (0..if cfg!(miri) { 1000 } else { 100_000 })
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x.to_le_bytes()[0]
            })
            .collect();
        let sizes: &[usize] = if cfg!(miri) {
            &[0, 1, 100, 1000]
        } else {
            &[0, 1, 100, 4096, 65_535, 65_536, 100_000]
        };
        for &n in sizes {
            let mut out = vec![0u8; compress_buffer_len(n)];
            let len = compress_into(&input[..n], &mut out).unwrap();
            assert!(len <= bound(n), "n={n}: {len} > {}", bound(n));
            let mut back = vec![0u8; n];
            assert_eq!(decompress_into(&out[..len], &mut back), Ok(n));
            assert_eq!(back, &input[..n]);
        }
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn a_small_output_falls_back_to_literals() {
        let input = [b'a'; 300];
        let mut out = vec![0u8; stored_len(300)];
        let n = compress_into(&input, &mut out).unwrap();
        let mut back = [0u8; 300];
        assert_eq!(decompress_into(&out[..n], &mut back), Ok(300));
        assert_eq!(back, input);
    }

    #[test]
    fn end_of_block_conditions_are_enforced() {
        let mut out = [0u8; 64];
        // 'a', then a match of 4 at offset 1 ending the block: the last sequence has a
        // match.
        assert!(decompress_into(&[0x10, b'a', 1, 0], &mut out).is_err());
        // A match whose block ends in fewer than 5 literals: "a" + match(4) + "b".
        assert_eq!(
            decompress_into(&[0x10, b'a', 1, 0, 0x10, b'b'], &mut out),
            Err(Error::Corrupt)
        );
        // The last match starting less than 12 bytes before the end.
        assert_eq!(
            decompress_into(
                &[0x10, b'a', 1, 0, 0x50, b'b', b'c', b'd', b'e', b'f'],
                &mut out
            ),
            Err(Error::Corrupt)
        );
        // 8 literals, a match of 4 at output 8, then 5 literals: the match starts 9
        // bytes before the end (17): refused; with 8 trailing literals (20): accepted.
        let mut ok = vec![0x80];
        ok.extend_from_slice(b"abcdefgh");
        ok.extend_from_slice(&[8, 0]);
        let mut short = ok.clone();
        short.push(0x50);
        short.extend_from_slice(b"12345");
        assert_eq!(decompress_into(&short, &mut out), Err(Error::Corrupt));
        ok.push(0x80);
        ok.extend_from_slice(b"12345678");
        assert_eq!(decompress_into(&ok, &mut out), Ok(20));
        assert_eq!(&out[..20], b"abcdefghabcd12345678");
        // Literal-only blocks of any length are fine.
        assert_eq!(decompress_into(&[0x30, 1, 2, 3], &mut out), Ok(3));
    }

    #[cfg(feature = "lz4")]
    #[test]
    fn bombs_and_damage_are_refused() {
        let input = [0u8; 4000];
        let mut packed = vec![0u8; compress_buffer_len(4000)];
        let n = compress_into(&input, &mut packed).unwrap();
        assert!(n < 100);
        let mut small = [0xAAu8; 3999];
        assert_eq!(
            decompress_into(&packed[..n], &mut small),
            Err(Error::TooLarge)
        );
        assert!(small.iter().all(|&b| b == 0), "wiped on error");
        // A match offset of 0: token 0x10 (1 literal, match), 'x', offset 00 00.
        let mut out = [0u8; 64];
        assert_eq!(
            decompress_into(&[0x10, b'x', 0, 0, 0x00], &mut out),
            Err(Error::Corrupt)
        );
        // An offset before the start of the output.
        assert_eq!(
            decompress_into(&[0x10, b'x', 5, 0, 0x00], &mut out),
            Err(Error::Corrupt)
        );
        // Literals cut short.
        assert_eq!(
            decompress_into(&[0x50, b'a'], &mut out),
            Err(Error::Truncated)
        );
        for cut in 0..n {
            let mut big = [0u8; 4000];
            let r = decompress_into(&packed[..cut], &mut big);
            assert!(r != Ok(4000), "cut at {cut} gave the original");
        }
    }
}
