//! [`embedded-io`](embedded_io) 0.7 traits for [`Ring`] and the
//! [`SpscRing`](crate::spsc::SpscRing) halves.
//!
//! `embedded-io` describes blocking I/O; these impls never block, on purpose:
//! a [`Ring`] cannot fill or drain while its only owner waits on it, and a
//! [`Producer`] or [`Consumer`] used in an interrupt handler must not spin
//! waiting for the main loop. So:
//!
//! - `Read::read` with a non-empty buffer, and `BufRead::fill_buf`, return
//!   `Ok(0)` / an empty slice at once when nothing is buffered. For a
//!   [`Ring`] that is the truth: everything written has been read. For a
//!   [`Consumer`] it means "nothing yet", not end of stream: poll
//!   `ReadReady::read_ready` (true when a byte is buffered) or retry later.
//! - `Write::write` of a non-empty buffer into a full ring returns
//!   [`Error::Full`], whose kind is `ErrorKind::WriteZero`, as the trait asks
//!   of a writer that cannot take more (`Ok(0)` is only for an empty buffer).
//!   `write_all` therefore writes what fits and then returns that error;
//!   poll `WriteReady::write_ready` (true when a byte is free) to avoid it.
//! - `flush` has nothing to do: written bytes are readable at once.
//! - `BufRead::consume` clamps its count to what `fill_buf` returned and
//!   wipes the consumed bytes like every other way of consuming.
//!
//! ```
//! use embedded_io::{Read, Write};
//! use secstream_core::ring::{Error, Ring};
//!
//! let mut ring = Ring::<4>::new();
//! assert_eq!(ring.write_all(b"abcdef"), Err(Error::Full)); // "abcd" went in
//! let mut out = [0u8; 8];
//! assert_eq!(Read::read(&mut ring, &mut out), Ok(4));
//! assert_eq!(Read::read(&mut ring, &mut out), Ok(0)); // nothing buffered
//! ```

use embedded_io::{BufRead, ErrorKind, ErrorType, Read, ReadReady, Write, WriteReady};

use crate::ring::{Error, Ring};
use crate::spsc::{Consumer, Producer};

impl embedded_io::Error for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Full => ErrorKind::WriteZero,
            Self::Empty => ErrorKind::Other,
        }
    }
}

impl<const N: usize> ErrorType for Ring<N> {
    type Error = Error;
}

impl<const N: usize> Read for Ring<N> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        Ok(Ring::read(self, buf))
    }
}

impl<const N: usize> BufRead for Ring<N> {
    fn fill_buf(&mut self) -> Result<&[u8], Error> {
        Ok(self.as_slices().0)
    }

    fn consume(&mut self, amt: usize) {
        let front = self.as_slices().0.len();
        Ring::consume(self, amt.min(front));
    }
}

impl<const N: usize> ReadReady for Ring<N> {
    fn read_ready(&mut self) -> Result<bool, Error> {
        Ok(!self.is_empty())
    }
}

impl<const N: usize> Write for Ring<N> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        match Ring::write(self, buf) {
            0 if !buf.is_empty() => Err(Error::Full),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

impl<const N: usize> WriteReady for Ring<N> {
    fn write_ready(&mut self) -> Result<bool, Error> {
        Ok(!self.is_full())
    }
}

impl<const N: usize> ErrorType for Producer<'_, N> {
    type Error = Error;
}

impl<const N: usize> Write for Producer<'_, N> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Error> {
        match Producer::write(self, buf) {
            0 if !buf.is_empty() => Err(Error::Full),
            n => Ok(n),
        }
    }

    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
}

impl<const N: usize> WriteReady for Producer<'_, N> {
    fn write_ready(&mut self) -> Result<bool, Error> {
        Ok(!self.is_full())
    }
}

impl<const N: usize> ErrorType for Consumer<'_, N> {
    type Error = Error;
}

impl<const N: usize> Read for Consumer<'_, N> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        Ok(self.read_into(buf))
    }
}

#[cfg(not(loom))]
impl<const N: usize> BufRead for Consumer<'_, N> {
    fn fill_buf(&mut self) -> Result<&[u8], Error> {
        Ok(self.front())
    }

    fn consume(&mut self, amt: usize) {
        self.release_front(amt);
    }
}

impl<const N: usize> ReadReady for Consumer<'_, N> {
    fn read_ready(&mut self) -> Result<bool, Error> {
        Ok(!self.is_empty())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::spsc::SpscRing;

    #[test]
    fn ring_reads_writes_and_reports_full() {
        let mut ring = Ring::<4>::new();
        assert_eq!(Write::write(&mut ring, b""), Ok(0));
        assert_eq!(ring.write_ready(), Ok(true));
        assert_eq!(ring.write_all(b"abcdef"), Err(Error::Full));
        assert_eq!(embedded_io::Error::kind(&Error::Full), ErrorKind::WriteZero);
        assert_eq!(ring.write_ready(), Ok(false));
        assert_eq!(ring.read_ready(), Ok(true));
        let mut out = [0u8; 3];
        ring.read_exact(&mut out).unwrap();
        assert_eq!(&out, b"abc");
        assert_eq!(Read::read(&mut ring, &mut out), Ok(1));
        assert_eq!(Read::read(&mut ring, &mut out), Ok(0));
        assert_eq!(ring.read_ready(), Ok(false));
    }

    #[test]
    fn ring_bufread_consumes_and_wipes() {
        let mut ring = Ring::<4>::new();
        ring.write_all(b"abc").unwrap();
        Ring::consume(&mut ring, 2);
        ring.write_all(b"def").unwrap(); // wraps: "cd" + "ef"
        assert_eq!(ring.fill_buf(), Ok(&b"cd"[..]));
        BufRead::consume(&mut ring, 10); // clamped to the two bytes shown
        assert_eq!(ring.fill_buf(), Ok(&b"ef"[..]));
        assert_eq!(ring.storage(), b"ef\0\0");
    }

    #[test]
    fn halves_read_write_and_bufread() {
        let mut spsc = SpscRing::<4>::new();
        {
            let (mut tx, mut rx) = spsc.split();
            assert_eq!(rx.read_ready(), Ok(false));
            assert_eq!(Read::read(&mut rx, &mut [0u8; 2]), Ok(0));
            assert_eq!(tx.write_all(b"abcde"), Err(Error::Full));
            assert_eq!(tx.write_ready(), Ok(false));
            assert_eq!(rx.read_ready(), Ok(true));
            assert_eq!(rx.fill_buf(), Ok(&b"abcd"[..]));
            BufRead::consume(&mut rx, 3);
            tx.write_all(b"xy").unwrap();
            assert_eq!(rx.fill_buf(), Ok(&b"d"[..]));
            BufRead::consume(&mut rx, 5);
            let mut out = [0u8; 4];
            assert_eq!(Read::read(&mut rx, &mut out), Ok(2));
            assert_eq!(&out[..2], b"xy");
            assert_eq!(tx.flush(), Ok(()));
        }
        assert_eq!(spsc.storage(), &[0; 4]);
    }
}
