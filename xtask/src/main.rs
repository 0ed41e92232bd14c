//! The project's one command for setup and tests.
//!
//! - `cargo xtask setup`: installs what the tests need, skipping what is there.
//! - `cargo xtask test`: setup, then every check, then a summary of each step
//!   with its result and time. Exits non-zero if any step failed.
//! - `cargo xtask test --long`: the same with the long forms of the slow
//!   checks: fuzz campaigns of minutes per target, crash loops of hundreds of
//!   rounds. Every command then sees `SECSTREAM_LONG=1`, which tests read to
//!   pick their long form.
//!
//! Each step is an ordinary command that can also be run by hand; the summary
//! prints it.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod ffi;
mod firmware;
mod fuzz;
mod wasm;
mod wasm_pkg;

/// The no_std targets the core must build for.
const CORE_TARGETS: &[&str] = &[
    "thumbv6m-none-eabi",
    "thumbv7em-none-eabihf",
    "riscv32imac-unknown-none-elf",
    "wasm32-unknown-unknown",
];

/// The other hosts the secret memory supports (its per-OS `sys` modules and
/// register clearing): checked with clippy, not run.
const HOST_CHECK_TARGETS: &[&str] = &[
    "x86_64-apple-darwin",
    "x86_64-pc-windows-gnu",
    "aarch64-unknown-linux-gnu",
];

/// The core's optional features, each built on its own for every target.
const CORE_FEATURES: &[&str] = &["alloc", "defmt", "serde"];

/// Set by `--long`: every command run gets `SECSTREAM_LONG=1`.
static LONG: AtomicBool = AtomicBool::new(false);

/// True in the long mode (`cargo xtask test --long`).
pub(crate) fn long_mode() -> bool {
    LONG.load(Ordering::Relaxed)
}

/// A command to run, described for the summary.
struct Cmd {
    program: String,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    dir: Option<PathBuf>,
}

impl Cmd {
    fn new(program: &str, args: &[&str]) -> Self {
        Self {
            program: program.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            envs: Vec::new(),
            dir: None,
        }
    }

    fn cargo(args: &[&str]) -> Self {
        Self::new("cargo", args)
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    fn dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_owned());
        self
    }

    fn display(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.envs {
            if v.contains([' ', '"']) {
                s.push_str(&format!("{k}='{v}' "));
            } else {
                s.push_str(&format!("{k}={v} "));
            }
        }
        s.push_str(&self.program);
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        if let Some(dir) = &self.dir {
            s = format!("(cd {} && {s})", dir.display());
        }
        s
    }

    /// Runs the command with inherited output; true when it exited 0.
    fn run(&self) -> bool {
        eprintln!("\n==> {}", self.display());
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        if long_mode() {
            c.env("SECSTREAM_LONG", "1");
        }
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        if let Some(dir) = &self.dir {
            c.current_dir(dir);
        }
        match c.status() {
            Ok(status) => status.success(),
            Err(e) => {
                eprintln!("cannot run {}: {e}", self.program);
                false
            }
        }
    }

    /// Runs the command quietly and returns its stdout when it exited 0.
    fn output(&self) -> Option<String> {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        if let Some(dir) = &self.dir {
            c.current_dir(dir);
        }
        let out = c.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// One named step of the run, made of commands run in order.
struct Step {
    name: String,
    ok: bool,
    time: Duration,
}

struct Runner {
    steps: Vec<Step>,
}

impl Runner {
    fn step(&mut self, name: &str, cmds: Vec<Cmd>) -> bool {
        let start = Instant::now();
        eprintln!("\n#### {name}");
        let ok = cmds.iter().all(Cmd::run);
        self.record(name, ok, start.elapsed())
    }

    fn record(&mut self, name: &str, ok: bool, time: Duration) -> bool {
        self.steps.push(Step {
            name: name.to_owned(),
            ok,
            time,
        });
        ok
    }

    fn summary(&self) -> ExitCode {
        let total: Duration = self.steps.iter().map(|s| s.time).sum();
        let failed = self.steps.iter().filter(|s| !s.ok).count();
        eprintln!("\n{:<52} {:>6} {:>9}", "step", "result", "time");
        for s in &self.steps {
            let result = if s.ok { "ok" } else { "FAILED" };
            eprintln!(
                "{:<52} {:>6} {:>8.1}s",
                s.name,
                result,
                s.time.as_secs_f64()
            );
        }
        eprintln!("{:<52} {:>6} {:>8.1}s", "total", "", total.as_secs_f64());
        // The plain closing line CI reads.
        println!(
            "xtask: {} passed, {} failed",
            self.steps.len() - failed,
            failed
        );
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| "xtask".to_owned());
    Path::new(&manifest)
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn installed_targets(toolchain: &str) -> String {
    Cmd::new(
        "rustup",
        &[&format!("+{toolchain}"), "target", "list", "--installed"],
    )
    .output()
    .unwrap_or_default()
}

fn installed_components(toolchain: &str) -> String {
    Cmd::new(
        "rustup",
        &[&format!("+{toolchain}"), "component", "list", "--installed"],
    )
    .output()
    .unwrap_or_default()
}

/// Installs what the tests need; every part skips what is already there.
fn setup(r: &mut Runner) -> bool {
    let start = Instant::now();
    eprintln!("\n#### setup");
    let mut ok = true;
    report_disk();

    let have = installed_targets("stable");
    let missing: Vec<&str> = CORE_TARGETS
        .iter()
        .chain(HOST_CHECK_TARGETS)
        .copied()
        .filter(|t| !have.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        eprintln!("rust targets: present");
    } else {
        let mut args = vec!["target", "add"];
        args.extend(&missing);
        ok &= Cmd::new("rustup", &args).run();
    }

    let components = installed_components("nightly");
    let has = |c: &str| components.lines().any(|l| l.starts_with(c));
    if has("miri") && has("rust-src") {
        eprintln!("nightly miri: present");
    } else {
        ok &= Cmd::new(
            "rustup",
            &[
                "toolchain",
                "install",
                "nightly",
                "--profile",
                "minimal",
                "--component",
                "miri,rust-src",
            ],
        )
        .run();
    }

    // libsodium, for the `secrets` crate the secret-memory benchmarks compare
    // against (clippy builds the benches).
    ok &= ensure_apt(&["libsodium-dev", "pkg-config"]);
    // gdb, whose `gcore` takes the core dump that the register-clearing test
    // searches (secret_memory::clear_regs::tests; skipped without it).
    ok &= ensure_apt(&["gdb"]);

    r.record("setup (targets, miri, libsodium)", ok, start.elapsed())
}

/// Prints the free space where the build goes, and warns when it is short: a
/// full run from a clean clone writes about 10 GiB (the debug build of every
/// crate, Miri, the wasm, firmware and fuzz builds), and a full disk shows up
/// later as a confusing failure in whichever step runs out.
fn report_disk() {
    const NEEDED_GIB: u64 = 15;
    let root = workspace_root();
    let out = Cmd::new("df", &["-Pk", &root.to_string_lossy()])
        .output()
        .unwrap_or_default();
    // `df -P`: a header line, then "fs blocks used available capacity mount".
    let free_kib = out
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<u64>().ok());
    match free_kib {
        Some(kib) => {
            let gib = kib / (1024 * 1024);
            eprintln!("disk: {gib} GiB free under {}", root.display());
            if gib < NEEDED_GIB {
                eprintln!(
                    "warning: a full run from a clean clone needs about {NEEDED_GIB} GiB; \
                     steps may fail with \"No space left on device\""
                );
            }
        }
        None => eprintln!("disk: free space unknown (df gave no answer)"),
    }
}

/// How a tool is compiled by [`cargo_install`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Build {
    /// Optimised: tools whose own speed shows in the run (wasm-bindgen).
    Release,
    /// Unoptimised, about twice as quick to compile: tools that do little
    /// work per call (cbindgen, cargo-fuzz, defmt-print, geckodriver).
    Debug,
}

/// `cargo install <args>` into `~/.cargo/bin`, all tools compiled in one
/// shared target directory (`target/tools`), so the crates they have in
/// common (clap, serde, syn, ...) are compiled once on a fresh machine.
pub(crate) fn cargo_install(args: &[&str], build: Build) -> Cmd {
    let mut all = vec!["install"];
    all.extend(args);
    if build == Build::Debug {
        all.push("--debug");
    }
    let tools = workspace_root().join("target").join("tools");
    Cmd::cargo(&all).env("CARGO_TARGET_DIR", &tools.to_string_lossy())
}

/// Installs the Debian packages that are not installed yet; `apt-get update`
/// runs only when something is missing.
pub(crate) fn ensure_apt(packages: &[&str]) -> bool {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            Cmd::new("dpkg-query", &["-W", "-f=${Status}", p])
                .output()
                .is_none_or(|status| !status.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        eprintln!("{}: present", packages.join(", "));
        return true;
    }
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(&missing);
    Cmd::new("apt-get", &["update"]).run() && Cmd::new("apt-get", &args).run()
}

fn test(r: &mut Runner) {
    let root = workspace_root();

    r.step(
        "rustfmt check",
        vec![Cmd::cargo(&["fmt", "--all", "--", "--check"])],
    );
    r.step(
        "clippy, all targets and features, -D warnings",
        vec![Cmd::cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ])],
    );
    // Not `--all-features`: `defmt` needs its linker script, which only a
    // firmware link provides (the firmware tests run it on target).
    r.step(
        "workspace tests; core with std and serde; host with serde and tokio",
        vec![
            Cmd::cargo(&["test", "--workspace"]),
            // The workspace run seals with ring (the host crate turns it on); alone,
            // the vectors run again with the portable RustCrypto backend.
            Cmd::cargo(&["test", "-p", "secstream-tests"]),
            Cmd::cargo(&["test", "-p", "secstream-core", "--features", "std,serde"]),
            // The host crate's optional integrations: typed messages and tokio codecs.
            Cmd::cargo(&[
                "test",
                "-p",
                "secstream",
                "--features",
                "serde,tokio",
                "--test",
                "messages",
                "--test",
                "tokio_codecs",
            ]),
            Cmd::cargo(&[
                "test",
                "-p",
                "secstream",
                "--features",
                "serde,tokio",
                "--doc",
            ]),
        ],
    );
    // The vectors read by a reader written from the contract alone (Python);
    // its two packages are installed from PyPI only when missing.
    let mut python = Vec::new();
    // Argon2id (the passphrase vectors) needs cryptography 44 or later.
    let imports = "import xxhash; from cryptography.hazmat.primitives.kdf.argon2 import Argon2id";
    if Cmd::new("python3", &["-c", imports]).output().is_none() {
        python.push(Cmd::new(
            "python3",
            &[
                "-m",
                "pip",
                "install",
                "--quiet",
                "--upgrade",
                "cryptography>=44",
                "xxhash",
            ],
        ));
    }
    python.push(Cmd::new("python3", &["tests/vectors/verify.py"]).dir(&root));
    r.step("independent Python reader of the vectors", python);

    let mut builds = Vec::new();
    for target in CORE_TARGETS {
        builds.push(Cmd::cargo(&[
            "build",
            "-p",
            "secstream-core",
            "--target",
            target,
        ]));
        for feature in CORE_FEATURES {
            builds.push(Cmd::cargo(&[
                "build",
                "-p",
                "secstream-core",
                "--target",
                target,
                "--features",
                feature,
            ]));
        }
    }
    r.step(
        "core no_std builds: 4 targets x (none + each feature)",
        builds,
    );

    r.step(
        "host crate clippy for macOS, Windows and aarch64 Linux",
        HOST_CHECK_TARGETS
            .iter()
            .map(|target| {
                // Without the default `ring` feature: ring's build script compiles C
                // and assembly for the target, and this machine has no cross C
                // compilers (the core's `ring` backend is the same code on every host).
                Cmd::cargo(&[
                    "clippy",
                    "-p",
                    "secstream",
                    "--no-default-features",
                    "--all-targets",
                    "--target",
                    target,
                    "--",
                    "-D",
                    "warnings",
                ])
            })
            .collect(),
    );

    r.step(
        "rustdoc, -D warnings",
        vec![
            Cmd::cargo(&["doc", "--workspace", "--no-deps", "--all-features"])
                .env("RUSTDOCFLAGS", "-D warnings"),
        ],
    );

    // Loom gets its own target directory: `--cfg loom` changes every crate's
    // fingerprint and would otherwise throw away the ordinary build.
    let loom_dir = root.join("target").join("loom");
    r.step(
        "loom models of the split ring and the pool",
        vec![
            Cmd::cargo(&[
                "test",
                "-p",
                "secstream-core",
                "--release",
                "--lib",
                "loom_tests",
            ])
            .env("RUSTFLAGS", "--cfg loom")
            .env("CARGO_TARGET_DIR", &loom_dir.to_string_lossy()),
        ],
    );

    r.step(
        "miri: core tests, all features but ring (strict provenance)",
        vec![
            // Not `ring`: Miri cannot run its assembly; its one unsafe block (the
            // key wipe) is a plain volatile byte loop.
            Cmd::cargo(&[
                "+nightly",
                "miri",
                "test",
                "-p",
                "secstream-core",
                "--features",
                "alloc,std,defmt,serde,lz4",
                "--lib",
            ])
            .env("MIRIFLAGS", "-Zmiri-strict-provenance")
            .dir(&root),
        ],
    );
    // The host's secret memory under Miri runs on a heap stand-in for mmap;
    // tests that fork, touch files or need real pages are ignored there. The
    // default run takes the pool tests that reach its unsafe code (rows,
    // guards, wipes, threads returning buffers); the long mode adds the rest
    // (the model proptest, caps, connection buffers: safe code, minutes
    // under Miri, run natively in every mode).
    let mut miri_host = vec![
        "+nightly",
        "miri",
        "test",
        "-p",
        "secstream",
        "--no-default-features",
        "--lib",
        "--",
        "secret",
        "stream",
    ];
    if long_mode() {
        miri_host.push("pool");
    } else {
        miri_host.extend([
            "pool::rows",
            "pool::membarrier",
            "pool::region",
            "pool::pool_ref",
            "returned_buffers_are_wiped",
            "the_mark_follows",
            "thread_slots_belong",
            "trim_drains",
            "eight_threads_release",
            "short_and_long_writes",
            "owned_guards",
            "buffers_under_64",
        ]);
    }
    miri_filters_name_tests(r, &miri_host, &root);
    r.step(
        "miri: host secret memory, Secret, Stream and pools",
        vec![
            Cmd::cargo(&miri_host)
                .env("MIRIFLAGS", "-Zmiri-strict-provenance")
                .dir(&root),
        ],
    );

    ffi::ffi(r);
    firmware::firmware(r);
    fuzz::fuzz(r);
}

/// Checks that each test-name filter after the `--` of `args` (a `cargo miri test`
/// command) names at least one test, from the harness's `--list`: Miri runs the
/// tests whose names contain one of the filters, so a test renamed would otherwise
/// drop out of it without a word.
fn miri_filters_name_tests(r: &mut Runner, args: &[&str], root: &Path) {
    let start = Instant::now();
    let name = "miri: every host test filter names a test";
    eprintln!("\n#### {name}");
    let Some(dash) = args.iter().position(|a| *a == "--") else {
        r.record(name, false, start.elapsed());
        return;
    };
    let (cmd, filters) = args.split_at(dash);
    let filters = filters.get(1..).unwrap_or_default();
    let mut list: Vec<&str> = cmd.to_vec();
    list.extend(["--", "--list", "--format", "terse"]);
    let listing = Cmd::cargo(&list)
        .env("MIRIFLAGS", "-Zmiri-strict-provenance")
        .dir(root)
        .output();
    let ok = match listing {
        None => {
            eprintln!("`cargo {}` failed", list.join(" "));
            false
        }
        Some(out) => {
            let tests: Vec<&str> = out
                .lines()
                .filter_map(|l| l.strip_suffix(": test"))
                .collect();
            let unmatched: Vec<&&str> = filters
                .iter()
                .filter(|f| !tests.iter().any(|t| t.contains(**f)))
                .collect();
            for f in &unmatched {
                eprintln!("no test's name contains {f:?}: rename the filter in xtask");
            }
            eprintln!(
                "{} tests listed, {} filters, {} unmatched",
                tests.len(),
                filters.len(),
                unmatched.len()
            );
            unmatched.is_empty() && !tests.is_empty()
        }
    };
    r.record(name, ok, start.elapsed());
}

fn main() -> ExitCode {
    let task = env::args().nth(1).unwrap_or_default();
    if env::args().skip(2).any(|a| a == "--long") {
        LONG.store(true, Ordering::Relaxed);
    }
    let mut r = Runner { steps: Vec::new() };
    match task.as_str() {
        "setup" => {
            setup(&mut r);
            wasm::setup(&mut r);
            firmware::setup(&mut r);
        }
        "test" => {
            if setup(&mut r) {
                test(&mut r);
                wasm::wasm(&mut r);
            }
        }
        // Only the firmware-example steps (also part of `test`).
        "firmware" => firmware::firmware(&mut r),
        // Only the secstream-wasm steps (also part of `test`).
        "wasm" => wasm::wasm(&mut r),
        // Only the npm package build (needs `cargo xtask setup` first).
        "wasm-package" => wasm::package(&mut r),
        // Only the fuzz steps (also part of `test`).
        "fuzz" => fuzz::fuzz(&mut r),
        // Only the C interface step (also part of `test`).
        "ffi" => ffi::ffi(&mut r),
        _ => {
            eprintln!(
                "usage: cargo xtask <setup|test|firmware|wasm|wasm-package|fuzz|ffi> [--long]"
            );
            return ExitCode::from(2);
        }
    }
    r.summary()
}
