//! The input window the stream readers feed to the core decoders.

use std::io::{self, BufRead, Read};

use zeroize::{Zeroize, Zeroizing};

/// Size of a reader's window.
pub(crate) const READ_CHUNK: usize = 256 * 1024;

/// The input side of a [`FrameReader`](crate::frame_io::FrameReader): the inner reader and a
/// window over its bytes.
pub(crate) struct Source<R> {
    pub(crate) inner: R,
    /// Wiped when refilled and on drop (sealed frames are decrypted in it).
    pub(crate) buf: Zeroizing<Vec<u8>>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) eof: bool,
}

impl<R: Read> Source<R> {
    pub(crate) fn window(&mut self) -> &mut [u8] {
        self.buf.get_mut(self.start..self.end).unwrap_or_default()
    }

    /// Reads once into the (consumed, so wiped) window. `false` at the end of the input.
    pub(crate) fn refill(&mut self) -> io::Result<bool> {
        if let Some(used) = self.buf.get_mut(..self.end) {
            used.zeroize();
        }
        self.start = 0;
        self.end = 0;
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end = n.min(self.buf.len());
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: Read> Source<R> {
    /// Reads once straight into `dst`, past the window (for large reads: no
    /// copy through it), which must be empty; it is wiped first. 0 at the
    /// end of the input.
    pub(crate) fn read_past(&mut self, dst: &mut [u8]) -> io::Result<usize> {
        if let Some(used) = self.buf.get_mut(..self.end) {
            used.zeroize();
        }
        self.start = 0;
        self.end = 0;
        if self.eof || dst.is_empty() {
            return Ok(0);
        }
        loop {
            match self.inner.read(dst) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => return Ok(n.min(dst.len())),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R> Source<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: Zeroizing::new(vec![0u8; READ_CHUNK]),
            start: 0,
            end: 0,
            eof: false,
        }
    }

    /// Marks `n` bytes of the window as used.
    pub(crate) fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
    }
}

/// `Read::read` of a reader whose plaintext comes through its own `BufRead`:
/// copies what `fill_buf` holds, as much as fits, and consumes it.
pub(crate) fn read_through_buffer(r: &mut impl BufRead, buf: &mut [u8]) -> io::Result<usize> {
    let avail = r.fill_buf()?;
    let n = avail.len().min(buf.len());
    buf[..n].copy_from_slice(&avail[..n]);
    r.consume(n);
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_window_refills_and_stops_at_the_end() {
        let data: Vec<u8> = (0..40u8).collect();
        let mut src = Source {
            inner: &data[..],
            buf: Zeroizing::new(vec![0u8; 32]),
            start: 0,
            end: 0,
            eof: false,
        };
        assert!(src.refill().unwrap());
        assert_eq!(src.window(), &data[..32]);
        src.consume(30);
        assert_eq!(src.window(), &data[30..32]);
        src.consume(5);
        assert!(src.refill().unwrap());
        assert_eq!(src.window(), &data[32..40]);
        // The input is used up: a refill finds its end and wipes what was there.
        src.consume(8);
        assert!(!src.refill().unwrap());
        assert_eq!(src.buf.as_slice(), &[0u8; 32]);
    }
}
