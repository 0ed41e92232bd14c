//! The shared test vectors (`tests/vectors/`, wire contract v1) on the
//! microcontroller, through defmt-test under QEMU: each `<name>.bin` must
//! read to exactly the payloads of `<name>.payloads`, fed whole and one byte
//! at a time, and the core must write exactly the bytes of `<name>.bin` from
//! those payloads. The same checks as the host's `tests/tests/vectors.rs`,
//! without an allocator.
//!
//! Writing deflate containers needs the core's `alloc` feature, so the
//! `*deflate*` vectors are only read here. Reading them needs the 10.5 KB
//! inflate state, which the Cortex-M0 build (16 KiB of RAM on QEMU's
//! microbit) leaves out (`cfg(small_ram)`, set by `build.rs`).
#![no_std]
#![no_main]

// The panic handler, the defmt logger and the semihosting exit.
use secstream_firmware_example as _;

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

/// One vector: its checksum, the encoded stream and its payloads.
struct Vector {
    name: &'static str,
    kind: secstream_core::checksum::ChecksumKind,
    bin: &'static [u8],
    payloads: &'static [u8],
}

/// The five checksum variants of one format, from `tests/vectors/`.
macro_rules! vectors {
    ($format:literal) => {
        [
            vectors!(@one $format, "none", None),
            vectors!(@one $format, "crc16", Crc16),
            vectors!(@one $format, "crc32", Crc32),
            vectors!(@one $format, "crc32c", Crc32c),
            vectors!(@one $format, "xxh3", Xxh3),
        ]
    };
    (@one $format:literal, $sum:literal, $kind:ident) => {
        Vector {
            name: concat!($format, "-", $sum),
            kind: secstream_core::checksum::ChecksumKind::$kind,
            bin: include_bytes!(concat!("../../tests/vectors/", $format, "-", $sum, ".bin")),
            payloads: include_bytes!(concat!(
                "../../tests/vectors/",
                $format,
                "-",
                $sum,
                ".payloads"
            )),
        }
    };
}

const FRAMES: [Vector; 5] = vectors!("frames");
const COBS: [Vector; 5] = vectors!("cobs");
const CONTAINER: [Vector; 5] = vectors!("container");
const CONTAINER_SEALED: [Vector; 5] = vectors!("container-sealed");
#[cfg(not(small_ram))]
const CONTAINER_DEFLATE: [Vector; 5] = vectors!("container-deflate");
#[cfg(not(small_ram))]
const CONTAINER_SEALED_DEFLATE: [Vector; 5] = vectors!("container-sealed-deflate");

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
/// Maximum frame length in the vectors' container headers.
const MAX_FRAME_LEN: u32 = 1024;
/// Frame buffers: the largest payload (300 bytes) plus a tag and checksum.
const BUF: usize = 512;
/// Room for the largest vector file (a copy, since containers decrypt in place).
const WIRE: usize = 1024;
/// Every vector holds these six payloads.
const PAYLOADS: usize = 6;

/// Checks that the payload file lists six payloads and nothing else.
fn check_payload_file(v: &Vector) {
    let mut it = Payloads(v.payloads);
    defmt::assert_eq!(it.by_ref().count(), PAYLOADS, "{=str}", v.name);
    defmt::assert!(it.0.is_empty(), "{=str}: trailing bytes", v.name);
}

use secstream_core::container::{self, Header, Reader, Writer};
use secstream_core::seal::MasterKey;

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

/// Writes the container of `v` and compares it byte for byte.
fn write_container(v: &Vector, sealed: bool) {
    let header = Header::new(v.kind, MAX_FRAME_LEN);
    let mut w = if sealed {
        defmt::unwrap!(Writer::new_sealed(
            header,
            &MasterKey::from_bytes(&MASTER),
            STREAM_NONCE
        ))
    } else {
        defmt::unwrap!(Writer::new(header))
    };
    let mut expect = Expect {
        name: v.name,
        bin: v.bin,
        at: 0,
    };
    let mut buf = [0u8; BUF];
    for p in Payloads(v.payloads) {
        let n = defmt::unwrap!(w.encode_frame(p, &mut buf));
        expect.piece(&buf[..n]);
    }
    let n = defmt::unwrap!(w.finish(&mut buf));
    expect.piece(&buf[..n]);
    expect.done();
}

/// Reads the container of `v`, whole and one byte at a time, with
/// `inflater` for deflate frames.
fn read_container<I: secstream_core::deflate::Inflate>(v: &Vector, sealed: bool, inflater: &mut I) {
    for chunk in [v.bin.len(), 1] {
        let mut wire = [0u8; WIRE];
        let wire = defmt::unwrap!(wire.get_mut(..v.bin.len()));
        wire.copy_from_slice(v.bin);
        let reader = if sealed {
            Reader::new_sealed([0u8; BUF], MasterKey::from_bytes(&MASTER))
        } else {
            Reader::new([0u8; BUF])
        };
        let mut reader = reader.with_inflater(&mut *inflater);
        let mut want = Payloads(v.payloads);
        for mut c in wire.chunks_mut(chunk) {
            while let container::Feed::Frame { payload, consumed } = defmt::unwrap!(reader.feed(c))
            {
                defmt::assert_eq!(Some(payload), want.next(), "{=str}", v.name);
                c = &mut c[consumed..];
            }
        }
        defmt::unwrap!(reader.finish());
        defmt::assert!(want.next().is_none(), "{=str}", v.name);
    }
}

#[defmt_test::tests]
mod tests {
    use secstream_core::cobs;
    use secstream_core::container::{self, Reader};
    use secstream_core::frame;
    use secstream_core::seal::MasterKey;

    use super::*;

    #[test]
    fn frames_vectors() {
        for v in &FRAMES {
            check_payload_file(v);
            let mut expect = Expect {
                name: v.name,
                bin: v.bin,
                at: 0,
            };
            for p in Payloads(v.payloads) {
                let mut buf = [0u8; BUF];
                let n = defmt::unwrap!(frame::encode_into(v.kind, p, &mut buf));
                expect.piece(&buf[..n]);
            }
            expect.done();

            for chunk in [v.bin.len(), 1] {
                let mut want = Payloads(v.payloads);
                let mut dec = frame::Decoder::new(v.kind, MAX_FRAME_LEN, [0u8; BUF]);
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
            for p in Payloads(v.payloads) {
                let mut buf = [0u8; BUF];
                let n = defmt::unwrap!(cobs::encode_into(v.kind, p, &mut buf));
                expect.piece(&buf[..n]);
            }
            expect.done();

            for chunk in [v.bin.len(), 1] {
                let mut want = Payloads(v.payloads);
                let mut dec = cobs::Decoder::new(v.kind, MAX_FRAME_LEN, [0u8; BUF]);
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
    fn container_vectors() {
        for v in &CONTAINER {
            check_payload_file(v);
            write_container(v, false);
            read_container(v, false, &mut ());
        }
    }

    #[test]
    fn sealed_container_vectors() {
        for v in &CONTAINER_SEALED {
            check_payload_file(v);
            write_container(v, true);
            read_container(v, true, &mut ());
        }
        // Another key: one opaque error, nothing released.
        let v = &CONTAINER_SEALED[3];
        let mut wire = [0u8; WIRE];
        let wire = defmt::unwrap!(wire.get_mut(..v.bin.len()));
        wire.copy_from_slice(v.bin);
        let mut reader = Reader::new_sealed([0u8; BUF], MasterKey::from_bytes(&[0xFF; 32]));
        defmt::assert_eq!(
            reader.feed(wire).err(),
            Some(container::Error::Authentication)
        );
    }

    #[cfg(not(small_ram))]
    #[test]
    fn deflate_container_vectors() {
        use secstream_core::deflate::Inflater;
        // The inflate state (10.5 KB) lives in a static, not on the stack.
        let inflater = defmt::unwrap!(cortex_m::singleton!(
            : Inflater<[u8; BUF]> = Inflater::new([0u8; BUF])
        ));
        for v in &CONTAINER_DEFLATE {
            check_payload_file(v);
            read_container(v, false, inflater);
        }
        for v in &CONTAINER_SEALED_DEFLATE {
            check_payload_file(v);
            read_container(v, true, inflater);
        }
    }
}
