//! SSH wire reader (`ssh::Reader`): every value kind, chosen by the input.
//!
//! Byte 0 picks the string limit, then each op byte picks the next read. Checks:
//! no panic; a failed read leaves the cursor where it was; a successful read
//! advances by exactly the bytes it covers; what was read writes back (through
//! `ssh::Writer`) to the same bytes; and the SWAR name-list check agrees with a
//! byte-by-byte model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::ssh::{self, Error, Mpint, NameList, Reader, Writer};

/// The name-list rule of RFC 4251 section 5, one byte at a time.
fn valid_list_model(bytes: &[u8]) -> bool {
    bytes.is_empty() || (bytes.is_ascii() && bytes.split(|&b| b == b',').all(|n| !n.is_empty()))
}

fn check_mpint(m: Mpint<'_>, body: &[u8]) {
    assert_eq!(m.as_twos_complement(), body);
    assert_eq!(m.is_zero(), body.is_empty());
    let mut mag = vec![0u8; body.len()];
    let magnitude = m
        .magnitude_into(&mut mag)
        .expect("magnitude fits in the body length")
        .to_vec();
    assert!(
        magnitude.first() != Some(&0),
        "magnitude has no leading zero"
    );
    // Write it back from sign and magnitude: the minimal encoding is unique.
    let mut out = vec![0u8; 4 + body.len()];
    let mut w = Writer::new(&mut out);
    w.put_mpint_signed(m.is_negative(), &magnitude)
        .expect("room for the same bytes");
    assert_eq!(
        w.position(),
        ssh::mpint_encoded_len(m.is_negative(), &magnitude)
    );
    assert_eq!(w.written().get(4..), Some(body));
    if !magnitude.is_empty() {
        // One byte short of the magnitude must fail cleanly.
        let mut short = vec![0u8; magnitude.len() - 1];
        assert!(m.magnitude_into(&mut short).is_err());
    }
}

fn check_names(list: NameList<'_>, body: &[u8]) {
    assert!(valid_list_model(body));
    assert_eq!(list.as_str().as_bytes(), body);
    let names: Vec<&str> = list.iter().collect();
    assert_eq!(names.len(), list.len());
    assert_eq!(list.is_empty(), names.is_empty());
    let model: Vec<&[u8]> = if body.is_empty() {
        Vec::new()
    } else {
        body.split(|&b| b == b',').collect()
    };
    assert_eq!(
        names.iter().map(|n| n.as_bytes()).collect::<Vec<_>>(),
        model
    );
    for n in &names {
        assert!(list.contains(n));
    }
    assert!(!list.contains(""));
    let mut out = vec![0u8; 4 + body.len()];
    let mut w = Writer::new(&mut out);
    w.put_name_list(&names).expect("room for the same bytes");
    assert_eq!(w.written().get(4..), Some(body));
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit_sel, rest)) = data.split_first() else {
        return;
    };
    // Some ops need a second byte (a length): split it off the end so ops and
    // wire bytes stay independent.
    let (ops, wire) = rest.split_at(rest.len().min(usize::from(limit_sel >> 4)));
    let limit = match limit_sel & 3 {
        0 => ssh::DEFAULT_STRING_LIMIT,
        1 => 0,
        2 => 16,
        _ => u32::MAX,
    };
    let mut r = Reader::new(wire).with_string_limit(limit);
    // After the chosen ops, cycle through every op so the whole input is read.
    let mut ops = ops.iter().copied().chain((0..=u8::MAX).cycle());
    while r.remaining() > 0 {
        let Some(op) = ops.next() else { break };
        let before = r.clone();
        let pos = r.position();
        assert_eq!(pos + r.remaining(), wire.len());
        let rest = r.rest();
        let advanced: Result<usize, Error> = match op % 12 {
            0 => r.get_u8().map(|v| {
                assert_eq!(Some(&v), rest.first());
                1
            }),
            1 => {
                let v = r.peek_u8();
                assert_eq!(v.ok().as_ref(), rest.first());
                v.map(|_| 0)
            }
            2 => r.get_bool().map(|v| {
                assert_eq!(v, rest[0] != 0);
                1
            }),
            3 => r.get_u32().map(|v| {
                assert_eq!(v.to_be_bytes(), rest[..4]);
                4
            }),
            4 => r.peek_u32().map(|v| {
                assert_eq!(v.to_be_bytes(), rest[..4]);
                0
            }),
            5 => r.get_u64().map(|v| {
                assert_eq!(v.to_be_bytes(), rest[..8]);
                8
            }),
            6 | 11 => r.get_string().map(|s| {
                assert!(u32::try_from(s.len()).is_ok_and(|n| n <= limit));
                assert_eq!(&rest[4..4 + s.len()], s);
                4 + s.len()
            }),
            7 => r.get_mpint().map(|m| {
                let body = &rest[4..4 + m.as_twos_complement().len()];
                check_mpint(m, body);
                4 + body.len()
            }),
            8 => {
                // Compare the name-list verdict with the model whenever the
                // string itself is readable.
                let string = before.clone().get_string();
                let got = r.get_name_list();
                match (string, &got) {
                    (Ok(body), Ok(list)) => check_names(*list, body),
                    (Ok(body), Err(e)) => {
                        let Error::InvalidNameList { offset } = *e else {
                            panic!("{e:?} for a readable string");
                        };
                        // The offset names a byte of the list body.
                        assert!(offset >= pos + 4 && offset < pos + 4 + body.len());
                        assert!(!valid_list_model(body), "valid list rejected");
                    }
                    (Err(e1), Err(e2)) => assert_eq!(e1, *e2),
                    (Err(_), Ok(_)) => panic!("name-list read where the string is not"),
                }
                got.map(|l| 4 + l.as_str().len())
            }
            9 => {
                let n = usize::from(op >> 4);
                r.get_raw(n).map(|b| {
                    assert_eq!(b, &rest[..n]);
                    n
                })
            }
            _ => {
                let n = usize::from(op >> 4) * 3;
                r.skip(n).map(|()| n)
            }
        };
        match advanced {
            Ok(n) => assert_eq!(r.position(), pos + n),
            Err(e) => {
                assert_eq!(r.position(), pos, "cursor moved on error");
                // Errors print without panicking.
                let _ = e.to_string();
                if let Error::Truncated {
                    offset,
                    needed,
                    remaining,
                } = e
                {
                    assert!(needed > remaining);
                    assert_eq!(offset, pos, "truncated reads report where they started");
                }
                // Step over one byte and go on, so the rest is read too.
                if r.skip(1).is_err() {
                    break;
                }
            }
        }
    }
    let _ = format!("{r:?}");
});
