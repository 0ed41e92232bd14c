//! The `secstream-wasm` steps: toolchain setup, the npm package build for the
//! bundler, nodejs and web targets, wasm-bindgen-test in Node and headless
//! Chromium and Firefox, the node:test suite and TypeScript checks against the
//! packed tarball, the Vite/webpack/esbuild builds of a tiny app, and the page
//! tests (the demo and the Web Worker example) in Chromium (Playwright, with
//! the CLI round trip) and Firefox (geckodriver's WebDriver API).
//!
//! Every step is an ordinary command that can also be run by hand; the summary
//! prints them. The package is assembled in `wasm/pkg/` and packed into
//! `target/wasm-npm/`; the demo test leaves its download, the Rust-side
//! decoding and a screenshot in `target/wasm-demo/`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{Cmd, Runner, wasm_pkg, workspace_root};

/// The exact wasm-bindgen version the `secstream-wasm` crate pins.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// The package's npm name (`wasm/npm/package.json`).
const PACKAGE: &str = "secstream-wasm";
/// wasm-bindgen output targets and the package folder each goes into.
const TARGETS: &[(&str, &str)] = &[("bundler", "bundler"), ("nodejs", "node"), ("web", "web")];
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// geckodriver, built by `cargo install` (Debian does not package it).
const GECKODRIVER_VERSION: &str = "0.37.1";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The wasm profile of the root `Cargo.toml` (opt-level 3, LTO, panic abort).
const PROFILE: &str = "wasm-release";
/// `wasm-opt` flags: optimise for size (speed stays within noise of -O3), and
/// accept the features rustc enables by default.
const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--enable-bulk-memory",
    "--enable-reference-types",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-multivalue",
    "--enable-mutable-globals",
    // `.cargo/config.toml` builds wasm32 with `+simd128` (the SIMD ChaCha20).
    "--enable-simd",
];

fn js_tests(root: &Path) -> PathBuf {
    root.join("wasm").join("js-tests")
}

/// Installs what the wasm steps need, skipping what is there: the pinned
/// wasm-bindgen CLI, Chromium with its driver, Firefox ESR with geckodriver,
/// and the JS test dependencies from `wasm/js-tests/package-lock.json`
/// (`playwright-core`, `typescript`, `vite`, `webpack`, `esbuild`, and
/// `binaryen` for `wasm-opt`; Debian's binaryen 108 cannot read what rustc
/// emits today).
pub(crate) fn setup(r: &mut Runner) -> bool {
    let start = Instant::now();
    eprintln!("\n#### setup (wasm)");
    let root = workspace_root();
    let mut ok = true;

    let want = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
    match Cmd::new("wasm-bindgen", &["--version"]).output() {
        Some(v) if v.trim() == want => eprintln!("{want}: present"),
        _ => {
            // `--locked` fails here: the CLI's lockfile pins a crate version
            // the registry does not serve.
            ok &= crate::cargo_install(
                &["wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION],
                crate::Build::Release,
            )
            .run();
        }
    }

    ok &= crate::ensure_apt(&["chromium", "chromium-driver", "firefox-esr"]);

    let want = format!("geckodriver {GECKODRIVER_VERSION}");
    match Cmd::new("geckodriver", &["--version"]).output() {
        Some(v) if v.lines().next().is_some_and(|l| l.starts_with(&want)) => {
            eprintln!("{want}: present");
        }
        // Built from crates.io (a few minutes): Debian has no geckodriver.
        _ => {
            ok &= crate::cargo_install(
                &["geckodriver", "--version", GECKODRIVER_VERSION],
                crate::Build::Debug,
            )
            .run();
        }
    }

    ok &= npm_ci(&js_tests(&root));

    r.record(
        "setup (wasm-bindgen, browsers, geckodriver, npm)",
        ok,
        start.elapsed(),
    )
}

/// `npm ci` in `dir` unless its `node_modules` was installed from the
/// current `package-lock.json` (a copy of which is kept as a stamp there), so
/// a changed lock file reinstalls and an unchanged one costs nothing.
fn npm_ci(dir: &Path) -> bool {
    let lock = dir.join("package-lock.json");
    let stamp = dir
        .join("node_modules")
        .join(".secstream-package-lock.json");
    let Ok(want) = fs::read(&lock) else {
        eprintln!("{} is missing", lock.display());
        return false;
    };
    if fs::read(&stamp).is_ok_and(|have| have == want) {
        eprintln!(
            "{}: installed from package-lock.json",
            dir.join("node_modules").display()
        );
        return true;
    }
    if !Cmd::new("npm", &["ci", "--no-audit", "--no-fund"])
        .dir(dir)
        .run()
    {
        return false;
    }
    if let Err(e) = fs::write(&stamp, want) {
        eprintln!("cannot write {}: {e}", stamp.display());
        return false;
    }
    true
}

/// Builds the npm package only (`cargo xtask wasm-package`): `wasm/pkg/`
/// and the tarball in `target/wasm-npm/`.
pub(crate) fn package(r: &mut Runner) {
    let start = Instant::now();
    let ok = build_package(&workspace_root()).is_some();
    r.record(
        "wasm: npm package (bundler, nodejs, web), npm pack",
        ok,
        start.elapsed(),
    );
}

/// Runs the wasm setup, then every wasm step.
pub(crate) fn wasm(r: &mut Runner) {
    if !setup(r) {
        return;
    }
    let root = workspace_root();
    let runner_env = "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER";

    let start = Instant::now();
    eprintln!("\n#### wasm: npm package (bundler, nodejs, web), npm pack");
    let tarball = build_package(&root);
    r.record(
        "wasm: npm package (bundler, nodejs, web), npm pack",
        tarball.is_some(),
        start.elapsed(),
    );

    r.step(
        "wasm: wasm-bindgen-test in Node",
        vec![
            Cmd::cargo(&["test", "-p", "secstream-wasm", "--target", WASM_TARGET])
                .env(runner_env, "wasm-bindgen-test-runner"),
        ],
    );
    r.step(
        "wasm: wasm-bindgen-test in headless Chromium",
        vec![
            Cmd::cargo(&["test", "-p", "secstream-wasm", "--target", WASM_TARGET])
                .env(runner_env, "wasm-bindgen-test-runner")
                .env("WASM_BINDGEN_USE_BROWSER", "1")
                .env("CHROMEDRIVER", CHROMEDRIVER),
        ],
    );
    let geckodriver = which("geckodriver").map_or_else(
        || "geckodriver".to_owned(),
        |p| p.to_string_lossy().into_owned(),
    );
    r.step(
        "wasm: wasm-bindgen-test in headless Firefox",
        vec![
            Cmd::cargo(&["test", "-p", "secstream-wasm", "--target", WASM_TARGET])
                .env(runner_env, "wasm-bindgen-test-runner")
                .env("WASM_BINDGEN_USE_BROWSER", "1")
                .env("GECKODRIVER", &geckodriver),
        ],
    );

    let Some(tarball) = tarball else {
        return;
    };
    let js = js_tests(&root);
    let tgz = tarball.to_string_lossy().into_owned();
    r.step(
        "wasm: node:test, tsc x8 against the packed tarball",
        vec![
            // Installs the tarball as a user would, without touching package.json.
            Cmd::new(
                "npm",
                &["install", "--no-save", "--no-audit", "--no-fund", &tgz],
            )
            .dir(&js),
            Cmd::new("node", &["--test", "test/"]).dir(&js),
            Cmd::new("node", &["types/check.mjs"]).dir(&js),
        ],
    );
    r.step(
        "wasm: Vite/webpack/esbuild, Node import/require",
        vec![Cmd::new("node", &["bundlers/run.mjs"]).dir(&js)],
    );
    r.step(
        "wasm: demo, Worker in Chromium <-> secstream CLI",
        vec![
            Cmd::cargo(&["build", "-p", "secstream-cli", "--bin", "secstream"]),
            Cmd::new("node", &["demo/playwright.mjs"]).dir(&js),
            Cmd::new("node", &["demo/worker.mjs"]).dir(&js),
        ],
    );
    r.step(
        "wasm: demo, Worker, bundles in Firefox (WebDriver)",
        vec![
            Cmd::new("node", &["firefox/run.mjs"])
                .dir(&js)
                .env("GECKODRIVER", &geckodriver),
        ],
    );
}

/// The first `name` on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Builds the release .wasm, runs wasm-bindgen for each target, optimises
/// each module with `wasm-opt`, assembles `wasm/pkg/` and packs it. Returns
/// the tarball's path.
fn build_package(root: &Path) -> Option<PathBuf> {
    let ok = Cmd::cargo(&[
        "build",
        "--profile",
        PROFILE,
        "-p",
        "secstream-wasm",
        "--lib",
        "--target",
        WASM_TARGET,
    ])
    .run();
    if !ok {
        eprintln!("the wasm-release build failed");
        return None;
    }
    let wasm = root
        .join("target")
        .join(WASM_TARGET)
        .join(PROFILE)
        .join("secstream_wasm.wasm");
    let pkg = root.join("wasm").join("pkg");
    if let Err(e) = reset_dir(&pkg) {
        eprintln!("cannot reset {}: {e}", pkg.display());
        return None;
    }
    let wasm_opt = js_tests(root)
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt");
    // The first module optimised: its bytes before wasm-opt, and its path.
    let mut optimised: Option<(Vec<u8>, PathBuf)> = None;
    for (target, dir) in TARGETS {
        let out = pkg.join(dir);
        let ok = Cmd::new(
            "wasm-bindgen",
            &[
                "--target",
                target,
                "--remove-name-section",
                "--remove-producers-section",
                "--out-dir",
                &out.to_string_lossy(),
                &wasm.to_string_lossy(),
            ],
        )
        .run();
        if !ok {
            eprintln!("wasm-bindgen --target {target} failed");
            return None;
        }
        let bg_path = out.join("secstream_wasm_bg.wasm");
        // wasm-bindgen gives every target the same module; optimise it once.
        let raw = fs::read(&bg_path).ok();
        let same = optimised
            .as_ref()
            .filter(|(done_raw, _)| raw.as_ref() == Some(done_raw));
        if let Some((_, done)) = same {
            if let Err(e) = fs::copy(done, &bg_path) {
                eprintln!(
                    "cannot copy {} to {}: {e}",
                    done.display(),
                    bg_path.display()
                );
                return None;
            }
            eprintln!(
                "{}: the same module as {}",
                bg_path.display(),
                done.display()
            );
            continue;
        }
        let bg = bg_path.to_string_lossy();
        let mut args: Vec<&str> = WASM_OPT_FLAGS.to_vec();
        args.extend([&*bg, "-o", &*bg]);
        if !Cmd::new(&wasm_opt.to_string_lossy(), &args).run() {
            eprintln!("wasm-opt failed on {bg}");
            return None;
        }
        if optimised.is_none() {
            optimised = raw.map(|raw| (raw, bg_path.clone()));
        }
    }
    if let Err(e) = finish_glue(&pkg) {
        eprintln!(
            "cannot finish the generated files in {}: {e}",
            pkg.display()
        );
        return None;
    }
    let npm = root.join("wasm").join("npm");
    if let Err(e) = copy_tree(&npm, &pkg) {
        eprintln!("cannot copy {} into {}: {e}", npm.display(), pkg.display());
        return None;
    }
    if let Err(e) = commonjs_copies(&pkg) {
        eprintln!("cannot write the CommonJS files in {}: {e}", pkg.display());
        return None;
    }
    if let Err(e) = pre_5_7_types(&pkg) {
        eprintln!("cannot write the TypeScript < 5.7 declarations: {e}");
        return None;
    }
    report_size(&pkg.join("web").join("secstream_wasm_bg.wasm"));

    let dest = root.join("target").join("wasm-npm");
    if let Err(e) = reset_dir(&dest) {
        eprintln!("cannot reset {}: {e}", dest.display());
        return None;
    }
    // stdout names the tarball; stderr (npm's notices and errors) stays visible.
    let pack = Cmd::new(
        "npm",
        &[
            "pack",
            &pkg.to_string_lossy(),
            "--pack-destination",
            &dest.to_string_lossy(),
        ],
    );
    eprintln!("\n==> {}", pack.display());
    let packed = match Command::new("npm")
        .args(&pack.args)
        .stderr(Stdio::inherit())
        .output()
    {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        Ok(out) => {
            eprintln!("npm pack failed: {}", out.status);
            return None;
        }
        Err(e) => {
            eprintln!("cannot run npm: {e}");
            return None;
        }
    };
    let Some(name) = packed.lines().last().map(|l| l.trim().to_owned()) else {
        eprintln!("npm pack printed no file name");
        return None;
    };
    if !name.starts_with(PACKAGE) {
        eprintln!("unexpected npm pack output: {packed}");
        return None;
    }
    eprintln!("packed {}", dest.join(&name).display());
    Some(dest.join(name))
}

/// The package's changes to wasm-bindgen's output (see `wasm_pkg`): typed
/// declarations in every build; in `bundler/`, the module inlined into
/// JavaScript in place of the .wasm (which is removed); and no
/// `*_bg.wasm.d.ts` (types of the raw exports, which nothing uses).
fn finish_glue(pkg: &Path) -> Result<(), String> {
    let at = |p: &Path, e: io::Error| format!("{}: {e}", p.display());
    for (_, dir) in TARGETS {
        let out = pkg.join(dir);
        let dts = out.join("secstream_wasm.d.ts");
        let text = fs::read_to_string(&dts).map_err(|e| at(&dts, e))?;
        let text =
            wasm_pkg::typed_declarations(&text).map_err(|e| format!("{}: {e}", dts.display()))?;
        fs::write(&dts, text).map_err(|e| at(&dts, e))?;
        let raw = out.join("secstream_wasm_bg.wasm.d.ts");
        fs::remove_file(&raw).map_err(|e| at(&raw, e))?;
    }
    let bundler = pkg.join("bundler");
    let wasm = bundler.join("secstream_wasm_bg.wasm");
    let bytes = fs::read(&wasm).map_err(|e| at(&wasm, e))?;
    let inline = bundler.join(wasm_pkg::INLINE_FILE);
    fs::write(&inline, wasm_pkg::inline_module(&bytes)).map_err(|e| at(&inline, e))?;
    fs::remove_file(&wasm).map_err(|e| at(&wasm, e))?;
    let entry = bundler.join("secstream_wasm.js");
    let glue = fs::read_to_string(&entry).map_err(|e| at(&entry, e))?;
    let glue = wasm_pkg::bundler_entry(&glue).map_err(|e| format!("{}: {e}", entry.display()))?;
    fs::write(&entry, glue).map_err(|e| at(&entry, e))
}

/// `node/lifetime.cjs` and `node/streams.cjs`, the CommonJS copies of the
/// package's `lifetime.js` and `streams.js` that `node/index.cjs` requires.
fn commonjs_copies(pkg: &Path) -> Result<(), String> {
    for name in ["lifetime", "streams"] {
        let file = format!("{name}.js");
        let src = pkg.join(&file);
        let esm = fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        let cjs = wasm_pkg::commonjs(&esm, &file)?;
        let dest = pkg.join("node").join(format!("{name}.cjs"));
        fs::write(&dest, cjs).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(())
}

/// `ts5.6/`: the declarations for TypeScript 5.0 to 5.6 (see `wasm_pkg`).
fn pre_5_7_types(pkg: &Path) -> Result<(), String> {
    for file in wasm_pkg::DECLARATION_FILES {
        let src = pkg.join(file);
        let dest = pkg.join(wasm_pkg::PRE_5_7_DIR).join(file);
        let text = fs::read_to_string(&src).map_err(|e| format!("{}: {e}", src.display()))?;
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fs::write(&dest, wasm_pkg::pre_5_7_declarations(&text))
            .map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    Ok(())
}

/// Prints the module's size, raw and gzipped (`gzip -9`).
fn report_size(wasm: &Path) {
    let Ok(bytes) = fs::metadata(wasm).map(|m| m.len()) else {
        eprintln!("cannot read {}", wasm.display());
        return;
    };
    let gz = Cmd::new(
        "sh",
        &[
            "-c",
            &format!("gzip -9 -c '{}' | wc -c", wasm.to_string_lossy()),
        ],
    )
    .output()
    .and_then(|s| s.trim().parse::<u64>().ok());
    match gz {
        Some(gz) => eprintln!(
            "secstream_wasm_bg.wasm: {bytes} bytes, {gz} bytes gzipped ({:.1} KiB)",
            gz as f64 / 1024.0
        ),
        None => eprintln!("secstream_wasm_bg.wasm: {bytes} bytes (gzip unavailable)"),
    }
}

fn reset_dir(dir: &Path) -> io::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}
