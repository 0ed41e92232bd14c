//! Opening a damaged store file: the input is a list of (offset, xor) patches
//! applied to a valid store image; opening, listing, stat and reading every
//! stream must either fail or give exactly the stored bytes, never panic
//! outside the engine guard (engine panics become `Error::Corrupt`).
#![no_main]

use std::io::{Read, Write};
use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;
use secstream_core::compress::Compression;
use secstream_store::Store;

#[path = "store_harness.rs"]
mod harness;

const STREAMS: [(&str, usize); 4] = [("a", 0), ("a/b", 100), ("b", 700), ("c/d/e", 2000)];

fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn image() -> &'static [u8] {
    static IMAGE: OnceLock<Vec<u8>> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let mem = harness::Mem::default();
        let opts = harness::opts().with_compression(Compression::Lz4);
        let store = Store::open_backend(Box::new(mem.clone()), harness::key(), opts).unwrap();
        for (p, n) in STREAMS {
            let mut w = store.put(p).unwrap();
            w.write_all(&content(n)).unwrap();
            w.commit().unwrap();
        }
        drop(store);
        // The file is mostly preallocated zeros: keep its used part.
        mem.bytes()
    })
}

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    // libfuzzer-sys aborts on every panic; the store turns the engine's own
    // panics on damaged files into errors, so only panics that escape it
    // (which still abort at the FFI boundary) are findings.
    HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let img = image();
    let mut bytes = img.to_vec();
    for p in data.chunks_exact(5) {
        let at = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize;
        // Most patches land where the data is: the first 64 KiB and the end.
        let at = if at & 1 == 0 {
            (at >> 1) % 65536
        } else {
            (at >> 1) % bytes.len()
        };
        bytes[at] ^= p[4] | 1;
    }
    let mem = harness::Mem::with(bytes);
    let Ok(store) = Store::open_backend(Box::new(mem), harness::key(), harness::opts()) else {
        return;
    };
    let _ = store.list("");
    for (p, n) in STREAMS {
        let _ = store.stat(p);
        let _ = store.versions(p);
        if let Ok(mut r) = store.get(p) {
            let mut got = Vec::new();
            if r.read_to_end(&mut got).is_ok() {
                assert_eq!(got, content(n), "wrong plaintext for {p}");
            }
        }
    }
});
