//! What an attacker with a core dump or a debugger sees, tried for real: a
//! child process (this test binary again) seals a secret it reads from a
//! pipe, opens it once with `Secret::with_bytes`, then stops itself with
//! SIGSTOP. The parent attaches with `ptrace` (`PTRACE_SEIZE`), reads the
//! stopped thread's general-purpose registers (`PTRACE_GETREGS`) and its
//! whole x87/SSE/AVX/AVX-512 state (`PTRACE_GETREGSET`, `NT_X86_XSTATE`), then
//! takes a core with `gcore` (gdb) when it is installed, and looks for any 8
//! bytes of the plaintext, of the ChaCha20 keystream that encrypted it, of the
//! process key (which the parent picks and the child installs first, through
//! a test-build-only hook) or of the HChaCha20 subkey of the secret's nonce.
//!
//! With the clearing (registers and stack wipe) turned off in the child (a
//! test-build-only switch) the same search finds something, so the test can
//! fail. With RustCrypto's XChaCha20-Poly1305 it found the keystream (in
//! `xmm4` in an optimised build, as the audit of issue 15 found, and on the
//! dead stack in the core of an unoptimised one). With ring's assembly doing
//! the ChaCha20-Poly1305 (issue 14) the keystream and plaintext stay in vector
//! registers that later code overwrites before the stop, so it is the
//! HChaCha20 subkey, derived in Rust, that the search finds: in `xmm`
//! registers and on the dead stack, in debug and release builds alike.
//!
//! Linux x86-64 only. `ptrace` of one's own child must be allowed (Yama
//! `ptrace_scope` 0 or 1); the core part is skipped when gdb is missing.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::test_switch;
use crate::secret::{Secret, TAG_LEN};

const CHILD_ENV: &str = "SECSTREAM_REGS_CHILD";
const LEN: usize = 32;
/// `NT_X86_XSTATE`: the XSAVE area of a thread (`<elf.h>`).
const NT_X86_XSTATE: libc::c_int = 0x202;
/// Bytes of the secret (or keystream) that count as a find.
const WINDOW: usize = 8;

/// Where a window of the secret was found.
#[derive(Debug)]
struct Find {
    what: &'static str,
    place: String,
}

/// The child's side: read the secret from stdin straight into guarded
/// memory, seal it, report the sealed bytes, open it once, stop.
fn child(clearing: bool) {
    if !clearing {
        test_switch::turn_off();
    }
    let mut stdin = File::from(
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .expect("dup stdin"),
    );
    // The process key, from the parent, so that it can look for it and the
    // HChaCha20 subkey derived from it.
    clear_regs_scrubbed_key(&mut stdin);
    let mut read = Ok(());
    // Unbuffered `read` into the guarded pages: no other copy in memory.
    let secret = Secret::with_init(LEN, |b| read = stdin.read_exact(b)).expect("seal");
    read.expect("read the secret");
    let sealed = secret.sealed_hex();
    // SAFETY: `gettid` has no preconditions.
    let tid = unsafe { libc::gettid() };
    println!("regs-child tid={tid} sealed={sealed}");
    std::io::stdout().flush().expect("flush");
    // Use the plaintext the way a caller would (a comparison).
    let same = secret
        .with_bytes(|b| b.iter().fold(0u8, |acc, &x| acc | x) != 0)
        .expect("open");
    std::hint::black_box(same);
    // SAFETY: stops this process until the parent has looked.
    unsafe { libc::raise(libc::SIGSTOP) };
}

/// Reads the process key the parent chose from stdin and installs it, in a
/// scrubbed frame (the child's own copy is wiped like the library's).
fn clear_regs_scrubbed_key(stdin: &mut File) {
    super::scrub(|| {
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        stdin.read_exact(key.as_mut_slice()).expect("read the key");
        crate::secret::set_process_key_for_test(&key).expect("set the key");
    });
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Where each `WINDOW`-byte window of `needle` first occurs in `hay`.
fn windows_in(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut at = Vec::new();
    for w in needle.windows(WINDOW) {
        // glibc's `memmem`: a core is tens of MB, too much for a byte loop in
        // an unoptimised test build.
        // SAFETY: both pointers and lengths describe live slices; `memmem`
        // only reads them and returns null or a pointer into `hay`.
        let p = unsafe { libc::memmem(hay.as_ptr().cast(), hay.len(), w.as_ptr().cast(), w.len()) };
        if !p.is_null() {
            at.push(p.cast::<u8>().addr() - hay.as_ptr().addr());
        }
    }
    at
}

/// Names the XSAVE (standard format) area at `offset`.
fn xsave_place(offset: usize) -> String {
    match offset {
        160..=415 => format!("xmm{} (xstate offset {offset})", (offset - 160) / 16),
        576..=831 => format!(
            "ymm{} upper half (xstate offset {offset})",
            (offset - 576) / 16
        ),
        1088..=1151 => format!("k{} (xstate offset {offset})", (offset - 1088) / 8),
        1152..=1663 => format!(
            "zmm{} upper half (xstate offset {offset})",
            (offset - 1152) / 32
        ),
        1664..=2687 => format!("zmm{} (xstate offset {offset})", 16 + (offset - 1664) / 64),
        _ => format!("xstate offset {offset}"),
    }
}

fn search(
    finds: &mut Vec<Find>,
    hay: &[u8],
    secrets: &[(&'static str, &[u8])],
    place: impl Fn(usize) -> String,
) {
    for (what, needle) in secrets {
        for pos in windows_in(hay, needle) {
            finds.push(Find {
                what,
                place: place(pos),
            });
        }
    }
}

fn ptrace_check(rc: libc::c_long, what: &str) {
    assert!(rc != -1, "{what}: {}", std::io::Error::last_os_error());
}

/// Reads the registers of thread `tid` (stopped) and searches them.
fn search_registers(tid: libc::pid_t, secrets: &[(&'static str, &[u8])]) -> Vec<Find> {
    let mut finds = Vec::new();
    // SAFETY: attaching to a thread of our own child; no memory is passed.
    let rc = unsafe { libc::ptrace(libc::PTRACE_SEIZE, tid, 0, 0) };
    ptrace_check(rc, "PTRACE_SEIZE");
    // SAFETY: an all-zero `user_regs_struct` is valid (plain integers).
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: `regs` is a writable `user_regs_struct`, what GETREGS fills.
    let rc = unsafe { libc::ptrace(libc::PTRACE_GETREGS, tid, 0, &raw mut regs) };
    ptrace_check(rc, "PTRACE_GETREGS");
    let names = [
        "r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx",
        "rsi", "rdi", "orig_rax", "rip", "cs", "eflags", "rsp", "ss", "fs_base", "gs_base", "ds",
        "es", "fs", "gs",
    ];
    let words = [
        regs.r15,
        regs.r14,
        regs.r13,
        regs.r12,
        regs.rbp,
        regs.rbx,
        regs.r11,
        regs.r10,
        regs.r9,
        regs.r8,
        regs.rax,
        regs.rcx,
        regs.rdx,
        regs.rsi,
        regs.rdi,
        regs.orig_rax,
        regs.rip,
        regs.cs,
        regs.eflags,
        regs.rsp,
        regs.ss,
        regs.fs_base,
        regs.gs_base,
        regs.ds,
        regs.es,
        regs.fs,
        regs.gs,
    ];
    for (name, word) in names.iter().zip(words) {
        search(&mut finds, &word.to_le_bytes(), secrets, |_| {
            (*name).to_owned()
        });
    }
    let mut xstate = vec![0u8; 1 << 16];
    let mut iov = libc::iovec {
        iov_base: xstate.as_mut_ptr().cast(),
        iov_len: xstate.len(),
    };
    // SAFETY: `iov` describes the writable buffer `xstate`; the kernel writes
    // at most `iov_len` bytes and sets `iov_len` to what it wrote.
    let rc = unsafe { libc::ptrace(libc::PTRACE_GETREGSET, tid, NT_X86_XSTATE, &raw mut iov) };
    ptrace_check(rc, "PTRACE_GETREGSET NT_X86_XSTATE");
    assert!(iov.iov_len >= 576, "xstate of {} bytes", iov.iov_len);
    xstate.truncate(iov.iov_len);
    search(&mut finds, &xstate, secrets, xsave_place);
    // SAFETY: detaching from our tracee; the thread goes back to the group
    // stop.
    let rc = unsafe { libc::ptrace(libc::PTRACE_DETACH, tid, 0, 0) };
    ptrace_check(rc, "PTRACE_DETACH");
    finds
}

/// Takes a core of `pid` with gdb's `gcore` and searches it; `None` when gdb
/// is not installed.
fn search_core(pid: u32, dir: &Path, secrets: &[(&'static str, &[u8])]) -> Option<Vec<Find>> {
    let prefix = dir.join("core");
    // gdb's `gcore` command, with a tiny stand-in executable so that gdb does
    // not spend minutes reading this test binary's debug information (the
    // memory and registers come from the process, not from that file).
    let out = Command::new("gdb")
        .args(["-nx", "-batch"])
        .args(["-iex", "set exec-file-mismatch off"])
        .args(["-iex", "set auto-solib-add off"])
        .args(["-iex", "set debuginfod enabled off"])
        .args(["-iex", "set auto-load off"])
        .arg("/bin/true")
        .arg("-p")
        .arg(pid.to_string())
        .arg("-ex")
        .arg(format!("gcore {}", prefix.display()))
        .stdin(Stdio::null())
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("gcore: {e}"),
    };
    let path = prefix;
    let core = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "gcore wrote no {}: {e}\n{}\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut finds = Vec::new();
    search(&mut finds, &core, secrets, |pos| {
        format!("core offset {pos:#x}")
    });
    Some(finds)
}

struct Stopped {
    child: Child,
    tid: libc::pid_t,
    plain: Vec<u8>,
    keystream: Vec<u8>,
    key: Vec<u8>,
    subkey: Vec<u8>,
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the child of test `name`, gives it a random secret and waits until
/// it has stopped itself.
fn stopped_child(name: &str, clearing: bool) -> Stopped {
    let mut plain = vec![0u8; LEN];
    getrandom::fill(&mut plain).expect("random");
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("random");
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, if clearing { "on" } else { "off" })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&key).expect("send key");
    stdin.write_all(&plain).expect("send secret");
    drop(stdin);
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut report = None;
    for line in stdout.lines() {
        let line = line.expect("child output");
        // libtest prints "test NAME ... " before the child's own line.
        if let Some((_, rest)) = line.split_once("regs-child ") {
            report = Some(rest.to_owned());
            break;
        }
    }
    let report = report.expect("child reported");
    let (tid, sealed) = report.split_once(' ').expect("report");
    let tid: libc::pid_t = tid["tid=".len()..].parse().expect("tid");
    let sealed = hex_decode(&sealed["sealed=".len()..]);
    // nonce (24) | ciphertext | tag: the first LEN bytes of ChaCha20
    // keystream (block 1; block 0 keys Poly1305) are plaintext XOR ciphertext.
    assert_eq!(sealed.len(), 24 + LEN + TAG_LEN);
    let keystream: Vec<u8> = plain
        .iter()
        .zip(&sealed[24..24 + LEN])
        .map(|(p, c)| p ^ c)
        .collect();
    let nonce: [u8; 16] = sealed[..16].try_into().expect("nonce");
    let subkey = chacha20::hchacha::<chacha20::R20>((&key).into(), (&nonce).into()).to_vec();
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status = 0;
    // SAFETY: waits for our own child to stop (not reaped: WUNTRACED).
    let rc = unsafe { libc::waitpid(pid, &raw mut status, libc::WUNTRACED) };
    assert_eq!(rc, pid);
    assert!(
        libc::WIFSTOPPED(status) && libc::WSTOPSIG(status) == libc::SIGSTOP,
        "child status {status:#x}"
    );
    Stopped {
        child,
        tid,
        plain,
        keystream,
        key: key.to_vec(),
        subkey,
    }
}

fn child_mode() -> Option<bool> {
    std::env::var(CHILD_ENV).ok().map(|v| v == "on")
}

fn report(finds: &[Find]) -> String {
    finds
        .iter()
        .map(|f| format!("{} in {}", f.what, f.place))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs the child of test `name` and searches its registers and a core.
fn look(name: &str, clearing: bool) -> (Vec<Find>, Option<Vec<Find>>) {
    let stopped = stopped_child(name, clearing);
    let secrets: [(&'static str, &[u8]); 4] = [
        ("plaintext", &stopped.plain),
        ("keystream", &stopped.keystream),
        ("process key", &stopped.key),
        ("subkey", &stopped.subkey),
    ];
    let registers = search_registers(stopped.tid, &secrets);
    let dir = tempfile::tempdir().expect("tempdir");
    let core = search_core(stopped.child.id(), dir.path(), &secrets);
    (registers, core)
}

#[test]
fn registers_and_core_hold_no_secret_after_use() {
    const NAME: &str =
        "secret_memory::clear_regs::tests::registers_and_core_hold_no_secret_after_use";
    if let Some(clearing) = child_mode() {
        return child(clearing);
    }
    let (registers, core) = look(NAME, true);
    assert!(registers.is_empty(), "registers: {}", report(&registers));
    match core {
        Some(core) => assert!(core.is_empty(), "core: {}", report(&core)),
        None => eprintln!("gdb not installed: the core part is skipped"),
    }
}

/// The same search with the clearing (registers and stack) turned off in the
/// child finds the secret: in the registers of optimised builds, and on the
/// stack in the core of unoptimised ones.
#[test]
fn without_clearing_the_search_finds_the_secret() {
    const NAME: &str =
        "secret_memory::clear_regs::tests::without_clearing_the_search_finds_the_secret";
    if let Some(clearing) = child_mode() {
        return child(clearing);
    }
    let (registers, core) = look(NAME, false);
    eprintln!("without clearing, registers: {}", report(&registers));
    let Some(core) = core else {
        eprintln!("gdb not installed: the core part is skipped");
        assert!(!registers.is_empty(), "nothing found in the registers");
        return;
    };
    eprintln!("without clearing, core: {}", report(&core));
    assert!(
        !registers.is_empty() || !core.is_empty(),
        "the search finds nothing even without clearing"
    );
}
