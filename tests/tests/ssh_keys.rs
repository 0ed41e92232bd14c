//! A parser for real OpenSSH keys on top of the SSH wire codec: the 100 keys
//! of `tests/ssh-keys/` (made by `ssh-keygen`, see `generate.sh`
//! there: ed25519, ECDSA P-256/384/521, RSA 1024 to 4096, with comments).
//! Every public blob and every unencrypted `openssh-key-v1` private file is
//! parsed strictly, cross-checked, and encoded again byte for byte: the blob,
//! the binary private file, its base64 armour and the `.pub` line.
//!
//! The parser reads nested strings with `Reader::get_nested` (the parent's
//! string limit and offsets carry over), checks ends with `expect_end`, and
//! reads RSA values with `get_mpint_unsigned`; the encoder writes nested
//! strings in place with `Writer::put_nested` and RSA values with
//! `put_mpint_unsigned`.

use std::fs;
use std::path::{Path, PathBuf};

use secstream_core::ssh::{self, Reader, Writer};

const MAGIC: &[u8] = b"openssh-key-v1\0";
const BEGIN: &str = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END: &str = "-----END OPENSSH PRIVATE KEY-----";

/// Why a key does not parse: the codec's error (with its offset), or a
/// key-format rule broken at an offset.
#[derive(Debug, PartialEq, Eq)]
enum KeyError {
    Wire(ssh::Error),
    Format { what: &'static str, offset: usize },
}

impl From<ssh::Error> for KeyError {
    fn from(e: ssh::Error) -> Self {
        Self::Wire(e)
    }
}

impl KeyError {
    fn offset(&self) -> usize {
        match self {
            Self::Wire(e) => e.offset().expect("read errors carry an offset"),
            Self::Format { offset, .. } => *offset,
        }
    }
}

fn ensure(ok: bool, what: &'static str, r: &Reader<'_>) -> Result<(), KeyError> {
    if ok {
        Ok(())
    } else {
        Err(KeyError::Format {
            what,
            offset: r.offset(),
        })
    }
}

/// A public key, borrowed from the blob it was read from.
#[derive(Debug, PartialEq, Eq)]
enum PublicKey<'a> {
    Ed25519 {
        key: &'a [u8],
    },
    Ecdsa {
        key_type: &'a [u8],
        curve: &'a [u8],
        point: &'a [u8],
    },
    /// Magnitudes, big-endian without leading zeros.
    Rsa {
        e: &'a [u8],
        n: &'a [u8],
    },
}

/// The secret half of a private key.
#[derive(Debug, PartialEq, Eq)]
enum Secret<'a> {
    /// The 64-byte `seed || public key`.
    Ed25519 { pair: &'a [u8] },
    /// The scalar, a magnitude.
    Ecdsa { d: &'a [u8] },
    Rsa {
        d: &'a [u8],
        iqmp: &'a [u8],
        p: &'a [u8],
        q: &'a [u8],
    },
}

/// An unencrypted `openssh-key-v1` file.
#[derive(Debug, PartialEq, Eq)]
struct PrivateFile<'a> {
    public: PublicKey<'a>,
    check: u32,
    secret: Secret<'a>,
    comment: &'a [u8],
}

fn curve_point_len(curve: &[u8]) -> Option<usize> {
    match curve {
        b"nistp256" => Some(65),
        b"nistp384" => Some(97),
        b"nistp521" => Some(133),
        _ => None,
    }
}

/// Reads the key-type string and the public fields that follow it (the
/// layout of a public blob, and of the start of a private key entry, except
/// that RSA private entries put `n` before `e`).
fn read_public<'a>(r: &mut Reader<'a>, private_entry: bool) -> Result<PublicKey<'a>, KeyError> {
    let key_type = r.get_string()?;
    match key_type {
        b"ssh-ed25519" => {
            let key = r.get_string()?;
            ensure(key.len() == 32, "ed25519 public key is not 32 bytes", r)?;
            Ok(PublicKey::Ed25519 { key })
        }
        b"ssh-rsa" => {
            let (e, n) = if private_entry {
                let n = r.get_mpint_unsigned()?;
                (r.get_mpint_unsigned()?, n)
            } else {
                (r.get_mpint_unsigned()?, r.get_mpint_unsigned()?)
            };
            ensure(n.len() >= 128, "RSA modulus under 1024 bits", r)?;
            ensure(
                e.last().is_some_and(|b| b & 1 == 1),
                "RSA exponent is even",
                r,
            )?;
            Ok(PublicKey::Rsa { e, n })
        }
        _ => {
            let curve = r.get_string()?;
            let suffix = key_type.strip_prefix(b"ecdsa-sha2-");
            ensure(suffix == Some(curve), "unknown key type", r)?;
            let point = r.get_string()?;
            let len = curve_point_len(curve);
            ensure(
                len == Some(point.len()),
                "ECDSA point of the wrong length",
                r,
            )?;
            ensure(point.first() == Some(&4), "ECDSA point not uncompressed", r)?;
            Ok(PublicKey::Ecdsa {
                key_type,
                curve,
                point,
            })
        }
    }
}

fn write_public(
    w: &mut Writer<'_>,
    key: &PublicKey<'_>,
    private_entry: bool,
) -> Result<(), ssh::Error> {
    match *key {
        PublicKey::Ed25519 { key } => {
            w.put_string(b"ssh-ed25519")?;
            w.put_string(key)
        }
        PublicKey::Rsa { e, n } => {
            w.put_string(b"ssh-rsa")?;
            if private_entry {
                w.put_mpint_unsigned(n)?;
                w.put_mpint_unsigned(e)
            } else {
                w.put_mpint_unsigned(e)?;
                w.put_mpint_unsigned(n)
            }
        }
        PublicKey::Ecdsa {
            key_type,
            curve,
            point,
        } => {
            w.put_string(key_type)?;
            w.put_string(curve)?;
            w.put_string(point)
        }
    }
}

/// Parses a whole public key blob.
fn parse_blob(blob: &[u8]) -> Result<PublicKey<'_>, KeyError> {
    let mut r = Reader::new(blob).with_string_limit(4096);
    let key = read_public(&mut r, false)?;
    r.expect_end()?;
    Ok(key)
}

fn parse_private_file(bin: &[u8]) -> Result<PrivateFile<'_>, KeyError> {
    let mut r = Reader::new(bin).with_string_limit(16 * 1024);
    let magic = r.get_raw(MAGIC.len())?;
    ensure(magic == MAGIC, "not openssh-key-v1", &r)?;
    ensure(
        r.get_string()? == b"none",
        "encrypted (cipher is not none)",
        &r,
    )?;
    ensure(r.get_string()? == b"none", "kdf is not none", &r)?;
    ensure(r.get_string()?.is_empty(), "kdf options without a kdf", &r)?;
    ensure(r.get_u32()? == 1, "not exactly one key", &r)?;

    let mut blob = r.get_nested()?;
    let public = read_public(&mut blob, false)?;
    blob.expect_end()?;

    let mut s = r.get_nested()?;
    r.expect_end()?;
    ensure(
        s.remaining() % 8 == 0,
        "private section not padded to 8",
        &s,
    )?;
    let check = s.get_u32()?;
    ensure(s.get_u32()? == check, "check words differ", &s)?;
    let again = read_public(&mut s, true)?;
    ensure(again == public, "private entry's public key differs", &s)?;
    let secret = match public {
        PublicKey::Ed25519 { key } => {
            let pair = s.get_string()?;
            ensure(pair.len() == 64, "ed25519 secret is not 64 bytes", &s)?;
            ensure(
                &pair[32..] == key,
                "ed25519 secret does not end in its public key",
                &s,
            )?;
            Secret::Ed25519 { pair }
        }
        PublicKey::Ecdsa { .. } => Secret::Ecdsa {
            d: s.get_mpint_unsigned()?,
        },
        PublicKey::Rsa { n, .. } => {
            let d = s.get_mpint_unsigned()?;
            let iqmp = s.get_mpint_unsigned()?;
            let p = s.get_mpint_unsigned()?;
            let q = s.get_mpint_unsigned()?;
            ensure(
                p.len() + q.len() >= n.len(),
                "RSA primes too short for n",
                &s,
            )?;
            Secret::Rsa { d, iqmp, p, q }
        }
    };
    let comment = s.get_string()?;
    let padding = s.rest();
    ensure(padding.len() < 8, "more padding than a block", &s)?;
    ensure(
        padding.iter().zip(1u8..).all(|(&b, i)| b == i),
        "padding is not 1, 2, 3, ...",
        &s,
    )?;
    s.skip(padding.len())?;
    s.expect_end()?;
    Ok(PrivateFile {
        public,
        check,
        secret,
        comment,
    })
}

fn encode_private_file(f: &PrivateFile<'_>, out: &mut [u8]) -> Result<usize, ssh::Error> {
    let mut w = Writer::new(out);
    w.put_raw(MAGIC)?;
    w.put_string(b"none")?;
    w.put_string(b"none")?;
    w.put_string(b"")?;
    w.put_u32(1)?;
    w.put_nested(|blob| write_public(blob, &f.public, false))?;
    w.put_nested(|s| {
        s.put_u32(f.check)?;
        s.put_u32(f.check)?;
        write_public(s, &f.public, true)?;
        match f.secret {
            Secret::Ed25519 { pair } => s.put_string(pair)?,
            Secret::Ecdsa { d } => s.put_mpint_unsigned(d)?,
            Secret::Rsa { d, iqmp, p, q } => {
                for v in [d, iqmp, p, q] {
                    s.put_mpint_unsigned(v)?;
                }
            }
        }
        s.put_string(f.comment)?;
        for i in 1..=(8 - s.position() % 8) % 8 {
            s.put_u8(u8::try_from(i).expect("under 8"))?;
        }
        Ok(())
    })?;
    Ok(w.position())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, strict: `None` for any other character,
/// misplaced padding, or non-zero bits left over.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i + 1 == bytes.len() / 4;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &quad[..4 - pad] {
            let v = B64.iter().position(|&b| b == c)?;
            acc = acc << 6 | u32::try_from(v).ok()?;
        }
        acc <<= 6 * pad;
        let [_, a, b, c] = acc.to_be_bytes();
        let chunk = [a, b, c];
        let keep = 3 - pad;
        if chunk[keep..].iter().any(|&x| x != 0) {
            return None;
        }
        out.extend_from_slice(&chunk[..keep]);
    }
    Some(out)
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut b = [0u8; 3];
        b[..chunk.len()].copy_from_slice(chunk);
        let acc = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[(acc >> (18 - 6 * k) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The binary inside a private key file's armour.
fn unarmour(text: &str) -> Vec<u8> {
    let body = text
        .strip_prefix(BEGIN)
        .and_then(|t| t.strip_suffix(&format!("{END}\n")))
        .expect("OpenSSH private key armour");
    base64_decode(&body.lines().collect::<String>()).expect("valid base64")
}

/// The armour `ssh-keygen` writes: base64 in lines of 70 characters.
fn armour(bin: &[u8]) -> String {
    let b64 = base64_encode(bin);
    let mut text = format!("{BEGIN}\n");
    for line in b64.as_bytes().chunks(70) {
        text.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        text.push('\n');
    }
    text.push_str(END);
    text.push('\n');
    text
}

fn key_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ssh-keys");
    let mut keys: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("tests/ssh-keys")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("key-") && p.extension().is_none()
        })
        .collect();
    keys.sort();
    keys
}

struct Loaded {
    name: String,
    private_text: String,
    pub_text: String,
    private_bin: Vec<u8>,
    blob: Vec<u8>,
    pub_type: String,
    pub_comment: String,
}

fn load(path: &Path) -> Loaded {
    let private_text = fs::read_to_string(path).expect("private key file");
    let pub_text = fs::read_to_string(path.with_extension("pub")).expect(".pub file");
    let line = pub_text.strip_suffix('\n').expect(".pub ends in a newline");
    let mut parts = line.splitn(3, ' ');
    let pub_type = parts.next().expect("key type").to_owned();
    let blob = base64_decode(parts.next().expect("base64 blob")).expect("valid base64");
    let pub_comment = parts.next().unwrap_or("").to_owned();
    Loaded {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        private_bin: unarmour(&private_text),
        private_text,
        pub_text,
        blob,
        pub_type,
        pub_comment,
    }
}

#[test]
fn base64_round_trips_and_is_strict() {
    for len in 0..10 {
        let data: Vec<u8> = (0..len).map(|i: u8| i.wrapping_mul(37) + 1).collect();
        assert_eq!(base64_decode(&base64_encode(&data)), Some(data));
    }
    assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64_encode(b"fo"), "Zm8=");
    for bad in ["Zm9", "Zm=v", "Zm9v!A==", "Zh==", "Z==="] {
        assert_eq!(base64_decode(bad), None, "{bad}");
    }
}

#[test]
fn hundred_openssh_keys_parse_and_reencode_byte_identically() {
    let keys = key_files();
    assert_eq!(keys.len(), 100, "run tests/ssh-keys/generate.sh");
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for path in &keys {
        let k = load(path);
        let name = &k.name;

        // The public blob: parse, check, write back.
        let public = parse_blob(&k.blob).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut out = [0u8; 4096];
        let mut w = Writer::new(&mut out);
        write_public(&mut w, &public, false).unwrap();
        assert_eq!(w.written(), k.blob, "{name}: public blob");

        // The private file: parse, check against the .pub, write back.
        let file = parse_private_file(&k.private_bin).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(file.public, public, "{name}: private file's public key");
        assert_eq!(file.comment, k.pub_comment.as_bytes(), "{name}: comment");
        let n = encode_private_file(&file, &mut out).unwrap();
        assert_eq!(&out[..n], k.private_bin, "{name}: private file");
        assert_eq!(armour(&out[..n]), k.private_text, "{name}: armour");
        let pub_line = format!(
            "{} {} {}\n",
            k.pub_type,
            base64_encode(&k.blob),
            k.pub_comment
        );
        assert_eq!(pub_line, k.pub_text, "{name}: .pub line");

        let kind = match (&public, &file.secret) {
            (PublicKey::Ed25519 { .. }, Secret::Ed25519 { .. }) => "ed25519".to_owned(),
            (PublicKey::Ecdsa { curve, .. }, Secret::Ecdsa { .. }) => {
                String::from_utf8_lossy(curve).into_owned()
            }
            (PublicKey::Rsa { n, .. }, Secret::Rsa { .. }) => format!("rsa{}", n.len() * 8),
            _ => panic!("{name}: public and secret kinds differ"),
        };
        *kinds.entry(kind).or_default() += 1;
    }
    let want: Vec<(&str, usize)> = vec![
        ("ed25519", 28),
        ("nistp256", 16),
        ("nistp384", 16),
        ("nistp521", 16),
        ("rsa1024", 6),
        ("rsa2048", 6),
        ("rsa3072", 6),
        ("rsa4096", 6),
    ];
    let got: Vec<(&str, usize)> = kinds.iter().map(|(k, &v)| (k.as_str(), v)).collect();
    assert_eq!(got, want);
}

#[test]
fn damaged_private_files_fail_with_an_offset_inside_them() {
    // One key of each kind: every cut, and a byte too many.
    for name in [
        "key-001-ed25519-256",
        "key-029-ecdsa-256",
        "key-076-ecdsa-521",
        "key-079-rsa-1024",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("ssh-keys")
            .join(name);
        let bin = load(&path).private_bin;
        for cut in 0..bin.len() {
            let e = parse_private_file(&bin[..cut]).expect_err("a cut file must not parse");
            assert!(e.offset() <= cut, "{name} cut at {cut}: {e:?}");
        }
        let mut longer = bin.clone();
        longer.push(0);
        assert_eq!(
            parse_private_file(&longer),
            Err(KeyError::Wire(ssh::Error::TrailingBytes {
                offset: bin.len()
            })),
            "{name}"
        );
    }
}

#[test]
fn tampered_fields_are_named_at_their_offset() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("ssh-keys/key-079-rsa-1024");
    let bin = load(&path).private_bin;
    // The first check word sits right after the private section's length:
    // magic, three strings ("none", "none", ""), the key count, the blob.
    let blob_len = u32::from_be_bytes(bin[39..43].try_into().unwrap()) as usize;
    let section = 43 + blob_len;
    let mut bad = bin.clone();
    bad[section + 4] ^= 1;
    assert_eq!(
        parse_private_file(&bad),
        Err(KeyError::Format {
            what: "check words differ",
            offset: section + 12
        })
    );
    // The public exponent in the blob (after "ssh-rsa"), made non-minimal:
    // 0x010001 with a leading zero that the length does not cover.
    let e_at = 43 + 4 + 7;
    assert_eq!(&bin[e_at..e_at + 7], [0, 0, 0, 3, 1, 0, 1]);
    let mut bad = bin.clone();
    bad[e_at + 3] = 4; // claims 4 bytes: 01 00 01 xx, where xx is n's length
    let e = parse_private_file(&bad).unwrap_err();
    assert_ne!(e.offset(), 0);
    // A negative exponent: the unsigned read names the mpint's body.
    let mut bad = bin;
    bad[e_at + 4] = 0x81;
    assert_eq!(
        parse_private_file(&bad),
        Err(KeyError::Wire(ssh::Error::NegativeMpint {
            offset: e_at + 4
        }))
    );
}
