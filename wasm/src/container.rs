//! The self-describing container, version 2 (wire contract section 4):
//! streaming `ContainerWriter` / `ContainerReader`, one-shot `pack` /
//! `unpack`.
//!
//! Everything about the format is the core's (`secstream_core::container`):
//! its `Config` (checksum, compression none / deflate / LZ4, sealing with
//! HKDF-SHA256 + ChaCha20-Poly1305, `maxPlain`), its default read limit, its
//! two-phase `Reader` (the header first, then buffers sized from it) and its
//! `Writer` (frames, then the end section with the optional index). A
//! container that ends anywhere before the last byte of its end section is
//! refused as truncated, at frame boundaries too.
//!
//! Copies: a reader copies each input byte from JS into wasm memory once
//! (frames that arrive in pieces are gathered straight from the JS chunks,
//! see `gather`) and each plaintext byte out once; a writer likewise.

use js_sys::{Array, Object, Uint8Array};
use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::{self, Compression, Decompress, Decompressor, Lz4Decompressor};
use secstream_core::container::{
    self, Config, DEFAULT_MAX_PLAIN, DEFAULT_READ_LIMIT, Feed, Header, MAX_PLAIN_LIMIT, Reader,
    SEALED_PREAMBLE_LEN, Writer,
};
use secstream_core::frame;
use secstream_core::seal::{KEY_LEN, MasterKey, STREAM_NONCE_LEN};
use wasm_bindgen::prelude::*;
use zeroize::{Zeroize, Zeroizing};

use crate::convert::{self, Options, error, opts_value};
use crate::gather::{Gather, STAGE_LEN, Stage};

#[wasm_bindgen(typescript_custom_section)]
const TS_CONTAINER_OPTIONS: &str = r#"
/** The per-frame compression of a container. */
export type CompressionName = "none" | "deflate" | "lz4";

/** Options of `ContainerWriter`, `pack` and `PackStream`. */
export interface PackOptions {
  /** Checksum over each stored frame (default "crc32c"). */
  checksum?: ChecksumName;
  /**
   * Largest plaintext of one frame, 1 to 16777216 bytes (default 1048576): input is cut
   * into frames of this size. Written in the header; readers size their buffers from it.
   */
  maxPlain?: number;
  /** Compression of each frame (default "none"). */
  compression?: CompressionName;
  /** Deflate level 0 (store) to 10 (best), default 6; only with compression "deflate". */
  level?: number;
  /** Write the index of frame lengths into the end section (default true; 8 bytes per frame). */
  index?: boolean;
  /** 32-byte master key: the container is sealed when it is given (see `generateKey`). */
  key?: Uint8Array;
  /**
   * 16-byte stream nonce of a sealed container; taken from `crypto.getRandomValues`
   * when omitted. Give it only for reproducible test output: a nonce must never be
   * used twice with the same key.
   */
  streamNonce?: Uint8Array;
}

/** Options of `ContainerReader`, `unpack` and `UnpackStream`. */
export interface UnpackOptions {
  /** 32-byte master key; required for a sealed container, refused for an unsealed one. */
  key?: Uint8Array;
  /**
   * Largest `maxPlain` of a container this reader accepts, 1 to 1073741824 (default
   * 16777216, the limit of every secstream reader). Buffers are sized from the
   * container's header, so this bounds the memory a container can make the reader take.
   */
  readLimit?: number;
}

/** A container's header, as read or written. */
export interface ContainerHeader {
  checksum: "none" | "crc16" | "crc32" | "crc32c" | "xxh3";
  compression: CompressionName;
  sealed: boolean;
  /** Largest plaintext of one frame. */
  maxPlain: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `crypto.getRandomValues` (Web Crypto; a global in browsers and Node 19+).
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(buf: &Uint8Array) -> Result<JsValue, JsValue>;
}

/// `n` random bytes from `crypto.getRandomValues`.
fn random_bytes(n: usize, what: &str) -> Result<Uint8Array, JsError> {
    let len = u32::try_from(n).map_err(|_| error(what, "too many random bytes asked for"))?;
    let a = Uint8Array::new_with_length(len);
    get_random_values(&a).map_err(|_| error(what, "crypto.getRandomValues is not available"))?;
    Ok(a)
}

/// A fresh random 32-byte master key from `crypto.getRandomValues`.
///
/// # Errors
/// No `crypto.getRandomValues` in this JavaScript environment.
#[wasm_bindgen(js_name = generateKey)]
pub fn generate_key() -> Result<Uint8Array, JsError> {
    random_bytes(KEY_LEN, "generateKey")
}

/// A master key copied from a 32-byte `Uint8Array`.
fn master_key(v: &JsValue, what: &str) -> Result<MasterKey, JsError> {
    let a = convert::bytes(v, what)?;
    if a.length() as usize != KEY_LEN {
        return Err(JsError::new(&format!(
            "{what} must be {KEY_LEN} bytes, got {}",
            a.length()
        )));
    }
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    a.copy_to(k.as_mut());
    Ok(MasterKey::from_bytes(&k))
}

fn header_js(c: &Config) -> JsValue {
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("checksum", JsValue::from_str(c.checksum.name()));
    set("compression", JsValue::from_str(c.compression.name()));
    set("sealed", JsValue::from_bool(c.sealed));
    set("maxPlain", JsValue::from_f64(f64::from(c.max_plain)));
    o.into()
}

/// A boolean option, or `default` when it is absent.
fn bool_option(opts: &Options, key: &str, default: bool) -> Result<bool, JsError> {
    match opts.get(key) {
        Some(v) => v
            .as_bool()
            .ok_or_else(|| JsError::new(&format!("{} must be a boolean", opts.name(key)))),
        None => Ok(default),
    }
}

/// A zeroed buffer of `len` bytes, allocated fallibly (a failed allocation
/// would abort the module).
fn zeroed(len: usize, what: &str) -> Result<Zeroizing<Vec<u8>>, JsError> {
    let mut v = Zeroizing::new(Vec::new());
    v.try_reserve_exact(len)
        .map_err(|_| error(what, format_args!("out of memory for a {len}-byte buffer")))?;
    v.resize(len, 0);
    Ok(v)
}

/// Streaming container writer: push plaintext chunks of any size, get
/// container bytes out (the preamble first). Input is gathered into frames of
/// `maxPlain` bytes, so the output does not depend on how the input was
/// chunked; `flush()` ends a frame early, `writeFrame()` writes one frame of
/// its own, and `finish()` writes the last frame (for a sealed stream, its
/// final frame) and the end section.
#[wasm_bindgen]
pub struct ContainerWriter {
    writer: Writer,
    /// Unsealed and uncompressed: the core writes the frame headers and the
    /// payloads go from `pending` straight to JS.
    plain: bool,
    max_plain: usize,
    /// Plaintext gathered for the next frame. Its capacity is `max_plain`
    /// from the first push on, so it never reallocates (which would leave an
    /// unwiped copy behind).
    pending: Zeroizing<Vec<u8>>,
    /// Encoded bytes; grown (never reallocated in place) when too short, and
    /// wiped after each use.
    out: Zeroizing<Vec<u8>>,
    /// Encoded frames of the current call, already copied to JS.
    parts: Vec<Uint8Array>,
    /// `writeFrame(payload, true)` was called: only `finish()` may follow.
    last_written: bool,
    /// An encode failed: frames may be missing from the output, so the
    /// writer refuses to go on.
    failed: bool,
}

impl ContainerWriter {
    fn from_options(v: &JsValue, what: &'static str) -> Result<Self, JsError> {
        let opts = Options::new(
            v,
            what,
            &[
                "checksum",
                "maxPlain",
                "compression",
                "level",
                "index",
                "key",
                "streamNonce",
            ],
        )?;
        let kind = match opts.get("checksum") {
            Some(c) => convert::checksum(&c, &opts.name("checksum"))?,
            None => ChecksumKind::Crc32c,
        };
        let max_plain = match opts.get("maxPlain") {
            Some(m) => {
                let name = opts.name("maxPlain");
                let m = convert::uint(&m, &name, u64::from(DEFAULT_READ_LIMIT))?;
                if m == 0 {
                    return Err(JsError::new(&format!("{name} must be at least 1")));
                }
                u32::try_from(m).unwrap_or(DEFAULT_READ_LIMIT)
            }
            None => DEFAULT_MAX_PLAIN,
        };
        let compression = match opts.get("compression") {
            Some(c) => convert::compression(&c, &opts.name("compression"))?,
            None => Compression::None,
        };
        let level = match opts.get("level") {
            Some(l) => {
                let name = opts.name("level");
                if compression != Compression::Deflate {
                    return Err(JsError::new(&format!(
                        "{name} applies to compression \"deflate\" only"
                    )));
                }
                Some(convert::uint(&l, &name, 10)?)
            }
            None => None,
        };
        let index = bool_option(&opts, "index", true)?;
        let config = Config::new(kind, max_plain).with_compression(compression);
        let mut writer = match opts.get("key") {
            Some(k) => {
                let key = master_key(&k, &opts.name("key"))?;
                let nonce_js = match opts.get("streamNonce") {
                    Some(n) => {
                        let name = opts.name("streamNonce");
                        let a = convert::bytes(&n, &name)?;
                        if a.length() as usize != STREAM_NONCE_LEN {
                            return Err(JsError::new(&format!(
                                "{name} must be {STREAM_NONCE_LEN} bytes, got {}",
                                a.length()
                            )));
                        }
                        a
                    }
                    None => random_bytes(STREAM_NONCE_LEN, what)?,
                };
                let mut nonce = [0u8; STREAM_NONCE_LEN];
                nonce_js.copy_to(&mut nonce);
                Writer::new_sealed(config, &key, nonce).map_err(|e| error(what, e))?
            }
            None => {
                if opts.get("streamNonce").is_some() {
                    return Err(JsError::new(&format!(
                        "{what}: streamNonce needs a key (only sealed containers have one)"
                    )));
                }
                Writer::new(config).map_err(|e| error(what, e))?
            }
        };
        if index {
            writer = writer.with_index();
        }
        if let Some(level) = level {
            writer.set_level(u8::try_from(level).unwrap_or(10));
        }
        let plain = compression == Compression::None && !writer.config().sealed;
        Ok(Self {
            writer,
            plain,
            max_plain: max_plain as usize,
            pending: Zeroizing::new(Vec::new()),
            out: Zeroizing::new(Vec::new()),
            parts: Vec::new(),
            last_written: false,
            failed: false,
        })
    }

    /// Makes `out` at least `len` bytes long. The old buffer holds only zeros
    /// (it is wiped after each use), so replacing it leaves nothing behind.
    fn ensure_out(&mut self, len: usize, what: &str) -> Result<(), JsError> {
        if self.out.len() < len {
            self.out = zeroed(len, what)?;
        }
        Ok(())
    }

    /// Encodes the frame of `payload` (at most `maxPlain` bytes) and copies it
    /// to JS; `last` makes it the last frame (sealed: the final frame).
    fn emit(&mut self, payload: &[u8], last: bool, what: &str) -> Result<(), JsError> {
        if self.plain {
            // Header from the core, payload copied once, straight to JS.
            let mut pre = [0u8; SEALED_PREAMBLE_LEN];
            let n = self.writer.start(&mut pre).map_err(|e| error(what, e))?;
            let h = self
                .writer
                .plain_frame_header(payload)
                .map_err(|e| error(what, e))?;
            self.parts.push(convert::join_to_js(&[
                pre.get(..n).unwrap_or_default(),
                h.as_bytes(),
                payload,
            ])?);
        } else {
            let need = self.writer.max_encoded_len(payload.len());
            self.ensure_out(need, what)?;
            let out = self.out.get_mut(..need).unwrap_or_default();
            let r = if last {
                self.writer.encode_last(payload, out)
            } else {
                self.writer.encode_frame(payload, out)
            };
            let n = r.map_err(|e| error(what, e))?;
            let done = out.get_mut(..n).unwrap_or_default();
            self.parts.push(convert::to_js(done));
            done.zeroize();
        }
        Ok(())
    }

    /// Encodes the gathered bytes as one frame (none when nothing is gathered).
    fn emit_pending(&mut self, last: bool, what: &str) -> Result<(), JsError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = core::mem::take(&mut self.pending);
        let r = self.emit(&pending, last, what);
        self.pending = pending;
        // Wipes the bytes and keeps the capacity.
        self.pending.zeroize();
        r
    }

    /// Everything encoded by this call, as one JS array (joined in JS when
    /// the call wrote several frames).
    fn take_parts(&mut self) -> Uint8Array {
        if self.parts.len() == 1
            && let Some(one) = self.parts.pop()
        {
            return one;
        }
        let total: u32 = self.parts.iter().map(Uint8Array::length).sum();
        let out = Uint8Array::new_with_length(total);
        let mut at = 0;
        for p in self.parts.drain(..) {
            out.set(&p, at);
            at += p.length();
        }
        out
    }

    /// Not failed and not finished.
    fn check_usable(&self, what: &str) -> Result<(), JsError> {
        if self.failed {
            Err(error(
                what,
                "the writer failed earlier; start a new container",
            ))
        } else if self.writer.is_finished() {
            Err(error(what, container::Error::Finished))
        } else {
            Ok(())
        }
    }

    /// Usable, and the last frame is not written yet.
    fn check_open(&self, what: &str) -> Result<(), JsError> {
        self.check_usable(what)?;
        if self.last_written {
            Err(error(
                what,
                "the last frame was written; only finish() may follow",
            ))
        } else {
            Ok(())
        }
    }

    /// The bytes of this call, or its error (after which the writer is failed).
    fn conclude(&mut self, r: Result<(), JsError>) -> Result<Uint8Array, JsError> {
        let out = self.take_parts();
        if r.is_err() {
            self.failed = true;
        }
        r.map(|()| out)
    }

    /// Gives `pending` room for `need` bytes without a reallocation that
    /// would leave an unwiped copy behind: a first push takes what it needs
    /// (`pack` of a small input does not reserve a whole frame), a later one
    /// that needs more moves to a buffer of `maxPlain` and wipes the old one.
    fn reserve_pending(&mut self, need: usize, what: &str) -> Result<(), JsError> {
        if self.pending.capacity() >= need {
            return Ok(());
        }
        let target = if self.pending.capacity() == 0 {
            need
        } else {
            self.max_plain
        };
        let mut bigger = Zeroizing::new(Vec::new());
        bigger
            .try_reserve_exact(target)
            .map_err(|_| error(what, "out of memory for the frame buffer"))?;
        bigger.extend_from_slice(&self.pending);
        self.pending.zeroize();
        self.pending = bigger;
        Ok(())
    }

    fn push_inner(&mut self, src: &Uint8Array) -> Result<(), JsError> {
        let what = "ContainerWriter.push";
        let len = src.length();
        let need = (self.pending.len() + len as usize).min(self.max_plain);
        self.reserve_pending(need, what)?;
        let mut from = 0u32;
        while from < len {
            // A full frame waits until more input comes, so that `finish()`
            // can make the last one the final frame.
            if self.pending.len() == self.max_plain {
                self.emit_pending(false, what)?;
            }
            let room = self.max_plain - self.pending.len();
            let take = u32::try_from(room).unwrap_or(u32::MAX).min(len - from);
            let at = self.pending.len();
            // Within the capacity reserved above: no reallocation.
            self.pending.resize(at + take as usize, 0);
            src.subarray(from, from + take)
                .copy_to(self.pending.get_mut(at..).unwrap_or_default());
            from += take;
        }
        Ok(())
    }

    fn finish_inner(&mut self, what: &str) -> Result<(), JsError> {
        self.emit_pending(true, what)?;
        let need = self.writer.max_finish_len();
        self.ensure_out(need, what)?;
        let out = self.out.get_mut(..need).unwrap_or_default();
        let n = self.writer.finish(out).map_err(|e| error(what, e))?;
        let done = out.get_mut(..n).unwrap_or_default();
        self.parts.push(convert::to_js(done));
        done.zeroize();
        Ok(())
    }
}

#[wasm_bindgen]
impl ContainerWriter {
    /// A writer with `options`; sealed when `options.key` is given.
    ///
    /// # Errors
    /// Unknown or malformed options (a key that is not 32 bytes, ...).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "PackOptions")] options: Option<Object>,
    ) -> Result<ContainerWriter, JsError> {
        Self::from_options(&opts_value(options), "ContainerWriter options")
    }

    /// The header this writer writes.
    #[wasm_bindgen(getter, unchecked_return_type = "ContainerHeader")]
    pub fn header(&self) -> JsValue {
        header_js(self.writer.config())
    }

    /// Plaintext bytes per full frame (`maxPlain`).
    #[wasm_bindgen(getter, js_name = maxPlain)]
    pub fn max_plain(&self) -> usize {
        self.max_plain
    }

    /// Takes `chunk` and returns the container bytes that are ready: the
    /// preamble with the first frame, then every full frame.
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`, or the writer has finished.
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        let src = convert::bytes(chunk, "ContainerWriter.push chunk")?;
        self.check_open("ContainerWriter.push")?;
        let r = self.push_inner(&src);
        self.conclude(r)
    }

    /// Writes `payload` as exactly one frame of its own (it may be empty),
    /// after the frame of any gathered bytes; for message-oriented streams
    /// where frame boundaries matter. With `last` true it is the last frame
    /// (of a sealed stream, the final frame) and only `finish()` may follow.
    /// Returns the bytes written.
    ///
    /// # Errors
    /// `payload` not a `Uint8Array` or longer than `maxPlain`, `last` not a
    /// boolean, or the writer has finished.
    #[wasm_bindgen(js_name = writeFrame)]
    pub fn write_frame(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: &JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean")] last: Option<JsValue>,
    ) -> Result<Uint8Array, JsError> {
        let what = "ContainerWriter.writeFrame";
        let src = convert::bytes(payload, &format!("{what} payload"))?;
        let last = match last.filter(|v| !v.is_undefined()) {
            Some(v) => v
                .as_bool()
                .ok_or_else(|| JsError::new(&format!("{what} last must be a boolean")))?,
            None => false,
        };
        self.check_open(what)?;
        if src.length() as usize > self.max_plain {
            // Refused before anything is written: the writer stays usable.
            return Err(error(what, container::Error::PlainTooLong));
        }
        let data = convert::to_secret_vec(&src)?;
        let r = self.emit_pending(false, what).and_then(|()| {
            self.emit(&data, last, what)?;
            self.last_written = last;
            Ok(())
        });
        self.conclude(r)
    }

    /// Ends the current frame early: returns the frame of the gathered bytes
    /// (an empty array when none are gathered).
    ///
    /// # Errors
    /// The writer has finished.
    pub fn flush(&mut self) -> Result<Uint8Array, JsError> {
        self.check_open("ContainerWriter.flush")?;
        let r = self.emit_pending(false, "ContainerWriter.flush");
        self.conclude(r)
    }

    /// Ends the stream: returns the last bytes (the preamble if nothing was
    /// written yet, the gathered bytes as the last frame, for a sealed stream
    /// an empty final frame when no frame was final yet, and the end section).
    ///
    /// # Errors
    /// The writer has finished already.
    pub fn finish(&mut self) -> Result<Uint8Array, JsError> {
        let what = "ContainerWriter.finish";
        self.check_usable(what)?;
        let r = self.finish_inner(what);
        self.conclude(r)
    }
}

/// The decompressor of a reader: allocated once the header names a
/// compression, with an output buffer of the stream's `maxPlain`.
enum Decomp {
    Off,
    Deflate(Box<Decompressor<Zeroizing<Vec<u8>>>>),
    Lz4(Box<Lz4Decompressor<Zeroizing<Vec<u8>>>>),
}

impl Decompress for Decomp {
    fn decompress(
        &mut self,
        kind: Compression,
        input: &[u8],
        limit: usize,
    ) -> Result<usize, compress::Error> {
        match self {
            Self::Off => Err(compress::Error::Unsupported),
            Self::Deflate(d) => d.decompress(kind, input, limit),
            Self::Lz4(d) => d.decompress(kind, input, limit),
        }
    }

    fn output(&mut self) -> &mut [u8] {
        match self {
            Self::Off => &mut [],
            Self::Deflate(d) => d.output(),
            Self::Lz4(d) => d.output(),
        }
    }
}

type Inner = Reader<Zeroizing<Vec<u8>>, Decomp>;

/// What one staged feed of the reader gave.
enum Step {
    More(usize),
    Header(Header, usize),
    Buffer(usize, usize),
    Frame(usize),
    End(usize),
}

/// Streaming container reader: push container bytes in any split, get the
/// checked (authenticated, decrypted, decompressed) payloads of complete
/// frames. A sealed frame that fails authentication releases nothing;
/// `finish()` fails unless the end section was read and matched, so a
/// container cut anywhere (at a frame boundary too) is refused.
///
/// Buffers follow the header: a frame buffer of each frame's length, on
/// demand, and a decompressor output of the stream's `maxPlain` when the
/// stream is compressed; a header whose `maxPlain` is above `readLimit` is
/// refused before anything is allocated.
#[wasm_bindgen]
pub struct ContainerReader {
    reader: Box<Inner>,
    gather: Gather,
    stage: Box<Stage>,
    /// Frame header length, once the preamble is read.
    hlen: Option<usize>,
    /// Bytes of the current frame header fed so far.
    hdr_got: usize,
    /// The end mark was read: the rest is the end section.
    in_end: bool,
}

impl ContainerReader {
    fn from_options(v: &JsValue, what: &'static str) -> Result<Self, JsError> {
        let opts = Options::new(v, what, &["key", "readLimit"])?;
        let limit = match opts.get("readLimit") {
            Some(m) => {
                let name = opts.name("readLimit");
                let m = convert::uint(&m, &name, u64::from(MAX_PLAIN_LIMIT))?;
                if m == 0 {
                    return Err(JsError::new(&format!("{name} must be at least 1")));
                }
                u32::try_from(m).unwrap_or(MAX_PLAIN_LIMIT)
            }
            None => DEFAULT_READ_LIMIT,
        };
        // The frame buffer stays empty: frames in pieces are gathered here.
        let buf = Zeroizing::new(Vec::new());
        let reader = match opts.get("key") {
            Some(k) => Reader::new_sealed(buf, master_key(&k, &opts.name("key"))?)
                .with_decompressor(Decomp::Off),
            None => Reader::new(buf).with_decompressor(Decomp::Off),
        };
        Ok(Self {
            reader: Box::new(reader.with_limit(limit).lazy()),
            gather: Gather::new(),
            stage: Box::new(Stage::new()),
            hlen: None,
            hdr_got: 0,
            in_end: false,
        })
    }

    /// Sizes the buffers from the header.
    fn on_header(&mut self, header: &Header, what: &str) -> Result<(), JsError> {
        let c = header.config;
        self.hlen = Some(frame::header_len(c.checksum));
        let out = || zeroed(c.max_plain as usize, what);
        *self.reader.decompressor_mut() = match c.compression {
            Compression::None => Decomp::Off,
            Compression::Deflate => Decomp::Deflate(Box::new(Decompressor::new(out()?))),
            Compression::Lz4 => Decomp::Lz4(Box::new(Lz4Decompressor::new(out()?))),
        };
        Ok(())
    }

    /// Feeds `src` and hands each payload to `out`. `whole` says that `src`
    /// is all of the input (`unpack`): a frame longer than the rest of it
    /// gets no buffer, and `finish` reports the truncation.
    fn feed_all(
        &mut self,
        src: &Uint8Array,
        out: &mut dyn FnMut(&[u8]),
        what: &str,
        whole: bool,
    ) -> Result<(), JsError> {
        let len = src.length();
        let mut pos = 0u32;
        loop {
            if self.gather.active() {
                pos += self.gather.fill_from_js(src, pos);
                let Some(payload) = self.gather.payload() else {
                    return Ok(());
                };
                let r = match self.reader.feed(payload) {
                    Ok(Feed::Frame { payload, .. }) => {
                        out(payload);
                        Ok(())
                    }
                    // The whole payload was given: the core takes it at once.
                    Ok(_) => Err(error(what, "internal error: a whole frame was not taken")),
                    Err(e) => Err(error(what, e)),
                };
                self.gather.clear();
                r?;
                continue;
            }
            if pos >= len {
                return Ok(());
            }
            // The stage holds at most the rest of a frame header, so a
            // payload is never staged (it is gathered from JS instead).
            let max = match self.hlen {
                Some(h) if !self.in_end => h - self.hdr_got,
                _ => STAGE_LEN,
            };
            let staged = self.stage.load(src, pos, max);
            let n = staged.len();
            let step = match self.reader.feed(staged) {
                Ok(Feed::NeedMore) => Ok(Step::More(n)),
                Ok(Feed::Header { header, consumed }) => Ok(Step::Header(header, consumed)),
                Ok(Feed::NeedBuffer { len, consumed }) => Ok(Step::Buffer(len, consumed)),
                Ok(Feed::Frame { payload, consumed }) => {
                    out(payload);
                    Ok(Step::Frame(consumed))
                }
                Ok(Feed::End { consumed }) => Ok(Step::End(consumed)),
                Err(e) => Err(error(what, e)),
            };
            self.stage.clear();
            // Staged bytes past `consumed` are read again from `src`.
            let consumed = match step? {
                Step::More(n) => {
                    if let Some(h) = self.hlen
                        && !self.in_end
                    {
                        self.hdr_got += n;
                        // A whole frame header always gives a frame or a
                        // buffer request: this was the end mark.
                        self.in_end = self.hdr_got >= h;
                    }
                    n
                }
                Step::Header(header, consumed) => {
                    self.on_header(&header, what)?;
                    consumed
                }
                Step::Buffer(frame_len, consumed) => {
                    self.hdr_got = 0;
                    let rest = (len.saturating_sub(pos) as usize).saturating_sub(consumed);
                    if whole && frame_len > rest {
                        // Truncated: nothing to gather it from.
                        return Ok(());
                    }
                    self.gather.start(frame_len, what)?;
                    consumed
                }
                Step::Frame(consumed) => {
                    self.hdr_got = 0;
                    consumed
                }
                Step::End(consumed) => consumed,
            };
            pos += u32::try_from(consumed).unwrap_or(u32::MAX);
        }
    }

    fn finish_inner(&mut self, what: &str) -> Result<(), JsError> {
        let r = self.reader.finish().map_err(|e| error(what, e));
        self.gather.clear();
        r
    }
}

#[wasm_bindgen]
impl ContainerReader {
    /// A reader with `options`: give `key` for a sealed container.
    ///
    /// # Errors
    /// Unknown or malformed options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "UnpackOptions")] options: Option<Object>,
    ) -> Result<ContainerReader, JsError> {
        Self::from_options(&opts_value(options), "ContainerReader options")
    }

    /// The header once it has been read, else `undefined`.
    #[wasm_bindgen(getter, unchecked_return_type = "ContainerHeader | undefined")]
    pub fn header(&self) -> JsValue {
        self.reader
            .header()
            .map_or(JsValue::UNDEFINED, |h| header_js(&h.config))
    }

    /// The payloads of the frames completed by `chunk`, in order.
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`; a bad header, checksum, authentication
    /// (wrong key or modified, reordered, dropped frames), decompression
    /// error, end section or data after the end, after which the reader keeps
    /// failing.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Array, JsError> {
        let chunk = convert::bytes(chunk, "ContainerReader.push chunk")?;
        let frames = Array::new();
        self.feed_all(
            &chunk,
            &mut |p| {
                frames.push(&convert::to_js(p));
            },
            "ContainerReader.push",
            false,
        )?;
        Ok(frames)
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    /// The input ended before the last byte of the end section (inside the
    /// preamble, a frame, or at a frame boundary), or an earlier error.
    pub fn finish(&mut self) -> Result<(), JsError> {
        self.finish_inner("ContainerReader.finish")
    }
}

/// The whole container of `data` (see `PackOptions`; sealed when `key` is
/// given).
///
/// # Errors
/// `data` not a `Uint8Array`, or bad options.
#[wasm_bindgen]
pub fn pack(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PackOptions")] options: Option<Object>,
) -> Result<Uint8Array, JsError> {
    let src = convert::bytes(data, "pack data")?;
    let mut w = ContainerWriter::from_options(&opts_value(options), "pack options")?;
    let what = "pack";
    let r = w.push_inner(&src).and_then(|()| w.finish_inner(what));
    w.conclude(r)
}

/// The plaintext of a whole container, all frames concatenated; the
/// container must be complete (up to the last byte of its end section).
///
/// # Errors
/// `data` not a `Uint8Array`, bad options, or any error of
/// `ContainerReader` (authentication failure, corruption, truncation,
/// trailing data).
#[wasm_bindgen]
pub fn unpack(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "UnpackOptions")] options: Option<Object>,
) -> Result<Uint8Array, JsError> {
    let src = convert::bytes(data, "unpack data")?;
    let mut r = ContainerReader::from_options(&opts_value(options), "unpack options")?;
    // Payloads go to JS one by one: a growing Vec would leave unwiped copies
    // behind when it reallocates.
    let mut parts = Vec::new();
    r.feed_all(&src, &mut |p| parts.push(convert::to_js(p)), "unpack", true)?;
    r.finish_inner("unpack")?;
    if parts.len() == 1
        && let Some(one) = parts.pop()
    {
        return Ok(one);
    }
    let total: u32 = parts.iter().map(Uint8Array::length).sum();
    let out = Uint8Array::new_with_length(total);
    let mut at = 0;
    for p in parts {
        out.set(&p, at);
        at += p.length();
    }
    Ok(out)
}
