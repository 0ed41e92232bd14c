//! COBS frames (`cobs`): the streaming decoder in input-chosen chunk sizes
//! against one whole feed and against `decode_in_place` per delimited frame,
//! and encode → decode round trips with garbage in between (resynchronisation).
//!
//! Raw mode: the rest of the input is wire bytes. Encode mode: the rest is a
//! list of items, each a payload to encode or garbage closed by a delimiter;
//! every payload must come out, in order, whatever garbage surrounds it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::ChecksumKind;
use secstream_core::cobs::{self, Decoder, Error, Feed};

/// One decoder event: a payload or a rejected frame.
type Event = Result<Vec<u8>, Error>;

fn decode(
    kind: ChecksumKind,
    max_len: u32,
    buf_len: usize,
    wire: &[u8],
    chunks: &[usize],
) -> Vec<Event> {
    let mut dec = Decoder::new(kind, max_len, vec![0u8; buf_len]);
    let mut events = Vec::new();
    let mut rest = wire;
    let mut sizes = chunks.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (mut chunk, after) = rest.split_at(n);
        rest = after;
        // A rejection may consume nothing (the decoder switches to dropping
        // bytes), but two events in a row without progress would be a hang.
        let mut stalled = false;
        loop {
            let len = chunk.len();
            let consumed = match dec.feed(chunk) {
                Feed::NeedMore => break,
                Feed::Frame { payload, consumed } => {
                    assert!(payload.len() <= buf_len.saturating_sub(kind.width()));
                    assert!(u32::try_from(payload.len()).is_ok_and(|l| l <= max_len));
                    events.push(Ok(payload.to_vec()));
                    consumed
                }
                Feed::Rejected { error, consumed } => {
                    let _ = error.to_string();
                    events.push(Err(error));
                    consumed
                }
            };
            assert!(consumed <= len, "consumed {consumed} of {len}");
            assert!(!(stalled && consumed == 0), "no progress");
            stalled = consumed == 0;
            chunk = &chunk[consumed..];
        }
    }
    if let Err(e) = dec.finish() {
        events.push(Err(e));
    }
    assert!(dec.is_idle());
    events
}

/// The same stream decoded one delimited frame at a time with `decode_in_place`.
fn decode_each_in_place(kind: ChecksumKind, wire: &[u8]) -> Vec<Event> {
    let mut events = Vec::new();
    let mut segments = wire.split(|&b| b == cobs::DELIMITER).peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        if seg.is_empty() {
            continue; // idle byte, or nothing after the last delimiter
        }
        if last {
            events.push(Err(Error::Truncated));
            break;
        }
        let mut frame = seg.to_vec();
        events.push(cobs::decode_in_place(kind, &mut frame).map(|p| p.to_vec()));
    }
    events
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (cfg, body) = data.split_at(3);
    let kind = ChecksumKind::ALL[usize::from(cfg[0] % 5)];
    let encode = cfg[0] & 0x80 != 0;
    let max_len = [0u32, 1, 5, 300, u32::MAX][usize::from(cfg[1] % 5)];
    let buf_len = [0usize, 4, 64, 1024][usize::from(cfg[1] / 5 % 4)];
    let chunks: Vec<usize> = if cfg[2] == 0 {
        vec![1]
    } else {
        vec![usize::from(cfg[2] & 15), usize::from(cfg[2] >> 4)]
    };

    let mut wire = Vec::new();
    let mut sent = Vec::new();
    if encode {
        let mut p = body;
        while let Some((&tag, rest)) = p.split_first() {
            let (item, after) = rest.split_at(usize::from(tag >> 1).min(rest.len()));
            p = after;
            if tag & 1 == 0 {
                // Garbage, then a delimiter: whatever it was, it ends here.
                wire.extend_from_slice(item);
                wire.push(cobs::DELIMITER);
                continue;
            }
            let max = cobs::max_encoded_len(kind, item.len());
            let mut out = vec![0xAAu8; max];
            let n = cobs::encode_into(kind, item, &mut out).expect("max_encoded_len is enough");
            let enc = out[..n].to_vec();
            assert_eq!(
                enc.iter().position(|&b| b == 0),
                Some(n - 1),
                "zero inside a frame"
            );
            assert!(cobs::encode_into(kind, item, &mut out[..n - 1]).is_err());
            let mut copy = enc.clone();
            assert_eq!(
                cobs::decode_in_place(kind, &mut copy).map(|p| p.to_vec()),
                Ok(item.to_vec())
            );
            wire.extend_from_slice(&enc);
            sent.push(item.to_vec());
        }
    } else {
        wire.extend_from_slice(body);
    }

    let whole = decode(kind, max_len, buf_len, &wire, &[wire.len()]);
    let chunked = decode(kind, max_len, buf_len, &wire, &chunks);
    assert_eq!(whole, chunked, "chunking changed the result");

    // With room for anything, the streaming decoder agrees with decode_in_place.
    let roomy = decode(kind, u32::MAX, wire.len() + 8, &wire, &chunks);
    assert_eq!(roomy, decode_each_in_place(kind, &wire));

    if encode {
        // Every payload comes out in order (garbage may add frames of its own).
        let mut got = roomy.iter().filter_map(|e| e.as_ref().ok());
        for s in &sent {
            assert!(got.any(|g| g == s), "payload lost after garbage");
        }
    }
});
