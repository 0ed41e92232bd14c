//! Checksums of bytes that stay in JS memory.
//!
//! An encoder needs the checksum of a payload, not a copy of it: the payload
//! goes from the caller's `Uint8Array` into the output array on the JS side
//! (and `checksum()` and `Checksum.update` need no copy at all).
//! A [`Scratch`] computes the checksum by copying the payload into wasm memory
//! in pieces of at most [`PIECE`] bytes, through one buffer kept across calls
//! and wiped after each: no allocation or 64 KiB wipe per call, and each piece
//! is still in the CPU cache when the checksum reads it.

use js_sys::Uint8Array;
use secstream_core::checksum::{ChecksumKind, Hasher};
use wasm_bindgen::JsError;
use zeroize::{Zeroize, Zeroizing};

use crate::convert::{self, error};

/// Largest piece copied into wasm memory at a time.
pub(crate) const PIECE: u32 = 16 * 1024;

/// The reused buffer of the pieces.
pub(crate) struct Scratch {
    /// As long as the largest piece so far; holds only zeros between calls.
    buf: Zeroizing<Vec<u8>>,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        Self {
            buf: Zeroizing::new(Vec::new()),
        }
    }

    /// The checksum `kind` of `src[from..from + len]`.
    ///
    /// CRCs are fed piece by piece (their streaming state is the CRC
    /// register only). XXH3's streaming state keeps up to 256 input bytes
    /// that nothing would wipe, so XXH3 is computed in one pass over a
    /// whole copy, wiped on return.
    ///
    /// # Errors
    /// wasm memory cannot grow by the piece (or, for XXH3, the payload).
    pub(crate) fn checksum(
        &mut self,
        kind: ChecksumKind,
        src: &Uint8Array,
        from: u32,
        len: u32,
        what: &str,
    ) -> Result<u64, JsError> {
        match kind {
            ChecksumKind::None => Ok(0),
            ChecksumKind::Xxh3 => {
                let copy = convert::to_secret_vec(&src.subarray(from, from + len))?;
                Ok(kind.compute(&copy))
            }
            _ => {
                let mut hasher = Hasher::new(kind);
                self.feed(&mut hasher, src, from, len, what)?;
                Ok(hasher.finish())
            }
        }
    }

    /// Feeds `src[from..from + len]` to `hasher`, piece by piece.
    ///
    /// # Errors
    /// wasm memory cannot grow by the piece.
    pub(crate) fn feed(
        &mut self,
        hasher: &mut Hasher,
        src: &Uint8Array,
        from: u32,
        len: u32,
        what: &str,
    ) -> Result<(), JsError> {
        let piece = len.min(PIECE) as usize;
        if self.buf.len() < piece {
            // The old buffer holds only zeros (wiped after every call).
            let mut bigger = Zeroizing::new(Vec::new());
            bigger
                .try_reserve_exact(piece)
                .map_err(|_| error(what, "out of memory for the checksum buffer"))?;
            bigger.resize(piece, 0);
            self.buf = bigger;
        }
        let end = from + len;
        let mut at = from;
        let mut used = 0;
        while at < end {
            // At most PIECE: it fits the buffer.
            let n = (end - at).min(PIECE);
            let Some(dst) = self.buf.get_mut(..n as usize) else {
                break;
            };
            src.subarray(at, at + n).copy_to(dst);
            hasher.update(dst);
            used = used.max(n as usize);
            at += n;
        }
        if let Some(b) = self.buf.get_mut(..used) {
            b.zeroize();
        }
        Ok(())
    }
}
