//! The store (issue 12) against raw redb (the same engine and data, no
//! encryption, one value per key), SQLite through `rusqlite` (bundled, WAL,
//! `synchronous=FULL`) and LMDB through `heed`, side by side.
//!
//! - `store put/<size>`: a durable put (one committed transaction) of 1 KiB,
//!   64 KiB, 1 MiB and 16 MiB, overwriting one of 4 keys in turn (so files stay
//!   small); the store keeps 1 version.
//! - `store get/<size>`: the whole value read into a reused buffer.
//! - `store list`: the 10,000 paths under one prefix among `LIST_TOTAL`
//!   (1,000,000 unless `SECSTREAM_BENCH_LIST_TOTAL` says otherwise), collected
//!   as strings.
//!
//! Files go to `SECSTREAM_BENCH_DIR` (default: the system temp directory) for
//! put and get, and to `/dev/shm` when present for the list dataset (building it
//! does a million durable commits through the store's API).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use redb::TableDefinition;
use rusqlite::OptionalExtension;
use secstream_core::seal::MasterKey;
use secstream_store::{Options, Store};

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("kv");
const KEYS: usize = 4;

trait Kv {
    fn name(&self) -> &'static str;
    fn put(&mut self, key: &str, value: &[u8]);
    /// Inserts many empty values in as few transactions as the engine allows.
    fn fill(&mut self, keys: &mut dyn Iterator<Item = String>);
    fn get(&mut self, key: &str, out: &mut Vec<u8>);
    fn list(&mut self, prefix: &str) -> Vec<String>;
}

struct Ours(Store);

impl Kv for Ours {
    fn name(&self) -> &'static str {
        "secstream"
    }
    fn put(&mut self, key: &str, value: &[u8]) {
        let mut w = self.0.put(key).unwrap();
        w.write_all(value).unwrap();
        w.commit().unwrap();
    }
    fn fill(&mut self, keys: &mut dyn Iterator<Item = String>) {
        // The store commits each version on its own.
        for k in keys {
            self.put(&k, b"");
        }
    }
    fn get(&mut self, key: &str, out: &mut Vec<u8>) {
        out.clear();
        self.0.get(key).unwrap().read_to_end(out).unwrap();
    }
    fn list(&mut self, prefix: &str) -> Vec<String> {
        self.0.list(prefix).unwrap()
    }
}

struct Redb(redb::Database);

impl Kv for Redb {
    fn name(&self) -> &'static str {
        "redb"
    }
    fn put(&mut self, key: &str, value: &[u8]) {
        let txn = self.0.begin_write().unwrap();
        txn.open_table(TABLE).unwrap().insert(key, value).unwrap();
        txn.commit().unwrap();
    }
    fn fill(&mut self, keys: &mut dyn Iterator<Item = String>) {
        let txn = self.0.begin_write().unwrap();
        {
            let mut t = txn.open_table(TABLE).unwrap();
            for k in keys {
                t.insert(k.as_str(), &b""[..]).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    fn get(&mut self, key: &str, out: &mut Vec<u8>) {
        out.clear();
        let txn = self.0.begin_read().unwrap();
        let t = txn.open_table(TABLE).unwrap();
        out.extend_from_slice(t.get(key).unwrap().unwrap().value());
    }
    fn list(&mut self, prefix: &str) -> Vec<String> {
        let txn = self.0.begin_read().unwrap();
        let t = txn.open_table(TABLE).unwrap();
        let mut out = Vec::new();
        for item in t.range(prefix..).unwrap() {
            let (k, _) = item.unwrap();
            let k = k.value();
            if !k.starts_with(prefix) {
                break;
            }
            out.push(k.to_owned());
        }
        out
    }
}

struct Sqlite(rusqlite::Connection);

impl Kv for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn put(&mut self, key: &str, value: &[u8]) {
        self.0
            .prepare_cached("INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)")
            .unwrap()
            .execute(rusqlite::params![key, value])
            .unwrap();
    }
    fn fill(&mut self, keys: &mut dyn Iterator<Item = String>) {
        let txn = self.0.transaction().unwrap();
        {
            let mut st = txn
                .prepare("INSERT OR REPLACE INTO kv (k, v) VALUES (?1, x'')")
                .unwrap();
            for k in keys {
                st.execute([k]).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    fn get(&mut self, key: &str, out: &mut Vec<u8>) {
        out.clear();
        let mut st = self
            .0
            .prepare_cached("SELECT v FROM kv WHERE k = ?1")
            .unwrap();
        st.query_row([key], |r| {
            out.extend_from_slice(r.get_ref(0)?.as_blob()?);
            Ok(())
        })
        .optional()
        .unwrap()
        .unwrap();
    }
    fn list(&mut self, prefix: &str) -> Vec<String> {
        // The prefixes here end in '/', so the next string up ends in '0'.
        let mut end = prefix.to_owned();
        end.pop();
        end.push('0');
        let mut st = self
            .0
            .prepare_cached("SELECT k FROM kv WHERE k >= ?1 AND k < ?2 ORDER BY k")
            .unwrap();
        st.query_map([prefix, end.as_str()], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

fn sqlite(path: &Path) -> Sqlite {
    let c = rusqlite::Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "synchronous", "FULL").unwrap();
    c.execute(
        "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)",
        [],
    )
    .unwrap();
    Sqlite(c)
}

struct Lmdb {
    env: heed::Env,
    db: heed::Database<heed::types::Str, heed::types::Bytes>,
}

impl Kv for Lmdb {
    fn name(&self) -> &'static str {
        "lmdb"
    }
    fn put(&mut self, key: &str, value: &[u8]) {
        let mut w = self.env.write_txn().unwrap();
        self.db.put(&mut w, key, value).unwrap();
        w.commit().unwrap();
    }
    fn fill(&mut self, keys: &mut dyn Iterator<Item = String>) {
        let mut w = self.env.write_txn().unwrap();
        for k in keys {
            self.db.put(&mut w, &k, b"").unwrap();
        }
        w.commit().unwrap();
    }
    fn get(&mut self, key: &str, out: &mut Vec<u8>) {
        out.clear();
        let r = self.env.read_txn().unwrap();
        out.extend_from_slice(self.db.get(&r, key).unwrap().unwrap());
    }
    fn list(&mut self, prefix: &str) -> Vec<String> {
        let r = self.env.read_txn().unwrap();
        self.db
            .prefix_iter(&r, prefix)
            .unwrap()
            .map(|e| e.unwrap().0.to_owned())
            .collect()
    }
}

fn lmdb(dir: &Path) -> Lmdb {
    std::fs::create_dir_all(dir).unwrap();
    // SAFETY: the environment is opened once in this process and its files
    // are not touched by anything else while it is open.
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .map_size(8 << 30)
            .open(dir)
            .unwrap()
    };
    let mut w = env.write_txn().unwrap();
    let db = env.create_database(&mut w, None).unwrap();
    w.commit().unwrap();
    Lmdb { env, db }
}

fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x42; 32])
}

fn engines(dir: &Path, cache: usize) -> Vec<Box<dyn Kv>> {
    std::fs::create_dir_all(dir).unwrap();
    let opts = Options::new().with_keep_versions(1).with_cache_size(cache);
    let ours = Store::open_with(dir.join("store.db"), key(), opts).unwrap();
    let raw = redb::Database::builder()
        .set_cache_size(cache)
        .create(dir.join("raw.redb"))
        .unwrap();
    let txn = raw.begin_write().unwrap();
    drop(txn.open_table(TABLE).unwrap());
    txn.commit().unwrap();
    vec![
        Box::new(Ours(ours)),
        Box::new(Redb(raw)),
        Box::new(sqlite(&dir.join("sqlite.db"))),
        Box::new(lmdb(&dir.join("lmdb"))),
    ]
}

fn bench_dir(name: &str) -> PathBuf {
    let base =
        std::env::var_os("SECSTREAM_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let d = base.join(format!("secstream-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn value(n: usize) -> Vec<u8> {
    (0..n as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes()[7])
        .collect()
}

const SIZES: [(usize, &str); 4] = [
    (1 << 10, "1KiB"),
    (64 << 10, "64KiB"),
    (1 << 20, "1MiB"),
    (16 << 20, "16MiB"),
];

fn put_get(c: &mut Criterion) {
    let dir = bench_dir("putget");
    let mut kvs = engines(&dir, 64 << 20);
    for (size, label) in SIZES {
        let v = value(size);
        let mut g = c.benchmark_group("store put");
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 1 << 20 {
            g.sample_size(10);
        }
        for kv in &mut kvs {
            let mut i = 0usize;
            g.bench_function(BenchmarkId::new(kv.name(), label), |b| {
                b.iter(|| {
                    i += 1;
                    kv.put(&format!("put/{label}/{}", i % KEYS), black_box(&v));
                });
            });
        }
        g.finish();
        let mut g = c.benchmark_group("store get");
        g.throughput(Throughput::Bytes(size as u64));
        if size >= 1 << 20 {
            g.sample_size(10);
        }
        let mut out = Vec::with_capacity(size);
        for kv in &mut kvs {
            kv.put(&format!("get/{label}"), &v);
            kv.get(&format!("get/{label}"), &mut out);
            assert_eq!(out, v, "{} returned other bytes", kv.name());
            g.bench_function(BenchmarkId::new(kv.name(), label), |b| {
                b.iter(|| {
                    kv.get(&format!("get/{label}"), &mut out);
                    black_box(&out);
                });
            });
        }
        g.finish();
    }
    drop(kvs);
    let _ = std::fs::remove_dir_all(&dir);
}

fn list(c: &mut Criterion) {
    let total: usize = std::env::var("SECSTREAM_BENCH_LIST_TOTAL")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let groups = total / 10_000;
    let shm = Path::new("/dev/shm");
    let dir = if std::env::var_os("SECSTREAM_BENCH_DIR").is_none() && shm.is_dir() {
        let d = shm.join(format!("secstream-bench-list-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    } else {
        bench_dir("list")
    };
    let mut kvs = engines(&dir, 256 << 20);
    let prefix = format!("p/{:04}/", groups / 2);
    let mut g = c.benchmark_group("store list");
    g.sample_size(20);
    for kv in &mut kvs {
        let start = std::time::Instant::now();
        kv.fill(&mut (0..total).map(|i| format!("p/{:04}/{i:08}", i % groups)));
        eprintln!(
            "{}: {total} paths stored in {:.1?}",
            kv.name(),
            start.elapsed()
        );
        assert_eq!(kv.list(&prefix).len(), 10_000);
        g.bench_function(
            BenchmarkId::new(kv.name(), format!("10000 of {total}")),
            |b| {
                b.iter(|| black_box(kv.list(black_box(&prefix))));
            },
        );
    }
    g.finish();
    drop(kvs);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = put_get, list
}
criterion_main!(benches);
