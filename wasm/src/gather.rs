//! Payload assembly for the streaming decoders, with one copy per byte.
//!
//! A core decoder (`frame::Decoder` fed with `feed_lazy`, `container::Reader`
//! made `lazy()`) keeps an empty frame buffer here and reports the length of
//! each frame that arrives in pieces (`NeedBuffer`) right after its frame
//! header. The bindings then copy that frame's bytes straight from the JS
//! chunks into a [`Gather`] buffer and feed the whole payload at once, so the
//! core checks, decrypts and hands it out in place: JS bytes are copied into
//! wasm memory once, and the plaintext copied out once.
//!
//! Frame headers, the preamble and the end section are fed through a small
//! [`Stage`] instead, a few bytes at a time.

use js_sys::Uint8Array;
use zeroize::{Zeroize, Zeroizing};

use crate::convert::error;
use wasm_bindgen::JsError;

/// Bytes of the stage: the longest preamble (32) with room to spare, and the
/// piece size in which an end section (index included) is fed.
pub(crate) const STAGE_LEN: usize = 256;

/// The payload of one frame, gathered from JS chunks.
pub(crate) struct Gather {
    /// Kept at the largest length needed so far; wiped after every frame.
    buf: Zeroizing<Vec<u8>>,
    /// Payload length awaited (`None`: not gathering).
    want: Option<usize>,
    got: usize,
}

impl Gather {
    pub(crate) fn new() -> Self {
        Self {
            buf: Zeroizing::new(Vec::new()),
            want: None,
            got: 0,
        }
    }

    /// Whether a payload is being gathered.
    pub(crate) const fn active(&self) -> bool {
        self.want.is_some()
    }

    /// Starts gathering a payload of `len` bytes; the buffer grows (fallibly)
    /// when it is shorter.
    ///
    /// # Errors
    /// wasm memory cannot grow by `len` bytes: an allocation failure would
    /// otherwise abort the whole module.
    pub(crate) fn start(&mut self, len: usize, what: &str) -> Result<(), JsError> {
        if self.buf.len() < len {
            // The old buffer holds only zeros (wiped after every frame).
            let mut bigger = Zeroizing::new(Vec::new());
            bigger.try_reserve_exact(len).map_err(|_| {
                error(
                    what,
                    format_args!("out of memory for a {len}-byte frame buffer"),
                )
            })?;
            bigger.resize(len, 0);
            self.buf = bigger;
        }
        self.want = Some(len);
        self.got = 0;
        Ok(())
    }

    /// Copies bytes of `src` from `from` on into the payload; returns how many.
    pub(crate) fn fill_from_js(&mut self, src: &Uint8Array, from: u32) -> u32 {
        let Some(want) = self.want else { return 0 };
        let avail = src.length().saturating_sub(from);
        let need = u32::try_from(want - self.got).unwrap_or(u32::MAX);
        let n = avail.min(need);
        if let Some(dst) = self.buf.get_mut(self.got..self.got + n as usize) {
            src.subarray(from, from + n).copy_to(dst);
            self.got += n as usize;
            n
        } else {
            0
        }
    }

    /// The whole payload, once gathered.
    pub(crate) fn payload(&mut self) -> Option<&mut [u8]> {
        match self.want {
            Some(w) if self.got == w => self.buf.get_mut(..w),
            _ => None,
        }
    }

    /// Wipes the payload and stops gathering.
    pub(crate) fn clear(&mut self) {
        let used = self.want.map_or(self.got, |w| w.max(self.got));
        if let Some(b) = self.buf.get_mut(..used) {
            b.zeroize();
        }
        self.want = None;
        self.got = 0;
    }
}

/// A few input bytes copied from a JS chunk (frame headers, preamble, end
/// section), wiped after use.
pub(crate) struct Stage {
    bytes: Zeroizing<[u8; STAGE_LEN]>,
    len: usize,
}

impl Stage {
    pub(crate) fn new() -> Self {
        Self {
            bytes: Zeroizing::new([0; STAGE_LEN]),
            len: 0,
        }
    }

    /// Copies up to `max` bytes (at most [`STAGE_LEN`]) of `src` from `from`
    /// on; returns the staged bytes.
    pub(crate) fn load(&mut self, src: &Uint8Array, from: u32, max: usize) -> &mut [u8] {
        // `clear` wiped what the last use left.
        let avail = src.length().saturating_sub(from) as usize;
        let n = avail.min(max).min(STAGE_LEN);
        self.len = n;
        let end = from + u32::try_from(n).unwrap_or(0);
        let dst = self.bytes.get_mut(..n).unwrap_or_default();
        src.subarray(from, end).copy_to(dst);
        dst
    }

    /// Wipes the staged bytes.
    pub(crate) fn clear(&mut self) {
        if let Some(b) = self.bytes.get_mut(..self.len) {
            b.zeroize();
        }
        self.len = 0;
    }
}
