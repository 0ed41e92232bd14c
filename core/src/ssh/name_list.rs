//! The SSH `name-list` (RFC 4251 section 5): comma-separated US-ASCII names, none
//! empty, validated eight bytes at a time.

use core::fmt;

use super::Error;

/// A validated name-list, borrowed: US-ASCII names separated by commas.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NameList<'a> {
    raw: &'a str,
}

impl fmt::Debug for NameList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Algorithm names are not secret.
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> NameList<'a> {
    /// Checks and wraps the body of a name-list string.
    ///
    /// # Errors
    /// [`Error::InvalidNameList`] for a non-ASCII byte or an empty name
    /// (a leading, trailing or doubled comma), with the index of the first
    /// such byte or comma. The empty string is the
    /// empty list.
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if !valid_list(bytes) {
            return Err(Error::InvalidNameList {
                offset: first_invalid(bytes),
            });
        }
        Ok(Self {
            raw: ascii_str(bytes),
        })
    }

    /// The names in order, without allocating.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> Names<'a> {
        Names { rest: self.raw }
    }

    /// True if the list has no names.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The number of names.
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True if `name` is one of the names.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// The list as it is on the wire, commas included.
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.raw
    }
}

impl<'a> IntoIterator for NameList<'a> {
    type Item = &'a str;
    type IntoIter = Names<'a>;

    fn into_iter(self) -> Names<'a> {
        self.iter()
    }
}

/// The names of a [`NameList`], in order.
#[derive(Debug, Clone)]
pub struct Names<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Names<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        let (name, rest) = match find_comma(bytes) {
            Some(i) => (
                bytes.get(..i).unwrap_or_default(),
                bytes.get(i + 1..).unwrap_or_default(),
            ),
            None => (bytes, &[][..]),
        };
        // Split at an ASCII comma, the parts are ASCII too: no char-boundary
        // checks (`str` slicing makes two per name).
        self.rest = ascii_str(rest);
        Some(ascii_str(name))
    }
}

const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;

/// Marks with 0x80 each byte of `w` that is a comma, exactly.
#[inline]
const fn comma_mask(w: u64) -> u64 {
    let x = w ^ COMMAS;
    !(((x & LO7).wrapping_add(LO7)) | x | LO7)
}

/// The index of the first comma: 16 bytes a step with SSE2 (every x86-64
/// CPU has it) for lists of 16 bytes or more, the last step overlapping the
/// one before it; shorter lists take [`find_comma_swar`].
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn find_comma(bytes: &[u8]) -> Option<usize> {
    let mut blocks = bytes.chunks_exact(SSE_LANES);
    let mut base = 0;
    for block in &mut blocks {
        let m = comma_bits(block);
        if m != 0 {
            return Some(base + m.trailing_zeros() as usize);
        }
        base += SSE_LANES;
    }
    let left = blocks.remainder().len();
    if left == 0 {
        return None;
    }
    match bytes.len().checked_sub(SSE_LANES) {
        // The last 16 bytes: the first `16 - left` of them were checked.
        Some(start) => {
            let m = comma_bits(bytes.get(start..).unwrap_or_default()) >> (SSE_LANES - left);
            (m != 0).then(|| base + m.trailing_zeros() as usize)
        }
        None => find_comma_swar(bytes),
    }
}

/// Bytes per step of the SSE2 [`find_comma`].
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
const SSE_LANES: usize = 16;

/// Bit `i` set when `block[i]` is a comma; `block` must be 16 bytes long
/// (0 otherwise, never read out of bounds).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)] // SSE2 intrinsics; the load is bounds-checked first
#[inline]
fn comma_bits(block: &[u8]) -> u32 {
    use core::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let Some(block) = block.first_chunk::<SSE_LANES>() else {
        return 0;
    };
    // SAFETY: `block` is a reference to 16 readable bytes, which is what the
    // unaligned load reads (no alignment needed); SSE2 is enabled (the `cfg`).
    let v = unsafe { _mm_loadu_si128(block.as_ptr().cast()) };
    // SAFETY: SSE2 is enabled (the `cfg` above); no memory is touched.
    let commas = unsafe { _mm_set1_epi8(b',' as i8) };
    // SAFETY: as above.
    let eq = unsafe { _mm_cmpeq_epi8(v, commas) };
    // SAFETY: as above.
    let mask = unsafe { _mm_movemask_epi8(eq) };
    // 16 lanes: only the low 16 bits can be set, so the conversion holds.
    u32::try_from(mask).unwrap_or(0)
}

/// The index of the first comma, eight bytes at a time (targets without
/// SSE2, and lists shorter than 16 bytes on those with it).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
fn find_comma_swar(bytes: &[u8]) -> Option<usize> {
    find_comma_words(bytes)
}

/// The index of the first comma, eight bytes at a time.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
fn find_comma(bytes: &[u8]) -> Option<usize> {
    find_comma_words(bytes)
}

/// The index of the first comma, eight bytes at a time.
#[inline]
fn find_comma_words(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let m = comma_mask(u64::from_le_bytes(w));
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b',')
        .map(|i| base + i)
}

/// A name-list body is valid when every byte is US-ASCII and no name is
/// empty: no comma first, last, or right after another comma. One
/// branch-free pass over each byte and the byte before it (lists are checked
/// on every read).
#[inline]
pub(super) fn valid_list(bytes: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return true; // the empty list
    };
    if first == b',' || last == b',' {
        return false;
    }
    // Bit 7 of `bad` collects non-ASCII bytes and commas after commas.
    let bad = if WIDE && bytes.len() > LANES {
        wide_pairs(bytes)
    } else {
        let prev = bytes.get(..bytes.len() - 1).unwrap_or_default();
        let next = bytes.get(1..).unwrap_or_default();
        pairs(prev, next)
    };
    (first | bad) & 0x80 == 0
}

/// Bytes per step of [`wide_pairs`]: one SSE2 or NEON register.
const LANES: usize = 16;

/// Whether [`valid_list`] takes [`wide_pairs`] for lists longer than
/// [`LANES`]: on 64-bit targets, which have 16-byte vectors. A
/// microcontroller keeps the short loop (flash).
const WIDE: bool = cfg!(target_pointer_width = "64");

/// Bit 7 set if a byte of `next` is not ASCII or is a comma after the comma
/// at the same index of `prev`.
#[inline]
fn pairs(prev: &[u8], next: &[u8]) -> u8 {
    let mut bad = 0;
    for (&a, &b) in prev.iter().zip(next) {
        bad |= b | ((u8::from(a == b',') & u8::from(b == b',')) << 7);
    }
    bad
}

/// [`pairs`] of `bytes[..len - 1]` and `bytes[1..]`, for `len > LANES`, in
/// steps of fixed-size arrays (one vector operation each; the zip of two
/// slices leaves the compiler a 32-byte loop, an 8-byte loop and a byte
/// loop for a typical 80-byte list). The last step overlaps the one before
/// it, which is harmless for an OR.
#[inline]
fn wide_pairs(bytes: &[u8]) -> u8 {
    // Steps start at 0, LANES, ... and finally at `last`, so that each reads
    // `LANES + 1` bytes in bounds.
    let last = bytes.len() - (LANES + 1);
    let mut acc = [0u8; LANES];
    let mut start = 0;
    loop {
        let window = bytes.get(start..).unwrap_or_default();
        // `start <= last` keeps `LANES + 1` bytes in the window; were it
        // otherwise, the list is reported invalid, never passed unchecked.
        let Some((head, _)) = window.split_first_chunk::<{ LANES + 1 }>() else {
            return 0x80;
        };
        let (prev, next) = (&head[..LANES], &head[1..]);
        for ((acc, &a), &b) in acc.iter_mut().zip(prev).zip(next) {
            *acc |= b | ((u8::from(a == b',') & u8::from(b == b',')) << 7);
        }
        if start == last {
            break;
        }
        start = (start + LANES).min(last);
    }
    acc.iter().fold(0, |x, &y| x | y)
}

/// `bytes` as a `str`, for bytes that [`valid_list`] accepted (or a part of
/// them): every byte is US-ASCII, so they are UTF-8 and a second check
/// (`str::from_utf8`) is only cost.
#[allow(unsafe_code)] // its precondition checked by the callers
#[inline]
fn ascii_str(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: the callers pass bytes of a list `valid_list` accepted (the
    // list, or a part of a `NameList`'s bytes split at a comma), so every
    // byte is below 0x80, and a sequence of US-ASCII bytes is valid UTF-8.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

/// The index of the first byte that makes a name-list invalid: a non-ASCII
/// byte, or a comma that ends an empty name. Only called on the error path.
#[cold]
fn first_invalid(bytes: &[u8]) -> usize {
    let mut after_comma = true; // a comma first ends an empty name
    for (i, &b) in bytes.iter().enumerate() {
        let comma = b == b',';
        if b >= 0x80 || (comma && (after_comma || i + 1 == bytes.len())) {
            return i;
        }
        after_comma = comma;
    }
    bytes.len()
}

/// A non-empty name of US-ASCII bytes other than the comma.
#[inline]
pub(super) fn valid_name(name: &[u8]) -> bool {
    // Branch-free over the bytes, so it vectorises.
    let bad = name
        .iter()
        .fold(false, |bad, &b| bad | (b >= 0x80) | (b == b','));
    !name.is_empty() && !bad
}

#[cfg(test)]
mod tests {
    use super::find_comma;

    #[test]
    fn find_comma_matches_position_at_every_length_and_place() {
        for len in 0..80 {
            let mut s = std::vec![b'n'; len];
            assert_eq!(find_comma(&s), None, "{len}");
            for at in 0..len {
                s[at] = b',';
                assert_eq!(find_comma(&s), Some(at), "{len} {at}");
                // A second comma later does not change the answer.
                if at + 3 < len {
                    s[at + 3] = b',';
                    assert_eq!(find_comma(&s), Some(at), "{len} {at}");
                    s[at + 3] = b'n';
                }
                s[at] = 0xac; // a comma's low seven bits with the top bit set
                assert_eq!(find_comma(&s), None, "{len} {at}");
                s[at] = b'n';
            }
        }
    }
}
