//! Passphrase-protected containers through the CLI: round trips with the passphrase
//! from a variable, a file and the terminal prompt (a pseudo-terminal), a wrong
//! passphrase (exit 6), the options that exclude one another, damaged and hostile
//! envelopes (clear errors, refused before the key derivation allocates).

#![cfg(unix)]

use std::fs;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Bytes of the envelope before the container.
const ENVELOPE_LEN: usize = 38;
/// Cheap Argon2id costs for most tests.
const CHEAP: [&str; 4] = ["--kdf-memory", "256K", "--kdf-passes", "1"];

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_secstream"));
    // No controlling terminal: nothing here may ever wait on the developer's terminal.
    // SAFETY: `new_session` calls only async-signal-safe functions.
    unsafe { c.pre_exec(new_session) };
    c
}

/// In a child before `exec`: a new session, so no controlling terminal.
fn new_session() -> std::io::Result<()> {
    // SAFETY: `setsid` is async-signal-safe and has no memory preconditions (it fails
    // only for a group leader, which a fresh child is not).
    unsafe { libc::setsid() };
    Ok(())
}

/// In a child before `exec`: a new session whose controlling terminal is fd 2 (stdio
/// is set up before this runs).
fn session_on_stderr_terminal() -> std::io::Result<()> {
    new_session()?;
    // SAFETY: `ioctl` is async-signal-safe; TIOCSCTTY takes an int argument.
    if unsafe { libc::ioctl(2, libc::TIOCSCTTY, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// In a child before `exec`: a new session and at most 1 GiB of address space.
fn session_in_1_gib() -> std::io::Result<()> {
    new_session()?;
    let lim = libc::rlimit {
        rlim_cur: 1 << 30,
        rlim_max: 1 << 30,
    };
    // SAFETY: `setrlimit` is async-signal-safe; `lim` is a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &raw const lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs with `SS_PASS` set to `pass` (unset for `None`).
fn run(args: &[&str], pass: Option<&str>) -> Output {
    let mut c = bin();
    c.args(args).env_remove("SS_PASS");
    if let Some(pw) = pass {
        c.env("SS_PASS", pw);
    }
    c.output().unwrap()
}

#[track_caller]
fn ok(args: &[&str], pass: Option<&str>) -> Output {
    let out = run(args, pass);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs and expects exit code `code` with one line on stderr; returns the line.
#[track_caller]
fn fails(code: i32, args: &[&str], pass: Option<&str>) -> String {
    let out = run(args, pass);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.lines().count() == 1 || (code == 2 && err.starts_with("error: ")),
        "one line expected: {err:?}"
    );
    err
}

/// The CRC-32C of `b` (the envelope's checksum), bit by bit.
fn crc32c(b: &[u8]) -> u32 {
    let mut c = !0u32;
    for &x in b {
        c ^= u32::from(x);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// `sst` with envelope bytes rewritten by `edit` and the CRC fixed again.
fn forged(sst: &[u8], edit: impl FnOnce(&mut [u8])) -> Vec<u8> {
    let mut t = sst.to_vec();
    edit(&mut t[..ENVELOPE_LEN]);
    let crc = crc32c(&t[..ENVELOPE_LEN - 4]);
    t[ENVELOPE_LEN - 4..ENVELOPE_LEN].copy_from_slice(&crc.to_le_bytes());
    t
}

#[test]
fn round_trips_with_a_variable_and_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let data = noise(700_000, 3);
    let src = d("data");
    fs::write(&src, &data).unwrap();
    let pw = "tr0ub4dor & 3, ünïcode";
    let sst = d("data.sst");
    let mut args = vec![
        "pack",
        p(&src),
        "-o",
        p(&sst),
        "--passphrase-env",
        "SS_PASS",
        "--frame-size",
        "64K",
        "-q",
    ];
    args.extend(CHEAP);
    ok(&args, Some(pw));
    let bytes = fs::read(&sst).unwrap();
    // The envelope: magic, version, Argon2id, 256 KiB, 1 pass, 1 lane; then a sealed
    // container v2.
    assert_eq!(&bytes[..6], b"SSTP\x01\x01");
    assert_eq!(&bytes[6..18], &[0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(&bytes[ENVELOPE_LEN..ENVELOPE_LEN + 5], b"SSTM\x02");
    assert_eq!(bytes[ENVELOPE_LEN + 7], 1, "sealed");

    // The same passphrase from a file: LF, CRLF or no line ending.
    for (i, ending) in ["\n", "\r\n", ""].into_iter().enumerate() {
        let pass_file = d(&format!("pass{i}"));
        fs::write(&pass_file, format!("{pw}{ending}")).unwrap();
        let out = d(&format!("out{i}"));
        ok(
            &[
                "unpack",
                p(&sst),
                "-o",
                p(&out),
                "--passphrase-file",
                p(&pass_file),
                "-q",
            ],
            None,
        );
        assert!(fs::read(&out).unwrap() == data, "{ending:?}");
    }
    // unpack -c, with threads.
    let c = ok(
        &[
            "unpack",
            p(&sst),
            "-c",
            "-j3",
            "--passphrase-env",
            "SS_PASS",
        ],
        Some(pw),
    );
    assert!(c.stdout == data);
    // verify with and without the passphrase: the same frames.
    let with = ok(
        &["verify", p(&sst), "--passphrase-env", "SS_PASS"],
        Some(pw),
    );
    let with = String::from_utf8(with.stdout).unwrap();
    assert!(
        with.contains("authenticity and completeness; 11 frame(s), 700000 bytes"),
        "{with}"
    );
    let without = String::from_utf8(ok(&["verify", p(&sst)], None).stdout).unwrap();
    assert!(
        without.contains("11 frame(s), sealed with a passphrase; authenticity not checked"),
        "{without}"
    );
    // inspect shows the costs, and the size with the passphrase.
    let i = String::from_utf8(ok(&["inspect", p(&sst)], None).stdout).unwrap();
    assert!(
        i.contains("passphrase:     Argon2id, 256 KiB, 1 pass, 1 lane (envelope v1)"),
        "{i}"
    );
    assert!(i.contains("give --passphrase to open the frames"), "{i}");
    let i = ok(
        &["inspect", p(&sst), "--passphrase-env", "SS_PASS"],
        Some(pw),
    );
    let i = String::from_utf8(i.stdout).unwrap();
    assert!(i.contains("data:           700000 bytes"), "{i}");
    // cat reads a range through the index, after the envelope.
    let r = ok(
        &[
            "cat",
            p(&sst),
            "--range",
            "100000:70000",
            "--passphrase-env",
            "SS_PASS",
        ],
        Some(pw),
    );
    assert!(r.stdout == data[100_000..170_000]);
    // stdin to stdout and back.
    let packed = piped(
        bin()
            .args(["pack", "-", "-o", "-", "--passphrase-env", "SS_PASS"])
            .args(CHEAP)
            .env("SS_PASS", pw),
        data.clone(),
    );
    assert!(packed.status.success());
    let back = piped(
        bin()
            .args(["unpack", "-", "-c", "--passphrase-env", "SS_PASS"])
            .env("SS_PASS", pw),
        packed.stdout,
    );
    assert!(back.status.success() && back.stdout == data);
}

#[test]
fn default_costs_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("small");
    fs::write(&src, b"a small secret").unwrap();
    let sst = dir.path().join("small.sst");
    let v = ok(
        &["pack", p(&src), "--passphrase-env", "SS_PASS", "-v"],
        Some("pw"),
    );
    let said = String::from_utf8(v.stderr).unwrap();
    assert!(
        said.contains("Argon2id, 65536 KiB, 3 passes, 1 lane"),
        "{said}"
    );
    assert!(!said.contains("pw\n") && !said.contains(" pw"), "{said}");
    let b = fs::read(&sst).unwrap();
    assert_eq!(&b[6..18], &[0, 0, 1, 0, 3, 0, 0, 0, 1, 0, 0, 0]);
    // A fresh salt every time.
    let again = dir.path().join("again.sst");
    ok(
        &[
            "pack",
            p(&src),
            "-o",
            p(&again),
            "--passphrase-env",
            "SS_PASS",
        ],
        Some("pw"),
    );
    assert_ne!(fs::read(&again).unwrap()[18..34], b[18..34]);
    let c = ok(
        &["unpack", p(&sst), "-c", "--passphrase-env", "SS_PASS"],
        Some("pw"),
    );
    assert_eq!(c.stdout, b"a small secret");
}

#[test]
fn a_wrong_passphrase_is_an_authentication_failure() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let src = d("f");
    fs::write(&src, noise(200_000, 8)).unwrap();
    let mut args = vec!["pack", p(&src), "--passphrase-env", "SS_PASS", "-q"];
    args.extend(CHEAP);
    ok(&args, Some("right"));
    let sst = d("f.sst");
    fs::remove_file(&src).unwrap();
    for cmd in [
        vec!["unpack", p(&sst)],
        vec!["verify", p(&sst)],
        vec!["cat", p(&sst)],
        vec!["inspect", p(&sst)],
    ] {
        let mut args = cmd.clone();
        args.extend(["--passphrase-env", "SS_PASS"]);
        let err = fails(6, &args, Some("wrong"));
        assert!(
            err.contains(
                "authentication failed (wrong passphrase, or the sealed data was modified)"
            ),
            "{cmd:?}: {err}"
        );
        assert!(!err.contains("wrong\n") && !err.contains("right"), "{err}");
    }
    assert!(!src.exists(), "no output");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "nothing left");
}

#[test]
fn secrets_exclude_each_other_and_must_match_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let src = d("f");
    fs::write(&src, b"data").unwrap();
    let key = d("key");
    ok(&["keygen", p(&key), "-q"], None);
    let pf = d("pass");
    fs::write(&pf, "pw\n").unwrap();
    // Two secrets at once: a usage error (clap's), for every command.
    for cmd in ["pack", "unpack", "verify", "inspect", "cat"] {
        for pair in [
            ["--passphrase", "--key-file", p(&key)].as_slice(),
            &["--passphrase-env", "SS_PASS", "--key-env", "K"],
            &["--passphrase-file", p(&pf), "--key-file", p(&key)],
            &["--passphrase-file", p(&pf), "--passphrase-env", "SS_PASS"],
            &["--passphrase", "--passphrase-env", "SS_PASS"],
        ] {
            let mut args = vec![cmd, p(&src)];
            args.extend(pair);
            let out = run(&args, Some("pw"));
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(err.contains("cannot be used with"), "{err}");
        }
    }
    // Costs without a passphrase; costs out of range.
    let e = fails(2, &["pack", p(&src), "--kdf-memory", "1M"], None);
    assert!(e.contains("go with --passphrase"), "{e}");
    let mut args = vec!["pack", p(&src), "--passphrase-env", "SS_PASS", "-o", "x"];
    args.extend(["--kdf-memory", "4K"]);
    let e = fails(2, &args, Some("pw"));
    assert!(e.contains("memory cost 4 KiB"), "{e}");
    args.truncate(6);
    args.extend(["--kdf-memory", "2G", "--kdf-passes", "5"]);
    let e = fails(2, &args, Some("pw"));
    assert!(e.contains("above the limit"), "{e}");
    assert!(!d("x").exists());

    let sst = d("f.sst");
    let mut args = vec!["pack", p(&src), "--passphrase-file", p(&pf), "-q"];
    args.extend(CHEAP);
    ok(&args, None);
    let plain = d("plain.sst");
    ok(
        &[
            "pack",
            p(&src),
            "-o",
            p(&plain),
            "--key-file",
            p(&key),
            "-q",
        ],
        None,
    );
    // A key for a passphrase container, a passphrase for a keyed one: key errors.
    let e = fails(4, &["unpack", p(&sst), "-c", "--key-file", p(&key)], None);
    assert!(
        e.contains("is protected by a passphrase, not a key file"),
        "{e}"
    );
    let e = fails(4, &["verify", p(&plain), "--passphrase-file", p(&pf)], None);
    assert!(e.contains("has no passphrase envelope"), "{e}");
    // No secret: unpack and cat say what to give; verify checks what it can.
    for cmd in ["unpack", "cat"] {
        let e = fails(
            4,
            &[cmd, p(&sst), "-o", p(&d("o"))][..if cmd == "cat" { 2 } else { 4 }],
            None,
        );
        assert!(
            e.contains("give --passphrase (to be asked), --passphrase-file or --passphrase-env"),
            "{e}"
        );
    }
    ok(&["verify", p(&sst), "-q"], None);
    // Unusable passphrases: key errors that never show the value.
    let e = fails(4, &["verify", p(&sst), "--passphrase-env", "SS_PASS"], None);
    assert!(e.contains("passphrase variable SS_PASS: not set"), "{e}");
    let e = fails(
        4,
        &["verify", p(&sst), "--passphrase-env", "SS_PASS"],
        Some(""),
    );
    assert!(e.contains("empty"), "{e}");
    for (content, why) in [
        ("", "empty"),
        ("\n", "empty"),
        ("pw\nsecond line\n", "more than one line"),
    ] {
        fs::write(&pf, content).unwrap();
        let e = fails(4, &["verify", p(&sst), "--passphrase-file", p(&pf)], None);
        assert!(e.contains(why), "{content:?}: {e}");
        assert!(!e.contains("second line"), "{e}");
    }
    fs::write(&pf, "x".repeat(5000)).unwrap();
    let e = fails(4, &["verify", p(&sst), "--passphrase-file", p(&pf)], None);
    assert!(e.contains("longer than 4096 bytes"), "{e}");
    let e = fails(
        4,
        &["verify", p(&sst), "--passphrase-file", p(&d("missing"))],
        None,
    );
    assert!(e.contains("passphrase file"), "{e}");
    // --passphrase without a terminal (this test's children have none): refused.
    let e = fails(
        2,
        &["pack", p(&src), "-o", p(&d("t.sst")), "--passphrase"],
        None,
    );
    assert!(e.contains("no terminal to ask on"), "{e}");
    assert!(!d("t.sst").exists());
    let e = fails(2, &["unpack", p(&sst), "-c", "--passphrase"], None);
    assert!(e.contains("--passphrase-file or --passphrase-env"), "{e}");
}

#[test]
fn damaged_and_hostile_envelopes_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let src = d("f");
    fs::write(&src, noise(50_000, 2)).unwrap();
    let sst = d("f.sst");
    let mut args = vec!["pack", p(&src), "--passphrase-env", "SS_PASS", "-q"];
    args.extend(CHEAP);
    ok(&args, Some("pw"));
    let good = fs::read(&sst).unwrap();
    let bad = d("bad.sst");
    let check = |bytes: &[u8], code: i32, want: &str| {
        fs::write(&bad, bytes).unwrap();
        for cmd in ["unpack", "verify", "inspect", "cat"] {
            let args = [cmd, p(&bad), "-c", "--passphrase-env", "SS_PASS"];
            let args = if cmd == "unpack" {
                &args[..]
            } else {
                &[args[0], args[1], args[3], args[4]][..]
            };
            let e = fails(code, args, Some("pw"));
            assert!(e.contains(want), "{cmd}: {e} (wanted {want:?})");
        }
    };
    let mut t = good.clone();
    t[4] = 9;
    check(&t, 5, "unsupported passphrase envelope version 9");
    let mut t = good.clone();
    t[20] ^= 0x10;
    check(&t, 5, "passphrase envelope checksum mismatch");
    check(&good[..20], 5, "passphrase envelope truncated");
    check(
        &forged(&good, |e| e[5] = 7),
        5,
        "unknown key derivation function id 7",
    );
    // Salt or costs changed with the CRC fixed: another key, the frames do not open.
    check(&forged(&good, |e| e[25] ^= 1), 6, "wrong passphrase");
    check(&forged(&good, |e| e[10] = 2), 6, "wrong passphrase");
    // Hostile costs: refused from the envelope alone, before any derivation.
    let costs = |m: u32, t: u32, pl: u32| {
        forged(&good, |e| {
            e[6..10].copy_from_slice(&m.to_le_bytes());
            e[10..14].copy_from_slice(&t.to_le_bytes());
            e[14..18].copy_from_slice(&pl.to_le_bytes());
        })
    };
    check(
        &costs(u32::MAX, 1, 1),
        5,
        "memory cost 4294967295 KiB is outside",
    );
    check(
        &costs(1024, u32::MAX, 1),
        5,
        "argon2id work 1024 KiB x 4294967295 passes",
    );
    check(
        &costs(256, 1, 1 << 20),
        5,
        "argon2id parallelism 1048576 is outside",
    );
    check(&costs(256, 0, 1), 5, "argon2id passes 0");
    // An envelope before an unsealed container: refused.
    let plain = d("plain.sst");
    ok(&["pack", p(&src), "-o", p(&plain), "-q"], None);
    let mut t = good[..ENVELOPE_LEN].to_vec();
    t.extend(fs::read(&plain).unwrap());
    fs::write(&bad, &t).unwrap();
    for cmd in ["verify", "inspect"] {
        let e = fails(5, &[cmd, p(&bad)], None);
        assert!(e.contains("must be followed by a sealed container"), "{e}");
    }
    let e = fails(
        4,
        &["unpack", p(&bad), "-c", "--passphrase-env", "SS_PASS"],
        Some("pw"),
    );
    assert!(e.contains("not sealed"), "{e}");
}

#[test]
fn kdf_memory_the_machine_cannot_give_is_an_error_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f");
    fs::write(&src, b"x").unwrap();
    let sst = dir.path().join("f.sst");
    let mut args = vec!["pack", p(&src), "--passphrase-env", "SS_PASS", "-q"];
    args.extend(CHEAP);
    ok(&args, Some("pw"));
    // 2 GiB (the largest allowed), 1 pass, in a process limited to 1 GiB of address space.
    let big = forged(&fs::read(&sst).unwrap(), |e| {
        e[6..10].copy_from_slice(&(2u32 << 20).to_le_bytes());
    });
    fs::write(&sst, big).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_secstream"));
    // SAFETY: `session_in_1_gib` calls only async-signal-safe functions.
    unsafe { c.pre_exec(session_in_1_gib) };
    let out = c
        .args(["verify", p(&sst), "--passphrase-env", "SS_PASS"])
        .env("SS_PASS", "pw")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot allocate the memory of the passphrase key derivation"),
        "{err}"
    );
}

#[path = "support/pty.rs"]
mod pty;
use pty::pty;

#[path = "support/noise.rs"]
mod noise;
use noise::noise;

#[path = "support/piped.rs"]
mod piped;
use piped::piped;

/// Runs `args` with the pty's slave as controlling terminal (and stderr), stdin from
/// `stdin`; answers each prompt in `answers` when it appears; returns the exit code and
/// everything the terminal showed.
fn at_terminal(args: &[&str], stdin: Stdio, answers: &[&str]) -> (Option<i32>, String) {
    let (mut master, slave) = pty();
    let mut c = Command::new(env!("CARGO_BIN_EXE_secstream"));
    // SAFETY: `session_on_stderr_terminal` calls only async-signal-safe functions.
    unsafe { c.pre_exec(session_on_stderr_terminal) };
    let mut child = c
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The command holds the slave's fd: drop it, so the master sees the end (EIO)
    // once the child is gone.
    drop(c);
    let mut screen = Vec::new();
    let mut buf = [0u8; 256];
    let mut answered = 0;
    let start = Instant::now();
    // Read what the terminal shows until the child closes it (EIO), answering prompts.
    loop {
        let n = match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        screen.extend_from_slice(&buf[..n]);
        let prompts = String::from_utf8_lossy(&screen).matches(": ").count();
        while answered < answers.len() && answered < prompts {
            // Typed as soon as the prompt shows: echo is already off.
            master.write_all(answers[answered].as_bytes()).unwrap();
            master.write_all(b"\n").unwrap();
            answered += 1;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "stuck");
    }
    let status = child.wait().unwrap();
    (status.code(), String::from_utf8_lossy(&screen).into_owned())
}

#[test]
fn the_prompt_asks_twice_and_never_echoes() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    let data = noise(100_000, 4);
    fs::write(d("f"), &data).unwrap();
    let sst = d("f.sst");
    // Data on stdin, the passphrase from the terminal.
    let mut args = vec!["pack", "-", "-o", p(&sst), "--passphrase", "-q"];
    args.extend(CHEAP);
    let (code, screen) = at_terminal(
        &args,
        Stdio::from(fs::File::open(d("f")).unwrap()),
        &["s3cret phrase", "s3cret phrase"],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Passphrase for stdin: "), "{screen}");
    assert!(screen.contains("Same passphrase again: "), "{screen}");
    assert!(!screen.contains("s3cret"), "echoed: {screen:?}");
    let c = ok(
        &["unpack", p(&sst), "-c", "--passphrase-env", "SS_PASS"],
        Some("s3cret phrase"),
    );
    assert!(c.stdout == data);
    // Read back at the terminal.
    let (code, screen) = at_terminal(
        &["verify", p(&sst), "--passphrase"],
        Stdio::null(),
        &["s3cret phrase"],
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains(&format!("Passphrase of {}: ", p(&sst))),
        "{screen}"
    );
    assert!(!screen.contains("s3cret"), "{screen:?}");
    let (code, screen) = at_terminal(
        &["verify", p(&sst), "--passphrase"],
        Stdio::null(),
        &["not it"],
    );
    assert_eq!(code, Some(6), "{screen}");
    assert!(!screen.contains("not it"), "{screen:?}");
    // Two different answers: nothing written.
    let other = d("other.sst");
    let (code, screen) = at_terminal(
        &["pack", p(&d("f")), "-o", p(&other), "--passphrase"],
        Stdio::null(),
        &["one", "two"],
    );
    assert_eq!(code, Some(4), "{screen}");
    assert!(screen.contains("the two passphrases differ"), "{screen}");
    assert!(!other.exists());
}

#[test]
fn an_interrupted_prompt_gives_the_terminal_its_echo_back() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("f");
    fs::write(&src, b"x").unwrap();
    let (mut master, slave) = pty();
    let keep = slave.try_clone().unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_secstream"));
    // SAFETY: `session_on_stderr_terminal` calls only async-signal-safe functions.
    unsafe { c.pre_exec(session_on_stderr_terminal) };
    let echo_on = || {
        use std::os::fd::AsRawFd;
        // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `keep` is an open terminal, `t` a valid termios.
        assert_eq!(unsafe { libc::tcgetattr(keep.as_raw_fd(), &raw mut t) }, 0);
        t.c_lflag & libc::ECHO != 0
    };
    assert!(echo_on(), "a new terminal echoes");
    let mut child = c
        .args(["pack", p(&src), "-o", "-", "--passphrase"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 64];
    while !String::from_utf8_lossy(&seen).contains("Passphrase for") {
        let n = master.read(&mut buf).unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    // The prompt is out: echo went off before it.
    assert!(!echo_on(), "echo on at the prompt");
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: `kill` has no memory preconditions; `pid` is our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
    assert!(echo_on(), "the terminal was left without echo");
}
