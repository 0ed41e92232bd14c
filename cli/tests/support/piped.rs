//! Test support shared by the CLI's integration tests: a command fed on stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `cmd` with `input` written to its stdin (from another thread, so a large
/// input cannot deadlock against its stdout) and its stdout captured.
pub(crate) fn piped(cmd: &mut Command, input: Vec<u8>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}
