//! A fixed-capacity byte ring that wipes the bytes it hands back.
//!
//! [`Ring`] keeps up to `N` bytes in inline storage (`[u8; N]`, any `N`, not
//! only powers of two), so it needs no allocator and can live in a `static`.
//! Bytes leave in the order they came in, either copied out ([`Ring::read`],
//! [`Ring::peek`]) or in place through two slices ([`Ring::as_slices`] then
//! [`Ring::consume`]); they come in copied ([`Ring::write`]) or in place
//! ([`Ring::writable_slices`] then [`Ring::commit`]).
//!
//! ```
//! use secstream_core::ring::Ring;
//!
//! static _IN_A_STATIC: Ring<64> = Ring::new(); // `new` is a `const fn`
//!
//! let mut ring = Ring::<8>::new();
//! assert_eq!(ring.write(b"secret!!spill"), 8); // as much as fits
//! assert!(ring.is_full());
//! let mut out = [0u8; 6];
//! assert_eq!(ring.read(&mut out), 6);
//! assert_eq!(&out, b"secret");
//! assert_eq!(ring.write(b"more"), 4); // wraps around the end of the storage
//! let (a, b) = ring.as_slices();
//! assert_eq!([a, b].concat(), b"!!more");
//! assert_eq!(ring.consume(100), 6); // clamped to what is buffered
//! assert!(ring.is_empty());
//! ```
//!
//! # Wiping
//! Every byte that leaves the ring is overwritten with zeros in the storage
//! (through `zeroize`) before the call returns: by [`Ring::read`],
//! [`Ring::consume`] and [`Ring::clear`]; the whole storage is wiped on drop.
//! [`Ring::new_unwiped`] or [`Ring::set_wipe`] turn the wipe on consumption
//! off (for data that is not secret, or to measure its cost); [`Ring::clear`]
//! and drop wipe the whole storage in every mode.
//!
//! Bytes written into [`Ring::writable_slices`] and never committed stay in
//! the free part of the storage until they are overwritten, the ring is
//! cleared or dropped.
//!
//! # Full, empty and out-of-range counts
//! Nothing here panics. A full ring accepts `0` bytes, an empty one yields
//! `0`; the all-or-nothing variants return [`Error::Full`] / [`Error::Empty`].
//! [`Ring::consume`] and [`Ring::commit`] clamp an out-of-range count to what
//! is possible and return the count they applied.

use core::fmt;

use zeroize::Zeroize;

/// Why a ring operation could not be done as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The ring has not enough free space for the request.
    Full,
    /// The ring holds fewer bytes than the request needs.
    Empty,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "not enough free space in the ring",
            Self::Empty => "not enough bytes in the ring",
        })
    }
}

impl core::error::Error for Error {}

/// A first-in first-out byte ring of capacity `N` with inline storage that
/// zeroizes bytes as they are consumed.
///
/// See the [module documentation](self) for the wiping rules. Not `Clone`
/// (a copy would duplicate the secret bytes); `Debug` shows only the length
/// and the capacity.
// `repr(C)` with the storage first: it starts at the start of the value,
// which is aligned to the cache line where lines are 64 bytes, so that
// chunks at line-aligned offsets (slot 0, where a `Ring` starts over when it
// empties) move whole lines and no 32-byte move straddles two (BENCHMARKS.md,
// rings, session 7). Elsewhere (microcontrollers, wasm) it is 8-byte aligned
// and no padding is added.
#[repr(C)]
#[cfg_attr(
    any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64"),
    repr(align(64))
)]
pub struct Ring<const N: usize> {
    buf: [u8; N],
    /// Index of the oldest byte: `head < N`, or `0` when `N == 0`. Reset to
    /// `0` whenever the ring becomes empty, so an empty ring offers one
    /// contiguous free slice.
    head: usize,
    /// Number of buffered bytes, `len <= N`.
    len: usize,
    /// Whether consumed bytes are zeroized.
    wipe: bool,
}

impl<const N: usize> Ring<N> {
    /// An empty ring that wipes bytes as they are consumed.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            head: 0,
            len: 0,
            wipe: true,
        }
    }

    /// An empty ring that does not wipe bytes as they are consumed (clearing
    /// and dropping still wipe the whole storage).
    ///
    /// For data that is not secret, or to measure what the wipe costs.
    #[must_use]
    pub const fn new_unwiped() -> Self {
        Self {
            buf: [0; N],
            head: 0,
            len: 0,
            wipe: false,
        }
    }

    /// Turns the wipe of consumed bytes on or off from now on.
    pub fn set_wipe(&mut self, on: bool) {
        self.wipe = on;
    }

    /// Whether consumed bytes are wiped.
    #[must_use]
    pub const fn wipes(&self) -> bool {
        self.wipe
    }

    /// The capacity `N` in bytes.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// The number of buffered bytes.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether no bytes are buffered.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether no more bytes fit.
    #[must_use]
    pub const fn is_full(&self) -> bool {
        self.len == N
    }

    /// The number of bytes that still fit.
    #[must_use]
    pub const fn free(&self) -> usize {
        N - self.len
    }

    /// Index one past the newest byte, in `0..N` (or `0` when `N == 0`).
    #[inline]
    fn tail(&self) -> usize {
        // head < N and len <= N, so the sum is below 2N and does not overflow:
        // an array of N bytes has N <= isize::MAX.
        let t = self.head + self.len;
        if t >= N { t - N } else { t }
    }

    /// Appends as many bytes of `data` as fit and returns how many that was
    /// (`0` when the ring is full).
    #[inline]
    pub fn write(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(N - self.len);
        let tail = self.tail();
        // tail <= N; the part past the end of the storage wraps to 0, where
        // the free space is `head >= n - first` bytes long.
        let first = n.min(N - tail);
        let (head_part, wrapped) = data[..n].split_at(first);
        self.buf[tail..tail + first].copy_from_slice(head_part);
        if !wrapped.is_empty() {
            self.buf[..wrapped.len()].copy_from_slice(wrapped);
        }
        self.len += n;
        n
    }

    /// Appends all of `data`, or nothing.
    ///
    /// # Errors
    /// [`Error::Full`] when fewer than `data.len()` bytes are free; the ring
    /// is then unchanged.
    pub fn try_write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        if data.len() > self.free() {
            return Err(Error::Full);
        }
        self.write(data);
        Ok(())
    }

    /// Copies up to `out.len()` of the oldest bytes into `out` without
    /// consuming them, and returns how many (`0` when the ring is empty).
    #[inline]
    pub fn peek(&self, out: &mut [u8]) -> usize {
        let (a, b) = self.as_slices();
        let n1 = out.len().min(a.len());
        let (first, rest) = out.split_at_mut(n1);
        first.copy_from_slice(&a[..n1]);
        let n2 = rest.len().min(b.len());
        rest[..n2].copy_from_slice(&b[..n2]);
        n1 + n2
    }

    /// Moves up to `out.len()` of the oldest bytes into `out`, wipes them in
    /// the ring (unless wiping is off), and returns how many (`0` when the
    /// ring is empty).
    #[inline]
    pub fn read(&mut self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len);
        let head = self.head;
        // head <= N; the part past the end of the storage continues at 0.
        let first = n.min(N - head);
        let (out_first, out_wrapped) = out[..n].split_at_mut(first);
        move_out(out_first, &mut self.buf[head..head + first], self.wipe);
        if !out_wrapped.is_empty() {
            let n2 = out_wrapped.len();
            move_out(out_wrapped, &mut self.buf[..n2], self.wipe);
        }
        self.advance_head(n);
        n
    }

    /// Moves exactly `out.len()` bytes into `out`, or nothing.
    ///
    /// # Errors
    /// [`Error::Empty`] when fewer than `out.len()` bytes are buffered; the
    /// ring and `out` are then unchanged.
    pub fn try_read_exact(&mut self, out: &mut [u8]) -> Result<(), Error> {
        if out.len() > self.len {
            return Err(Error::Empty);
        }
        self.read(out);
        Ok(())
    }

    /// The buffered bytes, oldest first, as two slices: the second is empty
    /// unless the bytes wrap around the end of the storage.
    ///
    /// Pair with [`Ring::consume`] to read in place.
    #[inline]
    #[must_use]
    pub fn as_slices(&self) -> (&[u8], &[u8]) {
        // head <= N, so the split is in bounds; first + second == len with
        // second = head + len - N <= head when the bytes wrap.
        let (front, back) = self.buf.split_at(self.head);
        let first = self.len.min(back.len());
        (&back[..first], &front[..self.len - first])
    }

    /// Drops the `n` oldest bytes, wiping them unless wiping is off, and
    /// returns how many were dropped: `n` is clamped to [`Ring::len`].
    #[inline]
    pub fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        if self.wipe {
            let (front, back) = self.buf.split_at_mut(self.head);
            let first = n.min(back.len());
            back[..first].zeroize();
            front[..n - first].zeroize();
        }
        self.advance_head(n);
        n
    }

    /// Drops `n <= len` bytes from the front (already wiped if need be).
    #[inline]
    fn advance_head(&mut self, n: usize) {
        self.len -= n;
        self.head = if self.len == 0 {
            0
        } else {
            let h = self.head + n;
            if h >= N { h - N } else { h }
        };
    }

    /// The free space, in order, as two slices: the second is empty unless
    /// the free space wraps around the end of the storage.
    ///
    /// Fill a prefix of their concatenation, then call [`Ring::commit`] with
    /// its length. While wiping is on, the free space holds only zeros.
    #[inline]
    pub fn writable_slices(&mut self) -> (&mut [u8], &mut [u8]) {
        let tail = self.tail();
        let free = N - self.len;
        // tail <= N; when the free space wraps, its second part is
        // free - (N - tail) = head <= tail bytes long.
        let (front, back) = self.buf.split_at_mut(tail);
        let first = free.min(back.len());
        (&mut back[..first], &mut front[..free - first])
    }

    /// Appends the first `n` bytes of the free space (as returned by
    /// [`Ring::writable_slices`]) and returns how many were appended: `n` is
    /// clamped to [`Ring::free`].
    #[inline]
    pub fn commit(&mut self, n: usize) -> usize {
        let n = n.min(N - self.len);
        self.len += n;
        n
    }

    /// Drops every buffered byte and wipes the whole storage (whether or not
    /// the wipe on consumption is on).
    pub fn clear(&mut self) {
        self.buf.zeroize();
        self.head = 0;
        self.len = 0;
    }

    /// The raw storage, for tests that check what was wiped.
    #[cfg(test)]
    pub(crate) fn storage(&self) -> &[u8; N] {
        &self.buf
    }
}

#[cfg(all(feature = "std", target_arch = "x86_64", not(target_feature = "avx2")))]
mod avx2;

/// With 32-byte moves (AVX2: chosen at run time on x86-64 hosts, or built
/// in with `target-cpu`), [`move_out`] copies and wipes in one pass at every
/// length. With the baseline's 16-byte moves it does so up to this many
/// bytes; above, `memcpy` then `memset` (which choose wider vectors at run
/// time) are faster.
const FUSED_MAX: usize = 256;

/// Above [`FUSED_MAX`], without 32-byte moves, [`move_out`] copies and
/// wipes this many bytes at a time: each block is wiped while it is still in the L1 cache, and each
/// `memset` stays below the size where glibc switches to `rep stosb`
/// (callgrind counts one instruction per byte for a 4 KiB `memset` here).
/// On the development machine this made `SpscRing` reads of 4 KiB 1% to 4%
/// faster than one `memcpy` and one `memset` (BENCHMARKS.md, rings, issue
/// 14 second pass; `benches/examples/ring_ir.rs`).
const WIPE_BLOCK: usize = 512;

/// Whether `zeroize::optimization_barrier` is an `asm!` barrier here (on
/// other targets it is only `black_box`, and [`move_out`] leaves the wipe
/// to `zeroize` itself, which then uses volatile writes).
const ASM_BARRIER: bool = cfg!(all(
    not(miri),
    any(
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv32",
        target_arch = "riscv64",
        target_arch = "x86",
        target_arch = "x86_64",
    )
));

/// Copies `src` into `dst` (same length) and, if `wipe`, zeroizes `src`.
///
/// Shared by [`Ring`] and the [`spsc`](crate::spsc) consumer.
#[inline]
pub(crate) fn move_out(dst: &mut [u8], src: &mut [u8], wipe: bool) {
    debug_assert_eq!(dst.len(), src.len());
    if !wipe {
        dst.copy_from_slice(src);
    } else if ASM_BARRIER && fused(dst, src) {
        // The barrier makes the optimiser assume `src` is read afterwards,
        // so it cannot drop the zero stores: what `zeroize` does for slices.
        zeroize::optimization_barrier(src);
    } else {
        for (d, s) in dst.chunks_mut(WIPE_BLOCK).zip(src.chunks_mut(WIPE_BLOCK)) {
            // Equal lengths (the slices are), spelled out so that no
            // length-mismatch panic is linked.
            let n = d.len().min(s.len());
            if let (Some(d), Some(s)) = (d.get_mut(..n), s.get_mut(..n)) {
                d.copy_from_slice(s);
                s.zeroize();
            }
        }
    }
}

/// Copies `src` into `dst` and zeroes `src` in one pass, if that is the
/// fastest way for this length here; returns whether it did (else neither
/// slice was touched). The caller puts the optimisation barrier after it.
#[inline]
fn fused(dst: &mut [u8], src: &mut [u8]) -> bool {
    #[cfg(all(feature = "std", target_arch = "x86_64", not(target_feature = "avx2")))]
    if avx2::move_out(dst, src) {
        return true;
    }
    if src.len() > FUSED_MAX && !cfg!(target_feature = "avx2") {
        return false;
    }
    copy_and_zero(dst, src);
    true
}

/// The fused pass itself: the compiler vectorises it with the widest moves
/// the calling function is compiled for (so `avx2` inlines it too).
#[inline(always)]
fn copy_and_zero(dst: &mut [u8], src: &mut [u8]) {
    for (d, s) in dst.iter_mut().zip(src.iter_mut()) {
        *d = *s;
        *s = 0;
    }
}

impl<const N: usize> Default for Ring<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Drop for Ring<N> {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl<const N: usize> fmt::Debug for Ring<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("len", &self.len)
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;
    use std::format;
    use std::vec;
    use std::vec::Vec;

    fn contents<const N: usize>(r: &Ring<N>) -> Vec<u8> {
        let (a, b) = r.as_slices();
        [a, b].concat()
    }

    #[test]
    fn fifo_with_wrap() {
        let mut r = Ring::<5>::new();
        assert_eq!(r.capacity(), 5);
        assert_eq!(r.write(b"abc"), 3);
        let mut out = [0u8; 2];
        assert_eq!(r.read(&mut out), 2);
        assert_eq!(&out, b"ab");
        assert_eq!(r.write(b"defgh"), 4);
        assert!(r.is_full());
        assert_eq!(r.free(), 0);
        assert_eq!(r.write(b"x"), 0);
        let (a, b) = r.as_slices();
        assert_eq!(a, b"cde");
        assert_eq!(b, b"fg");
        let mut out = [0u8; 8];
        assert_eq!(r.peek(&mut out), 5);
        assert_eq!(&out[..5], b"cdefg");
        assert_eq!(r.read(&mut out), 5);
        assert_eq!(&out[..5], b"cdefg");
        assert!(r.is_empty());
        assert_eq!(r.read(&mut out), 0);
    }

    #[test]
    fn empty_ring_offers_one_contiguous_slice() {
        let mut r = Ring::<6>::new();
        r.write(b"abcd");
        r.consume(4);
        let (a, b) = r.writable_slices();
        assert_eq!((a.len(), b.len()), (6, 0));
    }

    #[test]
    fn zero_capacity_is_always_full_and_empty() {
        let mut r = Ring::<0>::new();
        assert!(r.is_empty() && r.is_full());
        assert_eq!(r.write(b"a"), 0);
        assert_eq!(r.read(&mut [0u8; 1]), 0);
        assert_eq!(r.commit(3), 0);
        assert_eq!(r.consume(3), 0);
        assert_eq!(r.try_write_all(b"a"), Err(Error::Full));
        assert_eq!(r.try_write_all(b""), Ok(()));
        let (a, b) = r.writable_slices();
        assert!(a.is_empty() && b.is_empty());
    }

    #[test]
    fn all_or_nothing() {
        let mut r = Ring::<4>::new();
        assert_eq!(r.try_write_all(b"abcde"), Err(Error::Full));
        assert!(r.is_empty());
        r.try_write_all(b"abc").unwrap();
        let mut out = [9u8; 4];
        assert_eq!(r.try_read_exact(&mut out), Err(Error::Empty));
        assert_eq!(out, [9; 4]);
        assert_eq!(r.len(), 3);
        r.try_read_exact(&mut out[..3]).unwrap();
        assert_eq!(&out[..3], b"abc");
    }

    #[test]
    fn out_of_range_counts_are_clamped() {
        let mut r = Ring::<4>::new();
        r.write(b"ab");
        assert_eq!(r.consume(usize::MAX), 2);
        assert_eq!(r.commit(usize::MAX), 4);
        assert!(r.is_full());
        assert_eq!(r.commit(1), 0);
    }

    #[test]
    fn consumed_bytes_are_zeroed_in_storage() {
        let mut r = Ring::<8>::new();
        r.write(&[0xAA; 6]);
        let mut out = [0u8; 4];
        r.read(&mut out);
        assert_eq!(r.storage(), &[0, 0, 0, 0, 0xAA, 0xAA, 0, 0]);
        r.write(&[0xBB; 5]); // wraps
        assert_eq!(r.storage(), &[0xBB, 0xBB, 0xBB, 0, 0xAA, 0xAA, 0xBB, 0xBB]);
        assert_eq!(r.consume(3), 3); // across the wrap point
        assert_eq!(r.storage(), &[0xBB, 0xBB, 0xBB, 0, 0, 0, 0, 0xBB]);
        r.clear();
        assert_eq!(r.storage(), &[0; 8]);
    }

    #[test]
    fn unwiped_ring_leaves_consumed_bytes_but_clear_wipes() {
        let mut r = Ring::<4>::new_unwiped();
        assert!(!r.wipes());
        r.write(b"abcd");
        r.consume(2);
        assert_eq!(r.storage(), b"abcd");
        r.set_wipe(true);
        r.consume(1);
        assert_eq!(r.storage(), b"ab\0d");
        r.set_wipe(false);
        r.clear();
        assert_eq!(r.storage(), &[0; 4]);
    }

    #[test]
    fn debug_is_redacted() {
        let mut r = Ring::<16>::new();
        r.write(b"hunter2");
        let s = format!("{r:?}");
        assert_eq!(s, "Ring { len: 7, capacity: 16, .. }");
    }

    #[test]
    fn usable_in_a_static() {
        static RING: Ring<32> = Ring::new();
        assert!(RING.is_empty());
        assert_eq!(RING.capacity(), 32);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Write(Vec<u8>),
        TryWriteAll(Vec<u8>),
        Read(usize),
        TryReadExact(usize),
        Peek(usize),
        Consume(usize),
        /// Fill this many bytes of the writable slices, then commit that
        /// many plus the extra.
        Commit(Vec<u8>, usize),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        let data = proptest::collection::vec(any::<u8>(), 0..12);
        prop_oneof![
            3 => data.clone().prop_map(Op::Write),
            1 => data.clone().prop_map(Op::TryWriteAll),
            3 => (0usize..12).prop_map(Op::Read),
            1 => (0usize..12).prop_map(Op::TryReadExact),
            1 => (0usize..12).prop_map(Op::Peek),
            2 => (0usize..12).prop_map(Op::Consume),
            2 => (data, 0usize..3).prop_map(|(d, e)| Op::Commit(d, e)),
            1 => Just(Op::Clear),
        ]
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    /// Runs `ops` on a ring of capacity 7 and on a `VecDeque` model.
    fn check_against_model(wipe: bool, ops: &[Op]) {
        const N: usize = 7;
        let mut r = Ring::<N>::new();
        r.set_wipe(wipe);
        let mut m: VecDeque<u8> = VecDeque::new();
        for op in ops {
            match op {
                Op::Write(d) => {
                    let n = r.write(d);
                    assert_eq!(n, d.len().min(N - m.len()));
                    m.extend(&d[..n]);
                }
                Op::TryWriteAll(d) => {
                    let res = r.try_write_all(d);
                    if d.len() <= N - m.len() {
                        assert_eq!(res, Ok(()));
                        m.extend(d);
                    } else {
                        assert_eq!(res, Err(Error::Full));
                    }
                }
                Op::Read(k) => {
                    let mut out = vec![0u8; *k];
                    let n = r.read(&mut out);
                    let want: Vec<u8> = m.drain(..(*k).min(m.len())).collect();
                    assert_eq!(&out[..n], &want[..]);
                }
                Op::TryReadExact(k) => {
                    let mut out = vec![0u8; *k];
                    let res = r.try_read_exact(&mut out);
                    if *k <= m.len() {
                        assert_eq!(res, Ok(()));
                        let want: Vec<u8> = m.drain(..*k).collect();
                        assert_eq!(out, want);
                    } else {
                        assert_eq!(res, Err(Error::Empty));
                    }
                }
                Op::Peek(k) => {
                    let mut out = vec![0u8; *k];
                    let n = r.peek(&mut out);
                    let want: Vec<u8> = m.iter().take(*k).copied().collect();
                    assert_eq!(&out[..n], &want[..]);
                }
                Op::Consume(k) => {
                    assert_eq!(r.consume(*k), (*k).min(m.len()));
                    m.drain(..(*k).min(m.len()));
                }
                Op::Commit(d, extra) => {
                    let (a, b) = r.writable_slices();
                    let mut space: Vec<u8> = [&a[..], &b[..]].concat();
                    assert_eq!(space.len(), N - m.len());
                    if wipe {
                        assert!(space.iter().all(|&x| x == 0), "free space not wiped");
                    }
                    let k = d.len().min(space.len());
                    space[..k].copy_from_slice(&d[..k]);
                    let split = a.len().min(k);
                    a[..split].copy_from_slice(&d[..split]);
                    b[..k - split].copy_from_slice(&d[split..k]);
                    let n = r.commit(k + extra);
                    assert_eq!(n, (k + extra).min(space.len()));
                    m.extend(&space[..n]);
                }
                Op::Clear => {
                    r.clear();
                    m.clear();
                    assert_eq!(r.storage(), &[0; N]);
                }
            }
            assert_eq!(contents(&r), m.iter().copied().collect::<Vec<u8>>());
            assert_eq!(r.len(), m.len());
            assert_eq!(r.free(), N - m.len());
            assert_eq!(r.is_empty(), m.is_empty());
            assert_eq!(r.is_full(), m.len() == N);
        }
    }

    /// `move_out` at every length its paths switch at (the fused loop's
    /// vector widths, `FUSED_MAX`, `WIPE_BLOCK`) and at odd offsets: the
    /// bytes arrive whole and, with the wipe, the source is left all zeros;
    /// without, it is left as it was. On x86-64 with `std` this runs the AVX2
    /// loop where the CPU has AVX2; under Miri, the blocks.
    #[test]
    fn move_out_copies_and_wipes_every_length() {
        let lens = [
            0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513,
            1023, 1024, 1025, 4096, 4097,
        ];
        let lens: &[usize] = if cfg!(miri) { &lens[..12] } else { &lens };
        for &len in lens {
            for off in [0, 1, 7] {
                let data: Vec<u8> = (0..len).map(|i| i.to_le_bytes()[0] | 1).collect();
                for wipe in [true, false] {
                    let mut src = vec![0xEE; len + off];
                    src[off..].copy_from_slice(&data);
                    let mut dst = vec![0u8; len + 3];
                    move_out(&mut dst[3..], &mut src[off..], wipe);
                    assert_eq!(&dst[3..], &data[..], "len {len} off {off} wipe {wipe}");
                    assert!(src[..off].iter().all(|&b| b == 0xEE), "len {len}: before");
                    if wipe {
                        assert!(src[off..].iter().all(|&b| b == 0), "len {len} off {off}");
                    } else {
                        assert_eq!(&src[off..], &data[..], "len {len} off {off}");
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn behaves_like_a_vecdeque(ops in proptest::collection::vec(op(), 0..40)) {
            check_against_model(true, &ops);
        }

        #[test]
        fn unwiped_behaves_like_a_vecdeque(ops in proptest::collection::vec(op(), 0..40)) {
            check_against_model(false, &ops);
        }
    }
}
