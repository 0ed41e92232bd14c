//! What the user sees while and after a command runs: a labelled progress bar on
//! stderr (only when stderr is a terminal and `-q` is off; for stdin too, with bytes and
//! rate), fitting 80 columns, and the one-line summary (in, out, ratio, MB/s).

use std::io::{self, IsTerminal, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{BinaryBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::signals;

/// Files at least this large get a progress bar (stdin, of unknown size, always does).
const PROGRESS_MIN: u64 = 32 * 1024 * 1024;

/// Bar with a known total: at most 16 + 1 + 14 + 1 + 23 + 1 + 13 + 1 + 8 = 78 columns.
const KNOWN: &str = "{prefix:16!} {bar:14} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta_precise}";
/// Unknown total (stdin): bytes so far, rate and time.
const UNKNOWN: &str =
    "{prefix:16!} {spinner} {binary_bytes} {binary_bytes_per_sec} {elapsed_precise}";

/// How much the user wants to hear (`-q`, `-v`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// A progress bar (maybe hidden) and the start time of the work.
pub(crate) struct Progress {
    bar: ProgressBar,
    start: Instant,
    done: AtomicU64,
}

impl Progress {
    /// A bar labelled `label` for `total` bytes (`None`: unknown, as for stdin).
    pub(crate) fn new(label: &str, total: Option<u64>, v: Verbosity) -> Self {
        let wanted = v > Verbosity::Quiet
            && io::stderr().is_terminal()
            && total.is_none_or(|t| t >= PROGRESS_MIN);
        let bar = if wanted {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            let template = if total.is_some() { KNOWN } else { UNKNOWN };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.set_prefix(label.to_owned());
            bar.enable_steady_tick(Duration::from_millis(200));
            signals::set_progress(true);
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            bar,
            start: Instant::now(),
            done: AtomicU64::new(0),
        }
    }

    /// `n` more bytes done.
    pub(crate) fn inc(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        self.bar.inc(n);
    }

    /// Bytes done so far.
    pub(crate) fn done(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    /// Seconds since the start.
    pub(crate) fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        signals::set_progress(false);
    }
}

/// A reader that counts what it reads into a [`Progress`].
pub(crate) struct Counted<'p, R> {
    inner: R,
    progress: &'p Progress,
}

impl<'p, R: Read> Counted<'p, R> {
    pub(crate) fn new(inner: R, progress: &'p Progress) -> Self {
        Self { inner, progress }
    }
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// The one-line summary: `NAME: IN -> OUT (RATIO%), SECS s, MB/s`, where MB/s counts
/// the plaintext (`plain` bytes) and the ratio is out / in.
pub(crate) fn summary(label: &str, input: u64, output: u64, plain: u64, secs: f64) -> String {
    let ratio = if input == 0 {
        100.0
    } else {
        output as f64 * 100.0 / input as f64
    };
    let rate = if secs > 0.0 {
        plain as f64 / 1e6 / secs
    } else {
        0.0
    };
    format!(
        "{label}: {} -> {} ({ratio:.2}%), {secs:.2} s, {rate:.1} MB/s",
        BinaryBytes(input),
        BinaryBytes(output)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line() {
        let s = summary("f -> f.sst", 2 << 20, 1 << 20, 2 << 20, 0.5);
        assert_eq!(
            s,
            "f -> f.sst: 2.00 MiB -> 1.00 MiB (50.00%), 0.50 s, 4.2 MB/s"
        );
        assert!(summary("e", 0, 40, 0, 0.0).contains("(100.00%)"));
        for t in [KNOWN, UNKNOWN] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }
}
