//! `FrameWriter` and `FrameReader`: round trips, exact bytes against the core encoders and
//! the shared vectors in `tests/vectors/`, batching, tamper and truncation detection, and
//! the maximum frame length checked before anything is allocated.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, IoSlice, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

use secstream::Error;
use secstream::checksum::ChecksumKind;
use secstream::container;
use secstream::container_io::ContainerReader;
use secstream::frame;
use secstream::frame_io::{FrameReader, FrameWriter};

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
        let mut w = FrameWriter::new(Vec::new(), kind);
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
        let mut r = FrameReader::new(&wire[..], kind, 1 << 20);
        assert_eq!(read_all(&mut r).unwrap(), payloads, "{kind}");
        assert_eq!(r.read_frame().unwrap(), None, "stays at the end");
        assert_eq!(r.frames_read(), payloads.len() as u64);

        let mut r = FrameReader::new(Trickle { data: &wire, n: 7 }, kind, 1 << 20);
        let mut got = Vec::new();
        let n = r
            .process_all(|p| {
                got.push(p.to_vec());
                Ok::<(), Error>(())
            })
            .unwrap();
        assert_eq!((n, &got), (payloads.len() as u64, &payloads));

        let mut r = FrameReader::new(
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
    let mut w = FrameWriter::new(
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
    let mut r = FrameReader::new(&sink.bytes[..], ChecksumKind::Crc32c, 2 << 20);
    let frames = read_all(&mut r).unwrap();
    assert_eq!(frames.len(), 1001);
    assert_eq!(frames[999], 999u32.to_le_bytes());
    assert_eq!(frames[1000], big);

    // A writer that takes a few bytes per call still gets everything, in order.
    let mut w = FrameWriter::new(
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
    let mut r = FrameReader::new(&sink.bytes[..], ChecksumKind::Xxh3, 1 << 20);
    assert_eq!(read_all(&mut r).unwrap(), payloads);
}

#[test]
fn dropped_raw_writer_writes_its_whole_frames() {
    let mut out = Vec::new();
    {
        let mut w = FrameWriter::new(&mut out, ChecksumKind::Crc16);
        w.write_frame(b"one").unwrap();
        w.write_frame(b"two").unwrap();
    }
    let mut r = FrameReader::new(&out[..], ChecksumKind::Crc16, 64);
    assert_eq!(
        read_all(&mut r).unwrap(),
        [b"one".to_vec(), b"two".to_vec()]
    );
}

#[test]
fn raw_truncation_and_corruption_are_errors() {
    let mut w = FrameWriter::new(Vec::new(), ChecksumKind::Crc32);
    w.write_frame(b"abc").unwrap();
    w.write_frame(b"defgh").unwrap();
    let wire = w.finish().unwrap();
    let ends = [0, 11, 24];
    for cut in 0..=wire.len() {
        let mut r = FrameReader::new(&wire[..cut], ChecksumKind::Crc32, 64);
        let res = read_all(&mut r);
        if ends.contains(&cut) {
            assert!(res.is_ok(), "cut {cut}");
        } else {
            assert!(
                matches!(res, Err(Error::Frame(frame::Error::Truncated))),
                "cut {cut}: {res:?}"
            );
        }
    }
    for bit in 0..wire.len() * 8 {
        let mut bad = wire.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let mut r = FrameReader::new(&bad[..], ChecksumKind::Crc32, 64);
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
    let mut r = FrameReader::new(&wire[..], ChecksumKind::None, 1 << 20);
    assert!(matches!(
        r.read_frame(),
        Err(Error::Frame(frame::Error::FrameTooLong))
    ));
    // The error sticks.
    assert!(matches!(
        r.read_frame(),
        Err(Error::Frame(frame::Error::FrameTooLong))
    ));

    // Container: a preamble allowing 1 KiB, then a frame claiming 2 GiB, read by a
    // reader whose own limit is as large as it gets.
    let mut c = container::Header::new(container::Config::new(ChecksumKind::None, 1024))
        .to_preamble()
        .as_bytes()
        .to_vec();
    c.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]);
    let mut r = ContainerReader::new(&c[..]).with_limit(u32::MAX);
    assert!(matches!(
        r.read_frame(),
        Err(Error::Container(container::Error::FrameTooLong {
            frame: 0
        }))
    ));

    // Container: the preamble itself allows 1 GiB frames; refused on the preamble.
    let c =
        container::Header::new(container::Config::new(ChecksumKind::None, 1 << 30)).to_preamble();
    let mut r = ContainerReader::new(c.as_bytes());
    assert!(matches!(
        r.read_frame(),
        Err(Error::Container(container::Error::MaxPlainOverLimit {
            max_plain: 0x4000_0000,
            limit: container::DEFAULT_READ_LIMIT
        }))
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
    let mut w = FrameWriter::new(Vec::new(), kind);
    for p in &payloads {
        w.write_frame(p).unwrap();
    }
    let wire = w.finish().unwrap();
    const MAX: u32 = 64 << 20;

    THREAD_LARGEST.with(|c| c.set(0));
    let mut r = FrameReader::new(
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
    let mut r = FrameReader::new(&wire[..], kind, MAX);
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
    let mut w = FrameWriter::new(Vec::new(), kind);
    w.write_frame(&big).unwrap();
    w.write_frame(b"after").unwrap();
    let wire = w.finish().unwrap();
    THREAD_LARGEST.with(|c| c.set(0));
    let mut r = FrameReader::new(&wire[..], kind, MAX);
    assert_eq!(read_all(&mut r).unwrap(), [big, b"after".to_vec()]);
    drop(r);
    let largest = THREAD_LARGEST.with(Cell::get);
    assert!(largest < 4 << 20, "largest allocation {largest}");
}
