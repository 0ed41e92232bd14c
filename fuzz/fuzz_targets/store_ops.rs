//! Store operations driven by the input (put, abandoned put, delete, get,
//! seek-read, list, reopen) on an in-memory store, checked against a map: every
//! read must match, nothing may fail or panic.
#![no_main]

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};

use libfuzzer_sys::fuzz_target;
use secstream_core::compress::Compression;
use secstream_store::{Error, Store};

#[path = "store_harness.rs"]
mod harness;

const PATHS: [&str; 5] = ["a", "a/b", "ab", "b", "b/c/d"];

fuzz_target!(|data: &[u8]| {
    let mut it = data.iter().copied();
    let compression = match it.next().unwrap_or(0) % 3 {
        0 => Compression::None,
        1 => Compression::Lz4,
        _ => Compression::Deflate,
    };
    let opts = harness::opts().with_compression(compression);
    let mem = harness::Mem::default();
    let mut store = Store::open_backend(Box::new(mem.clone()), harness::key(), opts).unwrap();
    let mut model: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    let mut ops = 0;
    while let Some(op) = it.next() {
        ops += 1;
        if ops > 64 {
            break;
        }
        let path = PATHS[usize::from(op >> 4) % PATHS.len()];
        match op & 7 {
            0 | 1 => {
                let len = usize::from(it.next().unwrap_or(0)) * 3;
                let seed = it.next().unwrap_or(0);
                let bytes: Vec<u8> = (0..len)
                    .map(|i| (i as u8).wrapping_add(seed) & seed.wrapping_add(0x3f))
                    .collect();
                let mut w = store.put(path).unwrap();
                w.write_all(&bytes).unwrap();
                if op & 1 == 0 {
                    w.commit().unwrap();
                    model.insert(path, bytes);
                }
            }
            2 => {
                assert_eq!(store.delete(path).unwrap(), model.remove(path).is_some());
            }
            3 | 4 => match model.get(path) {
                Some(want) => {
                    let mut r = store.get(path).unwrap();
                    let at = u64::from(it.next().unwrap_or(0));
                    r.seek(SeekFrom::Start(at)).unwrap();
                    let mut got = Vec::new();
                    r.read_to_end(&mut got).unwrap();
                    let s = (at as usize).min(want.len());
                    assert_eq!(got, &want[s..]);
                }
                None => assert!(matches!(store.get(path), Err(Error::NotFound))),
            },
            5 => {
                let pre = &path[..1];
                let want: Vec<&str> = model
                    .keys()
                    .copied()
                    .filter(|k| k.starts_with(pre))
                    .collect();
                assert_eq!(store.list(pre).unwrap(), want);
            }
            6 => {
                drop(store);
                store = Store::open_backend(Box::new(mem.clone()), harness::key(), opts).unwrap();
            }
            _ => {
                if let Some(want) = model.get(path) {
                    assert_eq!(store.stat(path).unwrap().size, want.len() as u64);
                }
            }
        }
    }
});
