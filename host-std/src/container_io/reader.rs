//! [`ContainerReader`]: a container from a [`Read`], as plaintext.

use std::fmt;
use std::io::{self, BufRead, Read};

use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{self, Feed, Header};
use secstream_core::seal::MasterKey;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::source::Source;

/// The core reader behind the host's container readers (blocking and tokio).
pub(crate) type Core = container::Reader<Vec<u8>, Box<Decompressor<Vec<u8>>>>;

/// A lazy core reader with an empty decompressor: buffers come from
/// [`on_header`] and [`on_need_buffer`].
pub(crate) fn core(reader: container::Reader<Vec<u8>>) -> Core {
    reader
        .lazy()
        .with_decompressor(Box::new(Decompressor::new(Vec::new())))
}

/// After [`Feed::Header`]: a compressed stream's decompressor gets `max_plain`
/// bytes (the reader checked `max_plain` against its limit).
pub(crate) fn on_header(core: &mut Core, header: &Header) -> Result<(), Error> {
    if header.config.compression != Compression::None {
        let out = zeroed(header.config.max_plain as usize)?;
        drop(core.decompressor_mut().replace_output(out));
    }
    Ok(())
}

/// After [`Feed::NeedBuffer`]: a frame buffer of at least `len` bytes (at least
/// double the old one, which comes back wiped).
pub(crate) fn on_need_buffer(core: &mut Core, len: usize) -> Result<(), Error> {
    let cap = core.buffer_len().saturating_mul(2).max(len);
    core.replace_buffer(zeroed(cap)?)
        .map(drop)
        .map_err(|_| Error::Container(container::Error::BufferTooSmall))
}

/// Reads a container from a [`Read`]: an [`io::Read`] + [`io::BufRead`] of its
/// plaintext, or frame by frame ([`read_frame`](Self::read_frame)).
///
/// The preamble's `max_plain` is checked against the limit
/// ([`with_limit`](Self::with_limit), default [`container::DEFAULT_READ_LIMIT`]) before
/// any buffer is allocated; the frame buffer then grows only as far as the frames need,
/// and the decompression buffer (`max_plain` bytes) is allocated only for a compressed
/// stream. The end of the plaintext (`Ok(0)` from `read`) comes only after the end
/// section was read and matched: a truncated stream is an error, wherever it was cut.
pub struct ContainerReader<R: Read> {
    src: Source<R>,
    core: Box<Core>,
    header: Option<Header>,
    /// The current frame's plaintext and how much of it was read.
    cur: Zeroizing<Vec<u8>>,
    pos: usize,
    frames: u64,
    done: bool,
}

impl<R: Read> fmt::Debug for ContainerReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerReader")
            .field("header", &self.header)
            .field("frames", &self.frames)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> ContainerReader<R> {
    fn build(inner: R, reader: container::Reader<Vec<u8>>) -> Self {
        Self {
            src: Source::new(inner),
            core: Box::new(core(reader)),
            header: None,
            cur: Zeroizing::new(Vec::new()),
            pos: 0,
            frames: 0,
            done: false,
        }
    }

    /// A reader of an unsealed container (a sealed one fails with
    /// [`container::Error::KeyRequired`]).
    pub fn new(inner: R) -> Self {
        Self::build(inner, container::Reader::new(Vec::new()))
    }

    /// A reader of a container sealed under `master` (an unsealed one fails with
    /// [`container::Error::NotSealed`], so sealing cannot be stripped off). The master
    /// key is wiped once the stream key is derived.
    pub fn sealed(inner: R, master: MasterKey) -> Self {
        Self::build(inner, container::Reader::new_sealed(Vec::new(), master))
    }

    /// A keyless reader of any container: an unsealed one is read in full; a sealed
    /// one's frames are checked (lengths, checksums, end section) and handed out as
    /// stored (ciphertext and tag). Only a keyed read proves a sealed stream authentic.
    pub fn verifier(inner: R) -> Self {
        Self::build(inner, container::Reader::verifier(Vec::new()))
    }

    /// Sets the largest `max_plain` a stream may declare (default
    /// [`container::DEFAULT_READ_LIMIT`]; at most 2^30).
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.core.set_limit(limit);
        self
    }

    /// The header, once read.
    #[must_use]
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Reads the preamble now (it is otherwise read with the first frame).
    ///
    /// # Errors
    /// As [`read_frame`](Self::read_frame).
    pub fn read_header(&mut self) -> Result<&Header, Error> {
        if self.header.is_none() {
            self.advance(None::<fn(&[u8])>, true)?;
        }
        self.header
            .as_ref()
            .ok_or(Error::Container(container::Error::Truncated))
    }

    /// Frames handed out so far.
    #[must_use]
    pub const fn frames_read(&self) -> u64 {
        self.frames
    }

    /// Plaintext bytes of the frames handed out so far.
    #[must_use]
    pub fn plain_len(&self) -> u64 {
        self.core.plain_len()
    }

    /// Decodes the next frame and calls `f` with its payload (in place); `Ok(None)` at
    /// the checked end of the stream.
    fn next_with<T>(&mut self, f: impl FnOnce(&[u8]) -> T) -> Result<Option<T>, Error> {
        self.advance(Some(f), false)
    }

    /// Feeds the core reader until a frame (given to `f`), the end, or, with
    /// `to_header`, the header.
    fn advance<T>(
        &mut self,
        mut f: Option<impl FnOnce(&[u8]) -> T>,
        to_header: bool,
    ) -> Result<Option<T>, Error> {
        if self.done {
            return Ok(None);
        }
        let Self {
            src, core, header, ..
        } = self;
        loop {
            if src.start == src.end && !src.refill()? {
                core.finish()?;
                self.done = true;
                return Ok(None);
            }
            match core.feed(src.window())? {
                Feed::NeedMore => src.start = src.end,
                Feed::Header {
                    header: h,
                    consumed,
                } => {
                    src.consume(consumed);
                    *header = Some(h);
                    on_header(core, &h)?;
                    if to_header {
                        return Ok(None);
                    }
                }
                Feed::NeedBuffer { len, consumed } => {
                    on_need_buffer(core, len)?;
                    src.consume(consumed);
                }
                Feed::Frame { payload, consumed } => {
                    let out = f.take().map(|g| g(payload));
                    src.consume(consumed);
                    self.frames += 1;
                    return Ok(out);
                }
                Feed::End { consumed } => src.consume(consumed),
            }
        }
    }

    /// Reads the next frame's plaintext; `None` at the checked end of the stream. The
    /// plaintext is copied into a buffer of the reader, wiped before the next frame and
    /// on drop. Mixing this with `Read` skips what `Read` had not yet returned of the
    /// current frame.
    ///
    /// # Errors
    /// [`Error::Container`] (`Truncated`, `Authentication`, `BadChecksum`,
    /// `TrailingData`, ...), [`Error::Io`]. After a decoding error every call fails
    /// again.
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        if self.load_next()? {
            self.pos = self.cur.len();
            Ok(Some(self.cur.as_slice()))
        } else {
            Ok(None)
        }
    }

    /// Copies the next frame into `cur`; `false` at the end.
    fn load_next(&mut self) -> Result<bool, Error> {
        let mut cur = std::mem::take(&mut *self.cur);
        cur.zeroize();
        cur.clear();
        let got = self.next_with(|p| cur.extend_from_slice(p));
        *self.cur = cur;
        self.pos = 0;
        Ok(got?.is_some())
    }

    /// Reads the next frame as a postcard-encoded `T` (feature `serde`; see
    /// [`ContainerWriter::write_message`](super::ContainerWriter::write_message)); `None`
    /// at the checked end of the stream.
    ///
    /// # Errors
    /// As [`read_frame`](Self::read_frame); [`Error::Message`] if the frame is not a
    /// valid `T`.
    #[cfg(feature = "serde")]
    pub fn read_message<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<T>, Error> {
        self.next_with(|p| secstream_core::message::decode_message::<T>(p))?
            .transpose()
            .map_err(Error::Message)
    }

    /// Calls `f` with every frame's plaintext, in place (no copy), until the end of the
    /// stream; returns the number of frames.
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

    /// An iterator over owned copies of the frames' plaintexts (zeroized when dropped).
    /// It ends after the first error.
    pub fn frames(&mut self) -> Frames<'_, R> {
        Frames {
            reader: self,
            failed: false,
        }
    }
}

impl<R: Read> BufRead for ContainerReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.cur.len() {
            if !self.load_next()? {
                break;
            }
        }
        Ok(self.cur.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.pos = self.pos.saturating_add(amt).min(self.cur.len());
    }
}

impl<R: Read> Read for ContainerReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        crate::source::read_through_buffer(self, buf)
    }
}

/// A zeroed buffer of `n` bytes, allocated fallibly (a hostile `max_plain` or frame
/// length is an error, not an abort).
fn zeroed(n: usize) -> Result<Vec<u8>, Error> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| Error::Io(io::Error::from(io::ErrorKind::OutOfMemory)))?;
    v.resize(n, 0);
    Ok(v)
}

/// Iterator over owned frame plaintexts (see [`ContainerReader::frames`]).
#[derive(Debug)]
pub struct Frames<'r, R: Read> {
    reader: &'r mut ContainerReader<R>,
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
