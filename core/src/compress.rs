//! The per-frame compressions of the container (wire contract section 4):
//! none, raw deflate ([`crate::deflate`]) and the LZ4 block format
//! ([`crate::lz4`]).
//!
//! A container reader decompresses each frame into the output buffer of a
//! [`Decompress`]: [`Decompressor`] (deflate and LZ4; it holds the 10.5 KB
//! inflate state), [`Lz4Decompressor`] (LZ4 only, nothing but the output
//! buffer), or `()` for streams without compression. The output buffer bounds
//! the plaintext together with the stream's `max_plain`, so a small frame
//! cannot expand into unbounded memory; it is wiped before each use and on
//! drop.

use core::fmt;

use zeroize::Zeroize;

use crate::deflate::{self, InflateState};
use crate::lz4;

/// Error of the compression modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The decompressed data would be larger than the output buffer (the frame's
    /// `max_plain`).
    TooLarge,
    /// The compressed data ends early.
    Truncated,
    /// The compressed data is malformed.
    Corrupt,
    /// Bytes follow the end of the deflate stream.
    TrailingData,
    /// This decompressor does not handle the compression (see [`Decompress`]).
    Unsupported,
    /// The output buffer is too small for the compressed data.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TooLarge => "decompressed frame longer than the stream's max_plain",
            Self::Truncated => "compressed frame truncated",
            Self::Corrupt => "malformed compressed frame",
            Self::TrailingData => "data after the end of the deflate stream",
            Self::Unsupported => "no decompressor configured for this compression",
            Self::BufferTooSmall => "output buffer too small for the compressed frame",
        })
    }
}

impl core::error::Error for Error {}

/// A compression id of the container preamble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Compression {
    /// Id 0: frames hold the plaintext.
    #[default]
    None,
    /// Id 1: each frame is one raw deflate stream (RFC 1951).
    Deflate,
    /// Id 2: each frame is one LZ4 block.
    Lz4,
}

impl Compression {
    /// Every compression, in id order.
    pub const ALL: [Self; 3] = [Self::None, Self::Deflate, Self::Lz4];

    /// The id on the wire.
    #[must_use]
    pub const fn id(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Deflate => 1,
            Self::Lz4 => 2,
        }
    }

    /// The compression with wire id `id`, or `None` for an unknown id.
    #[must_use]
    pub const fn from_id(id: u8) -> Option<Self> {
        match id {
            0 => Some(Self::None),
            1 => Some(Self::Deflate),
            2 => Some(Self::Lz4),
            _ => None,
        }
    }

    /// The lowercase name (`none`, `deflate`, `lz4`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Deflate => "deflate",
            Self::Lz4 => "lz4",
        }
    }

    /// The contract's bound on the compressed length of `n` plaintext bytes:
    /// `n` (none), `n + 5 * max(1, ceil(n / 65535))` (deflate),
    /// `n + floor(n / 255) + 16` (LZ4). Saturates at `usize::MAX`.
    #[must_use]
    pub const fn bound(self, n: usize) -> usize {
        match self {
            Self::None => n,
            Self::Deflate => deflate::stored_len(n),
            Self::Lz4 => lz4::bound(n),
        }
    }

    /// Whether this build can write frames with this compression (deflate
    /// needs the `alloc` feature, LZ4 the `lz4` feature, which `alloc` turns on;
    /// reading needs neither).
    #[must_use]
    pub const fn can_compress(self) -> bool {
        match self {
            Self::Deflate => cfg!(feature = "alloc"),
            Self::Lz4 => cfg!(feature = "lz4"),
            Self::None => true,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something that decompresses frames for a container reader.
pub trait Decompress {
    /// Decompresses `input` (one frame's compressed bytes) into at most `limit`
    /// bytes of the output buffer; returns their number. They can be read with
    /// [`output`](Self::output) until the next call, and are wiped then (and on
    /// drop).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a compression this decompressor does not
    /// handle; [`Error::TooLarge`] when the output exceeds `limit` or the buffer
    /// (nothing is written past either); [`Error::Truncated`],
    /// [`Error::Corrupt`], [`Error::TrailingData`] for damaged input.
    fn decompress(&mut self, kind: Compression, input: &[u8], limit: usize)
    -> Result<usize, Error>;

    /// The output buffer; the last decompressed bytes are at its start.
    fn output(&mut self) -> &mut [u8];
}

/// Refuses every compression: for readers of uncompressed streams.
impl Decompress for () {
    fn decompress(
        &mut self,
        _kind: Compression,
        _input: &[u8],
        _limit: usize,
    ) -> Result<usize, Error> {
        Err(Error::Unsupported)
    }
    fn output(&mut self) -> &mut [u8] {
        &mut []
    }
}

impl<T: Decompress + ?Sized> Decompress for &mut T {
    fn decompress(
        &mut self,
        kind: Compression,
        input: &[u8],
        limit: usize,
    ) -> Result<usize, Error> {
        (**self).decompress(kind, input, limit)
    }
    fn output(&mut self) -> &mut [u8] {
        (**self).output()
    }
}

#[cfg(feature = "alloc")]
impl<T: Decompress + ?Sized> Decompress for alloc::boxed::Box<T> {
    fn decompress(
        &mut self,
        kind: Compression,
        input: &[u8],
        limit: usize,
    ) -> Result<usize, Error> {
        (**self).decompress(kind, input, limit)
    }
    fn output(&mut self) -> &mut [u8] {
        (**self).output()
    }
}

/// An output buffer `O` (`[u8; N]`, `&mut [u8]`, `Vec<u8>` ...) whose used part
/// is wiped before each use and on drop.
struct Output<O: AsMut<[u8]>> {
    out: O,
    dirty: usize,
}

impl<O: AsMut<[u8]>> Output<O> {
    fn wipe(&mut self) {
        let out = self.out.as_mut();
        let n = self.dirty.min(out.len());
        if let Some(d) = out.get_mut(..n) {
            d.zeroize();
        }
        self.dirty = 0;
    }

    /// Runs `f` on the first `min(limit, len)` bytes; a success marks its length as
    /// used. The previous output is overwritten by the new one, and whatever of it
    /// lies past the new length is wiped (all of it after an error), so no old
    /// plaintext stays behind without a second pass over the buffer.
    fn run(
        &mut self,
        limit: usize,
        f: impl FnOnce(&mut [u8]) -> Result<usize, Error>,
    ) -> Result<usize, Error> {
        let out = self.out.as_mut();
        let n = limit.min(out.len());
        let res = f(out.get_mut(..n).unwrap_or_default());
        let kept = *res.as_ref().unwrap_or(&0);
        let old = self.dirty.min(out.len());
        if old > kept
            && let Some(stale) = out.get_mut(kept..old)
        {
            stale.zeroize();
        }
        self.dirty = kept;
        res
    }

    fn replace(&mut self, out: O) -> O {
        self.wipe();
        core::mem::replace(&mut self.out, out)
    }
}

impl<O: AsMut<[u8]>> Drop for Output<O> {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Deflate and LZ4 decompressor: the inflate state (about 10.5 KB: keep it in a
/// `static`, a `Box` or a long-lived stack frame) and an output buffer `O`.
pub struct Decompressor<O: AsMut<[u8]>> {
    state: InflateState,
    out: Output<O>,
}

impl<O: AsMut<[u8]>> fmt::Debug for Decompressor<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decompressor").finish_non_exhaustive()
    }
}

impl<O: AsMut<[u8]>> Decompressor<O> {
    /// A decompressor writing into `out`.
    pub fn new(out: O) -> Self {
        Self {
            state: InflateState::new(),
            out: Output { out, dirty: 0 },
        }
    }

    /// Swaps in a new output buffer (e.g. one of `max_plain` bytes once a
    /// container's preamble is read); returns the old one, wiped.
    pub fn replace_output(&mut self, out: O) -> O {
        self.out.replace(out)
    }
}

impl<O: AsMut<[u8]>> Decompress for Decompressor<O> {
    fn decompress(
        &mut self,
        kind: Compression,
        input: &[u8],
        limit: usize,
    ) -> Result<usize, Error> {
        let state = &mut self.state;
        match kind {
            Compression::Deflate => self
                .out
                .run(limit, |out| deflate::inflate_into(input, out, state)),
            Compression::Lz4 => self.out.run(limit, |out| lz4::decompress_into(input, out)),
            Compression::None => Err(Error::Unsupported),
        }
    }
    fn output(&mut self) -> &mut [u8] {
        self.out.out.as_mut()
    }
}

/// LZ4-only decompressor: just an output buffer `O`, for firmware that does
/// not want the inflate state.
pub struct Lz4Decompressor<O: AsMut<[u8]>> {
    out: Output<O>,
}

impl<O: AsMut<[u8]>> fmt::Debug for Lz4Decompressor<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lz4Decompressor").finish_non_exhaustive()
    }
}

impl<O: AsMut<[u8]>> Lz4Decompressor<O> {
    /// A decompressor writing into `out`.
    pub const fn new(out: O) -> Self {
        Self {
            out: Output { out, dirty: 0 },
        }
    }

    /// Swaps in a new output buffer; returns the old one, wiped.
    pub fn replace_output(&mut self, out: O) -> O {
        self.out.replace(out)
    }
}

impl<O: AsMut<[u8]>> Decompress for Lz4Decompressor<O> {
    fn decompress(
        &mut self,
        kind: Compression,
        input: &[u8],
        limit: usize,
    ) -> Result<usize, Error> {
        match kind {
            Compression::Lz4 => self.out.run(limit, |out| lz4::decompress_into(input, out)),
            Compression::None | Compression::Deflate => Err(Error::Unsupported),
        }
    }
    fn output(&mut self) -> &mut [u8] {
        self.out.out.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_names_and_bounds() {
        for c in Compression::ALL {
            assert_eq!(Compression::from_id(c.id()), Some(c));
        }
        assert_eq!(Compression::from_id(3), None);
        assert_eq!(Compression::Lz4.name(), "lz4");
        assert_eq!(Compression::None.bound(100), 100);
        assert_eq!(Compression::Deflate.bound(0), 5);
        assert_eq!(Compression::Deflate.bound(65_536), 65_536 + 10);
        assert_eq!(Compression::Lz4.bound(0), 16);
        assert_eq!(Compression::Lz4.bound(510), 510 + 2 + 16);
    }

    #[test]
    fn decompressors_refuse_what_they_do_not_handle() {
        let mut lz = Lz4Decompressor::new([0u8; 8]);
        assert_eq!(
            lz.decompress(Compression::Deflate, &[3, 0], 8),
            Err(Error::Unsupported)
        );
        assert_eq!(lz.decompress(Compression::Lz4, &[0x20, 1, 2], 8), Ok(2));
        assert_eq!(&lz.output()[..2], [1, 2]);
        // The previous output is wiped before the next use.
        assert_eq!(lz.decompress(Compression::Lz4, &[0], 8), Ok(0));
        assert_eq!(&lz.output()[..2], [0, 0]);
        let mut d = Decompressor::new([0u8; 8]);
        assert_eq!(d.decompress(Compression::Deflate, &[3, 0], 8), Ok(0));
        assert_eq!(
            d.decompress(Compression::Lz4, &[0x30, 1, 2, 3], 2),
            Err(Error::TooLarge)
        );
        assert_eq!(d.replace_output([9; 8]), [0; 8]);
    }
}
