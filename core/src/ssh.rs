//! The SSH wire codec (RFC 4251 section 5) over plain byte slices.
//!
//! [`Reader`] is a cursor over borrowed bytes and [`Writer`] a cursor into a
//! caller's buffer. [`SecureBuf`](crate::buf::SecureBuf) uses both, so a value
//! read from a buffer or from a received slice goes through the same code.
//!
//! Every read checks lengths against what remains and against the string
//! limit with checked arithmetic, and a failed read or write leaves its cursor
//! where it was. No input makes these functions panic. Read errors say at
//! which offset of the input they happened ([`Error::offset`]).
//!
//! Nested structures (a key blob inside a string, say) are read with
//! [`Reader::get_nested`], a reader over one string that keeps the parent's
//! string limit and offsets, and written in place with
//! [`Writer::put_nested`], which fills in the string's length afterwards.
//! [`Reader::expect_end`] checks that nothing is left over.
//!
//! An mpint has three symmetric forms: two's complement as on the wire
//! ([`Reader::get_mpint`] / [`Writer::put_mpint`], an [`Mpint`]), sign and
//! magnitude ([`Reader::get_mpint_signed`] / [`Writer::put_mpint_signed`]),
//! and a non-negative magnitude, borrowed both ways
//! ([`Reader::get_mpint_unsigned`] / [`Writer::put_mpint_unsigned`]).
//!
//! ```
//! use secstream_core::ssh::{Reader, Writer};
//!
//! let mut out = [0u8; 128];
//! let mut w = Writer::new(&mut out);
//! w.put_name_list(&["aes256-gcm", "chacha20-poly1305"])?;
//! w.put_mpint_signed(true, &[0x12, 0x34])?; // -0x1234
//! w.put_nested(|blob| {
//!     blob.put_string(b"ssh-ed25519")?;
//!     blob.put_string(&[7; 32])
//! })?;
//! let n = w.position();
//!
//! let mut r = Reader::new(&out[..n]);
//! let names = r.get_name_list()?;
//! assert_eq!(names.iter().nth(1), Some("chacha20-poly1305"));
//! let m = r.get_mpint()?;
//! assert!(m.is_negative());
//! assert_eq!(m.as_twos_complement(), &[0xed, 0xcc]);
//! let mut blob = r.get_nested()?;
//! assert_eq!(blob.get_string()?, b"ssh-ed25519");
//! assert_eq!(blob.get_string()?, &[7; 32]);
//! blob.expect_end()?;
//! r.expect_end()?;
//! # Ok::<(), secstream_core::ssh::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

mod mpint;
mod name_list;

pub use mpint::{Mpint, mpint_encoded_len};
use mpint::{mpint_body_len, strip_leading_zeros};
use name_list::valid_name;
pub use name_list::{NameList, Names};

/// The string limit a [`Reader`] starts with: 256 KiB, the packet size limit
/// SSH implementations commonly use.
pub const DEFAULT_STRING_LIMIT: u32 = 256 * 1024;

/// Why an SSH wire read or write failed.
///
/// Read errors carry an `offset`, counted in bytes from the start of the
/// reader's input (of the outermost input, for a reader from
/// [`Reader::get_nested`] or a [`SecureBuf`](crate::buf::SecureBuf)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The value needs more bytes than remain.
    Truncated {
        /// Where the value starts (for a string, its length field).
        offset: usize,
        /// Bytes the value needs (for a string, its body).
        needed: usize,
        /// Bytes that remain (for a string, after its length field).
        remaining: usize,
    },
    /// A string's length field is larger than the configured limit.
    StringTooLong {
        /// Where the length field starts (a writer's position).
        offset: usize,
        /// The length the field claims.
        len: u32,
        /// The configured limit.
        limit: u32,
    },
    /// An mpint is not in its minimal two's complement form.
    NonMinimalMpint {
        /// Where the mpint's body (its redundant first byte) starts.
        offset: usize,
    },
    /// An mpint read as non-negative is negative.
    NegativeMpint {
        /// Where the mpint's body starts.
        offset: usize,
    },
    /// A name-list has an empty name or a byte that is not US-ASCII.
    InvalidNameList {
        /// The offending byte (a reader), or where the list would have
        /// started (a writer).
        offset: usize,
    },
    /// Bytes remain where the input should end (the reader's
    /// [`remaining`](Reader::remaining) says how many).
    TrailingBytes {
        /// Where the left-over bytes start.
        offset: usize,
    },
    /// The destination has no room for the value.
    NoRoom {
        /// Bytes the value needs.
        needed: usize,
        /// Bytes of room left.
        free: usize,
    },
}

impl Error {
    /// The offset the error names, if it names one ([`Error::NoRoom`] does
    /// not).
    #[must_use]
    pub const fn offset(&self) -> Option<usize> {
        match *self {
            Self::Truncated { offset, .. }
            | Self::StringTooLong { offset, .. }
            | Self::NonMinimalMpint { offset }
            | Self::NegativeMpint { offset }
            | Self::InvalidNameList { offset }
            | Self::TrailingBytes { offset } => Some(offset),
            Self::NoRoom { .. } => None,
        }
    }

    /// The same error with its offset moved `by` bytes further on.
    #[must_use]
    const fn shifted(self, by: usize) -> Self {
        match self {
            Self::Truncated {
                offset,
                needed,
                remaining,
            } => Self::Truncated {
                offset: offset.saturating_add(by),
                needed,
                remaining,
            },
            Self::StringTooLong { offset, len, limit } => Self::StringTooLong {
                offset: offset.saturating_add(by),
                len,
                limit,
            },
            Self::NonMinimalMpint { offset } => Self::NonMinimalMpint {
                offset: offset.saturating_add(by),
            },
            Self::NegativeMpint { offset } => Self::NegativeMpint {
                offset: offset.saturating_add(by),
            },
            Self::InvalidNameList { offset } => Self::InvalidNameList {
                offset: offset.saturating_add(by),
            },
            Self::TrailingBytes { offset } => Self::TrailingBytes {
                offset: offset.saturating_add(by),
            },
            Self::NoRoom { .. } => self,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated {
                offset,
                needed,
                remaining,
            } => write!(
                f,
                "truncated at offset {offset}: needed {needed} bytes, {remaining} remain"
            ),
            Self::StringTooLong { offset, len, limit } => write!(
                f,
                "string at offset {offset} of {len} bytes exceeds the limit of {limit}"
            ),
            Self::NonMinimalMpint { offset } => {
                write!(f, "mpint at offset {offset} is not minimally encoded")
            }
            Self::NegativeMpint { offset } => {
                write!(f, "mpint at offset {offset} is negative")
            }
            Self::InvalidNameList { offset } => write!(
                f,
                "invalid name-list at offset {offset}: empty name or non-ASCII byte"
            ),
            Self::TrailingBytes { offset } => write!(f, "bytes left over at offset {offset}"),
            Self::NoRoom { needed, free } => {
                write!(f, "no room: needed {needed} bytes, {free} free")
            }
        }
    }
}

impl core::error::Error for Error {}

/// A cursor that reads SSH wire values from borrowed bytes.
///
/// Values borrow from the input, not from the reader, so several strings can
/// be held at once.
#[derive(Clone)]
pub struct Reader<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
    /// Offset of `rest[0]` in the outermost input.
    offset: usize,
    /// Offset at which this reader started.
    start: usize,
    string_limit: u32,
}

impl fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The bytes may be secret: show the shape only.
        f.debug_struct("Reader")
            .field("offset", &self.offset)
            .field("remaining", &self.rest.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Reader<'a> {
    /// A reader at the start of `data` with [`DEFAULT_STRING_LIMIT`].
    #[inline]
    #[must_use]
    pub const fn new(data: &'a [u8]) -> Self {
        Self::at_offset(data, 0)
    }

    /// A reader over `data` that reports offsets as if `data` started at
    /// `offset` of a larger input.
    #[inline]
    #[must_use]
    pub(crate) const fn at_offset(data: &'a [u8], offset: usize) -> Self {
        Self {
            rest: data,
            offset,
            start: offset,
            string_limit: DEFAULT_STRING_LIMIT,
        }
    }

    /// Sets the largest string length (and so name-list and mpint length)
    /// this reader accepts.
    #[inline]
    #[must_use]
    pub const fn with_string_limit(mut self, limit: u32) -> Self {
        self.string_limit = limit;
        self
    }

    /// Bytes read so far by this reader.
    #[inline]
    #[must_use]
    pub const fn position(&self) -> usize {
        // `start <= offset`: the offset only grows, by bytes of `rest`.
        self.offset - self.start
    }

    /// The offset of the next byte in the outermost input: the same as
    /// [`position`](Self::position) except for nested readers.
    #[inline]
    #[must_use]
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes not read yet.
    #[inline]
    #[must_use]
    pub const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The bytes not read yet.
    #[inline]
    #[must_use]
    pub const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Checks that every byte was read.
    ///
    /// # Errors
    /// [`Error::TrailingBytes`] if any remain.
    #[inline]
    pub const fn expect_end(&self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                offset: self.offset,
            })
        }
    }

    /// The error for a value of `needed` bytes that is not all there. Takes
    /// the fields by value, so the reader can stay in registers.
    #[inline]
    const fn truncated(&self, needed: usize) -> Error {
        truncated(self.offset, needed, self.rest.len())
    }

    /// Moves past `n <= rest.len()` bytes, given as the remainder `rest`.
    #[inline]
    const fn advance_to(&mut self, n: usize, rest: &'a [u8]) {
        self.rest = rest;
        // Cannot overflow: `offset` counts bytes of one slice in memory
        // (from the start of the outermost input), and `n` more of it follow.
        self.offset += n;
    }

    /// Returns the next `n` bytes and advances past them.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than `n` bytes remain.
    #[inline]
    pub fn get_raw(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let Some((bytes, rest)) = self.rest.split_at_checked(n) else {
            return Err(self.truncated(n));
        };
        self.advance_to(n, rest);
        Ok(bytes)
    }

    /// Advances past `n` bytes.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than `n` bytes remain.
    #[inline]
    pub fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.get_raw(n).map(|_| ())
    }

    /// The next `K` bytes as an array, without advancing.
    #[inline]
    fn peek_array<const K: usize>(&self) -> Result<&'a [u8; K], Error> {
        match self.rest.split_first_chunk::<K>() {
            Some((head, _)) => Ok(head),
            None => Err(self.truncated(K)),
        }
    }

    #[inline]
    fn array<const K: usize>(&mut self) -> Result<[u8; K], Error> {
        let Some((head, rest)) = self.rest.split_first_chunk::<K>() else {
            return Err(self.truncated(K));
        };
        self.advance_to(K, rest);
        Ok(*head)
    }

    /// Reads a byte.
    ///
    /// # Errors
    /// [`Error::Truncated`] at the end of input.
    #[inline]
    pub fn get_u8(&mut self) -> Result<u8, Error> {
        self.array::<1>().map(|[b]| b)
    }

    /// Returns the next byte without advancing.
    ///
    /// # Errors
    /// [`Error::Truncated`] at the end of input.
    #[inline]
    pub fn peek_u8(&self) -> Result<u8, Error> {
        self.peek_array::<1>().map(|&[b]| b)
    }

    /// Reads a boolean: any non-zero byte is true.
    ///
    /// # Errors
    /// [`Error::Truncated`] at the end of input.
    #[inline]
    pub fn get_bool(&mut self) -> Result<bool, Error> {
        self.get_u8().map(|b| b != 0)
    }

    /// Reads a big-endian `uint32`.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than 4 bytes remain.
    #[inline]
    pub fn get_u32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_be_bytes)
    }

    /// Returns the next big-endian `uint32` without advancing.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than 4 bytes remain.
    #[inline]
    pub fn peek_u32(&self) -> Result<u32, Error> {
        self.peek_array().map(|b| u32::from_be_bytes(*b))
    }

    /// Reads a big-endian `uint64`.
    ///
    /// # Errors
    /// [`Error::Truncated`] if fewer than 8 bytes remain.
    #[inline]
    pub fn get_u64(&mut self) -> Result<u64, Error> {
        self.array().map(u64::from_be_bytes)
    }

    /// Reads a string: a `uint32` length, then that many bytes.
    ///
    /// # Errors
    /// [`Error::StringTooLong`] if the length exceeds the limit,
    /// [`Error::Truncated`] if the bytes are not all there. The cursor does
    /// not move on error.
    #[inline]
    pub fn get_string(&mut self) -> Result<&'a [u8], Error> {
        let Some((head, body)) = self.rest.split_first_chunk::<4>() else {
            return Err(self.truncated(4));
        };
        let len = u32::from_be_bytes(*head);
        if len > self.string_limit {
            return Err(Error::StringTooLong {
                offset: self.offset,
                len,
                limit: self.string_limit,
            });
        }
        // A u32 that does not fit in usize cannot be present in memory.
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        let Some((bytes, rest)) = body.split_at_checked(n) else {
            return Err(truncated(self.offset, n, body.len()));
        };
        // 4 + n <= the input's length, so it does not overflow.
        self.advance_to(4 + n, rest);
        Ok(bytes)
    }

    /// Reads a string and returns a reader over its bytes, with this reader's
    /// string limit and offsets that count from the start of this reader's
    /// input (so errors inside say where they are in the whole).
    ///
    /// # Errors
    /// As [`get_string`](Self::get_string).
    #[inline]
    pub fn get_nested(&mut self) -> Result<Reader<'a>, Error> {
        let body_offset = self.offset + 4;
        let body = self.get_string()?;
        Ok(Reader {
            rest: body,
            offset: body_offset,
            start: body_offset,
            string_limit: self.string_limit,
        })
    }

    /// Reads an mpint in its wire form, two's complement, and checks that it
    /// is minimally encoded. [`Writer::put_mpint`] writes it back.
    ///
    /// # Errors
    /// As [`get_string`](Self::get_string), and [`Error::NonMinimalMpint`].
    #[inline]
    pub fn get_mpint(&mut self) -> Result<Mpint<'a>, Error> {
        let body_offset = self.offset + 4;
        let mut probe = self.clone();
        let bytes = probe.get_string()?;
        let m = Mpint::from_twos_complement(bytes).map_err(|e| e.shifted(body_offset))?;
        *self = probe;
        Ok(m)
    }

    /// Reads a non-negative mpint and returns its magnitude, big-endian
    /// without leading zeros (empty for zero), borrowed from the input.
    /// [`Writer::put_mpint_unsigned`] writes it back. The form of RSA and DSA
    /// key values.
    ///
    /// # Errors
    /// As [`get_mpint`](Self::get_mpint), and [`Error::NegativeMpint`].
    #[inline]
    pub fn get_mpint_unsigned(&mut self) -> Result<&'a [u8], Error> {
        let body_offset = self.offset + 4;
        let mut probe = self.clone();
        let m = probe.get_mpint()?;
        let magnitude = m.unsigned_magnitude().ok_or(Error::NegativeMpint {
            offset: body_offset,
        })?;
        *self = probe;
        Ok(magnitude)
    }

    /// Reads an mpint as a sign (true for negative) and a magnitude written
    /// into `out` (big-endian, no leading zeros, empty for zero).
    /// [`Writer::put_mpint_signed`] writes it back.
    ///
    /// # Errors
    /// As [`get_mpint`](Self::get_mpint), and [`Error::NoRoom`] if `out` is
    /// too short for the magnitude. The cursor does not move on error.
    #[inline]
    pub fn get_mpint_signed<'o>(&mut self, out: &'o mut [u8]) -> Result<(bool, &'o [u8]), Error> {
        let mut probe = self.clone();
        let m = probe.get_mpint()?;
        let magnitude = m.magnitude_into(out)?;
        *self = probe;
        Ok((m.is_negative(), magnitude))
    }

    /// Reads a name-list and checks every name.
    ///
    /// # Errors
    /// As [`get_string`](Self::get_string), and [`Error::InvalidNameList`]
    /// with the offset of the first offending byte.
    #[inline]
    pub fn get_name_list(&mut self) -> Result<NameList<'a>, Error> {
        let body_offset = self.offset + 4;
        let mut probe = self.clone();
        let bytes = probe.get_string()?;
        let list = NameList::parse(bytes).map_err(|e| e.shifted(body_offset))?;
        *self = probe;
        Ok(list)
    }
}

/// A cursor that writes SSH wire values into a caller's buffer.
///
/// Each `put` checks for room first, so a failed write changes nothing.
pub struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("capacity", &self.out.len())
            .field("position", &self.pos)
            .finish_non_exhaustive()
    }
}

impl<'a> Writer<'a> {
    /// A writer at the start of `out`.
    #[inline]
    #[must_use]
    pub const fn new(out: &'a mut [u8]) -> Self {
        Self { out, pos: 0 }
    }

    /// Bytes written so far.
    #[inline]
    #[must_use]
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// Bytes of room left.
    #[inline]
    #[must_use]
    pub const fn free(&self) -> usize {
        // `pos <= out.len()`: every advance is checked.
        self.out.len() - self.pos
    }

    /// The bytes written so far.
    #[inline]
    #[must_use]
    pub fn written(&self) -> &[u8] {
        self.out.get(..self.pos).unwrap_or_default()
    }

    /// Inlined: a call returning an `Error` would hide from the compiler
    /// that the result is an error (the `Result` keeps its `Ok` in the
    /// error's tag), leaving an `Ok` path with an unknown slice behind it.
    #[inline(always)]
    const fn no_room(needed: usize, free: usize) -> Error {
        Error::NoRoom { needed, free }
    }

    /// Reserves `n` bytes and returns them for writing. Always inlined, so
    /// callers see that the slice is `n` long (a copy into it has no
    /// length-mismatch panic path, which would link `core::fmt` into a
    /// firmware).
    #[inline(always)]
    fn reserve(&mut self, n: usize) -> Result<&mut [u8], Error> {
        let free = self.out.get_mut(self.pos..).unwrap_or_default();
        let room = free.len();
        let Some(dst) = free.get_mut(..n) else {
            return Err(Self::no_room(n, room));
        };
        self.pos += n;
        Ok(dst)
    }

    /// Reserves `K` bytes and returns them as an array, for fixed-width
    /// stores.
    #[inline]
    fn reserve_array<const K: usize>(&mut self) -> Result<&mut [u8; K], Error> {
        let free = self.out.get_mut(self.pos..).unwrap_or_default();
        let room = free.len();
        let Some((dst, _)) = free.split_first_chunk_mut::<K>() else {
            return Err(Self::no_room(K, room));
        };
        self.pos += K;
        Ok(dst)
    }

    /// Writes raw bytes.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if they do not fit.
    #[inline]
    pub fn put_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.reserve(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    /// Writes a byte.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if the buffer is full.
    #[inline]
    pub fn put_u8(&mut self, v: u8) -> Result<(), Error> {
        *self.reserve_array()? = [v];
        Ok(())
    }

    /// Writes a boolean as 0 or 1.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if the buffer is full.
    #[inline]
    pub fn put_bool(&mut self, v: bool) -> Result<(), Error> {
        self.put_u8(u8::from(v))
    }

    /// Writes a big-endian `uint32`.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_u32(&mut self, v: u32) -> Result<(), Error> {
        *self.reserve_array()? = v.to_be_bytes();
        Ok(())
    }

    /// Writes a big-endian `uint64`.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_u64(&mut self, v: u64) -> Result<(), Error> {
        *self.reserve_array()? = v.to_be_bytes();
        Ok(())
    }

    /// Writes a string: its `uint32` length, then its bytes.
    ///
    /// # Errors
    /// [`Error::StringTooLong`] if `bytes` is longer than `u32::MAX`,
    /// [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_string(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let len = string_len(bytes.len(), self.pos)?;
        // `4 + len` cannot overflow (a slice is at most `isize::MAX` bytes),
        // and written this way the compiler sees that the body is exactly
        // `len` long: no length-mismatch panic path (a firmware cost).
        let dst = self.reserve(4 + bytes.len())?;
        if let Some((head, body)) = dst.split_first_chunk_mut::<4>() {
            *head = len.to_be_bytes();
            body.copy_from_slice(bytes);
        }
        Ok(())
    }

    /// Writes a string whose bytes `f` writes in place, then fills in its
    /// length: no separate buffer and no copy. Strings nest to any depth.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if the length field does not fit, and whatever `f`
    /// returns. On error the bytes `f` wrote are wiped and this writer is
    /// unchanged.
    #[inline]
    pub fn put_nested<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let start = self.pos;
        let free = self.out.get_mut(start..).unwrap_or_default();
        let room = free.len();
        let Some((head, body)) = free.split_first_chunk_mut::<4>() else {
            return Err(Self::no_room(4, room));
        };
        let mut sub = Writer::new(body);
        let done = f(&mut sub).and_then(|v| Ok((v, string_len(sub.pos, start)?)));
        let n = sub.pos;
        match done {
            Ok((v, len)) => {
                *head = len.to_be_bytes();
                self.pos = start + 4 + n;
                Ok(v)
            }
            Err(e) => {
                // What the closure wrote may be secret: leave nothing behind.
                if let Some(partial) = sub.out.get_mut(..n) {
                    partial.zeroize();
                }
                Err(e)
            }
        }
    }

    /// Writes an mpint in its wire form, as [`Reader::get_mpint`] returns it.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_mpint(&mut self, m: Mpint<'_>) -> Result<(), Error> {
        self.put_string(m.as_twos_complement())
    }

    /// Writes a non-negative mpint from its big-endian magnitude, as
    /// [`Reader::get_mpint_unsigned`] returns it. Leading zero bytes are
    /// ignored.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_mpint_unsigned(&mut self, magnitude: &[u8]) -> Result<(), Error> {
        self.put_mpint_signed(false, magnitude)
    }

    /// Writes an mpint from a sign and a big-endian magnitude, in minimal two's
    /// complement form, as [`Reader::get_mpint_signed`] returns them. Leading
    /// zero bytes of `magnitude` are ignored; zero is written as the empty
    /// string whatever the sign.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_mpint_signed(&mut self, negative: bool, magnitude: &[u8]) -> Result<(), Error> {
        let m = strip_leading_zeros(magnitude);
        if m.is_empty() {
            return self.put_u32(0);
        }
        let body_len = mpint_body_len(negative, m);
        let len = string_len(body_len, self.pos)?;
        // `body_len <= magnitude.len() + 1`: no overflow (see `put_string`).
        let dst = self.reserve(4 + body_len)?;
        let Some((head, body)) = dst.split_first_chunk_mut::<4>() else {
            return Ok(()); // unreachable: `dst` is at least 4 bytes long
        };
        *head = len.to_be_bytes();
        // The magnitude goes at the end; a sign byte, if any, before it.
        let (prefix, tail) = body.split_at_mut(body_len - m.len());
        if negative {
            // Two's complement: invert, then add one from the low byte up.
            let mut carry = true;
            for (d, s) in tail.iter_mut().zip(m).rev() {
                let (v, c) = (!s).overflowing_add(u8::from(carry));
                *d = v;
                carry = c;
            }
            // The prefix is the sign byte or nothing: a byte store, not a
            // `memset` call.
            if let Some(sign) = prefix.first_mut() {
                *sign = 0xff;
            }
        } else {
            tail.copy_from_slice(m);
            if let Some(sign) = prefix.first_mut() {
                *sign = 0;
            }
        }
        Ok(())
    }

    /// Writes a name-list from names, joined with commas.
    ///
    /// # Errors
    /// [`Error::InvalidNameList`] if a name is empty, contains a comma or a
    /// non-ASCII byte; [`Error::NoRoom`] if it does not fit.
    #[inline]
    pub fn put_name_list(&mut self, names: &[&str]) -> Result<(), Error> {
        let mut body_len = names.len().saturating_sub(1);
        for name in names {
            if !valid_name(name.as_bytes()) {
                return Err(Error::InvalidNameList { offset: self.pos });
            }
            body_len = body_len.saturating_add(name.len());
        }
        let len = string_len(body_len, self.pos)?;
        let dst = self.reserve(4usize.saturating_add(body_len))?;
        let (head, mut body) = dst.split_at_mut(4);
        head.copy_from_slice(&len.to_be_bytes());
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                let (comma, rest) = body.split_at_mut(1);
                comma.copy_from_slice(b",");
                body = rest;
            }
            let (dst, rest) = body.split_at_mut(name.len());
            dst.copy_from_slice(name.as_bytes());
            body = rest;
        }
        Ok(())
    }
}

/// Inlined, as [`Writer::no_room`]: a call would leave an `Ok` path behind.
#[inline(always)]
const fn truncated(offset: usize, needed: usize, remaining: usize) -> Error {
    Error::Truncated {
        offset,
        needed,
        remaining,
    }
}

/// A string's length field for `n` bytes written at `offset`.
#[inline]
fn string_len(n: usize, offset: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| Error::StringTooLong {
        offset,
        len: u32::MAX,
        limit: u32::MAX,
    })
}

#[cfg(test)]
mod tests {
    use super::name_list::valid_list;
    use super::*;
    use proptest::prelude::*;
    use std::string::String;
    use std::vec::Vec;

    fn write(f: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>) -> Vec<u8> {
        let mut out = [0u8; 128];
        let mut w = Writer::new(&mut out);
        f(&mut w).unwrap();
        w.written().to_vec()
    }

    fn mpint(negative: bool, magnitude: &[u8]) -> Vec<u8> {
        write(|w| w.put_mpint_signed(negative, magnitude))
    }

    #[test]
    fn rfc4251_mpint_examples() {
        assert_eq!(mpint(false, &[]), [0, 0, 0, 0]);
        assert_eq!(mpint(true, &[0]), [0, 0, 0, 0]);
        assert_eq!(
            mpint(false, &[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]),
            [0, 0, 0, 8, 0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7]
        );
        assert_eq!(mpint(false, &[0x80]), [0, 0, 0, 2, 0x00, 0x80]);
        assert_eq!(mpint(true, &[0x12, 0x34]), [0, 0, 0, 2, 0xed, 0xcc]);
        assert_eq!(
            mpint(true, &[0xde, 0xad, 0xbe, 0xef]),
            [0, 0, 0, 5, 0xff, 0x21, 0x52, 0x41, 0x11]
        );
    }

    /// RFC 4251 section 5's mpint examples: (negative, magnitude, wire body).
    const RFC4251_MPINTS: [(bool, &[u8], &[u8]); 5] = [
        (false, &[], &[]),
        (
            false,
            &[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7],
            &[0x09, 0xa3, 0x78, 0xf9, 0xb2, 0xe3, 0x32, 0xa7],
        ),
        (false, &[0x80], &[0x00, 0x80]),
        (true, &[0x12, 0x34], &[0xed, 0xcc]),
        (
            true,
            &[0xde, 0xad, 0xbe, 0xef],
            &[0xff, 0x21, 0x52, 0x41, 0x11],
        ),
    ];

    #[test]
    fn rfc4251_mpints_in_all_three_forms_both_ways() {
        for (negative, magnitude, body) in RFC4251_MPINTS {
            let mut wire = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
            wire.extend_from_slice(body);
            // Sign and magnitude.
            assert_eq!(mpint(negative, magnitude), wire);
            let mut out = [0u8; 8];
            let (neg, mag) = Reader::new(&wire).get_mpint_signed(&mut out).unwrap();
            assert_eq!((neg, mag), (negative, magnitude));
            // Two's complement, as on the wire.
            let m = Reader::new(&wire).get_mpint().unwrap();
            assert_eq!(m.as_twos_complement(), body);
            assert_eq!(write(|w| w.put_mpint(m)), wire);
            // Unsigned, borrowed both ways.
            let mut r = Reader::new(&wire);
            if negative {
                assert_eq!(
                    r.get_mpint_unsigned(),
                    Err(Error::NegativeMpint { offset: 4 })
                );
                assert_eq!(r.position(), 0);
            } else {
                assert_eq!(r.get_mpint_unsigned(), Ok(magnitude));
                assert_eq!(write(|w| w.put_mpint_unsigned(magnitude)), wire);
                r.expect_end().unwrap();
            }
        }
    }

    #[test]
    fn signed_read_without_room_leaves_the_cursor() {
        let wire = [0, 0, 0, 2, 0xff, 0x00]; // -256
        let mut r = Reader::new(&wire);
        let mut out = [0u8; 1];
        assert_eq!(
            r.get_mpint_signed(&mut out),
            Err(Error::NoRoom { needed: 2, free: 1 })
        );
        assert_eq!(r.position(), 0);
    }

    #[test]
    fn nested_strings_are_written_in_place_exact_bytes() {
        let bytes = write(|w| {
            w.put_u8(9)?;
            w.put_nested(|outer| {
                outer.put_string(b"ab")?;
                outer.put_nested(|inner| inner.put_u32(0x0102_0304))?;
                outer.put_nested(|_| Ok(()))
            })?;
            w.put_bool(true)
        });
        assert_eq!(
            bytes,
            [
                9, 0, 0, 0, 18, 0, 0, 0, 2, b'a', b'b', 0, 0, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0, 1
            ]
        );
        // And read back through nested readers.
        let mut r = Reader::new(&bytes);
        assert_eq!(r.get_u8(), Ok(9));
        let mut outer = r.get_nested().unwrap();
        assert_eq!(outer.offset(), 5);
        assert_eq!(outer.get_string(), Ok(&b"ab"[..]));
        let mut inner = outer.get_nested().unwrap();
        assert_eq!(inner.get_u32(), Ok(0x0102_0304));
        inner.expect_end().unwrap();
        assert_eq!(inner.position(), 4);
        assert_eq!(inner.offset(), 19);
        outer.get_nested().unwrap().expect_end().unwrap();
        outer.expect_end().unwrap();
        assert_eq!(r.get_bool(), Ok(true));
        r.expect_end().unwrap();
    }

    #[test]
    fn failed_nested_write_wipes_and_changes_nothing() {
        let mut out = [0u8; 24];
        let mut w = Writer::new(&mut out);
        w.put_u8(1).unwrap();
        let err = w.put_nested(|n| {
            n.put_raw(b"secret")?;
            n.put_nested(|m| m.put_raw(b"more"))?;
            n.put_u64(0) // does not fit: 1 + 4 + 6 + 4 + 4 + 8 > 24
        });
        assert_eq!(err, Err(Error::NoRoom { needed: 8, free: 5 }));
        assert_eq!(w.position(), 1);
        let mut expected = [0u8; 24];
        expected[0] = 1;
        assert_eq!(out, expected);
        // No room even for the length field.
        let mut out = [0u8; 3];
        let mut w = Writer::new(&mut out);
        assert_eq!(
            w.put_nested(|_| Ok(())),
            Err(Error::NoRoom { needed: 4, free: 3 })
        );
    }

    #[test]
    fn nested_readers_keep_the_limit_and_report_outer_offsets() {
        // u8, then a string of 13 holding: a string of 9 that is over the
        // limit of 8, so its error is at offset 5.
        let wire = [
            7, 0, 0, 0, 13, 0, 0, 0, 9, b'x', b'x', b'x', b'x', b'x', b'x', b'x', b'x', b'x',
        ];
        let mut r = Reader::new(&wire).with_string_limit(13);
        r.get_u8().unwrap();
        let mut sub = r.get_nested().unwrap();
        assert_eq!(sub.clone().get_string(), Ok(&b"xxxxxxxxx"[..]));
        let mut r = Reader::new(&wire).with_string_limit(13);
        r.get_u8().unwrap();
        let mut strict = r.get_nested().unwrap().with_string_limit(8);
        assert_eq!(
            strict.get_string(),
            Err(Error::StringTooLong {
                offset: 5,
                len: 9,
                limit: 8
            })
        );
        sub.skip(4).unwrap();
        assert_eq!(
            sub.get_raw(10),
            Err(Error::Truncated {
                offset: 9,
                needed: 10,
                remaining: 9
            })
        );
        assert_eq!(sub.expect_end(), Err(Error::TrailingBytes { offset: 9 }));
        // The limit is inherited: a parent limited to 8 yields nothing here.
        let mut r = Reader::new(&wire).with_string_limit(8);
        r.get_u8().unwrap();
        assert_eq!(
            r.get_nested().err(),
            Some(Error::StringTooLong {
                offset: 1,
                len: 13,
                limit: 8
            })
        );
    }

    #[test]
    fn errors_name_the_offending_offset() {
        // name-list "ab,,c" at offset 2 (body at 6): the second comma is at 9.
        let mut wire = std::vec![0xaa, 0xbb];
        wire.extend_from_slice(&[0, 0, 0, 5, b'a', b'b', b',', b',', b'c']);
        let mut r = Reader::new(&wire);
        r.skip(2).unwrap();
        let e = r.get_name_list().unwrap_err();
        assert_eq!(e, Error::InvalidNameList { offset: 9 });
        assert_eq!(e.offset(), Some(9));
        assert_eq!(
            std::format!("{e}"),
            "invalid name-list at offset 9: empty name or non-ASCII byte"
        );
        // A non-ASCII byte, a leading comma, a trailing comma.
        for (body, at) in [(&b"ab\xc3"[..], 2), (b",a", 0), (b"a,", 1), (b"abc,de,", 6)] {
            assert_eq!(
                NameList::parse(body),
                Err(Error::InvalidNameList { offset: at }),
                "{body:?}"
            );
        }
        // A non-minimal mpint after a u32: its body starts at 8.
        let wire = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0x01];
        let mut r = Reader::new(&wire);
        r.get_u32().unwrap();
        assert_eq!(r.get_mpint(), Err(Error::NonMinimalMpint { offset: 8 }));
        assert_eq!(Error::NoRoom { needed: 1, free: 0 }.offset(), None);
    }

    #[test]
    fn mpint_powers_of_two_edges() {
        // -128 = 0x80, -129 = 0xff7f, -256 = 0xff00, -32768 = 0x8000.
        assert_eq!(mpint(true, &[0x80]), [0, 0, 0, 1, 0x80]);
        assert_eq!(mpint(true, &[0x81]), [0, 0, 0, 2, 0xff, 0x7f]);
        assert_eq!(mpint(true, &[0x01, 0x00]), [0, 0, 0, 2, 0xff, 0x00]);
        assert_eq!(mpint(true, &[0x80, 0x00]), [0, 0, 0, 2, 0x80, 0x00]);
        assert_eq!(mpint(true, &[0x01]), [0, 0, 0, 1, 0xff]);
        assert_eq!(mpint(false, &[0, 0, 0x7f]), [0, 0, 0, 1, 0x7f]);
    }

    #[test]
    fn mpint_reads_back_rfc_examples() {
        let wire = [0, 0, 0, 5, 0xff, 0x21, 0x52, 0x41, 0x11];
        let m = Reader::new(&wire).get_mpint().unwrap();
        assert!(m.is_negative());
        let mut out = [0u8; 8];
        assert_eq!(
            m.magnitude_into(&mut out).unwrap(),
            [0xde, 0xad, 0xbe, 0xef]
        );
        let wire = [0, 0, 0, 2, 0x00, 0x80];
        let m = Reader::new(&wire).get_mpint().unwrap();
        assert!(!m.is_negative());
        assert_eq!(m.magnitude_into(&mut out).unwrap(), [0x80]);
        let m = Reader::new(&[0, 0, 0, 0]).get_mpint().unwrap();
        assert!(m.is_zero() && !m.is_negative());
        assert_eq!(m.magnitude_into(&mut []).unwrap(), []);
    }

    #[test]
    fn negative_magnitude_needs_only_its_own_length() {
        // -129 is ff 7f on the wire; its magnitude 0x81 fits in one byte.
        let m = Mpint::from_twos_complement(&[0xff, 0x7f]).unwrap();
        let mut out = [0u8; 1];
        assert_eq!(m.magnitude_into(&mut out), Ok(&[0x81][..]));
        // -256 is ff 00; its magnitude 0x0100 needs both bytes.
        let m = Mpint::from_twos_complement(&[0xff, 0x00]).unwrap();
        assert_eq!(
            m.magnitude_into(&mut out),
            Err(Error::NoRoom { needed: 2, free: 1 })
        );
        let mut out = [0u8; 2];
        assert_eq!(m.magnitude_into(&mut out), Ok(&[0x01, 0x00][..]));
        // -1 is ff.
        let m = Mpint::from_twos_complement(&[0xff]).unwrap();
        assert_eq!(m.magnitude_into(&mut out), Ok(&[0x01][..]));
    }

    #[test]
    fn non_minimal_mpints_are_rejected() {
        for body in [
            &[0u8][..],
            &[0, 0x7f],
            &[0xff, 0x80],
            &[0, 0, 0x80],
            &[0xff, 0xff],
        ] {
            let mut wire = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
            wire.extend_from_slice(body);
            let mut r = Reader::new(&wire);
            assert_eq!(
                r.get_mpint(),
                Err(Error::NonMinimalMpint { offset: 4 }),
                "{body:02x?}"
            );
            assert_eq!(r.position(), 0, "failed read must not move the cursor");
        }
    }

    #[test]
    fn scalars_exact_bytes() {
        let bytes = write(|w| {
            w.put_u8(0xab)?;
            w.put_bool(true)?;
            w.put_bool(false)?;
            w.put_u32(0x2973_6d2f)?;
            w.put_u64(0x0102_0304_0506_0708)
        });
        assert_eq!(
            bytes,
            [0xab, 1, 0, 0x29, 0x73, 0x6d, 0x2f, 1, 2, 3, 4, 5, 6, 7, 8]
        );
        let mut r = Reader::new(&bytes);
        assert_eq!(r.get_u8(), Ok(0xab));
        assert_eq!(r.get_bool(), Ok(true));
        assert_eq!(r.get_bool(), Ok(false));
        assert_eq!(r.peek_u32(), Ok(0x2973_6d2f));
        assert_eq!(r.get_u32(), Ok(0x2973_6d2f));
        assert_eq!(r.get_u64(), Ok(0x0102_0304_0506_0708));
        assert_eq!(r.remaining(), 0);
        assert_eq!(
            r.get_u8(),
            Err(Error::Truncated {
                offset: 15,
                needed: 1,
                remaining: 0
            })
        );
    }

    #[test]
    fn any_nonzero_byte_reads_as_true() {
        assert_eq!(Reader::new(&[0x80]).get_bool(), Ok(true));
    }

    #[test]
    fn strings_exact_bytes() {
        assert_eq!(
            write(|w| w.put_string(b"testing")),
            [0, 0, 0, 7, b't', b'e', b's', b't', b'i', b'n', b'g']
        );
        assert_eq!(write(|w| w.put_string(b"")), [0, 0, 0, 0]);
    }

    #[test]
    fn string_longer_than_input_is_truncated_not_a_huge_slice() {
        // The `secbuf` crate's release build returned a 2^64-long slice here.
        let wire = [0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        let mut r = Reader::new(&wire).with_string_limit(u32::MAX);
        assert_eq!(
            r.get_string(),
            Err(Error::Truncated {
                offset: 0,
                needed: 0xffff_ffff,
                remaining: 3
            })
        );
        assert_eq!(r.position(), 0);
    }

    #[test]
    fn string_limit_is_enforced_before_reading() {
        let wire = [0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        let mut r = Reader::new(&wire).with_string_limit(8);
        assert_eq!(
            r.get_string(),
            Err(Error::StringTooLong {
                offset: 0,
                len: 9,
                limit: 8
            })
        );
    }

    #[test]
    fn name_lists_exact_bytes_and_validation() {
        assert_eq!(write(|w| w.put_name_list(&[])), [0, 0, 0, 0]);
        assert_eq!(
            write(|w| w.put_name_list(&["zlib"])),
            [0, 0, 0, 4, b'z', b'l', b'i', b'b']
        );
        assert_eq!(
            write(|w| w.put_name_list(&["zlib", "none"])),
            [
                0, 0, 0, 9, b'z', b'l', b'i', b'b', b',', b'n', b'o', b'n', b'e'
            ]
        );
        let wire = write(|w| w.put_name_list(&["zlib", "none"]));
        let list = Reader::new(&wire).get_name_list().unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.contains("none"));
        assert_eq!(list.as_str(), "zlib,none");
        let empty = Reader::new(&[0, 0, 0, 0]).get_name_list().unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.iter().count(), 0);

        for bad in [&b","[..], b"a,", b",a", b"a,,b", b"caf\xc3\xa9"] {
            assert!(
                matches!(NameList::parse(bad), Err(Error::InvalidNameList { .. })),
                "{bad:?}"
            );
        }
        let mut out = [0u8; 16];
        let mut w = Writer::new(&mut out);
        for bad in [&[""][..], &["a,b"], &["é"]] {
            assert_eq!(
                w.put_name_list(bad),
                Err(Error::InvalidNameList { offset: 0 })
            );
        }
        assert_eq!(w.position(), 0);
    }

    fn valid_list_reference(bytes: &[u8]) -> bool {
        bytes.is_empty() || (bytes.is_ascii() && bytes.split(|&b| b == b',').all(|n| !n.is_empty()))
    }

    #[test]
    fn name_list_validation_matches_reference_at_every_alignment() {
        let alphabet = [b'a', b',', 0x80, b'z'];
        // Every string of length 0..=10 over a small alphabet.
        for len in 0..=if cfg!(miri) { 5 } else { 10 } {
            for mut code in 0..alphabet.len().pow(len) {
                let mut s = std::vec::Vec::with_capacity(len as usize);
                for _ in 0..len {
                    s.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                assert_eq!(valid_list(&s), valid_list_reference(&s), "{s:02x?}");
            }
        }
        // Adjacent commas across every word boundary of a longer list.
        for i in 0..24 {
            let mut s = std::vec![b'n'; 24];
            s[i] = b',';
            if i + 1 < 24 {
                s[i + 1] = b',';
            }
            assert_eq!(valid_list(&s), valid_list_reference(&s), "{i}");
        }
    }

    #[test]
    fn long_name_lists_are_checked_at_every_position() {
        // Lists longer than one 16-byte step (64-bit targets check those a
        // step at a time, the last step overlapping): a non-ASCII byte, a
        // doubled comma, and a single comma (valid) at every position.
        for len in 17..=if cfg!(miri) { 34 } else { 80 } {
            let base = std::vec![b'n'; len];
            assert!(valid_list(&base), "{len}");
            for i in 0..len {
                for (bad, pair) in [(0x80u8, false), (0xff, false), (b',', true), (b',', false)] {
                    let mut s = base.clone();
                    s[i] = bad;
                    if pair && i + 1 < len {
                        s[i + 1] = b',';
                    }
                    assert_eq!(
                        valid_list(&s),
                        valid_list_reference(&s),
                        "{len} {i} {bad:02x} {pair}"
                    );
                }
            }
        }
    }

    #[test]
    fn writes_without_room_change_nothing() {
        let mut out = [0u8; 6];
        let mut w = Writer::new(&mut out);
        w.put_u32(1).unwrap();
        assert_eq!(w.put_u32(2), Err(Error::NoRoom { needed: 4, free: 2 }));
        assert_eq!(
            w.put_string(b"x"),
            Err(Error::NoRoom { needed: 5, free: 2 })
        );
        assert_eq!(
            w.put_mpint_signed(true, &[1, 2]),
            Err(Error::NoRoom { needed: 6, free: 2 })
        );
        assert_eq!(w.position(), 4);
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 512 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Two's complement of a signed magnitude, computed the slow way.
    fn reference_i128(negative: bool, magnitude: u128) -> Vec<u8> {
        let v: i128 = if negative {
            -(magnitude as i128)
        } else {
            magnitude as i128
        };
        if v == 0 {
            return Vec::new();
        }
        let bytes = v.to_be_bytes();
        // Drop sign-extension bytes while the next byte keeps the sign.
        let mut start = 0;
        while start < 15 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
                start += 1;
            } else {
                break;
            }
        }
        bytes[start..].to_vec()
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn mpint_matches_i128_and_round_trips(negative: bool, magnitude in 0u128..(1u128 << 126)) {
            let mag = magnitude.to_be_bytes();
            let wire = mpint(negative, &mag);
            let body = &wire[4..];
            prop_assert_eq!(body, &reference_i128(negative, magnitude)[..]);
            prop_assert_eq!(wire.len(), mpint_encoded_len(negative, &mag));
            let m = Reader::new(&wire).get_mpint().unwrap();
            prop_assert_eq!(m.is_negative(), negative && magnitude != 0);
            let mut out = [0u8; 32];
            let back = m.magnitude_into(&mut out).unwrap().to_vec();
            prop_assert_eq!(&back[..], strip_leading_zeros(&mag));
            // An output exactly as long as the magnitude is enough.
            let mut exact = std::vec![0u8; back.len()];
            prop_assert_eq!(m.magnitude_into(&mut exact).unwrap(), &back[..]);
        }

        #[test]
        fn mpint_forms_round_trip(negative: bool, magnitude in proptest::collection::vec(any::<u8>(), 0..40)) {
            let wire = mpint(negative, &magnitude);
            let mut out = [0u8; 40];
            let (neg, mag) = Reader::new(&wire).get_mpint_signed(&mut out).unwrap();
            prop_assert_eq!(mag, strip_leading_zeros(&magnitude));
            prop_assert_eq!(neg, negative && !mag.is_empty());
            let m = Reader::new(&wire).get_mpint().unwrap();
            prop_assert_eq!(write(|w| w.put_mpint(m)), wire.clone());
            match Reader::new(&wire).get_mpint_unsigned() {
                Ok(mag) => {
                    prop_assert!(!neg);
                    prop_assert_eq!(write(|w| w.put_mpint_unsigned(mag)), wire.clone());
                }
                Err(e) => {
                    prop_assert!(neg);
                    prop_assert_eq!(e, Error::NegativeMpint { offset: 4 });
                }
            }
        }

        #[test]
        fn name_list_error_offset_is_the_first_bad_byte(s in proptest::collection::vec(prop_oneof![Just(b'a'), Just(b','), Just(0x80u8)], 0..24)) {
            let reference = valid_list_reference(&s);
            match NameList::parse(&s) {
                Ok(_) => prop_assert!(reference),
                Err(Error::InvalidNameList { offset }) => {
                    prop_assert!(!reference);
                    // Everything before the offset is a valid prefix.
                    prop_assert!(s[..offset].is_ascii());
                    let b = s[offset];
                    prop_assert!(b >= 0x80 || b == b',');
                }
                Err(e) => prop_assert!(false, "{e:?}"),
            }
        }

        #[test]
        fn reader_never_panics_and_stays_in_bounds(data in proptest::collection::vec(any::<u8>(), 0..64), limit: u32) {
            let mut r = Reader::new(&data).with_string_limit(limit);
            for step in 0..32u8 {
                let before = r.position();
                let ok = match step % 7 {
                    0 => r.get_u8().is_ok(),
                    1 => r.get_u32().is_ok(),
                    2 => r.get_u64().is_ok(),
                    3 => r.get_string().is_ok(),
                    4 => r.get_mpint().is_ok(),
                    5 => r.get_name_list().is_ok(),
                    _ => r.get_bool().is_ok(),
                };
                prop_assert!(r.position() <= data.len());
                if !ok {
                    prop_assert_eq!(r.position(), before);
                }
            }
        }

        #[test]
        fn strings_and_name_lists_round_trip(
            s in proptest::collection::vec(any::<u8>(), 0..40),
            names in proptest::collection::vec("[a-z0-9@.-]{1,12}", 0..5),
        ) {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let wire = write(|w| { w.put_string(&s)?; w.put_name_list(&names) });
            let mut r = Reader::new(&wire);
            prop_assert_eq!(r.get_string().unwrap(), &s[..]);
            let list = r.get_name_list().unwrap();
            prop_assert!(list.iter().eq(names.iter().copied()));
            prop_assert_eq!(r.remaining(), 0);
        }
    }
}
