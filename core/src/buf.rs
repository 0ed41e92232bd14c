//! [`SecureBuf`]: a fixed-capacity buffer that wipes itself, with a cursor
//! over the SSH wire types.
//!
//! The buffer holds written bytes `0..len` and a read cursor `position`;
//! `get_*` reads at the cursor, `put_*` appends at `len`. Bytes are overwritten
//! with zeros when they are discarded: on drop, [`clear`](SecureBuf::clear),
//! [`burn`](SecureBuf::burn), [`consume`](SecureBuf::consume),
//! [`compact`](SecureBuf::compact) and [`truncate`](SecureBuf::truncate).
//!
//! The buffer also keeps a high-water mark, [`exposed`](SecureBuf::exposed):
//! every byte from the mark on is zero. Writes, [`advance`](SecureBuf::advance)
//! and the spare-room accessors raise it, so [`clear`](SecureBuf::clear) wipes
//! only what was ever handed out: 64 bytes used in a 2 KiB buffer cost a
//! 64-byte wipe (the slots of [`pool`](crate::pool) rely on this).
//!
//! ```
//! use secstream_core::buf::SecureBuf;
//!
//! // `new` is `const`: a buffer can initialise a `static` (behind a lock).
//! const EMPTY: SecureBuf<256> = SecureBuf::new();
//!
//! let mut packet = EMPTY;
//! packet.put_u8(20)?; // SSH_MSG_KEXINIT
//! packet.put_name_list(&["curve25519-sha256"])?;
//! packet.put_mpint_unsigned(&[0x80, 0x01])?;
//! packet.put_nested(|blob| blob.put_string(b"ssh-ed25519"))?;
//!
//! assert_eq!(packet.get_u8()?, 20);
//! assert!(packet.get_name_list()?.contains("curve25519-sha256"));
//! assert_eq!(packet.get_mpint()?.as_twos_complement(), &[0x00, 0x80, 0x01]);
//! let mut blob = packet.get_nested()?;
//! assert_eq!(blob.get_string()?, b"ssh-ed25519");
//! blob.expect_end()?;
//! packet.expect_end()?;
//! packet.compact(); // wipes what was read
//! assert!(packet.is_empty());
//! # Ok::<(), secstream_core::ssh::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::ssh::{self, DEFAULT_STRING_LIMIT, Error, Mpint, NameList, Reader, Writer};

/// The empty slice for a cursor past the written bytes, which the invariant
/// `pos <= len <= N` rules out: a call, not a select, so the address of the
/// next read does not wait for the bounds comparison (every read of a record
/// is a link in one chain of dependent loads).
#[cold]
#[inline(never)]
fn nothing<'a>() -> &'a [u8] {
    &[]
}

/// A fixed-capacity byte buffer with inline storage that zeroizes on drop and
/// whenever bytes are discarded. Not `Clone`; `Debug` shows no contents.
pub struct SecureBuf<const N: usize> {
    data: [u8; N],
    /// End of the written bytes. Invariant: `pos <= len <= N`.
    len: usize,
    /// Read cursor.
    pos: usize,
    /// With `len`, the high-water mark `max(len, spare)`: every byte of
    /// `data[max(len, spare)..]` is zero. `spare` is raised by the
    /// spare-room accessors and, when `len` drops, to the old mark; writes
    /// only raise `len`, so the hot path keeps one field fewer up to date.
    /// Invariant: `spare <= N`.
    spare: usize,
    string_limit: u32,
}

impl<const N: usize> SecureBuf<N> {
    /// An empty buffer; `const`, so it can initialise a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            data: [0; N],
            len: 0,
            pos: 0,
            spare: 0,
            string_limit: DEFAULT_STRING_LIMIT,
        }
    }

    /// A buffer holding a copy of `bytes`.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if `bytes` is longer than `N`.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, Error> {
        let mut buf = Self::new();
        buf.put_raw(bytes)?;
        Ok(buf)
    }

    /// Sets the largest string length `get_string`, `get_mpint` and
    /// `get_name_list` accept (strings are also bounded by what was written).
    #[must_use]
    pub const fn with_string_limit(mut self, limit: u32) -> Self {
        self.string_limit = limit;
        self
    }

    /// Sets the string limit in place (see
    /// [`with_string_limit`](Self::with_string_limit)), for a buffer that is
    /// already in a `static` or a box.
    pub fn set_string_limit(&mut self, limit: u32) {
        self.string_limit = limit;
    }

    /// The fixed capacity `N`.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Bytes written and not discarded, read or not.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is written.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left for writing.
    #[must_use]
    pub const fn free(&self) -> usize {
        N - self.len
    }

    /// The read cursor: bytes read since the start of the buffer.
    #[must_use]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// Bytes written and not read yet.
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.len - self.pos
    }

    /// The high-water mark: bytes from the start that may hold data because
    /// they were written or handed out mutably since the last
    /// [`clear`](Self::clear) or [`burn`](Self::burn). Every byte past it is
    /// zero, and `clear` wipes exactly this many.
    #[must_use]
    pub const fn exposed(&self) -> usize {
        if self.len > self.spare {
            self.len
        } else {
            self.spare
        }
    }

    /// All written bytes, including those already read.
    #[must_use]
    pub fn as_slice(&self) -> &[u8] {
        self.data.get(..self.len).unwrap_or_default()
    }

    /// The written bytes, mutably (for in-place encryption, say).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.data.get_mut(..self.len).unwrap_or_default()
    }

    /// The bytes not read yet.
    #[must_use]
    pub fn unread(&self) -> &[u8] {
        self.data.get(self.pos..self.len).unwrap_or_default()
    }

    /// The free space after the written bytes, to fill in place; follow with
    /// [`advance`](Self::advance). This hands out the whole free space, so it
    /// raises the [`exposed`](Self::exposed) mark to the capacity; to fill a
    /// few bytes of a large buffer, [`spare_mut_up_to`](Self::spare_mut_up_to)
    /// keeps the later wipe short.
    pub fn spare_mut(&mut self) -> &mut [u8] {
        self.spare = N;
        self.data.get_mut(self.len..).unwrap_or_default()
    }

    /// At most `max` bytes of the free space after the written bytes (fewer
    /// if less is free), to fill in place; follow with
    /// [`advance`](Self::advance). Raises the [`exposed`](Self::exposed) mark
    /// only to the end of the returned slice.
    pub fn spare_mut_up_to(&mut self, max: usize) -> &mut [u8] {
        let end = self.len.saturating_add(max.min(self.free()));
        self.spare = self.spare.max(end);
        self.data.get_mut(self.len..end).unwrap_or_default()
    }

    /// Marks `n` bytes of [`spare_mut`](Self::spare_mut) as written.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if `n` exceeds the free space; nothing changes.
    pub fn advance(&mut self, n: usize) -> Result<(), Error> {
        if n > self.free() {
            return Err(Error::NoRoom {
                needed: n,
                free: self.free(),
            });
        }
        self.len += n;
        Ok(())
    }

    /// All `N` bytes of storage, written or not, for tests that check what
    /// was wiped.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> &[u8; N] {
        &self.data
    }

    /// Moves the read cursor back to the start, to read the bytes again.
    pub fn rewind(&mut self) {
        self.pos = 0;
    }

    /// A [`Reader`] over the unread bytes that does not move this buffer's
    /// cursor. Values it returns borrow from the buffer, so several can be
    /// held at once.
    #[must_use]
    pub fn reader(&self) -> Reader<'_> {
        Reader::at_offset(self.unread(), self.pos).with_string_limit(self.string_limit)
    }

    /// Checks that every written byte was read.
    ///
    /// # Errors
    /// [`Error::TrailingBytes`] if some are unread.
    pub fn expect_end(&self) -> Result<(), Error> {
        self.reader().expect_end()
    }

    /// Wipes every written byte, and every byte of spare room handed out,
    /// up to the [`exposed`](Self::exposed) mark, and empties the buffer.
    /// The cost is the mark, not the capacity.
    pub fn clear(&mut self) {
        let mark = self.exposed();
        if let Some(used) = self.data.get_mut(..mark) {
            used.zeroize();
        }
        self.len = 0;
        self.pos = 0;
        self.spare = 0;
    }

    /// Wipes the whole capacity, written or not, and empties the buffer.
    pub fn burn(&mut self) {
        self.data.zeroize();
        self.len = 0;
        self.pos = 0;
        self.spare = 0;
    }

    /// Keeps the first `len` written bytes and wipes the rest. Does nothing
    /// if `len` is not less than [`len`](Self::len).
    pub fn truncate(&mut self, len: usize) {
        if len < self.len {
            if let Some(tail) = self.data.get_mut(len..self.len) {
                tail.zeroize();
            }
            // The mark stays where it was (see `spare`).
            self.spare = self.exposed();
            self.len = len;
            self.pos = self.pos.min(len);
        }
    }

    /// Skips `n` unread bytes and wipes every byte before the new cursor.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than `n` bytes are unread; nothing changes.
    pub fn consume(&mut self, n: usize) -> Result<(), Error> {
        self.skip(n)?;
        if let Some(read) = self.data.get_mut(..self.pos) {
            read.zeroize();
        }
        Ok(())
    }

    /// Moves the unread bytes to the front, wipes everything behind them and
    /// resets the cursor to 0, so their room can be written again.
    pub fn compact(&mut self) {
        let unread = self.remaining();
        // Checked slicing, and the invariant `pos <= len <= N` spelled out, so
        // no index panic is left: its message formatting would link about
        // 1 KiB of `core::fmt` into a firmware.
        if let Some(live) = self.data.get_mut(..self.len) {
            if self.pos <= live.len() {
                live.copy_within(self.pos.., 0);
            }
            if let Some(stale) = live.get_mut(unread..) {
                stale.zeroize();
            }
        }
        self.spare = self.exposed();
        self.len = unread;
        self.pos = 0;
    }

    /// Runs one read at the cursor and advances only if it succeeds.
    #[inline]
    fn read_with<'s, T>(
        &'s mut self,
        f: impl FnOnce(&mut Reader<'s>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let unread = match self.data.get(self.pos..self.len) {
            Some(unread) => unread,
            None => nothing(),
        };
        let mut r = Reader::at_offset(unread, self.pos).with_string_limit(self.string_limit);
        let value = f(&mut r)?;
        self.pos += r.position();
        Ok(value)
    }

    /// Runs one write at the end; the writer leaves nothing behind on error.
    #[inline]
    fn write_with<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut w = Writer::new(self.data.get_mut(self.len..).unwrap_or_default());
        let value = f(&mut w)?;
        self.len += w.position();
        Ok(value)
    }

    /// Advances the cursor past `n` unread bytes without wiping them.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than `n` bytes are unread.
    pub fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.read_with(|r| r.skip(n))
    }

    /// Reads `n` raw bytes.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than `n` bytes are unread.
    pub fn get_raw(&mut self, n: usize) -> Result<&[u8], Error> {
        self.read_with(|r| r.get_raw(n))
    }

    /// Reads a byte.
    ///
    /// # Errors
    /// [`Error::Truncated`] if nothing is unread.
    pub fn get_u8(&mut self) -> Result<u8, Error> {
        self.read_with(Reader::get_u8)
    }

    /// The next byte, without moving the cursor.
    ///
    /// # Errors
    /// [`Error::Truncated`] if nothing is unread.
    pub fn peek_u8(&self) -> Result<u8, Error> {
        self.reader().peek_u8()
    }

    /// The next `uint32`, without moving the cursor.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than 4 bytes are unread.
    pub fn peek_u32(&self) -> Result<u32, Error> {
        self.reader().peek_u32()
    }

    /// Reads a boolean (any non-zero byte is true).
    ///
    /// # Errors
    /// [`Error::Truncated`] if nothing is unread.
    pub fn get_bool(&mut self) -> Result<bool, Error> {
        self.read_with(Reader::get_bool)
    }

    /// Reads a big-endian `uint32`.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than 4 bytes are unread.
    pub fn get_u32(&mut self) -> Result<u32, Error> {
        self.read_with(Reader::get_u32)
    }

    /// Reads a big-endian `uint64`.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than 8 bytes are unread.
    pub fn get_u64(&mut self) -> Result<u64, Error> {
        self.read_with(Reader::get_u64)
    }

    /// Reads a string, borrowed from the buffer.
    ///
    /// # Errors
    /// [`Error::StringTooLong`] or [`Error::Truncated`]; the cursor stays.
    pub fn get_string(&mut self) -> Result<&[u8], Error> {
        self.read_with(Reader::get_string)
    }

    /// Reads a string and returns a [`Reader`] over its bytes, with this
    /// buffer's string limit and offsets counted from the start of the
    /// buffer. The cursor moves past the whole string.
    ///
    /// # Errors
    /// As [`get_string`](Self::get_string).
    pub fn get_nested(&mut self) -> Result<Reader<'_>, Error> {
        self.read_with(Reader::get_nested)
    }

    /// Reads a minimally encoded mpint in its wire form (two's complement),
    /// borrowed from the buffer; [`put_mpint`](Self::put_mpint) writes it.
    ///
    /// # Errors
    /// As [`get_string`](Self::get_string), and [`Error::NonMinimalMpint`].
    pub fn get_mpint(&mut self) -> Result<Mpint<'_>, Error> {
        self.read_with(Reader::get_mpint)
    }

    /// Reads a non-negative mpint's magnitude, borrowed from the buffer;
    /// [`put_mpint_unsigned`](Self::put_mpint_unsigned) writes it.
    ///
    /// # Errors
    /// As [`get_mpint`](Self::get_mpint), and [`Error::NegativeMpint`].
    pub fn get_mpint_unsigned(&mut self) -> Result<&[u8], Error> {
        self.read_with(Reader::get_mpint_unsigned)
    }

    /// Reads an mpint as a sign and a magnitude written into `out`;
    /// [`put_mpint_signed`](Self::put_mpint_signed) writes them.
    ///
    /// # Errors
    /// As [`get_mpint`](Self::get_mpint), and [`Error::NoRoom`] if `out`
    /// is too short.
    pub fn get_mpint_signed<'o>(&mut self, out: &'o mut [u8]) -> Result<(bool, &'o [u8]), Error> {
        self.read_with(|r| r.get_mpint_signed(out))
    }

    /// Reads a name-list, borrowed from the buffer.
    ///
    /// # Errors
    /// As [`get_string`](Self::get_string), and [`Error::InvalidNameList`].
    pub fn get_name_list(&mut self) -> Result<NameList<'_>, Error> {
        self.read_with(Reader::get_name_list)
    }

    /// Appends raw bytes.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if they do not fit; nothing is written.
    pub fn put_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.write_with(|w| w.put_raw(bytes))
    }

    /// Appends a byte.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if the buffer is full.
    pub fn put_u8(&mut self, v: u8) -> Result<(), Error> {
        self.write_with(|w| w.put_u8(v))
    }

    /// Appends a boolean as 0 or 1.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if the buffer is full.
    pub fn put_bool(&mut self, v: bool) -> Result<(), Error> {
        self.write_with(|w| w.put_bool(v))
    }

    /// Appends a big-endian `uint32`.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_u32(&mut self, v: u32) -> Result<(), Error> {
        self.write_with(|w| w.put_u32(v))
    }

    /// Appends a big-endian `uint64`.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_u64(&mut self, v: u64) -> Result<(), Error> {
        self.write_with(|w| w.put_u64(v))
    }

    /// Appends a string.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_string(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.write_with(|w| w.put_string(bytes))
    }

    /// Appends an mpint in its wire form, as [`get_mpint`](Self::get_mpint)
    /// returns it.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_mpint(&mut self, m: Mpint<'_>) -> Result<(), Error> {
        self.write_with(|w| w.put_mpint(m))
    }

    /// Appends a non-negative mpint from its big-endian magnitude.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_mpint_unsigned(&mut self, magnitude: &[u8]) -> Result<(), Error> {
        self.write_with(|w| w.put_mpint_unsigned(magnitude))
    }

    /// Appends an mpint from a sign and a big-endian magnitude.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_mpint_signed(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), Error> {
        self.write_with(|w| w.put_mpint_signed(negative, magnitude))
    }

    /// Appends a string whose bytes `f` writes in place, then fills in its
    /// length (see [`Writer::put_nested`]).
    ///
    /// # Errors
    /// [`Error::NoRoom`] and whatever `f` returns; on error nothing is
    /// appended and what `f` wrote is wiped.
    pub fn put_nested<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_with(|w| w.put_nested(f))
    }

    /// Appends a name-list.
    ///
    /// # Errors
    /// [`Error::InvalidNameList`] for an empty or invalid name,
    /// [`Error::NoRoom`] if it does not fit.
    pub fn put_name_list(&mut self, names: &[&str]) -> Result<(), Error> {
        self.write_with(|w| w.put_name_list(names))
    }
}

impl<const N: usize> Default for SecureBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Drop for SecureBuf<N> {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl<const N: usize> zeroize::ZeroizeOnDrop for SecureBuf<N> {}

impl<const N: usize> fmt::Debug for SecureBuf<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureBuf")
            .field("len", &self.len)
            .field("position", &self.pos)
            .field("capacity", &N)
            .field("data", &"<redacted>")
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl<const N: usize> defmt::Format for SecureBuf<N> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "SecureBuf {{ len: {}, position: {}, capacity: {}, data: <redacted> }}",
            self.len,
            self.pos,
            N
        );
    }
}

impl embedded_io::ErrorType for ssh::Error {
    type Error = Self;
}

impl embedded_io::Error for ssh::Error {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            Self::NoRoom { .. } => embedded_io::ErrorKind::OutOfMemory,
            Self::Truncated { .. } => embedded_io::ErrorKind::Other,
            _ => embedded_io::ErrorKind::InvalidData,
        }
    }
}

impl<const N: usize> embedded_io::ErrorType for SecureBuf<N> {
    type Error = ssh::Error;
}

/// Reads the unread bytes; an empty buffer reads 0 bytes (end of data).
/// Read bytes stay in the buffer until [`compact`](SecureBuf::compact),
/// [`consume`](SecureBuf::consume) or [`clear`](SecureBuf::clear).
impl<const N: usize> embedded_io::Read for SecureBuf<N> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize, Self::Error> {
        let n = out.len().min(self.remaining());
        out.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(self.get_raw(n)?);
        Ok(n)
    }
}

/// Appends as much as fits; a full buffer with a non-empty input is
/// [`Error::NoRoom`], never a 0-byte write.
impl<const N: usize> embedded_io::Write for SecureBuf<N> {
    fn write(&mut self, bytes: &[u8]) -> Result<usize, Self::Error> {
        if bytes.is_empty() {
            return Ok(0);
        }
        if self.free() == 0 {
            return Err(Error::NoRoom {
                needed: bytes.len(),
                free: 0,
            });
        }
        let n = bytes.len().min(self.free());
        self.put_raw(bytes.get(..n).unwrap_or_default())?;
        Ok(n)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[cfg(feature = "std")]
impl<const N: usize> std::io::Read for SecureBuf<N> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        embedded_io::Read::read(self, out).map_err(std::io::Error::other)
    }
}

#[cfg(feature = "std")]
impl<const N: usize> std::io::Write for SecureBuf<N> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        embedded_io::Write::write(self, bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::WriteZero, e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use std::format;
    use std::vec::Vec;

    #[test]
    fn works_in_a_static_and_is_redacted() {
        static EMPTY: SecureBuf<8> = SecureBuf::new();
        assert_eq!(EMPTY.capacity(), 8);
        let buf = SecureBuf::<8>::from_slice(b"hunter2").unwrap();
        let shown = format!("{buf:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("104"),
            "{shown}"
        );
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn mixed_record_round_trip_exact_bytes() {
        let mut b = SecureBuf::<64>::new();
        b.put_u8(5).unwrap();
        b.put_string(b"ab").unwrap();
        b.put_bool(true).unwrap();
        b.put_mpint_signed(true, &[0x12, 0x34]).unwrap();
        b.put_name_list(&["a", "bc"]).unwrap();
        assert_eq!(
            b.as_slice(),
            [
                5, 0, 0, 0, 2, b'a', b'b', 1, 0, 0, 0, 2, 0xed, 0xcc, 0, 0, 0, 4, b'a', b',', b'b',
                b'c'
            ]
        );
        assert_eq!(b.get_u8(), Ok(5));
        assert_eq!(b.get_string(), Ok(&b"ab"[..]));
        assert_eq!(b.get_bool(), Ok(true));
        assert_eq!(b.get_mpint().unwrap().as_twos_complement(), [0xed, 0xcc]);
        assert_eq!(b.get_name_list().unwrap().len(), 2);
        assert_eq!(b.remaining(), 0);
        b.rewind();
        assert_eq!(b.peek_u8(), Ok(5));
    }

    #[test]
    fn failed_reads_and_writes_change_nothing() {
        let mut b = SecureBuf::<8>::new();
        b.put_u32(10).unwrap();
        b.put_u8(1).unwrap();
        // The string claims 10 bytes, only 1 follows.
        assert_eq!(
            b.get_string(),
            Err(Error::Truncated {
                offset: 0,
                needed: 10,
                remaining: 1
            })
        );
        assert_eq!(b.position(), 0);
        assert_eq!(b.put_u64(1), Err(Error::NoRoom { needed: 8, free: 3 }));
        assert_eq!(b.len(), 5);
        assert_eq!(b.advance(4), Err(Error::NoRoom { needed: 4, free: 3 }));
        assert_eq!(
            b.consume(6),
            Err(Error::Truncated {
                offset: 0,
                needed: 6,
                remaining: 5
            })
        );
    }

    #[test]
    fn string_limit_applies() {
        let mut b = SecureBuf::<16>::new().with_string_limit(2);
        b.put_string(b"abc").unwrap();
        assert_eq!(
            b.get_string(),
            Err(Error::StringTooLong {
                offset: 0,
                len: 3,
                limit: 2
            })
        );
        b.set_string_limit(3);
        assert_eq!(b.get_string(), Ok(&b"abc"[..]));
    }

    #[test]
    fn discarding_wipes_storage() {
        let mut b = SecureBuf::<16>::new();
        b.put_raw(b"0123456789").unwrap();
        b.consume(4).unwrap();
        assert_eq!(&b.data[..4], [0; 4]);
        b.compact();
        assert_eq!(&b.data[..6], b"456789");
        assert_eq!(&b.data[6..10], [0; 4]);
        b.truncate(2);
        assert_eq!(&b.data[..6], b"45\0\0\0\0");
        b.put_raw(b"xy").unwrap();
        b.clear();
        assert_eq!(b.data, [0; 16]);
        b.spare_mut()[15] = 9; // written past len: only burn reaches it
        b.burn();
        assert_eq!(b.data, [0; 16]);
        assert!(b.is_empty());
    }

    #[test]
    fn spare_and_advance_fill_in_place() {
        let mut b = SecureBuf::<4>::new();
        b.spare_mut()[..3].copy_from_slice(b"abc");
        b.advance(3).unwrap();
        assert_eq!(b.unread(), b"abc");
        assert_eq!(b.free(), 1);
    }

    #[test]
    fn embedded_io_traits() {
        use embedded_io::{Read, Write};
        let mut b = SecureBuf::<4>::new();
        assert_eq!(b.write(b"abcdef"), Ok(4));
        assert!(b.write(b"g").is_err());
        let mut out = [0u8; 3];
        assert_eq!(b.read(&mut out), Ok(3));
        assert_eq!(&out, b"abc");
        assert_eq!(b.read(&mut out), Ok(1));
        assert_eq!(b.read(&mut out), Ok(0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Put(Vec<u8>),
        Get(usize),
        Consume(usize),
        Compact,
        Truncate(usize),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(Op::Put),
            (0usize..12).prop_map(Op::Get),
            (0usize..12).prop_map(Op::Consume),
            Just(Op::Compact),
            (0usize..20).prop_map(Op::Truncate),
            Just(Op::Clear),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 2 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// The buffer behaves like a `VecDeque` of unread bytes plus a count of
        /// read ones, and everything outside `pos..len` that was discarded is zero.
        #[test]
        fn matches_model(ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 12 } else { 40 })) {
            let mut b = SecureBuf::<16>::new();
            let mut unread: VecDeque<u8> = VecDeque::new();
            let mut read = 0usize; // read but not discarded
            for op in ops {
                match op {
                    Op::Put(bytes) => {
                        let fits = read + unread.len() + bytes.len() <= 16;
                        prop_assert_eq!(b.put_raw(&bytes).is_ok(), fits);
                        if fits { unread.extend(&bytes); }
                    }
                    Op::Get(n) => {
                        let got = b.get_raw(n).map(<[u8]>::to_vec);
                        if n <= unread.len() {
                            let want: Vec<u8> = unread.drain(..n).collect();
                            prop_assert_eq!(got.unwrap(), want);
                            read += n;
                        } else {
                            prop_assert!(got.is_err());
                        }
                    }
                    Op::Consume(n) => {
                        let ok = b.consume(n).is_ok();
                        prop_assert_eq!(ok, n <= unread.len());
                        if ok {
                            unread.drain(..n);
                            read += n;
                            prop_assert!(b.data[..read].iter().all(|&x| x == 0));
                        }
                    }
                    Op::Compact => {
                        b.compact();
                        read = 0;
                    }
                    Op::Truncate(n) => {
                        b.truncate(n);
                        let total = read + unread.len();
                        if n < total {
                            if n <= read {
                                read = n;
                                unread.clear();
                            } else {
                                unread.truncate(n - read);
                            }
                        }
                    }
                    Op::Clear => {
                        b.clear();
                        read = 0;
                        unread.clear();
                    }
                }
                prop_assert_eq!(b.unread(), unread.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(b.position(), read);
                prop_assert!(b.data[b.len()..].iter().all(|&x| x == 0));
                prop_assert!(b.data[b.exposed()..].iter().all(|&x| x == 0));
            }
        }

        /// The high-water mark: whatever is written or handed out, every
        /// byte past `exposed` is zero and `len <= exposed`, so `clear`
        /// (which wipes only up to the mark) leaves the storage all zero.
        #[test]
        fn bytes_past_the_mark_are_zero(ops in proptest::collection::vec((0..7u8, 0..80usize), 0..40)) {
            let mut b = SecureBuf::<64>::new();
            for (kind, n) in ops {
                match kind {
                    0 => { let _ = b.put_raw(&std::vec![0x11; n]); }
                    1 => b.spare_mut_up_to(n).fill(0x22),
                    2 => {
                        b.spare_mut_up_to(n).fill(0x33);
                        let _ = b.advance(n / 2);
                    }
                    3 => if let Some(x) = b.spare_mut().last_mut() { *x = 0x44 },
                    4 => { let _ = b.consume(n.min(b.remaining())); }
                    5 => b.truncate(n),
                    _ => b.compact(),
                }
                prop_assert!(b.len() <= b.exposed() && b.exposed() <= 64);
                prop_assert!(b.data[b.exposed()..].iter().all(|&x| x == 0));
            }
            b.clear();
            prop_assert_eq!(b.exposed(), 0);
            prop_assert_eq!(b.data, [0; 64]);
        }
    }
}
