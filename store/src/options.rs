//! Options of a store.

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::Compression;
use secstream_core::container::MAX_PLAIN_LIMIT;

use crate::error::Error;

/// Options of a [`Store`](crate::Store): versions kept, chunk size, per-chunk
/// compression and checksum of new versions, engine cache size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    keep_versions: u32,
    chunk_size: u32,
    compression: Compression,
    checksum: ChecksumKind,
    cache_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

impl Options {
    /// Keep 3 versions per path, 64 KiB chunks, no compression, CRC-32C frame
    /// checksums, a 64 MiB engine cache.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            keep_versions: 3,
            chunk_size: 64 << 10,
            compression: Compression::None,
            checksum: ChecksumKind::Crc32c,
            cache_size: 64 << 20,
        }
    }

    /// How many versions of each path to keep (at least 1): a commit removes
    /// the oldest beyond this.
    #[must_use]
    pub const fn with_keep_versions(mut self, n: u32) -> Self {
        self.keep_versions = n;
        self
    }

    /// The plaintext bytes of one chunk (one container frame), 1 to 2^30. A
    /// reader holds about two chunks in memory.
    #[must_use]
    pub const fn with_chunk_size(mut self, bytes: u32) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// Compression of each chunk of new versions (LZ4 or deflate; none by
    /// default). Readers handle every kind.
    #[must_use]
    pub const fn with_compression(mut self, c: Compression) -> Self {
        self.compression = c;
        self
    }

    /// The frame checksum of new versions (CRC-32C by default; frames are also
    /// authenticated).
    #[must_use]
    pub const fn with_checksum(mut self, kind: ChecksumKind) -> Self {
        self.checksum = kind;
        self
    }

    /// Bytes of memory the engine may use to cache pages.
    #[must_use]
    pub const fn with_cache_size(mut self, bytes: usize) -> Self {
        self.cache_size = bytes;
        self
    }

    /// Versions kept per path.
    #[must_use]
    pub const fn keep_versions(&self) -> u32 {
        self.keep_versions
    }

    /// Plaintext bytes per chunk.
    #[must_use]
    pub const fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Compression of new versions.
    #[must_use]
    pub const fn compression(&self) -> Compression {
        self.compression
    }

    /// Frame checksum of new versions.
    #[must_use]
    pub const fn checksum(&self) -> ChecksumKind {
        self.checksum
    }

    /// Engine cache size.
    #[must_use]
    pub const fn cache_size(&self) -> usize {
        self.cache_size
    }

    pub(crate) const fn check(&self) -> Result<(), Error> {
        if self.keep_versions == 0 {
            return Err(Error::BadOptions("keep_versions must be at least 1"));
        }
        if self.chunk_size == 0 || self.chunk_size > MAX_PLAIN_LIMIT {
            return Err(Error::BadOptions("chunk_size must be 1 to 2^30"));
        }
        Ok(())
    }
}
