//! Shared parts of the store fuzz targets: an in-memory storage backend and
//! the store options.

// Each target uses part of it.
#![allow(dead_code)]

use std::io;
use std::sync::{Arc, Mutex};

use secstream_core::seal::MasterKey;
use secstream_store::{Options, StorageBackend};

/// The bytes of a database file, in memory.
#[derive(Debug, Clone, Default)]
pub struct Mem(pub Arc<Mutex<Vec<u8>>>);

impl Mem {
    pub fn with(bytes: Vec<u8>) -> Self {
        Self(Arc::new(Mutex::new(bytes)))
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

fn poisoned() -> io::Error {
    io::Error::other("poisoned")
}

impl StorageBackend for Mem {
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.lock().map_err(|_| poisoned())?.len() as u64)
    }
    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let b = self.0.lock().map_err(|_| poisoned())?;
        let start = usize::try_from(offset).map_err(|_| poisoned())?;
        b.get(start..start.saturating_add(len))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        let n = usize::try_from(len).map_err(|_| poisoned())?;
        // A damaged header may ask for an absurd length.
        if n > 1 << 30 {
            return Err(io::Error::other("too large"));
        }
        self.0.lock().map_err(|_| poisoned())?.resize(n, 0);
        Ok(())
    }
    fn sync_data(&self, _eventual: bool) -> io::Result<()> {
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut b = self.0.lock().map_err(|_| poisoned())?;
        let start = usize::try_from(offset).map_err(|_| poisoned())?;
        let end = start.saturating_add(data.len());
        if end > 1 << 30 {
            return Err(io::Error::other("too large"));
        }
        if b.len() < end {
            b.resize(end, 0);
        }
        b[start..end].copy_from_slice(data);
        Ok(())
    }
}

pub fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x5e; 32])
}

pub fn opts() -> Options {
    Options::new()
        .with_chunk_size(64)
        .with_keep_versions(2)
        .with_cache_size(1 << 20)
}
