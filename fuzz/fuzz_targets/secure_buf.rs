//! `SecureBuf` operations against a model (a `Vec<u8>` and a cursor).
//!
//! The input is a program: each op byte picks an operation, following bytes are
//! its arguments. After every step the buffer must equal the model, every
//! failed operation must leave it unchanged, and the free space must be all
//! zeros (every discard path wipes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::buf::SecureBuf;
use secstream_core::ssh::{Error, Reader, Writer};

const N: usize = 64;

/// The model: written bytes and the read cursor.
#[derive(Default)]
struct Model {
    data: Vec<u8>,
    pos: usize,
}

impl Model {
    fn unread(&self) -> &[u8] {
        &self.data[self.pos..]
    }

    /// Appends `bytes` if they fit, as every `put_*` does.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.data.len() + bytes.len() > N {
            return Err(Error::NoRoom {
                needed: bytes.len(),
                free: N - self.data.len(),
            });
        }
        self.data.extend_from_slice(bytes);
        Ok(())
    }
}

/// Argument bytes taken from the input.
struct Args<'a>(&'a [u8]);

impl<'a> Args<'a> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (b, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        b
    }
}

/// The encoding `f` writes, made with the plain writer.
fn encoded(f: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; 4 * N];
    let mut w = Writer::new(&mut out);
    f(&mut w)?;
    Ok(w.written().to_vec())
}

fn check(buf: &mut SecureBuf<N>, model: &Model) {
    assert_eq!(buf.as_slice(), &model.data[..]);
    assert_eq!(buf.unread(), model.unread());
    assert_eq!(buf.len(), model.data.len());
    assert_eq!(buf.position(), model.pos);
    assert_eq!(buf.remaining(), model.data.len() - model.pos);
    assert_eq!(buf.free(), N - model.data.len());
    assert_eq!(buf.is_empty(), model.data.is_empty());
    assert_eq!(buf.reader().rest(), model.unread());
    assert!(
        buf.spare_mut().iter().all(|&b| b == 0),
        "stale bytes not wiped"
    );
}

/// Runs one read on the buffer and on a reader over the model; both must agree
/// (`same` compares the values), and the model's cursor follows the reader.
fn read<T: PartialEq + core::fmt::Debug>(
    model: &mut Model,
    limit: u32,
    on_buf: Result<T, Error>,
    on_reader: impl FnOnce(&mut Reader<'_>) -> Result<T, Error>,
) {
    // Over all the written bytes, past the read ones: error offsets count from
    // the buffer's start, as the buffer's own do.
    let data = model.data.clone();
    let mut r = Reader::new(&data).with_string_limit(limit);
    r.skip(model.pos)
        .expect("the model's cursor is within its data");
    let want = on_reader(&mut r);
    assert_eq!(on_buf, want);
    model.pos = r.position();
}

fuzz_target!(|data: &[u8]| {
    let Some((&limit_sel, program)) = data.split_first() else {
        return;
    };
    let limit = u32::from(limit_sel) % 80;
    let mut buf = SecureBuf::<N>::new().with_string_limit(limit);
    let mut model = Model::default();
    let mut args = Args(program);
    while !args.0.is_empty() {
        let op = args.byte();
        match op % 24 {
            0 => {
                let n = usize::from(args.byte() % 80);
                let bytes = args.bytes(n);
                assert_eq!(buf.put_raw(bytes), model.put(bytes));
            }
            1 => {
                let v = args.byte();
                assert_eq!(buf.put_u8(v), model.put(&[v]));
            }
            2 => {
                let v = args.byte() & 1 != 0;
                assert_eq!(buf.put_bool(v), model.put(&[u8::from(v)]));
            }
            3 => {
                let v = u32::from_le_bytes([args.byte(), args.byte(), 0, args.byte()]);
                assert_eq!(buf.put_u32(v), model.put(&v.to_be_bytes()));
            }
            4 => {
                let v = u64::from(args.byte()) << 56 | u64::from(args.byte());
                assert_eq!(buf.put_u64(v), model.put(&v.to_be_bytes()));
            }
            5 => {
                let n = usize::from(args.byte() % 80);
                let s = args.bytes(n);
                let mut enc = u32::try_from(s.len()).unwrap().to_be_bytes().to_vec();
                enc.extend_from_slice(s);
                let got = buf.put_string(s);
                assert_eq!(got.is_ok(), model.put(&enc).is_ok(), "{got:?}");
            }
            6 => {
                let neg = args.byte() & 1 != 0;
                let n = usize::from(args.byte() % 40);
                let mag = args.bytes(n);
                let enc = encoded(|w| w.put_mpint_signed(neg, mag)).unwrap();
                let got = buf.put_mpint_signed(neg, mag);
                assert_eq!(got.is_ok(), model.put(&enc).is_ok(), "{got:?}");
            }
            7 => {
                let n = usize::from(args.byte() % 40);
                let raw = args.bytes(n);
                let text = String::from_utf8_lossy(raw);
                let names: Vec<&str> = text.split(';').collect();
                match encoded(|w| w.put_name_list(&names)) {
                    Ok(enc) => {
                        let got = buf.put_name_list(&names);
                        assert_eq!(got.is_ok(), model.put(&enc).is_ok(), "{got:?}");
                    }
                    Err(e) => assert_eq!(buf.put_name_list(&names), Err(e)),
                }
            }
            8 => {
                let got = buf.get_u8();
                read(&mut model, limit, got, |r| r.get_u8());
            }
            9 => {
                let got = buf.peek_u8();
                read(&mut model, limit, got, |r| r.peek_u8());
            }
            10 => {
                let got = buf.get_bool();
                read(&mut model, limit, got, |r| r.get_bool());
            }
            11 => {
                let got = buf.get_u32();
                read(&mut model, limit, got, |r| r.get_u32());
            }
            12 => {
                let got = buf.peek_u32();
                read(&mut model, limit, got, |r| r.peek_u32());
            }
            13 => {
                let got = buf.get_u64();
                read(&mut model, limit, got, |r| r.get_u64());
            }
            14 => {
                let got = buf.get_string().map(<[u8]>::to_vec);
                read(&mut model, limit, got, |r| {
                    r.get_string().map(<[u8]>::to_vec)
                });
            }
            15 => {
                let got = buf.get_mpint().map(|m| m.as_twos_complement().to_vec());
                read(&mut model, limit, got, |r| {
                    r.get_mpint().map(|m| m.as_twos_complement().to_vec())
                });
            }
            16 => {
                let got = buf.get_name_list().map(|l| l.as_str().to_owned());
                read(&mut model, limit, got, |r| {
                    r.get_name_list().map(|l| l.as_str().to_owned())
                });
            }
            17 => {
                let n = usize::from(args.byte() % 80);
                let got = buf.get_raw(n).map(<[u8]>::to_vec);
                read(&mut model, limit, got, |r| r.get_raw(n).map(<[u8]>::to_vec));
            }
            18 => {
                let n = usize::from(args.byte() % 80);
                let got = buf.skip(n);
                read(&mut model, limit, got, |r| r.skip(n));
            }
            19 => {
                let n = usize::from(args.byte() % 80);
                let got = buf.consume(n);
                let before = model.pos;
                read(&mut model, limit, got, |r| r.skip(n));
                if got.is_ok() {
                    // Everything before the new cursor is wiped.
                    model.data[..model.pos].fill(0);
                } else {
                    assert_eq!(model.pos, before);
                }
            }
            20 => {
                // Fill part of the spare room in place, then mark it written.
                let n = usize::from(args.byte() % 80);
                let fill = args.byte() | 1;
                if n <= buf.free() {
                    buf.spare_mut()[..n].fill(fill);
                    buf.advance(n).unwrap();
                    model.put(&vec![fill; n]).unwrap();
                } else {
                    assert!(buf.advance(n).is_err());
                }
            }
            21 => {
                let len = usize::from(args.byte() % 80);
                buf.truncate(len);
                if len < model.data.len() {
                    model.data.truncate(len);
                    model.pos = model.pos.min(len);
                }
            }
            22 => {
                buf.compact();
                model.data.drain(..model.pos);
                model.pos = 0;
            }
            _ => match args.byte() % 3 {
                0 => {
                    buf.rewind();
                    model.pos = 0;
                }
                1 => {
                    buf.clear();
                    model = Model::default();
                }
                _ => {
                    buf.burn();
                    model = Model::default();
                }
            },
        }
        check(&mut buf, &model);
    }
    let _ = format!("{buf:?}");
});
