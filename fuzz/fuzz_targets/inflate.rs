//! Per-frame raw inflate (`deflate::inflate_into`, `compress::Decompressor`).
//!
//! Raw mode: arbitrary bytes as a deflate stream into an input-chosen output
//! size. Checks: no panic; output within the buffer; the buffer is wiped on
//! error; a reused state gives the same result as a fresh one; a successful
//! result fits exactly its length and not one byte less; the container's
//! `Decompressor` (with the buffer or the limit as the bound) agrees.
//! Round-trip mode: `deflate_to_vec` at an input-chosen level, then inflate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::compress::{Compression, Decompress, Decompressor};
use secstream_core::deflate::{self, Error, InflateState};

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, body)) = data.split_first() else {
        return;
    };
    let mut state = InflateState::new();
    if cfg & 0x80 != 0 {
        let level = cfg & 0x0f;
        let packed = deflate::deflate_to_vec(body, level);
        let mut out = vec![0u8; body.len()];
        assert_eq!(
            deflate::inflate_into(&packed, &mut out, &mut state),
            Ok(body.len())
        );
        assert_eq!(out, body);
        if !body.is_empty() {
            let mut short = vec![0u8; body.len() - 1];
            assert_eq!(
                deflate::inflate_into(&packed, &mut short, &mut state),
                Err(Error::TooLarge)
            );
            assert!(short.iter().all(|&b| b == 0), "not wiped");
        }
        return;
    }
    let cap = [0usize, 1, 64, 4096, 70_000][usize::from(cfg % 5)];
    let mut out = vec![0u8; cap];
    let got = deflate::inflate_into(body, &mut out, &mut state);
    match got {
        Ok(n) => {
            assert!(n <= cap);
            let mut exact = vec![0u8; n];
            assert_eq!(deflate::inflate_into(body, &mut exact, &mut state), Ok(n));
            assert_eq!(exact, out[..n]);
            if n > 0 {
                assert_eq!(
                    deflate::inflate_into(body, &mut exact[..n - 1], &mut state),
                    Err(Error::TooLarge)
                );
            }
        }
        Err(e) => {
            let _ = e.to_string();
            assert!(out.iter().all(|&b| b == 0), "not wiped on {e:?}");
        }
    }
    // A fresh state and the Inflater give the same verdict and bytes.
    let mut fresh = vec![0u8; cap];
    let again = deflate::inflate_into(body, &mut fresh, &mut InflateState::new());
    assert_eq!(again, got);
    let want = got.map(|n| out[0..n].to_vec());
    let mut d = Decompressor::new(vec![0u8; cap]);
    let via = d
        .decompress(Compression::Deflate, body, cap)
        .map(|n| d.output()[..n].to_vec());
    assert_eq!(via, want);
    // The limit bounds the output as the buffer does.
    let mut big = Decompressor::new(vec![0u8; cap + 100]);
    let via = big
        .decompress(Compression::Deflate, body, cap)
        .map(|n| big.output()[..n].to_vec());
    assert_eq!(via, want);
    if via.is_err() {
        assert!(big.output().iter().all(|&b| b == 0), "not wiped");
    }
});
