//! Test support shared by the CLI's integration tests: a pseudo-terminal.

use std::fs;

/// A pseudo-terminal of 80 columns: (master, slave) files.
pub(crate) fn pty() -> (fs::File, fs::File) {
    use std::os::fd::FromRawFd;
    // SAFETY: no preconditions.
    let m = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY) };
    assert!(m >= 0);
    // SAFETY: `m` is a pty master, owned by nothing else yet.
    let master = unsafe { fs::File::from_raw_fd(m) };
    // SAFETY: `m` is an open pty master.
    assert_eq!(unsafe { libc::grantpt(m) }, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { libc::unlockpt(m) }, 0);
    // SAFETY: as above; the name is copied before any other pty call.
    let name = unsafe { libc::ptsname(m) };
    assert!(!name.is_null());
    // SAFETY: `name` is the NUL-terminated path `ptsname` returned.
    let s = unsafe { libc::open(name, libc::O_RDWR | libc::O_NOCTTY) };
    assert!(s >= 0);
    // SAFETY: `s` was just opened and is owned by nothing else.
    let slave = unsafe { fs::File::from_raw_fd(s) };
    let ws = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: `s` is an open terminal and `ws` a valid winsize.
    let set = unsafe { libc::ioctl(s, libc::TIOCSWINSZ, &raw const ws) };
    assert_eq!(set, 0);
    (master, slave)
}
