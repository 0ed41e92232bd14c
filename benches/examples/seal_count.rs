//! Instruction-count driver for the sealed container against bare `ring`
//! (issue 14): runs one operation N times so that `valgrind --tool=callgrind`
//! gives a steady per-frame count on a shared machine, where criterion's
//! timings move 1.5x between runs.
//!
//! ```text
//! cargo build --release -p secstream-benches --example seal_count
//! valgrind --tool=callgrind --toggle-collect='*timed_loop*' --callgrind-out-file=/tmp/cg.out \
//!   target/release/examples/seal_count writer 64 10000
//! callgrind_annotate /tmp/cg.out | head -30
//! ```
//! Only the timed loop is counted (setup, such as encoding the frames a reader
//! reads, is not): instructions per frame = the total / the iteration count.
//!
//! Operations (the same as benches/framing.rs `sealed encode` / `sealed decode`):
//! `ring-seal` (memcpy + bare ring seal, detached tag), `writer`
//! (`container::Writer::encode_frame`, checksum none), `ring-open` (memcpy + bare
//! ring open), `reader` (`container::Reader::feed` of exactly one frame after a
//! copy into the read buffer; a new reader every 256 KiB of stream), `file-read-at` (issue 10: `FileStream::read_at` of
//! 4 KiB at xorshift offsets of a sealed file of SIZE MiB in 64 KiB frames,
//! written to `SECSTREAM_BENCH_DIR`, default /dev/shm, before the loop) and
//! `age-read-at` (the `age` crate's `StreamReader` seek + read of the same
//! offsets of the same plaintext, 64 KiB chunks, x25519 recipient).
//! `xchacha-rustcrypto` / `xchacha-ring` (issue 14, the host's secret memory and
//! spill pages): seal and open SIZE bytes in place with XChaCha20-Poly1305, a
//! new nonce each time, as RustCrypto's `XChaCha20Poly1305` (what the host uses)
//! and as HChaCha20 (RustCrypto's `chacha20`) + a ring key of the subkey.
#![allow(missing_docs)]

use std::hint::black_box;

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, Tag, UnboundKey};
use secstream_core::container;
use secstream_core::seal::MasterKey;

#[path = "../common/sealed.rs"]
mod sealed;
use sealed::{KEY, sealed_writer};

#[path = "../common/payload.rs"]
mod payload;
use payload::payload;

/// The loop callgrind counts (`--toggle-collect='*timed_loop*'`).
#[inline(never)]
fn timed_loop(iters: usize, mut step: impl FnMut(usize)) {
    for i in 0..iters {
        step(i);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: seal_count ring-seal|writer|ring-open|reader SIZE ITERATIONS\n\
                 or: seal_count file-read-at|age-read-at MIB ITERATIONS";
    let (op, size, iters) = match &args[..] {
        [_, op, size, iters] => (
            op.as_str(),
            size.parse::<usize>().expect(usage),
            iters.parse::<usize>().expect(usage),
        ),
        _ => panic!("{usage}"),
    };
    let data = payload(size);
    let aad = [0x5A_u8; container::SEALED_PREAMBLE_LEN];
    let ring_key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &KEY).unwrap());
    let nonce = [0u8; 12];
    match op {
        "ring-seal" => {
            let mut buf = data.clone();
            timed_loop(iters, |_| {
                buf.copy_from_slice(black_box(&data));
                let tag = ring_key
                    .seal_in_place_separate_tag(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from(&aad),
                        &mut buf[..],
                    )
                    .unwrap();
                black_box(&tag);
            });
        }
        "writer" => {
            let mut w = sealed_writer(size);
            let mut out = vec![0u8; w.max_encoded_len(size)];
            timed_loop(iters, |_| {
                let n = w.encode_frame(black_box(&data), &mut out).unwrap();
                black_box((&mut out, n));
            });
        }
        "ring-open" => {
            let mut ct = data.clone();
            let tag = ring_key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(&aad),
                    &mut ct,
                )
                .unwrap();
            let tag: [u8; 16] = tag.as_ref().try_into().unwrap();
            let mut buf = ct.clone();
            timed_loop(iters, |_| {
                buf.copy_from_slice(black_box(&ct));
                ring_key
                    .open_in_place_separate_tag(
                        Nonce::assume_unique_for_key(nonce),
                        Aad::from(&aad),
                        Tag::from(tag),
                        &mut buf[..],
                        0..,
                    )
                    .unwrap();
                black_box(&mut buf);
            });
        }
        "reader" => {
            // About 256 KiB of stream, read again by a new reader when used up
            // (as in the criterion bench); the key derivation of each new reader
            // is counted, spread over its frames.
            let frames = (256 * 1024 / size).clamp(4, 4096);
            let mut w = sealed_writer(size);
            let pre = w.preamble().to_vec();
            let mut out = vec![0u8; w.max_encoded_len(size)];
            let encoded: Vec<Vec<u8>> = (0..frames)
                .map(|_| {
                    let n = w.encode_frame(&data, &mut out).unwrap();
                    out[..n].to_vec()
                })
                .collect();
            let new_reader = || {
                let mut r = container::Reader::new_sealed(
                    vec![0u8; size + 16],
                    MasterKey::from_bytes(&KEY),
                );
                let mut p = pre.clone();
                assert!(matches!(r.feed(&mut p), Ok(container::Feed::Header { .. })));
                r
            };
            let mut r = new_reader();
            let mut next = 0;
            let mut rbuf = vec![0u8; encoded[0].len()];
            timed_loop(iters, |_| {
                if next == frames {
                    r = new_reader();
                    next = 0;
                }
                rbuf.copy_from_slice(black_box(&encoded[next]));
                next += 1;
                match r.feed(&mut rbuf) {
                    Ok(container::Feed::Frame { payload, consumed }) => {
                        black_box((payload, consumed));
                    }
                    other => panic!("{other:?}"),
                }
            });
        }
        "file-read-at" => file_read_at(size, iters),
        "age-read-at" => age_read_at(size, iters),
        "xchacha-rustcrypto" => xchacha_rustcrypto(size, iters),
        "xchacha-ring" => xchacha_ring(size, iters),
        _ => panic!("{usage}"),
    }
}

fn file_read_at(mib: usize, iters: usize) {
    use std::io::Write;
    let dir = std::env::var_os("SECSTREAM_BENCH_DIR").map_or_else(
        || std::path::PathBuf::from("/dev/shm"),
        std::path::PathBuf::from,
    );
    let path = dir.join(format!("secstream-seal-count-{}.sst", std::process::id()));
    let len = mib << 20;
    let mut w = secstream::container_io::ContainerOptions::new()
        .frame_size(64 * 1024)
        .sealed_writer(
            std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
            &MasterKey::from_bytes(&KEY),
        )
        .unwrap();
    for chunk in payload(len).chunks(1 << 20) {
        w.write_all(chunk).unwrap();
    }
    w.finish().unwrap().flush().unwrap();
    let fs =
        secstream::file_stream::FileStream::open(&path, Some(MasterKey::from_bytes(&KEY))).unwrap();
    let offs = read_offsets(len as u64, iters);
    let mut buf = [0u8; 4096];
    timed_loop(iters, |i| {
        fs.read_exact_at(&mut buf, offs[i]).unwrap();
        black_box(&buf);
    });
    drop(fs);
    std::fs::remove_file(&path).unwrap();
}

fn read_offsets(len: u64, iters: usize) -> Vec<u64> {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    (0..iters)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % (len - 4096)
        })
        .collect()
}

fn age_read_at(mib: usize, iters: usize) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let dir = std::env::var_os("SECSTREAM_BENCH_DIR").map_or_else(
        || std::path::PathBuf::from("/dev/shm"),
        std::path::PathBuf::from,
    );
    let path = dir.join(format!("secstream-seal-count-{}.age", std::process::id()));
    let len = mib << 20;
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public();
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .unwrap();
    let mut a = enc
        .wrap_output(std::io::BufWriter::new(
            std::fs::File::create(&path).unwrap(),
        ))
        .unwrap();
    for chunk in payload(len).chunks(1 << 20) {
        a.write_all(chunk).unwrap();
    }
    a.finish().unwrap().flush().unwrap();
    let dec = age::Decryptor::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut r = dec
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap();
    let offs = read_offsets(len as u64, iters);
    let mut buf = [0u8; 4096];
    timed_loop(iters, |i| {
        r.seek(SeekFrom::Start(offs[i])).unwrap();
        r.read_exact(&mut buf).unwrap();
        black_box(&buf);
    });
    drop(r);
    std::fs::remove_file(&path).unwrap();
}

fn xnonce(i: usize) -> [u8; 24] {
    let mut n = [0x33u8; 24];
    n[..8].copy_from_slice(&(i as u64).to_le_bytes());
    n
}

fn xchacha_rustcrypto(size: usize, iters: usize) {
    use chacha20poly1305::aead::AeadInOut;
    use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
    let cipher = XChaCha20Poly1305::new(&KEY.into());
    let aad = [9u8; 16];
    let mut buf = payload(size);
    timed_loop(iters, |i| {
        let nonce = xnonce(i);
        let tag = cipher
            .encrypt_inout_detached(&nonce.into(), &aad, black_box(&mut buf[..]).into())
            .unwrap();
        cipher
            .decrypt_inout_detached(&nonce.into(), &aad, (&mut buf[..]).into(), &tag)
            .unwrap();
        black_box(&mut buf);
    });
}

fn xchacha_ring(size: usize, iters: usize) {
    let aad = [9u8; 16];
    let mut buf = payload(size);
    let inner = |nonce: &[u8; 24]| {
        let (head, tail) = nonce.split_at(16);
        let sub = chacha20::hchacha::<chacha20::R20>(
            &KEY.into(),
            <&[u8; 16]>::try_from(head).unwrap().into(),
        );
        let key = LessSafeKey::new(UnboundKey::new(&CHACHA20_POLY1305, &sub).unwrap());
        let mut n = [0u8; 12];
        n[4..].copy_from_slice(tail);
        (key, n)
    };
    timed_loop(iters, |i| {
        let nonce = xnonce(i);
        let (key, n) = inner(&nonce);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(n),
                Aad::from(&aad),
                black_box(&mut buf[..]),
            )
            .unwrap();
        let (key, n) = inner(&nonce);
        key.open_in_place_separate_tag(
            Nonce::assume_unique_for_key(n),
            Aad::from(&aad),
            tag,
            &mut buf[..],
            0..,
        )
        .unwrap();
        black_box(&mut buf);
    });
}
