//! The `secstream` binary, run as a user would: pack, verify, unpack round trips of a
//! multi-megabyte file with every option, wrong keys, tampered and truncated containers
//! (which must leave no output file behind), stdin and stdout, and the shared vectors.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use secstream::checksum::ChecksumKind;
use secstream::compress::Compression;
use secstream::container::{self, Config};
use secstream::container_io::ContainerReader;
use secstream::seal::MasterKey;

#[path = "support/piped.rs"]
mod piped;
use piped::piped;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_secstream"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Runs and expects success.
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

/// Runs and expects failure with exit code `code` and one clear line on stderr; returns
/// that line.
#[track_caller]
fn fails(code: i32, args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?} should fail with {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line expected: {err:?}");
    assert!(err.starts_with("secstream: "), "{err:?}");
    assert!(!err.contains("panicked"), "{err:?}");
    err
}

/// A deterministic "real" file: text, runs, and pseudo-random bytes.
fn sample(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut x: u32 = 0x1234_5678;
    let mut line = 0u32;
    while out.len() < len {
        line += 1;
        match line % 3 {
            0 => out.extend_from_slice(format!("line {line}: the quick brown fox\n").as_bytes()),
            1 => out.extend(std::iter::repeat_n(u8::try_from(line % 251).unwrap(), 300)),
            _ => {
                for _ in 0..700 {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    out.push(x.to_le_bytes()[2]);
                }
            }
        }
    }
    out.truncate(len);
    out
}

/// Files in `dir` (to check that nothing, not even a temporary file, was left).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

struct Fixture {
    dir: tempfile::TempDir,
    input: PathBuf,
    key: PathBuf,
    data: Vec<u8>,
}

fn fixture(len: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.bin");
    let data = sample(len);
    fs::write(&input, &data).unwrap();
    let key = dir.path().join("key");
    ok(&["keygen", p(&key)]);
    Fixture {
        dir,
        input,
        key,
        data,
    }
}

#[test]
fn pack_verify_unpack_every_option() {
    let f = fixture(2 * 1024 * 1024 + 12_345);
    let checksums = ["none", "crc16", "crc32", "crc32c", "xxh3"];
    for (i, checksum) in checksums.iter().enumerate() {
        for compress in ["none", "deflate", "lz4"] {
            for sealed in [false, true] {
                let sst = f.dir.path().join(format!("c{i}{compress}{sealed}.sst"));
                let out = f.dir.path().join(format!("c{i}{compress}{sealed}.out"));
                let mut args = vec!["pack", p(&f.input), "-o", p(&sst), "--checksum", checksum];
                args.extend(["--frame-size", "256K", "--compress", compress]);
                if compress == "deflate" {
                    // Level 1 keeps the debug-build test quick; level 6 is tested below.
                    args.extend(["--level", "1"]);
                }
                if sealed {
                    args.extend(["--key-file", p(&f.key)]);
                }
                ok(&args);

                let v = ok(&["verify", p(&sst)]);
                assert!(String::from_utf8_lossy(&v.stdout).contains(": ok: "));
                let mut unpack = vec!["unpack", p(&sst), "-o", p(&out)];
                if sealed {
                    ok(&["verify", p(&sst), "--key-file", p(&f.key)]);
                    unpack.extend(["--key-file", p(&f.key)]);
                }
                ok(&unpack);
                assert!(
                    fs::read(&out).unwrap() == f.data,
                    "{checksum} {compress} {sealed}"
                );

                // Read back by the library: the header says what was asked for, and
                // the frames are the input in 256 KiB pieces.
                let bytes = fs::read(&sst).unwrap();
                let mut r = if sealed {
                    ContainerReader::sealed(&bytes[..], MasterKey::load(&f.key).unwrap())
                } else {
                    ContainerReader::new(&bytes[..])
                };
                let mut got = Vec::new();
                let mut sizes = Vec::new();
                r.process_all(|p| {
                    got.extend_from_slice(p);
                    sizes.push(p.len());
                    Ok::<(), secstream::Error>(())
                })
                .unwrap();
                let c = r.header().unwrap().config;
                assert_eq!(c.checksum.name(), *checksum);
                assert_eq!((c.compression.name(), c.sealed), (compress, sealed));
                assert!(got == f.data);
                assert_eq!(sizes.len(), f.data.len().div_ceil(256 * 1024));
                assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == 256 * 1024));
                fs::remove_file(&out).unwrap();
            }
        }
    }
}

#[test]
fn cli_bytes_are_the_core_container_writer_bytes() {
    // Deterministic (unsealed) packs: byte for byte what the core writer produces for the
    // same frames, so a container written by the CLI reads back bit-exact anywhere.
    let f = fixture(300_000);
    for (checksum, compress) in [("crc32c", "none"), ("xxh3", "deflate"), ("crc16", "lz4")] {
        let sst = f.dir.path().join(format!("{checksum}{compress}.sst"));
        let mut args = vec!["pack", p(&f.input), "-o", p(&sst), "--checksum", checksum];
        args.extend(["--frame-size", "64K", "--compress", compress]);
        ok(&args);

        let kind = ChecksumKind::ALL
            .into_iter()
            .find(|k| k.name() == checksum)
            .unwrap();
        let compression = Compression::ALL
            .into_iter()
            .find(|c| c.name() == compress)
            .unwrap();
        let config = Config::new(kind, 64 * 1024).with_compression(compression);
        let mut w = container::Writer::new(config).unwrap().with_index();
        let mut expected = Vec::new();
        for chunk in f.data.chunks(64 * 1024) {
            let mut buf = vec![0u8; w.max_encoded_len(chunk.len())];
            let n = w.encode_frame(chunk, &mut buf).unwrap();
            expected.extend_from_slice(&buf[..n]);
        }
        let mut buf = vec![0u8; w.max_finish_len()];
        let n = w.finish(&mut buf).unwrap();
        expected.extend_from_slice(&buf[..n]);
        assert!(fs::read(&sst).unwrap() == expected, "{checksum} {compress}");
    }
}

#[test]
fn wrong_key_tamper_and_truncation_leave_no_output() {
    let f = fixture(1024 * 1024 + 77);
    let sst = f.dir.path().join("s.sst");
    ok(&[
        "pack",
        p(&f.input),
        "-o",
        p(&sst),
        "--compress",
        "deflate",
        "--key-file",
        p(&f.key),
        "--frame-size",
        "100K",
    ]);
    let good = fs::read(&sst).unwrap();
    let out = f.dir.path().join("out.bin");
    let before = listing(f.dir.path());

    // Wrong key.
    let other = f.dir.path().join("other-key");
    ok(&["keygen", p(&other)]);
    let before_other = listing(f.dir.path());
    let e = fails(
        6,
        &["unpack", p(&sst), "-o", p(&out), "--key-file", p(&other)],
    );
    assert!(e.contains("authentication failed"), "{e}");
    assert_eq!(listing(f.dir.path()), before_other);
    fs::remove_file(&other).unwrap();

    // One bit flipped: in the header, the stream nonce, a frame in the middle, the end.
    let bad = f.dir.path().join("bad.sst");
    for at in [6, 20, good.len() / 2, good.len() - 1] {
        let mut b = good.clone();
        b[at] ^= 0x10;
        fs::write(&bad, &b).unwrap();
        let e = fails(
            5,
            &["unpack", p(&bad), "-o", p(&out), "--key-file", p(&f.key)],
        );
        assert!(
            e.starts_with(&format!("secstream: unpack {}: ", p(&bad))),
            "{e}"
        );
        assert!(!out.exists(), "partial output left after a flip at {at}");
        // Without the key, the checksums catch it (the preamble's covers the nonce).
        fails(5, &["verify", p(&bad)]);
        fails(5, &["verify", p(&bad), "--key-file", p(&f.key)]);
        fs::remove_file(&bad).unwrap();
        assert_eq!(listing(f.dir.path()), before);
    }

    // Truncated: inside a frame, exactly before the end section (whole frames only),
    // inside the end section. Without the key too.
    let frames = (1024 * 1024 + 77usize).div_ceil(100 * 1024);
    let end_len = 36 + 8 * frames;
    for cut in [good.len() / 3, good.len() - end_len, good.len() - 1] {
        fs::write(&bad, &good[..cut]).unwrap();
        let e = fails(
            5,
            &["unpack", p(&bad), "-o", p(&out), "--key-file", p(&f.key)],
        );
        assert!(e.contains("truncated"), "{e}");
        assert!(!out.exists());
        fails(5, &["verify", p(&bad), "--key-file", p(&f.key)]);
        let e = fails(5, &["verify", p(&bad)]);
        assert!(e.contains("truncated"), "{e}");
        fs::remove_file(&bad).unwrap();
    }

    // Data after the final frame.
    let mut long = good.clone();
    long.extend_from_slice(b"extra");
    fs::write(&bad, &long).unwrap();
    let e = fails(
        5,
        &["unpack", p(&bad), "-o", p(&out), "--key-file", p(&f.key)],
    );
    assert!(e.contains("data after the end of the container"), "{e}");
    assert!(!out.exists());
    fs::remove_file(&bad).unwrap();

    // A sealed container without a key, an unsealed one with a key.
    let e = fails(4, &["unpack", p(&sst), "-o", p(&out)]);
    assert!(e.contains("sealed"), "{e}");
    let plain = f.dir.path().join("plain.sst");
    ok(&["pack", p(&f.input), "-o", p(&plain)]);
    let e = fails(
        4,
        &["unpack", p(&plain), "-o", p(&out), "--key-file", p(&f.key)],
    );
    assert!(e.contains("not sealed"), "{e}");
    assert!(!out.exists());

    // The good one still unpacks.
    ok(&["unpack", p(&sst), "-o", p(&out), "--key-file", p(&f.key)]);
    assert!(fs::read(&out).unwrap() == f.data);
}

#[test]
fn stdin_and_stdout() {
    let f = fixture(2 * 1024 * 1024 + 3);
    let packed = piped(
        bin().args([
            "pack",
            "--checksum",
            "xxh3",
            "--compress",
            "deflate",
            "--key-file",
            p(&f.key),
        ]),
        f.data.clone(),
    );
    assert!(packed.status.success());
    assert_eq!(&packed.stdout[..4], b"SSTM");

    let unpacked = piped(
        bin().args(["unpack", "-", "-o", "-", "--key-file", p(&f.key)]),
        packed.stdout.clone(),
    );
    assert!(unpacked.status.success());
    assert!(unpacked.stdout == f.data);

    // verify and inspect read stdin too.
    let file = f.dir.path().join("s.sst");
    fs::write(&file, &packed.stdout).unwrap();
    let out = bin()
        .arg("inspect")
        .stdin(fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("checksum:       xxh3"), "{text}");
    assert!(text.contains("sealed:         yes"), "{text}");
    assert!(text.contains("frames:         3\n"), "{text}"); // 2 MiB + 3 in 1 MiB frames, the last final
}

#[test]
fn keygen_and_overwrite_rules() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    ok(&["keygen", p(&key)]);
    let first = fs::read(&key).unwrap();
    assert_eq!(first.len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let e = fails(2, &["keygen", p(&key)]);
    assert!(e.contains("exists"), "{e}");
    assert_eq!(fs::read(&key).unwrap(), first);
    ok(&["keygen", p(&key), "--force"]);
    assert_ne!(fs::read(&key).unwrap(), first, "a fresh random key");

    // A key file of the wrong size is refused.
    let short = dir.path().join("short");
    fs::write(&short, [1u8; 31]).unwrap();
    let input = dir.path().join("in");
    fs::write(&input, b"data").unwrap();
    let e = fails(
        4,
        &[
            "pack",
            p(&input),
            "-o",
            p(&dir.path().join("x")),
            "--key-file",
            p(&short),
        ],
    );
    assert!(
        e.contains("32 raw bytes, 64 hex digits or 44 base64"),
        "{e}"
    );
    // Hex and base64 key files are read too.
    let raw = fs::read(&key).unwrap();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let hex_key = dir.path().join("hex");
    fs::write(&hex_key, format!("{hex}\n")).unwrap();
    let sst = dir.path().join("h.sst");
    ok(&["pack", p(&input), "-o", p(&sst), "--key-file", p(&hex_key)]);
    ok(&["verify", p(&sst), "--key-file", p(&key)]);

    // Outputs are not overwritten without --force.
    let out = dir.path().join("out.sst");
    fs::write(&out, b"keep me").unwrap();
    let e = fails(2, &["pack", p(&input), "-o", p(&out)]);
    assert!(e.contains("--force"), "{e}");
    assert_eq!(fs::read(&out).unwrap(), b"keep me");
    ok(&["pack", p(&input), "-o", p(&out), "--force"]);
    assert_eq!(&fs::read(&out).unwrap()[..4], b"SSTM");
}

#[test]
fn garbage_and_missing_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk");
    fs::write(&junk, sample(5000)).unwrap();
    let empty = dir.path().join("empty");
    fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing");
    let out = dir.path().join("o");
    for cmd in ["unpack", "verify", "inspect"] {
        for input in [&junk, &empty, &missing] {
            let mut args = vec![cmd, p(input)];
            if cmd == "unpack" {
                args.extend(["-o", p(&out)]);
            }
            fails(if input == &missing { 3 } else { 5 }, &args);
            assert!(!out.exists());
        }
    }
    let e = fails(5, &["unpack", p(&junk), "-o", p(&out)]);
    assert!(e.contains("bad magic"), "{e}");
    // Usage errors are clap's, with exit code 2.
    let u = run(&["pack", "--checksum", "md5"]);
    assert_eq!(u.status.code(), Some(2));
    let u = run(&["pack", "--frame-size", "17M"]);
    assert_eq!(u.status.code(), Some(2));
}

// ------------------------------------------------------------ shared vectors

fn parse_payloads(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = usize::try_from(u32::from_le_bytes(b[..4].try_into().unwrap())).unwrap();
        out.push(b[4..4 + len].to_vec());
        b = &b[4 + len..];
    }
    out
}

#[test]
fn cli_reads_the_shared_vectors() {
    let vectors = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("vector-key");
    fs::write(
        &key,
        std::array::from_fn::<u8, 32, _>(|i| u8::try_from(i).unwrap()),
    )
    .unwrap();
    let mut n = 0;
    for kind in ChecksumKind::ALL {
        for compression in Compression::ALL {
            for sealed in [false, true] {
                for index in [false, true] {
                    let name = format!(
                        "container-{compression}{}{}-{kind}",
                        if sealed { "-sealed" } else { "" },
                        if index { "-index" } else { "" }
                    );
                    let sst = vectors.join(format!("{name}.bin"));
                    let payloads = parse_payloads(
                        &fs::read(vectors.join(format!("{name}.payloads"))).unwrap(),
                    );
                    let out = dir.path().join(&name);
                    let mut args = vec!["unpack", p(&sst), "-o", p(&out)];
                    if sealed {
                        args.extend(["--key-file", p(&key)]);
                    }
                    ok(&args);
                    assert_eq!(fs::read(&out).unwrap(), payloads.concat(), "{name}");

                    ok(&["verify", p(&sst)]);
                    let text = String::from_utf8(ok(&["inspect", p(&sst)]).stdout).unwrap();
                    assert!(
                        text.contains(&format!("frames:         {}", payloads.len())),
                        "{name}: {text}"
                    );
                    assert!(
                        text.contains("max plaintext:  1024 bytes per frame"),
                        "{name}: {text}"
                    );
                    n += 1;
                }
            }
        }
    }
    assert_eq!(n, 60);
}

#[test]
fn empty_input_round_trips() {
    let f = fixture(0);
    let sst = f.dir.path().join("e.sst");
    let out = f.dir.path().join("e.out");
    ok(&["pack", p(&f.input), "-o", p(&sst), "--key-file", p(&f.key)]);
    ok(&["verify", p(&sst), "--key-file", p(&f.key)]);
    ok(&["unpack", p(&sst), "-o", p(&out), "--key-file", p(&f.key)]);
    assert_eq!(fs::read(&out).unwrap(), b"");
    // Cut to the header and nonce, the final frame is missing: truncated.
    let bytes = fs::read(&sst).unwrap();
    fs::write(&sst, &bytes[..32]).unwrap();
    let e = fails(
        5,
        &[
            "unpack",
            p(&sst),
            "-o",
            p(&f.dir.path().join("x")),
            "--key-file",
            p(&f.key),
        ],
    );
    assert!(e.contains("truncated"), "{e}");
}
