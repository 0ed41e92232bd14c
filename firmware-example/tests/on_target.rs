//! The core's unit checks, run on the microcontroller under QEMU through
//! defmt-test (`cargo test --release` in `firmware-example/`, for
//! thumbv7em-none-eabihf and, with `--target thumbv6m-none-eabi`, the
//! Cortex-M0 without compare-and-swap).
//!
//! They check the same facts the host tests check, with the same inputs, so
//! a difference between a host and a microcontroller (word size, alignment,
//! atomics emulated with a critical section) shows up here.
#![no_std]
#![no_main]

// The panic handler, the defmt logger and the semihosting exit.
use secstream_firmware_example as _;

#[defmt_test::tests]
mod tests {
    use secstream_core::buf::SecureBuf;
    use secstream_core::checksum::{self, ChecksumKind};
    use secstream_core::cobs;
    use secstream_core::frame::{self, Feed};
    use secstream_core::ring::{self, Ring};
    use secstream_core::seal::{self, MasterKey, StreamKey};
    use secstream_core::spsc::SpscRing;
    use secstream_core::ssh::{self, Reader};

    /// The UART ring of the firmware: one half per context, split once.
    static SPLIT: SpscRing<8> = SpscRing::new();

    #[test]
    fn ssh_wire_types_exact_bytes_and_back() {
        let mut buf = SecureBuf::<64>::new();
        defmt::unwrap!(buf.put_u8(20));
        defmt::unwrap!(buf.put_bool(true));
        defmt::unwrap!(buf.put_u32(0x0102_0304));
        defmt::unwrap!(buf.put_u64(0x0a0b_0c0d_0e0f_1011));
        defmt::unwrap!(buf.put_string(b"ssh"));
        defmt::unwrap!(buf.put_mpint_unsigned(&[0x80]));
        defmt::unwrap!(buf.put_name_list(&["a", "bc"]));
        defmt::assert_eq!(
            buf.as_slice(),
            &[
                20, 1, 1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 0, 0, 0, 3, b's', b's', b'h', 0,
                0, 0, 2, 0x00, 0x80, 0, 0, 0, 4, b'a', b',', b'b', b'c',
            ][..]
        );
        defmt::assert_eq!(buf.get_u8(), Ok(20));
        defmt::assert_eq!(buf.get_bool(), Ok(true));
        defmt::assert_eq!(buf.get_u32(), Ok(0x0102_0304));
        defmt::assert_eq!(buf.get_u64(), Ok(0x0a0b_0c0d_0e0f_1011));
        defmt::assert_eq!(buf.get_string(), Ok(&b"ssh"[..]));
        let m = defmt::unwrap!(buf.get_mpint());
        defmt::assert!(!m.is_negative());
        defmt::assert_eq!(m.as_twos_complement(), &[0x00, 0x80][..]);
        let names = defmt::unwrap!(buf.get_name_list());
        defmt::assert!(names.contains("bc"));
        defmt::assert_eq!(names.len(), 2);
        defmt::assert_eq!(buf.remaining(), 0);
    }

    #[test]
    fn ssh_bad_input_is_an_error() {
        // A string whose length runs past the end.
        let mut r = Reader::new(&[0, 0, 0, 9, b'x']);
        defmt::assert_eq!(
            r.get_string(),
            Err(ssh::Error::Truncated {
                offset: 0,
                needed: 9,
                remaining: 1
            })
        );
        // A length larger than the configured limit.
        let mut r = Reader::new(&[0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]).with_string_limit(4);
        defmt::assert_eq!(
            r.get_string(),
            Err(ssh::Error::StringTooLong {
                offset: 0,
                len: 9,
                limit: 4
            })
        );
        // A non-minimal mpint (redundant leading zero).
        let mut r = Reader::new(&[0, 0, 0, 2, 0x00, 0x01]);
        defmt::assert_eq!(
            r.get_mpint().err(),
            Some(ssh::Error::NonMinimalMpint { offset: 4 })
        );
        // An empty name in a name-list.
        let mut r = Reader::new(&[0, 0, 0, 3, b'a', b',', b',']);
        defmt::assert_eq!(
            r.get_name_list().err(),
            Some(ssh::Error::InvalidNameList { offset: 6 })
        );
        // A full buffer refuses instead of panicking.
        let mut small = SecureBuf::<4>::new();
        defmt::assert_eq!(
            small.put_u64(1),
            Err(ssh::Error::NoRoom { needed: 8, free: 4 })
        );
    }

    #[test]
    fn secure_buf_wipes_what_it_discards() {
        let mut buf = SecureBuf::<16>::new();
        defmt::unwrap!(buf.put_raw(b"0123456789abcdef"));
        defmt::unwrap!(buf.consume(10));
        buf.compact();
        defmt::assert_eq!(buf.as_slice(), &b"abcdef"[..]);
        // Everything past the kept bytes is zero again.
        defmt::assert!(buf.spare_mut().iter().all(|&b| b == 0));
        buf.clear();
        defmt::assert!(buf.is_empty());
        defmt::assert!(buf.spare_mut().iter().all(|&b| b == 0));
    }

    #[test]
    fn checksum_check_values() {
        // Wire contract section 1: the check value of ASCII "123456789".
        let check = b"123456789";
        defmt::assert_eq!(ChecksumKind::Crc16.compute(check), 0x31C3);
        defmt::assert_eq!(ChecksumKind::Crc32.compute(check), 0xCBF4_3926);
        defmt::assert_eq!(ChecksumKind::Crc32c.compute(check), 0xE306_9283);
        defmt::assert_eq!(checksum::crc32c(check), 0xE306_9283);
        defmt::assert_eq!(ChecksumKind::Xxh3.compute(check), 0x72DC_B18B_67A1_7DFF);
        defmt::assert_eq!(ChecksumKind::None.compute(check), 0);
        // Streaming in uneven pieces gives the one-shot value.
        for kind in ChecksumKind::ALL {
            let mut h = checksum::Hasher::new(kind);
            h.update(&check[..1]);
            h.update(&check[1..7]);
            h.update(&check[7..]);
            defmt::assert_eq!(h.finish(), kind.compute(check));
        }
        defmt::assert!(ChecksumKind::from_id(5).is_err());
    }

    #[test]
    fn ring_wraps_and_wipes() {
        let mut ring = Ring::<8>::new();
        defmt::assert_eq!(ring.write(b"secret!!spill"), 8);
        defmt::assert!(ring.is_full());
        defmt::assert_eq!(ring.try_write_all(b"x"), Err(ring::Error::Full));
        let mut out = [0u8; 6];
        defmt::assert_eq!(ring.read(&mut out), 6);
        defmt::assert_eq!(&out, b"secret");
        defmt::assert_eq!(ring.write(b"more"), 4);
        let (a, b) = ring.as_slices();
        defmt::assert_eq!(a, b"!!");
        defmt::assert_eq!(b, b"more");
        defmt::assert_eq!(ring.consume(100), 6);
        defmt::assert!(ring.is_empty());
        let mut none = [0u8; 1];
        defmt::assert_eq!(ring.try_read_exact(&mut none), Err(ring::Error::Empty));
    }

    #[test]
    fn split_ring_in_a_static() {
        // `try_split` is the one compare-and-swap of the split ring; on
        // thumbv6m it runs in a critical section (portable-atomic).
        let (mut tx, mut rx) = defmt::unwrap!(SPLIT.try_split());
        defmt::assert!(SPLIT.try_split().is_none());
        defmt::assert_eq!(tx.write(b"0123456789"), 8);
        defmt::assert!(tx.is_full());
        defmt::assert_eq!(rx.len(), 8);
        let mut out = [0u8; 5];
        defmt::assert_eq!(rx.read_into(&mut out), 5);
        defmt::assert_eq!(&out, b"01234");
        // A write grant is contiguous: up to the end of the storage.
        let mut grant = defmt::unwrap!(tx.grant(5));
        defmt::assert_eq!(grant.len(), 5);
        grant[..2].copy_from_slice(b"ab");
        defmt::assert_eq!(grant.commit(2), 2);
        // A read grant is contiguous too: first the tail of the storage,
        // then the wrapped part.
        let grant = defmt::unwrap!(rx.read());
        defmt::assert_eq!(&*grant, b"567");
        defmt::assert_eq!(grant.release(99), 3);
        let grant = defmt::unwrap!(rx.read());
        defmt::assert_eq!(&*grant, b"ab");
        defmt::assert_eq!(grant.release(2), 2);
        defmt::assert!(rx.is_empty());
        defmt::assert!(rx.read().is_err());
    }

    #[test]
    fn length_prefixed_frames() {
        let mut wire = [0u8; 32];
        let n = defmt::unwrap!(frame::encode_into(ChecksumKind::Crc16, b"hi", &mut wire));
        // len 2 LE, CRC-16/XMODEM("hi") = 0x7F0C LE, payload.
        defmt::assert_eq!(&wire[..n], &[2, 0, 0, 0, 0x0C, 0x7F, b'h', b'i'][..]);

        // Fed one byte at a time, the payload comes out of the decoder's buffer.
        let mut dec = frame::Decoder::new(ChecksumKind::Crc16, 16, [0u8; 16]);
        let mut frames = 0;
        for byte in &wire[..n] {
            match defmt::unwrap!(dec.feed(core::slice::from_ref(byte))) {
                Feed::Frame { payload, consumed } => {
                    defmt::assert_eq!(payload, b"hi");
                    defmt::assert_eq!(consumed, 1);
                    frames += 1;
                }
                Feed::NeedMore => {}
            }
        }
        defmt::assert_eq!(frames, 1);
        defmt::assert_eq!(dec.finish(), Ok(()));

        // A flipped payload bit, an over-long length, a cut frame.
        let mut bad = wire;
        bad[7] ^= 0x01;
        let mut dec = frame::Decoder::new(ChecksumKind::Crc16, 16, [0u8; 16]);
        defmt::assert_eq!(dec.feed(&bad[..n]).err(), Some(frame::Error::BadChecksum));
        let mut dec = frame::Decoder::new(ChecksumKind::Crc16, 1, [0u8; 16]);
        defmt::assert_eq!(dec.feed(&wire[..n]).err(), Some(frame::Error::FrameTooLong));
        let mut dec = frame::Decoder::new(ChecksumKind::Crc16, 16, [0u8; 16]);
        defmt::assert!(matches!(dec.feed(&wire[..n - 1]), Ok(Feed::NeedMore)));
        defmt::assert_eq!(dec.finish(), Err(frame::Error::Truncated));
    }

    #[test]
    fn cobs_frames_and_resynchronisation() {
        let mut wire = [0u8; 32];
        let n = defmt::unwrap!(cobs::encode_into(
            ChecksumKind::None,
            &[0x11, 0x00, 0x22],
            &mut wire
        ));
        defmt::assert_eq!(&wire[..n], &[0x02, 0x11, 0x02, 0x22, 0x00][..]);

        // Noise, a damaged frame, then a good one: only the good one comes
        // out, each bad piece is reported once.
        let mut good = [0u8; 16];
        let g = defmt::unwrap!(cobs::encode_into(ChecksumKind::Crc16, b"ok", &mut good));
        let mut line = [0u8; 40];
        line[..4].copy_from_slice(&[0x05, 0x11, 0x22, 0x00]);
        line[4..4 + g].copy_from_slice(&good[..g]);
        line[5] ^= 0x40; // flip a bit of the first copy
        line[4 + g..4 + 2 * g].copy_from_slice(&good[..g]);
        let mut input = &line[..4 + 2 * g];
        let mut dec = cobs::Decoder::new(ChecksumKind::Crc16, 16, [0u8; 24]);
        let (mut frames, mut errors) = (0, [None; 2]);
        let mut rejected = 0;
        while !input.is_empty() {
            let used = match dec.feed(input) {
                cobs::Feed::NeedMore => input.len(),
                cobs::Feed::Frame { payload, consumed } => {
                    defmt::assert_eq!(payload, b"ok");
                    frames += 1;
                    consumed
                }
                cobs::Feed::Rejected { error, consumed } => {
                    if let Some(slot) = errors.get_mut(rejected) {
                        *slot = Some(error);
                    }
                    rejected += 1;
                    consumed
                }
            };
            input = &input[used..];
        }
        defmt::assert_eq!(frames, 1);
        defmt::assert_eq!(rejected, 2);
        defmt::assert_eq!(errors[0], Some(cobs::Error::Cobs));
        defmt::assert_eq!(errors[1], Some(cobs::Error::BadChecksum));
        defmt::assert_eq!(dec.finish(), Ok(()));

        // Whole-frame decoding in place.
        let payload = defmt::unwrap!(cobs::decode_in_place(ChecksumKind::Crc16, &mut good[..g]));
        defmt::assert_eq!(payload, b"ok");
    }

    #[test]
    fn seal_known_answer_and_tamper() {
        // Computed independently (Python `cryptography`): HKDF-SHA256 with
        // master 00..1f, salt a0..af, info "secstream v2 payload"; then
        // ChaCha20-Poly1305, frame 5, final, aad 40..5f, "telemetry".
        let master_bytes: [u8; 32] = core::array::from_fn(|i| i as u8);
        let stream_nonce: [u8; 16] = core::array::from_fn(|i| 0xa0 + i as u8);
        let aad: [u8; 32] = core::array::from_fn(|i| 0x40 + i as u8);
        let expected: [u8; 25] = [
            0x5b, 0x38, 0x63, 0xbe, 0x00, 0x1a, 0x90, 0xc2, 0xde, 0x06, 0xe4, 0xdb, 0x0e, 0xc3,
            0x83, 0xa2, 0x46, 0x7e, 0x00, 0xf3, 0x48, 0x35, 0xda, 0x25, 0xbc,
        ];
        let master = MasterKey::from_bytes(&master_bytes);
        let key = StreamKey::derive(&master, &stream_nonce);
        let mut buf = *b"telemetry";
        let tag = defmt::unwrap!(key.seal_in_place(5, true, &aad, &mut buf));
        defmt::assert_eq!(&buf[..], &expected[..9]);
        defmt::assert_eq!(&tag[..], &expected[9..]);

        // The wrong counter, the wrong final flag, other aad: one opaque
        // error, and the buffer keeps the ciphertext.
        defmt::assert_eq!(
            key.open_in_place(4, true, &aad, &mut buf, &tag),
            Err(seal::Error::Authentication)
        );
        defmt::assert_eq!(
            key.open_in_place(5, false, &aad, &mut buf, &tag),
            Err(seal::Error::Authentication)
        );
        defmt::assert_eq!(
            key.open_in_place(5, true, &aad[1..], &mut buf, &tag),
            Err(seal::Error::Authentication)
        );
        defmt::assert_eq!(&buf[..], &expected[..9]);
        defmt::unwrap!(key.open_in_place(5, true, &aad, &mut buf, &tag));
        defmt::assert_eq!(&buf, b"telemetry");
        defmt::assert_eq!(
            seal::frame_nonce(seal::MAX_COUNTER, false),
            Err(seal::Error::CounterOverflow)
        );
    }
}
