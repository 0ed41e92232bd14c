//! A passphrase typed at the terminal, without echo.
//!
//! The prompt goes to the controlling terminal (`/dev/tty`) and the answer is read from
//! it, not from stdin or stderr, so `secstream pack --passphrase < data` works and the
//! prompt never lands in a pipe, as with age and ssh. Echo is off while the line is
//! typed (the newline is still echoed: `ECHONL`) and comes back afterwards, also when
//! the run is interrupted (the signal handler restores it, see [`crate::signals`]).
//! No `libc`-free crate is needed: `libc` is already a dependency.

use zeroize::Zeroizing;

/// The longest passphrase read (bytes), from the terminal or a file.
pub(crate) const MAX_LEN: usize = 4096;

/// Why no passphrase could be read from the terminal.
#[derive(Debug)]
pub(crate) enum TtyError {
    /// There is no terminal to ask on (or this system has no prompt).
    NoTerminal(String),
    /// The terminal failed, or the input ended.
    Io(std::io::Error),
    /// More than [`MAX_LEN`] bytes.
    TooLong,
}

/// Writes `prompt` to the terminal and reads one line with echo off; the line ending
/// is not part of the result.
///
/// # Errors
/// [`TtyError`].
#[cfg(unix)]
pub(crate) fn read_hidden(prompt: &str) -> Result<Zeroizing<Vec<u8>>, TtyError> {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;

    use crate::signals::{EchoOff, SavedTty};

    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| TtyError::NoTerminal(e.to_string()))?;
    let fd = tty.as_raw_fd();
    // SAFETY: an all-zero `termios` is a valid value for `tcgetattr` to fill.
    let mut attrs: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `attrs` a valid `termios` to write.
    if unsafe { libc::tcgetattr(fd, &raw mut attrs) } != 0 {
        return Err(TtyError::NoTerminal(
            std::io::Error::last_os_error().to_string(),
        ));
    }
    let mut off = attrs;
    off.c_lflag &= !(libc::ECHO | libc::ECHOE | libc::ECHOK);
    off.c_lflag |= libc::ECHONL | libc::ICANON;
    // Echo off first, then the prompt (as getpass does): nothing typed after the
    // prompt appears is ever echoed.
    let echo_off = EchoOff::new(SavedTty { fd, attrs }, &off).map_err(TtyError::Io)?;
    tty.write_all(prompt.as_bytes())
        .and_then(|()| tty.flush())
        .map_err(TtyError::Io)?;
    // Never reallocated (that would leave a copy behind): the cap is the capacity.
    let mut line = Zeroizing::new(Vec::with_capacity(MAX_LEN));
    let mut byte = [0u8; 1];
    let mut too_long = false;
    loop {
        match tty.read(&mut byte) {
            Ok(0) => {
                drop(echo_off);
                return Err(TtyError::Io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) if line.len() < MAX_LEN => line.push(byte[0]),
            Ok(_) => too_long = true,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                drop(echo_off);
                return Err(TtyError::Io(e));
            }
        }
    }
    drop(echo_off);
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if too_long {
        return Err(TtyError::TooLong);
    }
    Ok(line)
}

/// Other systems: no prompt.
///
/// # Errors
/// Always [`TtyError::NoTerminal`].
#[cfg(not(unix))]
pub(crate) fn read_hidden(_prompt: &str) -> Result<Zeroizing<Vec<u8>>, TtyError> {
    Err(TtyError::NoTerminal(
        "this system has no passphrase prompt".to_owned(),
    ))
}
