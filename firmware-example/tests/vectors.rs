//! The shared test vectors (`tests/vectors/`, wire contract, container
//! version 2) on the microcontroller, through defmt-test under QEMU, on both
//! cores: each `<name>.bin` must read to exactly the payloads of
//! `<name>.payloads`, and the core must write the bytes of `<name>.bin` from
//! those payloads. The same checks as the host's `tests/tests/vectors.rs`,
//! without an allocator.
//!
//! Every container vector (each compression, sealed or not, with or without
//! an index, every checksum, and the edge cases) is read three ways: fed
//! whole to a lazy reader with no frame buffer at all (frames are opened in
//! the input), fed one byte at a time to a reader with a frame buffer, and
//! fed whole to the keyless verifier. Uncompressed streams read with `()`,
//! LZ4 with [`Lz4Decompressor`] (no inflate state), deflate with
//! [`Decompressor`], whose 10.5 KB inflate state lives on the stack of that
//! test only, so it fits the Cortex-M0's 16 KiB of RAM too.
//!
//! Writing: uncompressed and LZ4 streams are written byte for byte (LZ4 on
//! the Cortex-M4F only: its compressor's hash tables take about 20 KiB of
//! stack, more than the Cortex-M0's 16 KiB of RAM). Without
//! the core's `alloc` feature a writer keeps no index and cannot deflate, so
//! `*-index*` vectors are compared up to their end section and deflate
//! vectors are read only.
#![no_std]
#![no_main]

use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{Compression, Decompress, Decompressor, Lz4Decompressor};
use secstream_core::container::{self, Config, Feed, Reader, Writer};
use secstream_core::seal::MasterKey;
// The panic handler, the defmt logger and the semihosting exit.
use secstream_firmware_example as fw;

/// The payloads of a `.payloads` file: `u32` LE length, then the bytes.
struct Payloads<'a>(&'a [u8]);

impl<'a> Iterator for Payloads<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        let (payload, rest) = rest.split_at_checked(len)?;
        self.0 = rest;
        Some(payload)
    }
}

/// One vector: its options, the encoded stream and its payloads.
struct Vector {
    name: &'static str,
    kind: ChecksumKind,
    compression: Compression,
    sealed: bool,
    index: bool,
    /// How many payloads the `.payloads` file lists.
    count: usize,
    bin: &'static [u8],
    payloads: &'static [u8],
}

impl Vector {
    const fn config(&self) -> Config {
        Config::new(self.kind, MAX_PLAIN)
            .with_compression(self.compression)
            .with_sealed(self.sealed)
    }
}

/// One vector file pair `<stem>.bin`, `<stem>.payloads`.
macro_rules! vector {
    ($stem:expr, $kind:ident, $comp:ident, $sealed:literal, $index:literal, $count:literal) => {
        Vector {
            name: $stem,
            kind: ChecksumKind::$kind,
            compression: Compression::$comp,
            sealed: $sealed,
            index: $index,
            count: $count,
            bin: include_bytes!(concat!("../../tests/vectors/", $stem, ".bin")),
            payloads: include_bytes!(concat!("../../tests/vectors/", $stem, ".payloads")),
        }
    };
}

/// The five checksum variants `<prefix>-<checksum>` of one format.
macro_rules! vectors {
    ($prefix:literal, $comp:ident, $sealed:literal, $index:literal) => {
        [
            vector!(concat!($prefix, "-none"), None, $comp, $sealed, $index, 6),
            vector!(concat!($prefix, "-crc16"), Crc16, $comp, $sealed, $index, 6),
            vector!(concat!($prefix, "-crc32"), Crc32, $comp, $sealed, $index, 6),
            vector!(
                concat!($prefix, "-crc32c"),
                Crc32c,
                $comp,
                $sealed,
                $index,
                6
            ),
            vector!(concat!($prefix, "-xxh3"), Xxh3, $comp, $sealed, $index, 6),
        ]
    };
}

const FRAMES: [Vector; 5] = vectors!("frames", None, false, false);
const COBS: [Vector; 5] = vectors!("cobs", None, false, false);

/// Every `container-<compression>[-sealed][-index]-<checksum>` vector.
const CONTAINERS: [[Vector; 5]; 12] = [
    vectors!("container-none", None, false, false),
    vectors!("container-none-index", None, false, true),
    vectors!("container-none-sealed", None, true, false),
    vectors!("container-none-sealed-index", None, true, true),
    vectors!("container-lz4", Lz4, false, false),
    vectors!("container-lz4-index", Lz4, false, true),
    vectors!("container-lz4-sealed", Lz4, true, false),
    vectors!("container-lz4-sealed-index", Lz4, true, true),
    vectors!("container-deflate", Deflate, false, false),
    vectors!("container-deflate-index", Deflate, false, true),
    vectors!("container-deflate-sealed", Deflate, true, false),
    vectors!("container-deflate-sealed-index", Deflate, true, true),
];

/// The edge cases (CRC-32C, with an index): no frames; a sealed stream that is
/// only its empty final frame; two frames of exactly `max_plain` bytes (one
/// incompressible) per compression, sealed or not.
const EDGES: [Vector; 6] = [
    vector!("edge-empty-stream", Crc32c, None, false, true, 0),
    vector!("edge-sealed-only-final", Crc32c, None, true, true, 1),
    vector!("edge-max-plain-lz4", Crc32c, Lz4, false, true, 2),
    vector!("edge-max-plain-lz4-sealed", Crc32c, Lz4, true, true, 2),
    vector!("edge-max-plain-deflate", Crc32c, Deflate, false, true, 2),
    vector!(
        "edge-max-plain-deflate-sealed",
        Crc32c,
        Deflate,
        true,
        true,
        2
    ),
];

/// Master key of the sealed vectors: bytes 0x00..=0x1f.
const MASTER: [u8; 32] = {
    let mut k = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        k[i] = i as u8;
        i += 1;
    }
    k
};
/// Stream nonce of the sealed vectors: bytes 0x40..=0x4f.
const STREAM_NONCE: [u8; 16] = *b"@ABCDEFGHIJKLMNO";
/// `max_plain` of the vectors' containers (and the raw frames' maximum).
const MAX_PLAIN: u32 = 1024;
/// Room for the largest vector file (a copy, since containers decrypt in
/// place), a frame buffer for the largest stored frame, or a writer's output
/// for a frame of `MAX_PLAIN` bytes.
const SCRATCH: usize = 1280;
/// The same for the deflate vectors, which are only read: the largest one
/// (1178 bytes) or its largest stored frame.
const DEFLATE_SCRATCH: usize = 1184;
/// Decompressed frames: `MAX_PLAIN`.
const PLAIN: usize = MAX_PLAIN as usize;

/// Checks that the payload file lists `v.count` payloads and nothing else.
fn check_payload_file(v: &Vector) {
    let mut it = Payloads(v.payloads);
    defmt::assert_eq!(it.by_ref().count(), v.count, "{=str}", v.name);
    defmt::assert!(it.0.is_empty(), "{=str}: trailing bytes", v.name);
}

/// Compares each written piece with the next bytes of the vector.
struct Expect<'a> {
    name: &'a str,
    bin: &'a [u8],
    at: usize,
}

impl Expect<'_> {
    fn piece(&mut self, written: &[u8]) {
        let end = self.at + written.len();
        defmt::assert_eq!(
            self.bin.get(self.at..end),
            Some(written),
            "{=str}",
            self.name
        );
        self.at = end;
    }

    fn done(&self) {
        defmt::assert_eq!(self.at, self.bin.len(), "{=str}", self.name);
    }
}

/// Writes the container of `v` (not deflate) into `scratch` piece by piece
/// and compares it byte for byte: all of it, or without an index writer, up
/// to the end section.
fn write_container(v: &Vector, scratch: &mut [u8]) {
    let mut w = if v.sealed {
        defmt::unwrap!(Writer::new_sealed(
            v.config(),
            &MasterKey::from_bytes(&MASTER),
            STREAM_NONCE
        ))
    } else {
        defmt::unwrap!(Writer::new(v.config()))
    };
    let mut expect = Expect {
        name: v.name,
        bin: v.bin,
        at: 0,
    };
    let count = Payloads(v.payloads).count();
    for (i, p) in Payloads(v.payloads).enumerate() {
        defmt::assert!(w.max_encoded_len(p.len()) <= scratch.len());
        let n = if v.sealed && i + 1 == count {
            defmt::unwrap!(w.encode_last(p, scratch))
        } else {
            defmt::unwrap!(w.encode_frame(p, scratch))
        };
        expect.piece(&scratch[..n]);
    }
    if v.index {
        // The end section would hold the index (`alloc` feature); the frames
        // before it were compared.
        defmt::assert!(expect.at + container::END_FIXED_LEN < v.bin.len());
        return;
    }
    defmt::assert!(w.max_finish_len() <= scratch.len());
    let n = defmt::unwrap!(w.finish(scratch));
    expect.piece(&scratch[..n]);
    expect.done();
}

/// How a reader is set up.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// With the key for a sealed vector, without for an unsealed one.
    Normal,
    /// The keyless verifier.
    Verify,
}

fn reader<B: AsMut<[u8]>>(v: &Vector, mode: Mode, buf: B) -> Reader<B> {
    match mode {
        Mode::Verify => Reader::verifier(buf),
        Mode::Normal if v.sealed => Reader::new_sealed(buf, MasterKey::from_bytes(&MASTER)),
        Mode::Normal => Reader::new(buf),
    }
}

/// Checks one event of a reader of `v`: the header's options, each payload
/// (the stored bytes for a sealed stream read keyless), the end. Returns the
/// bytes consumed, or `None` once the reader needs more input.
fn check_event(
    v: &Vector,
    mode: Mode,
    event: Result<Feed<'_>, container::Error>,
    want: &mut Payloads<'_>,
    frames: &mut usize,
    ended: &mut bool,
) -> Option<usize> {
    match defmt::unwrap!(event) {
        Feed::NeedMore => None,
        Feed::Header { header, consumed } => {
            defmt::assert_eq!(header.config, v.config(), "{=str}", v.name);
            Some(consumed)
        }
        Feed::NeedBuffer { len, .. } => {
            defmt::panic!("{=str}: asks for a buffer of {=usize}", v.name, len)
        }
        Feed::Frame { payload, consumed } => {
            let expected = want.next();
            if mode == Mode::Verify && v.sealed {
                // Stored bytes: ciphertext (compressed plaintext) and tag.
                defmt::assert!(expected.is_some(), "{=str}", v.name);
                defmt::assert!(payload.len() >= 16, "{=str}", v.name);
            } else {
                defmt::assert_eq!(Some(payload), expected, "{=str}", v.name);
            }
            *frames += 1;
            Some(consumed)
        }
        Feed::End { consumed } => {
            *ended = true;
            Some(consumed)
        }
    }
}

/// Reads the container of `v` with `d`: fed whole (a copy in `scratch`) to a
/// lazy reader without a frame buffer, then one byte at a time to a reader
/// whose frame buffer is `scratch`; then fed whole to the keyless verifier.
fn read_container<D: Decompress>(v: &Vector, scratch: &mut [u8], d: &mut D) {
    for mode in [Mode::Normal, Mode::Verify] {
        read_whole(v, mode, scratch, d);
    }
    read_bytes(v, scratch, d);
}

/// Feeds a copy of `v` in `scratch` to a lazy reader without a frame buffer.
/// Not inlined (as [`read_bytes`]): the two readers never share a stack
/// frame, which keeps the deflate test within the Cortex-M0's RAM.
#[inline(never)]
fn read_whole<D: Decompress>(v: &Vector, mode: Mode, scratch: &mut [u8], d: &mut D) {
    let len = v.bin.len();
    let wire = defmt::unwrap!(scratch.get_mut(..len));
    wire.copy_from_slice(v.bin);
    let no_buffer: &mut [u8] = &mut [];
    let mut r = reader(v, mode, no_buffer).lazy().with_decompressor(d);
    let mut want = Payloads(v.payloads);
    let (mut frames, mut ended) = (0, false);
    let mut input = wire;
    while let Some(n) = check_event(v, mode, r.feed(input), &mut want, &mut frames, &mut ended) {
        input = &mut input[n..];
    }
    defmt::assert!(input.is_empty(), "{=str}", v.name);
    defmt::unwrap!(r.finish());
    defmt::assert!(ended && want.next().is_none(), "{=str}", v.name);
    defmt::assert_eq!(frames, v.count, "{=str}", v.name);
}

/// Feeds `v` one byte at a time to a reader whose frame buffer is `scratch`.
#[inline(never)]
fn read_bytes<D: Decompress>(v: &Vector, scratch: &mut [u8], d: &mut D) {
    let mut r = reader(v, Mode::Normal, scratch).with_decompressor(d);
    let mut want = Payloads(v.payloads);
    let (mut frames, mut ended) = (0, false);
    for &byte in v.bin {
        let mut one = [byte];
        let mut input = &mut one[..];
        while let Some(n) = check_event(
            v,
            Mode::Normal,
            r.feed(input),
            &mut want,
            &mut frames,
            &mut ended,
        ) {
            input = &mut input[n..];
            if input.is_empty() {
                break;
            }
        }
    }
    defmt::unwrap!(r.finish());
    defmt::assert!(ended && want.next().is_none(), "{=str}", v.name);
    defmt::assert_eq!(frames, v.count, "{=str}", v.name);
}

/// Feeds `wire` whole to a reader of `v` and returns how it ends.
fn read_result<D: Decompress>(
    v: &Vector,
    wire: &mut [u8],
    key: Option<MasterKey>,
    d: &mut D,
) -> Result<(), container::Error> {
    let no_buffer: &mut [u8] = &mut [];
    let r = match key {
        Some(k) => Reader::new_sealed(no_buffer, k),
        None => reader(v, Mode::Normal, no_buffer),
    };
    let mut r = r.lazy().with_decompressor(d);
    let mut input = wire;
    loop {
        let consumed = match r.feed(input)? {
            Feed::NeedMore => break,
            Feed::Header { consumed, .. }
            | Feed::NeedBuffer { consumed, .. }
            | Feed::Frame { consumed, .. }
            | Feed::End { consumed } => consumed,
        };
        input = &mut input[consumed..];
    }
    r.finish()
}

/// The length of `v` up to its end section (no index: the fixed part).
fn n_before_end(v: &Vector) -> usize {
    defmt::assert!(!v.index);
    v.bin.len() - container::END_FIXED_LEN
}

/// Logs the stack high-water mark of the tests so far (the RAM report).
fn log_stack(test: &str) {
    defmt::info!("{=str}: stack peak {=usize} bytes", test, fw::stack::peak());
}

#[defmt_test::tests]
mod tests {
    use secstream_core::cobs;
    use secstream_core::frame;

    use super::*;

    #[init]
    fn init() {
        fw::stack::paint();
    }

    #[test]
    fn frames_vectors() {
        for v in &FRAMES {
            check_payload_file(v);
            let mut expect = Expect {
                name: v.name,
                bin: v.bin,
                at: 0,
            };
            let mut buf = [0u8; SCRATCH];
            for p in Payloads(v.payloads) {
                let n = defmt::unwrap!(frame::encode_into(v.kind, p, &mut buf));
                expect.piece(&buf[..n]);
            }
            expect.done();

            for chunk in [v.bin.len(), 1] {
                let mut want = Payloads(v.payloads);
                let mut dec = frame::Decoder::new(v.kind, MAX_PLAIN, &mut buf[..]);
                for mut c in v.bin.chunks(chunk) {
                    while let frame::Feed::Frame { payload, consumed } = defmt::unwrap!(dec.feed(c))
                    {
                        defmt::assert_eq!(Some(payload), want.next(), "{=str}", v.name);
                        c = &c[consumed..];
                    }
                }
                defmt::unwrap!(dec.finish());
                defmt::assert!(want.next().is_none(), "{=str}", v.name);
            }
        }
    }

    #[test]
    fn cobs_vectors() {
        for v in &COBS {
            check_payload_file(v);
            let mut expect = Expect {
                name: v.name,
                bin: v.bin,
                at: 0,
            };
            let mut buf = [0u8; SCRATCH];
            for p in Payloads(v.payloads) {
                let n = defmt::unwrap!(cobs::encode_into(v.kind, p, &mut buf));
                expect.piece(&buf[..n]);
            }
            expect.done();

            for chunk in [v.bin.len(), 1] {
                let mut want = Payloads(v.payloads);
                let mut dec = cobs::Decoder::new(v.kind, MAX_PLAIN, &mut buf[..]);
                for mut c in v.bin.chunks(chunk) {
                    loop {
                        match dec.feed(c) {
                            cobs::Feed::NeedMore => break,
                            cobs::Feed::Frame { payload, consumed } => {
                                defmt::assert_eq!(Some(payload), want.next(), "{=str}", v.name);
                                c = &c[consumed..];
                            }
                            cobs::Feed::Rejected { error, .. } => {
                                defmt::panic!("{=str}: {}", v.name, error)
                            }
                        }
                    }
                }
                defmt::unwrap!(dec.finish());
                defmt::assert!(want.next().is_none(), "{=str}", v.name);
            }
        }
    }

    #[test]
    fn uncompressed_container_vectors() {
        let mut scratch = [0u8; SCRATCH];
        let mut read = 0;
        for v in CONTAINERS.iter().flatten().chain(&EDGES) {
            if v.compression != Compression::None {
                continue;
            }
            check_payload_file(v);
            write_container(v, &mut scratch);
            read_container(v, &mut scratch, &mut ());
            read += 1;
        }
        defmt::assert_eq!(read, 22);
        log_stack("uncompressed");
    }

    #[test]
    fn deflate_container_vectors() {
        let mut scratch = [0u8; DEFLATE_SCRATCH];
        // The inflate state (10.5 KB) is on this test's stack only.
        let mut inflate = Decompressor::new([0u8; PLAIN]);
        let mut read = 0;
        for v in CONTAINERS.iter().flatten().chain(&EDGES) {
            if v.compression != Compression::Deflate {
                continue;
            }
            check_payload_file(v);
            read_container(v, &mut scratch, &mut inflate);
            read += 1;
        }
        defmt::assert_eq!(read, 22);
        log_stack("deflate");
    }

    #[test]
    fn lz4_container_vectors() {
        let mut scratch = [0u8; SCRATCH];
        // LZ4 needs nothing but the output buffer.
        let mut lz4 = Lz4Decompressor::new([0u8; PLAIN]);
        let mut read = 0;
        for v in CONTAINERS.iter().flatten().chain(&EDGES) {
            if v.compression != Compression::Lz4 {
                continue;
            }
            check_payload_file(v);
            // LZ4 compression takes lz4_flex's hash tables, about 20 KiB of
            // stack: more than the Cortex-M0's RAM. Reading needs none.
            #[cfg(not(small_ram))]
            write_container(v, &mut scratch);
            read_container(v, &mut scratch, &mut lz4);
            read += 1;
        }
        defmt::assert_eq!(read, 22);
        log_stack("lz4");
    }

    #[test]
    fn damaged_vectors_are_refused() {
        let mut scratch = [0u8; SCRATCH];
        let mut lz4 = Lz4Decompressor::new([0u8; PLAIN]);
        // A sealed vector with another key: one opaque error.
        let v = &CONTAINERS[6][3];
        let n = v.bin.len();
        scratch[..n].copy_from_slice(v.bin);
        let other = MasterKey::from_bytes(&[0xFF; 32]);
        defmt::assert_eq!(
            read_result(v, &mut scratch[..n], Some(other), &mut lz4),
            Err(container::Error::Authentication)
        );
        // Cut at the end mark (every frame there): truncated, sealed and not.
        for v in [&CONTAINERS[4][3], &CONTAINERS[6][3]] {
            let cut = n_before_end(v);
            scratch[..cut].copy_from_slice(&v.bin[..cut]);
            defmt::assert_eq!(
                read_result(v, &mut scratch[..cut], None, &mut lz4),
                Err(container::Error::Truncated)
            );
            // A byte after the end section.
            let n = v.bin.len();
            scratch[..n].copy_from_slice(v.bin);
            scratch[n] = 0;
            defmt::assert_eq!(
                read_result(v, &mut scratch[..=n], None, &mut lz4),
                Err(container::Error::TrailingData)
            );
        }
        // A deflate stream offered to the LZ4-only decompressor.
        let v = &CONTAINERS[8][3];
        let n = v.bin.len();
        scratch[..n].copy_from_slice(v.bin);
        defmt::assert_eq!(
            read_result(v, &mut scratch[..n], None, &mut lz4),
            Err(container::Error::Decompress(
                secstream_core::compress::Error::Unsupported
            ))
        );
    }
}
