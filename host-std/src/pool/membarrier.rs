//! The heavy side of an asymmetric fence, for the per-thread rows of
//! [`BufferPool`](super::BufferPool).
//!
//! A row's own thread runs a store-then-load handshake with any thread that
//! drains the rows ([`super::rows`]). The usual way to order a store before
//! a later load of another location is a full fence on both sides; a thread
//! using its row thousands of times for each drain would pay most of them.
//! On Linux, `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` makes every
//! running thread of the process execute a full memory barrier before the
//! call returns (threads not running pass one when they are switched back
//! in), so the common side needs only a compiler fence and the rare side
//! pays for both. Where it is not available (other systems, kernels before
//! 4.14, seccomp filters, Miri), [`Fences::Symmetric`] puts a full fence
//! on both sides, which is what the atomic read-modify-write operations of
//! a slot would cost anyway.

use std::sync::OnceLock;
use std::sync::atomic::{Ordering, compiler_fence, fence};

/// Which fences the two sides of the rows' handshake use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fences {
    /// Light side: a compiler fence; heavy side: `membarrier`.
    Asymmetric,
    /// A full fence on both sides.
    Symmetric,
}

impl Fences {
    /// The best the process has: asymmetric once the process is registered
    /// for expedited private `membarrier`, else symmetric.
    pub(super) fn detect() -> Self {
        static DETECTED: OnceLock<Fences> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            if sys::register() {
                Self::Asymmetric
            } else {
                Self::Symmetric
            }
        })
    }

    /// The fence of the frequent side: orders its earlier stores before its
    /// later loads, given that the other side runs [`heavy`](Self::heavy)
    /// between its store and its load.
    #[inline]
    pub(super) fn light(self) {
        match self {
            Self::Asymmetric => compiler_fence(Ordering::SeqCst),
            Self::Symmetric => fence(Ordering::SeqCst),
        }
    }

    /// The fence of the rare side.
    ///
    /// # Panics
    /// If `membarrier` fails after the process registered for it (the
    /// kernel documents no such failure; going on would let the two sides
    /// of the handshake miss each other).
    pub(super) fn heavy(self) {
        match self {
            Self::Asymmetric => {
                fence(Ordering::SeqCst);
                assert!(
                    sys::barrier(),
                    "membarrier failed after the process registered for it"
                );
                fence(Ordering::SeqCst);
            }
            Self::Symmetric => fence(Ordering::SeqCst),
        }
    }
}

#[cfg(all(target_os = "linux", not(miri)))]
mod sys {
    // `membarrier` has no wrapper in the libc crate; it is called through
    // `syscall`, which is `unsafe` as every foreign function is.
    #![allow(unsafe_code)]

    use libc::{
        MEMBARRIER_CMD_GLOBAL, MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_QUERY,
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, SYS_membarrier, c_int, c_long,
    };

    fn membarrier(cmd: c_int) -> c_long {
        let flags: c_int = 0;
        let cpu_id: c_int = 0;
        // SAFETY: `membarrier(cmd, flags, cpu_id)` takes three integers and
        // touches no memory of the caller; an unknown or unsupported command
        // is refused with -1 and `errno`.
        unsafe { libc::syscall(SYS_membarrier, cmd, flags, cpu_id) }
    }

    /// Whether the kernel offers expedited private barriers (a seccomp
    /// filter that blocks the call makes the query fail).
    pub(super) fn supported() -> bool {
        let supported = membarrier(MEMBARRIER_CMD_QUERY);
        let needed = c_long::from(
            MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
        );
        supported >= 0 && supported & needed == needed
    }

    /// Registers the process for expedited private barriers; true on
    /// success.
    pub(super) fn register() -> bool {
        supported() && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
    }

    /// A full barrier on every running thread of the process; true on
    /// success.
    pub(super) fn barrier() -> bool {
        if membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0 {
            return true;
        }
        // Registration is per address space: register again (in a forked
        // child, say) and retry; the global command, slower, also does.
        (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
            && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
            || membarrier(MEMBARRIER_CMD_GLOBAL) == 0
    }
}

#[cfg(not(all(target_os = "linux", not(miri))))]
mod sys {
    #[cfg(test)]
    pub(super) fn supported() -> bool {
        false
    }

    pub(super) fn register() -> bool {
        false
    }

    pub(super) fn barrier() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_registers_for_the_asymmetric_fence() {
        let fences = Fences::detect();
        // Linux has had expedited private barriers since 4.14; a sandbox may
        // block the call, and then (as elsewhere, and under Miri) the
        // symmetric fences must be chosen.
        if sys::supported() {
            assert_eq!(
                fences,
                Fences::Asymmetric,
                "membarrier offered but not used"
            );
        } else {
            assert_eq!(fences, Fences::Symmetric);
        }
        // Both sides run without failing.
        fences.light();
        fences.heavy();
        assert_eq!(Fences::detect(), fences, "detected once");
    }
}
