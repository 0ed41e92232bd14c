//! Checked conversions of JavaScript arguments and the errors thrown for them.
//!
//! wasm-bindgen's own conversions are lenient: a string passed where bytes are
//! expected becomes zeros, `-1` becomes `4294967295`. Every exported function
//! takes untyped values instead and checks them here, so a wrong type throws a
//! JS `Error` that names the argument.

use core::fmt::Display;

use js_sys::{Array, Object, Reflect, Uint8Array};
use secstream_core::checksum::ChecksumKind;
use secstream_core::compress::Compression;
use wasm_bindgen::{JsCast, JsError, JsValue};
use zeroize::Zeroizing;

/// A JS `Error` whose message is `"{context}: {cause}"`.
pub(crate) fn error(context: &str, cause: impl Display) -> JsError {
    JsError::new(&format!("{context}: {cause}"))
}

/// What a value is, for error messages: `typeof`, with `null` and arrays told apart.
fn describe(v: &JsValue) -> String {
    if v.is_null() {
        "null".to_owned()
    } else if Array::is_array(v) {
        "an array".to_owned()
    } else if v.is_object() {
        let name = Reflect::get(v, &JsValue::from_str("constructor"))
            .ok()
            .and_then(|c| Reflect::get(&c, &JsValue::from_str("name")).ok())
            .and_then(|n| n.as_string())
            .filter(|n| !n.is_empty());
        name.map_or_else(
            || "an object".to_owned(),
            |n| {
                let vowel = n.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']);
                format!("{} {n}", if vowel { "an" } else { "a" })
            },
        )
    } else {
        v.js_typeof().as_string().unwrap_or_default()
    }
}

/// `v` as a `Uint8Array` (a Node `Buffer` is one), or an error naming `what`.
pub(crate) fn bytes(v: &JsValue, what: &str) -> Result<Uint8Array, JsError> {
    v.dyn_ref::<Uint8Array>()
        .cloned()
        .ok_or_else(|| JsError::new(&format!("{what} must be a Uint8Array, got {}", describe(v))))
}

/// Copies a JS array into wasm memory; the copy is wiped when dropped.
///
/// # Errors
/// wasm memory cannot grow enough: an allocation failure would otherwise
/// abort the whole module.
pub(crate) fn to_secret_vec(a: &Uint8Array) -> Result<Zeroizing<Vec<u8>>, JsError> {
    let len = a.length() as usize;
    let mut v = Zeroizing::new(Vec::new());
    v.try_reserve_exact(len).map_err(|_| {
        JsError::new(&format!(
            "out of memory: cannot copy {len} bytes into wasm memory"
        ))
    })?;
    v.resize(len, 0);
    a.copy_to(&mut v);
    Ok(v)
}

/// Copies `a` into the front of `dst` and returns how many bytes that was
/// (`min(a.length, dst.len())`), without an intermediate heap copy.
pub(crate) fn copy_into(a: &Uint8Array, dst: &mut [u8]) -> usize {
    let n = dst.len().min(a.length() as usize);
    if let Some(d) = dst.get_mut(..n) {
        // `n` fits in u32: it is at most `a.length`.
        let end = u32::try_from(n).unwrap_or(u32::MAX);
        a.subarray(0, end).copy_to(d);
        n
    } else {
        0
    }
}

/// A fresh JS array holding a copy of `bytes`.
pub(crate) fn to_js(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}

/// A fresh JS array holding `parts` one after the other (each copied once).
///
/// # Errors
/// The parts add up to more than 4 GiB.
pub(crate) fn join_to_js(parts: &[&[u8]]) -> Result<Uint8Array, JsError> {
    let total = parts
        .iter()
        .try_fold(0u32, |acc, p| acc.checked_add(u32::try_from(p.len()).ok()?))
        .ok_or_else(|| JsError::new("output longer than 4 GiB"))?;
    let out = Uint8Array::new_with_length(total);
    let mut at = 0u32;
    for p in parts {
        // Each length fits in u32: their sum `total` does.
        let n = u32::try_from(p.len()).unwrap_or(0);
        out.subarray(at, at + n).copy_from(p);
        at += n;
    }
    Ok(out)
}

/// An integer in `0..=max`, or an error naming `what`.
pub(crate) fn uint(v: &JsValue, what: &str, max: u64) -> Result<u64, JsError> {
    if let Some(b) = v.as_f64() {
        // f64 to u64 conversions below are exact: `b` is an integer in range.
        if b.fract() == 0.0 && b >= 0.0 && b <= max as f64 {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return Ok(b as u64);
        }
        // JS formats the number: Rust's float formatting would add ~20 KB to the module.
        let shown = js_sys::Number::from(b)
            .to_string_with_radix(10)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        return Err(JsError::new(&format!(
            "{what} must be an integer from 0 to {max}, got {shown}"
        )));
    }
    if v.is_bigint() {
        let s = js_sys::BigInt::from(v.clone())
            .to_string(10)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        return s.parse::<u64>().ok().filter(|n| *n <= max).ok_or_else(|| {
            JsError::new(&format!(
                "{what} must be an integer from 0 to {max}, got {s}n"
            ))
        });
    }
    Err(JsError::new(&format!(
        "{what} must be a number, got {}",
        describe(v)
    )))
}

/// An integer in `0..=u32::MAX`.
pub(crate) fn u32_arg(v: &JsValue, what: &str) -> Result<u32, JsError> {
    uint(v, what, u64::from(u32::MAX)).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// A length or count in `0..=u32::MAX`, as `usize`.
pub(crate) fn len_arg(v: &JsValue, what: &str) -> Result<usize, JsError> {
    u32_arg(v, what).map(|n| n as usize)
}

/// A checksum given by name (`"crc32c"`) or wire id (`3`).
pub(crate) fn checksum(v: &JsValue, what: &str) -> Result<ChecksumKind, JsError> {
    if let Some(name) = v.as_string() {
        return ChecksumKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(&name))
            .ok_or_else(|| {
                JsError::new(&format!(
                    "{what}: unknown checksum \"{name}\" (expected one of {})",
                    names()
                ))
            });
    }
    let id = uint(v, what, u64::from(u8::MAX)).map_err(|_| {
        JsError::new(&format!(
            "{what} must be a checksum name ({}) or id",
            names()
        ))
    })?;
    let id = u8::try_from(id).unwrap_or(u8::MAX);
    ChecksumKind::from_id(id).map_err(|e| error(what, e))
}

/// A compression given by name (`"none"`, `"deflate"`, `"lz4"`).
pub(crate) fn compression(v: &JsValue, what: &str) -> Result<Compression, JsError> {
    let names = || {
        Compression::ALL
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(name) = v.as_string() else {
        return Err(JsError::new(&format!(
            "{what} must be a compression name ({}), got {}",
            names(),
            describe(v)
        )));
    };
    Compression::ALL
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(&name))
        .ok_or_else(|| {
            JsError::new(&format!(
                "{what}: unknown compression \"{name}\" (expected one of {})",
                names()
            ))
        })
}

fn names() -> String {
    ChecksumKind::ALL
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An optional options argument as a plain value (`undefined` when absent).
/// Options parameters are typed `Option<Object>` so TypeScript marks them
/// optional; wasm-bindgen does not check the type, `Options::new` does.
pub(crate) fn opts_value(options: Option<Object>) -> JsValue {
    options.map_or(JsValue::UNDEFINED, JsValue::from)
}

/// The options object of a constructor: `undefined` for all defaults, or a
/// plain object whose keys are all in `known`.
pub(crate) struct Options {
    obj: Option<Object>,
    what: &'static str,
}

impl Options {
    pub(crate) fn new(v: &JsValue, what: &'static str, known: &[&str]) -> Result<Self, JsError> {
        if v.is_undefined() || v.is_null() {
            return Ok(Self { obj: None, what });
        }
        let obj = v
            .dyn_ref::<Object>()
            .filter(|_| !Array::is_array(v) && !v.is_function())
            .ok_or_else(|| {
                JsError::new(&format!("{what} must be an object, got {}", describe(v)))
            })?;
        for key in Object::keys(obj).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(JsError::new(&format!(
                    "{what}: unknown option \"{key}\" (expected {})",
                    known.join(", ")
                )));
            }
        }
        Ok(Self {
            obj: Some(obj.clone()),
            what,
        })
    }

    /// The value of `key`, or `None` when it is missing or `undefined`.
    pub(crate) fn get(&self, key: &str) -> Option<JsValue> {
        let obj = self.obj.as_ref()?;
        Reflect::get(obj, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined())
    }

    /// The name to use in error messages for `key`.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}.{key}", self.what)
    }
}
