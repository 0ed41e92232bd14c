//! The wiping read with 32-byte moves on x86-64 hosts whose CPU has AVX2
//! (feature `std`, for the run-time check; a build with `target-cpu` that
//! already has AVX2 gets them from the plain loop and does not compile this).
//!
//! The loop is [`super::move_out`]'s fused copy and wipe (`copy_and_zero`,
//! inlined), compiled with AVX2 enabled, so the compiler makes 32-byte loads,
//! stores and zero stores of it instead of the baseline's 16-byte ones. With them one pass is the fastest
//! way at every length (256 B, 1 KiB and 4 KiB in `benches/examples/ring_ir.rs`
//! over 8 placements of the buffers: BENCHMARKS.md, rings, session 7).
#![allow(unsafe_code)] // calling a `#[target_feature]` function, after the check

/// Copies `src` into `dst` and zeroes `src` with AVX2 moves, if the CPU has
/// AVX2; returns whether it did (else neither slice was touched). The caller
/// puts the optimisation barrier after the zero stores.
#[inline]
pub(super) fn move_out(dst: &mut [u8], src: &mut [u8]) -> bool {
    if !std::is_x86_feature_detected!("avx2") {
        return false;
    }
    // SAFETY: the CPU has AVX2 (checked just above), the only requirement of
    // calling a function compiled with `target_feature(enable = "avx2")`.
    unsafe { fused(dst, src) };
    true
}

/// The fused copy and wipe, compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2.
#[target_feature(enable = "avx2")]
unsafe fn fused(dst: &mut [u8], src: &mut [u8]) {
    super::copy_and_zero(dst, src);
}
