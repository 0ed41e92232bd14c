//! The one module that names redb (pinned to `=2.6.3`): tables, transactions,
//! the storage backend adapter and error conversion. A redb upgrade touches
//! this file only.
//!
//! Tables:
//!
//! | table | key | value |
//! |---|---|---|
//! | `secstream_meta` | name (`&str`) | bytes: format, key check, next stream id |
//! | `secstream_heads` | path (`&str`) | newest version (`u64`) |
//! | `secstream_versions` | (path, version) | the version record ([`crate::record`]) |
//! | `secstream_chunks` | stream id << 64 \| frame counter (`u128`) | one encoded container frame |

use std::cell::Cell;
use std::fmt;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use redb::{
    Database, Durability, ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition,
    WriteTransaction,
};

use crate::error::Error;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("secstream_meta");
const HEADS: TableDefinition<&str, u64> = TableDefinition::new("secstream_heads");
const VERSIONS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("secstream_versions");
const CHUNKS: TableDefinition<u128, &[u8]> = TableDefinition::new("secstream_chunks");

/// A storage engine error (redb's), shown as text.
pub struct DbError(Box<redb::Error>);

impl fmt::Debug for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl DbError {
    /// Whether the engine found the file damaged (rather than an I/O failure).
    #[must_use]
    pub fn is_corruption(&self) -> bool {
        match &*self.0 {
            redb::Error::Corrupted(_) | redb::Error::UpgradeRequired(_) => true,
            // How redb reports a header or page it cannot parse.
            redb::Error::Io(e) => e.kind() == io::ErrorKind::InvalidData,
            _ => false,
        }
    }

    /// The underlying I/O error, if this is one.
    pub(crate) fn io_kind(&self) -> Option<io::ErrorKind> {
        match &*self.0 {
            redb::Error::Io(e) => Some(e.kind()),
            _ => None,
        }
    }
}

thread_local! {
    /// Set while this thread runs an engine call under [`guard`] or
    /// [`drop_guarded`].
    static IN_GUARDED_CALL: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside a storage-engine call whose panic the store
/// catches and returns as [`Error::Corrupt`]. A panic hook can consult it to
/// stay quiet about such panics: the error that follows says what happened.
/// The `secstream` CLI's hook does.
#[must_use]
pub fn in_guarded_engine_call() -> bool {
    IN_GUARDED_CALL.with(Cell::get)
}

/// Runs `f` with [`in_guarded_engine_call`] true, catching its panic.
fn catching<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    let was = IN_GUARDED_CALL.with(|c| c.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    IN_GUARDED_CALL.with(|c| c.set(was));
    r
}

/// Runs an engine call, turning a panic into [`Error::Corrupt`]: redb 2.6.3
/// indexes out of bounds on some damaged files instead of returning an error.
fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catching(f).unwrap_or(Err(Error::Corrupt(
        "the storage engine failed on the file (damaged)",
    )))
}

/// Drops an engine value, ignoring a panic in its destructor (see [`guard`]).
fn drop_guarded<T>(v: T) {
    let _ = catching(move || drop(v));
}

/// An engine value whose destructor runs under [`drop_guarded`].
struct Guarded<T>(Option<T>);

impl<T> Guarded<T> {
    const fn new(v: T) -> Self {
        Self(Some(v))
    }

    fn get(&self) -> Result<&T, Error> {
        self.0
            .as_ref()
            .ok_or(Error::Corrupt("engine handle already released"))
    }

    fn get_mut(&mut self) -> Result<&mut T, Error> {
        self.0
            .as_mut()
            .ok_or(Error::Corrupt("engine handle already released"))
    }

    fn take(&mut self) -> Result<T, Error> {
        self.0
            .take()
            .ok_or(Error::Corrupt("engine handle already released"))
    }
}

impl<T> Drop for Guarded<T> {
    fn drop(&mut self) {
        drop_guarded(self.0.take());
    }
}

fn db_err(e: impl Into<redb::Error>) -> Error {
    let e: redb::Error = e.into();
    Error::Database(DbError(Box::new(e)))
}

/// Where the database's bytes live: a file normally, anything in tests (fault
/// injection, simulated power cuts). The same contract as the engine's own
/// backend trait, which this crate adapts to.
#[allow(
    clippy::len_without_is_empty,
    reason = "the engine's backend contract has no is_empty"
)]
pub trait StorageBackend: 'static + fmt::Debug + Send + Sync {
    /// The current length of the storage.
    ///
    /// # Errors
    /// Any I/O error.
    fn len(&self) -> io::Result<u64>;
    /// Reads `len` bytes at `offset` (an error if past the end).
    ///
    /// # Errors
    /// Any I/O error.
    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>>;
    /// Sets the length; new bytes read as zero.
    ///
    /// # Errors
    /// Any I/O error.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes all writes so far durable (`eventual`: at some later point, but
    /// before any later write).
    ///
    /// # Errors
    /// Any I/O error.
    fn sync_data(&self, eventual: bool) -> io::Result<()>;
    /// Writes `data` at `offset`.
    ///
    /// # Errors
    /// Any I/O error.
    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()>;
}

#[derive(Debug)]
struct Adapter(Box<dyn StorageBackend>);

impl redb::StorageBackend for Adapter {
    fn len(&self) -> Result<u64, io::Error> {
        self.0.len()
    }
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, io::Error> {
        self.0.read(offset, len)
    }
    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.0.set_len(len)
    }
    fn sync_data(&self, eventual: bool) -> Result<(), io::Error> {
        self.0.sync_data(eventual)
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.0.write(offset, data)
    }
}

/// Syncs after every growth of the file, so the new length is durable before
/// any later write. redb 2.6.3 grows the file and then writes a header
/// describing the new length with no sync between (in commits, and when it
/// saves its allocator state on close); a power cut that keeps the header but
/// not the growth leaves a file it refuses to open (an assertion on the file
/// length; found by `power_cut_at_every_sync_point`). Growth is rare (the
/// file grows in large steps), so the extra sync costs little.
#[derive(Debug)]
struct GrowSync<B>(B);

impl<B: redb::StorageBackend> redb::StorageBackend for GrowSync<B> {
    fn len(&self) -> Result<u64, io::Error> {
        self.0.len()
    }
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>, io::Error> {
        self.0.read(offset, len)
    }
    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        let grows = len > self.0.len()?;
        self.0.set_len(len)?;
        if grows {
            self.0.sync_data(false)?;
        }
        Ok(())
    }
    fn sync_data(&self, eventual: bool) -> Result<(), io::Error> {
        self.0.sync_data(eventual)
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.0.write(offset, data)
    }
}

/// Opens (creating if empty) the database in the file at `path`, through
/// [`GrowSync`] (and redb's file backend, which also locks the file).
fn open_file(path: &Path, cache_size: usize) -> Result<Database, Error> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let backend = redb::backends::FileBackend::new(file).map_err(db_err)?;
    Db::builder(cache_size)
        .create_with_backend(GrowSync(backend))
        .map_err(db_err)
}

/// The database.
pub(crate) struct Db {
    db: Guarded<Database>,
}

impl Db {
    fn builder(cache_size: usize) -> redb::Builder {
        let mut b = Database::builder();
        b.set_cache_size(cache_size);
        // Fuzz builds (cargo-fuzz passes `--cfg fuzzing` to every crate, and
        // redb has this knob only then): 1 MiB regions instead of 1 GiB, so the
        // allocator state the engine rebuilds and saves on open and commit stays
        // small and a fuzz run takes milliseconds, not a second.
        #[cfg(fuzzing)]
        b.set_region_size(1 << 20);
        b
    }

    /// Opens or creates the database file at `path`. A new file is made under
    /// a temporary name and renamed into place once the engine has written and
    /// synced its first header, so a crash while creating leaves no half-made
    /// file at `path`.
    pub(crate) fn open(path: &Path, cache_size: usize) -> Result<Self, Error> {
        let fresh = match std::fs::metadata(path) {
            Ok(m) => m.len() == 0,
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(Error::Io(e)),
        };
        if fresh {
            let mut tmp = path.as_os_str().to_owned();
            tmp.push(".creating");
            let tmp = std::path::PathBuf::from(tmp);
            // A leftover of an earlier crash while creating.
            let _ = std::fs::remove_file(&tmp);
            guard(|| {
                let db = open_file(&tmp, cache_size)?;
                drop(db);
                Ok(())
            })?;
            std::fs::File::open(&tmp)?.sync_all()?;
            std::fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent() {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                // Makes the rename durable (a no-op where directories cannot be opened).
                if let Ok(d) = std::fs::File::open(dir) {
                    d.sync_all()?;
                }
            }
        }
        guard(|| {
            let db = open_file(path, cache_size)?;
            Ok(Self {
                db: Guarded::new(db),
            })
        })
    }

    /// Opens or creates a database on `backend`.
    pub(crate) fn open_backend(
        backend: Box<dyn StorageBackend>,
        cache_size: usize,
    ) -> Result<Self, Error> {
        guard(|| {
            let db = Self::builder(cache_size)
                .create_with_backend(GrowSync(Adapter(backend)))
                .map_err(db_err)?;
            Ok(Self {
                db: Guarded::new(db),
            })
        })
    }

    /// A consistent read snapshot.
    pub(crate) fn read(&self) -> Result<Snapshot, Error> {
        guard(|| {
            let txn = self.db.get()?.begin_read().map_err(db_err)?;
            Ok(Snapshot {
                txn: Guarded::new(txn),
            })
        })
    }

    /// The write transaction (one at a time; durable on commit).
    pub(crate) fn write(&self) -> Result<Txn, Error> {
        guard(|| {
            let mut txn = self.db.get()?.begin_write().map_err(db_err)?;
            txn.set_durability(Durability::Immediate);
            Ok(Txn {
                txn: Guarded::new(txn),
            })
        })
    }

    /// Compacts the file; `Ok(false)` when there was nothing to do.
    pub(crate) fn compact(&mut self) -> Result<bool, Error> {
        guard(|| self.db.get_mut()?.compact().map_err(db_err))
    }
}

const fn chunk_key(sid: u64, counter: u64) -> u128 {
    ((sid as u128) << 64) | counter as u128
}

/// A read snapshot: every read through it sees the database as it was when it
/// was taken.
pub(crate) struct Snapshot {
    txn: Guarded<ReadTransaction>,
}

/// Whether a missing table means "empty" (a fresh database) rather than an error.
fn missing_is_empty<T>(r: Result<T, redb::TableError>) -> Result<Option<T>, Error> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(db_err(e)),
    }
}

impl Snapshot {
    /// A meta value.
    pub(crate) fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        guard(|| {
            let Some(t) = missing_is_empty(self.txn.get()?.open_table(META))? else {
                return Ok(None);
            };
            Ok(t.get(name).map_err(db_err)?.map(|v| v.value().to_vec()))
        })
    }

    /// A path's newest version.
    pub(crate) fn head(&self, path: &str) -> Result<Option<u64>, Error> {
        guard(|| {
            let Some(t) = missing_is_empty(self.txn.get()?.open_table(HEADS))? else {
                return Ok(None);
            };
            Ok(t.get(path).map_err(db_err)?.map(|v| v.value()))
        })
    }

    /// One version record.
    pub(crate) fn record(&self, path: &str, version: u64) -> Result<Option<Vec<u8>>, Error> {
        guard(|| {
            let Some(t) = missing_is_empty(self.txn.get()?.open_table(VERSIONS))? else {
                return Ok(None);
            };
            Ok(t.get((path, version))
                .map_err(db_err)?
                .map(|v| v.value().to_vec()))
        })
    }

    /// All version records of a path, oldest first.
    pub(crate) fn records(&self, path: &str) -> Result<Vec<(u64, Vec<u8>)>, Error> {
        guard(|| {
            let Some(t) = missing_is_empty(self.txn.get()?.open_table(VERSIONS))? else {
                return Ok(Vec::new());
            };
            collect_records(&t, path)
        })
    }

    /// Paths starting with `prefix`, in byte order, by one ordered range scan;
    /// `f` sees each in turn.
    pub(crate) fn list(&self, prefix: &str, mut f: impl FnMut(&str)) -> Result<(), Error> {
        guard(|| {
            let Some(t) = missing_is_empty(self.txn.get()?.open_table(HEADS))? else {
                return Ok(());
            };
            for item in t.range(prefix..).map_err(db_err)? {
                let (k, _) = item.map_err(db_err)?;
                let k = k.value();
                if !k.starts_with(prefix) {
                    break;
                }
                f(k);
            }
            Ok(())
        })
    }

    /// The chunk table of this snapshot.
    pub(crate) fn chunks(&self) -> Result<Chunks, Error> {
        guard(|| {
            Ok(Chunks {
                table: Guarded::new(missing_is_empty(self.txn.get()?.open_table(CHUNKS))?),
            })
        })
    }
}

fn collect_records(
    t: &impl ReadableTable<(&'static str, u64), &'static [u8]>,
    path: &str,
) -> Result<Vec<(u64, Vec<u8>)>, Error> {
    let mut out = Vec::new();
    for item in t.range((path, 0)..=(path, u64::MAX)).map_err(db_err)? {
        let (k, v) = item.map_err(db_err)?;
        out.push((k.value().1, v.value().to_vec()));
    }
    Ok(out)
}

/// The chunks of one read snapshot (owned: a stream reader keeps it).
pub(crate) struct Chunks {
    table: Guarded<Option<ReadOnlyTable<u128, &'static [u8]>>>,
}

impl Chunks {
    /// Copies chunk `counter` of stream `sid` into `buf` (which must have room:
    /// a longer value is [`Error::Corrupt`], so `buf` never reallocates);
    /// `Ok(false)` if there is no such chunk.
    pub(crate) fn get_into(
        &self,
        sid: u64,
        counter: u64,
        buf: &mut Vec<u8>,
    ) -> Result<bool, Error> {
        guard(|| {
            let Some(t) = self.table.get()? else {
                return Ok(false);
            };
            let Some(v) = t.get(chunk_key(sid, counter)).map_err(db_err)? else {
                return Ok(false);
            };
            let v = v.value();
            if v.len() > buf.capacity() {
                return Err(Error::Corrupt("chunk longer than its stream allows"));
            }
            buf.clear();
            buf.extend_from_slice(v);
            Ok(true)
        })
    }
}

/// The write transaction. Dropped without [`commit`](Self::commit): nothing of
/// it is kept.
pub(crate) struct Txn {
    txn: Guarded<WriteTransaction>,
}

impl Txn {
    /// A meta value.
    pub(crate) fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        guard(|| {
            let t = self.txn.get()?.open_table(META).map_err(db_err)?;
            Ok(t.get(name).map_err(db_err)?.map(|v| v.value().to_vec()))
        })
    }

    /// Sets a meta value.
    pub(crate) fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(META).map_err(db_err)?;
            t.insert(name, value).map_err(db_err)?;
            Ok(())
        })
    }

    /// A path's newest version.
    pub(crate) fn head(&self, path: &str) -> Result<Option<u64>, Error> {
        guard(|| {
            let t = self.txn.get()?.open_table(HEADS).map_err(db_err)?;
            Ok(t.get(path).map_err(db_err)?.map(|v| v.value()))
        })
    }

    /// Sets a path's newest version.
    pub(crate) fn set_head(&self, path: &str, version: u64) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(HEADS).map_err(db_err)?;
            t.insert(path, version).map_err(db_err)?;
            Ok(())
        })
    }

    /// Removes a path's head.
    pub(crate) fn remove_head(&self, path: &str) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(HEADS).map_err(db_err)?;
            t.remove(path).map_err(db_err)?;
            Ok(())
        })
    }

    /// All version records of a path, oldest first.
    pub(crate) fn records(&self, path: &str) -> Result<Vec<(u64, Vec<u8>)>, Error> {
        guard(|| {
            let t = self.txn.get()?.open_table(VERSIONS).map_err(db_err)?;
            collect_records(&t, path)
        })
    }

    /// Stores a version record.
    pub(crate) fn put_record(&self, path: &str, version: u64, record: &[u8]) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(VERSIONS).map_err(db_err)?;
            t.insert((path, version), record).map_err(db_err)?;
            Ok(())
        })
    }

    /// Removes a version record.
    pub(crate) fn remove_record(&self, path: &str, version: u64) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(VERSIONS).map_err(db_err)?;
            t.remove((path, version)).map_err(db_err)?;
            Ok(())
        })
    }

    /// Stores one chunk.
    pub(crate) fn put_chunk(&self, sid: u64, counter: u64, frame: &[u8]) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(CHUNKS).map_err(db_err)?;
            t.insert(chunk_key(sid, counter), frame).map_err(db_err)?;
            Ok(())
        })
    }

    /// Removes every chunk of stream `sid`.
    pub(crate) fn remove_chunks(&self, sid: u64) -> Result<(), Error> {
        guard(|| {
            let mut t = self.txn.get()?.open_table(CHUNKS).map_err(db_err)?;
            t.retain_in(chunk_key(sid, 0)..=chunk_key(sid, u64::MAX), |_, _| false)
                .map_err(db_err)?;
            Ok(())
        })
    }

    /// Makes the transaction durable and visible.
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        guard(|| self.txn.take()?.commit().map_err(db_err))
    }
}
