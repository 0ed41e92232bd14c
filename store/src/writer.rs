//! [`StreamWriter`]: one new version of a path, committed atomically.

use std::fmt;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use secstream_core::container::{END_FIXED_LEN, Header, Writer};
use zeroize::{Zeroize, Zeroizing};

use crate::db::Txn;
use crate::error::Error;
use crate::record::Record;
use crate::store::{Stat, Store};

/// A new version of a path being written (from [`Store::put`]). Write the bytes
/// through [`io::Write`], then [`commit`](Self::commit): the version appears
/// whole, durably, or not at all. Dropped without `commit` (or after an error),
/// nothing of it is kept.
///
/// It holds the store's one write transaction: other writers get
/// [`Error::Busy`] until it is committed or dropped; readers are not blocked.
/// At most one chunk of plaintext is buffered (wiped as it is sealed).
pub struct StreamWriter<'s> {
    store: &'s Store,
    txn: Option<Txn>,
    path: String,
    version: u64,
    record: Record,
    writer: Writer,
    pending: Zeroizing<Vec<u8>>,
    out: Vec<u8>,
    failed: bool,
}

impl fmt::Debug for StreamWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("path", &self.path)
            .field("version", &self.version)
            .field("frames", &self.writer.frame_count())
            .finish_non_exhaustive()
    }
}

impl<'s> StreamWriter<'s> {
    /// Starts the new version (the caller holds the store's writer flag).
    pub(crate) fn begin(store: &'s Store, txn: Txn, path: &str) -> Result<Self, Error> {
        let opts = store.options();
        let version = txn
            .head(path)?
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(Error::Corrupt("version counter overflow"))?;
        let sid = next_sid(&txn)?;
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| Error::Io(io::Error::other(e)))?;
        let record = Record {
            checksum: opts.checksum(),
            compression: opts.compression(),
            max_plain: opts.chunk_size(),
            sid,
            frames: 0,
            plain_len: 0,
            time_ms: 0,
            salt,
            end: [0; END_FIXED_LEN],
        };
        let header: Header = record.header(store.keys(), path, version);
        let mut writer = Writer::new_sealed(header.config, store.keys().master(), header.nonce)?;
        // The preamble is not stored (it follows from the record); start() makes
        // the first frame come without it.
        let mut pre = [0u8; 64];
        writer.start(&mut pre)?;
        let chunk = opts.chunk_size() as usize;
        let out = vec![0u8; writer.max_encoded_len(chunk)];
        Ok(Self {
            store,
            txn: Some(txn),
            path: path.to_owned(),
            version,
            record,
            writer,
            pending: Zeroizing::new(Vec::with_capacity(chunk)),
            out,
            failed: false,
        })
    }

    /// The version this writer creates.
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    fn seal_pending(&mut self, last: bool) -> Result<(), Error> {
        let txn = self.txn.as_ref().ok_or(Error::Busy)?;
        let counter = self.writer.frame_count();
        let n = if last {
            self.writer.encode_last(&self.pending, &mut self.out)
        } else {
            self.writer.encode_frame(&self.pending, &mut self.out)
        };
        self.pending.zeroize();
        let n = n?;
        let frame = self.out.get(..n).ok_or(Error::Corrupt("frame overflow"))?;
        txn.put_chunk(self.record.sid, counter, frame)
    }

    /// After an error: wipes the pending plaintext and aborts the transaction
    /// now (nothing of this version is kept); later writes and `commit` fail.
    fn abort(&mut self) {
        self.failed = true;
        self.pending.zeroize();
        self.txn = None;
    }

    /// Seals the last chunk, stores the version record, drops versions beyond
    /// the store's `keep_versions`, and commits durably. Returns the new
    /// version's [`Stat`].
    ///
    /// # Errors
    /// Any storage error (then nothing of the version is kept), or
    /// [`Error::Busy`] after an earlier write error.
    pub fn commit(mut self) -> Result<Stat, Error> {
        let r = self.try_commit();
        if r.is_err() {
            self.abort();
        }
        r
    }

    fn try_commit(&mut self) -> Result<Stat, Error> {
        if self.failed {
            return Err(Error::Busy);
        }
        self.seal_pending(true)?;
        let mut end = [0u8; 64];
        let n = self.writer.finish(&mut end)?;
        if n != END_FIXED_LEN {
            return Err(Error::Corrupt("unexpected end section length"));
        }
        self.record.end.copy_from_slice(&end[..END_FIXED_LEN]);
        self.record.frames = self.writer.frame_count();
        self.record.plain_len = self.writer.plain_len();
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.record.time_ms = ms;
        let keys = self.store.keys();
        let txn = self.txn.take().ok_or(Error::Busy)?;
        txn.put_record(
            &self.path,
            self.version,
            &self.record.encode(keys, &self.path, self.version),
        )?;
        txn.set_head(&self.path, self.version)?;
        let keep = u64::from(self.store.options().keep_versions());
        let mut kept = 0u32;
        for (v, bytes) in txn.records(&self.path)? {
            if v + keep <= self.version {
                let old = Record::decode(keys, &self.path, v, &bytes)?;
                txn.remove_chunks(old.sid)?;
                txn.remove_record(&self.path, v)?;
            } else {
                kept += 1;
            }
        }
        txn.commit()?;
        Ok(Stat::new(self.version, &self.record, kept))
    }
}

fn next_sid(txn: &Txn) -> Result<u64, Error> {
    let sid = match txn.meta(crate::store::META_NEXT_SID)? {
        Some(b) => {
            let b: [u8; 8] = b
                .as_slice()
                .try_into()
                .map_err(|_| Error::Corrupt("bad stream id counter"))?;
            u64::from_le_bytes(b)
        }
        None => 0,
    };
    let next = sid
        .checked_add(1)
        .ok_or(Error::Corrupt("stream id overflow"))?;
    txn.set_meta(crate::store::META_NEXT_SID, &next.to_le_bytes())?;
    Ok(sid)
}

impl io::Write for StreamWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.failed || self.txn.is_none() {
            return Err(Error::Busy.into());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let chunk = self.record.max_plain as usize;
        // A full chunk is sealed only once more data follows, so the last chunk
        // is never empty (unless the whole stream is) and seeks need no index.
        if self.pending.len() == chunk
            && let Err(e) = self.seal_pending(false)
        {
            self.abort();
            return Err(e.into());
        }
        let n = (chunk - self.pending.len()).min(data.len());
        self.pending.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for StreamWriter<'_> {
    fn drop(&mut self) {
        self.pending.zeroize();
        // An uncommitted transaction aborts when dropped.
        self.txn = None;
        self.store.release_writer();
    }
}
