#![allow(clippy::cast_possible_truncation, reason = "test sizes are small")]

use std::io::{self, Read, Write};

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::Compression;
use secstream_core::container;
use secstream_core::seal::MasterKey;

use super::*;
use crate::Error;
use crate::container_io::{ContainerOptions, ContainerReader};
use crate::pool::{self, BufferPool};

const NONCE: [u8; 16] = [0x40; 16];

fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x22; 32])
}

fn data(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|i| {
            if (i / 300) % 2 == 0 {
                b"abcabcabd"[i % 9]
            } else {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }
        })
        .collect()
}

/// Writes `plain` in uneven pieces.
fn write_pieces(w: &mut impl Write, plain: &[u8]) {
    let mut at = 0;
    let mut step = 1;
    while at < plain.len() {
        let n = step.min(plain.len() - at);
        w.write_all(&plain[at..at + n]).unwrap();
        at += n;
        step = step * 3 % 2047 + 1;
    }
}

fn single(opts: ContainerOptions, sealed: bool, plain: &[u8]) -> Vec<u8> {
    if sealed {
        let mut w = opts
            .sealed_writer_with_nonce(Vec::new(), &key(), NONCE)
            .unwrap();
        write_pieces(&mut w, plain);
        w.finish().unwrap()
    } else {
        let mut w = opts.writer(Vec::new()).unwrap();
        write_pieces(&mut w, plain);
        w.finish().unwrap()
    }
}

fn parallel(opts: ContainerOptions, sealed: bool, plain: &[u8], mode: ChunkMode) -> Vec<u8> {
    let mut w = if sealed {
        opts.parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
            .unwrap()
    } else {
        opts.parallel_writer(Vec::new(), mode).unwrap()
    };
    write_pieces(&mut w, plain);
    w.finish().unwrap()
}

fn read_parallel(file: &[u8], sealed: bool, mode: ChunkMode) -> (Vec<u8>, Result<(), Error>) {
    let mut r = if sealed {
        ParallelContainerReader::sealed(file, key(), mode)
    } else {
        ParallelContainerReader::new(file, mode)
    };
    let mut out = Vec::new();
    let res = r.read_to_end(&mut out).map(drop).map_err(Error::from);
    (out, res)
}

const MODES: [ChunkMode; 3] = [
    ChunkMode::Sequential,
    ChunkMode::Parallel(1),
    ChunkMode::Parallel(4),
];

const CHECKSUMS: [ChecksumKind; 5] = [
    ChecksumKind::None,
    ChecksumKind::Crc16,
    ChecksumKind::Crc32,
    ChecksumKind::Crc32c,
    ChecksumKind::Xxh3,
];

#[test]
fn every_thread_count_writes_the_bytes_of_the_single_threaded_writer_and_reads_them_back() {
    let frame = 1000u32;
    let mut cases = 0;
    for (si, &n) in [0usize, 1, 999, 1000, 1001, 2000, 12_345]
        .iter()
        .enumerate()
    {
        let plain = data(n, si as u64 + 7);
        for (compression, level) in [
            (Compression::None, 6),
            (Compression::Deflate, 1),
            (Compression::Deflate, 6),
            (Compression::Lz4, 6),
        ] {
            for sealed in [false, true] {
                for index in [true, false] {
                    for ck in CHECKSUMS {
                        let opts = ContainerOptions::new()
                            .frame_size(frame)
                            .compression(compression)
                            .level(level)
                            .index(index)
                            .checksum(ck);
                        let what = format!(
                            "n {n} {compression}/{level} sealed {sealed} index {index} {ck}"
                        );
                        let want = single(opts, sealed, &plain);
                        for mode in MODES {
                            let got = parallel(opts, sealed, &plain, mode);
                            assert!(got == want, "{what} {mode:?}: bytes differ");
                            let (back, res) = read_parallel(&got, sealed, mode);
                            res.unwrap_or_else(|e| panic!("{what} {mode:?}: {e}"));
                            assert!(back == plain, "{what} {mode:?}: plaintext differs");
                        }
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 7 * 4 * 2 * 2 * 5);
}

#[test]
fn many_frames_on_many_threads_stay_in_order() {
    let plain = data(700_000, 99);
    for compression in [Compression::Lz4, Compression::None] {
        let opts = ContainerOptions::new()
            .frame_size(1024)
            .compression(compression);
        let want = single(opts, true, &plain);
        let got = parallel(opts, true, &plain, ChunkMode::Parallel(7));
        assert!(got == want);
        let (back, res) = read_parallel(&got, true, ChunkMode::Parallel(7));
        res.unwrap();
        assert!(back == plain);
    }
}

#[test]
fn in_flight_memory_is_bounded_by_the_worker_count() {
    let plain = data(400_000, 5);
    let frame = 4096u32;
    for workers in [1usize, 3] {
        let pool = BufferPool::new(
            pool::Config::default()
                .min_size(4096)
                .max_size(1 << 16)
                .thread_cache(false),
        );
        let opts = ContainerOptions::new()
            .frame_size(frame)
            .compression(Compression::Lz4);
        let mut w = opts
            .parallel_sealed_writer(Vec::new(), &key(), ChunkMode::Parallel(workers))
            .unwrap()
            .with_pool(pool.clone())
            .unwrap();
        w.write_all(&plain).unwrap();
        let file = w.finish().unwrap();
        // Plaintext and encoded buffers both come from the given pool.
        let st = pool.stats();
        let frames = plain.len().div_ceil(frame as usize) as u64;
        assert!(st.hits + st.misses >= 2 * frames, "{st:?}");
        // Plaintext 4 KiB and encoded 8 KiB classes: at most about 2N frames of each.
        let per_frame = 4096 + 8192;
        let high = pool.stats().outstanding_high_water;
        assert!(
            high <= (2 * workers + 2) * per_frame,
            "{workers} workers: {high} bytes"
        );
        assert_eq!(pool.stats().outstanding_bytes, 0);

        let read_pool = BufferPool::new(
            pool::Config::default()
                .min_size(4096)
                .max_size(1 << 16)
                .thread_cache(false),
        );
        let mut r = ParallelContainerReader::sealed(&file[..], key(), ChunkMode::Parallel(workers))
            .with_pool(read_pool.clone());
        let mut back = Vec::new();
        r.read_to_end(&mut back).unwrap();
        assert!(back == plain);
        let high = read_pool.stats().outstanding_high_water;
        assert!(
            high <= (2 * workers + 2) * per_frame,
            "{workers} workers: read {high} bytes"
        );
        drop(r);
        assert_eq!(read_pool.stats().outstanding_bytes, 0);
    }
}

#[test]
fn a_bad_frame_stops_the_reader_after_the_frames_before_it() {
    let plain = data(5000, 3);
    for mode in MODES {
        for (compression, sealed) in [
            (Compression::None, true),
            (Compression::Lz4, true),
            (Compression::Deflate, false),
        ] {
            let opts = ContainerOptions::new()
                .frame_size(1000)
                .compression(compression);
            let file = single(opts, sealed, &plain);
            // Frame 2's last stored byte: the third frame ends where the fourth
            // starts; find frame starts by walking the length fields.
            let mut starts = Vec::new();
            let mut at = if sealed { 32 } else { 16 };
            for _ in 0..5 {
                starts.push(at);
                let len = u32::from_le_bytes(file[at..at + 4].try_into().unwrap()) as usize;
                at += 8 + len;
            }
            let mut bad = file.clone();
            bad[starts[3] - 1] ^= 1;
            let (out, res) = read_parallel(&bad, sealed, mode);
            let e = res.unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::Container(
                        container::Error::Authentication
                            | container::Error::BadChecksum { frame: 2 }
                    )
                ),
                "{mode:?} {compression}: {e:?}"
            );
            assert_eq!(
                out,
                plain[..2000],
                "{mode:?} {compression}: frames 0 and 1 only"
            );
            // Every later read fails again, with no plaintext.
            let mut r = if sealed {
                ParallelContainerReader::sealed(&bad[..], key(), mode)
            } else {
                ParallelContainerReader::new(&bad[..], mode)
            };
            let mut sink = Vec::new();
            assert!(r.read_to_end(&mut sink).is_err());
            let mut buf = [0u8; 10];
            assert!(r.read(&mut buf).is_err());
        }
    }
}

#[test]
fn every_truncation_and_flip_is_an_error_as_for_the_sequential_reader() {
    // Every position in the long run (SECSTREAM_LONG), every 13th by default.
    let step = if std::env::var_os("SECSTREAM_LONG").is_some() {
        1
    } else {
        13
    };
    let plain = data(2500, 11);
    for (compression, sealed, index) in [
        (Compression::Lz4, true, true),
        (Compression::Deflate, false, true),
        (Compression::None, false, false),
        (Compression::None, true, false),
    ] {
        let opts = ContainerOptions::new()
            .frame_size(1024)
            .compression(compression)
            .index(index);
        let file = single(opts, sealed, &plain);
        for cut in (0..file.len()).step_by(step) {
            let (out, res) = read_parallel(&file[..cut], sealed, ChunkMode::Parallel(2));
            let e = res.expect_err("a cut stream must fail");
            assert!(plain.starts_with(&out));
            let mut seq = if sealed {
                ContainerReader::sealed(&file[..cut], key())
            } else {
                ContainerReader::new(&file[..cut])
            };
            let want = Error::from(seq.read_to_end(&mut Vec::new()).unwrap_err());
            assert_eq!(e.to_string(), want.to_string(), "cut at {cut}");
        }
        for at in (0..file.len()).step_by(step) {
            let mut bad = file.clone();
            bad[at] ^= 0x08;
            let (out, res) = read_parallel(&bad, sealed, ChunkMode::Parallel(3));
            assert!(res.is_err(), "{compression} flip at {at} read fine");
            assert!(
                plain.starts_with(&out),
                "flip at {at}: only true plaintext came out"
            );
        }
        let mut long = file.clone();
        long.push(0);
        let (_, res) = read_parallel(&long, sealed, ChunkMode::Parallel(2));
        assert!(matches!(
            res,
            Err(Error::Container(container::Error::TrailingData))
        ));
    }
}

#[test]
fn keys_limits_and_garbage() {
    let plain = data(3000, 1);
    let opts = ContainerOptions::new().frame_size(1024);
    let sealed = single(opts, true, &plain);
    let (_, res) = read_parallel(&sealed, false, ChunkMode::Parallel(2));
    assert!(matches!(
        res,
        Err(Error::Container(container::Error::KeyRequired))
    ));
    let open = single(opts, false, &plain);
    let (_, res) = read_parallel(&open, true, ChunkMode::Parallel(2));
    assert!(matches!(
        res,
        Err(Error::Container(container::Error::NotSealed))
    ));
    let mut r = ParallelContainerReader::new(&open[..], ChunkMode::Auto).with_limit(512);
    assert!(matches!(
        r.read_header(),
        Err(Error::Container(container::Error::MaxPlainOverLimit { .. }))
    ));
    let mut r = ParallelContainerReader::sealed(
        &sealed[..],
        MasterKey::from_bytes(&[1; 32]),
        ChunkMode::Auto,
    );
    assert!(matches!(
        Error::from(r.read_to_end(&mut Vec::new()).unwrap_err()),
        Error::Container(container::Error::Authentication)
    ));
    for junk in [&b""[..], b"SSTM", b"SSTM\x02\x03\x00\x00", &[0xFF; 64]] {
        let (out, res) = read_parallel(junk, false, ChunkMode::Parallel(2));
        assert!(res.is_err() && out.is_empty());
    }
}

/// A writer that fails after `left` bytes.
#[derive(Debug)]
struct FailAfter {
    left: usize,
}

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failure_stops_the_writer() {
    let plain = data(50_000, 2);
    // The output fails: the error, then Poisoned.
    let mut w = ContainerOptions::new()
        .frame_size(1000)
        .parallel_sealed_writer(FailAfter { left: 5000 }, &key(), ChunkMode::Parallel(3))
        .unwrap();
    let e = w.write_all(&plain).unwrap_err();
    assert_eq!(e.to_string(), "disk full");
    assert!(matches!(
        Error::from(w.write(b"more").unwrap_err()),
        Error::Poisoned
    ));
    assert!(matches!(w.finish().unwrap_err(), Error::Poisoned));

    // A frame's buffer is refused (a pool capped below what the frames need):
    // the frame's error stops the pipeline.
    let capped = BufferPool::new(
        pool::Config::default()
            .min_size(1024)
            .max_size(1 << 16)
            .max_outstanding_bytes(3 * 1024)
            .thread_cache(false),
    );
    let mut w = ContainerOptions::new()
        .frame_size(1000)
        .parallel_writer(Vec::new(), ChunkMode::Parallel(2))
        .unwrap()
        .with_pool(capped)
        .unwrap();
    let e = Error::from(w.write_all(&plain).unwrap_err());
    assert!(
        matches!(e, Error::Pool(pool::Error::OverLimit { .. })),
        "{e:?}"
    );
    assert!(matches!(w.finish().unwrap_err(), Error::Poisoned));
}

#[test]
fn chunk_modes() {
    assert_eq!(ChunkMode::from_threads(0), ChunkMode::Auto);
    assert_eq!(ChunkMode::from_threads(1), ChunkMode::Sequential);
    assert_eq!(ChunkMode::from_threads(6), ChunkMode::Parallel(6));
    assert_eq!(ChunkMode::Sequential.threads(), 1);
    assert_eq!(ChunkMode::Parallel(0).threads(), 1);
    assert_eq!(ChunkMode::Parallel(5).threads(), 5);
    assert!(ChunkMode::Auto.threads() >= 1);
    let w = ContainerOptions::new()
        .parallel_writer(Vec::new(), ChunkMode::Sequential)
        .unwrap();
    assert_eq!(w.threads(), 0);
}

#[test]
fn the_pipeline_types_move_between_threads() {
    fn send<T: Send>() {}
    send::<ParallelContainerWriter<Vec<u8>>>();
    send::<ParallelContainerReader<std::fs::File>>();
}

/// Runs `f` on another thread; fails the test if it has not returned within a minute.
fn within_a_minute(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_secs(60)).is_ok(),
        "{what}: hung"
    );
}

#[test]
#[cfg_attr(miri, ignore = "threads and sealing are too slow under Miri")]
fn dropping_mid_stream_stops_the_workers_and_returns_every_buffer() {
    let plain = data(300_000, 9);
    let opts = || {
        ContainerOptions::new()
            .frame_size(4096)
            .compression(Compression::Lz4)
    };
    let file = parallel(opts(), true, &plain, ChunkMode::Parallel(2));
    let new_pool = || {
        BufferPool::new(
            pool::Config::default()
                .min_size(4096)
                .max_size(1 << 16)
                .thread_cache(false),
        )
    };
    for mode in [ChunkMode::Sequential, ChunkMode::Parallel(3)] {
        // A reader dropped after its first bytes, with frames in flight.
        let read_pool = new_pool();
        let (f, rp) = (file.clone(), read_pool.clone());
        within_a_minute("reader drop", move || {
            let mut r = ParallelContainerReader::sealed(&f[..], key(), mode).with_pool(rp);
            let mut ten = [0u8; 10];
            r.read_exact(&mut ten).unwrap();
            drop(r);
        });
        assert_eq!(read_pool.stats().outstanding_bytes, 0, "{mode:?} reader");

        // A writer dropped without finish, with frames in flight.
        let write_pool = new_pool();
        let (p, wp) = (plain.clone(), write_pool.clone());
        within_a_minute("writer drop", move || {
            let mut w = opts()
                .parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
                .unwrap()
                .with_pool(wp)
                .unwrap();
            w.write_all(&p[..100_000]).unwrap();
            drop(w);
        });
        assert_eq!(write_pool.stats().outstanding_bytes, 0, "{mode:?} writer");
    }
}

#[test]
#[cfg_attr(miri, ignore = "hundreds of threads are too slow under Miri")]
fn a_huge_thread_count_is_capped_not_an_overflow() {
    assert_eq!(ChunkMode::Parallel(usize::MAX).threads(), MAX_WORKERS);
    assert_eq!(ChunkMode::from_threads(usize::MAX).threads(), MAX_WORKERS);
    assert!(ChunkMode::Auto.threads() <= MAX_WORKERS);
    let plain = data(50_000, 4);
    let mode = ChunkMode::Parallel(usize::MAX);
    let mut w = ContainerOptions::new()
        .frame_size(4096)
        .parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
        .unwrap();
    assert_eq!(w.threads(), MAX_WORKERS);
    w.write_all(&plain).unwrap();
    let file = w.finish().unwrap();
    let mut r = ParallelContainerReader::sealed(&file[..], key(), mode);
    assert_eq!(r.threads(), MAX_WORKERS);
    let mut back = Vec::new();
    r.read_to_end(&mut back).unwrap();
    assert!(back == plain);
}

/// `finish_from` of `plain` (an `Arc<Vec<u8>>`, read by the workers with
/// positioned reads) after `head` bytes written with `write_all`.
fn parallel_from(
    opts: ContainerOptions,
    sealed: bool,
    plain: &[u8],
    head: usize,
    mode: ChunkMode,
) -> (Vec<u8>, u64) {
    parallel_from_source(opts, sealed, plain, head, mode, false)
}

/// As `parallel_from`; with `shared`, `finish_from_shared` (frames
/// checksummed and written from the source, or copied from it).
fn parallel_from_source(
    opts: ContainerOptions,
    sealed: bool,
    plain: &[u8],
    head: usize,
    mode: ChunkMode,
    shared: bool,
) -> (Vec<u8>, u64) {
    let mut w = if sealed {
        opts.parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
            .unwrap()
    } else {
        opts.parallel_writer(Vec::new(), mode).unwrap()
    };
    w.write_all(&plain[..head]).unwrap();
    let src = std::sync::Arc::new(plain.to_vec());
    let mut told = 0u64;
    let out = if shared {
        w.finish_from_shared(src, head, plain.len() - head, |n| told += n)
    } else {
        w.finish_from(src, head as u64, (plain.len() - head) as u64, |n| told += n)
    }
    .unwrap();
    (out, told)
}

#[test]
fn finish_from_writes_the_bytes_of_write_all_and_finish() {
    let frame = 1000usize;
    for (si, &n) in [0usize, 1, 999, 1000, 1001, 2000, 5_500].iter().enumerate() {
        let plain = data(n, si as u64 + 3);
        for compression in [Compression::None, Compression::Deflate, Compression::Lz4] {
            for sealed in [false, true] {
                for ck in [ChecksumKind::None, ChecksumKind::Crc32c] {
                    let opts = ContainerOptions::new()
                        .frame_size(frame as u32)
                        .compression(compression)
                        .checksum(ck);
                    let want = single(opts, sealed, &plain);
                    // Nothing written before, part of a frame, a whole frame,
                    // more than one.
                    for head in [0, 1, 999, 1000, 1500] {
                        let head = head.min(n);
                        for (mode, shared) in
                            MODES.into_iter().flat_map(|m| [(m, false), (m, true)])
                        {
                            let what = format!(
                                "n {n} head {head} {compression} sealed {sealed} {ck} {mode:?} shared {shared}"
                            );
                            let (got, told) =
                                parallel_from_source(opts, sealed, &plain, head, mode, shared);
                            assert!(got == want, "{what}: bytes differ");
                            // Every frame written out during the call is told
                            // (whole, with what `write_all` put in it): at least
                            // the bytes read from the source, at most all.
                            assert!(
                                told >= (n - head) as u64 && told <= n as u64,
                                "{what}: progress {told}"
                            );
                            if head == 0 {
                                assert_eq!(told, n as u64, "{what}: progress");
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Sealed frames without compression read from a source are sealed in place
/// in the frame buffer (`seal_in_place`); frames written with `write_all` go
/// through the copying `FrameCodec::encode`. Both, and the sequential writer,
/// give the same bytes, for every checksum and for an empty stream, one byte,
/// a frame boundary and a partial last frame.
#[test]
fn sealing_in_place_writes_the_bytes_of_the_copying_encoder() {
    let frame = 512usize;
    for n in [0usize, 1, 511, 512, 513, 1024, 1800] {
        let plain = data(n, n as u64 + 11);
        for ck in ChecksumKind::ALL {
            let opts = ContainerOptions::new()
                .frame_size(frame as u32)
                .compression(Compression::None)
                .checksum(ck);
            let want = single(opts, true, &plain);
            for mode in MODES {
                let what = format!("n {n} {ck} {mode:?}");
                let copied = parallel(opts, true, &plain, mode);
                assert!(copied == want, "{what}: write_all differs");
                let (in_place, told) = parallel_from(opts, true, &plain, 0, mode);
                assert!(in_place == want, "{what}: finish_from differs");
                assert_eq!(told, n as u64, "{what}: progress");
                let (shared, _) = parallel_from_source(opts, true, &plain, 0, mode, true);
                assert!(shared == want, "{what}: finish_from_shared differs");
                let (back, end) = read_parallel(&in_place, true, mode);
                assert!(back == plain && end.is_ok(), "{what}: read back");
            }
        }
    }
    // A source shorter than it was said to be: an error, not a frame.
    for mode in MODES {
        let opts = ContainerOptions::new()
            .frame_size(1000)
            .compression(Compression::None);
        let w = opts
            .parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
            .unwrap();
        let src = std::sync::Arc::new(data(2500, 1));
        let e = w.finish_from(src, 0, 3000, |_| {}).unwrap_err();
        assert!(short_source(&e), "{mode:?}: {e}");
    }
}

/// The error of a source shorter than it was said to be.
fn short_source(e: &Error) -> bool {
    matches!(e, Error::Io(io) if io.kind() == io::ErrorKind::UnexpectedEof)
}

#[test]
fn finish_from_a_short_source_fails_and_poisons() {
    for mode in MODES {
        let opts = ContainerOptions::new().frame_size(1000);
        let w = opts.parallel_writer(Vec::new(), mode).unwrap();
        let src = std::sync::Arc::new(data(2500, 1));
        let e = w.finish_from(src, 0, 3000, |_| {}).unwrap_err();
        assert!(short_source(&e), "{mode:?}: {e}");
        let w = opts.parallel_writer(Vec::new(), mode).unwrap();
        let src = std::sync::Arc::new(data(10, 1));
        assert!(w.finish_from(src, 5, u64::MAX, |_| {}).is_err(), "{mode:?}");
        // From memory: the same, for each kind of frame (written from the
        // source, sealed in place, compressed), and for a frame topped up.
        for (compression, sealed, head) in [
            (Compression::None, false, 0),
            (Compression::None, true, 0),
            (Compression::Lz4, false, 0),
            (Compression::None, false, 10),
        ] {
            let opts = opts.compression(compression);
            let mut w = if sealed {
                opts.parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
                    .unwrap()
            } else {
                opts.parallel_writer(Vec::new(), mode).unwrap()
            };
            w.write_all(&data(head, 2)).unwrap();
            let src = std::sync::Arc::new(data(2500, 1));
            let e = w.finish_from_shared(src, 0, 3000, |_| {}).unwrap_err();
            assert!(
                short_source(&e),
                "{mode:?} {compression} {sealed} {head}: {e}"
            );
        }
        let w = opts.parallel_writer(Vec::new(), mode).unwrap();
        let src = std::sync::Arc::new(data(10, 1));
        assert!(
            w.finish_from_shared(src, 5, usize::MAX, |_| {}).is_err(),
            "{mode:?}"
        );
    }
}

/// Hands out its bytes in uneven pieces, with an interruption now and then.
struct Uneven<'a> {
    bytes: &'a [u8],
    step: usize,
    calls: usize,
}

impl io::Read for Uneven<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 7 == 0 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        self.step = self.step * 3 % 2047 + 1;
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn write_from_a_reader_writes_the_bytes_of_write_all() {
    for (si, &n) in [0usize, 1, 999, 1000, 1001, 5_500].iter().enumerate() {
        let plain = data(n, si as u64 + 11);
        for compression in [Compression::None, Compression::Lz4] {
            for sealed in [false, true] {
                let opts = ContainerOptions::new()
                    .frame_size(1000)
                    .compression(compression);
                let want = single(opts, sealed, &plain);
                for mode in MODES {
                    let mut w = if sealed {
                        opts.parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
                            .unwrap()
                    } else {
                        opts.parallel_writer(Vec::new(), mode).unwrap()
                    };
                    // Some bytes written before, a reader for the rest.
                    let head = n.min(3);
                    w.write_all(&plain[..head]).unwrap();
                    let mut r = Uneven {
                        bytes: &plain[head..],
                        step: 5,
                        calls: 0,
                    };
                    assert_eq!(w.write_from(&mut r).unwrap(), (n - head) as u64);
                    let got = w.finish().unwrap();
                    let what = format!("n {n} {compression} sealed {sealed} {mode:?}");
                    assert!(got == want, "{what}: bytes differ");
                }
            }
        }
    }
}

#[test]
fn a_reader_error_in_write_from_poisons_the_writer() {
    struct Broken;
    impl io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("gone"))
        }
    }
    let mut w = ContainerOptions::new()
        .parallel_writer(Vec::new(), ChunkMode::Parallel(2))
        .unwrap();
    assert!(matches!(w.write_from(&mut Broken), Err(Error::Io(_))));
    assert!(matches!(w.finish(), Err(Error::Poisoned)));
}

/// `from_shared` over a copy of `file` (key: `sealed`).
fn read_shared(file: &[u8], sealed: bool, mode: ChunkMode) -> (Vec<u8>, Result<(), Error>) {
    let src = std::sync::Arc::new(file.to_vec());
    let mut r = ParallelContainerReader::from_shared(src, sealed.then(key), mode);
    let mut out = Vec::new();
    let res = r.read_to_end(&mut out).map(drop).map_err(Error::from);
    (out, res)
}

/// A reader over a shared source (a mapped file) hands out what any reader
/// does, fails where it fails with the same error, and hands out unsealed,
/// uncompressed frames as slices of the source itself.
#[test]
fn a_shared_source_reads_as_any_reader_and_uncopied() {
    for (compression, sealed, ck) in [
        (Compression::None, false, ChecksumKind::Crc32c),
        (Compression::None, false, ChecksumKind::None),
        (Compression::None, false, ChecksumKind::Xxh3),
        (Compression::Lz4, false, ChecksumKind::Crc32c),
        (Compression::None, true, ChecksumKind::Crc32c),
    ] {
        for n in [0usize, 1, 1023, 1024, 1025, 5000] {
            let plain = data(n, n as u64 + 5);
            let opts = ContainerOptions::new()
                .frame_size(1024)
                .compression(compression)
                .checksum(ck);
            let file = single(opts, sealed, &plain);
            for mode in MODES {
                let what = format!("{compression} sealed {sealed} {ck} n {n} {mode:?}");
                let (out, res) = read_shared(&file, sealed, mode);
                assert!(res.is_ok() && out == plain, "{what}: {res:?}");
                // Unsealed without compression: every slice lies in the source.
                let src = std::sync::Arc::new(file.clone());
                let range = src.as_ptr_range();
                let mut r = ParallelContainerReader::from_shared(
                    std::sync::Arc::clone(&src),
                    sealed.then(key),
                    mode,
                );
                loop {
                    let buf = io::BufRead::fill_buf(&mut r).unwrap();
                    if buf.is_empty() {
                        break;
                    }
                    let inside = range.contains(&buf.as_ptr());
                    assert_eq!(
                        inside,
                        !sealed && compression == Compression::None,
                        "{what}"
                    );
                    let k = buf.len();
                    io::BufRead::consume(&mut r, k);
                }
            }
        }
    }
    let step = if std::env::var_os("SECSTREAM_LONG").is_some() {
        1
    } else {
        7
    };
    let plain = data(2500, 12);
    for (index, ck) in [(true, ChecksumKind::Crc32c), (false, ChecksumKind::Crc16)] {
        let opts = ContainerOptions::new()
            .frame_size(1024)
            .compression(Compression::None)
            .checksum(ck)
            .index(index);
        let file = single(opts, false, &plain);
        for cut in (0..file.len()).step_by(step) {
            let (out, res) = read_shared(&file[..cut], false, ChunkMode::Parallel(2));
            let (want_out, want) = read_parallel(&file[..cut], false, ChunkMode::Parallel(2));
            let e = res.expect_err("a cut stream must fail");
            assert_eq!(e.to_string(), want.unwrap_err().to_string(), "cut at {cut}");
            assert!(out == want_out, "cut at {cut}");
        }
        for at in (0..file.len()).step_by(step) {
            let mut bad = file.clone();
            bad[at] ^= 0x08;
            let (out, res) = read_shared(&bad, false, ChunkMode::Sequential);
            let (want_out, want) = read_parallel(&bad, false, ChunkMode::Sequential);
            assert_eq!(
                res.map_err(|e| e.to_string()),
                want.map_err(|e| e.to_string()),
                "flip at {at}"
            );
            assert!(out == want_out, "flip at {at}");
        }
        let mut long = file.clone();
        long.push(0);
        let (_, res) = read_shared(&long, false, ChunkMode::Parallel(2));
        assert!(matches!(
            res,
            Err(Error::Container(container::Error::TrailingData))
        ));
    }
}

/// Sealed frames without compression go out of buffers that the next frames
/// reuse without a wipe (they hold only what was written out); the bytes are
/// those of one thread, every buffer is wiped by the time the pool has it
/// back, and other configurations take a new buffer per frame as before.
#[test]
fn sealed_frames_reuse_their_buffers_and_the_pool_gets_them_back_wiped() {
    let frame = 1000usize;
    let frames = 40;
    // The last frame shorter, so a reused buffer has old bytes past it.
    let plain = data(frame * frames - 300, 11);
    for (compression, sealed) in [
        (Compression::None, true),
        (Compression::Lz4, true),
        (Compression::None, false),
    ] {
        let opts = ContainerOptions::new()
            .frame_size(frame as u32)
            .compression(compression);
        let want = single(opts, sealed, &plain);
        for (mode, from_source) in MODES.into_iter().flat_map(|m| [(m, false), (m, true)]) {
            let what = format!("{compression} sealed {sealed} {mode:?} from source {from_source}");
            let pool = BufferPool::new(
                pool::Config::default()
                    .min_size(1024)
                    .max_size(1 << 16)
                    .thread_cache(false),
            );
            let mut w = if sealed {
                opts.parallel_sealed_writer_with_nonce(Vec::new(), &key(), NONCE, mode)
                    .unwrap()
            } else {
                opts.parallel_writer(Vec::new(), mode).unwrap()
            }
            .with_pool(pool.clone())
            .unwrap();
            let got = if from_source {
                let src = std::sync::Arc::new(plain.clone());
                w.finish_from(src, 0, plain.len() as u64, |_| {}).unwrap()
            } else {
                write_pieces(&mut w, &plain);
                w.finish().unwrap()
            };
            assert!(got == want, "{what}: bytes differ");
            let st = pool.stats();
            let taken = st.hits + st.misses;
            // Encoded buffers: one per frame, unless reused; plaintext
            // buffers: one per frame when written through `write`, or when
            // compressed from a source.
            let plain_bufs = if from_source && compression == Compression::None {
                0
            } else {
                frames as u64
            };
            if compression == Compression::None && sealed {
                let threads = match mode {
                    ChunkMode::Parallel(n) => n as u64,
                    _ => 1,
                };
                assert!(taken <= plain_bufs + 2 * threads + 4, "{what}: {st:?}");
            } else if sealed || from_source || compression != Compression::None {
                assert!(taken >= plain_bufs + frames as u64 - 1, "{what}: {st:?}");
            }
            assert_eq!(st.outstanding_bytes, 0, "{what}");
            // Every idle buffer (of the plaintext and the encoded frames'
            // classes) is all zeros again.
            let mut idle = Vec::new();
            for size in [1024, 2048] {
                loop {
                    let before = pool.stats().misses;
                    let b = pool.try_acquire(size).unwrap();
                    if pool.stats().misses != before {
                        break;
                    }
                    idle.push(b);
                }
            }
            assert!(!idle.is_empty(), "{what}");
            for mut b in idle {
                assert!(
                    b.spare_mut().iter().all(|&x| x == 0),
                    "{what}: a buffer came back unwiped"
                );
            }
        }
    }
}
