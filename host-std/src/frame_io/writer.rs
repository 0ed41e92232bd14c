//! [`FrameWriter`]: raw frames to a [`Write`].

use std::fmt;
use std::io::{self, IoSlice, Write};

use secstream_core::checksum::ChecksumKind;
use secstream_core::frame;
use zeroize::Zeroize;

use crate::Error;

/// Default size of the write batch buffer.
pub const DEFAULT_BATCH: usize = 256 * 1024;

/// Writes length-prefixed frames to a [`Write`] (see the [module docs](super)).
pub struct FrameWriter<W: Write> {
    /// `None` once [`finish`](Self::finish) handed it back.
    inner: Option<W>,
    kind: ChecksumKind,
    /// Frames not yet written (the batch).
    pending: Vec<u8>,
    batch: usize,
    frames: u64,
    poisoned: bool,
}

impl<W: Write> fmt::Debug for FrameWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameWriter")
            .field("kind", &self.kind)
            .field("frames", &self.frames)
            .field("pending", &self.pending.len())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<W: Write> FrameWriter<W> {
    /// A writer of frames with checksum `kind`.
    pub fn new(inner: W, kind: ChecksumKind) -> Self {
        Self {
            inner: Some(inner),
            kind,
            pending: Vec::with_capacity(DEFAULT_BATCH),
            batch: DEFAULT_BATCH,
            frames: 0,
            poisoned: false,
        }
    }

    /// Sets the batch size: frames are gathered until this many bytes are pending.
    #[must_use]
    pub fn with_batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    /// Frames written so far.
    #[must_use]
    pub const fn frames_written(&self) -> u64 {
        self.frames
    }

    /// The inner writer (`None` after [`finish`](Self::finish)).
    #[must_use]
    pub fn get_ref(&self) -> Option<&W> {
        self.inner.as_ref()
    }

    /// Writes one frame holding `payload` (buffered; see the [module docs](super)).
    ///
    /// # Errors
    /// [`Error::Frame`] (`FrameTooLong`) for a payload above 4 GiB - 1 (nothing is
    /// written then); [`Error::Io`] if the inner writer fails, and
    /// [`Error::Poisoned`] on every call after such a failure.
    pub fn write_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
        if self.poisoned || self.inner.is_none() {
            return Err(Error::Poisoned);
        }
        let h = frame::header(self.kind, payload)?;
        match self.push(h.as_bytes(), payload) {
            Ok(()) => {
                self.frames += 1;
                Ok(())
            }
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Writes `value` as one postcard-encoded frame (feature `serde`).
    ///
    /// # Errors
    /// [`Error::Frame`] if it cannot be encoded, else as
    /// [`write_frame`](Self::write_frame).
    #[cfg(feature = "serde")]
    pub fn write_message<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        use secstream_core::message;
        let mut buf = zeroize::Zeroizing::new(vec![0u8; 256]);
        loop {
            match message::to_payload(value, &mut buf) {
                Ok(n) => return self.write_frame(buf.get(..n).unwrap_or_default()),
                Err(message::Error::BufferTooSmall) if buf.len() < 1 << 30 => {
                    let grown = buf.len() * 4;
                    // The old buffer is wiped when the Zeroizing wrapper drops it.
                    buf = zeroize::Zeroizing::new(vec![0u8; grown]);
                }
                Err(e) => return Err(Error::Message(e)),
            }
        }
    }

    /// Appends header and payload to the batch, or writes batch, header and payload with
    /// one vectored write when they do not fit.
    fn push(&mut self, header: &[u8], payload: &[u8]) -> Result<(), Error> {
        let total = self
            .pending
            .len()
            .saturating_add(header.len())
            .saturating_add(payload.len());
        if total <= self.batch {
            self.pending.extend_from_slice(header);
            self.pending.extend_from_slice(payload);
            if self.pending.len() >= self.batch {
                self.flush_pending()?;
            }
            return Ok(());
        }
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        let mut slices = [
            IoSlice::new(&self.pending),
            IoSlice::new(header),
            IoSlice::new(payload),
        ];
        write_all_vectored(inner, &mut slices)?;
        wipe(&mut self.pending);
        Ok(())
    }

    fn flush_pending(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        inner.write_all(&self.pending)?;
        wipe(&mut self.pending);
        Ok(())
    }

    /// Writes everything buffered and flushes the inner writer.
    ///
    /// # Errors
    /// [`Error::Io`]; [`Error::Poisoned`] after an earlier failure.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.poisoned {
            return Err(Error::Poisoned);
        }
        let res = self.flush_pending().and_then(|()| {
            self.inner
                .as_mut()
                .ok_or(Error::Poisoned)?
                .flush()
                .map_err(Error::from)
        });
        if res.is_err() {
            self.poisoned = true;
        }
        res
    }

    /// Writes everything buffered, flushes, and returns the inner writer.
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails; [`Error::Poisoned`] after an earlier failure.
    pub fn finish(mut self) -> Result<W, Error> {
        self.flush()?;
        self.inner.take().ok_or(Error::Poisoned)
    }
}

impl<W: Write> Drop for FrameWriter<W> {
    fn drop(&mut self) {
        // Like BufWriter: buffered frames are written, errors ignored.
        if !self.poisoned && self.inner.is_some() {
            let _ = self.flush_pending();
        }
        self.pending.zeroize();
    }
}

/// Zeroes the used part of `v` and empties it (its capacity is kept for reuse).
pub(crate) fn wipe(v: &mut Vec<u8>) {
    v.as_mut_slice().zeroize();
    v.clear();
}

/// `write_all` over several slices with vectored writes.
pub(crate) fn write_all_vectored<W: Write + ?Sized>(
    w: &mut W,
    mut bufs: &mut [IoSlice<'_>],
) -> io::Result<()> {
    IoSlice::advance_slices(&mut bufs, 0);
    while !bufs.is_empty() {
        match w.write_vectored(bufs) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write whole buffer",
                ));
            }
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectored_write_survives_partial_writes() {
        /// Takes at most 3 bytes per call, across slices.
        struct Slow(Vec<u8>);
        impl Write for Slow {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                let k = b.len().min(3);
                self.0.extend_from_slice(&b[..k]);
                Ok(k)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = Slow(Vec::new());
        let (a, b, c) = (b"hello".as_slice(), b"".as_slice(), b" world!".as_slice());
        let mut slices = [IoSlice::new(a), IoSlice::new(b), IoSlice::new(c)];
        write_all_vectored(&mut w, &mut slices).unwrap();
        assert_eq!(w.0, b"hello world!");

        struct Dead;
        impl Write for Dead {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut slices = [IoSlice::new(a)];
        let e = write_all_vectored(&mut Dead, &mut slices).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WriteZero);
    }
}
