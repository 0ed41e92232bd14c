//! The `firmware-example` steps: setup (QEMU, binutils, defmt-print), rustfmt
//! and clippy of the firmware workspace, release builds for the Cortex-M4F
//! (thumbv7em-none-eabihf, QEMU `lm3s6965evb`) and the Cortex-M0
//! (thumbv6m-none-eabi, QEMU `microbit`, no compare-and-swap), the defmt-test
//! suite on both under QEMU, the snapshot test of the firmware's decoded defmt
//! output on both, and the flash budget of the core's feature sets, measured
//! on builds that compile only the checksums each probe uses (core
//! `checksum` module docs, "Build-time subset"; own target directories) and
//! enforced on both cores. The core is also built and tested with a few
//! other checksum subsets.
//!
//! The firmware is its own workspace with its own target directory
//! (`firmware-example/target`). Its runner, `firmware-example/qemu-run.sh`,
//! runs an ELF under QEMU and decodes the log with `defmt-print`; QEMU's exit
//! status is the firmware's (semihosting exit).
//!
//! `SECSTREAM_BLESS=1 cargo xtask test` rewrites the `.out` snapshot from the
//! Cortex-M4F run instead of comparing (review the diff before committing).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{Cmd, Runner, workspace_root};

/// The defmt-print the snapshot was taken with (its line format is part of
/// the snapshot).
const DEFMT_PRINT_VERSION: &str = "1.2.0";
/// Cortex-M4F: QEMU `lm3s6965evb` (`-cpu cortex-m4`).
const M4: &str = "thumbv7em-none-eabihf";
/// Cortex-M0: QEMU `microbit`, 16 KiB RAM, no compare-and-swap.
const M0: &str = "thumbv6m-none-eabi";
/// The firmware binary; both cores must print exactly the snapshot.
const FIRMWARE: &str = "secstream-firmware-example";
/// The expected decoded defmt output of the firmware, relative to the
/// firmware workspace.
const SNAPSHOT: &str = "tests/firmware.out";
/// The log line with the stack high-water mark (`src/stack.rs`): read by the
/// size report, left out of the snapshot (it differs between the cores).
const STACK_PEAK: &str = "stack peak: ";
/// A size probe: a binary of the firmware workspace holding one core feature
/// set, with its flash goal. Going over the goal on either core fails the step.
struct Probe {
    bin: &'static str,
    what: &'static str,
    /// Flash goal in bytes (text + data), if any.
    goal: Option<u64>,
    /// The checksums the probe is built with (core `checksum` module docs,
    /// "Build-time subset"): what a firmware with this feature set would
    /// compile.
    checksums: &'static [&'static str],
}

/// The link's checksum (`protocol::LINK_CHECKSUM`); probes that use no
/// checksum build with it too (an unused kind links nothing).
const LINK: &[&str] = &["crc16"];
/// The whole firmware's: the link's and the telemetry container's
/// (`TELEMETRY_CHECKSUM` in `src/main.rs`).
const LINK_AND_TELEMETRY: &[&str] = &["crc16", "crc32c"];
/// Target directories of the size builds, one per checksum set, inside the
/// firmware's (`size-crc16`, ...): the subset cfg applies to the whole build,
/// and the normal builds and tests (which decode vectors of all five
/// checksums) must not get it.
const SIZE_TARGET_PREFIX: &str = "size-";
/// Checksum subsets the core is built with for the Cortex-M0 and whose
/// `core/tests/checksum_subset.rs` runs on the host, each in its own target
/// directory under `target/checksum-subset/` (kept between runs).
const CORE_SUBSETS: &[&[&str]] = &[&["crc16"], &["crc32", "xxh3"]];

const SIZE_PROBES: &[Probe] = &[
    Probe {
        bin: "size-baseline",
        what: "runtime only (vector table, defmt, semihosting exit)",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-ring",
        what: "split ring (SpscRing in a static, grants)",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-securebuf",
        what: "SecureBuf with the SSH wire codec",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-cobs",
        what: "COBS frames + CRC-16",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-lz4-block",
        what: "LZ4 block decoder alone",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-lz4",
        what: "container reader, LZ4 frames (Lz4Decompressor) + CRC-16",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-pool",
        what: "static pool of SecureBuf slots, used from main and an interrupt",
        goal: None,
        checksums: LINK,
    },
    Probe {
        bin: "size-framing",
        what: "COBS frames + CRC-16 + split ring + SecureBuf",
        goal: Some(8 * 1024),
        checksums: LINK,
    },
    Probe {
        bin: "size-sealing",
        what: "framing set + sealed container (HKDF-SHA256, ChaCha20-Poly1305)",
        goal: Some(24 * 1024),
        checksums: LINK_AND_TELEMETRY,
    },
    Probe {
        bin: FIRMWARE,
        what: "the whole firmware example",
        goal: None,
        checksums: LINK_AND_TELEMETRY,
    },
];

fn firmware_dir() -> PathBuf {
    workspace_root().join("firmware-example")
}

fn target_dir(dir: &Path) -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(t) => dir.join(t),
        None => dir.join("target"),
    }
}

fn elf(dir: &Path, target: &str, bin: &str) -> PathBuf {
    target_dir(dir).join(target).join("release").join(bin)
}

/// Where the size builds with `checksums` go.
fn size_target_dir(dir: &Path, checksums: &[&str]) -> PathBuf {
    target_dir(dir).join(format!("{SIZE_TARGET_PREFIX}{}", checksums.join("-")))
}

fn size_elf(dir: &Path, target: &str, probe: &Probe) -> PathBuf {
    size_target_dir(dir, probe.checksums)
        .join(target)
        .join("release")
        .join(probe.bin)
}

/// The rustc flags that compile only `kinds` of the core's checksums.
fn subset_flags(kinds: &[&str]) -> String {
    let mut flags = String::from("--cfg secstream_checksums_subset");
    for kind in kinds {
        flags.push_str(&format!(" --cfg secstream_checksum=\"{kind}\""));
    }
    flags
}

/// Cargo's environment variable for `target.<triple>.rustflags`: added to
/// the firmware's `[target.'cfg(...)'] rustflags` (linker scripts, sha2
/// backend), where `RUSTFLAGS` would replace them.
fn target_rustflags_var(target: &str) -> String {
    format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        target.to_uppercase().replace('-', "_")
    )
}

fn version(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Installs what the firmware steps need, skipping what is there: QEMU for
/// Arm and `arm-none-eabi-size` from Debian, `defmt-print` from crates.io.
/// The Rust targets come from the main setup.
pub(crate) fn setup(r: &mut Runner) -> bool {
    let start = Instant::now();
    eprintln!("\n#### setup (firmware)");
    let mut ok = true;

    ok &= crate::ensure_apt(&["qemu-system-arm", "binutils-arm-none-eabi"]);

    let want = format!("defmt-print {DEFMT_PRINT_VERSION}");
    match version("defmt-print") {
        Some(v) if v.lines().next().is_some_and(|l| l.trim() == want) => {
            eprintln!("{want}: present");
        }
        _ => {
            ok &= crate::cargo_install(
                &["defmt-print", "--version", DEFMT_PRINT_VERSION, "--locked"],
                crate::Build::Debug,
            )
            .run();
        }
    }

    r.record(
        "setup (firmware: qemu, arm binutils, defmt-print)",
        ok,
        start.elapsed(),
    )
}

/// Runs every firmware step (setup first).
pub(crate) fn firmware(r: &mut Runner) {
    if !setup(r) {
        return;
    }
    let dir = firmware_dir();

    r.step(
        "firmware: rustfmt check, clippy -D warnings",
        vec![
            Cmd::cargo(&["fmt", "--", "--check"]).dir(&dir),
            Cmd::cargo(&[
                "clippy",
                "--release",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .dir(&dir),
        ],
    );
    let built = r.step(
        "firmware: release builds, Cortex-M4F and Cortex-M0",
        vec![
            Cmd::cargo(&["build", "--release", "--bins", "--target", M4]).dir(&dir),
            Cmd::cargo(&["build", "--release", "--bins", "--target", M0]).dir(&dir),
        ],
    );
    r.step(
        "firmware: defmt-test on target, lm3s6965evb (Cortex-M4F)",
        vec![Cmd::cargo(&["test", "--release", "--target", M4]).dir(&dir)],
    );
    r.step(
        "firmware: defmt-test on target, microbit (Cortex-M0)",
        vec![Cmd::cargo(&["test", "--release", "--target", M0]).dir(&dir)],
    );
    core_subsets(r);
    if !built {
        return;
    }
    snapshot(r, &dir, "lm3s6965evb", M4, "Cortex-M4F");
    snapshot(r, &dir, "microbit", M0, "Cortex-M0, no CAS");
    let mut sets: Vec<&[&str]> = Vec::new();
    for probe in SIZE_PROBES {
        if !sets.contains(&probe.checksums) {
            sets.push(probe.checksums);
        }
    }
    let mut cmds = Vec::new();
    for set in sets {
        let size_dir = size_target_dir(&dir, set);
        let size_dir = size_dir.to_string_lossy();
        let flags = subset_flags(set);
        for target in [M4, M0] {
            let mut args = vec!["build", "--release"];
            for probe in SIZE_PROBES.iter().filter(|p| p.checksums == set) {
                args.extend(["--bin", probe.bin]);
            }
            args.extend(["--target", target, "--target-dir", &size_dir]);
            cmds.push(
                Cmd::cargo(&args)
                    .env(&target_rustflags_var(target), &flags)
                    .dir(&dir),
            );
        }
    }
    let sized = r.step(
        "firmware: size builds, each probe with its checksums only, Cortex-M4F and Cortex-M0",
        cmds,
    );
    if sized {
        sizes(r, &dir);
    }
}

/// The core with a build-time checksum subset (core `checksum` module docs):
/// each subset of [`CORE_SUBSETS`] builds for the Cortex-M0 without
/// warnings, and `core/tests/checksum_subset.rs` checks on the host that
/// exactly the named kinds are compiled and the others are refused.
fn core_subsets(r: &mut Runner) {
    let root = workspace_root();
    let mut cmds = Vec::new();
    for kinds in CORE_SUBSETS {
        let label = if kinds.is_empty() {
            "none".to_owned()
        } else {
            kinds.join("-")
        };
        let target_dir = root.join("target").join("checksum-subset").join(label);
        let target_dir = target_dir.to_string_lossy();
        let flags = format!("{} -D warnings", subset_flags(kinds));
        for args in [
            &["build", "-p", "secstream-core", "--target", M0][..],
            &["test", "-p", "secstream-core", "--test", "checksum_subset"][..],
        ] {
            cmds.push(
                Cmd::cargo(args)
                    .env("RUSTFLAGS", &flags)
                    .env("CARGO_TARGET_DIR", &target_dir)
                    .dir(&root),
            );
        }
    }
    r.step(
        "core: checksum subsets (build for Cortex-M0, host test)",
        cmds,
    );
}

/// Runs the firmware under QEMU and compares its decoded defmt output with
/// the snapshot.
fn snapshot(r: &mut Runner, dir: &Path, machine: &str, target: &str, core: &str) {
    let name = format!("firmware: snapshot {SNAPSHOT}, {machine} ({core})");
    let start = Instant::now();
    eprintln!("\n#### {name}");
    let elf = elf(dir, target, FIRMWARE);
    let expected_path = dir.join(SNAPSHOT);
    eprintln!(
        "==> (cd {} && ./qemu-run.sh {machine} {} | diff {SNAPSHOT} -)",
        dir.display(),
        elf.display()
    );
    let out = Command::new("./qemu-run.sh")
        .arg(machine)
        .arg(&elf)
        .current_dir(dir)
        .output();
    let ok = match out {
        Err(e) => {
            eprintln!("cannot run qemu-run.sh: {e}");
            false
        }
        Ok(out) => {
            let got: String = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.contains(STACK_PEAK))
                .flat_map(|l| [l, "\n"])
                .collect();
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            if !out.status.success() {
                eprint!("{got}");
                eprintln!("firmware exited with {}", out.status);
                false
            } else if env::var_os("SECSTREAM_BLESS").is_some() && target == M4 {
                match fs::write(&expected_path, &got) {
                    Ok(()) => {
                        eprintln!("wrote {}", expected_path.display());
                        true
                    }
                    Err(e) => {
                        eprintln!("cannot write {}: {e}", expected_path.display());
                        false
                    }
                }
            } else {
                match fs::read_to_string(&expected_path) {
                    Err(e) => {
                        eprintln!("cannot read {}: {e}", expected_path.display());
                        false
                    }
                    Ok(expected) => compare(&expected, &got),
                }
            }
        }
    };
    r.record(&name, ok, start.elapsed());
}

/// True when equal; otherwise prints the first differing line of each.
fn compare(expected: &str, got: &str) -> bool {
    if expected == got {
        eprintln!("output matches ({} lines)", got.lines().count());
        return true;
    }
    let mut exp = expected.lines();
    let mut act = got.lines();
    let mut line = 1;
    loop {
        match (exp.next(), act.next()) {
            (Some(e), Some(a)) if e == a => line += 1,
            (e, a) => {
                eprintln!("snapshot differs at line {line}:");
                eprintln!("  expected: {}", e.unwrap_or("<end of file>"));
                eprintln!("  got:      {}", a.unwrap_or("<end of output>"));
                break;
            }
        }
    }
    eprintln!("--- full output ---\n{got}--- end ---");
    false
}

/// Runs a probe under QEMU and returns the stack peak it logged.
fn stack_peak(dir: &Path, machine: &str, elf: &Path) -> Option<u64> {
    let out = Command::new("./qemu-run.sh")
        .arg(machine)
        .arg(elf)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().find(|l| l.contains(STACK_PEAK))?;
    let rest = line.split(STACK_PEAK).nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Sizes of one ELF from `arm-none-eabi-size` (Berkeley format):
/// text, data, bss.
fn berkeley(elf: &Path) -> Option<(u64, u64, u64)> {
    let out = Command::new("arm-none-eabi-size").arg(elf).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let row = text.lines().nth(1)?;
    let mut cols = row.split_whitespace().map(str::parse::<u64>);
    Some((cols.next()?.ok()?, cols.next()?.ok()?, cols.next()?.ok()?))
}

/// Prints flash (text + data) and RAM (data + bss + stack peak, each probe
/// run under QEMU) of every size probe on both cores as a Markdown table,
/// each built with its checksums only, and fails if a probe is over its
/// flash goal on either core.
fn sizes(r: &mut Runner, dir: &Path) {
    let name = "firmware: sizes (goals: framing+ring+buf 8 KiB, +sealing 24 KiB)";
    let start = Instant::now();
    eprintln!("\n#### {name}");
    let mut ok = true;
    let mut table = String::from(
        "| binary | contents | checksums compiled | M4F flash | M4F RAM static + stack | M0 flash | M0 RAM static + stack | flash goal |\n\
         |---|---|---|---:|---:|---:|---:|---:|\n",
    );
    let mut notes = Vec::new();
    for probe in SIZE_PROBES {
        let mut cells = Vec::new();
        for (target, machine) in [(M4, "lm3s6965evb"), (M0, "microbit")] {
            let path = size_elf(dir, target, probe);
            eprintln!("==> arm-none-eabi-size {}", path.display());
            let Some((text, data, bss)) = berkeley(&path) else {
                eprintln!("cannot size {}", path.display());
                ok = false;
                cells.extend(["?".to_owned(), "?".to_owned()]);
                continue;
            };
            let flash = text + data;
            let mut cell = flash.to_string();
            if let Some(goal) = probe.goal.filter(|&g| flash > g) {
                cell.push_str(" (over)");
                ok = false;
                notes.push(format!(
                    "FAIL {} on {target}: {flash} bytes of flash, goal {goal}",
                    probe.bin
                ));
            }
            cells.push(cell);
            match stack_peak(dir, machine, &path) {
                Some(stack) => cells.push(format!("{} + {stack}", data + bss)),
                None => {
                    eprintln!("{} on {machine}: no stack peak logged", probe.bin);
                    ok = false;
                    cells.push("?".to_owned());
                }
            }
        }
        let goal = probe.goal.map_or_else(|| "—".to_owned(), |g| g.to_string());
        table.push_str(&format!(
            "| `{}` | {} | {} | {} | {goal} |\n",
            probe.bin,
            probe.what,
            probe.checksums.join(", "),
            cells.join(" | ")
        ));
    }
    eprintln!(
        "\nbytes; flash = text + data; RAM = data + bss, + the stack peak measured under QEMU\n{table}"
    );
    for note in notes {
        eprintln!("{note}");
    }
    r.record(name, ok, start.elapsed());
}
