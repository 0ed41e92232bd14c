//! Purge on console control events (Windows; compiled, not tested).

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
use windows_sys::core::BOOL;

static CALLBACK: Mutex<Option<fn(i32)>> = Mutex::new(None);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Runs on a thread of its own (not in a signal context), so taking
/// locks here is fine.
unsafe extern "system" fn handler(ctrl_type: u32) -> BOOL {
    let callback = *super::super::lock(&CALLBACK);
    if let Some(cb) = callback {
        cb(i32::try_from(ctrl_type).unwrap_or(i32::MAX));
    }
    // FALSE: the next handler runs (by default it ends the process).
    0
}

pub(super) fn install(on_signal: fn(i32)) -> io::Result<()> {
    *super::super::lock(&CALLBACK) = Some(on_signal);
    if INSTALLED.swap(true, Ordering::AcqRel) {
        return Ok(());
    }
    // SAFETY: `handler` has the signature the system expects and
    // stays valid for the life of the process.
    if unsafe { SetConsoleCtrlHandler(Some(handler), 1) } == 0 {
        INSTALLED.store(false, Ordering::Release);
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
