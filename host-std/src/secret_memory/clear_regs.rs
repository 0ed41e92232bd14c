//! Clears the CPU registers that code handling secret bytes leaves behind.
//!
//! Decrypting, encrypting, copying or reading plaintext leaves plaintext words
//! and ChaCha20 keystream blocks in vector registers (and some in
//! general-purpose ones) after the code is done. A core dump, `gcore`, a
//! debugger or anything else that saves the registers of a stopped thread then
//! writes them out. [`clear`] overwrites them with zeros:
//!
//! - x86-64: `vzeroall` (all of `ymm0`–`ymm15`, and `zmm0`–`zmm15` on AVX-512
//!   CPUs) when the CPU and the OS support AVX, otherwise `xorps` on each of
//!   `xmm0`–`xmm15`; with AVX-512F also `zmm16`–`zmm31` and the mask registers
//!   `k0`–`k7`; then the caller-saved general-purpose registers (`rax`, `rcx`,
//!   `rdx`, `rsi`, `rdi`, `r8`–`r11`).
//! - aarch64: the NEON registers `v0`–`v31` (which also zeroes the upper bits
//!   of SVE `z` registers) and `x0`–`x17`.
//! - Other architectures, and Miri (which cannot run inline assembly): nothing.
//!
//! Callee-saved general-purpose registers (`rbx`, `rbp`, `r12`–`r15` on
//! x86-64, `x19`–`x28` on aarch64) are not cleared: every function restores
//! them before it returns, so after a call they hold the caller's own values.
//! On Windows x64 `xmm6`–`xmm15`, and on aarch64 the low halves of `v8`–`v15`,
//! are callee-saved in the same way: the compiler restores the caller's values
//! when [`clear`] returns.
//!
//! Unoptimised builds also leave keystream blocks and key words on the stack,
//! below the frame of the call that used them, where a core dump shows them
//! later. [`scrub`] runs the cipher and key code in a frame of its own, then
//! zeroes the stack below and the registers.
//!
//! [`ClearOnDrop`] runs [`clear`] when a scope ends (on every return path, and on
//! unwinding). The crate puts one at the start of every call that opens,
//! seals or reads secret bytes: the accessors of
//! [`GuardedRegion`](super::GuardedRegion), the public calls of
//! [`crate::secret`], and the calls of [`crate::stream`] that move plaintext.
//! [`scrub`] wraps each seal and open, the process key's recombination and
//! the spill file's cipher. Nothing else (the framing, checksums, the core
//! crate) pays for it.

/// Bytes of stack below its caller that [`scrub`] overwrites: more than the
/// cipher, SHA-256 and key handling use, also in unoptimised builds (the test
/// below finds keystream left on the stack of a debug build without it).
const STACK_WIPE: usize = 16 << 10;

/// Runs `f` (code that handles keys, plaintext or keystream), then zeroes
/// the [`STACK_WIPE`] bytes of stack below this call, where `f` and
/// everything it called had their frames, and the registers ([`clear`]).
///
/// `f` runs in a frame of its own (never inlined here), so nothing it left
/// lies in the caller's frame, above the wiped area.
pub(crate) fn scrub<R>(f: impl FnOnce() -> R) -> R {
    let r = run_below(f);
    wipe_stack();
    clear();
    r
}

#[inline(never)]
fn run_below<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Overwrites the stack below the caller with zeros.
#[inline(never)]
fn wipe_stack() {
    #[cfg(test)]
    if test_switch::is_off() {
        return;
    }
    let mut below = [0u8; STACK_WIPE];
    // The zeros must really be written: `black_box` may read them.
    std::hint::black_box(&mut below);
}

/// Zeroes the registers on drop; see the [module docs](self).
pub(crate) struct ClearOnDrop;

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        clear();
    }
}

/// Zeroes the vector registers and the caller-saved general-purpose ones
/// (see the [module docs](self)).
#[inline(never)]
pub(crate) fn clear() {
    #[cfg(test)]
    if test_switch::is_off() {
        return;
    }
    imp::clear();
}

/// Test builds only: turns the clearing off in a child process, to show that
/// the register test finds the secret then.
#[cfg(test)]
pub(crate) mod test_switch {
    use std::sync::atomic::{AtomicBool, Ordering};

    static OFF: AtomicBool = AtomicBool::new(false);

    #[cfg(all(target_os = "linux", target_arch = "x86_64", not(miri)))]
    pub(crate) fn turn_off() {
        OFF.store(true, Ordering::Relaxed);
    }

    pub(super) fn is_off() -> bool {
        OFF.load(Ordering::Relaxed)
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
mod imp {
    use std::arch::asm;

    pub(super) fn clear() {
        if std::arch::is_x86_feature_detected!("avx512f") {
            if std::arch::is_x86_feature_detected!("avx512vl") {
                // SAFETY: the CPU and the OS support AVX-512F and VL (checked
                // just now).
                unsafe { avx512vl() };
            } else {
                // SAFETY: the CPU and the OS support AVX-512F.
                unsafe { avx512f() };
            }
        } else if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU and the OS support AVX.
            unsafe { avx() };
        } else {
            sse();
        }
        general_purpose();
    }

    fn sse() {
        // SAFETY: writes only the registers declared as outputs (SSE2 is part
        // of x86-64); touches no memory, no stack and no flags.
        unsafe {
            asm!(
                "xorps xmm0, xmm0",
                "xorps xmm1, xmm1",
                "xorps xmm2, xmm2",
                "xorps xmm3, xmm3",
                "xorps xmm4, xmm4",
                "xorps xmm5, xmm5",
                "xorps xmm6, xmm6",
                "xorps xmm7, xmm7",
                "xorps xmm8, xmm8",
                "xorps xmm9, xmm9",
                "xorps xmm10, xmm10",
                "xorps xmm11, xmm11",
                "xorps xmm12, xmm12",
                "xorps xmm13, xmm13",
                "xorps xmm14, xmm14",
                "xorps xmm15, xmm15",
                out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
                out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
                out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
                out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
                options(nomem, nostack, preserves_flags),
            );
        }
    }

    /// # Safety
    /// The CPU and the OS must support AVX.
    #[target_feature(enable = "avx")]
    unsafe fn avx() {
        // SAFETY: `vzeroall` writes exactly ymm0-ymm15, all declared as
        // outputs; AVX is supported (caller's contract); no memory, stack or
        // flags are touched.
        unsafe {
            asm!(
                "vzeroall",
                out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
                out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
                out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
                out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
                options(nomem, nostack, preserves_flags),
            );
        }
    }

    /// # Safety
    /// The CPU and the OS must support AVX-512F and AVX-512VL.
    #[target_feature(enable = "avx512f,avx512vl")]
    unsafe fn avx512vl() {
        // SAFETY: `vzeroall` zeroes zmm0-zmm15; the 128-bit EVEX `vpxord`
        // zeroes all 512 bits of each of zmm16-zmm31 (without a 512-bit
        // operation); `kxorw` zeroes the whole of each mask register. All are
        // declared as outputs; the features are supported (caller's
        // contract); no memory, stack or flags are touched.
        unsafe {
            asm!(
                "vzeroall",
                "vpxord xmm16, xmm16, xmm16",
                "vpxord xmm17, xmm17, xmm17",
                "vpxord xmm18, xmm18, xmm18",
                "vpxord xmm19, xmm19, xmm19",
                "vpxord xmm20, xmm20, xmm20",
                "vpxord xmm21, xmm21, xmm21",
                "vpxord xmm22, xmm22, xmm22",
                "vpxord xmm23, xmm23, xmm23",
                "vpxord xmm24, xmm24, xmm24",
                "vpxord xmm25, xmm25, xmm25",
                "vpxord xmm26, xmm26, xmm26",
                "vpxord xmm27, xmm27, xmm27",
                "vpxord xmm28, xmm28, xmm28",
                "vpxord xmm29, xmm29, xmm29",
                "vpxord xmm30, xmm30, xmm30",
                "vpxord xmm31, xmm31, xmm31",
                "kxorw k0, k0, k0",
                "kxorw k1, k1, k1",
                "kxorw k2, k2, k2",
                "kxorw k3, k3, k3",
                "kxorw k4, k4, k4",
                "kxorw k5, k5, k5",
                "kxorw k6, k6, k6",
                "kxorw k7, k7, k7",
                out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
                out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
                out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
                out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
                out("k0") _, out("k1") _, out("k2") _, out("k3") _,
                out("k4") _, out("k5") _, out("k6") _, out("k7") _,
                options(nomem, nostack, preserves_flags),
            );
        }
    }

    /// # Safety
    /// The CPU and the OS must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    unsafe fn avx512f() {
        // SAFETY: as in `avx512vl`, with the 512-bit form of `vpxord` (no VL
        // on this CPU).
        unsafe {
            asm!(
                "vzeroall",
                "vpxord zmm16, zmm16, zmm16",
                "vpxord zmm17, zmm17, zmm17",
                "vpxord zmm18, zmm18, zmm18",
                "vpxord zmm19, zmm19, zmm19",
                "vpxord zmm20, zmm20, zmm20",
                "vpxord zmm21, zmm21, zmm21",
                "vpxord zmm22, zmm22, zmm22",
                "vpxord zmm23, zmm23, zmm23",
                "vpxord zmm24, zmm24, zmm24",
                "vpxord zmm25, zmm25, zmm25",
                "vpxord zmm26, zmm26, zmm26",
                "vpxord zmm27, zmm27, zmm27",
                "vpxord zmm28, zmm28, zmm28",
                "vpxord zmm29, zmm29, zmm29",
                "vpxord zmm30, zmm30, zmm30",
                "vpxord zmm31, zmm31, zmm31",
                "kxorw k0, k0, k0",
                "kxorw k1, k1, k1",
                "kxorw k2, k2, k2",
                "kxorw k3, k3, k3",
                "kxorw k4, k4, k4",
                "kxorw k5, k5, k5",
                "kxorw k6, k6, k6",
                "kxorw k7, k7, k7",
                out("zmm0") _, out("zmm1") _, out("zmm2") _, out("zmm3") _,
                out("zmm4") _, out("zmm5") _, out("zmm6") _, out("zmm7") _,
                out("zmm8") _, out("zmm9") _, out("zmm10") _, out("zmm11") _,
                out("zmm12") _, out("zmm13") _, out("zmm14") _, out("zmm15") _,
                out("zmm16") _, out("zmm17") _, out("zmm18") _, out("zmm19") _,
                out("zmm20") _, out("zmm21") _, out("zmm22") _, out("zmm23") _,
                out("zmm24") _, out("zmm25") _, out("zmm26") _, out("zmm27") _,
                out("zmm28") _, out("zmm29") _, out("zmm30") _, out("zmm31") _,
                out("k0") _, out("k1") _, out("k2") _, out("k3") _,
                out("k4") _, out("k5") _, out("k6") _, out("k7") _,
                options(nomem, nostack, preserves_flags),
            );
        }
    }

    fn general_purpose() {
        // SAFETY: writes only the registers declared as outputs (the
        // compiler saves any of them it still needs, e.g. rsi and rdi, which
        // are callee-saved on Windows) and the flags; no memory or stack.
        unsafe {
            asm!(
                "xor eax, eax",
                "xor ecx, ecx",
                "xor edx, edx",
                "xor esi, esi",
                "xor edi, edi",
                "xor r8d, r8d",
                "xor r9d, r9d",
                "xor r10d, r10d",
                "xor r11d, r11d",
                out("rax") _, out("rcx") _, out("rdx") _, out("rsi") _,
                out("rdi") _, out("r8") _, out("r9") _, out("r10") _,
                out("r11") _,
                options(nomem, nostack),
            );
        }
    }
}

#[cfg(all(target_arch = "aarch64", not(miri)))]
mod imp {
    use std::arch::asm;

    pub(super) fn clear() {
        // SAFETY: NEON is part of aarch64; writes only the registers declared
        // as outputs (the compiler restores the callee-saved low halves of
        // v8-v15); touches no memory, stack or flags.
        unsafe {
            asm!(
                "movi v0.16b, #0",
                "movi v1.16b, #0",
                "movi v2.16b, #0",
                "movi v3.16b, #0",
                "movi v4.16b, #0",
                "movi v5.16b, #0",
                "movi v6.16b, #0",
                "movi v7.16b, #0",
                "movi v8.16b, #0",
                "movi v9.16b, #0",
                "movi v10.16b, #0",
                "movi v11.16b, #0",
                "movi v12.16b, #0",
                "movi v13.16b, #0",
                "movi v14.16b, #0",
                "movi v15.16b, #0",
                "movi v16.16b, #0",
                "movi v17.16b, #0",
                "movi v18.16b, #0",
                "movi v19.16b, #0",
                "movi v20.16b, #0",
                "movi v21.16b, #0",
                "movi v22.16b, #0",
                "movi v23.16b, #0",
                "movi v24.16b, #0",
                "movi v25.16b, #0",
                "movi v26.16b, #0",
                "movi v27.16b, #0",
                "movi v28.16b, #0",
                "movi v29.16b, #0",
                "movi v30.16b, #0",
                "movi v31.16b, #0",
                out("v0") _, out("v1") _, out("v2") _, out("v3") _,
                out("v4") _, out("v5") _, out("v6") _, out("v7") _,
                out("v8") _, out("v9") _, out("v10") _, out("v11") _,
                out("v12") _, out("v13") _, out("v14") _, out("v15") _,
                out("v16") _, out("v17") _, out("v18") _, out("v19") _,
                out("v20") _, out("v21") _, out("v22") _, out("v23") _,
                out("v24") _, out("v25") _, out("v26") _, out("v27") _,
                out("v28") _, out("v29") _, out("v30") _, out("v31") _,
                options(nomem, nostack, preserves_flags),
            );
        }
        // SAFETY: writes only the caller-saved registers declared as
        // outputs (x18, the platform register, is left alone); no memory,
        // stack or flags.
        unsafe {
            asm!(
                "mov x0, xzr",
                "mov x1, xzr",
                "mov x2, xzr",
                "mov x3, xzr",
                "mov x4, xzr",
                "mov x5, xzr",
                "mov x6, xzr",
                "mov x7, xzr",
                "mov x8, xzr",
                "mov x9, xzr",
                "mov x10, xzr",
                "mov x11, xzr",
                "mov x12, xzr",
                "mov x13, xzr",
                "mov x14, xzr",
                "mov x15, xzr",
                "mov x16, xzr",
                "mov x17, xzr",
                out("x0") _, out("x1") _, out("x2") _, out("x3") _,
                out("x4") _, out("x5") _, out("x6") _, out("x7") _,
                out("x8") _, out("x9") _, out("x10") _, out("x11") _,
                out("x12") _, out("x13") _, out("x14") _, out("x15") _,
                out("x16") _, out("x17") _,
                options(nomem, nostack, preserves_flags),
            );
        }
    }
}

#[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
mod imp {
    /// No register clearing for this architecture (or under Miri).
    pub(super) fn clear() {}
}

#[cfg(all(test, target_os = "linux", target_arch = "x86_64", not(miri)))]
mod tests;
