//! Temporary directories for the store's tests: in `/dev/shm` where there is
//! one (the tests check logic and crash recovery, not disk speed; a real
//! disk's fsync per commit makes them several times slower), else the system's.

/// A fresh temporary directory.
pub(crate) fn tempdir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}
