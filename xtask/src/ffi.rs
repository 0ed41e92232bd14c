//! The C interface step (`ffi/`): the committed header matches a fresh
//! `cbindgen` run, the static library builds for the host and for Cortex-M4F,
//! and the C99 test program and the README's C example, built with the system
//! `cc` under AddressSanitizer and UndefinedBehaviorSanitizer against the static
//! library, pass; the crate's Rust tests pass under Miri. Installs `cbindgen`
//! when it is missing.

use std::fs;
use std::time::Instant;

use crate::{Cmd, Runner, workspace_root};

/// System libraries the Rust standard library inside the static library needs on
/// Linux (`cargo rustc -p secstream-ffi --crate-type staticlib -- --print
/// native-static-libs`).
const NATIVE_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

/// Compiler flags of the C test programs.
const CFLAGS: &[&str] = &[
    "-std=c99",
    "-D_DEFAULT_SOURCE",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
];

/// The first ```c block after the README's "## C interface" heading.
fn readme_example(readme: &str) -> Option<&str> {
    let section = &readme[readme.find("## C interface")?..];
    let start = section.find("```c\n")? + 5;
    let len = section[start..].find("```")?;
    Some(&section[start..start + len])
}

/// Runs the C interface checks as one step.
pub(crate) fn ffi(r: &mut Runner) {
    let root = workspace_root();
    let out = root.join("target").join("ffi-c");
    let name = "ffi: header drift, static lib, C tests (ASan+UBSan), README example, Miri";

    if Cmd::new("cbindgen", &["--version"]).output().is_none() {
        let start = Instant::now();
        let ok = Cmd::cargo(&["install", "cbindgen", "--version", "0.29.4"]).run();
        if !r.record("ffi: install cbindgen", ok, start.elapsed()) {
            return;
        }
    }
    let start = Instant::now();
    let example = fs::read_to_string(root.join("README.md"))
        .ok()
        .and_then(|s| readme_example(&s).map(str::to_owned));
    let prepared = fs::create_dir_all(&out).is_ok()
        && example.is_some_and(|e| fs::write(out.join("readme.c"), e).is_ok());
    if !prepared {
        eprintln!("cannot write target/ffi-c/readme.c from the README's C example");
        r.record(name, false, start.elapsed());
        return;
    }
    let s = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let fresh = s(&out.join("secstream.h"));
    let lib = s(&root
        .join("target")
        .join("ffi-release")
        .join("libsecstream_ffi.a"));
    let test_bin = s(&out.join("test"));
    let readme_bin = s(&out.join("readme"));
    let include = format!("-I{}", s(&root.join("ffi").join("include")));
    let cc = |src: &str, bin: &str| {
        let mut args: Vec<&str> = CFLAGS.to_vec();
        args.extend([include.as_str(), src, lib.as_str()]);
        args.extend(NATIVE_LIBS);
        args.extend(["-o", bin]);
        Cmd::new("cc", &args).dir(&root)
    };
    let readme_src = s(&out.join("readme.c"));
    let cmds = vec![
        Cmd::new(
            "cbindgen",
            &[
                "--config",
                "ffi/cbindgen.toml",
                "--crate",
                "secstream-ffi",
                "--quiet",
                "--output",
                &fresh,
                "ffi",
            ],
        )
        .dir(&root),
        Cmd::new("diff", &["-u", "ffi/include/secstream.h", &fresh]).dir(&root),
        Cmd::cargo(&["build", "-p", "secstream-ffi", "--profile", "ffi-release"]).dir(&root),
        // The state sizes are asserted for 32-bit Cortex-M too.
        Cmd::cargo(&[
            "rustc",
            "-p",
            "secstream-ffi",
            "--crate-type",
            "staticlib",
            "--profile",
            "ffi-release",
            "--target",
            "thumbv7em-none-eabihf",
            "--no-default-features",
            "--features",
            "panic-halt",
        ])
        .dir(&root),
        cc("ffi/tests/c/test.c", &test_bin),
        Cmd::new(&test_bin, &["tests/vectors"]).dir(&root),
        cc(&readme_src, &readme_bin),
        Cmd::new(&readme_bin, &[]).dir(&root),
        // The crate's unsafe code (state placement, caller buffers, wiping).
        Cmd::cargo(&["+nightly", "miri", "test", "-p", "secstream-ffi"])
            .env("MIRIFLAGS", "-Zmiri-strict-provenance")
            .dir(&root),
    ];
    r.step(name, cmds);
}
