//! The `secstream` binary behaving as users of zstd and age expect: interrupted runs
//! leave nothing behind, `--force` replaces only regular files, a closed pipe ends
//! quietly, stdin at a terminal is refused, default output names, `-c`/`-q`/`-v`, the
//! summary and the progress bar, key files and variables, and exit codes.

#![cfg(unix)]

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_secstream"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[track_caller]
fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs and expects exit code `code` with one line on stderr; returns the line.
#[track_caller]
fn fails(code: i32, args: &[&str]) -> String {
    let out = run(args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("secstream: "), "{err:?}");
    err
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn signal(child: &std::process::Child, sig: libc::c_int) {
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: `kill` has no memory preconditions; `pid` is our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

/// Runs `cmd` into the FIFO `fifo` (made here, removed after) and calls `change` once
/// the first 4 bytes are out: the run has opened its input and taken its size, and the
/// pipe holds far less than the rest, so the change lands mid-run. Then drains the
/// rest; returns those 4 bytes and the run's output (stderr captured).
fn change_mid_run(cmd: &mut Command, fifo: &Path, change: impl FnOnce()) -> ([u8; 4], Output) {
    mkfifo(fifo);
    let child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut out = fs::File::open(fifo).unwrap();
    let mut first = [0u8; 4];
    out.read_exact(&mut first).unwrap();
    change();
    let mut rest = Vec::new();
    out.read_to_end(&mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    fs::remove_file(fifo).unwrap();
    (first, o)
}

/// Appends `bytes` to the file at `path`.
fn append(path: &Path, bytes: &[u8]) {
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

/// Cuts the file at `path` to `len` bytes.
fn truncate(path: &Path, len: u64) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// A run that saw its input change size: exit 3 and one line saying so.
#[track_caller]
fn refused_as_changed(o: Output) {
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("changed size"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Waits until `dir` holds a non-empty temporary file (`.NAME.xxxx.tmp`).
fn wait_for_temp(dir: &Path) -> PathBuf {
    let t = Instant::now();
    loop {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") && e.metadata().unwrap().len() > 0 {
                return e.path();
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no temp file appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn interrupted_pack_and_unpack_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    ok(&["keygen", p(&key), "-q"]);
    let data = noise(3 << 20, 7);
    let src = dir.path().join("src");
    fs::write(&src, &data).unwrap();
    let sealed = dir.path().join("src.sst");
    ok(&[
        "pack",
        p(&src),
        "--key-file",
        p(&key),
        "--frame-size",
        "64K",
        "-q",
    ]);
    let container = fs::read(&sealed).unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    let out = work.join("out");

    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        for unpack in [false, true] {
            let args: Vec<&str> = if unpack {
                vec!["unpack", "-", "-o", p(&out), "--key-file", p(&key)]
            } else {
                vec![
                    "pack",
                    "-",
                    "-o",
                    p(&out),
                    "--frame-size",
                    "64K",
                    "--key-file",
                    p(&key),
                ]
            };
            let mut child = bin()
                .args(&args)
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            // Half of the input, and stdin stays open: the run waits for more.
            let feed = if unpack { &container } else { &data };
            stdin.write_all(&feed[..feed.len() / 2]).unwrap();
            stdin.flush().unwrap();
            let tmp = wait_for_temp(&work);
            if unpack {
                // The temporary file holds decrypted plaintext: what must not be left.
                let held = fs::read(&tmp).unwrap();
                assert!(data.starts_with(&held) && !held.is_empty());
            }
            signal(&child, sig);
            let status = child.wait().unwrap();
            drop(stdin);
            assert_eq!(
                status.signal(),
                Some(sig),
                "ends as the signal would end it"
            );
            assert!(
                listing(&work).is_empty(),
                "left behind: {:?}",
                listing(&work)
            );
        }
    }

    // The same with a FIFO as input whose writer went quiet.
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let mut child = bin()
        .args(["pack", p(&fifo), "-o", p(&out), "--frame-size", "4K"])
        .spawn()
        .unwrap();
    let mut w = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    w.write_all(&data[..1 << 20]).unwrap();
    wait_for_temp(&work);
    signal(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));
    assert!(listing(&work).is_empty());
}

#[test]
fn force_replaces_only_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("small.bin");
    fs::write(&src, b"small input").unwrap();

    // /dev/null: written through, with or without --force; it stays a device.
    for force in [false, true] {
        let mut args = vec!["pack", p(&src), "-o", "/dev/null"];
        if force {
            args.push("--force");
        }
        ok(&args);
        let ft = fs::symlink_metadata("/dev/null").unwrap().file_type();
        assert!(ft.is_char_device(), "/dev/null must stay a device");
    }

    // A FIFO: written through (a reader gets the container), stays a FIFO.
    let fifo = dir.path().join("fifo");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    ok(&["pack", p(&src), "-o", p(&fifo), "--force"]);
    let through = reader.join().unwrap();
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(&through[..4], b"SSTM");
    let copy = dir.path().join("copy.sst");
    fs::write(&copy, &through).unwrap();
    let back = ok(&["unpack", p(&copy), "-c"]);
    assert_eq!(back.stdout, b"small input");

    // A symbolic link to a regular file is not replaced, with or without --force.
    let target = dir.path().join("target");
    fs::write(&target, b"keep").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for force in [false, true] {
        let mut args = vec!["pack", p(&src), "-o", p(&link)];
        if force {
            args.push("--force");
        }
        let e = fails(2, &args);
        assert!(e.contains("symbolic link"), "{e}");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"keep");
    }
    // A link to a device is written through.
    let to_null = dir.path().join("to-null");
    std::os::unix::fs::symlink("/dev/null", &to_null).unwrap();
    ok(&["pack", p(&src), "-o", p(&to_null)]);
    assert!(
        fs::symlink_metadata(&to_null)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A regular file needs --force.
    let reg = dir.path().join("reg");
    fs::write(&reg, b"old").unwrap();
    let e = fails(2, &["pack", p(&src), "-o", p(&reg)]);
    assert!(e.contains("--force"), "{e}");
    ok(&["pack", p(&src), "-o", p(&reg), "--force"]);
    assert_eq!(&fs::read(&reg).unwrap()[..4], b"SSTM");
}

#[test]
fn a_closed_pipe_ends_quietly_like_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big");
    fs::write(&src, noise(8 << 20, 3)).unwrap();
    ok(&["pack", p(&src), "--compress", "none", "-q"]);
    let sst = dir.path().join("big.sst");

    let head = |cmd: &mut Command| {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut ten = [0u8; 10];
        out.read_exact(&mut ten).unwrap();
        drop(out); // as `head -c 10` does
        let res = child.wait_with_output().unwrap();
        (res.status, String::from_utf8(res.stderr).unwrap())
    };
    let (status, err) = head(bin().args(["unpack", p(&sst), "-c"]));
    assert_eq!(err, "", "no message");
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
    // pack to stdout and cat too.
    let (status, err) = head(bin().args(["pack", p(&src), "-c"]));
    assert_eq!((status.signal(), err.as_str()), (Some(libc::SIGPIPE), ""));
    let (status, err) = head(bin().args(["cat", p(&sst)]));
    assert_eq!((status.signal(), err.as_str()), (Some(libc::SIGPIPE), ""));

    // A closed stderr: the summary is dropped, not a panic; the work is done.
    let mut child = bin()
        .args(["pack", p(&src), "-o", p(&dir.path().join("e.sst"))])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert!(child.wait().unwrap().success());
    assert!(dir.path().join("e.sst").exists());

    // zstd, where installed, ends the same way.
    if Path::new("/usr/bin/zstd").exists() {
        let zst = dir.path().join("big.zst");
        let z = Command::new("/usr/bin/zstd")
            .args(["-q", "-1", p(&src), "-o", p(&zst)])
            .status()
            .unwrap();
        assert!(z.success());
        let (zs, _) = head(Command::new("/usr/bin/zstd").args(["-d", "-c", p(&zst)]));
        assert_eq!(zs.signal(), status.signal(), "same status as zstd");
    }
}

#[path = "support/pty.rs"]
mod pty;
use pty::pty;

#[path = "support/noise.rs"]
mod noise;
use noise::noise;

#[test]
fn stdin_at_a_terminal_is_refused_like_zstd() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    for args in [
        vec!["pack", "-o", p(&out)],
        vec!["pack"],
        vec!["unpack", "-", "-o", p(&out)],
        vec!["verify"],
        vec!["inspect", "-"],
    ] {
        let (_master, slave) = pty();
        let res = bin()
            .args(&args)
            .stdin(Stdio::from(slave))
            .output()
            .unwrap();
        let err = String::from_utf8(res.stderr).unwrap();
        assert_eq!(res.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("stdin is a console"), "{err}");
        assert!(!out.exists());
    }
}

#[test]
fn default_names_stdout_quiet_verbose_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = noise(300_000, 9);
    let f = dir.path().join("f.tar");
    fs::write(&f, &data).unwrap();

    // pack f -> f.sst, with a one-line summary on stderr.
    let out = ok(&["pack", p(&f)]);
    let sst = dir.path().join("f.tar.sst");
    assert!(sst.exists());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("{} -> {}: 292.97 KiB -> ", p(&f), p(&sst))),
        "{err}"
    );
    assert!(err.contains("%), ") && err.ends_with(" MB/s\n"), "{err}");
    // Exists: refused without --force; -q is silent.
    fails(2, &["pack", p(&f)]);
    let out = ok(&["pack", p(&f), "--force", "-q"]);
    assert!(out.stderr.is_empty());

    // unpack f.tar.sst -> f.tar (which exists: refused; moved away: written).
    let e = fails(2, &["unpack", p(&sst)]);
    assert!(e.contains("exists"), "{e}");
    fs::rename(&f, dir.path().join("orig")).unwrap();
    ok(&["unpack", p(&sst), "-q"]);
    assert!(fs::read(&f).unwrap() == data);

    // A name without .sst needs -o or -c.
    let other = dir.path().join("container.bin");
    fs::copy(&sst, &other).unwrap();
    let e = fails(2, &["unpack", p(&other)]);
    assert!(e.contains("does not end in .sst"), "{e}");
    // -c: stdout, and no summary there (unless -v).
    let out = ok(&["unpack", p(&other), "-c"]);
    assert!(out.stdout == data && out.stderr.is_empty());
    let out = ok(&["unpack", p(&other), "-c", "-v"]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(" -> stdout: ") && err.contains("MB/s"),
        "{err}"
    );
    let out = ok(&["pack", p(&f), "-c", "--compress", "none"]);
    assert_eq!(&out.stdout[..4], b"SSTM");
    assert!(out.stderr.is_empty());
    // -v names the temporary file.
    let v = ok(&["pack", p(&f), "-o", p(&dir.path().join("v.sst")), "-v"]);
    let err = String::from_utf8(v.stderr).unwrap();
    assert!(err.contains("via ") && err.contains(".tmp"), "{err}");
    // -q and -v together are a usage error.
    assert_eq!(run(&["pack", p(&f), "-q", "-v"]).status.code(), Some(2));

    // A directory as output gets the default name inside it.
    let into = dir.path().join("into");
    fs::create_dir(&into).unwrap();
    ok(&["pack", p(&f), "-o", p(&into), "-q"]);
    assert!(into.join("f.tar.sst").exists());
    let back = dir.path().join("back");
    fs::create_dir(&back).unwrap();
    ok(&["unpack", p(&into.join("f.tar.sst")), "-o", p(&back), "-q"]);
    assert!(fs::read(back.join("f.tar")).unwrap() == data);
    // ... and stdin has no name to put there: refused before any work.
    let res = bin()
        .args(["pack", "-", "-o", p(&into)])
        .stdin(fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert_eq!(listing(&into), ["f.tar.sst"]);
}

/// Strips ANSI escape sequences and splits on `\r` and `\n`.
fn screen_lines(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let mut clean = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            clean.push(c);
        }
    }
    clean
        .split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn progress_bar_for_stdin_on_a_terminal_is_labelled_and_fits_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let data = noise(3 << 20, 5);
    for quiet in [false, true] {
        let (mut master, slave) = pty();
        let mut args = vec!["pack", "-", "-o", "-"];
        if quiet {
            args.push("-q");
        }
        let mut child = bin()
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(fs::File::create(dir.path().join("o.sst")).unwrap())
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        // Read the terminal until every writer closed it (EIO).
        let screen = std::thread::spawn(move || {
            let mut all = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
            }
            all
        });
        let mut stdin = child.stdin.take().unwrap();
        for piece in data.chunks(1 << 20) {
            stdin.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(400));
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
        let raw = screen.join().unwrap();
        let lines = screen_lines(&raw);
        if quiet {
            assert!(lines.is_empty(), "{lines:?}");
            continue;
        }
        let bars: Vec<&String> = lines
            .iter()
            .filter(|l| l.starts_with("pack stdin"))
            .collect();
        assert!(!bars.is_empty(), "{lines:?}");
        for l in &lines {
            assert!(l.chars().count() <= 80, "{l:?} is wider than 80 columns");
        }
        assert!(
            bars.iter().any(|l| l.contains("MiB") && l.contains("/s")),
            "bytes and rate: {bars:?}"
        );
        let out = fs::read(dir.path().join("o.sst")).unwrap();
        assert_eq!(&out[..4], b"SSTM");
    }
}

#[test]
fn keys_from_files_of_every_format_and_from_variables() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let src = d("data");
    fs::write(&src, noise(100_000, 11)).unwrap();
    for (format, len) in [("raw", 32), ("hex", 65), ("base64", 45)] {
        let key = d(&format!("key.{format}"));
        ok(&["keygen", p(&key), "--format", format, "-q"]);
        let bytes = fs::read(&key).unwrap();
        assert_eq!(bytes.len(), len, "{format}");
        let sst = d(&format!("{format}.sst"));
        ok(&["pack", p(&src), "-o", p(&sst), "--key-file", p(&key), "-q"]);
        ok(&["verify", p(&sst), "--key-file", p(&key), "-q"]);
        let by_path = bin()
            .args(["unpack", p(&sst), "-c", "--key-env", "SS_TEST_KEY"])
            .env("SS_TEST_KEY", p(&key))
            .output()
            .unwrap();
        assert!(by_path.status.success());
        assert!(by_path.stdout == fs::read(&src).unwrap());
        // The same key through a variable: its text (not for raw bytes), or the
        // file's name.
        if format == "raw" {
            continue;
        }
        let by_value = bin()
            .args(["verify", p(&sst), "--key-env", "SS_TEST_KEY", "-q"])
            .env("SS_TEST_KEY", String::from_utf8_lossy(&bytes).as_ref())
            .status()
            .unwrap();
        assert!(by_value.success(), "{format}");
    }
    let sst = d("hex.sst");
    // Both sources: a usage error. An unset, empty or wrong variable: a key error.
    let both = run(&[
        "verify",
        p(&sst),
        "--key-file",
        p(&d("key.hex")),
        "--key-env",
        "X",
    ]);
    assert_eq!(both.status.code(), Some(2));
    let with_env = |value: Option<&str>| {
        let mut c = bin();
        c.args(["verify", p(&sst), "--key-env", "SS_TEST_KEY"]);
        match value {
            Some(v) => c.env("SS_TEST_KEY", v),
            None => c.env_remove("SS_TEST_KEY"),
        };
        let o = c.output().unwrap();
        (o.status.code(), String::from_utf8(o.stderr).unwrap())
    };
    let (code, err) = with_env(None);
    assert_eq!(code, Some(4));
    assert!(err.contains("key variable SS_TEST_KEY: not set"), "{err}");
    assert_eq!(with_env(Some("  ")).0, Some(4));
    assert_eq!(with_env(Some(&"zz".repeat(32))).0, Some(4));
    // A mistyped key is not echoed to stderr; one line, one "secstream:".
    let typo = format!("{}g", "5a".repeat(31) + "5");
    let (code, err) = with_env(Some(&typo));
    assert_eq!(code, Some(4), "{err}");
    assert!(!err.contains("5a5a5a"), "the key leaked: {err}");
    assert!(err.contains("not shown"), "{err}");
    assert_eq!(
        (err.lines().count(), err.matches("secstream:").count()),
        (1, 1),
        "{err}"
    );
    // A variable naming a file that is not a key: the file is named, once.
    let (code, err) = with_env(Some(p(&sst)));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("names key file"), "{err}");
    assert_eq!(err.matches("secstream:").count(), 1, "{err}");
    // Another valid key: authentication fails.
    let (code, err) = with_env(Some(&"ab".repeat(32)));
    assert_eq!(code, Some(6), "{err}");
    assert!(err.contains("authentication failed"), "{err}");
    // keygen refuses stdout and non-regular files.
    fails(2, &["keygen", "-"]);
    fails(2, &["keygen", "/dev/null", "--force"]);
}

#[test]
fn verify_counts_frames_alike_and_inspect_with_a_key_shows_the_size() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    ok(&["keygen", p(&key), "-q"]);
    for len in [0usize, 1, 4096, 4097, 10_000] {
        let src = dir.path().join(format!("d{len}"));
        fs::write(&src, noise(len, 13)).unwrap();
        let sst = dir.path().join(format!("d{len}.sst"));
        ok(&[
            "pack",
            p(&src),
            "--key-file",
            p(&key),
            "--frame-size",
            "4K",
            "-q",
        ]);
        let frames = |args: &[&str]| {
            let text = String::from_utf8(ok(args).stdout).unwrap();
            let at = text.find(" frame(s)").unwrap_or_else(|| panic!("{text}"));
            let n: String = text[..at]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect();
            n.chars().rev().collect::<String>().parse::<u64>().unwrap()
        };
        let without = frames(&["verify", p(&sst)]);
        let with = frames(&["verify", p(&sst), "--key-file", p(&key)]);
        assert_eq!(without, with, "len {len}");
        assert_eq!(with, (len.div_ceil(4096)).max(1) as u64, "len {len}");

        let text =
            String::from_utf8(ok(&["inspect", p(&sst), "--key-file", p(&key)]).stdout).unwrap();
        assert!(
            text.contains(&format!("data:           {len} bytes\n")),
            "{text}"
        );
        let text = String::from_utf8(ok(&["inspect", p(&sst)]).stdout).unwrap();
        assert!(text.contains("data:           unknown"), "{text}");
        assert!(
            text.contains(&format!("frames:         {with}\n")),
            "{text}"
        );
    }
}

#[test]
fn exit_codes_are_listed_in_help_and_readme() {
    let help = String::from_utf8(ok(&["--help"]).stdout).unwrap();
    assert!(help.contains("Exit codes:"), "{help}");
    for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "5 ", "6 ", "128+N"] {
        assert!(
            help.contains(&format!("\n  {code}")),
            "{code} missing: {help}"
        );
    }
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let table = &help[help.find("Exit codes:").unwrap()..];
    for line in table.lines().filter(|l| !l.trim().is_empty()) {
        assert!(readme.contains(line.trim_end()), "README lacks {line:?}");
    }
    // Each class, end to end.
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.sst");
    fs::write(&junk, b"not a container at all").unwrap();
    fails(5, &["verify", p(&junk)]);
    fails(3, &["verify", p(&dir.path().join("missing"))]);
    fails(
        4,
        &[
            "verify",
            p(&junk),
            "--key-file",
            p(&dir.path().join("nokey")),
        ],
    );
    assert_eq!(run(&["pack", "--level", "11"]).status.code(), Some(2));
}

#[test]
fn cat_range_reads_through_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let key = d("key");
    ok(&["keygen", p(&key), "-q"]);
    let data = noise(1_000_003, 17);
    let src = d("data");
    fs::write(&src, &data).unwrap();
    let size = data.len();
    let ranges: [(usize, usize); 7] = [
        (0, 0),
        (0, 10),
        (65_535, 2),
        (size - 1, 1),
        (123_456, 300_000),
        (0, size),
        (size, 0),
    ];
    for (name, extra, sealed) in [
        ("lz4-sealed.sst", vec!["--compress", "lz4"], true),
        (
            "deflate-sealed.sst",
            vec!["--compress", "deflate", "--level", "1"],
            true,
        ),
        ("none.sst", vec!["--compress", "none"], false),
        ("no-index.sst", vec!["--no-index"], true),
    ] {
        let sst = d(name);
        let mut args = vec!["pack", p(&src), "-o", p(&sst), "--frame-size", "64K", "-q"];
        args.extend(extra);
        if sealed {
            args.extend(["--key-file", p(&key)]);
        }
        ok(&args);
        let cat = |range: &str| {
            let mut args = vec!["cat", p(&sst), "--range", range];
            if sealed {
                args.extend(["--key-file", p(&key)]);
            }
            ok(&args).stdout
        };
        for (off, len) in ranges {
            let got = cat(&format!("{off}:{len}"));
            assert!(got == data[off..off + len], "{name} {off}:{len}");
        }
        assert!(cat("900000:") == data[900_000..], "{name}");
        assert!(cat("1K:1K") == data[1024..2048], "{name}");
        let mut whole = vec!["cat", p(&sst)];
        if sealed {
            whole.extend(["--key-file", p(&key)]);
        }
        assert!(ok(&whole).stdout == data, "{name}");
        // Past the end: a usage error, nothing written.
        let mut past = vec!["cat", p(&sst), "--range", "1000000:4"];
        if sealed {
            past.extend(["--key-file", p(&key)]);
        }
        let e = fails(2, &past);
        assert!(
            e.contains("past the end of the data (1000003 bytes)"),
            "{e}"
        );
        if sealed {
            fails(4, &["cat", p(&sst), "--range", "0:1"]);
            let other = d("other");
            fs::write(&other, "cd".repeat(32)).unwrap();
            fails(
                6,
                &["cat", p(&sst), "--range", "0:1", "--key-file", p(&other)],
            );
        }
    }

    // With the index, a frame outside the range is not read: a flipped byte in the first
    // frame stops `unpack` and a range that holds it, not a range at the end.
    let sst = d("lz4-sealed.sst");
    let mut bytes = fs::read(&sst).unwrap();
    bytes[100] ^= 0x40;
    let bad = d("bad.sst");
    fs::write(&bad, &bytes).unwrap();
    let tail = ok(&[
        "cat",
        p(&bad),
        "--range",
        "900000:1000",
        "--key-file",
        p(&key),
    ]);
    assert!(tail.stdout == data[900_000..901_000]);
    fails(
        5,
        &["cat", p(&bad), "--range", "0:10", "--key-file", p(&key)],
    );
    fails(5, &["unpack", p(&bad), "-c", "--key-file", p(&key)]);
    // stdin cannot seek.
    fails(2, &["cat", "-"]);
}

#[test]
fn threads_give_the_same_container_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let key = d("key");
    ok(&["keygen", p(&key), "-q"]);
    // Half text-like (compressible), half noise.
    let mut data: Vec<u8> = (0..400_000u32)
        .flat_map(|i| format!("{} ", i % 977).into_bytes())
        .take(700_000)
        .collect();
    data.extend(noise(300_000, 21));
    for len in [0usize, 1, 16_384, 16_385, 300_000] {
        let src = d(&format!("in{len}"));
        fs::write(&src, &data[..len]).unwrap();
        for compress in ["none", "deflate", "lz4"] {
            for (sealed, index) in [(false, true), (true, true), (true, false)] {
                let mut packed = Vec::new();
                for j in ["1", "2", "4"] {
                    let sst = d(&format!("{len}{compress}{sealed}{index}-j{j}.sst"));
                    let mut args = vec!["pack", p(&src), "-o", p(&sst), "-j", j, "-q"];
                    args.extend(["--compress", compress, "--frame-size", "16K"]);
                    args.extend(["--level", "1"]);
                    if sealed {
                        args.extend(["--key-file", p(&key)]);
                    }
                    if !index {
                        args.push("--no-index");
                    }
                    ok(&args);
                    packed.push(sst);
                }
                let what = format!("{len} {compress} sealed {sealed} index {index}");
                if !sealed {
                    // Without a random nonce, every thread count writes the same bytes.
                    let first = fs::read(&packed[0]).unwrap();
                    for other in &packed[1..] {
                        assert!(fs::read(other).unwrap() == first, "{what}");
                    }
                }
                // Each container unpacks with each thread count to the input.
                for sst in &packed {
                    for j in ["1", "3"] {
                        let mut args = vec!["unpack", p(sst), "-c", "-j", j];
                        if sealed {
                            args.extend(["--key-file", p(&key)]);
                        }
                        assert!(ok(&args).stdout == data[..len], "{what} -j{j}");
                    }
                }
            }
        }
    }

    // A regular file is packed by workers reading their own frames (positioned
    // reads), stdin through the writer: the same bytes. Frames larger than the
    // readers' window are read straight into their buffers: the same data back.
    let src = d("in1000000");
    fs::write(&src, &data).unwrap();
    for compress in ["none", "lz4"] {
        for checksum in ["crc32c", "none"] {
            let mut packed = Vec::new();
            for (j, stdin) in [("1", false), ("2", false), ("1", true), ("3", true)] {
                let sst = d(&format!("big-{compress}-{checksum}-{j}-{stdin}.sst"));
                let mut args = vec!["pack", "-o", p(&sst), "-j", j, "-q", "-f"];
                args.extend(["--compress", compress, "--checksum", checksum]);
                args.extend(["--frame-size", "300K"]);
                let mut cmd = bin();
                if stdin {
                    cmd.args(&args).stdin(fs::File::open(&src).unwrap());
                } else {
                    cmd.args(&args).arg(p(&src));
                }
                let out = cmd.output().unwrap();
                assert!(
                    out.status.success(),
                    "{compress} {checksum} -j{j} stdin {stdin}"
                );
                packed.push(fs::read(&sst).unwrap());
            }
            let what = format!("{compress} {checksum}");
            assert!(
                packed.iter().all(|b| *b == packed[0]),
                "{what}: bytes differ"
            );
            let sst = d("big.sst");
            fs::write(&sst, &packed[0]).unwrap();
            for j in ["1", "3"] {
                assert!(
                    ok(&["unpack", p(&sst), "-c", "-j", j]).stdout == data,
                    "{what}"
                );
                let out = bin()
                    .args(["unpack", "-c", "-j", j])
                    .stdin(fs::File::open(&sst).unwrap())
                    .output()
                    .unwrap();
                assert!(out.status.success() && out.stdout == data, "{what} stdin");
            }
        }
    }

    // A damaged frame in the middle: every thread count refuses it, leaving no file.
    let src = d("in300000");
    let sst = d("damaged.sst");
    ok(&[
        "pack",
        p(&src),
        "-o",
        p(&sst),
        "--frame-size",
        "16K",
        "--key-file",
        p(&key),
        "-q",
    ]);
    let mut bytes = fs::read(&sst).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    fs::write(&sst, &bytes).unwrap();
    let out = d("out");
    for j in ["1", "2", "4"] {
        fails(
            5,
            &[
                "unpack",
                p(&sst),
                "-o",
                p(&out),
                "-j",
                j,
                "--key-file",
                p(&key),
            ],
        );
        assert!(!out.exists());
        assert!(!listing(dir.path()).iter().any(|n| n.ends_with(".tmp")));
    }
}

#[test]
fn bad_inputs_and_ranges_end_with_one_line_and_the_documented_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let key = d("key");
    ok(&["keygen", p(&key), "-q"]);
    let other = d("other");
    ok(&["keygen", p(&other), "-q"]);
    let src = d("data");
    fs::write(&src, noise(200_000, 5)).unwrap();
    let sst = d("data.sst");
    ok(&["pack", p(&src), "--key-file", p(&key), "-q"]);
    let sub = d("sub");
    fs::create_dir(&sub).unwrap();

    // A directory is a usage error for every command, `cat` included.
    for cmd in ["pack", "verify", "inspect", "cat"] {
        let e = fails(2, &[cmd, p(&sub)]);
        assert!(e.contains("is a directory"), "{cmd}: {e}");
    }
    for cmd in ["pack", "verify", "inspect", "cat"] {
        fails(3, &[cmd, p(&d("missing"))]);
    }
    // cat needs a regular file: a FIFO or device is a usage error, not "truncated".
    let e = fails(2, &["cat", "/dev/null"]);
    assert!(e.contains("is not a regular file"), "{e}");
    // OFFSET + LEN past u64::MAX, or malformed: usage errors, no panic.
    let k = ["--key-file", p(&key)];
    for range in ["18446744073709551615:1", "1:18446744073709551615", "16E:1"] {
        let mut args = vec!["cat", p(&sst), "--range", range];
        args.extend(k);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{range}");
        assert!(out.stdout.is_empty(), "{range}");
    }

    // A huge thread count is capped (as zstd's -T), not an overflow panic.
    let j = d("j.sst");
    ok(&[
        "pack",
        p(&src),
        "-o",
        p(&j),
        "-j",
        "18446744073709551615",
        "-q",
    ]);
    ok(&["verify", p(&j), "-q"]);
    fs::remove_file(&j).unwrap();

    // The output is the input: refused even with --force (as zstd), input intact.
    let copy = d("copy");
    fs::copy(&src, &copy).unwrap();
    let e = fails(2, &["pack", p(&copy), "-o", p(&copy), "-f"]);
    assert!(e.contains("is the input file"), "{e}");
    let e = fails(
        2,
        &[
            "unpack",
            p(&sst),
            "-o",
            p(&sst),
            "-f",
            "--key-file",
            p(&key),
        ],
    );
    assert!(e.contains("is the input file"), "{e}");
    assert!(fs::read(&copy).unwrap() == fs::read(&src).unwrap());
    fs::remove_file(&copy).unwrap();
    // `-o missing/`: refused before any work, nothing left behind.
    let missing = format!("{}/", p(&d("missing")));
    let e = fails(3, &["pack", p(&src), "-o", &missing]);
    assert!(e.contains("no such directory"), "{e}");

    // A wrong key: inspect does not claim an empty container.
    let out = run(&["inspect", p(&sst), "--key-file", p(&other)]);
    assert_eq!(out.status.code(), Some(6));
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(
        shown.contains("frames:         0 read before the error"),
        "{shown}"
    );
    assert!(!shown.contains("data:"), "{shown}");
    assert!(shown.contains("complete:       no"), "{shown}");
    let shown = String::from_utf8(ok(&["inspect", p(&sst), "--key-file", p(&key)]).stdout).unwrap();
    assert!(shown.contains("data:           200000 bytes"), "{shown}");
    assert_eq!(
        listing(dir.path()),
        ["data", "data.sst", "key", "other", "sub"]
    );
}

/// `pack FILE` reads the size it saw at open, frames in parallel: a file that
/// grows meanwhile fails with a clear error instead of being cut short. The
/// output is a FIFO the test drains slowly, so the append lands mid-pack.
#[test]
fn a_file_that_grows_while_packed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("growing.bin");
    fs::write(&src, noise(8 << 20, 11)).unwrap();
    let fifo = dir.path().join("out.fifo");
    let (first, o) = change_mid_run(
        bin().args([
            "pack",
            p(&src),
            "-o",
            p(&fifo),
            "--force",
            "--frame-size",
            "64K",
            "-j1",
            "-q",
        ]),
        &fifo,
        // The preamble is out, so the size was taken.
        || append(&src, b"more"),
    );
    assert_eq!(&first, b"SSTM");
    refused_as_changed(o);
}

/// Packs `src` into `sst` unsealed and uncompressed, in 64 KiB frames: a container
/// that `unpack` reads through a mapping (Linux).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn pack_for_mapped_unpack(src: &Path, sst: &Path) {
    ok(&[
        "pack",
        p(src),
        "-o",
        p(sst),
        "--compress",
        "none",
        "--frame-size",
        "64K",
        "-q",
    ]);
}

/// `unpack SST -o OUT` on one thread, quiet.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn unpack_one_thread(sst: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.args(["unpack", p(sst), "-o", p(out), "-j1", "-q"]);
    c
}

/// `pack FILE` without compression (and `unpack` of an unsealed, uncompressed
/// container) reads a regular file through a read-only mapping (Linux). A file
/// truncated meanwhile must not crash it (SIGBUS) nor leave a temporary file: it fails
/// with exit 3 and one clear line. Into a FIFO the test drains slowly (so the
/// truncation surely lands mid-run), then into a regular file (its temporary file must
/// go), retried if a run finished before the truncation.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn a_file_truncated_while_packed_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("shrinking.bin");
    let args = |out: &Path| {
        let mut c = bin();
        c.args([
            "pack",
            p(&src),
            "-o",
            p(out),
            "--force",
            "--compress",
            "none",
            "--frame-size",
            "64K",
            "-j1",
            "-q",
        ])
        .stderr(Stdio::piped());
        c
    };
    let check = |o: Output| {
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(
            err.starts_with("secstream: reading ")
                && err.contains("the file shrank while it was read"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    };

    fs::write(&src, noise(8 << 20, 12)).unwrap();
    let fifo = dir.path().join("out.fifo");
    let (first, o) = change_mid_run(&mut args(&fifo), &fifo, || truncate(&src, 100_000));
    assert_eq!(&first, b"SSTM");
    check(o);

    // `unpack` of an unsealed, uncompressed container maps it too.
    fs::write(&src, noise(8 << 20, 14)).unwrap();
    let sst = dir.path().join("packed.sst");
    pack_for_mapped_unpack(&src, &sst);
    let (_, o) = change_mid_run(&mut unpack_one_thread(&sst, &fifo), &fifo, || {
        truncate(&sst, 100_000)
    });
    check(o);
    fs::remove_file(&sst).unwrap();

    let dest = dir.path().join("out.sst");
    for attempt in 0.. {
        assert!(attempt < 5, "every pack finished before the truncation");
        fs::write(&src, noise(32 << 20, 13)).unwrap();
        let child = args(&dest).spawn().unwrap();
        wait_for_temp(dir.path());
        truncate(&src, 0);
        let o = child.wait_with_output().unwrap();
        if o.status.success() {
            fs::remove_file(&dest).unwrap();
            continue;
        }
        check(o);
        assert_eq!(listing(dir.path()), ["shrinking.bin"]);
        break;
    }
}

/// `unpack` of an unsealed container in a regular file reads it through a mapping of
/// the size seen at open (Linux): bytes appended meanwhile would go unseen (read,
/// they are refused as bytes after the end), so a size change fails the run, with no
/// output left. The output is a FIFO the test drains slowly, so the append lands
/// mid-run.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn a_container_that_grows_while_unpacked_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("data.bin");
    fs::write(&src, noise(8 << 20, 15)).unwrap();
    let sst = dir.path().join("data.sst");
    pack_for_mapped_unpack(&src, &sst);
    let fifo = dir.path().join("out.fifo");
    let (_, o) = change_mid_run(&mut unpack_one_thread(&sst, &fifo), &fifo, || {
        append(&sst, b"more")
    });
    refused_as_changed(o);
    // Grown before the run: the mapping holds the extra bytes, refused as the
    // reader refuses them (integrity, exit 5), and no output is left.
    let dest = dir.path().join("back.bin");
    let e = fails(5, &["unpack", p(&sst), "-o", p(&dest), "-q"]);
    assert!(e.contains("data after the end"), "{e}");
    assert_eq!(listing(dir.path()), ["data.bin", "data.sst"]);
}
