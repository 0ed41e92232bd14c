//! [`ContainerWriter`] and its [`ContainerOptions`].

use std::fmt;
use std::io::{self, IoSlice, Write};

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::Compression;
use secstream_core::container::{self, Config};
use secstream_core::seal::{MasterKey, STREAM_NONCE_LEN};
use zeroize::{Zeroize, Zeroizing};

use crate::Error;
use crate::frame_io::DEFAULT_BATCH;
use crate::frame_io::writer::write_all_vectored;

/// How a container is written: checksum, compression and level, plaintext per
/// frame, index. `Default` is CRC-32C, no compression, 1 MiB frames, with an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerOptions {
    checksum: ChecksumKind,
    compression: Compression,
    level: u8,
    max_plain: u32,
    index: bool,
    batch: usize,
}

impl Default for ContainerOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ContainerOptions {
    /// The defaults: CRC-32C, no compression, [`container::DEFAULT_MAX_PLAIN`] bytes
    /// per frame, deflate level [`container::DEFAULT_LEVEL`], with an index.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            checksum: ChecksumKind::Crc32c,
            compression: Compression::None,
            level: container::DEFAULT_LEVEL,
            max_plain: container::DEFAULT_MAX_PLAIN,
            index: true,
            batch: DEFAULT_BATCH,
        }
    }

    /// The checksum of every frame.
    #[must_use]
    pub const fn checksum(mut self, checksum: ChecksumKind) -> Self {
        self.checksum = checksum;
        self
    }

    /// The compression of every frame.
    #[must_use]
    pub const fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The deflate level, 0 (stored blocks) to 10.
    #[must_use]
    pub const fn level(mut self, level: u8) -> Self {
        self.level = level;
        self
    }

    /// Plaintext bytes per frame (the stream's `max_plain`, 1 to 2^30; readers
    /// accept up to [`container::DEFAULT_READ_LIMIT`] unless configured otherwise).
    #[must_use]
    pub const fn frame_size(mut self, max_plain: u32) -> Self {
        self.max_plain = max_plain;
        self
    }

    /// Whether to write the index of frames into the end section (8 bytes per frame;
    /// it makes the stream seekable).
    #[must_use]
    pub const fn index(mut self, index: bool) -> Self {
        self.index = index;
        self
    }

    /// Bytes of encoded frames gathered before each write to the inner writer.
    #[must_use]
    pub const fn batch(mut self, batch: usize) -> Self {
        self.batch = batch;
        self
    }

    pub(crate) const fn level_and_index(&self) -> (u8, bool) {
        (self.level, self.index)
    }

    /// The stream config these options give.
    #[must_use]
    pub const fn config(&self, sealed: bool) -> Config {
        Config::new(self.checksum, self.max_plain)
            .with_compression(self.compression)
            .with_sealed(sealed)
    }

    /// A writer of an unsealed container.
    ///
    /// # Errors
    /// [`Error::Container`] for a frame size outside 1..=2^30.
    pub fn writer<W: Write>(self, inner: W) -> Result<ContainerWriter<W>, Error> {
        ContainerWriter::build(inner, container::Writer::new(self.config(false))?, self)
    }

    /// A writer of a container sealed under `master`, with a fresh random stream nonce
    /// from the operating system.
    ///
    /// # Errors
    /// [`Error::Random`] if the random generator fails; as [`writer`](Self::writer).
    pub fn sealed_writer<W: Write>(
        self,
        inner: W,
        master: &MasterKey,
    ) -> Result<ContainerWriter<W>, Error> {
        let mut nonce = [0u8; STREAM_NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(Error::Random)?;
        self.sealed_writer_with_nonce(inner, master, nonce)
    }

    /// A writer of a sealed container with the given stream nonce. The nonce must never
    /// repeat under one master key (a repeat reveals the XOR of two plaintexts): use
    /// [`sealed_writer`](Self::sealed_writer) unless you write fixed test vectors.
    ///
    /// # Errors
    /// As [`writer`](Self::writer).
    pub fn sealed_writer_with_nonce<W: Write>(
        self,
        inner: W,
        master: &MasterKey,
        nonce: [u8; STREAM_NONCE_LEN],
    ) -> Result<ContainerWriter<W>, Error> {
        let w = container::Writer::new_sealed(self.config(true), master, nonce)?;
        ContainerWriter::build(inner, w, self)
    }
}

/// Writes a container to a [`Write`]: an [`io::Write`] of plaintext, cut into frames of
/// the configured size. [`finish`](Self::finish) writes the last frame (a sealed
/// stream's final frame) and the end section and hands back the inner writer; a writer
/// dropped without it writes nothing more, so readers report the stream truncated.
pub struct ContainerWriter<W: Write> {
    inner: Option<W>,
    core: Box<container::Writer>,
    /// Plaintext of the frame being filled (at most `max_plain` bytes).
    plain: Zeroizing<Vec<u8>>,
    max_plain: usize,
    /// Encoded frames not yet written (the batch) are `out[..out_len]`; the buffer
    /// keeps its length between batches, so it is not zero-filled again per frame.
    out: Vec<u8>,
    out_len: usize,
    /// Whether `out` holds plaintext (unsealed): then it is wiped after each write.
    wipe_out: bool,
    batch: usize,
    poisoned: bool,
}

impl<W: Write> fmt::Debug for ContainerWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerWriter")
            .field("config", self.core.config())
            .field("frames", &self.core.frame_count())
            .field("poisoned", &self.poisoned)
            .finish_non_exhaustive()
    }
}

impl<W: Write> ContainerWriter<W> {
    fn build(
        inner: W,
        mut core: container::Writer,
        options: ContainerOptions,
    ) -> Result<Self, Error> {
        core.set_level(options.level);
        if options.index {
            core = core.with_index();
        }
        let max_plain = core.config().max_plain as usize;
        let mut out = Vec::with_capacity(options.batch.min(1 << 24));
        let pre = core.preamble().to_vec();
        out.extend_from_slice(&pre);
        let out_len = out.len();
        let wipe_out = !core.config().sealed;
        let mut pre_buf = [0u8; container::SEALED_PREAMBLE_LEN];
        core.start(&mut pre_buf)?;
        Ok(Self {
            inner: Some(inner),
            core: Box::new(core),
            plain: Zeroizing::new(Vec::with_capacity(max_plain.min(1 << 24))),
            max_plain,
            out,
            out_len,
            wipe_out,
            batch: options.batch,
            poisoned: false,
        })
    }

    /// The stream's config.
    #[must_use]
    pub fn config(&self) -> &Config {
        self.core.config()
    }

    /// Frames written so far.
    #[must_use]
    pub fn frames_written(&self) -> u64 {
        self.core.frame_count()
    }

    /// The inner writer (`None` after [`finish`](Self::finish)).
    #[must_use]
    pub fn get_ref(&self) -> Option<&W> {
        self.inner.as_ref()
    }

    fn check(&self) -> Result<(), Error> {
        if self.poisoned || self.inner.is_none() {
            Err(Error::Poisoned)
        } else {
            Ok(())
        }
    }

    /// Ends the current frame now, even if it is shorter than the frame size (nothing
    /// happens when no plaintext is pending), and writes the pending frames.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Container`]; then [`Error::Poisoned`] on every call.
    pub fn end_frame(&mut self) -> Result<(), Error> {
        self.check()?;
        if !self.plain.is_empty() {
            self.poison_on_err(|w| w.emit(false))?;
        }
        self.poison_on_err(Self::flush_out)
    }

    /// Writes `value` as one postcard-encoded frame of its own (feature `serde`): the
    /// pending plaintext is ended as a frame first, and the message's frame is written
    /// by the next message, [`end_frame`](Self::end_frame) or [`finish`](Self::finish)
    /// (so a sealed stream's last message is its final frame). The message must fit the
    /// frame size.
    ///
    /// # Errors
    /// [`Error::Message`] if it cannot be encoded or is longer than the frame size; as
    /// [`end_frame`](Self::end_frame).
    #[cfg(feature = "serde")]
    pub fn write_message<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        use secstream_core::message;
        let mut buf = Zeroizing::new(vec![0u8; self.max_plain]);
        let n = message::to_payload(value, &mut buf).map_err(Error::Message)?;
        self.end_frame()?;
        self.plain
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(())
    }

    fn poison_on_err(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let res = f(self);
        if res.is_err() {
            self.poisoned = true;
        }
        res
    }

    /// Encodes the pending plaintext as one frame (the last one with `last`).
    fn emit(&mut self, last: bool) -> Result<(), Error> {
        let c = *self.core.config();
        if !c.sealed && c.compression == Compression::None && !last {
            // Header only; the plaintext goes out as it is (vectored, no copy when large).
            let h = self.core.plain_frame_header(&self.plain)?;
            let hb = h.as_bytes();
            let total = self.out_len + hb.len() + self.plain.len();
            if total <= self.batch {
                let dst = reserve(&mut self.out, self.out_len, hb.len() + self.plain.len());
                let (head, body) = dst.split_at_mut(hb.len());
                head.copy_from_slice(hb);
                body.copy_from_slice(&self.plain);
                self.out_len = total;
            } else {
                let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
                let mut slices = [
                    IoSlice::new(self.out.get(..self.out_len).unwrap_or_default()),
                    IoSlice::new(hb),
                    IoSlice::new(&self.plain),
                ];
                write_all_vectored(inner, &mut slices)?;
                self.done_out();
            }
        } else {
            let need = self.core.max_encoded_len(self.plain.len());
            let at = self.out_len;
            let tail = reserve(&mut self.out, at, need);
            let res = if last {
                self.core.encode_last(&self.plain, tail)
            } else {
                self.core.encode_frame(&self.plain, tail)
            };
            match res {
                Ok(n) => self.out_len = at + n,
                Err(e) => {
                    if let Some(t) = self.out.get_mut(at..) {
                        t.zeroize();
                    }
                    return Err(e.into());
                }
            }
        }
        self.plain.as_mut_slice().zeroize();
        self.plain.clear();
        if self.out_len >= self.batch {
            self.flush_out()?;
        }
        Ok(())
    }

    /// The batch was written: wipe it if it held plaintext, and start a new one.
    fn done_out(&mut self) {
        if self.wipe_out
            && let Some(used) = self.out.get_mut(..self.out_len)
        {
            used.zeroize();
        }
        self.out_len = 0;
    }

    fn flush_out(&mut self) -> Result<(), Error> {
        if self.out_len == 0 {
            return Ok(());
        }
        let inner = self.inner.as_mut().ok_or(Error::Poisoned)?;
        inner.write_all(self.out.get(..self.out_len).unwrap_or_default())?;
        self.done_out();
        Ok(())
    }

    /// Ends the stream: writes the pending plaintext as the last frame (for a sealed
    /// stream its final frame, empty if nothing is pending), the end section, flushes,
    /// and returns the inner writer.
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails; [`Error::Poisoned`] after an earlier failure.
    pub fn finish(mut self) -> Result<W, Error> {
        self.check()?;
        self.poison_on_err(|w| {
            if !w.plain.is_empty() {
                w.emit(true)?;
            }
            let need = w.core.max_finish_len();
            let at = w.out_len;
            let n = w.core.finish(reserve(&mut w.out, at, need))?;
            w.out_len = at + n;
            w.flush_out()?;
            w.inner.as_mut().ok_or(Error::Poisoned)?.flush()?;
            Ok(())
        })?;
        self.inner.take().ok_or(Error::Poisoned)
    }
}

/// Makes `out` at least `at + need` long (zero-filling only when it grows); returns
/// `out[at..at + need]`.
fn reserve(out: &mut Vec<u8>, at: usize, need: usize) -> &mut [u8] {
    let want = at + need;
    if out.len() < want {
        out.resize(want, 0);
    }
    out.get_mut(at..want).unwrap_or_default()
}

impl<W: Write> Write for ContainerWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        let mut rest = buf;
        while !rest.is_empty() {
            if self.plain.len() == self.max_plain {
                self.poison_on_err(|w| w.emit(false))?;
            }
            let take = (self.max_plain - self.plain.len()).min(rest.len());
            let (now, later) = rest.split_at(take);
            self.plain.extend_from_slice(now);
            rest = later;
        }
        Ok(buf.len())
    }

    /// Writes the complete frames so far and flushes the inner writer. Plaintext of an
    /// unfinished frame stays buffered (see [`end_frame`](Self::end_frame)).
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        self.poison_on_err(|w| {
            w.flush_out()?;
            w.inner.as_mut().ok_or(Error::Poisoned)?.flush()?;
            Ok(())
        })?;
        Ok(())
    }
}

impl<W: Write> Drop for ContainerWriter<W> {
    fn drop(&mut self) {
        // Nothing more is written: without its end section the stream reads as truncated.
        self.plain.zeroize();
        // Everything ever encoded (plaintext when unsealed) is wiped.
        self.out.zeroize();
    }
}
