//! Guarded secret memory, observed from outside: `/proc/self/status` VmLck,
//! `/proc/self/smaps` flags, guard pages and no-access pages that kill a child
//! process with SIGSEGV, the mlock policy under a 64 KiB `RLIMIT_MEMLOCK`, a
//! smashed canary, purge on a termination signal, `disable_core_dumps`, and
//! the count of regions left unlocked.
//!
//! Tests that change process-wide state (VmLck, limits, signals, purge, or
//! crash on purpose) run the test binary again as a child with
//! `SECSTREAM_CHILD` set to the test's name, so they cannot disturb the tests
//! beside them. Linux only; the mappings are FFI, so nothing runs under Miri.
#![cfg(all(target_os = "linux", not(miri)))]

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};

use secstream::secret::{self, Secret};
use secstream::secret_memory::{self, Access, CANARY_LEN, Error, GuardedRegion, LockPolicy};

const CHILD_ENV: &str = "SECSTREAM_CHILD";

/// True in the child run of test `name`.
fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == name)
}

/// Runs test `name` alone in a child process; kills it after two minutes
/// (a deadlock) and fails.
fn run_child(name: &str) -> Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        out.read_to_end(&mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        err.read_to_end(&mut v).unwrap();
        v
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("child {name} still running after 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn no_core_dumps() {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `setrlimit` reads the valid struct given.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const zero) };
    assert_eq!(rc, 0);
}

fn assert_child_passed(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_child_signal(out: &Output, signal: i32) {
    assert_eq!(
        out.status.signal(),
        Some(signal),
        "child status {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `VmLck` of this process in KiB.
fn vm_lck_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmLck:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The `VmFlags` of the mapping that contains `addr`.
fn vm_flags(addr: usize) -> Vec<String> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut inside = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((lo, hi)) = first.split_once('-') {
            if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&addr);
                continue;
            }
        }
        if let Some(flags) = line.strip_prefix("VmFlags:").filter(|_| inside) {
            return flags.split_whitespace().map(str::to_owned).collect();
        }
    }
    panic!("no mapping contains {addr:#x}");
}

#[test]
fn locked_pages_raise_vmlck_and_are_marked_dontdump() {
    const NAME: &str = "locked_pages_raise_vmlck_and_are_marked_dontdump";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    let page = secret_memory::page_size();
    let before = vm_lck_kib();
    let mut regions: Vec<GuardedRegion> = (0..4)
        .map(|_| GuardedRegion::with_policy(3 * page, LockPolicy::Required).unwrap())
        .collect();
    for r in &mut regions {
        assert!(r.is_locked());
        r.write(|b| b.fill(0xC3)).unwrap();
    }
    // Each region locks its data pages: 3 pages of bytes plus the canary.
    let per_region = (3 * page + CANARY_LEN).next_multiple_of(page) as u64 / 1024;
    let during = vm_lck_kib();
    assert!(
        during >= before + 4 * per_region,
        "VmLck {before} -> {during} kB"
    );
    for r in &regions {
        let flags = vm_flags(r.addr());
        for flag in ["dd", "lo", "wf"] {
            assert!(
                flags.iter().any(|f| f == flag),
                "{flag} missing in {flags:?}"
            );
        }
    }
    for r in regions {
        r.free().unwrap();
    }
    assert_eq!(vm_lck_kib(), before, "unlocked on free");
}

/// Drops privileges so that `RLIMIT_MEMLOCK` applies (root has
/// `CAP_IPC_LOCK`), then sets it to 64 KiB, as many containers do.
fn limit_memlock_to_64k() {
    let limit = libc::rlimit {
        rlim_cur: 64 << 10,
        rlim_max: 64 << 10,
    };
    // SAFETY: `setrlimit` reads the valid struct given.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &raw const limit) };
    assert_eq!(rc, 0);
    // SAFETY: `geteuid` has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        // SAFETY: `setuid` has no memory preconditions; dropping root in this
        // child only affects the child.
        let rc = unsafe { libc::setuid(65534) };
        assert_eq!(rc, 0, "drop to nobody");
    }
}

#[test]
fn mlock_policy_under_a_64k_limit() {
    const NAME: &str = "mlock_policy_under_a_64k_limit";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    limit_memlock_to_64k();
    let page = secret_memory::page_size();
    let len = 4 * page; // a stream chunk
    let data = (len + CANARY_LEN).next_multiple_of(page);
    let fit = (64 << 10) / data;
    let mut held = Vec::new();
    let failure = loop {
        match GuardedRegion::with_policy(len, LockPolicy::Required) {
            Ok(r) => {
                assert!(r.is_locked());
                held.push(r);
                assert!(held.len() <= fit, "locked past the limit");
            }
            Err(e) => break e,
        }
    };
    assert_eq!(held.len(), fit, "as many as the limit holds");
    assert!(
        matches!(failure, Error::Lock(code) if code == libc::ENOMEM || code == libc::EPERM || code == libc::EAGAIN),
        "{failure:?}"
    );
    // The default, best effort: it works, unlocked, and says so.
    assert_eq!(secret_memory::default_lock_policy(), LockPolicy::BestEffort);
    let mut r = GuardedRegion::new(len).unwrap();
    assert!(!r.is_locked());
    r.write(|b| b.fill(1)).unwrap();
    assert!(r.read(|b| b.iter().all(|&x| x == 1)).unwrap());
    // Secrets and streams keep working too.
    let s = Secret::with_init(5, |b| b.copy_from_slice(b"hello")).unwrap();
    assert_eq!(s.with_bytes(<[u8]>::to_vec).unwrap(), b"hello");
    let stream = secstream::stream::Stream::new().unwrap();
    assert!(!stream.is_locked());
    stream.write_bytes(&[9; 100_000]).unwrap();
    assert_eq!(stream.take_all().unwrap().len(), 100_000);
    // Required as the process default makes the stream fail cleanly.
    secret_memory::set_default_lock_policy(LockPolicy::Required);
    assert!(secstream::stream::Stream::new().is_err());
}

/// Addresses around a region's bytes.
fn region_with_bytes() -> (GuardedRegion, usize) {
    let mut r = GuardedRegion::new(100).unwrap();
    r.write(|b| b.fill(0x11)).unwrap();
    let addr = r.read(|b| b.as_ptr().addr()).unwrap();
    assert_eq!(addr, r.addr());
    (r, addr)
}

#[test]
fn reading_past_the_end_hits_the_guard_page() {
    const NAME: &str = "reading_past_the_end_hits_the_guard_page";
    if is_child(NAME) {
        no_core_dumps();
        let (r, addr) = region_with_bytes();
        let _ = r.read(|b| {
            let p = b.as_ptr().wrapping_add(b.len());
            // SAFETY: not safe, on purpose (child process, expected SIGSEGV):
            // the byte after the region is the trailing guard page.
            unsafe { p.read_volatile() }
        });
        println!("survived {addr:#x}");
        return;
    }
    assert_child_signal(&run_child(NAME), libc::SIGSEGV);
}

#[test]
fn reading_before_the_start_hits_the_guard_page() {
    const NAME: &str = "reading_before_the_start_hits_the_guard_page";
    if is_child(NAME) {
        no_core_dumps();
        let (r, addr) = region_with_bytes();
        let page = secret_memory::page_size();
        // The data pages start at the page holding the canary; the byte
        // before them is the last byte of the leading guard page.
        let data_start = (addr - CANARY_LEN) / page * page;
        let _ = r.read(|b| {
            let p = b.as_ptr().wrapping_sub(addr - data_start + 1);
            // SAFETY: not safe, on purpose (child process, expected SIGSEGV).
            unsafe { p.read_volatile() }
        });
        println!("survived");
        return;
    }
    assert_child_signal(&run_child(NAME), libc::SIGSEGV);
}

#[test]
fn bytes_are_inaccessible_outside_the_closure() {
    const NAME: &str = "bytes_are_inaccessible_outside_the_closure";
    if is_child(NAME) {
        no_core_dumps();
        let (r, addr) = region_with_bytes();
        let ptr = r.read(|b| b.as_ptr()).unwrap();
        assert_eq!(ptr.addr(), addr);
        // SAFETY: not safe, on purpose (child process, expected SIGSEGV):
        // the pages are no-access once the closure has returned.
        let v = unsafe { ptr.read_volatile() };
        println!("survived {v}");
        return;
    }
    assert_child_signal(&run_child(NAME), libc::SIGSEGV);
}

#[test]
fn open_regions_are_accessible_between_calls_and_guarded_at_the_end() {
    const NAME: &str = "open_regions_are_accessible_between_calls_and_guarded_at_the_end";
    if is_child(NAME) {
        no_core_dumps();
        let mut r = GuardedRegion::with_access(100, LockPolicy::BestEffort, Access::Open).unwrap();
        r.write(|b| b.fill(0x22)).unwrap();
        let ptr = r.read(|b| b.as_ptr()).unwrap();
        // SAFETY: an `Open` region's pages stay readable while it lives, and
        // it lives here; nothing writes to it meanwhile.
        let v = unsafe { ptr.read_volatile() };
        println!("read {v:#x} outside the closure");
        // SAFETY: not safe, on purpose (child process, expected SIGSEGV): the
        // byte after the region is the trailing guard page.
        let after = unsafe { ptr.wrapping_add(100).read_volatile() };
        println!("survived {after}");
        return;
    }
    let out = run_child(NAME);
    assert_child_signal(&out, libc::SIGSEGV);
    assert!(String::from_utf8_lossy(&out.stdout).contains("read 0x22 outside the closure"));
}

#[test]
fn bytes_are_read_only_inside_read() {
    const NAME: &str = "bytes_are_read_only_inside_read";
    if is_child(NAME) {
        no_core_dumps();
        let (r, _) = region_with_bytes();
        let _ = r.read(|b| {
            let p = b.as_ptr().cast_mut();
            // SAFETY: not safe, on purpose (child process, expected SIGSEGV):
            // `read` maps the pages read-only.
            unsafe { p.write_volatile(0) };
        });
        println!("survived");
        return;
    }
    assert_child_signal(&run_child(NAME), libc::SIGSEGV);
}

/// Writes one byte below the region's bytes (an underflow into the canary).
fn underflow(r: &mut GuardedRegion) {
    r.write(|b| {
        let p = b.as_mut_ptr().wrapping_sub(1);
        // SAFETY: the byte below the user bytes is the last canary byte, in
        // the same data page, writable during `write`; this simulates a bug.
        let v = unsafe { p.read_volatile() };
        // SAFETY: as above.
        unsafe { p.write_volatile(!v) };
    })
    .unwrap();
}

#[test]
fn smashed_canary_is_reported_by_free() {
    let mut r = GuardedRegion::new(48).unwrap();
    underflow(&mut r);
    assert_eq!(r.free(), Err(Error::CanaryOverwritten));
    let ok = GuardedRegion::new(48).unwrap();
    assert_eq!(ok.free(), Ok(()));
}

#[test]
fn smashed_canary_aborts_on_drop() {
    const NAME: &str = "smashed_canary_aborts_on_drop";
    if is_child(NAME) {
        no_core_dumps();
        let mut r = GuardedRegion::new(48).unwrap();
        underflow(&mut r);
        drop(r);
        println!("survived");
        return;
    }
    let out = run_child(NAME);
    assert_child_signal(&out, libc::SIGABRT);
    assert!(String::from_utf8_lossy(&out.stderr).contains("canary overwritten"));
}

#[test]
fn forked_child_sees_zeros() {
    let (r, _) = region_with_bytes();
    let ptr = r.read(|b| b.as_ptr()).unwrap();
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array for `pipe` to fill.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child only reads memory, writes to a pipe and `_exit`s
    // (async-signal-safe operations; no locks, no allocation).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // Child: the pages are no-access here too; make them readable
        // through mprotect directly (no lock taken), then read.
        let page = secret_memory::page_size();
        let start = ptr.addr() / page * page;
        let base = ptr.wrapping_sub(ptr.addr() - start).cast_mut();
        // SAFETY: `base` is the start of the mapped data page of `r`.
        unsafe { libc::mprotect(base.cast(), page, libc::PROT_READ) };
        // SAFETY: readable just now; the byte is inside the mapping.
        let v = unsafe { ptr.read_volatile() };
        // SAFETY: `v` is a valid one-byte buffer; then leave without
        // running destructors or atexit handlers.
        unsafe {
            libc::write(fds[1], (&raw const v).cast(), 1);
        }
        // SAFETY: `_exit` is always safe to call.
        unsafe { libc::_exit(0) };
    }
    let mut v = 0xFFu8;
    // SAFETY: `v` is a valid one-byte buffer.
    assert_eq!(unsafe { libc::read(fds[0], (&raw mut v).cast(), 1) }, 1);
    let mut status = 0;
    // SAFETY: waits for our own child.
    unsafe { libc::waitpid(pid, &raw mut status, 0) };
    assert_eq!(v, 0, "MADV_WIPEONFORK: the child sees zeros, not 0x11");
    assert_eq!(
        r.read(|b| b[0]).unwrap(),
        0x11,
        "the parent keeps its bytes"
    );
}

static SIGNAL_REGION: std::sync::OnceLock<GuardedRegion> = std::sync::OnceLock::new();
static SIGNAL_SECRET: std::sync::OnceLock<Secret> = std::sync::OnceLock::new();

fn after_purge(sig: i32) {
    let region = SIGNAL_REGION.get().map(|r| r.read(|b| b.to_vec()));
    let secret = SIGNAL_SECRET.get().map(|s| s.with_bytes(<[u8]>::to_vec));
    println!("after purge: signal {sig}, region {region:?}, secret {secret:?}");
}

#[test]
fn termination_signal_purges_then_terminates() {
    const NAME: &str = "termination_signal_purges_then_terminates";
    if is_child(NAME) {
        let mut r = GuardedRegion::new(8).unwrap();
        r.write(|b| b.fill(0x42)).unwrap();
        assert!(SIGNAL_REGION.set(r).is_ok());
        let s = Secret::with_init(4, |b| b.fill(0x24)).unwrap();
        assert!(SIGNAL_SECRET.set(s).is_ok());
        secret::purge_on_signal_then(after_purge).unwrap();
        // SAFETY: no preconditions.
        let pid = unsafe { libc::getpid() };
        // SAFETY: sends SIGTERM to this process.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        std::thread::sleep(std::time::Duration::from_secs(20));
        println!("not terminated");
        return;
    }
    let out = run_child(NAME);
    assert_child_signal(&out, libc::SIGTERM);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("after purge: signal 15, region Some(Err(Purged)), secret Some(Err(Purged))"),
        "{stdout}"
    );
}

#[test]
fn purge_on_request_wipes_every_live_region() {
    const NAME: &str = "purge_on_request_wipes_every_live_region";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    let mut regions: Vec<GuardedRegion> = (0..5).map(|_| GuardedRegion::new(10).unwrap()).collect();
    for r in &mut regions {
        r.write(|b| b.fill(7)).unwrap();
    }
    let s = Secret::random(32).unwrap();
    let stream = secstream::stream::Stream::new().unwrap();
    stream.write_bytes(b"pending plaintext").unwrap();
    // 5 regions, the process key's 2 halves, the stream's 2 buffers.
    assert_eq!(secret::purge(), 9);
    assert_eq!(secret_memory::live_regions(), 7, "the key halves are gone");
    for r in &regions {
        assert_eq!(r.read(|b| b.to_vec()), Err(Error::Purged));
    }
    assert_eq!(s.with_bytes(|_| ()), Err(secret::Error::Purged));
    assert!(stream.take_all().is_err(), "the stream's plaintext is gone");
    let fresh = Secret::with_init(2, |b| b.fill(1)).unwrap();
    assert_eq!(fresh.with_bytes(<[u8]>::to_vec).unwrap(), [1, 1]);
}

/// Purges while other threads seal, open and stream: nothing deadlocks, and
/// every failure is a purge.
#[test]
fn purge_while_in_use_does_not_deadlock() {
    const NAME: &str = "purge_while_in_use_does_not_deadlock";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for t in 0..3u8 {
        let stop = stop.clone();
        workers.push(std::thread::spawn(move || {
            let mut ok = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r = Secret::with_init(64, |b| b.fill(t))
                    .and_then(|s| s.with_bytes(|b| b.iter().all(|&x| x == t)));
                match r {
                    Ok(same) => {
                        assert!(same);
                        ok += 1;
                    }
                    Err(e) => assert!(
                        matches!(
                            e,
                            secret::Error::Purged | secret::Error::Memory(Error::Purged)
                        ),
                        "{e:?}"
                    ),
                }
                if let Ok(stream) = secstream::stream::Stream::new() {
                    let _ = stream.write_bytes(&[t; 5000]);
                    if let Err(e) = stream.take_all() {
                        assert!(e.to_string().contains("purged"), "{e}");
                    }
                }
            }
            ok
        }));
    }
    for _ in 0..50 {
        secret::purge();
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let done: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(done > 0, "work went on between purges");
}

/// In a forked child, regions and secrets of the parent count as purged, the
/// child gets a fresh process key (not one derived from zeroed halves), and
/// dropping the inherited regions does not trip the canary check.
#[test]
fn forked_child_treats_parent_secrets_as_purged() {
    const NAME: &str = "forked_child_treats_parent_secrets_as_purged";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    // Single-threaded here (the child run uses one test thread), so the
    // forked process may run ordinary Rust code.
    let (region, _) = region_with_bytes();
    let parent_secret = Secret::with_init(3, |b| b.copy_from_slice(b"abc")).unwrap();
    // SAFETY: this process has one thread, so the child inherits no lock
    // held by another thread.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let mut code = 0;
        if region.read(|b| b.to_vec()) != Err(Error::Purged) {
            code |= 1;
        }
        if parent_secret.with_bytes(|_| ()) != Err(secret::Error::Purged) {
            code |= 2;
        }
        match Secret::with_init(3, |b| b.copy_from_slice(b"xyz")) {
            Ok(s) if s.with_bytes(<[u8]>::to_vec).ok().as_deref() == Some(b"xyz") => {}
            _ => code |= 4,
        }
        drop(region); // would abort on a zeroed canary
        drop(parent_secret);
        // SAFETY: `_exit` is always safe to call.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &raw mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    assert_eq!(libc::WEXITSTATUS(status), 0, "failed checks (bit mask)");
    // The parent is unaffected.
    assert_eq!(region.read(|b| b[0]).unwrap(), 0x11);
    assert_eq!(parent_secret.with_bytes(<[u8]>::to_vec).unwrap(), b"abc");
}

/// A forked child inherits the purge-on-signal handlers but not their
/// watcher thread: a termination signal must still end it.
#[test]
fn forked_child_still_terminates_on_signal() {
    const NAME: &str = "forked_child_still_terminates_on_signal";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    secret::purge_on_signal().unwrap();
    // SAFETY: the child below only calls async-signal-safe functions.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: async-signal-safe.
        let me = unsafe { libc::getpid() };
        // SAFETY: async-signal-safe; signals this process.
        unsafe { libc::kill(me, libc::SIGTERM) };
        // SAFETY: async-signal-safe.
        unsafe { libc::sleep(5) };
        // SAFETY: `_exit` is always safe; reached only if the signal did not
        // end the process.
        unsafe { libc::_exit(3) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &raw mut status, 0) }, pid);
    assert!(libc::WIFSIGNALED(status), "child status {status:#x}");
    assert_eq!(libc::WTERMSIG(status), libc::SIGTERM);
}

/// Under a 64 KiB mlock limit a Stream still holds far more than the limit
/// (and than its memory budget) by spilling, and gives it all back.
#[test]
fn stream_outgrows_the_mlock_limit_and_its_budget() {
    const NAME: &str = "stream_outgrows_the_mlock_limit_and_its_budget";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    limit_memlock_to_64k();
    let budget = 256 << 10;
    let total = 8 << 20;
    let dir = std::env::temp_dir();
    let s = secstream::stream::Stream::builder()
        .memory_budget(budget)
        .spill_dir(dir)
        .build()
        .unwrap();
    let piece: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let mut written = 0;
    while written < total {
        s.write_bytes(&piece).unwrap();
        written += piece.len();
    }
    assert_eq!(s.size(), written as u64);
    let chunk = s.chunk_size();
    let spilled = usize::try_from(s.spilled_chunks()).unwrap();
    assert!(
        spilled * chunk >= written - budget - chunk,
        "{spilled} chunks spilled"
    );
    assert!(vm_lck_kib() <= 64, "VmLck {} kB", vm_lck_kib());
    let mut buf = vec![0u8; piece.len()];
    let mut read = 0;
    while read < written {
        let mut h = &s;
        std::io::Read::read_exact(&mut h, &mut buf).unwrap();
        assert_eq!(buf, piece);
        read += buf.len();
    }
    assert!(s.is_empty());
    assert_eq!(s.spilled_chunks(), 0);
}

/// `disable_core_dumps` turns the process non-dumpable and its core limit to
/// zero (read back in a child, so this process keeps its settings).
#[test]
fn disable_core_dumps_sets_dumpable_and_the_core_limit() {
    const NAME: &str = "disable_core_dumps_sets_dumpable_and_the_core_limit";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    let core_limit = || {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit` fills the valid struct given.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_CORE, &raw mut limit) };
        assert_eq!(rc, 0);
        (limit.rlim_cur, limit.rlim_max)
    };
    // Start from a limit that allows dumps, so the change is visible.
    let (_, max) = core_limit();
    let allow = libc::rlimit {
        rlim_cur: max.min(1 << 20),
        rlim_max: max,
    };
    // SAFETY: `setrlimit` reads the valid struct given.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const allow) };
    assert_eq!(rc, 0);
    let dumpable = || {
        // SAFETY: `PR_GET_DUMPABLE` takes no pointer and changes nothing.
        unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) }
    };
    assert_eq!(dumpable(), 1, "dumpable before");
    assert!(core_limit().0 > 0 || max == 0, "core limit before");
    secret_memory::disable_core_dumps().unwrap();
    assert_eq!(dumpable(), 0, "not dumpable after");
    assert_eq!(core_limit(), (0, 0), "core limit after");
    // Secrets work as before.
    let s = Secret::with_init(3, |b| b.copy_from_slice(b"abc")).unwrap();
    assert_eq!(s.with_bytes(<[u8]>::to_vec).unwrap(), b"abc");
}

/// Under a 64 KiB mlock limit, the temporary regions of `with_bytes`,
/// `with_init`, `random`, `update` and `take_all` show up in
/// `unlocked_allocations` under the default policy, and make the calls fail
/// under `LockPolicy::Required`.
#[test]
fn unlocked_temporary_regions_are_counted_or_refused() {
    const NAME: &str = "unlocked_temporary_regions_are_counted_or_refused";
    if !is_child(NAME) {
        return assert_child_passed(&run_child(NAME));
    }
    limit_memlock_to_64k();
    let count = secret_memory::unlocked_allocations;
    let start = count();
    // While the limit has room everything is locked and nothing is counted.
    let mut s = Secret::with_init(32, |b| b.fill(5)).unwrap();
    assert_eq!(s.with_bytes(|b| b[0]).unwrap(), 5);
    let stream = secstream::stream::Stream::new().unwrap();
    assert!(stream.is_locked());
    assert_eq!(count(), start, "all locked so far");
    // Take the rest of the limit.
    let page = secret_memory::page_size();
    let mut held = Vec::new();
    while let Ok(r) = GuardedRegion::with_policy(page - CANARY_LEN, LockPolicy::Required) {
        held.push(r);
        assert!(held.len() <= 16, "locked past the limit");
    }
    // Each call now works with an unlocked temporary region and counts it.
    let mut expect = start;
    let mut step = |what: &str, ok: bool| {
        expect += 1;
        assert!(ok, "{what} failed");
        assert_eq!(count(), expect, "{what} counted");
    };
    step("with_bytes", s.with_bytes(|b| b[0]).is_ok_and(|b| b == 5));
    step("with_init", Secret::with_init(32, |b| b.fill(1)).is_ok());
    step("random", Secret::random(32).is_ok());
    step("update", s.update(|b| b[1] = 6).is_ok());
    stream.write_bytes(b"abc").unwrap();
    let taken = stream.take_all();
    step("take_all", taken.is_ok());
    let counted = count();
    // Required as the process default: the same calls fail instead.
    secret_memory::set_default_lock_policy(LockPolicy::Required);
    let is_lock = |e: secret::Error| matches!(e, secret::Error::Memory(Error::Lock(_)));
    assert!(s.with_bytes(|_| ()).is_err_and(is_lock));
    assert!(Secret::with_init(32, |b| b.fill(1)).is_err_and(is_lock));
    assert!(Secret::random(32).is_err_and(is_lock));
    assert!(s.update(|_| ()).is_err_and(is_lock));
    stream.write_bytes(b"abc").unwrap();
    assert!(
        stream
            .take_all()
            .is_err_and(|e| matches!(e, secstream::stream::Error::Secret(err) if is_lock(err)))
    );
    assert_eq!(count(), counted, "nothing unlocked under Required");
    drop(held);
    assert_eq!(s.with_bytes(|b| (b[0], b[1])).unwrap(), (5, 6));
    assert_eq!(taken.unwrap().with_bytes(<[u8]>::to_vec).unwrap(), b"abc");
}
