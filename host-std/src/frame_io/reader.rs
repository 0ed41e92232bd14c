//! [`FrameReader`]: raw frames from a [`Read`].

use std::fmt;
use std::io::Read;

use secstream_core::checksum::ChecksumKind;
use secstream_core::frame;
use zeroize::Zeroizing;

use super::writer::wipe;
use crate::Error;
use crate::source::Source;

/// Reads length-prefixed frames from a [`Read`] (see the [module docs](super)).
pub struct FrameReader<R: Read> {
    src: Source<R>,
    dec: frame::Decoder<Vec<u8>>,
    /// [`read_frame`](Self::read_frame)'s copy of the last payload.
    out: Zeroizing<Vec<u8>>,
    frames: u64,
    done: bool,
}

impl<R: Read> fmt::Debug for FrameReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("kind", &self.dec.kind())
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> FrameReader<R> {
    /// A reader of frames with checksum `kind` and payloads of at most `max_len` bytes.
    /// Its frame buffer grows on demand (see the [module docs](super)).
    pub fn new(inner: R, kind: ChecksumKind, max_len: u32) -> Self {
        Self {
            src: Source::new(inner),
            dec: frame::Decoder::new(kind, max_len, Vec::new()),
            out: Zeroizing::new(Vec::new()),
            frames: 0,
            done: false,
        }
    }

    /// Frames handed out so far.
    #[must_use]
    pub const fn frames_read(&self) -> u64 {
        self.frames
    }

    /// The inner reader (it may have been read ahead of the last frame).
    pub fn into_inner(self) -> R {
        let Self { src, .. } = self;
        src.inner
    }

    /// Decodes the next frame and calls `f` with its payload (in place).
    fn next_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
        if self.done {
            return Ok(None);
        }
        let Self { src, dec, .. } = self;
        loop {
            if src.start == src.end && !src.refill()? {
                // The end of the input: clean only between frames.
                dec.finish()?;
                self.done = true;
                return Ok(None);
            }
            match dec.feed_lazy(src.window())? {
                frame::LazyFeed::Frame { payload, consumed } => {
                    let out = f(payload);
                    src.consume(consumed);
                    self.frames += 1;
                    return Ok(Some(out));
                }
                frame::LazyFeed::NeedBuffer { len, consumed } => {
                    grow(dec, len)?;
                    src.consume(consumed);
                }
                frame::LazyFeed::NeedMore => src.start = src.end,
            }
        }
    }

    /// Reads the next frame; `None` at a clean end of the input. The payload is copied
    /// into a buffer of the reader, wiped before the next frame and on drop.
    ///
    /// # Errors
    /// [`Error::Frame`] (`Truncated`, `BadChecksum`, `FrameTooLong`), [`Error::Io`].
    /// After a decoding error every call fails again.
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        let mut out = std::mem::take(&mut *self.out);
        wipe(&mut out);
        let got = self.next_with(|p| out.extend_from_slice(p));
        *self.out = out;
        Ok(got?.map(|()| self.out.as_slice()))
    }

    /// Reads the next frame as a postcard-encoded `T` (feature `serde`); `None` at a
    /// clean end of the input.
    ///
    /// # Errors
    /// As [`read_frame`](Self::read_frame); [`Error::Message`] if the payload is not
    /// a valid `T`.
    #[cfg(feature = "serde")]
    pub fn read_message<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        self.next_with(|p| secstream_core::message::decode_message::<T>(p))?
            .transpose()
            .map_err(Error::Message)
    }

    /// Calls `f` with every payload, in place (no copy), until the end of the input;
    /// returns the number of frames.
    ///
    /// # Errors
    /// The first error of `f`, or of reading (converted with `From`).
    pub fn process_all<E, F>(&mut self, mut f: F) -> Result<u64, E>
    where
        F: FnMut(&[u8]) -> Result<(), E>,
        E: From<Error>,
    {
        let mut n = 0u64;
        while let Some(res) = self.next_with(&mut f)? {
            res?;
            n += 1;
        }
        Ok(n)
    }

    /// An iterator over owned copies of the payloads (zeroized when dropped). It ends
    /// after the first error.
    pub fn frames(&mut self) -> Frames<'_, R> {
        Frames {
            reader: self,
            failed: false,
        }
    }
}

/// Gives a decoder a (zeroed) buffer of at least `len` bytes: at least double the old
/// one, at most the decoder's maximum (which `len` is within: the decoder checked it).
/// The old buffer comes back wiped and is freed.
pub(crate) fn grow(dec: &mut frame::Decoder<Vec<u8>>, len: usize) -> Result<(), Error> {
    let max = usize::try_from(dec.max_len()).unwrap_or(usize::MAX);
    let cap = dec.buffer_len().saturating_mul(2).min(max).max(len);
    dec.replace_buffer(vec![0u8; cap])
        .map(drop)
        .map_err(|_| Error::Frame(frame::Error::BufferTooSmall))
}

/// Iterator over owned frame payloads (see [`FrameReader::frames`]).
#[derive(Debug)]
pub struct Frames<'r, R: Read> {
    reader: &'r mut FrameReader<R>,
    failed: bool,
}

impl<R: Read> Iterator for Frames<'_, R> {
    type Item = Result<Zeroizing<Vec<u8>>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.reader.next_with(|p| Zeroizing::new(p.to_vec())) {
            Ok(Some(v)) => Some(Ok(v)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
