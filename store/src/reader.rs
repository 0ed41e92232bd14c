//! [`StreamReader`]: one stored version, read and seeked in place.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

use secstream_core::compress::{Compression, Decompressor};
use secstream_core::container::{self, FrameCodec};
use secstream_core::frame;
use zeroize::Zeroizing;

use crate::db::Chunks;
use crate::error::Error;
use crate::record::Record;

/// Where the current chunk's plaintext is.
#[derive(Clone, Copy)]
enum Plain {
    None,
    /// `frame[start..start + len]` (uncompressed streams: opened in place).
    InFrame {
        start: usize,
        len: usize,
    },
    /// The decompressor's output, `len` bytes.
    InDecomp {
        len: usize,
    },
}

/// A stored version (from [`Store::get`](crate::Store::get) or a
/// [`View`](crate::View)): `Read + Seek` over its plaintext, on the snapshot it
/// was opened in (later commits do not change what it reads). It holds one
/// chunk, opened and checked, at a time (two buffers of about the chunk size,
/// wiped on drop); every chunk is authenticated before any byte of it is
/// returned, so a damaged or moved chunk is an error, never wrong plaintext.
pub struct StreamReader {
    chunks: Chunks,
    codec: FrameCodec,
    record: Record,
    version: u64,
    pos: u64,
    current: Option<u64>,
    frame: Zeroizing<Vec<u8>>,
    decomp: Option<Box<Decompressor<Zeroizing<Vec<u8>>>>>,
    plain: Plain,
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("version", &self.version)
            .field("len", &self.record.plain_len)
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

impl StreamReader {
    pub(crate) fn new(
        chunks: Chunks,
        codec: FrameCodec,
        record: Record,
        version: u64,
    ) -> Result<Self, Error> {
        let config = record.config();
        let frame_cap = config.max_frame_len();
        let mut frame = Zeroizing::new(Vec::new());
        frame
            .try_reserve_exact(frame_cap)
            .map_err(|_| Error::Corrupt("chunk size too large to allocate"))?;
        let decomp = if config.compression == Compression::None {
            None
        } else {
            let mut out = Zeroizing::new(Vec::new());
            out.try_reserve_exact(config.max_plain as usize)
                .map_err(|_| Error::Corrupt("chunk size too large to allocate"))?;
            out.resize(config.max_plain as usize, 0);
            Some(Box::new(Decompressor::new(out)))
        };
        Ok(Self {
            chunks,
            codec,
            record,
            version,
            pos: 0,
            current: None,
            frame,
            decomp,
            plain: Plain::None,
        })
    }

    /// The plaintext length.
    #[must_use]
    pub const fn len(&self) -> u64 {
        self.record.plain_len
    }

    /// Whether the stream is empty.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.record.plain_len == 0
    }

    /// The version being read.
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// Loads, checks and opens chunk `i`.
    fn load(&mut self, i: u64) -> Result<(), Error> {
        self.current = None;
        self.plain = Plain::None;
        let r = &self.record;
        let chunk = u64::from(r.max_plain);
        let last = i + 1 == r.frames;
        let want = if last {
            r.plain_len - chunk * (r.frames - 1)
        } else {
            chunk
        };
        if !self.chunks.get_into(r.sid, i, &mut self.frame)? {
            return Err(Error::Corrupt("a chunk is missing"));
        }
        let hlen = frame::header_len(r.checksum);
        if self.frame.len() < hlen {
            return Err(Error::Corrupt("chunk shorter than a frame header"));
        }
        let (head, payload) = self.frame.split_at_mut(hlen);
        let stored_len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if stored_len as usize != payload.len() {
            return Err(Error::Corrupt("chunk length field does not match"));
        }
        let h = frame::header(r.checksum, payload).map_err(|_| Error::Corrupt("chunk too long"))?;
        if h.as_bytes() != head {
            return Err(container::Error::BadChecksum { frame: i }.into());
        }
        let (n, _) = self.codec.open(i, Some(last), payload)?;
        let compressed = payload.get(..n).ok_or(Error::Corrupt("frame overflow"))?;
        let got = match &mut self.decomp {
            None => {
                self.plain = Plain::InFrame {
                    start: hlen,
                    len: n,
                };
                n
            }
            Some(d) => {
                let len = self.codec.decompress(compressed, &mut **d)?.len();
                self.plain = Plain::InDecomp { len };
                len
            }
        };
        if got as u64 != want {
            self.plain = Plain::None;
            return Err(Error::Corrupt("chunk has the wrong plaintext length"));
        }
        self.current = Some(i);
        Ok(())
    }

    fn plain(&mut self) -> &[u8] {
        match self.plain {
            Plain::None => &[],
            Plain::InFrame { start, len } => self.frame.get(start..start + len).unwrap_or_default(),
            Plain::InDecomp { len } => match &mut self.decomp {
                Some(d) => {
                    use secstream_core::compress::Decompress;
                    d.output().get(..len).unwrap_or_default()
                }
                None => &[],
            },
        }
    }
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.record.plain_len {
            return Ok(0);
        }
        let chunk = u64::from(self.record.max_plain);
        let i = self.pos / chunk;
        if self.current != Some(i) {
            self.load(i)?;
        }
        // pos - i * chunk < chunk <= 2^30: fits in usize.
        let off = usize::try_from(self.pos - i * chunk).unwrap_or(usize::MAX);
        let src = self.plain().get(off..).unwrap_or_default();
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for StreamReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let base = match to {
            SeekFrom::Start(n) => {
                self.pos = n;
                return Ok(n);
            }
            SeekFrom::End(d) => (self.record.plain_len, d),
            SeekFrom::Current(d) => (self.pos, d),
        };
        let pos = base.0.checked_add_signed(base.1).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the stream",
            )
        })?;
        self.pos = pos;
        Ok(pos)
    }
}
