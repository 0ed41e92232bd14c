//! Operating-system calls behind [`GuardedRegion`](super::GuardedRegion), one
//! module per platform with the same functions: `page_size`, `map`,
//! `protect`, `lock`, `unlock`, `advise` and `unmap`.

#[cfg(miri)]
mod miri;
#[cfg(all(unix, not(miri)))]
mod unix;
#[cfg(all(windows, not(miri)))]
mod windows;

#[cfg(miri)]
pub(super) use miri::*;
#[cfg(all(unix, not(miri)))]
pub(super) use unix::*;
#[cfg(all(windows, not(miri)))]
pub(super) use windows::*;
