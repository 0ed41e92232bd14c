//! `FrameWriter` and `FrameReader`: round trips, exact bytes against the core encoders and
//! the shared vectors in `tests/vectors/`, batching, tamper and truncation detection, and
//! the maximum frame length checked before anything is allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, IoSlice, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use secstream::checksum::ChecksumKind;
use secstream::container;
use secstream::frame;
use secstream::frame_io::{ContainerConfig, Error, FrameReader, FrameWriter};
use secstream::seal::MasterKey;

// ------------------------------------------------------------ allocation watch

/// Records the largest single allocation of the whole test binary, and of each thread
/// (tests run in parallel threads: a per-thread figure belongs to one test).
struct Watch;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn record(size: usize) {
    LARGEST.fetch_max(size, Ordering::Relaxed);
    // `try_with`: the slot may be gone while the thread shuts down.
    let _ = THREAD_LARGEST.try_with(|c| c.set(c.get().max(size)));
}

// SAFETY: forwards every call unchanged to the system allocator; only records sizes.
unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// No test here allocates 1 GiB on purpose; a reader that trusted a 4 GiB length would.
const HUGE: usize = 1 << 30;

// ------------------------------------------------------------ helpers

fn data(len: usize, seed: u32) -> Vec<u8> {
    // A simple LCG: incompressible enough, deterministic.
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            x.to_le_bytes()[2]
        })
        .collect()
}

fn payload_set() -> Vec<Vec<u8>> {
    vec![
        Vec::new(),
        b"x".to_vec(),
        data(100, 1),
        b"compressible ".repeat(500),
        data(70_000, 2),
        data(300_000, 3), // larger than the default batch: written vectored
        Vec::new(),
        data(5, 4),
    ]
}

fn key(b: u8) -> MasterKey {
    MasterKey::from_bytes(&[b; 32])
}

fn read_all<R: Read>(r: &mut FrameReader<R>) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::new();
    while let Some(p) = r.read_frame()? {
        out.push(p.to_vec());
    }
    Ok(out)
}

/// A reader that hands out at most `n` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

/// A writer that counts calls, and accepts at most `limit` bytes per call.
#[derive(Default)]
struct Counting {
    bytes: Vec<u8>,
    writes: usize,
    vectored: usize,
    limit: usize,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        let k = buf.len().min(self.limit.max(1));
        self.bytes.extend_from_slice(&buf[..k]);
        Ok(k)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.vectored += 1;
        let mut room = self.limit.max(1);
        let mut n = 0;
        for b in bufs {
            let k = b.len().min(room);
            self.bytes.extend_from_slice(&b[..k]);
            n += k;
            room -= k;
            if room == 0 {
                break;
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ------------------------------------------------------------ raw frames

#[test]
fn raw_frames_are_the_core_encoding_and_read_back() {
    let payloads = payload_set();
    for kind in ChecksumKind::ALL {
        let mut w = FrameWriter::raw(Vec::new(), kind);
        for p in &payloads {
            w.write_frame(p).unwrap();
        }
        assert_eq!(w.frames_written(), payloads.len() as u64);
        let wire = w.finish().unwrap();

        let mut expected = Vec::new();
        for p in &payloads {
            let mut f = vec![0u8; frame::encoded_len(kind, p.len())];
            frame::encode_into(kind, p, &mut f).unwrap();
            expected.extend_from_slice(&f);
        }
        assert_eq!(wire, expected, "{kind}");

        // The three ways of reading, over whole and trickled input.
        let mut r = FrameReader::raw(&wire[..], kind, 1 << 20);
        assert_eq!(read_all(&mut r).unwrap(), payloads, "{kind}");
        assert_eq!(r.read_frame().unwrap(), None, "stays at the end");
        assert_eq!(r.frames_read(), payloads.len() as u64);

        let mut r = FrameReader::raw(Trickle { data: &wire, n: 7 }, kind, 1 << 20);
        let mut got = Vec::new();
        let n = r
            .process_all(|p| {
                got.push(p.to_vec());
                Ok::<(), Error>(())
            })
            .unwrap();
        assert_eq!((n, &got), (payloads.len() as u64, &payloads));

        let mut r = FrameReader::raw(
            Trickle {
                data: &wire,
                n: 65_537,
            },
            kind,
            1 << 20,
        );
        let owned: Vec<Vec<u8>> = r.frames().map(|f| f.unwrap().to_vec()).collect();
        assert_eq!(owned, payloads);
    }
}

#[test]
fn small_frames_are_batched_and_large_ones_written_vectored() {
    let mut w = FrameWriter::raw(
        Counting {
            limit: usize::MAX,
            ..Counting::default()
        },
        ChecksumKind::Crc32c,
    );
    for i in 0..1000u32 {
        w.write_frame(&i.to_le_bytes()).unwrap();
    }
    // 1000 frames of 12 bytes fit one batch: nothing written yet.
    assert_eq!(
        w.get_ref().unwrap().writes + w.get_ref().unwrap().vectored,
        0
    );
    let big = data(1 << 20, 9);
    w.write_frame(&big).unwrap();
    // Batch, header and the big payload went out in one vectored call.
    assert_eq!(w.get_ref().unwrap().vectored, 1);
    assert_eq!(w.get_ref().unwrap().writes, 0);
    let sink = w.finish().unwrap();
    let mut r = FrameReader::raw(&sink.bytes[..], ChecksumKind::Crc32c, 2 << 20);
    let frames = read_all(&mut r).unwrap();
    assert_eq!(frames.len(), 1001);
    assert_eq!(frames[999], 999u32.to_le_bytes());
    assert_eq!(frames[1000], big);

    // A writer that takes a few bytes per call still gets everything, in order.
    let mut w = FrameWriter::raw(
        Counting {
            limit: 5,
            ..Counting::default()
        },
        ChecksumKind::Xxh3,
    )
    .with_batch(16);
    let payloads = payload_set();
    for p in &payloads {
        w.write_frame(p).unwrap();
    }
    let sink = w.finish().unwrap();
    let mut r = FrameReader::raw(&sink.bytes[..], ChecksumKind::Xxh3, 1 << 20);
    assert_eq!(read_all(&mut r).unwrap(), payloads);
}

#[test]
fn dropped_raw_writer_writes_its_whole_frames() {
    let mut out = Vec::new();
    {
        let mut w = FrameWriter::raw(&mut out, ChecksumKind::Crc16);
        w.write_frame(b"one").unwrap();
        w.write_frame(b"two").unwrap();
    }
    let mut r = FrameReader::raw(&out[..], ChecksumKind::Crc16, 64);
    assert_eq!(
        read_all(&mut r).unwrap(),
        [b"one".to_vec(), b"two".to_vec()]
    );
}

#[test]
fn raw_truncation_and_corruption_are_errors() {
    let mut w = FrameWriter::raw(Vec::new(), ChecksumKind::Crc32);
    w.write_frame(b"abc").unwrap();
    w.write_frame(b"defgh").unwrap();
    let wire = w.finish().unwrap();
    let ends = [0, 11, 24];
    for cut in 0..=wire.len() {
        let mut r = FrameReader::raw(&wire[..cut], ChecksumKind::Crc32, 64);
        let res = read_all(&mut r);
        if ends.contains(&cut) {
            assert!(res.is_ok(), "cut {cut}");
        } else {
            assert!(matches!(res, Err(Error::Truncated)), "cut {cut}: {res:?}");
        }
    }
    for bit in 0..wire.len() * 8 {
        let mut bad = wire.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let mut r = FrameReader::raw(&bad[..], ChecksumKind::Crc32, 64);
        let mut good = 0;
        let res = r.process_all(|p| {
            assert_eq!(
                p,
                [&b"abc"[..], b"defgh"][good],
                "bit {bit}: wrong data released"
            );
            good += 1;
            Ok::<(), Error>(())
        });
        assert!(res.is_err(), "bit {bit} undetected");
    }
}

#[test]
fn a_4_gib_length_claim_fails_before_allocating() {
    // Raw: the length field says 4 GiB - 1; the reader's maximum is 1 MiB.
    let mut wire = vec![0xFF, 0xFF, 0xFF, 0xFF];
    wire.extend_from_slice(&[0u8; 64]);
    let mut r = FrameReader::raw(&wire[..], ChecksumKind::None, 1 << 20);
    assert!(matches!(r.read_frame(), Err(Error::FrameTooLong)));
    // The error sticks.
    assert!(matches!(r.read_frame(), Err(Error::FrameTooLong)));

    // Container: a header allowing 1 KiB, then a frame claiming 4 GiB - 1, read by a
    // reader whose own limit is as large as it gets.
    let mut c = container::Header::new(ChecksumKind::None, 1024)
        .to_bytes()
        .to_vec();
    c.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
    let mut r = FrameReader::container(&c[..]).with_limit(u32::MAX);
    assert!(matches!(r.read_frame(), Err(Error::FrameTooLong)));

    // Container: the header itself allows 4 GiB frames; refused on the header.
    let c = container::Header::new(ChecksumKind::None, u32::MAX).to_bytes();
    let mut r = FrameReader::container(&c[..]);
    assert!(matches!(
        r.read_frame(),
        Err(Error::LimitExceeded {
            declared: u32::MAX,
            limit: secstream::frame_io::DEFAULT_LIMIT
        })
    ));
    assert!(LARGEST.load(Ordering::Relaxed) < HUGE);
}

#[test]
fn raw_reader_with_a_64_mib_maximum_allocates_only_what_small_frames_need() {
    // 2000 frames of up to 3000 bytes, read through a reader that splits many of them
    // across reads (so the frame buffer is needed), and whole.
    let kind = ChecksumKind::Crc32c;
    let payloads: Vec<Vec<u8>> = (0..2000u32)
        .map(|i| data((i as usize * 37) % 3000, i))
        .collect();
    let mut w = FrameWriter::raw(Vec::new(), kind);
    for p in &payloads {
        w.write_frame(p).unwrap();
    }
    let wire = w.finish().unwrap();
    const MAX: u32 = 64 << 20;

    THREAD_LARGEST.with(|c| c.set(0));
    let mut r = FrameReader::raw(
        Trickle {
            data: &wire,
            n: 1000,
        },
        kind,
        MAX,
    );
    assert_eq!(read_all(&mut r).unwrap(), payloads);
    drop(r);
    let trickled = THREAD_LARGEST.with(Cell::get);

    THREAD_LARGEST.with(|c| c.set(0));
    let mut r = FrameReader::raw(&wire[..], kind, MAX);
    assert_eq!(read_all(&mut r).unwrap(), payloads);
    drop(r);
    let whole = THREAD_LARGEST.with(Cell::get);

    // The largest allocations are the 256 KiB read window and the copies of the payloads
    // (`read_all`); before, the reader allocated a 64 MiB frame buffer up front.
    for (name, largest) in [("trickled", trickled), ("whole", whole)] {
        assert!(largest > 0, "{name}: the watch sees this thread");
        assert!(
            largest <= 256 * 1024,
            "{name}: largest allocation {largest}"
        );
    }
    // A frame larger than the read window still reads: the buffer grows to its length.
    let big = data(1 << 20, 9);
    let mut w = FrameWriter::raw(Vec::new(), kind);
    w.write_frame(&big).unwrap();
    w.write_frame(b"after").unwrap();
    let wire = w.finish().unwrap();
    THREAD_LARGEST.with(|c| c.set(0));
    let mut r = FrameReader::raw(&wire[..], kind, MAX);
    assert_eq!(read_all(&mut r).unwrap(), [big, b"after".to_vec()]);
    drop(r);
    let largest = THREAD_LARGEST.with(Cell::get);
    assert!(largest < 4 << 20, "largest allocation {largest}");
}

// ------------------------------------------------------------ containers

fn configs() -> Vec<(ContainerConfig, bool)> {
    let mut v = Vec::new();
    for kind in ChecksumKind::ALL {
        for deflate in [false, true] {
            for sealed in [false, true] {
                let mut c = ContainerConfig::new(kind, 400_000);
                if deflate {
                    c = c.with_deflate(6);
                }
                v.push((c, sealed));
            }
        }
    }
    v
}

fn write_container(config: ContainerConfig, sealed: bool, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut w = if sealed {
        FrameWriter::sealed(Vec::new(), config, &key(7)).unwrap()
    } else {
        FrameWriter::container(Vec::new(), config).unwrap()
    };
    for p in payloads {
        w.write_frame(p).unwrap();
    }
    w.finish().unwrap()
}

fn open(wire: &[u8], sealed: bool) -> FrameReader<&[u8]> {
    if sealed {
        FrameReader::sealed(wire, key(7))
    } else {
        FrameReader::container(wire)
    }
}

#[test]
fn containers_round_trip_in_every_combination() {
    let payloads = payload_set();
    for (config, sealed) in configs() {
        let wire = write_container(config, sealed, &payloads);
        let h = container::Header::parse(wire[..16].try_into().unwrap()).unwrap();
        assert_eq!(h.checksum, config.checksum);
        assert_eq!(h.flags.deflate, config.deflate.is_some());
        assert_eq!(h.flags.sealed, sealed);

        let mut r = open(&wire, sealed);
        assert_eq!(
            read_all(&mut r).unwrap(),
            payloads,
            "{config:?} sealed {sealed}"
        );
        assert_eq!(r.header(), Some(&h));

        // Trickled input: frames split across reads.
        let mut r = if sealed {
            FrameReader::sealed(
                Trickle {
                    data: &wire,
                    n: 4093,
                },
                key(7),
            )
        } else {
            FrameReader::container(Trickle {
                data: &wire,
                n: 4093,
            })
        };
        let owned: Vec<Vec<u8>> = r.frames().map(|f| f.unwrap().to_vec()).collect();
        assert_eq!(owned, payloads);

        // Integrity without the key.
        let mut v = FrameReader::verifier(&wire[..]);
        let n = v.process_all(|_| Ok::<(), Error>(())).unwrap();
        assert_eq!(n, payloads.len() as u64 + u64::from(sealed));
        let mut c = FrameReader::checker(&wire[..]);
        assert!(c.process_all(|_| Ok::<(), Error>(())).is_ok());
    }
}

#[test]
fn writer_output_equals_the_core_container_writer() {
    let payloads = payload_set();
    for kind in ChecksumKind::ALL {
        for deflate in [false, true] {
            let mut config = ContainerConfig::new(kind, 400_000);
            if deflate {
                config = config.with_deflate(6);
            }
            let nonce = [0x5A; 16];
            for sealed in [false, true] {
                let ours = if sealed {
                    let mut w =
                        FrameWriter::sealed_with_nonce(Vec::new(), config, &key(3), nonce).unwrap();
                    for p in &payloads {
                        w.write_frame(p).unwrap();
                    }
                    w.finish().unwrap()
                } else {
                    write_container(config, false, &payloads)
                };
                let header = config.header(sealed).unwrap();
                let mut core = if sealed {
                    container::Writer::new_sealed(header, &key(3), nonce).unwrap()
                } else {
                    container::Writer::new(header).unwrap()
                };
                let mut expected = Vec::new();
                for p in &payloads {
                    let mut buf = vec![0u8; core.max_encoded_len(p.len())];
                    let n = core.encode_frame(p, &mut buf).unwrap();
                    expected.extend_from_slice(&buf[..n]);
                }
                let mut buf = vec![0u8; core.max_encoded_len(0)];
                let n = core.finish(&mut buf).unwrap();
                expected.extend_from_slice(&buf[..n]);
                assert_eq!(ours, expected, "{kind} deflate {deflate} sealed {sealed}");
            }
        }
    }
}

#[test]
fn every_payload_up_to_the_frame_size_fits_even_incompressible() {
    for sealed in [false, true] {
        let config = ContainerConfig::new(ChecksumKind::Crc16, 200_000).with_deflate(9);
        let p = data(200_000, 11);
        let wire = write_container(config, sealed, std::slice::from_ref(&p));
        let mut r = open(&wire, sealed);
        assert_eq!(read_all(&mut r).unwrap(), std::slice::from_ref(&p));
        let mut w = FrameWriter::container(Vec::new(), config).unwrap();
        assert!(matches!(
            w.write_frame(&data(200_001, 1)),
            Err(Error::FrameTooLong)
        ));
        // Refused without harm: the writer goes on.
        w.write_frame(b"ok").unwrap();
        let wire = w.finish().unwrap();
        let mut r = FrameReader::container(&wire[..]);
        assert_eq!(read_all(&mut r).unwrap(), [b"ok".to_vec()]);
    }
}

#[test]
fn sealed_writer_dropped_without_finish_reads_as_truncated() {
    let mut out = Vec::new();
    {
        let mut w = FrameWriter::sealed(
            &mut out,
            ContainerConfig::new(ChecksumKind::Crc32c, 1024),
            &key(1),
        )
        .unwrap();
        w.write_frame(b"part one").unwrap();
        w.write_frame(b"part two").unwrap();
    }
    let mut r = FrameReader::sealed(&out[..], key(1));
    assert_eq!(r.read_frame().unwrap(), Some(&b"part one"[..]));
    assert_eq!(r.read_frame().unwrap(), Some(&b"part two"[..]));
    assert!(matches!(r.read_frame(), Err(Error::Truncated)));
}

#[test]
fn sealed_errors_are_distinct_and_release_nothing() {
    let payloads = vec![b"alpha".to_vec(), b"bravo!".to_vec()];
    let config = ContainerConfig::new(ChecksumKind::Crc16, 64);
    let wire = write_container(config, true, &payloads);

    // Wrong key: one opaque error, on the first frame.
    let mut r = FrameReader::sealed(&wire[..], key(8));
    assert!(matches!(r.read_frame(), Err(Error::Authentication)));
    assert!(matches!(r.read_frame(), Err(Error::Authentication)));

    // Data after the final frame.
    let mut long = wire.clone();
    long.push(0);
    let mut r = FrameReader::sealed(&long[..], key(7));
    assert!(matches!(read_all(&mut r), Err(Error::TrailingData)));

    // A sealed container needs the key; a keyed reader refuses an unsealed one.
    let mut r = FrameReader::container(&wire[..]);
    assert!(matches!(
        r.read_frame(),
        Err(Error::Container(container::Error::KeyRequired))
    ));
    let plain = write_container(config, false, &payloads);
    let mut r = FrameReader::sealed(&plain[..], key(7));
    assert!(matches!(
        r.read_frame(),
        Err(Error::Container(container::Error::NotSealed))
    ));

    // Truncation at every offset: an error, never a clean end.
    for cut in 0..wire.len() {
        let mut r = FrameReader::sealed(&wire[..cut], key(7));
        let res = read_all(&mut r);
        assert!(res.is_err(), "cut {cut} read as complete");
        if let Ok(got) = &res {
            assert!(payloads.starts_with(got));
        }
    }

    // Every single-bit flip: an error; what was released before it is original data.
    for bit in 0..wire.len() * 8 {
        let mut bad = wire.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let mut r = FrameReader::sealed(&bad[..], key(7));
        let mut i = 0;
        let res = r.process_all(|p| {
            assert_eq!(p, payloads[i], "bit {bit}: wrong data released");
            i += 1;
            Ok::<(), Error>(())
        });
        assert!(res.is_err(), "bit {bit} undetected");
    }
}

#[test]
fn empty_and_damaged_headers() {
    let mut r = FrameReader::container(&[][..]);
    assert!(matches!(r.read_frame(), Err(Error::Truncated)));
    let mut r = FrameReader::container(&b"SSTM\x01"[..]);
    assert!(matches!(r.read_frame(), Err(Error::Truncated)));
    let mut r = FrameReader::container(&[0u8; 40][..]);
    assert!(matches!(
        r.read_frame(),
        Err(Error::Container(container::Error::BadMagic))
    ));
    let mut h = container::Header::new(ChecksumKind::Crc32, 100).to_bytes();
    h[8] ^= 1;
    let mut r = FrameReader::container(&h[..]);
    let e = r.read_frame().unwrap_err();
    assert!(matches!(
        e,
        Error::Container(container::Error::BadHeaderChecksum)
    ));
    assert_eq!(e.to_string(), "container header checksum mismatch");
}

// ------------------------------------------------------------ shared vectors

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn parse_payloads(mut b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = usize::try_from(u32::from_le_bytes(b[..4].try_into().unwrap())).unwrap();
        out.push(b[4..4 + len].to_vec());
        b = &b[4 + len..];
    }
    out
}

/// Master key and stream nonce of the sealed vectors (see their README).
fn vector_key() -> MasterKey {
    MasterKey::from_bytes(&std::array::from_fn(|i| u8::try_from(i).unwrap()))
}
fn vector_nonce() -> [u8; 16] {
    std::array::from_fn(|i| 0x40 + u8::try_from(i).unwrap())
}

#[test]
fn shared_vectors_read_and_write_bit_exact() {
    let dir = vectors_dir();
    let mut checked = 0;
    for kind in ChecksumKind::ALL {
        let load = |f: &str| {
            let bin = std::fs::read(dir.join(format!("{f}-{kind}.bin"))).unwrap();
            let pay =
                parse_payloads(&std::fs::read(dir.join(format!("{f}-{kind}.payloads"))).unwrap());
            (bin, pay)
        };

        let (bin, payloads) = load("frames");
        let mut r = FrameReader::raw(&bin[..], kind, 1024);
        assert_eq!(read_all(&mut r).unwrap(), payloads);
        let mut w = FrameWriter::raw(Vec::new(), kind);
        for p in &payloads {
            w.write_frame(p).unwrap();
        }
        assert_eq!(w.finish().unwrap(), bin, "frames-{kind}");
        checked += 1;

        for (format, deflate, sealed) in [
            ("container", false, false),
            ("container-deflate", true, false),
            ("container-sealed", false, true),
            ("container-sealed-deflate", true, true),
        ] {
            let (bin, payloads) = load(format);
            let mut r = if sealed {
                FrameReader::sealed(&bin[..], vector_key())
            } else {
                FrameReader::container(&bin[..])
            };
            assert_eq!(read_all(&mut r).unwrap(), payloads, "{format}-{kind}");

            let mut config = ContainerConfig::new(kind, 1024).with_max_frame_len(1024);
            if deflate {
                config = config.with_deflate(container::DEFAULT_LEVEL);
            }
            let mut w = if sealed {
                FrameWriter::sealed_with_nonce(Vec::new(), config, &vector_key(), vector_nonce())
                    .unwrap()
            } else {
                FrameWriter::container(Vec::new(), config).unwrap()
            };
            for p in &payloads {
                w.write_frame(p).unwrap();
            }
            assert_eq!(w.finish().unwrap(), bin, "{format}-{kind}");
            checked += 1;
        }
    }
    assert_eq!(checked, 25);
}

#[test]
fn empty_containers_are_complete_streams() {
    for sealed in [false, true] {
        let config = ContainerConfig::new(ChecksumKind::Crc32c, 4096);
        let wire = write_container(config, sealed, &[]);
        let expected_len = if sealed { 32 + 8 + 16 } else { 16 };
        assert_eq!(wire.len(), expected_len);
        let mut r = open(&wire, sealed);
        assert_eq!(r.read_frame().unwrap(), None);
        assert_eq!(r.header().map(|h| h.flags.sealed), Some(sealed));
        // Without its final frame, an empty sealed container is truncated.
        if sealed {
            let mut r = open(&wire[..32], true);
            assert!(matches!(r.read_frame(), Err(Error::Truncated)));
        }
    }
}
