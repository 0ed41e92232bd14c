//! The SSH `mpint` (RFC 4251 section 5): minimal two's complement, big-endian.

use core::fmt;

use super::Error;

#[inline]
pub(super) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Length of the two's complement body for a stripped, non-zero magnitude.
#[inline]
pub(super) fn mpint_body_len(negative: bool, m: &[u8]) -> usize {
    let first = m.first().copied().unwrap_or(0);
    let needs_sign_byte = if negative {
        // The complement's top byte is !first, plus one when every lower byte
        // is zero. It needs a 0xff prefix when its top bit comes out clear.
        let low_zero = m.get(1..).is_none_or(|rest| rest.iter().all(|&b| b == 0));
        // `first != 0`, so `!first + 1` cannot overflow.
        let top = (!first).wrapping_add(u8::from(low_zero));
        top & 0x80 == 0
    } else {
        first & 0x80 != 0
    };
    m.len() + usize::from(needs_sign_byte)
}

/// The number of bytes [`Writer::put_mpint`](super::Writer::put_mpint) writes, length field included.
#[must_use]
pub fn mpint_encoded_len(negative: bool, magnitude: &[u8]) -> usize {
    let m = strip_leading_zeros(magnitude);
    if m.is_empty() {
        4
    } else {
        4 + mpint_body_len(negative, m)
    }
}

/// A multiple-precision integer as read from the wire: minimal two's
/// complement, big-endian, borrowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mpint<'a> {
    bytes: &'a [u8],
}

impl fmt::Debug for Mpint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Mpints carry key material: show the size only.
        f.debug_struct("Mpint")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Mpint<'a> {
    /// Checks that `bytes` is a minimal two's complement encoding.
    ///
    /// # Errors
    /// [`Error::NonMinimalMpint`] (at offset 0) for a redundant leading 0x00
    /// or 0xff, or a single zero byte (zero is the empty string).
    pub fn from_twos_complement(bytes: &'a [u8]) -> Result<Self, Error> {
        let redundant = match bytes {
            [0] => true,
            [0, next, ..] => next & 0x80 == 0,
            [0xff, next, ..] => next & 0x80 != 0,
            _ => false,
        };
        if redundant {
            Err(Error::NonMinimalMpint { offset: 0 })
        } else {
            Ok(Self { bytes })
        }
    }

    /// The encoding as stored: two's complement, big-endian.
    #[inline]
    #[must_use]
    pub const fn as_twos_complement(&self) -> &'a [u8] {
        self.bytes
    }

    /// True for a negative value.
    #[inline]
    #[must_use]
    pub fn is_negative(&self) -> bool {
        self.bytes.first().is_some_and(|b| b & 0x80 != 0)
    }

    /// True for zero.
    #[inline]
    #[must_use]
    pub const fn is_zero(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The big-endian magnitude of a non-negative value, borrowed (no leading
    /// zeros; empty for zero), or `None` for a negative one.
    #[inline]
    #[must_use]
    pub fn unsigned_magnitude(&self) -> Option<&'a [u8]> {
        match self.bytes {
            // By minimality, a leading zero is a sign byte and the only one.
            [0, rest @ ..] => Some(rest),
            [first, ..] if first & 0x80 != 0 => None,
            all => Some(all),
        }
    }

    /// Writes the big-endian magnitude (absolute value, no leading zeros)
    /// into `out` and returns that part of `out`. Zero gives an empty slice.
    ///
    /// # Errors
    /// [`Error::NoRoom`] if `out` is too small.
    pub fn magnitude_into<'o>(&self, out: &'o mut [u8]) -> Result<&'o [u8], Error> {
        if self.is_negative() {
            // The magnitude is the two's complement negation. A leading 0xff
            // (a sign byte, by minimality) negates to a zero byte unless every
            // lower byte is zero (-2^k), so it is left out; no other leading
            // zero can appear, since the next byte has its top bit set.
            let src = match self.bytes {
                [0xff, rest @ ..] if rest.iter().any(|&b| b != 0) => rest,
                all => all,
            };
            let n = src.len();
            let free = out.len();
            let dst = out.get_mut(..n).ok_or(Error::NoRoom { needed: n, free })?;
            // Negate: invert and add one, from the low byte up.
            let mut carry = true;
            for (d, s) in dst.iter_mut().zip(src).rev() {
                let (v, c) = (!s).overflowing_add(u8::from(carry));
                *d = v;
                carry = c;
            }
            Ok(dst)
        } else {
            let m = strip_leading_zeros(self.bytes);
            let free = out.len();
            let dst = out.get_mut(..m.len()).ok_or(Error::NoRoom {
                needed: m.len(),
                free,
            })?;
            dst.copy_from_slice(m);
            Ok(dst)
        }
    }
}
