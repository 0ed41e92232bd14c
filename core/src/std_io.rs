//! `std::io` traits for [`Ring`] and the [`SpscRing`](crate::spsc::SpscRing)
//! halves (feature `std`).
//!
//! They live in the core because the orphan rule keeps them out of the host
//! crate. What `std` users expect of each case:
//!
//! - Writing a non-empty buffer into a full ring returns an error of kind
//!   [`ErrorKind::WouldBlock`]: "no room now, try again after reading", as a
//!   non-blocking pipe or socket says. (`Ok(0)` would tell `write_all` and
//!   `io::copy` the writer is dead, and they would fail with `WriteZero`.)
//! - Reading a [`Ring`] that is empty returns `Ok(0)`, like `VecDeque<u8>`
//!   and `&[u8]`: everything written has been read, and `read_to_end`
//!   collects exactly the buffered bytes.
//! - Reading a [`Consumer`] that is empty (with a non-empty buffer) returns
//!   [`ErrorKind::WouldBlock`], and so does its `fill_buf`: the producer may
//!   still add bytes, and `Ok(0)` would make `read_to_end`, `BufReader` or
//!   `io::copy` take a momentary gap for the end of the stream and silently
//!   stop.
//! - `flush` has nothing to do; `BufRead::consume` clamps and wipes.
//!
//! ```
//! use std::io::{ErrorKind, Read, Write};
//! use secstream_core::ring::Ring;
//!
//! let mut ring = Ring::<4>::new();
//! let err = ring.write_all(b"abcdef").unwrap_err(); // "abcd" went in
//! assert_eq!(err.kind(), ErrorKind::WouldBlock);
//! let mut all = Vec::new();
//! ring.read_to_end(&mut all)?;
//! assert_eq!(all, b"abcd");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, BufRead, ErrorKind, Read, Write};

use crate::ring::Ring;
use crate::spsc::{Consumer, Producer};

impl<const N: usize> Read for Ring<N> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(Ring::read(self, buf))
    }
}

impl<const N: usize> BufRead for Ring<N> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.as_slices().0)
    }

    fn consume(&mut self, amt: usize) {
        let front = self.as_slices().0.len();
        Ring::consume(self, amt.min(front));
    }
}

impl<const N: usize> Write for Ring<N> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Ring::write(self, buf) {
            0 if !buf.is_empty() => Err(ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<const N: usize> Write for Producer<'_, N> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Producer::write(self, buf) {
            0 if !buf.is_empty() => Err(ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<const N: usize> Read for Consumer<'_, N> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.read_into(buf) {
            0 if !buf.is_empty() => Err(ErrorKind::WouldBlock.into()),
            n => Ok(n),
        }
    }
}

#[cfg(not(loom))]
impl<const N: usize> BufRead for Consumer<'_, N> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let front = self.front();
        if front.is_empty() {
            return Err(ErrorKind::WouldBlock.into());
        }
        Ok(front)
    }

    fn consume(&mut self, amt: usize) {
        self.release_front(amt);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::spsc::SpscRing;
    use std::vec::Vec;

    #[test]
    fn ring_full_is_would_block_and_empty_is_eof() {
        let mut ring = Ring::<4>::new();
        assert_eq!(Write::write(&mut ring, b"").unwrap(), 0);
        let err = ring.write_all(b"abcdef").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        ring.flush().unwrap();
        let mut all = Vec::new();
        assert_eq!(ring.read_to_end(&mut all).unwrap(), 4);
        assert_eq!(all, b"abcd");
        assert_eq!(ring.storage(), &[0; 4]);
    }

    #[test]
    fn ring_bufread_lines() {
        let mut ring = Ring::<16>::new();
        ring.write_all(b"one\ntwo\n").unwrap();
        let mut line = std::string::String::new();
        ring.read_line(&mut line).unwrap();
        assert_eq!(line, "one\n");
        assert_eq!(ring.len(), 4);
        assert_eq!(&ring.storage()[..4], &[0; 4]);
    }

    #[test]
    fn consumer_empty_is_would_block() {
        let mut spsc = SpscRing::<4>::new();
        let (mut tx, mut rx) = spsc.split();
        let mut out = [0u8; 4];
        assert_eq!(Read::read(&mut rx, &mut []).unwrap(), 0);
        assert_eq!(
            Read::read(&mut rx, &mut out).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        assert_eq!(rx.fill_buf().unwrap_err().kind(), ErrorKind::WouldBlock);
        let err = tx.write_all(b"abcde").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        tx.flush().unwrap();
        assert_eq!(rx.fill_buf().unwrap(), b"abcd");
        BufRead::consume(&mut rx, 1);
        let mut all = Vec::new();
        let err = rx.read_to_end(&mut all).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(all, b"bcd");
    }
}
