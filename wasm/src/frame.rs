//! Streaming encoders and decoders of length-prefixed frames (wire contract
//! section 2) and COBS frames (section 3): push chunks in, get frames out.

use js_sys::{Array, ArrayBuffer, Object, Uint8Array};
use secstream_core::checksum::ChecksumKind;
use secstream_core::{cobs, frame};
use wasm_bindgen::prelude::*;
use zeroize::{Zeroize, Zeroizing};

use crate::convert::{self, Options, error, opts_value};
use crate::gather::{Gather, Stage};
use crate::scratch::Scratch;

/// Default largest payload of a frame: 1 MiB.
pub const DEFAULT_MAX_FRAME_LEN: u32 = 1 << 20;
/// Largest `maxFrameLen` accepted: the core's default read limit
/// (`container::DEFAULT_READ_LIMIT`), the bound every secstream reader applies.
pub const MAX_FRAME_LEN_LIMIT: u32 = secstream_core::container::DEFAULT_READ_LIMIT;

#[wasm_bindgen(typescript_custom_section)]
const TS_FRAME_OPTIONS: &str = r#"
/** Options of the frame and COBS encoders and decoders. */
export interface FrameOptions {
  /** Checksum over each payload (default "crc32c"). */
  checksum?: ChecksumName;
  /** Largest payload of one frame in bytes, 1 to 16777216 (default 1048576). */
  maxFrameLen?: number;
}
"#;

/// Checksum and maximum frame length from a `FrameOptions` object.
fn frame_options(v: &JsValue, what: &'static str) -> Result<(ChecksumKind, u32), JsError> {
    let opts = Options::new(v, what, &["checksum", "maxFrameLen"])?;
    let kind = match opts.get("checksum") {
        Some(c) => convert::checksum(&c, &opts.name("checksum"))?,
        None => ChecksumKind::Crc32c,
    };
    let max = match opts.get("maxFrameLen") {
        Some(m) => {
            let name = opts.name("maxFrameLen");
            let m = convert::uint(&m, &name, u64::from(MAX_FRAME_LEN_LIMIT))?;
            if m == 0 {
                return Err(JsError::new(&format!("{name} must be at least 1")));
            }
            u32::try_from(m).unwrap_or(MAX_FRAME_LEN_LIMIT)
        }
        None => DEFAULT_MAX_FRAME_LEN,
    };
    Ok((kind, max))
}

/// Where the frames of `len` payload bytes go: `(payload start, payload
/// length)` of each piece (split at `max` bytes when `split`, else one piece
/// that must fit `max`), and the total encoded length.
fn plan(
    kind: ChecksumKind,
    max: u32,
    len: u32,
    split: bool,
    what: &str,
) -> Result<(Vec<(u32, u32)>, u32), JsError> {
    let pieces: Vec<(u32, u32)> = if split {
        (0..len)
            .step_by(max as usize)
            .map(|at| (at, (len - at).min(max)))
            .collect()
    } else if len > max {
        return Err(error(what, frame::Error::FrameTooLong));
    } else {
        vec![(0, len)]
    };
    let total = pieces
        .iter()
        .map(|&(_, n)| frame::encoded_len(kind, n as usize))
        .try_fold(0u32, |acc, n| acc.checked_add(u32::try_from(n).ok()?))
        .ok_or_else(|| error(what, "output longer than 4 GiB"))?;
    Ok((pieces, total))
}

/// Writes the frames of `pieces` of `src` into `out` from index 0. Each
/// payload is copied from `src` to `out` on the JS side, before its header is
/// written (so a payload that overlaps `out` is moved intact); only its
/// checksum is computed in wasm memory, through `scratch`.
fn write_frames(
    kind: ChecksumKind,
    scratch: &mut Scratch,
    src: &Uint8Array,
    pieces: &[(u32, u32)],
    out: &Uint8Array,
    what: &str,
) -> Result<(), JsError> {
    // The header length is at most 12.
    let hl = u32::try_from(frame::header_len(kind)).unwrap_or(0);
    let mut at = 0u32;
    for &(from, len) in pieces {
        let sum = scratch.checksum(kind, src, from, len, what)?;
        let h = frame::header_with_checksum(kind, len as usize, sum).map_err(|e| error(what, e))?;
        out.set(&src.subarray(from, from + len), at + hl);
        out.subarray(at, at + hl).copy_from(h.as_bytes());
        at += hl + len;
    }
    Ok(())
}

/// Encoder of length-prefixed frames: `len:u32 LE | checksum | payload`.
///
/// Payloads are copied from the input array to the output array on the JS
/// side; only their checksum is computed in wasm memory, piece by piece
/// through a small buffer the encoder keeps (wiped after every call).
#[wasm_bindgen]
pub struct FrameEncoder {
    kind: ChecksumKind,
    max: u32,
    scratch: Scratch,
}

impl FrameEncoder {
    /// The frames of `input` (one, or split at `maxFrameLen` when `split`)
    /// in a new array.
    fn frames(
        &mut self,
        input: &JsValue,
        split: bool,
        what: &str,
        arg: &str,
    ) -> Result<Uint8Array, JsError> {
        let src = convert::bytes(input, arg)?;
        let (pieces, total) = plan(self.kind, self.max, src.length(), split, what)?;
        let out = Uint8Array::new_with_length(total);
        write_frames(self.kind, &mut self.scratch, &src, &pieces, &out, what)?;
        Ok(out)
    }
}

#[wasm_bindgen]
impl FrameEncoder {
    /// An encoder with `options` (checksum default `"crc32c"`, maxFrameLen
    /// default 1 MiB).
    ///
    /// # Errors
    /// Unknown options, an unknown checksum or a bad `maxFrameLen`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "FrameOptions")] options: Option<Object>,
    ) -> Result<FrameEncoder, JsError> {
        let (kind, max) = frame_options(&opts_value(options), "FrameEncoder options")?;
        Ok(Self {
            kind,
            max,
            scratch: Scratch::new(),
        })
    }

    /// The checksum's name.
    #[wasm_bindgen(getter)]
    pub fn checksum(&self) -> String {
        self.kind.name().to_owned()
    }

    /// The largest payload of one frame.
    #[wasm_bindgen(getter, js_name = maxFrameLen)]
    pub fn max_frame_len(&self) -> u32 {
        self.max
    }

    /// The one frame holding `payload` (which may be empty).
    ///
    /// # Errors
    /// `payload` not a `Uint8Array`, or longer than `maxFrameLen`.
    pub fn encode(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        self.frames(
            payload,
            false,
            "FrameEncoder.encode",
            "FrameEncoder.encode payload",
        )
    }

    /// Writes the one frame holding `payload` to the start of `out` and
    /// returns its length (`payload.length` plus the header), so one output
    /// array can be reused for many frames (as `TextEncoder.encodeInto`).
    /// `out` may overlap `payload`. Nothing is written when it throws.
    ///
    /// # Errors
    /// `payload` or `out` not a `Uint8Array`, `payload` longer than
    /// `maxFrameLen`, or `out` shorter than the frame.
    #[wasm_bindgen(js_name = encodeInto)]
    pub fn encode_into(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] out: &JsValue,
    ) -> Result<u32, JsError> {
        let what = "FrameEncoder.encodeInto";
        let src = convert::bytes(payload, "FrameEncoder.encodeInto payload")?;
        let dst = convert::bytes(out, "FrameEncoder.encodeInto out")?;
        let (pieces, total) = plan(self.kind, self.max, src.length(), false, what)?;
        if dst.length() < total {
            return Err(error(
                what,
                format_args!("out holds {} bytes, the frame needs {total}", dst.length()),
            ));
        }
        write_frames(self.kind, &mut self.scratch, &src, &pieces, &dst, what)?;
        Ok(total)
    }

    /// The frames of `chunk`, split into payloads of at most `maxFrameLen`
    /// bytes, concatenated (an empty chunk gives no frame).
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`.
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        self.frames(chunk, true, "FrameEncoder.push", "FrameEncoder.push chunk")
    }
}

/// Streaming decoder of length-prefixed frames: push chunks of any size,
/// get every completed payload back.
///
/// Memory follows the frames: a frame that arrives in pieces gets a buffer of
/// its own length (up to `maxFrameLen`) when its header is read, not
/// `maxFrameLen` up front. Each input byte is copied into wasm memory once
/// and each payload out once.
#[wasm_bindgen]
pub struct FrameDecoder {
    /// Its buffer stays empty: frames in pieces are gathered in `gather`
    /// (`feed_lazy` asks for one with `NeedBuffer`).
    dec: frame::Decoder<Zeroizing<Vec<u8>>>,
    gather: Gather,
    stage: Box<Stage>,
    /// Bytes of the current frame header fed so far.
    hdr_got: usize,
}

impl FrameDecoder {
    /// Decodes `src` into `out`. With `views`, a payload that arrives whole
    /// in `src` is handed out as `src.subarray(..)` rather than copied out of
    /// wasm memory: the bytes the core checked were copied from exactly
    /// there within this call, and nothing else runs in between (unless the
    /// memory is shared with other threads, so a `SharedArrayBuffer` always
    /// gets copies).
    fn push_inner(
        &mut self,
        src: &Uint8Array,
        out: &Array,
        views: bool,
        what: &str,
    ) -> Result<(), JsError> {
        let views = views && src.buffer().is_instance_of::<ArrayBuffer>();
        let len = src.length();
        let hlen = frame::header_len(self.dec.kind());
        let mut pos = 0u32;
        // Whether the payload being gathered started in this call.
        let mut fresh = false;
        loop {
            if self.gather.active() {
                let start = pos;
                pos += self.gather.fill_from_js(src, pos);
                // All of it came from `src[start..pos]` in this one fill.
                let whole = core::mem::take(&mut fresh);
                let Some(payload) = self.gather.payload() else {
                    return Ok(());
                };
                let r = match self.dec.feed_lazy(payload) {
                    Ok(frame::LazyFeed::Frame { payload, .. }) => {
                        if views && whole {
                            out.push(&src.subarray(start, pos));
                        } else {
                            out.push(&convert::to_js(payload));
                        }
                        Ok(())
                    }
                    // The whole payload was given: the core takes it at once.
                    Ok(_) => Err(error(what, "internal error: a whole payload was not taken")),
                    Err(e) => Err(error(what, e)),
                };
                self.gather.clear();
                r?;
                continue;
            }
            if pos >= len {
                return Ok(());
            }
            // Only the rest of a frame header is staged; payloads are
            // gathered straight from `src`.
            let staged = self.stage.load(src, pos, hlen - self.hdr_got);
            let n = staged.len();
            let step = match self.dec.feed_lazy(staged) {
                Ok(frame::LazyFeed::NeedMore) => Ok((n, None)),
                Ok(frame::LazyFeed::NeedBuffer { len, consumed }) => Ok((consumed, Some(len))),
                Ok(frame::LazyFeed::Frame { payload, consumed }) => {
                    out.push(&convert::to_js(payload));
                    Ok((consumed, None))
                }
                Err(e) => Err(error(what, e)),
            };
            self.stage.clear();
            let (consumed, buffer) = step?;
            self.hdr_got += consumed;
            if self.hdr_got >= hlen {
                self.hdr_got = 0;
            }
            if let Some(len) = buffer {
                self.gather.start(len, what)?;
                fresh = true;
            }
            pos += u32::try_from(consumed).unwrap_or(u32::MAX);
        }
    }
}

#[wasm_bindgen]
impl FrameDecoder {
    /// A decoder with `options` (checksum default `"crc32c"`, maxFrameLen
    /// default 1 MiB; a frame whose length field is larger is rejected before
    /// its payload is read).
    ///
    /// # Errors
    /// Unknown options, an unknown checksum or a bad `maxFrameLen`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "FrameOptions")] options: Option<Object>,
    ) -> Result<FrameDecoder, JsError> {
        let (kind, max) = frame_options(&opts_value(options), "FrameDecoder options")?;
        Ok(Self {
            dec: frame::Decoder::new(kind, max, Zeroizing::new(Vec::new())),
            gather: Gather::new(),
            stage: Box::new(Stage::new()),
            hdr_got: 0,
        })
    }

    /// The payloads of the frames completed by `chunk`, in order.
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`; a bad checksum or a length above
    /// `maxFrameLen`, after which the decoder keeps failing until `reset()`.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Array, JsError> {
        let src = convert::bytes(chunk, "FrameDecoder.push chunk")?;
        let out = Array::new();
        self.push_inner(&src, &out, false, "FrameDecoder.push")?;
        Ok(out)
    }

    /// As `push`, but a payload that arrives whole in `chunk` is returned as
    /// a view of it (`chunk.subarray(...)`) instead of a copy: it shares
    /// `chunk`'s memory (writing to one changes the other, and it keeps
    /// `chunk`'s buffer alive), so nothing is allocated or copied out. Only
    /// for a `chunk` that is not changed afterwards. Payloads gathered from
    /// several chunks, and every payload of a chunk on a
    /// `SharedArrayBuffer`, are new arrays as with `push`.
    ///
    /// # Errors
    /// As `push`.
    #[wasm_bindgen(js_name = pushViews, unchecked_return_type = "Uint8Array[]")]
    pub fn push_views(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Array, JsError> {
        let src = convert::bytes(chunk, "FrameDecoder.pushViews chunk")?;
        let out = Array::new();
        self.push_inner(&src, &out, true, "FrameDecoder.pushViews")?;
        Ok(out)
    }

    /// Call at the end of the input.
    ///
    /// # Errors
    /// The input ended inside a frame, or the decoder has failed earlier.
    pub fn finish(&mut self) -> Result<(), JsError> {
        let r = self
            .dec
            .finish()
            .map_err(|e| error("FrameDecoder.finish", e));
        if r.is_err() {
            self.gather.clear();
            self.hdr_got = 0;
        }
        r
    }

    /// Forgets a partial frame and an earlier error, wiping the buffer.
    pub fn reset(&mut self) {
        self.dec.reset();
        self.gather.clear();
        self.hdr_got = 0;
    }
}

/// Encoder of COBS frames: `COBS(payload | checksum) | 0x00`.
#[wasm_bindgen]
pub struct CobsEncoder {
    kind: ChecksumKind,
    max: u32,
    out: Zeroizing<Vec<u8>>,
}

impl CobsEncoder {
    /// Appends the COBS frame of each piece of `data` to `self.out`.
    fn encode_pieces(
        &mut self,
        data: &[u8],
        split: bool,
        what: &str,
    ) -> Result<Uint8Array, JsError> {
        let max = self.max as usize;
        if !split && data.len() > max {
            return Err(error(what, cobs::Error::FrameTooLong));
        }
        // Room for every frame up front: growing the vector later would move
        // encoded (plaintext) bytes and leave the old copy unwiped.
        let room = if split {
            data.chunks(max)
                .map(|p| cobs::max_encoded_len(self.kind, p.len()))
                .fold(0usize, usize::saturating_add)
        } else {
            cobs::max_encoded_len(self.kind, data.len())
        };
        self.out.zeroize();
        self.out
            .try_reserve_exact(room)
            .map_err(|_| error(what, "out of memory"))?;
        let emit = |piece: &[u8], out: &mut Vec<u8>| -> Result<(), JsError> {
            let start = out.len();
            out.resize(start + cobs::max_encoded_len(self.kind, piece.len()), 0);
            let n = cobs::encode_into(self.kind, piece, out.get_mut(start..).unwrap_or_default())
                .map_err(|e| error(what, e))?;
            out.truncate(start + n);
            Ok(())
        };
        let result = if split {
            data.chunks(max).try_for_each(|p| emit(p, &mut self.out))
        } else {
            emit(data, &mut self.out)
        };
        let js = result.map(|()| convert::to_js(&self.out));
        self.out.zeroize();
        js
    }
}

#[wasm_bindgen]
impl CobsEncoder {
    /// An encoder with `options` (checksum default `"crc32c"`, maxFrameLen
    /// default 1 MiB).
    ///
    /// # Errors
    /// Unknown options, an unknown checksum or a bad `maxFrameLen`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "FrameOptions")] options: Option<Object>,
    ) -> Result<CobsEncoder, JsError> {
        let (kind, max) = frame_options(&opts_value(options), "CobsEncoder options")?;
        Ok(Self {
            kind,
            max,
            out: Zeroizing::new(Vec::new()),
        })
    }

    /// The one COBS frame of `payload`, delimiter included.
    ///
    /// # Errors
    /// `payload` not a `Uint8Array`, or longer than `maxFrameLen`.
    pub fn encode(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] payload: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        let data = convert::to_secret_vec(&convert::bytes(payload, "CobsEncoder.encode payload")?)?;
        self.encode_pieces(&data, false, "CobsEncoder.encode")
    }

    /// The COBS frames of `chunk` split into payloads of at most
    /// `maxFrameLen` bytes, concatenated (an empty chunk gives no frame).
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`.
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        let data = convert::to_secret_vec(&convert::bytes(chunk, "CobsEncoder.push chunk")?)?;
        self.encode_pieces(&data, true, "CobsEncoder.push")
    }
}

/// Resynchronising decoder of COBS frames for lossy links: a damaged frame
/// is dropped (counted in `rejected`, its reason in `lastRejection`) and
/// decoding continues after the next 0x00.
#[wasm_bindgen]
pub struct CobsDecoder {
    dec: cobs::Decoder<Zeroizing<Vec<u8>>>,
    rejected: u32,
    last: Option<cobs::Error>,
}

#[wasm_bindgen]
impl CobsDecoder {
    /// A decoder with `options` (checksum default `"crc32c"`, maxFrameLen
    /// default 1 MiB).
    ///
    /// # Errors
    /// Unknown options, an unknown checksum or a bad `maxFrameLen`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "FrameOptions")] options: Option<Object>,
    ) -> Result<CobsDecoder, JsError> {
        let (kind, max) = frame_options(&opts_value(options), "CobsDecoder options")?;
        let buf = Zeroizing::new(vec![0; max as usize + kind.width()]);
        Ok(Self {
            dec: cobs::Decoder::new(kind, max, buf),
            rejected: 0,
            last: None,
        })
    }

    /// Frames dropped so far (bad checksum, bad COBS, too long).
    #[wasm_bindgen(getter)]
    pub fn rejected(&self) -> u32 {
        self.rejected
    }

    /// Why the last frame was dropped, if one was.
    #[wasm_bindgen(getter, js_name = lastRejection)]
    pub fn last_rejection(&self) -> Option<String> {
        self.last.map(|e| e.to_string())
    }

    /// The payloads of the good frames completed by `chunk`, in order.
    ///
    /// # Errors
    /// `chunk` not a `Uint8Array`.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunk: &JsValue,
    ) -> Result<Array, JsError> {
        // A wiped-on-drop copy of the chunk in wasm memory.
        let chunk = convert::to_secret_vec(&convert::bytes(chunk, "CobsDecoder.push chunk")?)?;
        let out = Array::new();
        let mut input: &[u8] = &chunk;
        loop {
            match self.dec.feed(input) {
                cobs::Feed::Frame { payload, consumed } => {
                    out.push(&convert::to_js(payload));
                    input = input.get(consumed..).unwrap_or_default();
                }
                cobs::Feed::Rejected { error, consumed } => {
                    self.rejected = self.rejected.saturating_add(1);
                    self.last = Some(error);
                    input = input.get(consumed..).unwrap_or_default();
                }
                cobs::Feed::NeedMore => break,
            }
        }
        Ok(out)
    }

    /// Call at the end of the input; the decoder is then ready for a new stream.
    ///
    /// # Errors
    /// The input ended inside a frame.
    pub fn finish(&mut self) -> Result<(), JsError> {
        self.dec
            .finish()
            .map_err(|e| error("CobsDecoder.finish", e))
    }
}
