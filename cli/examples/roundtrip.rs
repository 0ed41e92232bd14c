//! The `secstream` CLI doing a real job: a fresh key, then pack (crc32c checksums, LZ4,
//! sealed), verify without and with the key, inspect, and unpack of a real file, and a
//! byte-for-byte comparison with the original, and a range read through the index
//! (`cat --range`). The last step tampers with one bit and shows that unpack refuses
//! it (exit code 5) and leaves no output file behind.
//!
//! Run it with `cargo run --release -p secstream-cli --example roundtrip [FILE]`. Without
//! `FILE` it packs the `cargo` executable that runs it (tens of megabytes of real, partly
//! compressible bytes; its own executable if `CARGO` is not set). It builds the `secstream` binary with the same profile first (a no-op when it
//! is up to date) and runs it in a temporary directory that it removes at the end.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roundtrip: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Builds the CLI with this example's profile and returns its path.
fn secstream_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/examples/roundtrip -> target/<profile>/secstream
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot find the target directory")?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build.args(["build", "-q", "-p", "secstream-cli", "--bin", "secstream"]);
    if !cfg!(debug_assertions) {
        build.arg("--release");
    }
    if !build.status()?.success() {
        return Err("building the secstream binary failed".into());
    }
    let bin = profile_dir.join(format!("secstream{}", std::env::consts::EXE_SUFFIX));
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!("{} not found after building", bin.display()).into())
    }
}

/// Runs `secstream args...`, echoing the command; returns its stdout.
fn step(bin: &Path, args: &[&str]) -> Result<String> {
    println!("$ secstream {}", args.join(" "));
    let t = Instant::now();
    let out = Command::new(bin).args(args).output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in stdout.lines() {
        println!("  {line}");
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines() {
        println!("  {line}");
    }
    println!("  ({} ms)", t.elapsed().as_millis());
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!("`secstream {}` failed", args.join(" ")).into())
    }
}

fn run() -> Result<()> {
    let input = match std::env::args_os().nth(1) {
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("CARGO").map(PathBuf::from) {
            Some(cargo) if cargo.is_file() => cargo,
            _ => std::env::current_exe()?,
        },
    };
    let original = fs::read(&input).map_err(|e| format!("{}: {e}", input.display()))?;
    let bin = secstream_binary()?;
    let tmp = std::env::temp_dir().join(format!("secstream-roundtrip-{}", std::process::id()));
    fs::create_dir_all(&tmp)?;
    let res = round_trip(&bin, &input, &original, &tmp);
    let _ = fs::remove_dir_all(&tmp);
    res
}

fn round_trip(bin: &Path, input: &Path, original: &[u8], tmp: &Path) -> Result<()> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let (key, packed, out) = (
        tmp.join("key"),
        tmp.join("packed.sst"),
        tmp.join("unpacked"),
    );
    let (key, packed, out, input) = (s(&key), s(&packed), s(&out), s(input));
    println!("input: {input} ({} bytes)\n", original.len());

    step(bin, &["keygen", &key])?;
    let flags = [
        "--checksum",
        "crc32c",
        "--compress",
        "lz4",
        "--key-file",
        &key,
    ];
    step(
        bin,
        &[&["pack", &input, "-o", &packed][..], &flags[..]].concat(),
    )?;
    step(bin, &["verify", &packed])?;
    step(bin, &["verify", &packed, "--key-file", &key])?;
    step(bin, &["inspect", &packed])?;
    step(bin, &["inspect", &packed, "--key-file", &key])?;
    step(bin, &["unpack", &packed, "-o", &out, "--key-file", &key])?;

    let back = fs::read(&out)?;
    if back != original {
        return Err("unpacked bytes differ from the input".into());
    }
    // A range through the index: 64 bytes from the middle, only the frames holding them
    // are read and opened.
    let mid = original.len() / 2;
    let want = original
        .get(mid..)
        .map_or(&[][..], |t| &t[..t.len().min(64)]);
    let range = format!("{mid}:{}", want.len());
    println!("$ secstream cat {packed} --range {range} --key-file {key}");
    let got = Command::new(bin)
        .args(["cat", &packed, "--range", &range, "--key-file", &key])
        .output()?;
    if !got.status.success() || got.stdout != want {
        return Err("cat --range did not give the bytes of the input".into());
    }
    println!(
        "  {} bytes, identical to the input at {mid}",
        got.stdout.len()
    );
    let packed_len = fs::metadata(&packed)?.len();
    println!(
        "\nround trip ok: {} bytes -> {packed_len} bytes packed -> {} bytes, identical\n",
        original.len(),
        back.len()
    );

    // One flipped bit in the middle: refused, and no output file is left.
    let mut bytes = fs::read(&packed)?;
    let mid = bytes.len() / 2;
    if let Some(b) = bytes.get_mut(mid) {
        *b ^= 0x01;
    }
    let tampered = tmp.join("tampered.sst");
    fs::write(&tampered, &bytes)?;
    let refused = tmp.join("refused");
    let (tampered, refused_s) = (s(&tampered), s(&refused));
    if step(
        bin,
        &["unpack", &tampered, "-o", &refused_s, "--key-file", &key],
    )
    .is_ok()
    {
        return Err("a tampered container was unpacked".into());
    }
    // Exit code 5: integrity (a checksum caught it before authentication).
    let code = Command::new(bin)
        .args([
            "unpack",
            &tampered,
            "-o",
            &refused_s,
            "--key-file",
            &key,
            "-q",
        ])
        .stderr(std::process::Stdio::null())
        .status()?
        .code();
    if code != Some(5) {
        return Err(format!("expected exit code 5 for a tampered container, got {code:?}").into());
    }
    println!("  exit code 5 (integrity)");
    if refused.exists() {
        return Err("a failed unpack left its output file behind".into());
    }
    println!("\ntampered container refused, nothing written: ok");
    Ok(())
}
