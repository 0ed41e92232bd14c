//! Per-frame raw deflate (RFC 1951) for containers with the deflate flag.
//!
//! Each frame is one independent deflate stream. Inflating needs no allocator: the
//! decompressor state ([`InflateState`], about 10.5 KB) and the output buffer come from
//! the caller, and output that does not fit the buffer is an error, so a small frame
//! cannot expand into unbounded memory (zip bomb). Compressing needs the `alloc` feature
//! ([`deflate_to_vec`]).
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

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The inflated data is larger than the output buffer (the maximum frame length).
    TooLarge,
    /// The deflate stream ends early.
    Truncated,
    /// The deflate stream is malformed.
    Corrupt,
    /// Bytes follow the end of the deflate stream.
    TrailingData,
    /// This reader has no inflater (see [`Inflate`]).
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "inflated frame longer than the maximum frame length",
            Self::Truncated => "deflate stream truncated",
            Self::Corrupt => "malformed deflate stream",
            Self::TrailingData => "data after the end of the deflate stream",
            Self::Unsupported => "no inflater configured for a deflate stream",
        })
    }
}

impl core::error::Error for Error {}

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

/// Compresses `input` as one raw deflate stream at `level` (0 = store .. 10 = best;
/// larger values act as 10).
#[cfg(feature = "alloc")]
#[must_use]
pub fn deflate_to_vec(input: &[u8], level: u8) -> alloc::vec::Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(input, level.min(10))
}

/// Something that can inflate a frame for a container reader: [`Inflater`] (or a
/// reference to / box of one), or `()` for a reader that refuses deflate streams.
pub trait Inflate {
    /// Inflates `input` into at most `limit` bytes; returns their number. They can be read
    /// with [`output`](Self::output) until the next call, and are wiped then (and on drop).
    ///
    /// # Errors
    /// As [`inflate_into`]; [`Error::Unsupported`] for `()`.
    fn inflate(&mut self, input: &[u8], limit: usize) -> Result<usize, Error>;

    /// The output buffer; the last inflated bytes are at its start.
    fn output(&mut self) -> &mut [u8];
}

impl Inflate for () {
    fn inflate(&mut self, _input: &[u8], _limit: usize) -> Result<usize, Error> {
        Err(Error::Unsupported)
    }
    fn output(&mut self) -> &mut [u8] {
        &mut []
    }
}

impl<T: Inflate + ?Sized> Inflate for &mut T {
    fn inflate(&mut self, input: &[u8], limit: usize) -> Result<usize, Error> {
        (**self).inflate(input, limit)
    }
    fn output(&mut self) -> &mut [u8] {
        (**self).output()
    }
}

#[cfg(feature = "alloc")]
impl<T: Inflate + ?Sized> Inflate for alloc::boxed::Box<T> {
    fn inflate(&mut self, input: &[u8], limit: usize) -> Result<usize, Error> {
        (**self).inflate(input, limit)
    }
    fn output(&mut self) -> &mut [u8] {
        (**self).output()
    }
}

/// Decompressor state plus output buffer `O` (`[u8; N]`, `&mut [u8]`, `Vec<u8>` ...);
/// the output is wiped before each use and on drop.
pub struct Inflater<O: AsMut<[u8]>> {
    state: InflateState,
    out: O,
    dirty: usize,
}

impl<O: AsMut<[u8]>> fmt::Debug for Inflater<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inflater").finish_non_exhaustive()
    }
}

impl<O: AsMut<[u8]>> Inflater<O> {
    /// An inflater writing into `out`.
    pub fn new(out: O) -> Self {
        Self {
            state: InflateState::new(),
            out,
            dirty: 0,
        }
    }

    fn wipe(&mut self) {
        let out = self.out.as_mut();
        let n = self.dirty.min(out.len());
        if let Some(d) = out.get_mut(..n) {
            d.zeroize();
        }
        self.dirty = 0;
    }
}

impl<O: AsMut<[u8]>> Drop for Inflater<O> {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl<O: AsMut<[u8]>> Inflate for Inflater<O> {
    fn inflate(&mut self, input: &[u8], limit: usize) -> Result<usize, Error> {
        self.wipe();
        let out = self.out.as_mut();
        let n = limit.min(out.len());
        let out = out.get_mut(..n).unwrap_or_default();
        let len = inflate_into(input, out, &mut self.state)?;
        self.dirty = len;
        Ok(len)
    }
    fn output(&mut self) -> &mut [u8] {
        self.out.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let mut inf = Inflater::new(std::vec![0u8; 4096]);
            assert_eq!(inf.inflate(&bomb, 1 << 30), Err(Error::TooLarge));
        }
        let mut none = ();
        assert_eq!(none.inflate(&HELLO3, 100), Err(Error::Unsupported));
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn round_trip_every_level() {
        let data: std::vec::Vec<u8> = (0..3000u32)
            .map(|i| u8::try_from(i % 7 + i / 300).unwrap())
            .collect();
        let mut inf = Inflater::new([0u8; 3000]);
        for level in (0..=12).step_by(MIRI_STEP) {
            let c = deflate_to_vec(&data, level);
            let n = inf.inflate(&c, 3000).unwrap();
            assert_eq!(&inf.output()[..n], data.as_slice(), "level {level}");
            assert!(inf.inflate(&c, 2999).is_err());
        }
        assert_eq!(inf.inflate(&deflate_to_vec(b"", 6), 0), Ok(0));
    }
}
