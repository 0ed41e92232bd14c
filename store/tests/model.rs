//! Model-based test: random operation sequences against the store and an
//! in-memory map must agree on every read, list, stat and version.

#![allow(clippy::cast_possible_truncation, reason = "test data generators")]

#[path = "support/tmp.rs"]
mod tmp;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};

use proptest::prelude::*;
use secstream_core::compress::Compression;
use secstream_core::seal::MasterKey;
use secstream_store::{Error, Options, Store};

const PATHS: [&str; 6] = ["a", "a/b", "a/c", "ab", "b", "b/a/long/path"];
const PREFIXES: [&str; 5] = ["", "a", "a/", "b", "z"];
const KEEP: usize = 2;

#[derive(Debug, Clone)]
enum Op {
    Put { path: usize, len: usize, seed: u8 },
    Abandon { path: usize, len: usize },
    Delete { path: usize },
    Get { path: usize },
    GetVersion { path: usize, back: usize },
    ReadAt { path: usize, at: usize, len: usize },
    List { prefix: usize },
    Stat { path: usize },
    Reopen,
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PATHS.len();
    prop_oneof![
        4 => (p.clone(), 0usize..3000, any::<u8>()).prop_map(|(path, len, seed)| Op::Put { path, len, seed }),
        1 => (p.clone(), 0usize..2000).prop_map(|(path, len)| Op::Abandon { path, len }),
        1 => p.clone().prop_map(|path| Op::Delete { path }),
        2 => p.clone().prop_map(|path| Op::Get { path }),
        1 => (p.clone(), 0usize..3).prop_map(|(path, back)| Op::GetVersion { path, back }),
        2 => (p.clone(), 0usize..3200, 0usize..700).prop_map(|(path, at, len)| Op::ReadAt { path, at, len }),
        1 => (0..PREFIXES.len()).prop_map(|prefix| Op::List { prefix }),
        1 => p.prop_map(|path| Op::Stat { path }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Compact),
    ]
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(seed | 1).wrapping_add(seed))
        .collect()
}

/// Kept versions of each path, oldest first.
type Model = BTreeMap<&'static str, Vec<(u64, Vec<u8>)>>;

fn run(ops: &[Op], compression: Compression) {
    let dir = tmp::tempdir();
    let file = dir.path().join("db");
    let opts = Options::new()
        .with_chunk_size(256)
        .with_keep_versions(KEEP as u32)
        .with_compression(compression)
        .with_cache_size(1 << 20);
    let key = || MasterKey::from_bytes(&[0x44; 32]);
    let mut store = Store::open_with(&file, key(), opts).unwrap();
    let mut model = Model::new();
    for op in ops {
        match *op {
            Op::Put { path, len, seed } => {
                let p = PATHS[path];
                let d = data(len, seed);
                let mut w = store.put(p).unwrap();
                // Uneven writes.
                for part in d.chunks(97) {
                    w.write_all(part).unwrap();
                }
                let st = w.commit().unwrap();
                let vs = model.entry(p).or_default();
                let v = vs.last().map_or(1, |l| l.0 + 1);
                vs.push((v, d));
                if vs.len() > KEEP {
                    vs.remove(0);
                }
                assert_eq!(st.version, v);
                assert_eq!(st.size, len as u64);
                assert_eq!(st.versions as usize, vs.len());
            }
            Op::Abandon { path, len } => {
                let mut w = store.put(PATHS[path]).unwrap();
                w.write_all(&data(len, 1)).unwrap();
            }
            Op::Delete { path } => {
                let p = PATHS[path];
                assert_eq!(store.delete(p).unwrap(), model.remove(p).is_some());
            }
            Op::Get { path } => {
                let p = PATHS[path];
                match model.get(p).and_then(|v| v.last()) {
                    Some((_, want)) => {
                        let mut got = Vec::new();
                        store.get(p).unwrap().read_to_end(&mut got).unwrap();
                        assert_eq!(&got, want);
                    }
                    None => assert!(matches!(store.get(p), Err(Error::NotFound))),
                }
            }
            Op::GetVersion { path, back } => {
                let p = PATHS[path];
                let vs = model.get(p).cloned().unwrap_or_default();
                let newest = vs.last().map_or(0, |l| l.0);
                let Some(v) = newest.checked_sub(back as u64).filter(|&v| v > 0) else {
                    continue;
                };
                match vs.iter().find(|x| x.0 == v) {
                    Some((_, want)) => {
                        let mut got = Vec::new();
                        store
                            .get_version(p, v)
                            .unwrap()
                            .read_to_end(&mut got)
                            .unwrap();
                        assert_eq!(&got, want);
                    }
                    None => assert!(matches!(store.get_version(p, v), Err(Error::NotFound))),
                }
            }
            Op::ReadAt { path, at, len } => {
                let p = PATHS[path];
                let Some((_, want)) = model.get(p).and_then(|v| v.last()) else {
                    continue;
                };
                let mut r = store.get(p).unwrap();
                r.seek(SeekFrom::Start(at as u64)).unwrap();
                let mut got = Vec::new();
                r.by_ref().take(len as u64).read_to_end(&mut got).unwrap();
                let s = at.min(want.len());
                let e = (at + len).min(want.len());
                assert_eq!(got, &want[s..e]);
            }
            Op::List { prefix } => {
                let pre = PREFIXES[prefix];
                let want: Vec<&str> = model
                    .keys()
                    .copied()
                    .filter(|k| k.starts_with(pre))
                    .collect();
                assert_eq!(store.list(pre).unwrap(), want);
            }
            Op::Stat { path } => {
                let p = PATHS[path];
                match model.get(p) {
                    Some(vs) => {
                        let st = store.stat(p).unwrap();
                        let (v, d) = vs.last().unwrap();
                        assert_eq!(
                            (st.version, st.size, st.versions as usize),
                            (*v, d.len() as u64, vs.len())
                        );
                        let all = store.versions(p).unwrap();
                        assert_eq!(
                            all.iter().map(|s| s.version).collect::<Vec<_>>(),
                            vs.iter().map(|x| x.0).collect::<Vec<_>>()
                        );
                    }
                    None => assert!(matches!(store.stat(p), Err(Error::NotFound))),
                }
            }
            Op::Reopen => {
                drop(store);
                store = Store::open_with(&file, key(), opts).unwrap();
            }
            Op::Compact => {
                store.compact().unwrap();
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if std::env::var_os("SECSTREAM_LONG").is_some() { 512 } else { 24 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn store_matches_a_map(
        ops in proptest::collection::vec(op(), 1..40),
        compression in prop_oneof![Just(Compression::None), Just(Compression::Lz4), Just(Compression::Deflate)],
    ) {
        run(&ops, compression);
    }
}
