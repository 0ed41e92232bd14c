//! Progress of long work: bytes done and total, rate and time left, with an
//! injectable [`Clock`] so tests can drive time.
//!
//! A [`Progress`] is shared (`Arc`) between the code doing the work, which
//! calls [`add`](Progress::add) (or reads and writes through
//! [`ProgressReader`] / [`ProgressWriter`]), and whoever shows it: by polling
//! [`snapshot`](Progress::snapshot), or through a callback given to
//! [`on_update`](Progress::on_update), called from `add` at most once per
//! interval and once more by [`finish`](Progress::finish).
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use secstream::progress::{ManualClock, Progress};
//!
//! let clock = Arc::new(ManualClock::new());
//! let p = Progress::with_clock(Some(1000), clock.clone());
//! clock.advance(Duration::from_secs(2));
//! p.add(250);
//! let s = p.snapshot();
//! assert_eq!(s.rate(), Some(125.0)); // bytes per second since the start
//! assert_eq!(s.eta(), Some(Duration::from_secs(6)));
//! assert_eq!(s.fraction(), Some(0.25));
//! ```

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use crate::pool::{Clock, ManualClock, SystemClock};

/// A callback shown each [`Snapshot`].
type Callback = Box<dyn FnMut(&Snapshot) + Send>;

struct Reporter {
    every: Duration,
    last: Duration,
    f: Callback,
}

/// Bytes done of a piece of work, against a clock; thread-safe.
pub struct Progress {
    clock: Arc<dyn Clock>,
    start: Duration,
    done: AtomicU64,
    /// `u64::MAX`: unknown.
    total: AtomicU64,
    reporter: Mutex<Option<Reporter>>,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("snapshot", &self.snapshot())
            .finish_non_exhaustive()
    }
}

/// What a [`Progress`] stood at, at one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Bytes done.
    pub done: u64,
    /// Bytes in all, if known.
    pub total: Option<u64>,
    /// Time since the work started.
    pub elapsed: Duration,
}

impl Snapshot {
    /// Bytes per second since the start; `None` before any time has passed.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "a rate to show: 2^53 bytes per second is plenty"
    )]
    pub fn rate(&self) -> Option<f64> {
        let secs = self.elapsed.as_secs_f64();
        (secs > 0.0).then(|| self.done as f64 / secs)
    }

    /// Time left at the rate so far: `elapsed * (total - done) / done`
    /// (exact to the nanosecond); `None` with an unknown total or nothing done
    /// yet, zero once done reaches the total.
    #[must_use]
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        let left = total.saturating_sub(self.done);
        if left == 0 {
            return Some(Duration::ZERO);
        }
        if self.done == 0 {
            return None;
        }
        // Saturates (an ETA of centuries) rather than overflow.
        let nanos = self
            .elapsed
            .as_nanos()
            .checked_mul(u128::from(left))
            .map_or(u128::MAX, |p| p / u128::from(self.done));
        let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
        #[allow(clippy::cast_possible_truncation, reason = "below 10^9")]
        let sub = (nanos % 1_000_000_000) as u32;
        Some(Duration::new(secs, sub))
    }

    /// Share of the total done, 0.0 to 1.0 (an empty total is done); `None`
    /// with an unknown total.
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "a share to show")]
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total?;
        if total == 0 {
            return Some(1.0);
        }
        Some((self.done.min(total) as f64) / total as f64)
    }
}

impl Progress {
    /// Progress on the system clock, starting now; `total` bytes if known.
    #[must_use]
    pub fn new(total: Option<u64>) -> Self {
        Self::with_clock(total, Arc::new(SystemClock::new()))
    }

    /// Progress on `clock`, starting at its current time.
    #[must_use]
    pub fn with_clock(total: Option<u64>, clock: Arc<dyn Clock>) -> Self {
        let start = clock.now();
        Self {
            clock,
            start,
            done: AtomicU64::new(0),
            total: AtomicU64::new(total.unwrap_or(u64::MAX)),
            reporter: Mutex::new(None),
        }
    }

    /// Calls `f` with a snapshot from [`add`](Self::add) when at least
    /// `every` has passed since the last call (the first after `every` from
    /// the start), and from [`finish`](Self::finish). `f` runs on the thread
    /// that adds; while it runs, other threads' adds do not wait for it.
    #[must_use]
    pub fn on_update(self, every: Duration, f: impl FnMut(&Snapshot) + Send + 'static) -> Self {
        *self.reporter.lock().unwrap_or_else(PoisonError::into_inner) = Some(Reporter {
            every,
            last: self.start,
            f: Box::new(f),
        });
        self
    }

    /// Sets the total (`None`: unknown).
    pub fn set_total(&self, total: Option<u64>) {
        self.total
            .store(total.unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Counts `n` more bytes done (saturating at `u64::MAX` rather than
    /// wrapping back to a small count).
    pub fn add(&self, n: u64) {
        // Never fails: the closure always returns `Some`.
        let _ = self
            .done
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| {
                Some(d.saturating_add(n))
            });
        if let Ok(mut r) = self.reporter.try_lock()
            && let Some(rep) = r.as_mut()
        {
            let now = self.clock.now();
            if now.saturating_sub(rep.last) >= rep.every {
                rep.last = now;
                let s = self.snapshot_at(now);
                (rep.f)(&s);
            }
        }
    }

    /// Bytes done.
    #[must_use]
    pub fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Where the work stands now.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_at(self.clock.now())
    }

    fn snapshot_at(&self, now: Duration) -> Snapshot {
        let total = self.total.load(Ordering::Relaxed);
        Snapshot {
            done: self.done(),
            total: (total != u64::MAX).then_some(total),
            elapsed: now.saturating_sub(self.start),
        }
    }

    /// The last snapshot, also given to the [`on_update`](Self::on_update)
    /// callback (waiting for a call in progress).
    pub fn finish(&self) -> Snapshot {
        let s = self.snapshot();
        let mut r = self.reporter.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(rep) = r.as_mut() {
            (rep.f)(&s);
        }
        s
    }
}

/// A [`Read`] (and [`BufRead`]) that counts the bytes read into a [`Progress`].
#[derive(Debug)]
pub struct ProgressReader<R> {
    inner: R,
    progress: Arc<Progress>,
}

impl<R> ProgressReader<R> {
    /// Counts what is read from `inner` into `progress`.
    pub const fn new(inner: R, progress: Arc<Progress>) -> Self {
        Self { inner, progress }
    }

    /// The progress.
    #[must_use]
    pub const fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for ProgressReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.progress.add(amt as u64);
    }
}

/// A [`Write`] that counts the bytes written into a [`Progress`].
#[derive(Debug)]
pub struct ProgressWriter<W> {
    inner: W,
    progress: Arc<Progress>,
}

impl<W> ProgressWriter<W> {
    /// Counts what is written to `inner` into `progress`.
    pub const fn new(inner: W, progress: Arc<Progress>) -> Self {
        Self { inner, progress }
    }

    /// The progress.
    #[must_use]
    pub const fn progress(&self) -> &Arc<Progress> {
        &self.progress
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for ProgressWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_saturates_instead_of_wrapping_and_huge_values_give_sane_math() {
        let clock = Arc::new(ManualClock::new());
        let p = Progress::with_clock(Some(u64::MAX - 1), clock.clone());
        clock.advance(Duration::from_secs(u64::MAX / 4));
        p.add(1);
        // ETA of centuries: saturates, no overflow panic.
        let s = p.snapshot();
        assert!(s.eta().is_some_and(|d| d.as_secs() > 1 << 60), "{s:?}");
        assert!(s.rate().is_some_and(|r| r >= 0.0));
        p.add(u64::MAX - 2);
        assert_eq!(p.done(), u64::MAX - 1);
        p.add(10);
        assert_eq!(p.done(), u64::MAX, "saturated, not wrapped to 8");
        let s = p.snapshot();
        assert_eq!(s.eta(), Some(Duration::ZERO));
        assert_eq!(s.fraction(), Some(1.0));
        // Zero total, zero time.
        let z = Progress::with_clock(Some(0), Arc::new(ManualClock::new()));
        let s = z.snapshot();
        assert_eq!(
            (s.rate(), s.eta(), s.fraction()),
            (None, Some(Duration::ZERO), Some(1.0))
        );
    }

    #[test]
    fn a_constant_rate_gives_an_exact_rate_and_eta() {
        let clock = Arc::new(ManualClock::new());
        clock.advance(Duration::from_secs(100)); // the start need not be 0
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let p = Arc::new(
            Progress::with_clock(Some(10_000_000), clock.clone())
                .on_update(Duration::from_millis(250), move |s| {
                    log.lock().unwrap().push(*s)
                }),
        );
        assert_eq!(p.snapshot().eta(), None, "nothing done yet");
        assert_eq!(p.snapshot().rate(), None, "no time passed yet");
        // 10 MB/s: 1 MB every 100 ms, through a writer.
        let mut w = ProgressWriter::new(io::sink(), Arc::clone(&p));
        for step in 1..=10u64 {
            clock.advance(Duration::from_millis(100));
            w.write_all(&vec![0u8; 1_000_000]).unwrap();
            let s = p.snapshot();
            assert_eq!(s.done, step * 1_000_000);
            assert_eq!(s.elapsed, Duration::from_millis(100 * step));
            assert_eq!(s.rate(), Some(10_000_000.0));
            assert_eq!(s.eta(), Some(Duration::from_millis(100 * (10 - step))));
        }
        let last = p.finish();
        assert_eq!(last.fraction(), Some(1.0));
        let done: Vec<u64> = seen.lock().unwrap().iter().map(|s| s.done).collect();
        // Every 250 ms or more (at 300, 600, 900 ms), then the final one.
        assert_eq!(done, [3_000_000, 6_000_000, 9_000_000, 10_000_000]);
    }

    #[test]
    fn unknown_totals_odd_rates_and_readers() {
        let clock = Arc::new(ManualClock::new());
        let p = Arc::new(Progress::with_clock(None, clock.clone()));
        let mut r = ProgressReader::new(&[7u8; 1000][..], Arc::clone(&p));
        clock.advance(Duration::from_secs(3));
        let mut buf = Vec::new();
        r.read_to_end(&mut buf).unwrap();
        let s = p.snapshot();
        assert_eq!(
            (s.done, s.total, s.eta(), s.fraction()),
            (1000, None, None, None)
        );
        p.set_total(Some(3000));
        // 1000 bytes in 3 s: 2000 left take 6 s, to the nanosecond.
        assert_eq!(p.snapshot().eta(), Some(Duration::from_secs(6)));
        p.set_total(Some(1001));
        assert_eq!(p.snapshot().eta(), Some(Duration::from_nanos(3_000_000)));
        p.set_total(Some(0));
        assert_eq!(p.snapshot().fraction(), Some(1.0));
        assert_eq!(p.snapshot().eta(), Some(Duration::ZERO));
        // Huge numbers saturate instead of overflowing.
        let s = Snapshot {
            done: 1,
            total: Some(u64::MAX),
            elapsed: Duration::MAX,
        };
        assert_eq!(s.eta().map(|d| d.as_secs()), Some(u64::MAX));
        assert!(s.rate().is_some_and(|r| r > 0.0));
    }
}
