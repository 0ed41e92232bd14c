//! [`Store`], [`View`] and [`Stat`].

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secstream::container_io::ContainerReader;
use secstream_core::compress::Compression;
use secstream_core::container::{FrameCodec, Header};
use secstream_core::frame;
use secstream_core::seal::MasterKey;

use crate::db::{Db, Snapshot, StorageBackend};
use crate::error::Error;
use crate::options::Options;
use crate::reader::StreamReader;
use crate::record::{Keys, Record};
use crate::writer::StreamWriter;

pub(crate) const META_FORMAT: &str = "format";
pub(crate) const META_KEY_CHECK: &str = "key_check";
pub(crate) const META_NEXT_SID: &str = "next_stream_id";
const FORMAT: &[u8] = b"secstream store 1";

/// The longest path, in bytes.
pub const MAX_PATH_LEN: usize = 4096;

/// What [`Store::stat`] and [`Store::versions`] tell about a stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stat {
    /// The version number (1 for a path's first version, then counting up).
    pub version: u64,
    /// Plaintext length in bytes.
    pub size: u64,
    /// When the version was committed (the writer's clock).
    pub time: SystemTime,
    /// Versions of the path kept (as of the snapshot).
    pub versions: u32,
    /// Chunks (container frames) of the version.
    pub chunks: u64,
    /// Their compression.
    pub compression: Compression,
}

impl Stat {
    pub(crate) fn new(version: u64, r: &Record, versions: u32) -> Self {
        Self {
            version,
            size: r.plain_len,
            time: UNIX_EPOCH + Duration::from_millis(r.time_ms),
            versions,
            chunks: r.frames,
            compression: r.compression,
        }
    }
}

/// Encrypted, versioned byte streams under paths, in one crash-safe file.
///
/// Every version of a path is a sealed container v2 stream whose frames are the
/// stored chunks; `export` writes it as a `.sst` file. Many readers (each on a
/// snapshot) run alongside one writer. What the file reveals and protects, and
/// how it maps to the engine: `docs/store.md`.
///
/// ```
/// use std::io::{Read, Write};
/// use secstream_core::seal::MasterKey;
/// use secstream_store::Store;
///
/// let dir = tempfile::tempdir()?;
/// let store = Store::open(dir.path().join("db"), MasterKey::from_bytes(&[7; 32]))?;
/// let mut w = store.put("logs/today")?;
/// w.write_all(b"hello")?;
/// w.commit()?;
/// let mut got = String::new();
/// store.get("logs/today")?.read_to_string(&mut got)?;
/// assert_eq!(got, "hello");
/// assert_eq!(store.list("logs/")?, ["logs/today"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Store {
    db: Db,
    keys: Keys,
    opts: Options,
    writing: AtomicBool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("options", &self.opts)
            .finish_non_exhaustive()
    }
}

fn check_path(path: &str) -> Result<(), Error> {
    if path.is_empty() || path.len() > MAX_PATH_LEN || path.contains('\0') {
        return Err(Error::InvalidPath);
    }
    Ok(())
}

/// Releases the writer flag on drop (for `delete`).
struct WriterFlag<'a>(&'a Store);

impl Drop for WriterFlag<'_> {
    fn drop(&mut self) {
        self.0.release_writer();
    }
}

impl Store {
    /// Opens the store file at `path` (created if missing) with default
    /// [`Options`].
    ///
    /// # Errors
    /// [`Error::WrongKey`], [`Error::Database`] (I/O, a file that is not a store,
    /// a file another process has open), [`Error::Corrupt`].
    pub fn open(path: impl AsRef<Path>, key: MasterKey) -> Result<Self, Error> {
        Self::open_with(path, key, Options::new())
    }

    /// [`open`](Self::open) with `opts`.
    ///
    /// # Errors
    /// As [`open`](Self::open), and [`Error::BadOptions`].
    pub fn open_with(path: impl AsRef<Path>, key: MasterKey, opts: Options) -> Result<Self, Error> {
        opts.check()?;
        let db = Db::open(path.as_ref(), opts.cache_size())?;
        Self::init(db, key, opts)
    }

    /// Opens (or creates) a store on a storage backend (tests: fault injection,
    /// power cuts).
    ///
    /// # Errors
    /// As [`open_with`](Self::open_with).
    pub fn open_backend(
        backend: Box<dyn StorageBackend>,
        key: MasterKey,
        opts: Options,
    ) -> Result<Self, Error> {
        opts.check()?;
        let db = Db::open_backend(backend, opts.cache_size())?;
        Self::init(db, key, opts)
    }

    fn init(db: Db, key: MasterKey, opts: Options) -> Result<Self, Error> {
        let keys = Keys::new(key);
        let check = keys.key_check();
        let snap = db.read()?;
        match (snap.meta(META_FORMAT)?, snap.meta(META_KEY_CHECK)?) {
            (Some(f), Some(k)) => {
                if f != FORMAT {
                    return Err(Error::Corrupt("not a secstream store, or a newer format"));
                }
                if k != check {
                    return Err(Error::WrongKey);
                }
            }
            (None, None) => {
                drop(snap);
                let txn = db.write()?;
                if txn.meta(META_FORMAT)?.is_none() {
                    txn.set_meta(META_FORMAT, FORMAT)?;
                    txn.set_meta(META_KEY_CHECK, &check)?;
                    txn.commit()?;
                }
            }
            _ => return Err(Error::Corrupt("store metadata is incomplete")),
        }
        Ok(Self {
            db,
            keys,
            opts,
            writing: AtomicBool::new(false),
        })
    }

    pub(crate) const fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The store's options.
    #[must_use]
    pub const fn options(&self) -> &Options {
        &self.opts
    }

    fn acquire_writer(&self) -> Result<(), Error> {
        self.writing
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .map(|_| ())
            .map_err(|_| Error::Busy)
    }

    pub(crate) fn release_writer(&self) {
        self.writing.store(false, Ordering::Release);
    }

    /// Starts a new version of `path`: write it, then
    /// [`commit`](StreamWriter::commit).
    ///
    /// # Errors
    /// [`Error::InvalidPath`], [`Error::Busy`] while another writer is open,
    /// storage errors.
    pub fn put(&self, path: &str) -> Result<StreamWriter<'_>, Error> {
        check_path(path)?;
        self.acquire_writer()?;
        let flag = WriterFlag(self);
        let txn = self.db.write()?;
        let w = StreamWriter::begin(self, txn, path)?;
        // The writer releases the flag when dropped.
        std::mem::forget(flag);
        Ok(w)
    }

    /// A consistent snapshot of the store: every read through it sees the
    /// store as of now.
    ///
    /// # Errors
    /// Storage errors.
    pub fn view(&self) -> Result<View<'_>, Error> {
        Ok(View {
            store: self,
            snap: self.db.read()?,
        })
    }

    /// The newest version of `path`, on a fresh snapshot.
    ///
    /// # Errors
    /// As [`View::get`].
    pub fn get(&self, path: &str) -> Result<StreamReader, Error> {
        self.view()?.get(path)
    }

    /// Version `version` of `path`, if still kept.
    ///
    /// # Errors
    /// As [`View::get_version`].
    pub fn get_version(&self, path: &str, version: u64) -> Result<StreamReader, Error> {
        self.view()?.get_version(path, version)
    }

    /// The paths starting with `prefix`, in byte order.
    ///
    /// # Errors
    /// Storage errors.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.view()?.list(prefix)
    }

    /// The newest version of `path`.
    ///
    /// # Errors
    /// As [`View::stat`].
    pub fn stat(&self, path: &str) -> Result<Stat, Error> {
        self.view()?.stat(path)
    }

    /// Every kept version of `path`, oldest first.
    ///
    /// # Errors
    /// As [`View::versions`].
    pub fn versions(&self, path: &str) -> Result<Vec<Stat>, Error> {
        self.view()?.versions(path)
    }

    /// Removes `path` and all its versions; `Ok(false)` if it did not exist.
    ///
    /// # Errors
    /// [`Error::Busy`] while a writer is open, [`Error::Corrupt`] for a damaged
    /// record (nothing is removed then), storage errors.
    pub fn delete(&self, path: &str) -> Result<bool, Error> {
        check_path(path)?;
        self.acquire_writer()?;
        let _flag = WriterFlag(self);
        let txn = self.db.write()?;
        if txn.head(path)?.is_none() {
            return Ok(false);
        }
        for (v, bytes) in txn.records(path)? {
            let r = Record::decode(&self.keys, path, v, &bytes)?;
            txn.remove_chunks(r.sid)?;
            txn.remove_record(path, v)?;
        }
        txn.remove_head(path)?;
        txn.commit()?;
        Ok(true)
    }

    /// Rewrites the file without its free space; `Ok(false)` when there was
    /// nothing to reclaim.
    ///
    /// # Errors
    /// Storage errors, also while a reader (`View`, `StreamReader`) is alive.
    pub fn compact(&mut self) -> Result<bool, Error> {
        self.db.compact()
    }

    /// Writes version `version` (the newest with `None`) of `path` to `out` as a
    /// sealed container v2 file (`.sst`), readable with the store's key by any
    /// container reader. Frames are copied as stored (their checksums are
    /// checked); the reader authenticates them. Returns the bytes written.
    ///
    /// # Errors
    /// As [`View::get_version`], [`Error::Container`] for a bad checksum,
    /// [`Error::Io`] from `out`.
    pub fn export(
        &self,
        path: &str,
        version: Option<u64>,
        out: &mut impl Write,
    ) -> Result<u64, Error> {
        self.view()?.export(path, version, out)
    }

    /// Reads a container v2 stream (sealed with the store's key, or unsealed)
    /// and stores its plaintext as a new version of `path`.
    ///
    /// # Errors
    /// As [`put`](Self::put) and [`StreamWriter::commit`]; [`Error::Io`] for a
    /// damaged or truncated input (nothing is stored then).
    pub fn import(&self, path: &str, input: impl Read) -> Result<Stat, Error> {
        let mut input = BufReader::new(input);
        let head = input.fill_buf()?;
        let sealed = head.get(7).is_some_and(|f| f & 1 == 1);
        let mut w = self.put(path)?;
        if sealed {
            let key = MasterKey::from_bytes(self.keys.master().as_bytes());
            io::copy(&mut ContainerReader::sealed(input, key), &mut w)?;
        } else {
            io::copy(&mut ContainerReader::new(input), &mut w)?;
        }
        w.commit()
    }
}

/// A consistent snapshot of a [`Store`] (from [`Store::view`]).
pub struct View<'s> {
    store: &'s Store,
    snap: Snapshot,
}

impl std::fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View").finish_non_exhaustive()
    }
}

impl View<'_> {
    fn record(&self, path: &str, version: Option<u64>) -> Result<(u64, Record), Error> {
        check_path(path)?;
        let v = match version {
            Some(v) => v,
            None => self.snap.head(path)?.ok_or(Error::NotFound)?,
        };
        let bytes = self.snap.record(path, v)?.ok_or(match version {
            Some(_) => Error::NotFound,
            None => Error::Corrupt("a path's newest version record is missing"),
        })?;
        Ok((v, Record::decode(self.store.keys(), path, v, &bytes)?))
    }

    fn codec(&self, path: &str, v: u64, r: &Record) -> Result<(Header, FrameCodec), Error> {
        let header = r.header(self.store.keys(), path, v);
        let codec = FrameCodec::new(&header, Some(self.store.keys().master()))?;
        Ok((header, codec))
    }

    /// The newest version of `path`.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::InvalidPath`], [`Error::Corrupt`] for a
    /// damaged record, storage errors. Damaged chunks show up while reading.
    pub fn get(&self, path: &str) -> Result<StreamReader, Error> {
        self.open(path, None)
    }

    /// Version `version` of `path`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub fn get_version(&self, path: &str, version: u64) -> Result<StreamReader, Error> {
        self.open(path, Some(version))
    }

    fn open(&self, path: &str, version: Option<u64>) -> Result<StreamReader, Error> {
        let (v, r) = self.record(path, version)?;
        let (_, codec) = self.codec(path, v, &r)?;
        StreamReader::new(self.snap.chunks()?, codec, r, v)
    }

    /// The paths starting with `prefix`, in byte order (one ordered range scan).
    ///
    /// # Errors
    /// Storage errors.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        self.snap.list(prefix, |p| out.push(p.to_owned()))?;
        Ok(out)
    }

    /// Calls `f` with each path starting with `prefix`, in byte order, without
    /// collecting them.
    ///
    /// # Errors
    /// Storage errors.
    pub fn for_each_path(&self, prefix: &str, f: impl FnMut(&str)) -> Result<(), Error> {
        self.snap.list(prefix, f)
    }

    /// The newest version of `path`.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub fn stat(&self, path: &str) -> Result<Stat, Error> {
        let (v, r) = self.record(path, None)?;
        let n = self.snap.records(path)?.len();
        Ok(Stat::new(v, &r, u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// Every kept version of `path`, oldest first (empty if none).
    ///
    /// # Errors
    /// [`Error::Corrupt`] for a damaged record, storage errors.
    pub fn versions(&self, path: &str) -> Result<Vec<Stat>, Error> {
        check_path(path)?;
        let all = self.snap.records(path)?;
        let n = u32::try_from(all.len()).unwrap_or(u32::MAX);
        all.iter()
            .map(|(v, b)| {
                Ok(Stat::new(
                    *v,
                    &Record::decode(self.store.keys(), path, *v, b)?,
                    n,
                ))
            })
            .collect()
    }

    /// As [`Store::export`], on this snapshot.
    ///
    /// # Errors
    /// As [`Store::export`].
    pub fn export(
        &self,
        path: &str,
        version: Option<u64>,
        out: &mut impl Write,
    ) -> Result<u64, Error> {
        let (v, r) = self.record(path, version)?;
        let (header, _) = self.codec(path, v, &r)?;
        let pre = header.to_preamble();
        out.write_all(pre.as_bytes())?;
        let mut total = pre.as_bytes().len() as u64;
        let chunks = self.snap.chunks()?;
        let mut buf = Vec::with_capacity(r.config().max_frame_len());
        let hlen = frame::header_len(r.checksum);
        for i in 0..r.frames {
            if !chunks.get_into(r.sid, i, &mut buf)? {
                return Err(Error::Corrupt("a chunk is missing"));
            }
            let (head, payload) = buf
                .split_at_checked(hlen)
                .ok_or(Error::Corrupt("chunk shorter than a frame header"))?;
            let h =
                frame::header(r.checksum, payload).map_err(|_| Error::Corrupt("chunk too long"))?;
            if h.as_bytes() != head {
                return Err(secstream_core::container::Error::BadChecksum { frame: i }.into());
            }
            out.write_all(&buf)?;
            total += buf.len() as u64;
        }
        out.write_all(&r.end)?;
        Ok(total + r.end.len() as u64)
    }
}
