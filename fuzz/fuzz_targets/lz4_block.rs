//! LZ4 block codec (`lz4::decompress_into`, `compress_into`, `store_into`).
//!
//! Raw mode: arbitrary bytes as one block into an input-chosen output size.
//! Checks: no panic; the result fits the buffer; the buffer is wiped on
//! error; a success fits a buffer of exactly its length and fails with
//! `TooLarge` one byte shorter, with the same bytes; a larger buffer gives
//! the same verdict (except `TooLarge`) and bytes; the container's
//! `Lz4Decompressor` agrees, bounded by its limit as by its buffer.
//! Round-trip mode: `compress_into` (within the contract's bound) and
//! `store_into` (exactly `stored_len`) decode back to the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::compress::{Compression, Decompress, Error, Lz4Decompressor};
use secstream_core::lz4;

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, body)) = data.split_first() else {
        return;
    };
    if cfg & 0x80 != 0 {
        // Payloads repeat so the compressor finds matches.
        let times = usize::from(cfg & 0x3f) + 1;
        let input: Vec<u8> = body
            .iter()
            .copied()
            .cycle()
            .take(body.len() * times)
            .collect();
        let mut packed = vec![0u8; lz4::compress_buffer_len(input.len())];
        let n = lz4::compress_into(&input, &mut packed).unwrap();
        assert!(n <= lz4::bound(input.len()), "{n} above the bound");
        assert!(packed[n..].iter().all(|&b| b == 0), "compressor left bytes");
        let mut out = vec![0u8; input.len()];
        assert_eq!(
            lz4::decompress_into(&packed[..n], &mut out),
            Ok(input.len())
        );
        assert_eq!(out, input);

        let mut stored = vec![0u8; lz4::stored_len(input.len())];
        assert_eq!(lz4::store_into(&input, &mut stored), Ok(stored.len()));
        assert!(stored.len() <= lz4::bound(input.len()));
        out.fill(0);
        assert_eq!(lz4::decompress_into(&stored, &mut out), Ok(input.len()));
        assert_eq!(out, input);
        if !stored.is_empty() {
            let short = stored.len() - 1;
            assert_eq!(
                lz4::store_into(&input, &mut stored[..short]),
                Err(Error::BufferTooSmall)
            );
        }
        return;
    }
    let cap = [0usize, 1, 16, 300, 4096, 70_000][usize::from(cfg % 6)];
    let mut out = vec![0u8; cap];
    let got = lz4::decompress_into(body, &mut out);
    match got {
        Ok(n) => {
            assert!(n <= cap);
            let mut exact = vec![0u8; n];
            assert_eq!(lz4::decompress_into(body, &mut exact), Ok(n));
            assert_eq!(exact, out[..n]);
            if n > 0 {
                assert_eq!(
                    lz4::decompress_into(body, &mut exact[..n - 1]),
                    Err(Error::TooLarge)
                );
                assert!(exact[..n - 1].iter().all(|&b| b == 0), "not wiped");
            }
        }
        Err(e) => {
            let _ = e.to_string();
            assert!(out.iter().all(|&b| b == 0), "not wiped on {e:?}");
        }
    }
    let want = got.map(|n| out[..n].to_vec());
    // More room never changes a verdict other than TooLarge.
    let mut big = vec![0u8; cap + 64];
    let roomy = lz4::decompress_into(body, &mut big).map(|n| big[..n].to_vec());
    if want != Err(Error::TooLarge) {
        assert_eq!(roomy, want);
    }
    // The container's LZ4 decompressor: the limit bounds like the buffer.
    let mut d = Lz4Decompressor::new(vec![0u8; cap + 64]);
    let via = d
        .decompress(Compression::Lz4, body, cap)
        .map(|n| d.output()[..n].to_vec());
    assert_eq!(via, want);
    if via.is_err() {
        assert!(d.output().iter().all(|&b| b == 0), "not wiped");
    }
    assert_eq!(
        d.decompress(Compression::Deflate, body, cap),
        Err(Error::Unsupported)
    );
});
