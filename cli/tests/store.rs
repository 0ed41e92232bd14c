//! `secstream store ...` run as a user would: put from stdin, get to stdout,
//! ls, stat, versions, rm, and the failures (wrong key, missing path, missing
//! store file), each one clear line on stderr.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_secstream"))
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut c = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut i = c.stdin.take().unwrap();
    let data = stdin.to_vec();
    let t = std::thread::spawn(move || {
        let _ = i.write_all(&data);
    });
    let out = c.wait_with_output().unwrap();
    t.join().unwrap();
    out
}

#[track_caller]
fn ok(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let out = run(args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs a command that must fail with exit `code` (the table in `--help`)
/// and one line on stderr; returns the line.
#[track_caller]
fn fails(code: i32, args: &[&str]) -> String {
    let out = run(args, b"");
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?} should fail with {code}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("secstream: "), "{err:?}");
    err
}

fn sample(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| u8::try_from(i % 251).unwrap() ^ seed)
        .collect()
}

#[test]
fn put_get_ls_stat_versions_rm() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.bin");
    std::fs::write(&key, [7u8; 32]).unwrap();
    let db = dir.path().join("store.db");
    let (db, key) = (p(&db), p(&key));
    let big = sample(300_000, 1);
    let put = ok(&["store", "put", db, "docs/a", "--key-file", key], &big);
    assert_eq!(
        String::from_utf8(put).unwrap(),
        "docs/a\tversion 1\t300000 bytes\n"
    );
    ok(
        &[
            "store",
            "put",
            db,
            "docs/b",
            "--key-file",
            key,
            "--compress",
            "deflate",
        ],
        b"bee",
    );
    ok(
        &[
            "store",
            "put",
            db,
            "other",
            "--key-file",
            key,
            "--compress",
            "none",
        ],
        b"",
    );
    let v2 = sample(1000, 2);
    ok(&["store", "put", db, "docs/a", "--key-file", key], &v2);

    assert_eq!(
        ok(&["store", "get", db, "docs/a", "--key-file", key], b""),
        v2
    );
    assert_eq!(
        ok(
            &[
                "store",
                "get",
                db,
                "docs/a",
                "--key-file",
                key,
                "--version",
                "1"
            ],
            b""
        ),
        big
    );
    assert_eq!(
        ok(&["store", "get", db, "other", "--key-file", key], b""),
        b""
    );
    assert_eq!(
        ok(&["store", "ls", db, "docs/", "--key-file", key], b""),
        b"docs/a\ndocs/b\n"
    );
    assert_eq!(
        ok(&["store", "ls", db, "--key-file", key], b""),
        b"docs/a\ndocs/b\nother\n"
    );

    let stat =
        String::from_utf8(ok(&["store", "stat", db, "docs/a", "--key-file", key], b"")).unwrap();
    assert!(stat.contains("version: 2\n"), "{stat}");
    assert!(stat.contains("size: 1000\n"), "{stat}");
    assert!(stat.contains("versions kept: 2\n"), "{stat}");
    assert!(stat.contains("compression: lz4"), "{stat}");

    let vs = String::from_utf8(ok(
        &["store", "versions", db, "docs/a", "--key-file", key],
        b"",
    ))
    .unwrap();
    let lines: Vec<&str> = vs.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with("1\t300000\t"), "{vs}");
    assert!(lines[1].starts_with("2\t1000\t"), "{vs}");

    ok(&["store", "rm", db, "docs/a", "--key-file", key], b"");
    assert_eq!(
        ok(&["store", "ls", db, "--key-file", key], b""),
        b"docs/b\nother\n"
    );
    let e = fails(2, &["store", "get", db, "docs/a", "--key-file", key]);
    assert!(e.contains("no such path"), "{e}");
    let e = fails(2, &["store", "rm", db, "docs/a", "--key-file", key]);
    assert!(e.contains("no such path"), "{e}");
}

#[test]
fn failures_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.bin");
    std::fs::write(&key, [7u8; 32]).unwrap();
    let other = dir.path().join("other.bin");
    std::fs::write(&other, [8u8; 32]).unwrap();
    let db = dir.path().join("store.db");
    let (dbs, key, other) = (p(&db), p(&key), p(&other));
    let e = fails(3, &["store", "ls", dbs, "--key-file", key]);
    assert!(e.contains("no such store file"), "{e}");
    assert!(!db.exists(), "reading must not create the store");
    ok(&["store", "put", dbs, "x", "--key-file", key], b"data");
    let e = fails(4, &["store", "get", dbs, "x", "--key-file", other]);
    assert!(e.contains("wrong key"), "{e}");
    let e = fails(
        2,
        &[
            "store",
            "get",
            dbs,
            "x",
            "--key-file",
            key,
            "--version",
            "9",
        ],
    );
    assert!(e.contains("no such path or version"), "{e}");
    let e = fails(2, &["store", "stat", dbs, "nope", "--key-file", key]);
    assert!(e.contains("nope"), "{e}");
    // A damaged store file is an error, not a panic.
    let mut bytes = std::fs::read(&db).unwrap();
    let n = bytes.len();
    for b in &mut bytes[..n.min(8192)] {
        *b ^= 0xA5;
    }
    std::fs::write(&db, &bytes).unwrap();
    let out = run(&["store", "get", dbs, "x", "--key-file", key], b"");
    // Integrity (5), or authentication (6) when a chunk's bytes changed.
    let code = out.status.code();
    assert!(
        code == Some(5) || code == Some(6),
        "a damaged store: {code:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // Usage errors exit with 2.
    assert_eq!(run(&["store", "put", dbs], b"").status.code(), Some(2));
}

#[test]
fn export_unpacks_with_the_cli_and_imports_back() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.bin");
    std::fs::write(&key, [9u8; 32]).unwrap();
    let db = dir.path().join("store.db");
    let sst = dir.path().join("a.sst");
    let (db, key, ssts) = (p(&db), p(&key), p(&sst));
    let data = sample(200_000, 3);
    ok(
        &[
            "store",
            "put",
            db,
            "a",
            "--key-file",
            key,
            "--compress",
            "deflate",
        ],
        &data,
    );
    let exported = ok(&["store", "export", db, "a", "--key-file", key], b"");
    std::fs::write(&sst, &exported).unwrap();
    // The ordinary container commands read it.
    ok(&["verify", ssts, "--key-file", key], b"");
    assert_eq!(ok(&["unpack", ssts, "-c", "--key-file", key], b""), data);
    // And it imports back, under another path.
    ok(&["store", "import", db, "b", "--key-file", key], &exported);
    assert_eq!(ok(&["store", "get", db, "b", "--key-file", key], b""), data);
    // A container packed by the CLI imports too.
    let packed = ok(&["pack", "-c", "--key-file", key], &data);
    ok(&["store", "import", db, "c", "--key-file", key], &packed);
    assert_eq!(ok(&["store", "get", db, "c", "--key-file", key], b""), data);
}

/// redb 2.6.3 panics on some damaged files; the store catches the panic and
/// returns an integrity error. The user sees that error's one line, not the
/// panic's message as well.
#[test]
fn an_engine_panic_on_a_damaged_store_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.bin");
    std::fs::write(&key, [7u8; 32]).unwrap();
    let db = dir.path().join("store.db");
    let (dbs, keys) = (p(&db), p(&key));
    ok(&["store", "put", dbs, "x", "--key-file", keys], b"data");
    let orig = std::fs::read(&db).unwrap();
    let mut rng = 0x1234_5678_9abc_def0_u64;
    let mut engine_failures = 0;
    for _ in 0..200 {
        let mut bytes = orig.clone();
        for _ in 0..4 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let i = usize::try_from(rng % orig.len() as u64).unwrap();
            bytes[i] ^= u8::try_from(rng >> 56).unwrap() | 1;
        }
        std::fs::write(&db, &bytes).unwrap();
        let out = run(&["store", "get", dbs, "x", "--key-file", keys], b"");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.lines().count() <= 1, "one line at most: {err:?}");
        assert!(!err.contains("panicked"), "{err:?}");
        if err.contains("storage engine failed") {
            assert_eq!(out.status.code(), Some(5), "{err:?}");
            engine_failures += 1;
        }
        if engine_failures == 3 {
            break;
        }
    }
    // The damage above makes redb panic within the first rounds (checked when
    // this test was written); without any, the test would prove nothing.
    assert!(
        engine_failures > 0,
        "no damaged file reached the engine's panic"
    );
}
