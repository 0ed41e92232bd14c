//! Purge on termination signals (Unix): a handler that writes to a pipe and
//! a watcher thread that purges.

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals that end a process by default and can be caught.
pub(super) const SIGNALS: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// The process whose watcher thread reads the pipe. A forked child
/// inherits the handlers but not the thread.
static OWNER_PID: AtomicI32 = AtomicI32::new(-1);
static CALLBACK: Mutex<Option<fn(i32)>> = Mutex::new(None);

extern "C" fn handler(sig: libc::c_int) {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    // SAFETY: `getpid` is async-signal-safe.
    if unsafe { libc::getpid() } != OWNER_PID.load(Ordering::Relaxed) {
        // A forked child: no watcher thread here (and its guarded
        // pages are already purged), so end it as the signal would.
        // SAFETY: `signal` and `raise` are async-signal-safe.
        unsafe { libc::signal(sig, libc::SIG_DFL) };
        // SAFETY: as above.
        unsafe { libc::raise(sig) };
        return;
    }
    let byte = u8::try_from(sig).unwrap_or(0);
    // SAFETY: no preconditions; returns this thread's errno slot.
    let errno = unsafe { errno_location() };
    // SAFETY: the slot is valid for this thread; saving and restoring
    // it keeps the interrupted code's errno.
    let saved = unsafe { *errno };
    // SAFETY: `write` is async-signal-safe; `byte` is a valid
    // one-byte buffer; a full pipe just drops the byte (non-blocking).
    unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
    // SAFETY: as above.
    unsafe { *errno = saved };
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "emscripten"))]
unsafe fn errno_location() -> *mut libc::c_int {
    // SAFETY: no preconditions.
    unsafe { libc::__errno_location() }
}
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
unsafe fn errno_location() -> *mut libc::c_int {
    // SAFETY: no preconditions.
    unsafe { libc::__error() }
}
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "emscripten",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
)))]
unsafe fn errno_location() -> *mut libc::c_int {
    // SAFETY: no preconditions.
    unsafe { libc::__errno() }
}

pub(super) fn install(on_signal: fn(i32)) -> io::Result<()> {
    *super::super::lock(&CALLBACK) = Some(on_signal);
    if WRITE_FD.load(Ordering::Acquire) >= 0 {
        return Ok(());
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for `pipe` to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [read_fd, write_fd] = fds;
    for fd in fds {
        // SAFETY: `fd` was just returned by `pipe`.
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: as above; the handler must never block.
    unsafe { libc::fcntl(write_fd, libc::F_SETFL, libc::O_NONBLOCK) };
    std::thread::Builder::new()
        .name("secstream-purge".into())
        .spawn(move || watch(read_fd))?;
    // SAFETY: `getpid` has no preconditions.
    OWNER_PID.store(unsafe { libc::getpid() }, Ordering::Relaxed);
    WRITE_FD.store(write_fd, Ordering::Release);
    for sig in SIGNALS {
        // SAFETY: an all-zero `sigaction` is a valid starting value.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `sa_mask` is a valid signal set to empty.
        unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
        // SAFETY: `action` is fully initialised and its handler only
        // calls async-signal-safe functions.
        if unsafe { libc::sigaction(sig, &raw const action, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn watch(read_fd: libc::c_int) {
    loop {
        let mut byte = 0u8;
        // SAFETY: `byte` is a valid one-byte buffer; `read_fd` is the
        // read end of our pipe, owned by this thread.
        let n = unsafe { libc::read(read_fd, (&raw mut byte).cast(), 1) };
        if n == 1 {
            let sig = i32::from(byte);
            let callback = *super::super::lock(&CALLBACK);
            if let Some(cb) = callback {
                cb(sig);
            }
            // SAFETY: restoring the default action and raising the
            // signal again ends the process as the signal would have.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
            // SAFETY: as above.
            unsafe { libc::raise(sig) };
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            return;
        }
    }
}
