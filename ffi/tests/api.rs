//! The C entry points called from Rust (also run under Miri, which checks the
//! crate's unsafe code: state placement, caller buffers, wiping on close).

use core::ffi::c_void;
use core::ptr;

use secstream_ffi::error::SecstreamError as E;
use secstream_ffi::feed::{SecstreamEvent, SecstreamFeed};
use secstream_ffi::{cobs, frame, reader, wipe, writer};

/// Aligned state memory for any type.
#[repr(C, align(8))]
struct Mem([u8; 2048]);

impl Mem {
    fn new() -> Self {
        Self([0; 2048])
    }
    fn ptr(&mut self) -> *mut c_void {
        self.0.as_mut_ptr().cast()
    }
}

fn empty_feed() -> SecstreamFeed {
    SecstreamFeed {
        event: SecstreamEvent::SecstreamNeedMore,
        consumed: 0,
        payload: ptr::null(),
        payload_len: 0,
        rejected: E::SecstreamOk,
        max_plain: 0,
        checksum_id: 0,
        compression_id: 0,
        sealed: 0,
    }
}

fn payload(f: &SecstreamFeed) -> Vec<u8> {
    if f.payload_len == 0 {
        return Vec::new();
    }
    // SAFETY: the feed call that filled `f` returned OK and no call on its state
    // followed, so `payload_len` bytes at `payload` are readable.
    unsafe { core::slice::from_raw_parts(f.payload, f.payload_len) }.to_vec()
}

#[test]
fn frame_round_trip_byte_by_byte() {
    let mut wire = [0u8; 64];
    let mut n = 0;
    assert_eq!(
        frame::secstream_frame_encode(1, b"hi".as_ptr(), 2, wire.as_mut_ptr(), wire.len(), &mut n),
        E::SecstreamOk
    );
    assert_eq!(&wire[..n], &[2, 0, 0, 0, 0x0C, 0x7F, b'h', b'i']);
    let mut st = Mem::new();
    let mut buf = [0u8; 8];
    let s = st.ptr();
    assert_eq!(
        frame::secstream_frame_decoder_open(s, 2048, 1, 100, buf.as_mut_ptr(), buf.len()),
        E::SecstreamOk
    );
    let mut got = Vec::new();
    let mut f = empty_feed();
    for b in &wire[..n] {
        assert_eq!(
            frame::secstream_frame_decoder_feed(s, b, 1, &mut f),
            E::SecstreamOk
        );
        if f.event == SecstreamEvent::SecstreamFrame {
            got.push(payload(&f));
        }
    }
    assert_eq!(got, [b"hi".to_vec()]);
    assert_eq!(frame::secstream_frame_decoder_finish(s), E::SecstreamOk);
    assert_eq!(frame::secstream_frame_decoder_close(s), E::SecstreamOk);
    assert!(
        st.0.iter().all(|&b| b == 0),
        "close leaves the state zeroed"
    );
    assert!(buf.iter().all(|&b| b == 0), "close wipes the frame buffer");
    assert_eq!(
        frame::secstream_frame_decoder_finish(st.ptr()),
        E::SecstreamErrBadState
    );
}

#[test]
fn cobs_rejects_and_resynchronises() {
    let mut wire = [0u8; 32];
    let mut n = 0;
    assert_eq!(
        cobs::secstream_cobs_encode(3, b"abc".as_ptr(), 3, wire.as_mut_ptr(), wire.len(), &mut n),
        E::SecstreamOk
    );
    let mut input = wire[..n].to_vec();
    input[1] ^= 1;
    input.extend_from_slice(&wire[..n]);
    let mut st = Mem::new();
    let mut buf = [0u8; 16];
    let s = st.ptr();
    assert_eq!(
        cobs::secstream_cobs_decoder_open(s, 2048, 3, 16, buf.as_mut_ptr(), buf.len()),
        E::SecstreamOk
    );
    let mut f = empty_feed();
    assert_eq!(
        cobs::secstream_cobs_decoder_feed(s, input.as_ptr(), input.len(), &mut f),
        E::SecstreamOk
    );
    assert_eq!(f.event, SecstreamEvent::SecstreamRejected);
    assert_eq!(f.rejected, E::SecstreamErrBadChecksum);
    let rest = &input[f.consumed..];
    assert_eq!(
        cobs::secstream_cobs_decoder_feed(s, rest.as_ptr(), rest.len(), &mut f),
        E::SecstreamOk
    );
    assert_eq!(
        (f.event, payload(&f)),
        (SecstreamEvent::SecstreamFrame, b"abc".to_vec())
    );
    assert_eq!(cobs::secstream_cobs_decoder_close(s), E::SecstreamOk);
}

fn read_all(s: *mut c_void, wire: &mut [u8]) -> (Vec<Vec<u8>>, E) {
    let mut got = Vec::new();
    let mut off = 0;
    let mut f = empty_feed();
    while off < wire.len() {
        let rest = &mut wire[off..];
        let e = reader::secstream_reader_feed(s, rest.as_mut_ptr(), rest.len(), &mut f);
        if e != E::SecstreamOk {
            return (got, e);
        }
        if f.event == SecstreamEvent::SecstreamFrame {
            got.push(payload(&f));
        }
        off += f.consumed;
    }
    (got, reader::secstream_reader_finish(s))
}

#[test]
fn sealed_lz4_container_round_trip_and_key_wiped_on_close() {
    let key = [7u8; 32];
    let nonce = [9u8; 16];
    let mut w = Mem::new();
    let ws = w.ptr();
    assert_eq!(
        writer::secstream_writer_open(ws, 2048, 3, 2, 64, key.as_ptr(), nonce.as_ptr()),
        E::SecstreamOk
    );
    let mut wire = vec![0u8; 512];
    let mut n = 0;
    let mut k = 0;
    let plain = [b'z'; 40];
    assert_eq!(
        writer::secstream_writer_encode_frame(
            ws,
            plain.as_ptr(),
            40,
            wire.as_mut_ptr(),
            512,
            &mut k
        ),
        E::SecstreamOk
    );
    n += k;
    let mut cap = 0;
    assert_eq!(
        writer::secstream_writer_max_finish_len(ws, &mut cap),
        E::SecstreamOk
    );
    assert_eq!(
        writer::secstream_writer_finish(ws, wire[n..].as_mut_ptr(), cap, &mut k),
        E::SecstreamOk
    );
    n += k;
    wire.truncate(n);
    assert_eq!(writer::secstream_writer_close(ws), E::SecstreamOk);
    assert!(
        w.0.iter().all(|&b| b == 0),
        "the stream key is wiped on close"
    );

    let mut r = Mem::new();
    let rs = r.ptr();
    let mut frames = [0u8; 128];
    let mut out = [0u8; 64];
    let (fp, op) = (frames.as_mut_ptr(), out.as_mut_ptr());
    let open = |rs, key: *const u8| {
        reader::secstream_reader_open_sealed(rs, 2048, key, fp, 128, op, 64, 0)
    };
    assert_eq!(open(rs, key.as_ptr()), E::SecstreamOk);
    let (got, e) = read_all(rs, &mut wire.clone());
    assert_eq!(e, E::SecstreamOk);
    assert_eq!(got, [plain.to_vec(), Vec::new()]);
    assert_eq!(reader::secstream_reader_close(rs), E::SecstreamOk);
    assert!(r.0.iter().all(|&b| b == 0));

    let wrong = [8u8; 32];
    assert_eq!(open(rs, wrong.as_ptr()), E::SecstreamOk);
    assert_eq!(
        read_all(rs, &mut wire.clone()).1,
        E::SecstreamErrAuthentication
    );
    assert_eq!(reader::secstream_reader_close(rs), E::SecstreamOk);

    assert_eq!(
        reader::secstream_verifier_open(rs, 2048, fp, 128, ptr::null_mut(), 0, 0),
        E::SecstreamOk
    );
    let (got, e) = read_all(rs, &mut wire.clone());
    assert_eq!((got.len(), e), (2, E::SecstreamOk));
    assert_eq!(reader::secstream_reader_close(rs), E::SecstreamOk);

    // Every strict prefix is refused (the end section is missing); under Miri,
    // where each key derivation takes a second, every 16th.
    let step = if cfg!(miri) { 16 } else { 1 };
    for cut in (0..wire.len()).step_by(step) {
        assert_eq!(open(rs, key.as_ptr()), E::SecstreamOk);
        assert_ne!(read_all(rs, &mut wire[..cut].to_vec()).1, E::SecstreamOk);
        assert_eq!(reader::secstream_reader_close(rs), E::SecstreamOk);
    }
}

#[test]
fn max_stored_matches_the_vectors_readme() {
    let mut n = 0;
    for (comp, sealed, want) in [(0, 0, 1024), (1, 0, 1029), (2, 0, 1044), (2, 1, 1060)] {
        assert_eq!(
            reader::secstream_container_max_stored(comp, sealed, 1024, &mut n),
            E::SecstreamOk
        );
        assert_eq!(n, want);
    }
    assert_eq!(
        reader::secstream_container_max_stored(0, 0, 0, &mut n),
        E::SecstreamErrBadMaxPlain
    );
    assert_eq!(
        reader::secstream_container_max_stored(7, 0, 1, &mut n),
        E::SecstreamErrUnknownCompression
    );
}

#[test]
fn misuse_is_an_error() {
    let mut st = Mem::new();
    let s = st.ptr();
    assert_eq!(
        frame::secstream_frame_decoder_open(s, 8, 0, 1, ptr::null_mut(), 0),
        E::SecstreamErrStateTooSmall
    );
    // SAFETY: one byte into a 2048-byte array.
    let odd = unsafe { s.cast::<u8>().add(1) }.cast();
    assert_eq!(
        frame::secstream_frame_decoder_open(odd, 512, 0, 1, ptr::null_mut(), 0),
        E::SecstreamErrStateMisaligned
    );
    assert_eq!(
        frame::secstream_frame_decoder_open(s, 2048, 9, 1, ptr::null_mut(), 0),
        E::SecstreamErrUnknownChecksum
    );
    assert_eq!(writer::secstream_writer_close(s), E::SecstreamErrBadState);
    assert_eq!(
        reader::secstream_reader_feed(s, ptr::null_mut(), 0, ptr::null_mut()),
        E::SecstreamErrNullPointer
    );
    let mut secret = [0xAAu8; 16];
    assert_eq!(
        wipe::secstream_wipe(secret.as_mut_ptr(), 16),
        E::SecstreamOk
    );
    assert_eq!(secret, [0; 16]);
    assert_eq!(
        wipe::secstream_wipe(ptr::null_mut(), 1),
        E::SecstreamErrNullPointer
    );
}
