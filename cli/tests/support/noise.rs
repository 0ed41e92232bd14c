//! Test support shared by the CLI's integration tests: incompressible input bytes.

/// Pseudo-random (incompressible) bytes, the same for the same `len` and `seed`.
pub(crate) fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[1]
        })
        .collect()
}
