//! Interrupted runs leave nothing behind.
//!
//! A temporary output file may hold decrypted plaintext, so SIGINT, SIGTERM and SIGHUP
//! remove it before the process ends. The handler does the cleanup itself, with
//! async-signal-safe calls only: it takes the registered path (one slot, an atomic
//! pointer to a C string), `unlink`s it, clears a progress bar's line, then restores
//! the default action and raises the signal again, so the process ends as the signal
//! would have ended it (a shell sees 130 for SIGINT, 143 for SIGTERM). Doing it in the
//! handler, rather than setting a flag checked between frames, also covers a run blocked
//! in `read` on a terminal, a pipe or a FIFO whose writer went quiet.
//!
//! [`Registration`] owns the slot's string: the path is registered before the file is
//! created and unregistered after it was renamed into place or removed, so there is no
//! moment when the file exists and the handler does not know it. Whoever swaps the
//! pointer out of the slot (the handler or the unregistering thread) owns it.
//!
//! A closed output pipe is the other way a run ends early: Rust ignores SIGPIPE, so the
//! write fails with `EPIPE`, the error path drops (and removes) any temporary file, and
//! [`die_of_broken_pipe`] then ends the process as SIGPIPE does, quietly, as zstd ends.
//!
//! Other systems (Windows): no handler is installed (Ctrl-C ends the process, and a
//! temporary file may stay), and a closed pipe ends the run with exit code 3.

#[cfg(not(unix))]
pub(crate) use self::other::*;
#[cfg(unix)]
pub(crate) use self::unix::*;

#[cfg(not(unix))]
mod other;
#[cfg(unix)]
mod unix;
