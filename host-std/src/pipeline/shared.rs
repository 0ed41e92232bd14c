//! [`SharedSource`]: plaintext already in memory (a mapped file), which a
//! [`ParallelContainerWriter`](super::ParallelContainerWriter) reads without
//! copying it first.

/// Bytes in memory that the writing thread and the workers share, for
/// [`finish_from_shared`](super::ParallelContainerWriter::finish_from_shared).
/// A read-only mapping of a file is the use: an unsealed, uncompressed frame
/// is then checksummed where it lies and written from there, so the process
/// copies none of it (with `read` it copies each byte in and out).
pub trait SharedSource: Send + Sync {
    /// All the bytes.
    fn bytes(&self) -> &[u8];

    /// A hint that `len` bytes from `offset` are read next (a mapping
    /// populates its page tables); the default does nothing.
    fn will_read(&self, offset: usize, len: usize) {
        let _ = (offset, len);
    }
}

impl SharedSource for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl SharedSource for Box<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }
}
