//! [`RegionPool`]: guarded, locked secret regions kept between uses.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use zeroize::Zeroize;

use super::lock;
use crate::secret_memory::{self, Access, GuardedRegion, LockPolicy};

/// Regions of one length, kept mapped and locked between uses.
///
/// A fresh [`GuardedRegion`] costs `mmap` + `mlock` + several `mprotect`s. A
/// pooled region costs none of those: with [`Access::Scoped`] (the default of
/// [`new`](Self::new): no access outside `read`/`write`) it costs the two
/// `mprotect`s of each access and two more for the wipe when it comes back;
/// with [`Access::Open`] ([`open`](Self::open), the regions stay readable
/// and writable, as `sodium_malloc`'s do) no system call at all. Which to
/// pick: `docs/threat-model.md`; the costs: `BENCHMARKS.md`.
///
/// A returned region is wiped (all of it) before it is listed; a region that
/// cannot be wiped (it was purged by
/// [`purge_all`](crate::secret_memory::purge_all), or the protection
/// change failed) is freed instead. At most `max_idle` regions are kept.
///
/// ```
/// use secstream::pool::RegionPool;
///
/// let pool = RegionPool::new(32, 8);
/// let mut key = pool.acquire()?;
/// key.write(|bytes| bytes.copy_from_slice(&[7; 32]))?;
/// assert_eq!(key.read(|bytes| bytes[0])?, 7);
/// drop(key); // wiped, kept locked for the next secret
///
/// let next = pool.acquire()?;
/// assert_eq!(next.read(|bytes| bytes.iter().all(|&b| b == 0))?, true);
/// assert_eq!(pool.stats().hits, 1);
/// # Ok::<(), secstream::secret_memory::Error>(())
/// ```
///
/// Cloning gives another handle to the same regions; `Debug` shows sizes and
/// counts.
#[derive(Clone)]
pub struct RegionPool {
    inner: Arc<RegionInner>,
}

struct RegionInner {
    len: usize,
    policy: LockPolicy,
    access: Access,
    max_idle: usize,
    idle: Mutex<Vec<GuardedRegion>>,
    hits: AtomicU64,
    misses: AtomicU64,
    dropped: AtomicU64,
}

/// Counters of a [`RegionPool`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RegionStats {
    /// Acquires served by an idle region.
    pub hits: u64,
    /// Acquires that mapped a new region.
    pub misses: u64,
    /// Returned regions freed: over `max_idle`, or not wipeable.
    pub dropped: u64,
    /// Regions idle now.
    pub idle: usize,
}

impl RegionPool {
    /// A pool of `len`-byte regions under the default [`LockPolicy`],
    /// keeping at most `max_idle` idle.
    #[must_use]
    pub fn new(len: usize, max_idle: usize) -> Self {
        Self::with_policy(len, max_idle, secret_memory::default_lock_policy())
    }

    /// A pool of `len`-byte regions with [`Access::Open`] pages, under the
    /// default [`LockPolicy`], keeping at most `max_idle` idle: for secrets
    /// used at a high rate, where an `mprotect` per access costs too much.
    #[must_use]
    pub fn open(len: usize, max_idle: usize) -> Self {
        Self::with_access(
            len,
            max_idle,
            secret_memory::default_lock_policy(),
            Access::Open,
        )
    }

    /// As [`new`](Self::new), with a lock policy for the regions it maps.
    #[must_use]
    pub fn with_policy(len: usize, max_idle: usize, policy: LockPolicy) -> Self {
        Self::with_access(len, max_idle, policy, Access::Scoped)
    }

    /// A pool of `len`-byte regions mapped with `policy` and `access`.
    #[must_use]
    pub fn with_access(len: usize, max_idle: usize, policy: LockPolicy, access: Access) -> Self {
        Self {
            inner: Arc::new(RegionInner {
                len,
                policy,
                access,
                max_idle,
                idle: Mutex::new(Vec::new()),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
            }),
        }
    }

    /// A zeroed region, idle or new.
    ///
    /// # Errors
    /// As [`GuardedRegion::with_access`] when a new region must be mapped.
    pub fn acquire(&self) -> Result<PooledRegion, secret_memory::Error> {
        let idle = lock(&self.inner.idle).pop();
        let region = match idle {
            Some(region) => {
                self.inner.hits.fetch_add(1, Ordering::Relaxed);
                region
            }
            None => {
                self.inner.misses.fetch_add(1, Ordering::Relaxed);
                GuardedRegion::with_access(self.inner.len, self.inner.policy, self.inner.access)?
            }
        };
        Ok(PooledRegion {
            region: Some(region),
            pool: Arc::clone(&self.inner),
        })
    }

    /// Frees every idle region; returns how many.
    pub fn trim(&self) -> usize {
        let idle = std::mem::take(&mut *lock(&self.inner.idle));
        let n = idle.len();
        drop(idle);
        n
    }

    /// The pool's counters.
    #[must_use]
    pub fn stats(&self) -> RegionStats {
        RegionStats {
            hits: self.inner.hits.load(Ordering::Relaxed),
            misses: self.inner.misses.load(Ordering::Relaxed),
            dropped: self.inner.dropped.load(Ordering::Relaxed),
            idle: lock(&self.inner.idle).len(),
        }
    }
}

impl fmt::Debug for RegionPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionPool")
            .field("len", &self.inner.len)
            .field("access", &self.inner.access)
            .field("max_idle", &self.inner.max_idle)
            .field("stats", &self.stats())
            .finish()
    }
}

/// A region from a [`RegionPool`]; wiped and given back when dropped.
///
/// Not `Clone`; `Debug` shows only the length.
#[must_use = "dropping the region at once gives it back"]
pub struct PooledRegion {
    /// `Some` until drop.
    region: Option<GuardedRegion>,
    pool: Arc<RegionInner>,
}

impl PooledRegion {
    fn region(&self) -> Result<&GuardedRegion, secret_memory::Error> {
        self.region.as_ref().ok_or(secret_memory::Error::Purged)
    }

    /// Length of the bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pool.len
    }

    /// True for a zero-length pool.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pool.len == 0
    }

    /// True when the pages are locked into RAM.
    #[must_use]
    pub fn is_locked(&self) -> bool {
        self.region.as_ref().is_some_and(GuardedRegion::is_locked)
    }

    /// Runs `f` over the bytes; see [`GuardedRegion::read`].
    ///
    /// # Errors
    /// As [`GuardedRegion::read`].
    pub fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R, secret_memory::Error> {
        self.region()?.read(f)
    }

    /// Runs `f` over the bytes, writable; see [`GuardedRegion::write`].
    ///
    /// # Errors
    /// As [`GuardedRegion::write`].
    pub fn write<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> Result<R, secret_memory::Error> {
        self.region
            .as_mut()
            .ok_or(secret_memory::Error::Purged)?
            .write(f)
    }
}

impl Drop for PooledRegion {
    fn drop(&mut self) {
        let Some(mut region) = self.region.take() else {
            return;
        };
        let wiped = region.write(|bytes| bytes.zeroize()).is_ok();
        if wiped {
            let mut idle = lock(&self.pool.idle);
            if idle.len() < self.pool.max_idle {
                idle.push(region);
                return;
            }
        }
        self.pool.dropped.fetch_add(1, Ordering::Relaxed);
        // Dropping checks the canary, wipes again and unmaps.
        drop(region);
    }
}

impl fmt::Debug for PooledRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledRegion")
            .field("len", &self.pool.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_come_back_wiped_and_are_reused() {
        let pool = RegionPool::new(40, 2);
        let mut a = pool.acquire().unwrap();
        let addr = a.region.as_ref().unwrap().addr();
        a.write(|b| b.fill(0xa5)).unwrap();
        drop(a);
        let b = pool.acquire().unwrap();
        assert_eq!(b.region.as_ref().unwrap().addr(), addr);
        assert!(b.read(|bytes| bytes.iter().all(|&x| x == 0)).unwrap());
        assert_eq!(b.len(), 40);
        let s = pool.stats();
        assert_eq!((s.hits, s.misses, s.idle), (1, 1, 0));
    }

    #[test]
    fn open_regions_come_back_wiped_and_stay_open() {
        let pool = RegionPool::open(32, 2);
        let mut a = pool.acquire().unwrap();
        assert_eq!(a.region.as_ref().unwrap().access(), Access::Open);
        let addr = a.region.as_ref().unwrap().addr();
        a.write(|b| b.fill(0x3c)).unwrap();
        drop(a);
        let b = pool.acquire().unwrap();
        assert_eq!(b.region.as_ref().unwrap().addr(), addr);
        assert_eq!(b.region.as_ref().unwrap().access(), Access::Open);
        assert!(b.read(|bytes| bytes.iter().all(|&x| x == 0)).unwrap());
        assert_eq!(pool.stats().hits, 1);
        assert!(format!("{pool:?}").contains("Open"));
    }

    #[test]
    fn at_most_max_idle_are_kept() {
        let pool = RegionPool::new(8, 1);
        let held: Vec<_> = (0..3).map(|_| pool.acquire().unwrap()).collect();
        drop(held);
        let s = pool.stats();
        assert_eq!((s.idle, s.dropped, s.misses), (1, 2, 3));
        assert_eq!(pool.trim(), 1);
        assert_eq!(pool.stats().idle, 0);
    }
}
