//! The self-describing container (wire contract section 4): streaming
//! `ContainerWriter` / `ContainerReader`, one-shot `pack` / `unpack`, with
//! per-frame deflate and sealing (HKDF-SHA256 + ChaCha20-Poly1305).

use js_sys::{Array, Object, Uint8Array};
use secstream_core::checksum::ChecksumKind;
use secstream_core::container::{self, Feed, HEADER_LEN, Header, Reader, Writer};
use secstream_core::deflate::{self, Inflate, Inflater};
use secstream_core::seal::{KEY_LEN, MasterKey, STREAM_NONCE_LEN};
use wasm_bindgen::prelude::*;
use zeroize::{Zeroize, Zeroizing};

use crate::convert::{self, Options, error, opts_value};
use crate::frame::MAX_FRAME_LEN_LIMIT;

/// Default maximum frame length a writer puts in the header: 64 KiB.
pub const DEFAULT_WRITER_FRAME_LEN: u32 = 1 << 16;
/// Default largest frame a reader accepts: 17 MiB, room for the largest
/// frames this package and the `secstream` CLI write (16 MiB of input, plus
/// deflate's worst case and the tag). Buffers follow the header's maximum.
pub const DEFAULT_READER_FRAME_LEN: u32 = 17 << 20;
/// Largest `maxFrameLen` a reader accepts.
pub const MAX_READER_FRAME_LEN: u32 = 64 << 20;

#[wasm_bindgen(typescript_custom_section)]
const TS_CONTAINER_OPTIONS: &str = r#"
/** Options of `ContainerWriter`, `pack` and `PackStream`. */
export interface PackOptions {
  /** Checksum over each stored frame (default "crc32c"). */
  checksum?: ChecksumName;
  /** Maximum stored frame length written in the header, 64 to 16777216 (default 65536). */
  maxFrameLen?: number;
  /** Compress each frame with raw deflate (default false). */
  deflate?: boolean;
  /** Deflate level 0 (store) to 10 (best), default 6. */
  level?: number;
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
   * Largest frame (stored or inflated) accepted, 1 to 67108864 (default 17825792,
   * enough for anything this package and the secstream CLI write). Buffers are
   * sized from the container header, up to this.
   */
  maxFrameLen?: number;
}

/** The 16-byte container header, as read or written. */
export interface ContainerHeader {
  checksum: string;
  deflate: boolean;
  sealed: boolean;
  maxFrameLen: number;
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

fn header_js(h: &Header) -> JsValue {
    let o = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        // Setting a data property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("checksum", JsValue::from_str(h.checksum.name()));
    set("deflate", JsValue::from_bool(h.flags.deflate));
    set("sealed", JsValue::from_bool(h.flags.sealed));
    set("maxFrameLen", JsValue::from_f64(f64::from(h.max_frame_len)));
    o.into()
}

/// Streaming container writer: push plaintext chunks of any size, get
/// container bytes out (header first). Input is gathered into full frames,
/// so the output does not depend on how the input was chunked; `flush()`
/// ends a frame early and `finish()` ends the stream.
#[wasm_bindgen]
pub struct ContainerWriter {
    writer: Writer,
    /// Plaintext payload size of a full frame.
    frame_len: usize,
    /// Plaintext gathered for the next frame; its capacity is `frame_len`
    /// from the start, so it never reallocates (which would leave an
    /// unwiped copy behind).
    pending: Zeroizing<Vec<u8>>,
    /// One encoded frame, likewise allocated once.
    out: Zeroizing<Vec<u8>>,
    /// Encoded frames of the current call, already copied to JS.
    parts: Vec<Uint8Array>,
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
                "maxFrameLen",
                "deflate",
                "level",
                "key",
                "streamNonce",
            ],
        )?;
        let kind = match opts.get("checksum") {
            Some(c) => convert::checksum(&c, &opts.name("checksum"))?,
            None => ChecksumKind::Crc32c,
        };
        let max = match opts.get("maxFrameLen") {
            Some(m) => {
                let name = opts.name("maxFrameLen");
                let m = convert::uint(&m, &name, u64::from(MAX_FRAME_LEN_LIMIT))?;
                if m < 64 {
                    return Err(JsError::new(&format!("{name} must be at least 64")));
                }
                u32::try_from(m).unwrap_or(MAX_FRAME_LEN_LIMIT)
            }
            None => DEFAULT_WRITER_FRAME_LEN,
        };
        let deflate = match opts.get("deflate") {
            Some(d) => d.as_bool().ok_or_else(|| {
                JsError::new(&format!("{} must be a boolean", opts.name("deflate")))
            })?,
            None => false,
        };
        let level = match opts.get("level") {
            Some(l) => Some(convert::uint(&l, &opts.name("level"), 10)?),
            None => None,
        };
        let mut header = Header::new(kind, max);
        header.flags.deflate = deflate;
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
                Writer::new_sealed(header, &key, nonce).map_err(|e| error(what, e))?
            }
            None => {
                if opts.get("streamNonce").is_some() {
                    return Err(JsError::new(&format!(
                        "{what}: streamNonce needs a key (only sealed containers have one)"
                    )));
                }
                Writer::new(header).map_err(|e| error(what, e))?
            }
        };
        if let Some(level) = level {
            writer.set_level(u8::try_from(level).unwrap_or(10));
        }
        // The largest payload whose stored frame (deflate's worst case, the
        // tag) always fits the maximum frame length.
        let mut frame_len = writer.max_payload_len();
        let max = max as usize;
        while frame_len > 1 && container::max_stored_len(writer.header().flags, frame_len) > max {
            let over = container::max_stored_len(writer.header().flags, frame_len) - max;
            frame_len = frame_len.saturating_sub(over).max(1);
        }
        let out_cap = writer.max_encoded_len(frame_len);
        Ok(Self {
            writer,
            frame_len,
            pending: Zeroizing::new(Vec::with_capacity(frame_len)),
            out: Zeroizing::new(Vec::with_capacity(out_cap)),
            parts: Vec::new(),
            failed: false,
        })
    }

    /// Encodes the frame of `payload` (at most `frame_len` bytes, so it fits)
    /// and copies it to JS.
    fn emit(&mut self, payload: &[u8], what: &str) -> Result<(), JsError> {
        let need = self.writer.max_encoded_len(payload.len());
        self.out.zeroize();
        self.out.resize(need, 0);
        let n = self
            .writer
            .encode_frame(payload, &mut self.out)
            .map_err(|e| error(what, e))?;
        self.parts
            .push(convert::to_js(self.out.get(..n).unwrap_or_default()));
        self.out.zeroize();
        Ok(())
    }

    /// Encodes the gathered bytes as one frame (none when nothing is gathered).
    fn emit_pending(&mut self, what: &str) -> Result<(), JsError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = core::mem::take(&mut self.pending);
        let r = self.emit(&pending, what);
        self.pending = pending;
        self.pending.zeroize();
        r
    }

    /// Everything encoded by this call, as one JS array.
    fn take_parts(&mut self) -> Uint8Array {
        let total: u32 = self.parts.iter().map(Uint8Array::length).sum();
        let out = Uint8Array::new_with_length(total);
        let mut at = 0;
        for p in self.parts.drain(..) {
            out.set(&p, at);
            at += p.length();
        }
        out
    }

    fn check_open(&self, what: &str) -> Result<(), JsError> {
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

    /// The bytes of this call, or its error (after which the writer is failed).
    fn conclude(&mut self, r: Result<(), JsError>) -> Result<Uint8Array, JsError> {
        let out = self.take_parts();
        if r.is_err() {
            self.failed = true;
        }
        r.map(|()| out)
    }

    fn push_inner(&mut self, src: &Uint8Array) -> Result<(), JsError> {
        let what = "ContainerWriter.push";
        let len = src.length();
        let mut from = 0u32;
        while from < len {
            let room = self.frame_len - self.pending.len();
            let take = u32::try_from(room).unwrap_or(u32::MAX).min(len - from);
            let at = self.pending.len();
            // Within the capacity reserved at construction: no reallocation.
            self.pending.resize(at + take as usize, 0);
            src.subarray(from, from + take)
                .copy_to(self.pending.get_mut(at..).unwrap_or_default());
            from += take;
            if self.pending.len() == self.frame_len {
                self.emit_pending(what)?;
            }
        }
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
        header_js(self.writer.header())
    }

    /// Plaintext bytes per full frame.
    #[wasm_bindgen(getter, js_name = frameLen)]
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// Takes `chunk` and returns the container bytes that are ready: the
    /// header with the first frame, then every full frame.
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
    /// where frame boundaries matter. Returns the bytes written.
    ///
    /// # Errors
    /// `payload` not a `Uint8Array` or longer than `frameLen`, or the writer
    /// has finished.
    #[wasm_bindgen(js_name = writeFrame)]
    pub fn write_frame(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        let what = "ContainerWriter.writeFrame";
        let src = convert::bytes(payload, &format!("{what} payload"))?;
        self.check_open(what)?;
        if src.length() as usize > self.frame_len {
            // Refused before anything is written: the writer stays usable.
            return Err(error(what, container::Error::FrameTooLong));
        }
        let data = convert::to_secret_vec(&src)?;
        let r = self.emit_pending(what).and_then(|()| {
            let need = self.writer.max_encoded_len(data.len());
            self.out.zeroize();
            self.out.resize(need, 0);
            let n = self
                .writer
                .encode_frame(&data, &mut self.out)
                .map_err(|e| error(what, e))?;
            self.parts
                .push(convert::to_js(self.out.get(..n).unwrap_or_default()));
            self.out.zeroize();
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
        let r = self.emit_pending("ContainerWriter.flush");
        self.conclude(r)
    }

    /// Ends the stream: returns the last bytes (the gathered frame, the
    /// header if nothing was written yet, and the final frame of a sealed
    /// stream).
    ///
    /// # Errors
    /// The writer has finished already.
    pub fn finish(&mut self) -> Result<Uint8Array, JsError> {
        let what = "ContainerWriter.finish";
        self.check_open(what)?;
        let r = self.emit_pending(what).and_then(|()| {
            self.out.zeroize();
            self.out.resize(self.writer.max_encoded_len(0), 0);
            let n = self
                .writer
                .finish(&mut self.out)
                .map_err(|e| error(what, e))?;
            self.parts
                .push(convert::to_js(self.out.get(..n).unwrap_or_default()));
            self.out.zeroize();
            Ok(())
        });
        self.conclude(r)
    }
}

/// An inflater whose state and output buffer are allocated on first use, so
/// a reader of containers without deflate does not pay for them.
struct LazyInflater {
    max: usize,
    inner: Option<Box<Inflater<Zeroizing<Vec<u8>>>>>,
}

impl Inflate for LazyInflater {
    fn inflate(&mut self, input: &[u8], limit: usize) -> Result<usize, deflate::Error> {
        let max = self.max;
        self.inner
            .get_or_insert_with(|| Box::new(Inflater::new(Zeroizing::new(vec![0; max]))))
            .inflate(input, limit)
    }

    fn output(&mut self) -> &mut [u8] {
        match &mut self.inner {
            Some(i) => i.output(),
            None => &mut [],
        }
    }
}

type Inner = Reader<Zeroizing<Vec<u8>>, LazyInflater>;

/// Streaming container reader: push container bytes in any split, get the
/// checked (authenticated, decrypted, inflated) payloads of complete frames.
/// A sealed frame that fails authentication releases nothing.
///
/// Its buffers are sized from the header's maximum frame length (capped by
/// the `maxFrameLen` option), so they are allocated once the 16 header bytes
/// are in.
#[wasm_bindgen]
pub struct ContainerReader {
    state: State,
    /// Largest frame accepted (`maxFrameLen`).
    limit: u32,
    /// Length of the whole input when it is known (`unpack`): no stored frame
    /// is longer.
    input_len: Option<usize>,
}

enum State {
    /// Gathering the header, to size the buffers from it.
    Header {
        head: [u8; HEADER_LEN],
        got: usize,
        key: Option<MasterKey>,
    },
    Reading(Box<Inner>),
}

impl ContainerReader {
    fn from_options(
        v: &JsValue,
        what: &'static str,
        input_len: Option<usize>,
    ) -> Result<Self, JsError> {
        let opts = Options::new(v, what, &["key", "maxFrameLen"])?;
        let limit = match opts.get("maxFrameLen") {
            Some(m) => {
                let name = opts.name("maxFrameLen");
                let m = convert::uint(&m, &name, u64::from(MAX_READER_FRAME_LEN))?;
                if m == 0 {
                    return Err(JsError::new(&format!("{name} must be at least 1")));
                }
                u32::try_from(m).unwrap_or(MAX_READER_FRAME_LEN)
            }
            None => DEFAULT_READER_FRAME_LEN,
        };
        let key = match opts.get("key") {
            Some(k) => Some(master_key(&k, &opts.name("key"))?),
            None => None,
        };
        Ok(Self {
            state: State::Header {
                head: [0; HEADER_LEN],
                got: 0,
                key,
            },
            limit,
            input_len,
        })
    }

    /// Builds the core reader once the header is in (or at the end of the
    /// input), and feeds it the header bytes gathered so far.
    fn begin(&mut self, what: &str) -> Result<&mut Inner, JsError> {
        if let State::Header { head, got, key } = &mut self.state {
            // An unreadable header gets no buffer: the core reader reports it.
            let declared = head
                .get(..*got)
                .and_then(|h| <&[u8; HEADER_LEN]>::try_from(h).ok())
                .and_then(|h| Header::parse(h).ok())
                .map_or(0, |h| h.max_frame_len.min(self.limit) as usize);
            let len = self.input_len.map_or(declared, |n| n.min(declared));
            let mut buf = Zeroizing::new(Vec::new());
            // A header may declare up to `limit` bytes: fail, don't abort.
            buf.try_reserve_exact(len).map_err(|_| {
                error(
                    what,
                    format_args!("out of memory for a {len}-byte frame buffer"),
                )
            })?;
            buf.resize(len, 0);
            let inflater = LazyInflater {
                max: declared,
                inner: None,
            };
            let reader = match key.take() {
                Some(k) => Reader::new_sealed(buf, k).with_inflater(inflater),
                None => Reader::new(buf).with_inflater(inflater),
            };
            let mut pending = *head;
            let n = *got;
            self.state = State::Reading(Box::new(reader));
            if let State::Reading(r) = &mut self.state {
                // The header alone holds no frame: `NeedMore` or an error.
                let _ = r
                    .feed(pending.get_mut(..n).unwrap_or_default())
                    .map_err(|e| error(what, e))?;
            }
        }
        match &mut self.state {
            State::Reading(r) => Ok(r),
            State::Header { .. } => Err(error(what, container::Error::Truncated)),
        }
    }

    /// Feeds a copy of `chunk` (decrypted in place, wiped when dropped)
    /// and hands each payload to `out`.
    fn feed_all(
        &mut self,
        chunk: &Uint8Array,
        out: &mut dyn FnMut(&[u8]),
        what: &str,
    ) -> Result<(), JsError> {
        let mut copy = convert::to_secret_vec(chunk)?;
        let mut input: &mut [u8] = &mut copy;
        if let State::Header { head, got, .. } = &mut self.state {
            let take = (HEADER_LEN - *got).min(input.len());
            let (first, rest) = input.split_at_mut(take);
            if let Some(dst) = head.get_mut(*got..*got + take) {
                dst.copy_from_slice(first);
            }
            *got += take;
            if *got < HEADER_LEN {
                return Ok(());
            }
            input = rest;
        }
        let reader = self.begin(what)?;
        loop {
            match reader.feed(input) {
                Ok(Feed::Frame { payload, consumed }) => {
                    out(payload);
                    input = input.get_mut(consumed..).unwrap_or_default();
                }
                Ok(Feed::NeedMore) => return Ok(()),
                Err(e) => return Err(error(what, e)),
            }
        }
    }

    fn finish_inner(&mut self, what: &str) -> Result<(), JsError> {
        self.begin(what)?.finish().map_err(|e| error(what, e))
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
        Self::from_options(&opts_value(options), "ContainerReader options", None)
    }

    /// The header once it has been read, else `undefined`.
    #[wasm_bindgen(getter, unchecked_return_type = "ContainerHeader | undefined")]
    pub fn header(&self) -> JsValue {
        match &self.state {
            State::Reading(r) => r.header().map_or(JsValue::UNDEFINED, header_js),
            State::Header { .. } => JsValue::UNDEFINED,
        }
    }

    /// The payloads of the frames completed by `chunk`, in order.
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`; a bad header, checksum, authentication
    /// (wrong key or modified, reordered, dropped frames), inflate error or
    /// data after the final frame, after which the reader keeps failing.
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
        )?;
        Ok(frames)
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    /// The input ended inside the header or a frame, or before the final
    /// frame of a sealed stream; or an earlier error.
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
    let body = w.push(&src)?;
    let tail = w.finish()?;
    let out = Uint8Array::new_with_length(body.length() + tail.length());
    out.set(&body, 0);
    out.set(&tail, body.length());
    Ok(out)
}

/// The payload of a whole container, all frames concatenated; the container
/// must be complete (for a sealed one, up to its final frame).
///
/// # Errors
/// `data` not a `Uint8Array`, bad options, or any error of
/// `ContainerReader` (authentication failure, corruption, truncation).
#[wasm_bindgen]
pub fn unpack(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "UnpackOptions")] options: Option<Object>,
) -> Result<Uint8Array, JsError> {
    let src = convert::bytes(data, "unpack data")?;
    let mut r = ContainerReader::from_options(
        &opts_value(options),
        "unpack options",
        Some(src.length() as usize),
    )?;
    // Payloads go to JS one by one: a growing Vec would leave unwiped copies
    // behind when it reallocates.
    let mut parts = Vec::new();
    r.feed_all(&src, &mut |p| parts.push(convert::to_js(p)), "unpack")?;
    r.finish_inner("unpack")?;
    let total: u32 = parts.iter().map(Uint8Array::length).sum();
    let out = Uint8Array::new_with_length(total);
    let mut at = 0;
    for p in parts {
        out.set(&p, at);
        at += p.length();
    }
    Ok(out)
}
