//! COBS frames (wire contract section 3), for lossy byte links (UART, radio).
//!
//! ```text
//! frame := COBS(payload | checksum(payload) LE) | 0x00
//! ```
//!
//! COBS is Consistent Overhead Byte Stuffing (Cheshire & Baker): 0x00 only ever appears
//! as the delimiter. The encoder is canonical: a block of 254 data bytes (code 0xFF) that
//! ends the data is not followed by an empty block. The decoder also accepts the
//! non-canonical trailing `0x01` block some encoders emit.
//!
//! [`encode_into`] writes a frame into a buffer, [`write_frame`] to an
//! [`embedded_io::Write`] (a UART, without a frame buffer).
//!
//! [`Decoder`] resynchronises: a frame with a bad checksum, a COBS error or too many bytes
//! is reported once ([`Feed::Rejected`]) and the bytes up to the next 0x00 are dropped;
//! decoding continues with the frame after it. A lone 0x00 (an empty frame, e.g. a line
//! idle or flush byte) is skipped silently.
//!
//! ```
//! use secstream_core::checksum::ChecksumKind;
//! use secstream_core::cobs::{self, Decoder, Feed};
//!
//! let mut wire = [0u8; 16];
//! let n = cobs::encode_into(ChecksumKind::None, &[0x11, 0x00, 0x22], &mut wire)?;
//! assert_eq!(wire[..n], [0x02, 0x11, 0x02, 0x22, 0x00]);
//!
//! let mut dec = Decoder::new(ChecksumKind::None, 64, [0u8; 64]);
//! let Feed::Frame { payload, consumed } = dec.feed(&wire[..n]) else { unreachable!() };
//! assert_eq!((payload, consumed), (&[0x11, 0x00, 0x22][..], n));
//! # Ok::<(), secstream_core::cobs::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::checksum::ChecksumKind;

/// Error of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error {
    /// The stored checksum does not match the payload.
    BadChecksum,
    /// The frame is longer than the maximum frame length (or the decoder's buffer).
    FrameTooLong,
    /// The bytes are not a valid COBS encoding (a 0x00 inside a block).
    Cobs,
    /// The decoded frame is shorter than its checksum.
    TooShort,
    /// The input ended inside a frame.
    Truncated,
    /// The output buffer is too small for the encoded frame.
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadChecksum => "frame checksum mismatch",
            Self::FrameTooLong => "frame longer than the maximum frame length",
            Self::Cobs => "malformed cobs encoding",
            Self::TooShort => "frame shorter than its checksum",
            Self::Truncated => "input ends inside a frame",
            Self::BufferTooSmall => "output buffer too small for the frame",
        })
    }
}

impl core::error::Error for Error {}

/// The frame delimiter.
pub const DELIMITER: u8 = 0x00;

/// Largest number of data bytes in one COBS block.
const BLOCK: usize = 254;

/// An upper bound of the encoded length (COBS + delimiter) of a frame holding
/// `payload_len` bytes with checksum `kind` (saturates at `usize::MAX`).
#[must_use]
pub const fn max_encoded_len(kind: ChecksumKind, payload_len: usize) -> usize {
    let m = payload_len.saturating_add(kind.width());
    m.saturating_add(m / BLOCK).saturating_add(2)
}

/// Index of the first zero byte in `s` (word-at-a-time scan).
#[inline]
fn find_zero(s: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    let mut base = 0usize;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        if x.wrapping_sub(LO) & !x & HI != 0 {
            return c.iter().position(|&b| b == 0).map(|p| base + p);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == 0)
        .map(|p| base + p)
}

/// COBS encoder writing into a caller buffer.
struct Encoder<'o> {
    out: &'o mut [u8],
    /// Index of the current block's code byte (`None` after a full block).
    code_pos: Option<usize>,
    pos: usize,
}

impl<'o> Encoder<'o> {
    fn new(out: &'o mut [u8]) -> Self {
        Self {
            out,
            code_pos: None,
            pos: 0,
        }
    }

    /// Opens a block if none is open; returns its code position.
    #[inline]
    fn open(&mut self) -> Result<usize, Error> {
        match self.code_pos {
            Some(c) => Ok(c),
            None => {
                let c = self.pos;
                *self.out.get_mut(c).ok_or(Error::BufferTooSmall)? = 0;
                self.pos = c + 1;
                self.code_pos = Some(c);
                Ok(c)
            }
        }
    }

    /// Closes the open block (code = data bytes + 1).
    #[inline]
    fn close(&mut self, code_pos: usize) -> Result<(), Error> {
        let code = u8::try_from(self.pos - code_pos).map_err(|_| Error::Cobs)?;
        *self.out.get_mut(code_pos).ok_or(Error::BufferTooSmall)? = code;
        self.code_pos = None;
        Ok(())
    }

    fn push(&mut self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let c = self.open()?;
            let room = BLOCK - (self.pos - c - 1);
            let chunk = data.get(..room.min(data.len())).unwrap_or_default();
            let (run, zero) = match find_zero(chunk) {
                Some(z) => (chunk.get(..z).unwrap_or_default(), true),
                None => (chunk, false),
            };
            let end = self
                .pos
                .checked_add(run.len())
                .ok_or(Error::BufferTooSmall)?;
            self.out
                .get_mut(self.pos..end)
                .ok_or(Error::BufferTooSmall)?
                .copy_from_slice(run);
            self.pos = end;
            if zero {
                self.close(c)?;
                data = data.get(run.len() + 1..).unwrap_or_default();
                // A zero always starts a new block, even at the end of the data.
                self.open()?;
            } else {
                data = data.get(run.len()..).unwrap_or_default();
                if end - c - 1 == BLOCK {
                    self.close(c)?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<usize, Error> {
        if let Some(c) = self.code_pos {
            self.close(c)?;
        } else if self.pos == 0 {
            // Empty data encodes as one empty block.
            let c = self.open()?;
            self.close(c)?;
        }
        *self.out.get_mut(self.pos).ok_or(Error::BufferTooSmall)? = DELIMITER;
        Ok(self.pos + 1)
    }
}

/// Writes the COBS frame of `payload` (with its checksum, then the 0x00 delimiter) to the
/// start of `out`; returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`] if `out` is too short ([`max_encoded_len`] is always enough).
pub fn encode_into(kind: ChecksumKind, payload: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let sum = kind.compute_le(payload);
    let mut enc = Encoder::new(out);
    enc.push(payload)?;
    enc.push(sum.get(..kind.width()).unwrap_or_default())?;
    enc.finish()
}

/// COBS encoder writing block by block to an [`embedded_io::Write`]: each block (code byte
/// and up to 254 data bytes) is gathered in a 255-byte scratch buffer, wiped on drop.
struct BlockWriter<'w, W: embedded_io::Write> {
    w: &'w mut W,
    /// `block[0]` is the code byte, `block[1..=len]` the data.
    block: [u8; BLOCK + 1],
    len: usize,
    /// A block is open (the next byte goes into it).
    open: bool,
    /// A block was written.
    wrote: bool,
}

impl<W: embedded_io::Write> Drop for BlockWriter<'_, W> {
    fn drop(&mut self) {
        self.block.zeroize();
    }
}

impl<'w, W: embedded_io::Write> BlockWriter<'w, W> {
    const fn new(w: &'w mut W) -> Self {
        Self {
            w,
            block: [0; BLOCK + 1],
            len: 0,
            open: false,
            wrote: false,
        }
    }

    /// Writes the open block (code = data bytes + 1) and closes it.
    fn emit(&mut self) -> Result<(), W::Error> {
        let n = self.len.min(BLOCK);
        // n <= 254, so the code fits in a u8.
        self.block[0] = u8::try_from(n + 1).unwrap_or(u8::MAX);
        self.w.write_all(self.block.get(..=n).unwrap_or_default())?;
        self.len = 0;
        self.open = false;
        self.wrote = true;
        Ok(())
    }

    /// The same block structure as [`Encoder::push`] (canonical COBS).
    fn push(&mut self, data: &[u8]) -> Result<(), W::Error> {
        for &b in data {
            self.open = true;
            if b == 0 {
                self.emit()?;
                // A zero always starts a new block, even at the end of the data.
                self.open = true;
            } else {
                if let Some(slot) = self.block.get_mut(self.len + 1) {
                    *slot = b;
                }
                self.len += 1;
                if self.len == BLOCK {
                    self.emit()?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), W::Error> {
        if self.open || !self.wrote {
            // The open block, or the one empty block of empty data.
            self.emit()?;
        }
        self.w.write_all(&[DELIMITER])
    }
}

/// Writes the COBS frame of `payload` (with its checksum, then the 0x00 delimiter) to `w`,
/// block by block with a 255-byte scratch buffer (no frame buffer needed, for a UART or
/// radio writer on firmware). The bytes are those of [`encode_into`].
///
/// # Errors
/// The writer's error; the frame is then partly written (the receiver drops it: a
/// [`Decoder`] rejects it at the next 0x00, or it fails its checksum).
pub fn write_frame<W: embedded_io::Write>(
    w: &mut W,
    kind: ChecksumKind,
    payload: &[u8],
) -> Result<(), W::Error> {
    let mut sum = kind.compute_le(payload);
    let mut enc = BlockWriter::new(w);
    let res = enc
        .push(payload)
        .and_then(|()| enc.push(sum.get(..kind.width()).unwrap_or_default()))
        .and_then(|()| enc.finish());
    sum.zeroize();
    res
}

/// Decodes one whole COBS frame in place and checks its checksum; returns the payload.
///
/// `frame` holds the encoded bytes, with or without the final 0x00.
///
/// # Errors
/// [`Error::Cobs`] for a 0x00 inside the frame or a block running past its end,
/// [`Error::TooShort`] / [`Error::BadChecksum`] for a damaged frame.
pub fn decode_in_place(kind: ChecksumKind, frame: &mut [u8]) -> Result<&mut [u8], Error> {
    let body_len = match frame.split_last() {
        Some((&DELIMITER, body)) => body.len(),
        _ => frame.len(),
    };
    let mut read = 0usize;
    let mut write = 0usize;
    while read < body_len {
        let code = usize::from(*frame.get(read).ok_or(Error::Cobs)?);
        if code == 0 {
            return Err(Error::Cobs);
        }
        let start = read + 1;
        let end = start + code - 1;
        if end > body_len {
            return Err(Error::Cobs);
        }
        if find_zero(frame.get(start..end).ok_or(Error::Cobs)?).is_some() {
            return Err(Error::Cobs);
        }
        frame.copy_within(start..end, write);
        write += code - 1;
        read = end;
        if code != 0xFF && read < body_len {
            *frame.get_mut(write).ok_or(Error::Cobs)? = 0;
            write += 1;
        }
    }
    let decoded = frame.get_mut(..write).ok_or(Error::Cobs)?;
    let plen = write.checked_sub(kind.width()).ok_or(Error::TooShort)?;
    let (payload, sum) = decoded.split_at_mut(plen);
    if kind.verify(payload, sum) {
        Ok(payload)
    } else {
        Err(Error::BadChecksum)
    }
}

/// Result of [`Decoder::feed`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a frame, an error or the number of consumed bytes must be handled"]
pub enum Feed<'a> {
    /// All of the input was consumed and no frame is complete yet.
    NeedMore,
    /// A whole, checked frame; `consumed` bytes of the input were used.
    Frame {
        /// The payload, in the decoder's buffer (wiped on the next call).
        payload: &'a [u8],
        /// Input bytes used, up to and including the delimiter.
        consumed: usize,
    },
    /// A frame was rejected; the decoder drops bytes up to the next 0x00 and then
    /// continues. Feed `&input[consumed..]` next.
    Rejected {
        /// Why the frame was rejected.
        error: Error,
        /// Input bytes used.
        consumed: usize,
    },
}

/// Incremental, resynchronising decoder of COBS frames.
///
/// `B` holds the frame being decoded (`[u8; N]`, `&mut [u8]`, `Vec<u8>` ...). The largest
/// payload is the smaller of `max_len` and the buffer length minus the checksum width. The
/// buffer is wiped when the decoder moves past a frame, after an error and on drop.
pub struct Decoder<B: AsMut<[u8]>> {
    kind: ChecksumKind,
    max_len: u32,
    buf: B,
    /// Decoded bytes in `buf`.
    len: usize,
    /// Data bytes still expected in the current block.
    block_left: u8,
    /// A zero is implied before the next block (the current block's code was not 0xFF).
    zero_pending: bool,
    in_frame: bool,
    skipping: bool,
    /// Bytes of `buf` to wipe on the next call.
    dirty: usize,
}

impl<B: AsMut<[u8]>> fmt::Debug for Decoder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("kind", &self.kind)
            .field("max_len", &self.max_len)
            .field("len", &self.len)
            .field("in_frame", &self.in_frame)
            .field("skipping", &self.skipping)
            .finish_non_exhaustive()
    }
}

impl<B: AsMut<[u8]>> Drop for Decoder<B> {
    fn drop(&mut self) {
        self.dirty = self.dirty.max(self.len);
        self.wipe();
    }
}

impl<B: AsMut<[u8]>> Decoder<B> {
    /// A decoder of frames with checksum `kind` and payloads of at most `max_len` bytes.
    pub const fn new(kind: ChecksumKind, max_len: u32, buf: B) -> Self {
        Self {
            kind,
            max_len,
            buf,
            len: 0,
            block_left: 0,
            zero_pending: false,
            in_frame: false,
            skipping: false,
            dirty: 0,
        }
    }

    /// The checksum kind.
    pub const fn kind(&self) -> ChecksumKind {
        self.kind
    }

    /// Whether the decoder is between frames.
    pub const fn is_idle(&self) -> bool {
        !self.in_frame && !self.skipping
    }

    /// Forgets any partial frame and wipes the buffer.
    pub fn reset(&mut self) {
        self.dirty = self.dirty.max(self.len);
        self.wipe();
        self.len = 0;
        self.block_left = 0;
        self.zero_pending = false;
        self.in_frame = false;
        self.skipping = false;
    }

    /// Call at the end of the input; resets the decoder.
    ///
    /// # Errors
    /// [`Error::Truncated`] if the input ended inside a frame (a frame already rejected
    /// and being dropped is not reported again).
    pub fn finish(&mut self) -> Result<(), Error> {
        let truncated = self.in_frame;
        self.reset();
        if truncated {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    fn limit(&mut self) -> usize {
        let cap = self.buf.as_mut().len();
        let max = usize::try_from(self.max_len)
            .unwrap_or(usize::MAX)
            .saturating_add(self.kind.width());
        cap.min(max)
    }

    fn wipe(&mut self) {
        if self.dirty != 0 {
            let buf = self.buf.as_mut();
            let n = self.dirty.min(buf.len());
            if let Some(d) = buf.get_mut(..n) {
                d.zeroize();
            }
            self.dirty = 0;
        }
    }

    /// Ends the current frame and starts dropping bytes up to the next delimiter.
    fn reject(&mut self, error: Error, consumed: usize, skip: bool) -> Feed<'static> {
        self.dirty = self.dirty.max(self.len);
        self.wipe();
        self.len = 0;
        self.block_left = 0;
        self.zero_pending = false;
        self.in_frame = false;
        self.skipping = skip;
        Feed::Rejected { error, consumed }
    }

    /// Feeds a chunk of input. Call again with `&input[consumed..]` after a frame or a
    /// rejection; [`Feed::NeedMore`] means the whole chunk was used.
    pub fn feed<'a>(&'a mut self, input: &[u8]) -> Feed<'a> {
        self.wipe();
        let limit = self.limit();
        let mut i = 0usize;
        loop {
            let Some(rest) = input.get(i..) else {
                return Feed::NeedMore;
            };
            if rest.is_empty() {
                return Feed::NeedMore;
            }
            if self.skipping {
                match find_zero(rest) {
                    Some(z) => {
                        self.skipping = false;
                        i += z + 1;
                        continue;
                    }
                    None => return Feed::NeedMore,
                }
            }
            if self.block_left == 0 {
                let code = rest.first().copied().unwrap_or(DELIMITER);
                i += 1;
                if code == DELIMITER {
                    if !self.in_frame {
                        continue; // idle byte
                    }
                    return self.end_frame(i);
                }
                if self.in_frame && self.zero_pending {
                    if self.len >= limit {
                        return self.reject(Error::FrameTooLong, i, true);
                    }
                    if let Some(b) = self.buf.as_mut().get_mut(self.len) {
                        *b = 0;
                    }
                    self.len += 1;
                }
                self.in_frame = true;
                self.block_left = code - 1;
                self.zero_pending = code != 0xFF;
                continue;
            }
            let n = usize::from(self.block_left).min(rest.len());
            let run = rest.get(..n).unwrap_or_default();
            // Report whichever comes first in the stream: a delimiter inside the block
            // (this frame is malformed and has ended) or a byte past the limit.
            let room = limit.saturating_sub(self.len);
            match find_zero(run) {
                Some(z) if z <= room => return self.reject(Error::Cobs, i + z + 1, false),
                Some(_) => return self.reject(Error::FrameTooLong, i, true),
                None if n > room => return self.reject(Error::FrameTooLong, i, true),
                None => {}
            }
            let end = self.len + n;
            if let Some(dst) = self.buf.as_mut().get_mut(self.len..end) {
                dst.copy_from_slice(run);
            }
            self.len = end;
            // n <= block_left <= 254
            self.block_left -= u8::try_from(n).unwrap_or(self.block_left);
            i += n;
        }
    }

    fn end_frame(&mut self, consumed: usize) -> Feed<'_> {
        let len = self.len;
        let w = self.kind.width();
        let Some(plen) = len.checked_sub(w) else {
            return self.reject(Error::TooShort, consumed, false);
        };
        let ok = {
            let buf = self.buf.as_mut();
            let payload = buf.get(..plen).unwrap_or_default();
            let sum = buf.get(plen..len).unwrap_or_default();
            self.kind.verify(payload, sum)
        };
        if !ok {
            return self.reject(Error::BadChecksum, consumed, false);
        }
        self.len = 0;
        self.block_left = 0;
        self.zero_pending = false;
        self.in_frame = false;
        self.dirty = len;
        Feed::Frame {
            payload: self.buf.as_mut().get(..plen).unwrap_or_default(),
            consumed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive loops (every bit, every cut) sample every n-th case under Miri.
    const MIRI_STEP: usize = if cfg!(miri) { 23 } else { 1 };
    use proptest::prelude::*;
    use std::vec::Vec;

    fn enc(kind: ChecksumKind, payload: &[u8]) -> Vec<u8> {
        let mut out = std::vec![0u8; max_encoded_len(kind, payload.len())];
        let n = encode_into(kind, payload, &mut out).unwrap();
        out.truncate(n);
        out
    }

    /// Decodes `wire` in chunks; returns every event as Ok(payload) or Err(error).
    fn decode_chunks(
        kind: ChecksumKind,
        max: u32,
        wire: &[u8],
        chunk: usize,
    ) -> Vec<Result<Vec<u8>, Error>> {
        let mut dec = Decoder::new(kind, max, std::vec![0u8; 600]);
        let mut out = Vec::new();
        for mut c in wire.chunks(chunk.max(1)) {
            loop {
                match dec.feed(c) {
                    Feed::NeedMore => break,
                    Feed::Frame { payload, consumed } => {
                        out.push(Ok(payload.to_vec()));
                        c = &c[consumed..];
                    }
                    Feed::Rejected { error, consumed } => {
                        out.push(Err(error));
                        c = &c[consumed..];
                    }
                }
            }
        }
        if let Err(e) = dec.finish() {
            out.push(Err(e));
        }
        out
    }

    /// Plain reference COBS (no checksum), canonical form.
    fn reference(data: &[u8]) -> Vec<u8> {
        let mut out = std::vec![0u8];
        let mut code_pos = 0;
        let mut code = 1u8;
        for (i, &b) in data.iter().enumerate() {
            if b == 0 {
                out[code_pos] = code;
                code_pos = out.len();
                out.push(0);
                code = 1;
            } else {
                out.push(b);
                code += 1;
                if code == 0xFF {
                    out[code_pos] = code;
                    code = 1;
                    if i + 1 < data.len() {
                        code_pos = out.len();
                        out.push(0);
                    } else {
                        code_pos = usize::MAX;
                    }
                }
            }
        }
        if code_pos != usize::MAX {
            out[code_pos] = code;
        }
        out.push(0);
        out
    }

    #[test]
    fn exact_bytes() {
        let none = ChecksumKind::None;
        assert_eq!(enc(none, &[]), [0x01, 0x00]);
        assert_eq!(enc(none, &[0x00]), [0x01, 0x01, 0x00]);
        assert_eq!(enc(none, &[0x00, 0x00]), [0x01, 0x01, 0x01, 0x00]);
        assert_eq!(
            enc(none, &[0x11, 0x22, 0x00, 0x33]),
            [0x03, 0x11, 0x22, 0x02, 0x33, 0x00]
        );
        assert_eq!(enc(none, &[0x11, 0x00]), [0x02, 0x11, 0x01, 0x00]);
        let d254: Vec<u8> = (1..=254).collect();
        let mut e = std::vec![0xFF];
        e.extend_from_slice(&d254);
        e.push(0);
        assert_eq!(enc(none, &d254), e);
        let d255: Vec<u8> = (1..=255).collect();
        let mut e = std::vec![0xFF];
        e.extend_from_slice(&d255[..254]);
        e.extend_from_slice(&[0x02, 0xFF, 0x00]);
        assert_eq!(enc(none, &d255), e);
        // crc16/xmodem("abc") = 0x9DD6, stored D6 9D.
        assert_eq!(
            enc(ChecksumKind::Crc16, b"abc"),
            [0x06, b'a', b'b', b'c', 0xD6, 0x9D, 0x00]
        );
        // crc16("") = 0: payload + checksum = 00 00.
        assert_eq!(enc(ChecksumKind::Crc16, b""), [0x01, 0x01, 0x01, 0x00]);
        let mut small = [0u8; 3];
        assert_eq!(
            encode_into(none, &[1, 2, 3], &mut small),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn in_place_decoding() {
        let mut w = enc(ChecksumKind::Crc32, b"a\0b");
        assert_eq!(
            decode_in_place(ChecksumKind::Crc32, &mut w).unwrap(),
            b"a\0b"
        );
        let mut w = enc(ChecksumKind::Crc32, b"a\0b");
        w.pop();
        assert_eq!(
            decode_in_place(ChecksumKind::Crc32, &mut w).unwrap(),
            b"a\0b"
        );
        assert_eq!(
            decode_in_place(ChecksumKind::None, &mut [0x03, 0x01]),
            Err(Error::Cobs)
        );
        assert_eq!(
            decode_in_place(ChecksumKind::None, &mut [0x02, 0x00, 0x01]),
            Err(Error::Cobs)
        );
        assert_eq!(
            decode_in_place(ChecksumKind::Crc32, &mut [0x02, 0x01]),
            Err(Error::TooShort)
        );
        // Non-canonical trailing empty block after a full block.
        let mut w = std::vec![0xFF];
        w.extend(1..=254u8);
        w.push(0x01);
        assert_eq!(
            decode_in_place(ChecksumKind::None, &mut w).unwrap().len(),
            254
        );
    }

    #[test]
    fn resynchronises_after_bad_frames() {
        let k = ChecksumKind::Crc16;
        let mut wire = Vec::new();
        wire.extend_from_slice(&enc(k, b"one"));
        let mut bad = enc(k, b"two");
        bad[2] ^= 0x40; // payload damaged
        wire.extend_from_slice(&bad);
        wire.extend_from_slice(&[0x05, 0x01, 0x00]); // COBS error: 0x00 inside a block
        wire.extend_from_slice(&enc(k, &[9u8; 40])); // too long for max 32
        wire.extend_from_slice(&[0x00, 0x00]); // idle bytes
        wire.extend_from_slice(&enc(k, b"")); // empty payload
        wire.extend_from_slice(&[0x02, 0x07, 0x00]); // one byte: shorter than crc16
        wire.extend_from_slice(&enc(k, b"three"));
        let expect: Vec<Result<Vec<u8>, Error>> = std::vec![
            Ok(b"one".to_vec()),
            Err(Error::BadChecksum),
            Err(Error::Cobs),
            Err(Error::FrameTooLong),
            Ok(Vec::new()),
            Err(Error::TooShort),
            Ok(b"three".to_vec()),
        ];
        for chunk in [1, 2, 3, 7, wire.len()] {
            assert_eq!(decode_chunks(k, 32, &wire, chunk), expect, "chunk {chunk}");
        }
        // Truncated final frame.
        let w = enc(k, b"four");
        assert_eq!(
            decode_chunks(k, 32, &w[..w.len() - 1], 1),
            std::vec![Err(Error::Truncated)]
        );
    }

    #[test]
    fn buffer_is_wiped() {
        let w = enc(ChecksumKind::None, b"secret");
        let mut buf = [0u8; 16];
        {
            let mut dec = Decoder::new(ChecksumKind::None, 16, &mut buf[..]);
            let Feed::Frame { payload, .. } = dec.feed(&w) else {
                panic!()
            };
            assert_eq!(payload, b"secret");
            assert_eq!(dec.feed(&[]), Feed::NeedMore);
            let _ = dec.feed(&w[..4]);
        }
        assert_eq!(buf, [0u8; 16]);
    }

    #[test]
    fn every_bit_flip_is_detected() {
        for kind in [
            ChecksumKind::Crc16,
            ChecksumKind::Crc32,
            ChecksumKind::Crc32c,
            ChecksumKind::Xxh3,
        ] {
            let payloads: [&[u8]; 2] = [b"a\0", b"xyz"];
            let mut wire = enc(kind, payloads[0]);
            wire.extend_from_slice(&enc(kind, payloads[1]));
            for bit in (0..wire.len() * 8).step_by(MIRI_STEP) {
                let mut w = wire.clone();
                w[bit / 8] ^= 1 << (bit % 8);
                let events = decode_chunks(kind, 64, &w, w.len());
                let good: Vec<&Vec<u8>> = events.iter().filter_map(|e| e.as_ref().ok()).collect();
                // Never wrong data, and the damage is always reported.
                for g in &good {
                    assert!(payloads.contains(&g.as_slice()), "{kind} bit {bit}: {g:?}");
                }
                assert!(good.len() < 2, "{kind} bit {bit} undetected");
                assert!(
                    events.iter().any(Result::is_err),
                    "{kind} bit {bit} undetected"
                );
            }
        }
    }

    /// An `embedded_io` sink collecting the bytes, failing after `fail_after` bytes.
    struct Uart {
        bytes: Vec<u8>,
        fail_after: usize,
    }

    impl embedded_io::ErrorType for Uart {
        type Error = embedded_io::ErrorKind;
    }

    impl embedded_io::Write for Uart {
        fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            let room = self.fail_after - self.bytes.len();
            if room == 0 && !buf.is_empty() {
                return Err(embedded_io::ErrorKind::Other);
            }
            let k = buf.len().min(room).min(7); // short writes too
            self.bytes.extend_from_slice(&buf[..k]);
            Ok(k)
        }
        fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    fn written(kind: ChecksumKind, payload: &[u8]) -> Vec<u8> {
        let mut uart = Uart {
            bytes: Vec::new(),
            fail_after: usize::MAX,
        };
        write_frame(&mut uart, kind, payload).unwrap();
        uart.bytes
    }

    #[test]
    fn write_frame_matches_encode_into() {
        assert_eq!(
            written(ChecksumKind::None, &[0x11, 0x00, 0x22]),
            [0x02, 0x11, 0x02, 0x22, 0x00]
        );
        assert_eq!(written(ChecksumKind::None, &[]), [0x01, 0x00]);
        assert_eq!(written(ChecksumKind::None, &[0]), [0x01, 0x01, 0x00]);
        let mut cases: Vec<Vec<u8>> = Vec::new();
        let sizes: &[usize] = if cfg!(miri) {
            &[1, 254, 509]
        } else {
            &[1, 253, 254, 255, 508, 509, 600]
        };
        for &n in sizes {
            cases.push((0..n).map(|i| u8::try_from(i % 255 + 1).unwrap()).collect()); // no zeros
            let mut z: Vec<u8> = (0..n).map(|i| u8::try_from(i % 7).unwrap()).collect(); // many zeros
            z[n - 1] = 0;
            cases.push(z);
            let mut full: Vec<u8> = std::vec![0xAB; n];
            full.push(0);
            cases.push(full);
        }
        for kind in ChecksumKind::ALL {
            for p in &cases {
                assert_eq!(written(kind, p), enc(kind, p), "{kind} len {}", p.len());
            }
        }
        // Written frames decode.
        let w = written(ChecksumKind::Crc16, &cases[3]);
        let mut dec = Decoder::new(ChecksumKind::Crc16, 1000, std::vec![0u8; 1000]);
        let Feed::Frame { payload, consumed } = dec.feed(&w) else {
            panic!()
        };
        assert_eq!((payload, consumed), (cases[3].as_slice(), w.len()));
    }

    #[test]
    fn write_frame_passes_writer_errors_on() {
        let full = enc(ChecksumKind::Crc32, &[5u8; 600]);
        for fail_after in [0, 1, 254, 256, full.len() - 1] {
            let mut uart = Uart {
                bytes: Vec::new(),
                fail_after,
            };
            assert_eq!(
                write_frame(&mut uart, ChecksumKind::Crc32, &[5u8; 600]),
                Err(embedded_io::ErrorKind::Other),
                "fail after {fail_after}"
            );
            assert_eq!(uart.bytes, full[..fail_after]);
        }
        // A slice writer: too small is an error too.
        let mut small = [0u8; 4];
        let mut w: &mut [u8] = &mut small;
        assert!(write_frame(&mut w, ChecksumKind::None, b"abcdef").is_err());
        let mut room = [0u8; 8];
        let mut w: &mut [u8] = &mut room;
        write_frame(&mut w, ChecksumKind::None, b"abc").unwrap();
        assert_eq!(room[..5], [0x04, b'a', b'b', b'c', 0x00]);
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn write_frame_equals_encode_into(
            payload in proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..if cfg!(miri) { 40 } else { 1200 }),
            id in 0u8..5,
        ) {
            let kind = ChecksumKind::from_id(id).unwrap();
            prop_assert_eq!(written(kind, &payload), enc(kind, &payload));
        }

        #[test]
        fn matches_reference_and_round_trips(
            data in proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..if cfg!(miri) { 300 } else { 700 }),
        ) {
            let kind = ChecksumKind::None;
            let e = enc(kind, &data);
            prop_assert_eq!(&e, &reference(&data));
            prop_assert!(e.len() <= max_encoded_len(kind, data.len()));
            prop_assert_eq!(e.iter().filter(|&&b| b == 0).count(), 1);
            let mut w = e.clone();
            prop_assert_eq!(decode_in_place(kind, &mut w).unwrap(), data.as_slice());
        }

        #[test]
        fn chunking_does_not_matter(
            payloads in proptest::collection::vec(
                proptest::collection::vec(prop_oneof![Just(0u8), any::<u8>()], 0..if cfg!(miri) { 20 } else { 300 }), 0..5),
            id in 0u8..5, chunk in 1usize..40,
            noise in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let kind = ChecksumKind::from_id(id).unwrap();
            let mut wire = Vec::new();
            for p in &payloads {
                wire.extend_from_slice(&enc(kind, p));
            }
            let expect: Vec<Result<Vec<u8>, Error>> = payloads.iter().cloned().map(Ok).collect();
            prop_assert_eq!(decode_chunks(kind, 300, &wire, wire.len()), expect.clone());
            prop_assert_eq!(decode_chunks(kind, 300, &wire, 1), expect.clone());
            prop_assert_eq!(decode_chunks(kind, 300, &wire, chunk), expect);
            // Noise in front: whatever happens, chunking does not change it and the
            // frames after the first delimiter that follows the noise still decode.
            let mut noisy = noise.clone();
            noisy.extend_from_slice(&wire);
            let a = decode_chunks(kind, 300, &noisy, noisy.len());
            prop_assert_eq!(&a, &decode_chunks(kind, 300, &noisy, 1));
            let mut resync = noise;
            resync.push(0);
            resync.extend_from_slice(&wire);
            let events = decode_chunks(kind, 300, &resync, chunk);
            let tail: Vec<Result<Vec<u8>, Error>> = events[events.len() - payloads.len()..].to_vec();
            prop_assert_eq!(tail, payloads.iter().cloned().map(Ok).collect::<Vec<_>>());
        }
    }
}
