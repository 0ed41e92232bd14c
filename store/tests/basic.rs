//! The store's API: put, get, seek, list, stat, versions, delete, compact,
//! export and import, snapshots, keys and writer exclusion.

#![allow(clippy::cast_possible_truncation, reason = "test data generators")]

#[path = "support/tmp.rs"]
mod tmp;

use std::io::{Read, Seek, SeekFrom, Write};

use secstream::container_io::ContainerReader;
use secstream_core::compress::Compression;
use secstream_core::seal::MasterKey;
use secstream_store::{Error, Options, Store};

fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x11; 32])
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect()
}

fn small() -> Options {
    Options::new().with_chunk_size(1000)
}

fn put(store: &Store, path: &str, bytes: &[u8]) -> u64 {
    let mut w = store.put(path).unwrap();
    w.write_all(bytes).unwrap();
    w.commit().unwrap().version
}

fn read_all(store: &Store, path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    store.get(path).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn roundtrip_at_chunk_boundaries_and_compressions() {
    let dir = tmp::tempdir();
    for (i, c) in [Compression::None, Compression::Lz4, Compression::Deflate]
        .into_iter()
        .enumerate()
    {
        let store = Store::open_with(
            dir.path().join(format!("db{i}")),
            key(),
            small().with_compression(c),
        )
        .unwrap();
        for n in [0, 1, 999, 1000, 1001, 2000, 2001, 12_345] {
            let d = data(n, n as u8);
            let p = format!("f/{n}");
            put(&store, &p, &d);
            assert_eq!(read_all(&store, &p), d, "{c} {n}");
            let st = store.stat(&p).unwrap();
            assert_eq!(st.size, n as u64);
            assert_eq!(st.version, 1);
            assert_eq!(st.compression, c);
            assert_eq!(st.chunks, (n as u64).div_ceil(1000).max(1));
        }
    }
}

#[test]
fn seek_reads_any_range() {
    let dir = tmp::tempdir();
    let store = Store::open_with(
        dir.path().join("db"),
        key(),
        small().with_compression(Compression::Lz4),
    )
    .unwrap();
    let d = data(10_500, 3);
    put(&store, "s", &d);
    let mut r = store.get("s").unwrap();
    assert_eq!(r.len(), 10_500);
    for &(at, n) in &[
        (0u64, 10usize),
        (999, 2),
        (5000, 3000),
        (10_499, 5),
        (123, 1),
    ] {
        r.seek(SeekFrom::Start(at)).unwrap();
        let mut buf = vec![0u8; n];
        let want_n = n.min(10_500 - at as usize);
        r.read_exact(&mut buf[..want_n]).unwrap();
        assert_eq!(&buf[..want_n], &d[at as usize..at as usize + want_n]);
    }
    assert_eq!(r.seek(SeekFrom::End(-10)).unwrap(), 10_490);
    let mut tail = Vec::new();
    r.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, &d[10_490..]);
    assert!(r.seek(SeekFrom::Current(-20_000)).is_err());
    r.seek(SeekFrom::Start(50_000)).unwrap();
    assert_eq!(r.read(&mut [0u8; 4]).unwrap(), 0);
}

#[test]
fn versions_keep_the_last_n() {
    let dir = tmp::tempdir();
    let store =
        Store::open_with(dir.path().join("db"), key(), small().with_keep_versions(2)).unwrap();
    for v in 1..=4u8 {
        assert_eq!(put(&store, "p", &data(1500, v)), u64::from(v));
    }
    let vs = store.versions("p").unwrap();
    assert_eq!(vs.iter().map(|s| s.version).collect::<Vec<_>>(), [3, 4]);
    assert!(vs.iter().all(|s| s.versions == 2));
    assert!(matches!(store.get_version("p", 2), Err(Error::NotFound)));
    let mut old = Vec::new();
    store
        .get_version("p", 3)
        .unwrap()
        .read_to_end(&mut old)
        .unwrap();
    assert_eq!(old, data(1500, 3));
    assert_eq!(read_all(&store, "p"), data(1500, 4));
    assert_eq!(store.stat("p").unwrap().version, 4);
}

#[test]
fn list_delete_and_not_found() {
    let dir = tmp::tempdir();
    let store = Store::open(dir.path().join("db"), key()).unwrap();
    for p in ["b/2", "a", "b/1", "b", "c/1", "b/10"] {
        put(&store, p, p.as_bytes());
    }
    assert_eq!(store.list("b/").unwrap(), ["b/1", "b/10", "b/2"]);
    assert_eq!(
        store.list("").unwrap(),
        ["a", "b", "b/1", "b/10", "b/2", "c/1"]
    );
    assert!(store.list("zz").unwrap().is_empty());
    assert!(store.delete("b/1").unwrap());
    assert!(!store.delete("b/1").unwrap());
    assert_eq!(store.list("b/").unwrap(), ["b/10", "b/2"]);
    assert!(matches!(store.get("b/1"), Err(Error::NotFound)));
    assert!(matches!(store.stat("nope"), Err(Error::NotFound)));
    assert!(store.versions("b/1").unwrap().is_empty());
    assert!(matches!(store.put(""), Err(Error::InvalidPath)));
    assert!(matches!(store.get("a\0b"), Err(Error::InvalidPath)));
    // A deleted path written again starts over, readable.
    assert_eq!(put(&store, "b/1", b"again"), 1);
    assert_eq!(read_all(&store, "b/1"), b"again");
}

#[test]
fn dropped_writer_leaves_nothing_and_one_writer_at_a_time() {
    let dir = tmp::tempdir();
    let store = Store::open_with(dir.path().join("db"), key(), small()).unwrap();
    put(&store, "x", b"first");
    {
        let mut w = store.put("x").unwrap();
        w.write_all(&data(5000, 1)).unwrap();
        assert!(matches!(store.put("y"), Err(Error::Busy)));
        assert!(matches!(store.delete("x"), Err(Error::Busy)));
        // Readers are not blocked, and see only committed data.
        assert_eq!(read_all(&store, "x"), b"first");
        drop(w);
    }
    {
        let mut w = store.put("y").unwrap();
        w.write_all(b"never").unwrap();
    }
    assert_eq!(read_all(&store, "x"), b"first");
    assert_eq!(store.stat("x").unwrap().version, 1);
    assert!(matches!(store.get("y"), Err(Error::NotFound)));
    assert_eq!(store.list("").unwrap(), ["x"]);
}

#[test]
fn readers_see_their_snapshot() {
    let dir = tmp::tempdir();
    let store =
        Store::open_with(dir.path().join("db"), key(), small().with_keep_versions(1)).unwrap();
    put(&store, "s", &data(4000, 1));
    let view = store.view().unwrap();
    let mut r = store.get("s").unwrap();
    let mut first = vec![0u8; 100];
    r.read_exact(&mut first).unwrap();
    // A new version replaces (and, keep_versions 1, deletes) the old one...
    put(&store, "s", &data(6000, 2));
    assert!(store.delete("s").unwrap());
    // ...but the open reader and the view still read the old one whole.
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    first.extend(rest);
    assert_eq!(first, data(4000, 1));
    let mut again = Vec::new();
    view.get("s").unwrap().read_to_end(&mut again).unwrap();
    assert_eq!(again, data(4000, 1));
    assert_eq!(view.list("").unwrap(), ["s"]);
    assert!(matches!(store.get("s"), Err(Error::NotFound)));
}

#[test]
fn concurrent_readers_and_a_writer() {
    let dir = tmp::tempdir();
    let store =
        Store::open_with(dir.path().join("db"), key(), small().with_keep_versions(1)).unwrap();
    put(&store, "s", &data(3000, 0));
    std::thread::scope(|s| {
        s.spawn(|| {
            for v in 1..20u8 {
                put(&store, "s", &data(3000, v));
            }
        });
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..50 {
                    let got = read_all(&store, "s");
                    // Always one whole committed version.
                    assert!((0..20u8).any(|v| got == data(3000, v)));
                }
            });
        }
    });
}

#[test]
fn wrong_key_is_refused() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    {
        let store = Store::open(&p, key()).unwrap();
        put(&store, "a", b"x");
    }
    assert!(matches!(
        Store::open(&p, MasterKey::from_bytes(&[0x12; 32])),
        Err(Error::WrongKey)
    ));
    assert_eq!(read_all(&Store::open(&p, key()).unwrap(), "a"), b"x");
}

#[test]
fn export_is_a_container_and_import_reads_one_back() {
    let dir = tmp::tempdir();
    for c in [Compression::None, Compression::Lz4, Compression::Deflate] {
        let store = Store::open_with(
            dir.path().join(format!("db-{c}")),
            key(),
            small().with_compression(c),
        )
        .unwrap();
        let d = data(4321, 9);
        put(&store, "e", &d);
        let mut sst = Vec::new();
        let n = store.export("e", None, &mut sst).unwrap();
        assert_eq!(n, sst.len() as u64);
        // The ordinary container reader opens it with the store's key.
        let mut plain = Vec::new();
        ContainerReader::sealed(&sst[..], key())
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, d);
        // Import stores it again; its export reads back the same plaintext.
        let st = store.import("i", &sst[..]).unwrap();
        assert_eq!(st.size, d.len() as u64);
        assert_eq!(read_all(&store, "i"), d);
        // Export is deterministic for a stored version.
        let mut again = Vec::new();
        store.export("e", Some(1), &mut again).unwrap();
        assert_eq!(again, sst);
        // An unsealed container imports too.
        let mut w = secstream::container_io::ContainerOptions::default()
            .writer(Vec::new())
            .unwrap();
        w.write_all(&d).unwrap();
        let plain_sst = w.finish().unwrap();
        store.import("u", &plain_sst[..]).unwrap();
        assert_eq!(read_all(&store, "u"), d);
        // A truncated container stores nothing.
        assert!(store.import("t", &sst[..sst.len() - 3]).is_err());
        assert!(matches!(store.get("t"), Err(Error::NotFound)));
    }
}

#[test]
fn compact_keeps_everything() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    let mut store = Store::open_with(&p, key(), small().with_keep_versions(1)).unwrap();
    for i in 0..20u8 {
        put(&store, &format!("k{i}"), &data(20_000, i));
    }
    for i in 0..15u8 {
        store.delete(&format!("k{i}")).unwrap();
    }
    let before = std::fs::metadata(&p).unwrap().len();
    store.compact().unwrap();
    let after = std::fs::metadata(&p).unwrap().len();
    assert!(after < before, "{after} < {before}");
    for i in 15..20u8 {
        assert_eq!(read_all(&store, &format!("k{i}")), data(20_000, i));
    }
    // A live reader makes compaction fail cleanly.
    let r = store.get("k15").unwrap();
    assert!(store.compact().is_err());
    drop(r);
}

#[test]
fn bad_options_are_refused() {
    let dir = tmp::tempdir();
    let p = dir.path().join("db");
    assert!(matches!(
        Store::open_with(&p, key(), Options::new().with_keep_versions(0)),
        Err(Error::BadOptions(_))
    ));
    assert!(matches!(
        Store::open_with(&p, key(), Options::new().with_chunk_size(0)),
        Err(Error::BadOptions(_))
    ));
}
