#![allow(clippy::cast_possible_truncation, reason = "test sizes are small")]

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use secstream_core::checksum::{self, ChecksumKind};
use secstream_core::container::{END_FIXED_LEN, END_MARK, FrameCodec, Header};

use super::*;
use crate::container_io::ContainerOptions;

const KEY: [u8; 32] = [0x11; 32];
const NONCE: [u8; 16] = [0x40; 16];

fn key() -> MasterKey {
    MasterKey::from_bytes(&KEY)
}

/// Deterministic, compressible in parts, not trivially periodic.
fn pattern(p: u64) -> u8 {
    let x = p ^ (p >> 9) ^ (p >> 17);
    if (p >> 12) % 3 == 0 {
        b'a' + (p % 7) as u8
    } else {
        (x.wrapping_mul(0x9E37_79B9) >> 24) as u8
    }
}

fn data(n: usize) -> Vec<u8> {
    (0..n as u64).map(pattern).collect()
}

fn pack(
    plain: &[u8],
    frame: u32,
    compression: Compression,
    sealed: bool,
    index: bool,
    checksum: ChecksumKind,
) -> Vec<u8> {
    let opts = ContainerOptions::new()
        .frame_size(frame)
        .compression(compression)
        .index(index)
        .checksum(checksum);
    if sealed {
        let mut w = opts
            .sealed_writer_with_nonce(Vec::new(), &key(), NONCE)
            .unwrap();
        w.write_all(plain).unwrap();
        w.finish().unwrap()
    } else {
        let mut w = opts.writer(Vec::new()).unwrap();
        w.write_all(plain).unwrap();
        w.finish().unwrap()
    }
}

fn open(file: Vec<u8>, sealed: bool) -> Result<FileStream<Vec<u8>>, Error> {
    FileStream::from_source(file, sealed.then(key))
}

const COMPRESSIONS: [Compression; 3] = [Compression::None, Compression::Deflate, Compression::Lz4];

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn every_option_reads_back_sequentially_at_offsets_and_after_seeks() {
    let frame = 1000u32;
    for &n in &[0usize, 1, 999, 1000, 1001, 7_777] {
        let plain = data(n);
        for compression in COMPRESSIONS {
            for sealed in [false, true] {
                for index in [true, false] {
                    let ck = if sealed {
                        ChecksumKind::None
                    } else {
                        ChecksumKind::Crc32c
                    };
                    let file = pack(&plain, frame, compression, sealed, index, ck);
                    let what = format!("n {n} {compression} sealed {sealed} index {index}");
                    let mut fs = open(file, sealed).expect(&what);
                    assert_eq!(fs.size(), n as u64, "{what}");
                    assert_eq!(fs.has_index(), index || n == 0 && !sealed, "{what}");
                    let mut got = Vec::new();
                    fs.read_to_end(&mut got).expect(&what);
                    assert_eq!(got, plain, "{what}");
                    assert_eq!(fs.position(), n as u64);
                    if !fs.has_index() {
                        continue;
                    }
                    for (off, len) in [
                        (0, 10),
                        (995, 10),
                        (1000, 1),
                        (n / 2, 3000),
                        (n, 5),
                        (n + 9, 5),
                    ] {
                        let mut buf = vec![0u8; len];
                        let got = fs.read_at(off as u64, &mut buf).expect(&what);
                        let want = plain.get(off.min(n)..(off + len).min(n)).unwrap();
                        assert_eq!(&buf[..got], want, "{what} at {off}+{len}");
                        fs.seek(SeekFrom::Start(off as u64)).unwrap();
                        let mut again = Vec::new();
                        fs.by_ref()
                            .take(len as u64)
                            .read_to_end(&mut again)
                            .unwrap();
                        assert_eq!(again, want, "{what} seek {off}");
                    }
                    if n > 0 {
                        assert_eq!(fs.seek(SeekFrom::End(-1)).unwrap(), n as u64 - 1);
                    }
                    fs.seek(SeekFrom::Start(0)).unwrap();
                    assert!(fs.seek(SeekFrom::Current(-1)).is_err());
                    assert_eq!(fs.position(), 0);
                }
            }
        }
    }
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn without_an_index_reading_works_and_seeking_says_why_not() {
    let plain = data(5000);
    let file = pack(
        &plain,
        512,
        Compression::Lz4,
        true,
        false,
        ChecksumKind::Crc32c,
    );
    let mut fs = open(file, true).unwrap();
    assert!(!fs.has_index());
    assert_eq!(fs.size(), 5000);
    let mut buf = [0u8; 16];
    let e = fs.read_at(10, &mut buf).unwrap_err();
    assert!(matches!(e, Error::NoIndex));
    assert!(e.to_string().contains("no index"), "{e}");
    let e = fs.seek(SeekFrom::Start(100)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::Unsupported);
    assert!(e.to_string().contains("without --no-index"), "{e}");
    assert_eq!(fs.stream_position().unwrap(), 0);
    let mut head = vec![0u8; 700];
    fs.read_exact(&mut head).unwrap();
    assert_eq!(fs.seek(SeekFrom::Start(700)).unwrap(), 700);
    let mut rest = Vec::new();
    fs.read_to_end(&mut rest).unwrap();
    head.extend_from_slice(&rest);
    assert_eq!(head, plain);
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn keys_limits_and_garbage_are_errors() {
    let plain = data(3000);
    let sealed = pack(
        &plain,
        1024,
        Compression::None,
        true,
        true,
        ChecksumKind::Crc32c,
    );
    let e = FileStream::from_source(sealed.clone(), None).unwrap_err();
    assert!(matches!(e, Error::Container(container::Error::KeyRequired)));
    let wrong = MasterKey::from_bytes(&[0x12; 32]);
    let e = FileStream::from_source(sealed.clone(), Some(wrong)).unwrap_err();
    assert!(
        matches!(e, Error::Container(container::Error::Authentication)),
        "{e:?}"
    );
    let open_one = pack(
        &plain,
        1024,
        Compression::None,
        false,
        true,
        ChecksumKind::Crc32c,
    );
    let e = FileStream::from_source(open_one, Some(key())).unwrap_err();
    assert!(matches!(e, Error::Container(container::Error::NotSealed)));
    let e = FileStreamOptions::new()
        .limit(512)
        .open_source(sealed, Some(key()))
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Container(container::Error::MaxPlainOverLimit {
            max_plain: 1024,
            limit: 512
        })
    ));
    for junk in [
        Vec::new(),
        b"SSTM".to_vec(),
        vec![0u8; 100],
        b"hello world, not a container".to_vec(),
    ] {
        assert!(FileStream::from_source(junk, None).is_err());
    }
}

/// Reads everything a stream gives; the error if any.
fn read_all(file: Vec<u8>, sealed: bool) -> Result<Vec<u8>, Error> {
    let mut fs = open(file, sealed)?;
    let mut out = Vec::new();
    fs.read_to_end(&mut out)?;
    if fs.has_index() {
        // Every frame at random too.
        for f in 0..fs.frame_count() {
            drop(fs.read_frame(f)?);
        }
    }
    Ok(out)
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn every_truncation_and_every_flipped_byte_is_an_error() {
    let plain = data(2500);
    for compression in COMPRESSIONS {
        for (sealed, index) in [(true, true), (false, true), (true, false), (false, false)] {
            let file = pack(
                &plain,
                1024,
                compression,
                sealed,
                index,
                ChecksumKind::Crc32c,
            );
            assert_eq!(read_all(file.clone(), sealed).unwrap(), plain);
            for cut in 0..file.len() {
                assert!(
                    read_all(file[..cut].to_vec(), sealed).is_err(),
                    "{compression} sealed {sealed} index {index}: cut at {cut} read fine"
                );
            }
            for at in 0..file.len() {
                let mut bad = file.clone();
                bad[at] ^= 0x20;
                assert!(
                    read_all(bad, sealed).is_err(),
                    "{compression} sealed {sealed} index {index}: flip at {at} read fine"
                );
            }
        }
    }
}

/// Rewrites the end section's index with `f` and fixes its CRC, as a forger would.
fn forge_index(file: &mut [u8], f: impl FnOnce(&mut [u8])) {
    let n = file.len();
    let end_len = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
    let start = n - end_len;
    f(&mut file[start + 28..n - 8]);
    let crc = checksum::crc32c(&file[start..n - 4]);
    file[n - 4..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn a_forged_index_with_a_good_crc_gives_errors_not_wrong_plaintext() {
    let plain = data(2400);
    for sealed in [true, false] {
        // Frames of 600 bytes in a stream that allows 1000.
        let opts = ContainerOptions::new().frame_size(1000);
        let mut w = if sealed {
            opts.sealed_writer_with_nonce(Vec::new(), &key(), NONCE)
                .unwrap()
        } else {
            opts.writer(Vec::new()).unwrap()
        };
        for part in plain.chunks(600) {
            w.write_all(part).unwrap();
            w.end_frame().unwrap();
        }
        let file = w.finish().unwrap();
        assert_eq!(read_all(file.clone(), sealed).unwrap(), plain);
        // Plaintext lengths moved between frames (stored lengths and sum kept).
        let mut bad = file.clone();
        forge_index(&mut bad, |idx| {
            idx[4..8].copy_from_slice(&500u32.to_le_bytes());
            idx[12..16].copy_from_slice(&700u32.to_le_bytes());
        });
        let fs = open(bad, sealed).unwrap();
        let mut buf = [0u8; 10];
        assert!(fs.read_at(550, &mut buf).is_err(), "sealed {sealed}");
        assert!(fs.read_at(0, &mut buf).is_err(), "sealed {sealed}");
        // Entries that do not add up to the layout are refused at open.
        let mut bad = file.clone();
        forge_index(&mut bad, |idx| idx[0] ^= 1);
        assert!(open(bad, sealed).is_err());
        let mut bad = file;
        forge_index(&mut bad, |idx| idx[4] ^= 1);
        assert!(matches!(
            open(bad, sealed).unwrap_err(),
            Error::Container(container::Error::EndMismatch(EndField::PlainLength))
        ));
    }
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn read_at_from_several_threads_at_once_matches_the_plaintext() {
    let plain = data(200_000);
    let file = pack(
        &plain,
        4096,
        Compression::Deflate,
        true,
        true,
        ChecksumKind::Xxh3,
    );
    let fs = open(file, true).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (fs, plain) = (&fs, &plain);
            s.spawn(move || {
                let mut x = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for _ in 0..40 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let off = x % 200_000;
                    let len = (x >> 32) as usize % 9000;
                    let mut buf = vec![0u8; len];
                    let n = fs.read_at(off, &mut buf).unwrap();
                    let end = (off as usize + len).min(plain.len());
                    assert_eq!(&buf[..n], &plain[off as usize..end]);
                }
            });
        }
    });
    let st = fs.pool().stats();
    assert_eq!(st.outstanding_bytes, 0, "every frame buffer came back");
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn chunks_come_frame_by_frame_from_the_pool() {
    let plain = data(10_000);
    let file = pack(
        &plain,
        4096,
        Compression::Lz4,
        false,
        true,
        ChecksumKind::Crc32c,
    );
    let mut fs = open(file, false).unwrap();
    assert_eq!(fs.frame_count(), 3);
    assert_eq!(fs.frame_range(1).unwrap(), Some(4096..8192));
    assert_eq!(fs.frame_at(8192).unwrap(), Some(2));
    let p = fs.read_frame(2).unwrap();
    assert_eq!((p.frame(), p.offset()), (2, 8192));
    assert_eq!(&p[..], &plain[8192..]);
    drop(p);
    // BufRead hands out one frame at a time, without a copy.
    let mut at = 0;
    loop {
        let chunk = fs.fill_buf().unwrap();
        if chunk.is_empty() {
            break;
        }
        assert!(chunk.len() <= 4096);
        assert_eq!(chunk, &plain[at..at + chunk.len()]);
        let n = chunk.len();
        at += n;
        fs.consume(n);
    }
    assert_eq!(at, plain.len());
    assert!(matches!(
        fs.read_frame(3).unwrap_err(),
        Error::Container(container::Error::EndMismatch(EndField::FrameCount))
    ));
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn a_real_file_opens_by_path() {
    let plain = data(50_000);
    let bytes = pack(
        &plain,
        8192,
        Compression::Lz4,
        true,
        true,
        ChecksumKind::Crc32c,
    );
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(&bytes).unwrap();
    let fs = FileStream::open(tmp.path(), Some(key())).unwrap();
    let mut buf = vec![0u8; 20_000];
    fs.read_exact_at(&mut buf, 12_345).unwrap();
    assert_eq!(&buf[..], &plain[12_345..32_345]);
    let e = fs.read_exact_at(&mut buf, 40_000).unwrap_err();
    assert!(matches!(e, Error::Io(ref io) if io.kind() == io::ErrorKind::UnexpectedEof));
}

/// A source that counts the bytes read from it.
struct Counting<S> {
    inner: S,
    bytes: AtomicU64,
}

impl<S: ReadAt> ReadAt for Counting<S> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let n = self.inner.read_at(buf, offset)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn size(&self) -> io::Result<u64> {
        self.inner.size()
    }
}

/// A sealed container of `frames` frames of `frame_plain` bytes of
/// [`pattern`], compression none, with an index, made up lazily: each frame is
/// sealed when read (the last one made is kept), the end section is computed.
struct VirtualSealed {
    codec: FrameCodec,
    frames: u64,
    frame_plain: usize,
    frame_len: u64,
    end: Vec<u8>,
    last: Mutex<Option<(u64, Vec<u8>)>>,
}

impl VirtualSealed {
    fn new(frames: u64, frame_plain: u32) -> Self {
        let config = container::Config::new(ChecksumKind::Crc32c, frame_plain).with_sealed(true);
        let header = Header {
            config,
            nonce: NONCE,
        };
        let codec = FrameCodec::new(&header, Some(&key())).unwrap();
        let stored = frame_plain + 16;
        let frame_len = frame::header_len(ChecksumKind::Crc32c) as u64 + u64::from(stored);
        let mut end = Vec::new();
        end.extend_from_slice(&END_MARK.to_le_bytes());
        end.extend_from_slice(&frames.to_le_bytes());
        end.extend_from_slice(&(frames * u64::from(frame_plain)).to_le_bytes());
        end.extend_from_slice(&frames.to_le_bytes());
        for _ in 0..frames {
            end.extend_from_slice(&stored.to_le_bytes());
            end.extend_from_slice(&frame_plain.to_le_bytes());
        }
        let end_len = (END_FIXED_LEN + 8 * frames as usize) as u32;
        end.extend_from_slice(&end_len.to_le_bytes());
        let crc = checksum::crc32c(&end);
        end.extend_from_slice(&crc.to_le_bytes());
        Self {
            codec,
            frames,
            frame_plain: frame_plain as usize,
            frame_len,
            end,
            last: Mutex::new(None),
        }
    }

    fn frame(&self, k: u64) -> Vec<u8> {
        let mut last = self.last.lock().unwrap();
        if let Some((at, bytes)) = &*last
            && *at == k
        {
            return bytes.clone();
        }
        let base = k * self.frame_plain as u64;
        let plain: Vec<u8> = (base..base + self.frame_plain as u64)
            .map(pattern)
            .collect();
        let mut out = vec![0u8; self.codec.encode_buffer_len(plain.len())];
        let e = self
            .codec
            .encode(k, k + 1 == self.frames, &plain, &mut out)
            .unwrap();
        out.truncate(e.len);
        *last = Some((k, out.clone()));
        out
    }
}

impl ReadAt for VirtualSealed {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let pre = self.codec.preamble();
        let pre_len = pre.len() as u64;
        let end_at = pre_len + self.frames * self.frame_len;
        let (part, at): (Vec<u8>, u64) = if offset < pre_len {
            (pre.to_vec(), 0)
        } else if offset < end_at {
            let k = (offset - pre_len) / self.frame_len;
            (self.frame(k), pre_len + k * self.frame_len)
        } else {
            (self.end.clone(), end_at)
        };
        let skip = (offset - at) as usize;
        let src = part.get(skip..).unwrap_or_default();
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        Ok(n)
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.codec.preamble().len() as u64
            + self.frames * self.frame_len
            + self.end.len() as u64)
    }
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn the_virtual_sealed_file_is_what_the_container_writer_writes() {
    let v = VirtualSealed::new(3, 1000);
    let mut bytes = vec![0u8; v.size().unwrap() as usize];
    v.read_exact_at(&mut bytes, 0).unwrap();
    let real = pack(
        &data(3000),
        1000,
        Compression::None,
        true,
        true,
        ChecksumKind::Crc32c,
    );
    assert_eq!(bytes, real);
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn reading_4k_at_random_offsets_of_a_sealed_1_gib_file_reads_one_or_two_frames() {
    const FRAME: u32 = 64 * 1024;
    let frames = (1u64 << 30) / u64::from(FRAME);
    let src = Counting {
        inner: VirtualSealed::new(frames, FRAME),
        bytes: AtomicU64::new(0),
    };
    let fs = FileStream::from_source(src, Some(key())).unwrap();
    assert_eq!(fs.size(), 1 << 30);
    let opened = fs.get_ref().bytes.swap(0, Ordering::Relaxed);
    // Open: preamble, tail, end section (twice: CRC, then entries), final frame.
    let frame_len = fs.get_ref().inner.frame_len;
    assert!(
        opened < 32 + 8 + 2 * (36 + 8 * frames) + frame_len,
        "open read {opened}"
    );
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut two = 0;
    for _ in 0..12 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut off = x % ((1 << 30) - 4096);
        if two == 0 {
            off = 5 * u64::from(FRAME) - 100; // across a frame boundary
        }
        let mut buf = [0u8; 4096];
        fs.read_exact_at(&mut buf, off).unwrap();
        let want: Vec<u8> = (off..off + 4096).map(pattern).collect();
        assert_eq!(&buf[..], &want[..]);
        let read = fs.get_ref().bytes.swap(0, Ordering::Relaxed);
        let spans = (off + 4095) / u64::from(FRAME) - off / u64::from(FRAME) + 1;
        assert_eq!(
            read,
            spans * frame_len,
            "at {off}: whole frames, only those holding the range"
        );
        assert!(spans <= 2);
        two += usize::from(spans == 2);
    }
    assert!(two >= 1);
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn memory_stays_a_few_frames_whatever_the_length() {
    let plain = data(300_000);
    for (compression, index) in [(Compression::Lz4, true), (Compression::Deflate, false)] {
        let file = pack(&plain, 2048, compression, true, index, ChecksumKind::Crc32c);
        let pool = BufferPool::new(
            pool::Config::default()
                .min_size(1024)
                .max_size(1 << 16)
                .thread_cache(false),
        );
        let mut fs = FileStreamOptions::new()
            .pool(pool.clone())
            .open_source(file, Some(key()))
            .unwrap();
        let mut got = Vec::new();
        fs.read_to_end(&mut got).unwrap();
        assert!(got == plain);
        // A frame buffer (4 KiB class) and a plaintext buffer (2 KiB class),
        // and the one being replaced: far below the 147 frames.
        let high = pool.stats().outstanding_high_water;
        assert!(
            high <= 2 * (4096 + 2048),
            "{compression}: {high} bytes out at once"
        );
        drop(fs);
        assert_eq!(pool.stats().outstanding_bytes, 0);
    }
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn without_an_index_a_bad_frame_ends_the_plaintext_before_it() {
    let plain = data(5000);
    let file = pack(
        &plain,
        1000,
        Compression::None,
        true,
        false,
        ChecksumKind::Crc32c,
    );
    // Frame 3's first stored byte: preamble 32, frames of 8 + 1016 bytes.
    let mut bad = file.clone();
    bad[32 + 3 * 1024 + 8] ^= 1;
    let mut fs = open(bad, true).unwrap();
    let mut got = Vec::new();
    let e = Error::from(fs.read_to_end(&mut got).unwrap_err());
    // The checksum catches it before the tag is tried.
    assert!(
        matches!(
            e,
            Error::Container(container::Error::BadChecksum { frame: 3 })
        ),
        "{e:?}"
    );
    assert_eq!(got, plain[..3000]);
    let mut buf = [0u8; 8];
    assert!(fs.read(&mut buf).is_err(), "the error stays");
    // Past the end: reads return nothing.
    let mut fs = open(file, true).unwrap();
    let mut all = Vec::new();
    fs.read_to_end(&mut all).unwrap();
    assert_eq!(fs.read(&mut buf).unwrap(), 0);
    assert!(all == plain);
}

#[test]
#[cfg_attr(miri, ignore = "safe code; files and sealing are too slow under Miri")]
fn a_seek_past_the_end_reads_nothing() {
    let plain = data(3000);
    let file = pack(
        &plain,
        1000,
        Compression::Lz4,
        false,
        true,
        ChecksumKind::Crc32c,
    );
    let mut fs = open(file, false).unwrap();
    assert_eq!(fs.seek(SeekFrom::Start(10_000)).unwrap(), 10_000);
    let mut buf = [0u8; 8];
    assert_eq!(fs.read(&mut buf).unwrap(), 0);
    assert_eq!(fs.read_at(3000, &mut buf).unwrap(), 0);
    assert_eq!(fs.read_at(2996, &mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], &plain[2996..]);
    assert_eq!(fs.frame_at(3000).unwrap(), None);
    assert_eq!(fs.frame_range(3).unwrap(), None);
}

#[test]
fn a_file_stream_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FileStream<File>>();
    send_sync::<FileStream<Vec<u8>>>();
    send_sync::<Plaintext>();
}

#[test]
#[cfg_attr(miri, ignore = "sealing is too slow under Miri")]
fn extreme_offsets_and_seeks_are_errors_or_end_of_stream_never_panics() {
    let plain = data(10_000);
    let file = pack(
        &plain,
        4096,
        Compression::Lz4,
        true,
        true,
        ChecksumKind::Crc32c,
    );
    let mut fs = open(file, true).unwrap();
    let mut buf = [0u8; 64];
    for at in [10_000, 10_001, u64::MAX - 1, u64::MAX] {
        assert_eq!(fs.read_at(at, &mut buf).unwrap(), 0, "{at}");
        assert!(fs.read_exact_at(&mut buf, at).is_err(), "{at}");
        assert_eq!(fs.frame_at(at).unwrap(), None);
    }
    // A read that starts in the stream and would run past u64::MAX stops at the end.
    assert_eq!(fs.read_at(9_990, &mut buf).unwrap(), 10);
    assert_eq!(fs.frame_range(u64::MAX).unwrap(), None);
    assert!(matches!(
        fs.read_frame(u64::MAX),
        Err(Error::Container(container::Error::EndMismatch(_)))
    ));

    assert_eq!(fs.seek(SeekFrom::Start(u64::MAX)).unwrap(), u64::MAX);
    assert_eq!(fs.read(&mut buf).unwrap(), 0);
    let e = fs.seek(SeekFrom::Current(1)).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("past u64::MAX"), "{e}");
    assert_eq!(fs.position(), u64::MAX, "a failed seek does not move");
    assert_eq!(
        fs.seek(SeekFrom::Current(i64::MIN)).unwrap(),
        u64::MAX - (1 << 63)
    );
    let e = fs.seek(SeekFrom::End(i64::MIN)).unwrap_err();
    assert!(e.to_string().contains("before the start"), "{e}");
    assert_eq!(
        fs.seek(SeekFrom::End(i64::MAX)).unwrap(),
        10_000 + i64::MAX as u64
    );
    assert_eq!(fs.read(&mut buf).unwrap(), 0);
    fs.seek(SeekFrom::End(-5)).unwrap();
    let mut rest = Vec::new();
    fs.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, plain[9_995..]);
}
