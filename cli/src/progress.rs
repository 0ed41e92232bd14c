//! What the user sees while and after a command runs: a labelled progress bar on
//! stderr (only when stderr is a terminal and `-q` is off; for stdin too, with bytes and
//! rate), fitting 80 columns, and the one-line summary (in, out, ratio, MB/s).
//!
//! The numbers (bytes done and total, rate, time left) come from the library's
//! [`secstream::progress::Progress`]; indicatif only draws them.

use std::io::{self, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{BinaryBytes, ProgressBar, ProgressDrawTarget, ProgressStyle};
use secstream::progress::{self as lib, ProgressReader, Snapshot};

use crate::signals;

/// Files at least this large get a progress bar (stdin, of unknown size, always does).
const PROGRESS_MIN: u64 = 32 * 1024 * 1024;
/// Columns of the label and of the bar in the templates; [`status`] takes at most 49
/// more (a test checks the sum stays within 80).
#[cfg(test)]
const LABEL: usize = 16;
#[cfg(test)]
const BAR: usize = 12;
const KNOWN: &str = "{prefix:16!} {bar:12} {msg}";
const UNKNOWN: &str = "{prefix:16!} {spinner} {msg}";
/// How often the bar is redrawn.
const EVERY: Duration = Duration::from_millis(200);

/// How much the user wants to hear (`-q`, `-v`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// The work's progress, and a bar on stderr showing it (maybe hidden).
pub(crate) struct Progress {
    inner: Arc<lib::Progress>,
    bar: ProgressBar,
}

impl Progress {
    /// Progress of `total` bytes (`None`: unknown, as for stdin), labelled `label`.
    pub(crate) fn new(label: &str, total: Option<u64>, v: Verbosity) -> Self {
        let wanted = v > Verbosity::Quiet
            && io::stderr().is_terminal()
            && total.is_none_or(|t| t >= PROGRESS_MIN);
        let inner = lib::Progress::new(total);
        if !wanted {
            return Self {
                inner: Arc::new(inner),
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        let template = if total.is_some() { KNOWN } else { UNKNOWN };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_prefix(label.to_owned());
        bar.set_message(status(&inner.snapshot()));
        bar.enable_steady_tick(EVERY);
        signals::set_progress(true);
        let shown = bar.clone();
        let inner = inner.on_update(EVERY, move |s| {
            shown.set_position(s.done);
            shown.set_message(status(s));
        });
        Self {
            inner: Arc::new(inner),
            bar,
        }
    }

    /// `r`, counting what is read from it.
    pub(crate) fn reader<R>(&self, r: R) -> ProgressReader<R> {
        ProgressReader::new(r, Arc::clone(&self.inner))
    }

    /// Counts `n` more bytes.
    pub(crate) fn add(&self, n: u64) {
        self.inner.add(n);
    }

    /// The last snapshot (for the summary); clears the bar.
    pub(crate) fn finish(&self) -> Snapshot {
        let s = self.inner.finish();
        self.bar.finish_and_clear();
        s
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
        signals::set_progress(false);
    }
}

/// `h:mm:ss`, at most `99:59:59`.
fn clock(d: Duration) -> String {
    let s = d.as_secs().min(99 * 3600 + 59 * 60 + 59);
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The bar's text: done/total, rate and time left (or, with no total, done, rate
/// and time so far); at most 49 columns.
fn status(s: &Snapshot) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rate to show, clamped to u64"
    )]
    let rate = s.rate().map_or_else(
        || "-".to_owned(),
        |r| format!("{}/s", BinaryBytes(r as u64)),
    );
    match s.total {
        Some(total) => format!(
            "{}/{} {rate} eta {}",
            BinaryBytes(s.done),
            BinaryBytes(total),
            s.eta().map_or_else(|| "-:--:--".to_owned(), clock)
        ),
        None => format!("{} {rate} {}", BinaryBytes(s.done), clock(s.elapsed)),
    }
}

/// The one-line summary: `NAME: IN -> OUT (RATIO%), SECS s, MB/s`, where MB/s counts
/// the plaintext (`plain` bytes) and the ratio is out / in.
#[allow(clippy::cast_precision_loss, reason = "figures to show")]
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

    #[test]
    fn the_bar_fits_80_columns() {
        let s = Snapshot {
            done: 3 << 20,
            total: Some(12 << 20),
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(status(&s), "3.00 MiB/12.00 MiB 1.50 MiB/s eta 0:00:06");
        let none = Snapshot { total: None, ..s };
        assert_eq!(status(&none), "3.00 MiB 1.50 MiB/s 0:00:02");
        // The widest figures: 1023.99 of a unit, a rate as wide, the longest times.
        let wide = Snapshot {
            done: 1_099_500_000_000,
            total: Some(1_099_510_000_000),
            elapsed: Duration::from_secs(1_073),
        };
        let worst = [
            status(&wide),
            status(&Snapshot {
                elapsed: Duration::from_secs(400_000),
                ..wide
            }),
            status(&Snapshot { done: 1, ..wide }),
            status(&Snapshot {
                total: None,
                ..wide
            }),
        ];
        for w in worst {
            assert!(LABEL + 1 + BAR + 1 + w.chars().count() <= 80, "{w}");
        }
        assert_eq!(clock(Duration::from_secs(3_600 * 200)), "99:59:59");
    }
}
