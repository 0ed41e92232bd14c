//! The benches' deterministic input bytes, shared with the examples (and with
//! `wasm/benches/native.rs`, so native and Node see the same bytes).

/// Deterministic pseudo-random bytes (xorshift64).
pub(crate) fn payload(len: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}
