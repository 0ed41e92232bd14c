//! The fuzz steps: a short libFuzzer run of every cargo-fuzz target of the
//! `fuzz/` workspace (one per decoder of the core), after installing
//! `cargo-fuzz` if it is missing.
//!
//! Each target runs for [`SECONDS`] seconds ([`LONG_SECONDS`] with `--long`) from the local corpus
//! (`fuzz/corpus/<target>`, not committed) plus the committed regression inputs
//! (`fuzz/regressions/<target>`, replayed first), so a crash found once stays
//! covered. The fuzz workspace builds with nightly into its own target
//! directory, `fuzz/target`. Longer campaigns: `docs/fuzzing.md`.

use std::fs;
use std::time::Instant;

use crate::{Cmd, Runner, workspace_root};

/// Run time of each target, in seconds.
const SECONDS: u32 = 5;

/// Run time of each target in the long mode (`cargo xtask test --long`).
const LONG_SECONDS: u32 = 300;

/// Installs cargo-fuzz if missing, builds every target and runs each one.
pub(crate) fn fuzz(r: &mut Runner) {
    let fuzz_dir = workspace_root().join("fuzz");
    let target_dir = fuzz_dir.join("target");
    let target_dir = target_dir.to_string_lossy();

    if Cmd::cargo(&["fuzz", "--version"]).output().is_none() {
        let start = Instant::now();
        eprintln!("\n#### fuzz: install cargo-fuzz");
        let ok = crate::cargo_install(&["cargo-fuzz", "--locked"], crate::Build::Debug).run();
        if !r.record("fuzz: install cargo-fuzz", ok, start.elapsed()) {
            return;
        }
    }

    let start = Instant::now();
    let fuzz_dir_arg = fuzz_dir.to_string_lossy();
    let Some(list) = Cmd::cargo(&["fuzz", "list", "--fuzz-dir", &fuzz_dir_arg]).output() else {
        r.record("fuzz: list targets", false, start.elapsed());
        return;
    };
    let targets: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();

    let build = Cmd::cargo(&["+nightly", "fuzz", "build"])
        .env("CARGO_TARGET_DIR", &target_dir)
        .dir(&fuzz_dir);
    if !r.step("fuzz: build targets (nightly, ASan)", vec![build]) {
        return;
    }

    // Run the built binaries directly: `cargo fuzz run` would check (and, while
    // the core is being edited, rebuild) before every target.
    let host = Cmd::new("rustc", &["+nightly", "-vV"])
        .output()
        .and_then(|v| {
            v.lines()
                .find_map(|l| l.strip_prefix("host: "))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "x86_64-unknown-linux-gnu".to_owned());
    let bin_dir = fuzz_dir.join("target").join(host).join("release");
    let seconds = if crate::long_mode() {
        LONG_SECONDS
    } else {
        SECONDS
    };
    let max_time = format!("-max_total_time={seconds}");
    // Leaks that are not ours, each explained in the file.
    let lsan = format!(
        "suppressions={}",
        fuzz_dir.join("lsan-suppressions.txt").display()
    );
    for t in targets {
        let corpus = format!("corpus/{t}");
        let artifacts = format!("artifacts/{t}/");
        // libFuzzer needs these directories to exist; new inputs go to the corpus.
        for d in [&corpus, &artifacts] {
            if let Err(e) = fs::create_dir_all(fuzz_dir.join(d)) {
                eprintln!("cannot create {d}: {e}");
            }
        }
        let prefix = format!("-artifact_prefix={artifacts}");
        let regressions = format!("regressions/{t}");
        let mut args = vec![max_time.as_str(), prefix.as_str(), corpus.as_str()];
        if fuzz_dir.join(&regressions).is_dir() {
            args.push(&regressions);
        }
        let bin = bin_dir.join(t);
        let run = Cmd::new(&bin.to_string_lossy(), &args)
            .dir(&fuzz_dir)
            .env("LSAN_OPTIONS", &lsan);
        r.step(&format!("fuzz: {t} ({seconds} s)"), vec![run]);
    }
}
