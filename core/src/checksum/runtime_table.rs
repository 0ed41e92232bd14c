//! CRC-32/ISCSI (CRC-32C) by slicing-by-16 with its tables built at run time,
//! on first use, instead of stored in the binary: the WebAssembly build's
//! implementation (`table.rs` uses it there). The 16 KiB of slice-by-16
//! tables are nearly incompressible: shipped in the npm package's `.wasm` they
//! cost 17 KB gzipped, more than the whole rest of the checksum code. Built in
//! zero-initialised memory, they cost nothing to download and about 4096 table
//! steps once per instance.
//!
//! Also compiled in host tests, which check it against the `crc` crate's
//! CRC-32C on random inputs fed in random splits (and under Miri).
#![allow(unsafe_code)] // the once-built tables: a `Sync` cell, two blocks

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU8, Ordering};

/// The reflected CRC-32C polynomial.
const POLY: u32 = 0x82F6_3B78;
/// The tables: `T[0]` is the byte-at-a-time table, `T[k][i]` advances `T[k-1][i]`
/// by one more zero byte.
type Tables = [[u32; 256]; 16];

const EMPTY: u8 = 0;
const BUILDING: u8 = 1;
const READY: u8 = 2;

/// The tables, written once by the thread that moves `state` from `EMPTY` to
/// `BUILDING`, then read-only once `state` is `READY`.
struct Lazy {
    state: AtomicU8,
    tables: UnsafeCell<Tables>,
}

// SAFETY: `tables` is written only by the one caller that won the
// `EMPTY -> BUILDING` exchange, and read only after `state` was seen `READY`
// with Acquire ordering, which the writer stores with Release after its last
// write: no data race.
unsafe impl Sync for Lazy {}

static TABLES: Lazy = Lazy {
    state: AtomicU8::new(EMPTY),
    tables: UnsafeCell::new([[0; 256]; 16]),
};

/// Fills `t` with the slicing-by-16 tables.
fn build(t: &mut Tables) {
    for (i, slot) in (0u32..).zip(t[0].iter_mut()) {
        let mut c = i;
        for _ in 0..8 {
            c = (c >> 1) ^ (POLY & (c & 1).wrapping_neg());
        }
        *slot = c;
    }
    for k in 1..16 {
        for i in 0..256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][usize::from(prev.to_le_bytes()[0])];
        }
    }
}

/// The tables, built on the first call.
fn tables() -> &'static Tables {
    if TABLES.state.load(Ordering::Acquire) != READY {
        if TABLES
            .state
            .compare_exchange(EMPTY, BUILDING, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: this caller won `EMPTY -> BUILDING`, so it is the only
            // one to touch `tables` until it stores `READY` below; nobody reads
            // before that.
            build(unsafe { &mut *TABLES.tables.get() });
            TABLES.state.store(READY, Ordering::Release);
        } else {
            // Another thread is building them (only with wasm threads).
            while TABLES.state.load(Ordering::Acquire) != READY {
                core::hint::spin_loop();
            }
        }
    }
    // SAFETY: `READY` was observed with Acquire: the tables are complete and
    // never written again, so shared references are sound.
    unsafe { &*TABLES.tables.get() }
}

/// Byte index `n` of `word` as a table index.
#[inline(always)]
fn b(word: u32, n: usize) -> usize {
    usize::from(word.to_le_bytes()[n])
}

/// Advances the (pre-inverted) register `crc` over `bytes`.
///
/// The twelve lookups that do not depend on `crc` are combined first, in a
/// balanced tree, and the four that do are added last: neither LLVM's
/// WebAssembly backend nor V8 reorders the XORs, so written as one chain
/// from `t[15]` down the loop-carried dependency ran through all sixteen
/// (10-15% slower in Node, measured in BENCHMARKS.md, issue 14 session 5).
fn update(mut crc: u32, bytes: &[u8]) -> u32 {
    let t = tables();
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        let w = |i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
        let (w1, w2, w3) = (w(4), w(8), w(12));
        let x1 = (t[11][b(w1, 0)] ^ t[10][b(w1, 1)]) ^ (t[9][b(w1, 2)] ^ t[8][b(w1, 3)]);
        let x2 = (t[7][b(w2, 0)] ^ t[6][b(w2, 1)]) ^ (t[5][b(w2, 2)] ^ t[4][b(w2, 3)]);
        let x3 = (t[3][b(w3, 0)] ^ t[2][b(w3, 1)]) ^ (t[1][b(w3, 2)] ^ t[0][b(w3, 3)]);
        let rest = x1 ^ x2 ^ x3;
        let w0 = w(0) ^ crc;
        crc = rest ^ ((t[15][b(w0, 0)] ^ t[14][b(w0, 1)]) ^ (t[13][b(w0, 2)] ^ t[12][b(w0, 3)]));
    }
    for &byte in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][b(crc, 0) ^ usize::from(byte)];
    }
    crc
}

/// CRC-32/ISCSI of `bytes`.
pub(super) fn crc32c(bytes: &[u8]) -> u32 {
    !update(!0, bytes)
}

/// Streaming CRC-32/ISCSI.
#[derive(Clone)]
pub(crate) struct Crc32cDigest(u32);

impl Crc32cDigest {
    pub(crate) const fn new() -> Self {
        Self(!0)
    }
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0 = update(self.0, bytes);
    }
    pub(crate) fn finalize(self) -> u32 {
        !self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    static REFERENCE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

    #[test]
    fn check_value_and_empty() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
        assert_eq!(Crc32cDigest::new().finalize(), 0);
    }

    #[test]
    fn first_table_is_the_bitwise_definition() {
        let t = tables();
        for (byte, &v) in (0u32..).zip(t[0].iter()) {
            let mut c = byte;
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            }
            assert_eq!(v, c);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: if cfg!(miri) { 4 } else { 256 },
            failure_persistence: None,
            ..ProptestConfig::default()
        })]
        #[test]
        fn equals_the_crc_crate_in_any_split(
            data in proptest::collection::vec(any::<u8>(), 0..300),
            cut in any::<prop::sample::Index>(),
        ) {
            prop_assert_eq!(crc32c(&data), REFERENCE.checksum(&data));
            let at = cut.index(data.len() + 1);
            let mut d = Crc32cDigest::new();
            d.update(&data[..at]);
            d.update(&data[at..]);
            prop_assert_eq!(d.finalize(), REFERENCE.checksum(&data));
        }
    }
}
