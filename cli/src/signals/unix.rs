//! The Unix side: handlers for SIGINT, SIGTERM and SIGHUP, the registered path, and
//! SIGPIPE.

use std::ffi::CString;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// The temporary file to remove on a signal (null: none).
static TEMP: AtomicPtr<libc::c_char> = AtomicPtr::new(ptr::null_mut());
/// A progress bar is on stderr: the handler clears its line.
static PROGRESS: AtomicBool = AtomicBool::new(false);
/// A terminal whose echo is off for a passphrase prompt, and its attributes before
/// (null: none): the handler puts them back, so an interrupted prompt does not leave
/// the terminal without echo.
static TTY: AtomicPtr<SavedTty> = AtomicPtr::new(ptr::null_mut());

/// A terminal and the attributes to restore on it.
pub(crate) struct SavedTty {
    pub(crate) fd: libc::c_int,
    pub(crate) attrs: libc::termios,
}

/// The signals that end a run and are caught (SIGQUIT is left alone: it asks for a core).
const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

extern "C" fn on_signal(sig: libc::c_int) {
    clean_up_in_handler();
    // SAFETY: `signal` is async-signal-safe; SIG_DFL is a valid action for `sig`.
    unsafe { libc::signal(sig, libc::SIG_DFL) };
    // SAFETY: `raise` is async-signal-safe. The signal is blocked while its handler runs,
    // so it is delivered, with the default action (the end of the process), on return.
    unsafe { libc::raise(sig) };
}

/// What a handler that ends the process does first (async-signal-safe calls only):
/// removes the registered temporary file, restores a terminal's echo, clears a progress
/// bar's line. Also called by the handler of [`crate::mapped`] (SIGBUS).
pub(crate) fn clean_up_in_handler() {
    let path = TEMP.swap(ptr::null_mut(), Ordering::AcqRel);
    if !path.is_null() {
        // SAFETY: `path` came from `CString::into_raw` in `Registration::new` and the swap
        // made this handler its only owner; it is never freed here (the process ends), so
        // it stays valid. `unlink` is async-signal-safe.
        unsafe { libc::unlink(path) };
    }
    let tty = TTY.swap(ptr::null_mut(), Ordering::AcqRel);
    if !tty.is_null() {
        // SAFETY: `tty` came from `Box::into_raw` in `EchoOff::new` and the swap made
        // this handler its only owner; it is never freed here (the process ends).
        let saved = unsafe { &*tty };
        // SAFETY: `tcsetattr` is async-signal-safe; `saved.attrs` are valid attributes.
        unsafe { libc::tcsetattr(saved.fd, libc::TCSANOW, &raw const saved.attrs) };
    }
    if PROGRESS.load(Ordering::Acquire) {
        let clear = b"\r\x1b[2K";
        // SAFETY: `write` is async-signal-safe; `clear` is a valid buffer of that length.
        unsafe { libc::write(libc::STDERR_FILENO, clear.as_ptr().cast(), clear.len()) };
    }
}

/// Installs the handlers (once, at start).
///
/// # Errors
/// The system's error if `sigaction` fails.
pub(crate) fn install() -> std::io::Result<()> {
    for sig in SIGNALS {
        // SAFETY: an all-zero `sigaction` is a valid starting value.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `sa_mask` is a valid signal set to empty.
        unsafe { libc::sigemptyset(&raw mut action.sa_mask) };
        // SAFETY: `action` is fully initialised and its handler calls only
        // async-signal-safe functions.
        if unsafe { libc::sigaction(sig, &raw const action, ptr::null_mut()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Tells the handler whether a progress bar is on stderr.
pub(crate) fn set_progress(shown: bool) {
    PROGRESS.store(shown, Ordering::Release);
}

/// A temporary file the signal handler removes; unregistered on drop.
#[must_use = "the path is unregistered when this is dropped"]
pub(crate) struct Registration(());

impl Registration {
    /// Registers `path` (replacing an earlier registration). A path with a NUL byte
    /// cannot name a file: nothing is registered, and creating the file fails anyway.
    pub(crate) fn new(path: &Path) -> Self {
        use std::os::unix::ffi::OsStrExt;
        if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
            free(TEMP.swap(c.into_raw(), Ordering::AcqRel));
        }
        Self(())
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        free(TEMP.swap(ptr::null_mut(), Ordering::AcqRel));
    }
}

/// A terminal's echo, off while this lives: its saved attributes are restored on drop,
/// or by the signal handler if the run is interrupted first.
#[must_use = "echo comes back when this is dropped"]
pub(crate) struct EchoOff(());

impl EchoOff {
    /// Registers `saved` for the handler, then applies `off` to the terminal.
    ///
    /// # Errors
    /// What `tcsetattr` said (nothing stays registered).
    pub(crate) fn new(saved: SavedTty, off: &libc::termios) -> std::io::Result<Self> {
        let fd = saved.fd;
        restore(TTY.swap(Box::into_raw(Box::new(saved)), Ordering::AcqRel));
        let guard = Self(());
        // SAFETY: `fd` is an open terminal and `off` valid attributes.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, off) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(guard)
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        restore(TTY.swap(ptr::null_mut(), Ordering::AcqRel));
    }
}

/// Restores and frees saved attributes taken out of the slot.
fn restore(p: *mut SavedTty) {
    if !p.is_null() {
        // SAFETY: `p` came from `Box::into_raw` and the swap that returned it made the
        // caller its only owner (the handler got null).
        let saved = unsafe { Box::from_raw(p) };
        // SAFETY: `saved.fd` is the terminal (still open: its owner outlives the guard)
        // and `saved.attrs` the attributes read from it.
        unsafe { libc::tcsetattr(saved.fd, libc::TCSANOW, &raw const saved.attrs) };
    }
}

/// Frees a path taken out of the slot.
fn free(p: *mut libc::c_char) {
    if !p.is_null() {
        // SAFETY: `p` came from `CString::into_raw` and the swap that returned it made
        // the caller its only owner (the handler got null).
        drop(unsafe { CString::from_raw(p) });
    }
}

/// Ends the process as SIGPIPE does (exit status 141 in a shell), as zstd ends when its
/// reader goes away; exits with 141 if the signal somehow does not end it.
pub(crate) fn die_of_broken_pipe() -> ! {
    // SAFETY: restoring the default action of SIGPIPE has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // SAFETY: `raise` has no preconditions; the default action ends the process.
    unsafe { libc::raise(libc::SIGPIPE) };
    std::process::exit(128 + libc::SIGPIPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_fills_and_empties_the_slot() {
        let a = Registration::new(Path::new("/tmp/a"));
        // SAFETY: the slot holds a valid C string while `a` is alive and no handler runs.
        let s = unsafe { std::ffi::CStr::from_ptr(TEMP.load(Ordering::Acquire)) };
        assert_eq!(s.to_bytes(), b"/tmp/a");
        drop(a);
        assert!(TEMP.load(Ordering::Acquire).is_null());
        let b = Registration::new(Path::new("bad\0name"));
        assert!(TEMP.load(Ordering::Acquire).is_null());
        drop(b);
    }
}
