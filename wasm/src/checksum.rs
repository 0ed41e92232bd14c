//! The frame checksums of the wire contract (section 1), one-shot and streaming.

use js_sys::Uint8Array;
use secstream_core::checksum::{ChecksumKind, Hasher};
use wasm_bindgen::prelude::*;

use crate::convert;
use crate::scratch::Scratch;

/// TypeScript names of a checksum: as returned (`ChecksumKindName`) and as
/// accepted (`ChecksumName`, the name or the wire id).
#[wasm_bindgen(typescript_custom_section)]
const TS_CHECKSUM: &str = r#"
/** The name of a checksum of the wire contract, as `Checksum.kind` and headers give it. */
export type ChecksumKindName = "none" | "crc16" | "crc32" | "crc32c" | "xxh3";
/** A checksum of the wire contract, by name or wire id (0 to 4). */
export type ChecksumName = ChecksumKindName | 0 | 1 | 2 | 3 | 4;
"#;

/// The checksum of `data` with `kind` (`"crc16"`, `"crc32"`, `"crc32c"`,
/// `"xxh3"`, `"none"` or the wire id), as a `bigint` (0n for `"none"`).
///
/// # Errors
/// An unknown checksum or `data` not a `Uint8Array`.
#[wasm_bindgen]
pub fn checksum(
    #[wasm_bindgen(unchecked_param_type = "ChecksumName")] kind: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
) -> Result<u64, JsError> {
    let kind = convert::checksum(kind, "checksum kind")?;
    let data = convert::bytes(data, "checksum data")?;
    Scratch::new().checksum(kind, &data, 0, data.length(), "checksum")
}

/// The checksum of `data` as stored on the wire: little-endian, 0, 2, 4 or
/// 8 bytes.
///
/// # Errors
/// An unknown checksum or `data` not a `Uint8Array`.
#[wasm_bindgen(js_name = checksumBytes)]
pub fn checksum_bytes(
    #[wasm_bindgen(unchecked_param_type = "ChecksumName")] kind: &JsValue,
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
) -> Result<Uint8Array, JsError> {
    let kind = convert::checksum(kind, "checksumBytes kind")?;
    let data = convert::bytes(data, "checksumBytes data")?;
    let sum = Scratch::new().checksum(kind, &data, 0, data.length(), "checksumBytes")?;
    let mut le = [0u8; secstream_core::checksum::MAX_WIDTH];
    let n = kind.write_le(sum, &mut le).unwrap_or(0);
    Ok(convert::to_js(le.get(..n).unwrap_or_default()))
}

/// The width on the wire of checksum `kind`, in bytes (0, 2, 4 or 8).
///
/// # Errors
/// An unknown checksum.
#[wasm_bindgen(js_name = checksumWidth)]
pub fn checksum_width(
    #[wasm_bindgen(unchecked_param_type = "ChecksumName")] kind: &JsValue,
) -> Result<usize, JsError> {
    Ok(convert::checksum(kind, "checksumWidth kind")?.width())
}

/// A streaming checksum: `update` with chunks in any split, `digest` at any
/// point (it does not reset).
#[wasm_bindgen]
pub struct Checksum {
    hasher: Hasher,
    scratch: Scratch,
}

#[wasm_bindgen]
impl Checksum {
    /// A fresh checksum of `kind`.
    ///
    /// # Errors
    /// An unknown checksum.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ChecksumName")] kind: &JsValue,
    ) -> Result<Checksum, JsError> {
        let kind = convert::checksum(kind, "Checksum kind")?;
        Ok(Self {
            hasher: Hasher::new(kind),
            scratch: Scratch::new(),
        })
    }

    /// The checksum's name (`"crc32c"`, ...).
    #[wasm_bindgen(getter, unchecked_return_type = "ChecksumKindName")]
    pub fn kind(&self) -> String {
        self.hasher.kind().name().to_owned()
    }

    /// Feeds `data`.
    ///
    /// # Errors
    /// `data` not a `Uint8Array`.
    pub fn update(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
    ) -> Result<(), JsError> {
        let data = convert::bytes(data, "Checksum.update data")?;
        self.scratch
            .feed(&mut self.hasher, &data, 0, data.length(), "Checksum.update")
    }

    /// The checksum of everything fed so far, as a `bigint`.
    pub fn digest(&self) -> u64 {
        self.hasher.clone().finish()
    }
}

/// Names of every checksum, in wire id order.
#[wasm_bindgen(js_name = checksumNames, unchecked_return_type = "ChecksumKindName[]")]
pub fn checksum_names() -> js_sys::Array {
    ChecksumKind::ALL
        .iter()
        .map(|k| JsValue::from_str(k.name()))
        .collect()
}
