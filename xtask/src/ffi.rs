//! The C interface step (`ffi/`): the committed header matches a fresh
//! `cbindgen` run, the static library builds for the host and for Cortex-M4F,
//! and the C99 test program and the README's C example, built with the system
//! `cc` under AddressSanitizer and UndefinedBehaviorSanitizer against the static
//! library, pass; the crate's Rust tests pass under Miri. Then the C firmware
//! (`ffi/firmware-c/`) runs the vectors on the Cortex-M4F under QEMU. Installs
//! `cbindgen` and `gcc-arm-none-eabi` when they are missing.

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
        let ok =
            crate::cargo_install(&["cbindgen", "--version", "0.29.4"], crate::Build::Debug).run();
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
    firmware(r);
}

/// Flags of the C firmware build (Cortex-M4F, hard float, no libc).
const FW_CFLAGS: &[&str] = &[
    "-mcpu=cortex-m4",
    "-mthumb",
    "-mfloat-abi=hard",
    "-mfpu=fpv4-sp-d16",
    "-std=c99",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Os",
    "-ffreestanding",
    "-nostdlib",
    "-ffunction-sections",
    "-fdata-sections",
    "-Wl,--gc-sections",
    "-Wl,-z,noexecstack",
    "-Iffi/include",
    "-Iffi/firmware-c",
    "-Tffi/firmware-c/link.ld",
];

/// Flash of an ELF from `arm-none-eabi-size -A`: (code and constants, the
/// embedded test vectors).
fn flash_size(elf: &str) -> Option<(u64, u64)> {
    let out = Cmd::new("arm-none-eabi-size", &["-A", elf]).output()?;
    let (mut flash, mut vectors) = (0, 0);
    for line in out.lines() {
        let mut f = line.split_whitespace();
        let (Some(name), Some(size)) = (f.next(), f.next().and_then(|s| s.parse::<u64>().ok()))
        else {
            continue;
        };
        match name {
            ".isr_vector" | ".text" | ".rodata" | ".ARM.exidx" | ".data" => flash += size,
            ".testvectors" => vectors += size,
            _ => {}
        }
    }
    Some((flash, vectors))
}

/// The C firmware (`ffi/firmware-c/`): `main.c` linked against the
/// `thumbv7em-none-eabihf` static library (profile `ffi-firmware`), decoding
/// the embedded vectors under QEMU; prints its flash size. Installs Debian's
/// `gcc-arm-none-eabi` when missing (QEMU and binutils come with the firmware
/// setup).
fn firmware(r: &mut Runner) {
    let root = workspace_root();
    let name = "ffi: C firmware on the Cortex-M4F under QEMU";
    if Cmd::new("arm-none-eabi-gcc", &["--version"])
        .output()
        .is_none()
    {
        let start = Instant::now();
        let ok = Cmd::new(
            "apt-get",
            &[
                "install",
                "-y",
                "--no-install-recommends",
                "gcc-arm-none-eabi",
            ],
        )
        .env("DEBIAN_FRONTEND", "noninteractive")
        .run();
        if !r.record("ffi: install gcc-arm-none-eabi", ok, start.elapsed()) {
            return;
        }
    }
    let start = Instant::now();
    let out = root.join("target").join("ffi-firmware");
    if fs::create_dir_all(&out).is_err() {
        r.record(name, false, start.elapsed());
        return;
    }
    let vectors = out.join("vectors.S").to_string_lossy().into_owned();
    let elf = out.join("firmware.elf").to_string_lossy().into_owned();
    let lib = root
        .join("target")
        .join("thumbv7em-none-eabihf")
        .join("ffi-firmware")
        .join("libsecstream_ffi.a")
        .to_string_lossy()
        .into_owned();
    let mut gcc: Vec<&str> = FW_CFLAGS.to_vec();
    gcc.extend([
        "ffi/firmware-c/startup.c",
        "ffi/firmware-c/main.c",
        vectors.as_str(),
        lib.as_str(),
        "-lgcc",
        "-o",
        elf.as_str(),
    ]);
    let cmds = vec![
        Cmd::new(
            "ffi/firmware-c/gen-vectors.sh",
            &["tests/vectors", &vectors],
        )
        .dir(&root),
        // The same compact SHA-256 as the Rust firmware's release build.
        Cmd::cargo(&[
            "rustc",
            "-p",
            "secstream-ffi",
            "--crate-type",
            "staticlib",
            "--profile",
            "ffi-firmware",
            "--target",
            "thumbv7em-none-eabihf",
            "--no-default-features",
            "--features",
            "panic-halt,lz4",
        ])
        .env(
            "CARGO_TARGET_THUMBV7EM_NONE_EABIHF_RUSTFLAGS",
            "--cfg sha2_backend_soft=\"compact\"",
        )
        .dir(&root),
        Cmd::new("arm-none-eabi-gcc", &gcc).dir(&root),
        Cmd::new(
            "timeout",
            &[
                "60",
                "qemu-system-arm",
                "-cpu",
                "cortex-m4",
                "-machine",
                "lm3s6965evb",
                "-nographic",
                "-monitor",
                "none",
                "-serial",
                "none",
                "-semihosting-config",
                "enable=on,target=native",
                "-kernel",
                &elf,
            ],
        )
        .dir(&root),
    ];
    if r.step(name, cmds) {
        match flash_size(&elf) {
            Some((flash, vectors)) => eprintln!(
                "\nC firmware (Cortex-M4F, profile ffi-firmware): flash {flash} bytes of code \
                 and constants, plus {vectors} bytes of embedded test vectors"
            ),
            None => eprintln!("\ncannot read the C firmware's size (arm-none-eabi-size)"),
        }
    }
}
