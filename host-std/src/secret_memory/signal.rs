//! Opt-in purge on termination signals.
//!
//! Unix: a handler for SIGINT, SIGTERM, SIGHUP and SIGQUIT writes the
//! signal number to a pipe (the only thing it does: `write` is
//! async-signal-safe); a watcher thread reads it, runs the purge, restores
//! the default action and raises the signal again, so the process ends as
//! it would have.
//!
//! Windows: a console control handler (Ctrl+C, Ctrl+Break, close, logoff,
//! shutdown) runs the purge on the thread the system starts for it, then
//! lets the next handler (by default `ExitProcess`) run. The callback gets
//! the control event number. Compiled, not tested.

/// Installs the handlers once; later calls replace the callback.
///
/// # Errors
/// The OS error when the pipe, thread or handlers cannot be set up,
/// `Unsupported` on platforms other than Unix and Windows.
#[cfg(any(unix, windows))]
pub(crate) fn install(on_signal: fn(i32)) -> std::io::Result<()> {
    imp::install(on_signal)
}

/// Installs the handlers once.
///
/// # Errors
/// Always `Unsupported` on this platform.
#[cfg(not(any(unix, windows)))]
pub(crate) fn install(_on_signal: fn(i32)) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;
