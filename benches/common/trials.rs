//! The examples' interleaved timing: every implementation runs a short trial in
//! turn (A B C A B C ...), many times, so that other jobs on a shared machine slow
//! them alike; the minimum and first quartile of the trials are then steady to a
//! few percent, where criterion's medians move by 1.5x.

use std::hint::black_box;
use std::time::Instant;

/// Runs `runners` (each doing `rounds` rounds per call, named by `names`)
/// `trials` times, interleaved, and prints under `title` each one's minimum,
/// first quartile and median time per round, in ns.
pub(crate) fn interleave<R>(
    names: &[&str],
    runners: &mut [Box<dyn FnMut(usize) -> R>],
    rounds: usize,
    trials: usize,
    title: &str,
) {
    let stats = trial_stats(runners, rounds, trials);
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0) + 1;
    println!("{title}");
    println!("{:width$} {:>8} {:>8} {:>8}", "", "min", "p25", "median");
    for (name, [min, p25, median]) in names.iter().zip(stats) {
        println!("{name:width$} {min:8.1} {p25:8.1} {median:8.1}");
    }
}

/// Runs `runners` `trials` times, interleaved, `rounds` rounds per call, and
/// returns each one's minimum, first quartile and median time per round, in ns.
pub(crate) fn trial_stats<R>(
    runners: &mut [Box<dyn FnMut(usize) -> R>],
    rounds: usize,
    trials: usize,
) -> Vec<[f64; 3]> {
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(trials); runners.len()];
    for _ in 0..trials.max(1) {
        for (run, t) in runners.iter_mut().zip(&mut times) {
            let start = Instant::now();
            black_box(run(rounds));
            t.push(start.elapsed().as_secs_f64() * 1e9 / rounds.max(1) as f64);
        }
    }
    times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            [t[0], t[t.len() / 4], t[t.len() / 2]]
        })
        .collect()
}
