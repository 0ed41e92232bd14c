//! Tampering with the file: chunks swapped between streams, versions and
//! positions, records moved between paths, bytes flipped anywhere. Each is an
//! error, never wrong plaintext, never a panic.

#![allow(clippy::cast_possible_truncation, reason = "test data generators")]

#[path = "support/tmp.rs"]
mod tmp;

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};
use secstream_core::compress::Compression;
use secstream_core::container;
use secstream_core::seal::MasterKey;
use secstream_store::{Error, Options, Store};

const CHUNKS: TableDefinition<u128, &[u8]> = TableDefinition::new("secstream_chunks");
const VERSIONS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("secstream_versions");

fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x22; 32])
}

fn opts() -> Options {
    Options::new().with_chunk_size(512).with_keep_versions(4)
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect()
}

fn put(store: &Store, path: &str, bytes: &[u8]) {
    let mut w = store.put(path).unwrap();
    w.write_all(bytes).unwrap();
    w.commit().unwrap();
}

fn read(store: &Store, path: &str, version: Option<u64>) -> Result<Vec<u8>, String> {
    let mut r = match version {
        Some(v) => store.get_version(path, v),
        None => store.get(path),
    }
    .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A store with streams A (sid 0) and B (sid 1) of three chunks each, and a
/// second version of A (sid 2).
fn setup(p: &Path) {
    let store = Store::open_with(p, key(), opts()).unwrap();
    put(&store, "a", &data(1500, 1));
    put(&store, "b", &data(1500, 2));
    put(&store, "a", &data(1500, 3));
}

fn ck(sid: u64, counter: u64) -> u128 {
    (u128::from(sid) << 64) | u128::from(counter)
}

fn swap_chunks(p: &Path, x: u128, y: u128) {
    let db = Database::open(p).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(CHUNKS).unwrap();
        let vx = t.get(x).unwrap().unwrap().value().to_vec();
        let vy = t.get(y).unwrap().unwrap().value().to_vec();
        t.insert(x, vy.as_slice()).unwrap();
        t.insert(y, vx.as_slice()).unwrap();
    }
    txn.commit().unwrap();
}

fn expect_auth_error(store: &Store, path: &str, version: Option<u64>) {
    let mut r = match version {
        Some(v) => store.get_version(path, v).unwrap(),
        None => store.get(path).unwrap(),
    };
    let mut out = Vec::new();
    let e = r.read_to_end(&mut out).unwrap_err();
    let inner = e.into_inner().unwrap().downcast::<Error>().unwrap();
    assert!(
        matches!(*inner, Error::Container(container::Error::Authentication)),
        "{inner:?}"
    );
    // Only the chunks before the swapped one were returned, and they are right.
    assert!(out.len() < 1500);
}

#[test]
fn chunk_swapped_between_streams_fails_authentication() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    setup(&p);
    swap_chunks(&p, ck(0, 1), ck(1, 1));
    let store = Store::open_with(&p, key(), opts()).unwrap();
    expect_auth_error(&store, "a", Some(1));
    expect_auth_error(&store, "b", None);
    // The untouched version still reads.
    assert_eq!(read(&store, "a", None).unwrap(), data(1500, 3));
}

#[test]
fn chunk_swapped_between_versions_fails_authentication() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    setup(&p);
    swap_chunks(&p, ck(0, 0), ck(2, 0));
    let store = Store::open_with(&p, key(), opts()).unwrap();
    expect_auth_error(&store, "a", Some(1));
    expect_auth_error(&store, "a", Some(2));
    assert_eq!(read(&store, "b", None).unwrap(), data(1500, 2));
}

#[test]
fn chunks_reordered_within_a_stream_fail_authentication() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    setup(&p);
    // Swapping the final chunk with another also breaks the final flag.
    swap_chunks(&p, ck(1, 0), ck(1, 2));
    let store = Store::open_with(&p, key(), opts()).unwrap();
    expect_auth_error(&store, "b", None);
}

#[test]
fn records_moved_between_paths_or_versions_are_refused() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    setup(&p);
    {
        let db = Database::open(&p).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(VERSIONS).unwrap();
            let a1 = t.get(("a", 1)).unwrap().unwrap().value().to_vec();
            let b1 = t.get(("b", 1)).unwrap().unwrap().value().to_vec();
            // b's record under a (with its chunks: a whole stream moved)...
            t.insert(("a", 1), b1.as_slice()).unwrap();
            // ...and a's first version as its second.
            t.insert(("a", 2), a1.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = Store::open_with(&p, key(), opts()).unwrap();
    for v in [1, 2] {
        assert!(matches!(store.get_version("a", v), Err(Error::Corrupt(_))));
    }
    assert!(matches!(store.stat("a"), Err(Error::Corrupt(_))));
    assert_eq!(read(&store, "b", None).unwrap(), data(1500, 2));
}

/// Flips bytes all over copies of a store file: every open, list, stat and read
/// either fails or returns exactly what was stored; none panics.
#[test]
fn flipped_bytes_anywhere_never_give_wrong_plaintext() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    let want: Vec<(String, Vec<u8>)> = (0..6u8)
        .map(|i| (format!("dir/{i}"), data(300 + 700 * usize::from(i), i)))
        .collect();
    {
        let store = Store::open_with(&p, key(), opts().with_compression(Compression::Lz4)).unwrap();
        for (path, d) in &want {
            put(&store, path, d);
        }
    }
    let clean = std::fs::read(&p).unwrap();
    let long = std::env::var_os("SECSTREAM_LONG").is_some();
    // The file is mostly preallocated zeros: flip bytes where data is, spread
    // evenly, plus a few zeros.
    let rounds = if long { 3000 } else { 80 };
    let used: Vec<usize> = (0..clean.len()).filter(|&i| clean[i] != 0).collect();
    let mut spots: Vec<usize> = used
        .iter()
        .copied()
        .step_by((used.len() / rounds).max(1))
        .collect();
    spots.extend((0..clean.len()).step_by(clean.len() / 20 + 1));
    let q = dir.path().join("bad");
    let (mut opened, mut errors) = (0, 0);
    for at in spots {
        let mut bad = clean.clone();
        bad[at] ^= 0x5a;
        std::fs::write(&q, &bad).unwrap();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let Ok(store) = Store::open_with(&q, key(), opts()) else {
                return (false, 1);
            };
            let mut errs = 0;
            if let Ok(paths) = store.list("") {
                assert!(
                    paths.iter().all(|p| want.iter().any(|(w, _)| w == p)),
                    "a path appeared"
                );
            }
            for (path, d) in &want {
                match read(&store, path, None) {
                    Ok(got) => assert_eq!(&got, d, "wrong plaintext for {path}, byte {at} flipped"),
                    Err(_) => errs += 1,
                }
            }
            (true, errs)
        }));
        match outcome {
            Ok((o, e)) => {
                opened += usize::from(o);
                errors += e;
            }
            Err(_) => panic!("a panic with byte {at} of {} flipped", clean.len()),
        }
    }
    // The flips hit data: some reads must have failed.
    assert!(errors > 0, "opened {opened}, errors {errors}");
}
