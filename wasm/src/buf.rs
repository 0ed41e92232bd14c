//! `SecureBuffer`: the core's zeroizing [`SecureBuf`] with its SSH wire codec.

use js_sys::{Array, Uint8Array};
use secstream_core::buf::SecureBuf;
use secstream_core::ssh;
use wasm_bindgen::prelude::*;

use crate::convert::{self, error};

/// The storage sizes offered; a requested capacity rounds up to the next one.
pub const CAPACITIES: [usize; 6] = [64, 256, 1024, 4096, 16384, 65536];

enum Inner {
    B64(Box<SecureBuf<64>>),
    B256(Box<SecureBuf<256>>),
    B1K(Box<SecureBuf<1024>>),
    B4K(Box<SecureBuf<4096>>),
    B16K(Box<SecureBuf<16384>>),
    B64K(Box<SecureBuf<65536>>),
}

/// Runs `$body` with `$b` bound to the boxed buffer, whatever its capacity.
macro_rules! with {
    ($inner:expr, $b:ident => $body:expr) => {
        match $inner {
            Inner::B64($b) => $body,
            Inner::B256($b) => $body,
            Inner::B1K($b) => $body,
            Inner::B4K($b) => $body,
            Inner::B16K($b) => $body,
            Inner::B64K($b) => $body,
        }
    };
}

/// A new boxed buffer with a string limit (set while it is still empty: the
/// core's `with_string_limit` moves the buffer by value).
fn boxed<const N: usize>(limit: u32) -> Box<SecureBuf<N>> {
    Box::new(SecureBuf::new().with_string_limit(limit))
}

impl Inner {
    fn with_capacity(capacity: usize, limit: u32) -> Option<Self> {
        Some(match capacity {
            0..=64 => Self::B64(boxed(limit)),
            65..=256 => Self::B256(boxed(limit)),
            257..=1024 => Self::B1K(boxed(limit)),
            1025..=4096 => Self::B4K(boxed(limit)),
            4097..=16384 => Self::B16K(boxed(limit)),
            16385..=65536 => Self::B64K(boxed(limit)),
            _ => return None,
        })
    }
}

fn ssh_err(op: &str) -> impl Fn(ssh::Error) -> JsError + '_ {
    move |e| error(&format!("SecureBuffer.{op}"), e)
}

/// A fixed-capacity buffer in wasm memory that overwrites its bytes with
/// zeros when they are discarded (`clear`, `consume`, `compact`, `truncate`),
/// on `wipe()` and when it is freed (`free()`, or `using` through
/// `Symbol.dispose`), with a cursor over the SSH wire types (RFC 4251).
///
/// Bytes copied out (`toBytes`, `getString`, ...) are ordinary JS arrays that
/// the garbage collector does not wipe: overwrite them with `fill(0)` when done.
#[wasm_bindgen]
pub struct SecureBuffer {
    inner: Inner,
}

#[wasm_bindgen]
impl SecureBuffer {
    /// An empty buffer of at least `capacity` bytes: the capacity rounds up to
    /// 64, 256, 1024, 4096, 16384 or 65536. `stringLimit` bounds the length
    /// of strings `getString`, `getMpint` and `getNameList` accept (default
    /// 262144).
    ///
    /// # Errors
    /// A `capacity` that is not an integer from 0 to 65536, a `stringLimit`
    /// that is not an integer from 0 to 2^32-1.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "number")] capacity: &JsValue,
        #[wasm_bindgen(js_name = stringLimit)] string_limit: Option<f64>,
    ) -> Result<SecureBuffer, JsError> {
        let cap = convert::uint(capacity, "SecureBuffer capacity", 65536)?;
        let limit = match string_limit {
            Some(l) => convert::u32_arg(&JsValue::from_f64(l), "SecureBuffer stringLimit")?,
            None => ssh::DEFAULT_STRING_LIMIT,
        };
        let inner = Inner::with_capacity(usize::try_from(cap).unwrap_or(usize::MAX), limit)
            .ok_or_else(|| JsError::new("SecureBuffer capacity must be at most 65536"))?;
        Ok(Self { inner })
    }

    /// A buffer holding a copy of `bytes`, sized for them. The copy is made
    /// straight into the buffer, with no stray copy left in wasm memory.
    ///
    /// # Errors
    /// `bytes` not a `Uint8Array` or longer than 65536 bytes.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
    ) -> Result<SecureBuffer, JsError> {
        let a = convert::bytes(bytes, "SecureBuffer.fromBytes bytes")?;
        let len = a.length() as usize;
        let mut buf = Inner::with_capacity(len, ssh::DEFAULT_STRING_LIMIT)
            .map(|inner| Self { inner })
            .ok_or_else(|| {
                JsError::new(&format!(
                    "SecureBuffer.fromBytes: {len} bytes exceed the largest capacity of 65536"
                ))
            })?;
        buf.put_bytes(bytes)?;
        Ok(buf)
    }

    /// The capacity in bytes.
    #[wasm_bindgen(getter)]
    pub fn capacity(&self) -> usize {
        with!(&self.inner, b => b.capacity())
    }

    /// Bytes written and not discarded.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        with!(&self.inner, b => b.len())
    }

    /// The read cursor.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> usize {
        with!(&self.inner, b => b.position())
    }

    /// Bytes written and not read yet.
    #[wasm_bindgen(getter)]
    pub fn remaining(&self) -> usize {
        with!(&self.inner, b => b.remaining())
    }

    /// Room left for writing.
    #[wasm_bindgen(getter, js_name = freeSpace)]
    pub fn free_space(&self) -> usize {
        with!(&self.inner, b => b.free())
    }

    /// Wipes the whole storage, written or not, and empties the buffer; it
    /// stays usable. (`free()` wipes too, and releases the memory.)
    pub fn wipe(&mut self) {
        with!(&mut self.inner, b => b.burn());
    }

    /// Wipes the written bytes and empties the buffer.
    pub fn clear(&mut self) {
        with!(&mut self.inner, b => b.clear());
    }

    /// Moves the read cursor back to the start.
    pub fn rewind(&mut self) {
        with!(&mut self.inner, b => b.rewind());
    }

    /// Keeps the first `length` bytes and wipes the rest.
    ///
    /// # Errors
    /// `length` not an integer.
    pub fn truncate(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] length: &JsValue,
    ) -> Result<(), JsError> {
        let n = convert::len_arg(length, "SecureBuffer.truncate length")?;
        with!(&mut self.inner, b => b.truncate(n));
        Ok(())
    }

    /// Skips `n` unread bytes and wipes everything before the cursor.
    ///
    /// # Errors
    /// Fewer than `n` unread bytes.
    pub fn consume(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: &JsValue,
    ) -> Result<(), JsError> {
        let n = convert::len_arg(n, "SecureBuffer.consume n")?;
        with!(&mut self.inner, b => b.consume(n)).map_err(ssh_err("consume"))
    }

    /// Moves the unread bytes to the front and wipes the rest.
    pub fn compact(&mut self) {
        with!(&mut self.inner, b => b.compact());
    }

    /// A copy of all written bytes (read or not).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Uint8Array {
        with!(&self.inner, b => convert::to_js(b.as_slice()))
    }

    /// A copy of the unread bytes.
    pub fn unread(&self) -> Uint8Array {
        with!(&self.inner, b => convert::to_js(b.unread()))
    }

    /// Appends raw bytes, copied straight from the JS array into the buffer.
    ///
    /// # Errors
    /// `bytes` not a `Uint8Array`, or not enough room (nothing is written).
    #[wasm_bindgen(js_name = putBytes)]
    pub fn put_bytes(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
    ) -> Result<(), JsError> {
        let a = convert::bytes(bytes, "SecureBuffer.putBytes bytes")?;
        let len = a.length() as usize;
        with!(&mut self.inner, b => {
            let free = b.free();
            if len > free {
                return Err(error(
                    "SecureBuffer.putBytes",
                    ssh::Error::NoRoom { needed: len, free },
                ));
            }
            let n = convert::copy_into(&a, b.spare_mut());
            b.advance(n).map_err(ssh_err("putBytes"))
        })
    }

    /// Appends a byte.
    ///
    /// # Errors
    /// `v` not an integer from 0 to 255, or no room.
    #[wasm_bindgen(js_name = putU8)]
    pub fn put_u8(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] v: &JsValue,
    ) -> Result<(), JsError> {
        let v = convert::uint(v, "SecureBuffer.putU8 value", 255)?;
        let v = u8::try_from(v).unwrap_or(u8::MAX);
        with!(&mut self.inner, b => b.put_u8(v)).map_err(ssh_err("putU8"))
    }

    /// Appends a boolean (as 0 or 1).
    ///
    /// # Errors
    /// `v` not a boolean, or no room.
    #[wasm_bindgen(js_name = putBool)]
    pub fn put_bool(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "boolean")] v: &JsValue,
    ) -> Result<(), JsError> {
        let v = v
            .as_bool()
            .ok_or_else(|| JsError::new("SecureBuffer.putBool value must be a boolean"))?;
        with!(&mut self.inner, b => b.put_bool(v)).map_err(ssh_err("putBool"))
    }

    /// Appends a big-endian uint32.
    ///
    /// # Errors
    /// `v` not an integer from 0 to 2^32-1, or no room.
    #[wasm_bindgen(js_name = putU32)]
    pub fn put_u32(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] v: &JsValue,
    ) -> Result<(), JsError> {
        let v = convert::u32_arg(v, "SecureBuffer.putU32 value")?;
        with!(&mut self.inner, b => b.put_u32(v)).map_err(ssh_err("putU32"))
    }

    /// Appends a big-endian uint64, given as a `bigint` (or a safe integer).
    ///
    /// # Errors
    /// `v` not an integer from 0 to 2^64-1, or no room.
    #[wasm_bindgen(js_name = putU64)]
    pub fn put_u64(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "bigint | number")] v: &JsValue,
    ) -> Result<(), JsError> {
        let v = convert::uint(v, "SecureBuffer.putU64 value", u64::MAX)?;
        with!(&mut self.inner, b => b.put_u64(v)).map_err(ssh_err("putU64"))
    }

    /// Appends an SSH string (uint32 length, then the bytes).
    ///
    /// # Errors
    /// `bytes` not a `Uint8Array` or a string (taken as UTF-8), or no room.
    #[wasm_bindgen(js_name = putString)]
    pub fn put_string(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] bytes: &JsValue,
    ) -> Result<(), JsError> {
        let data = match bytes.as_string() {
            Some(s) => zeroize::Zeroizing::new(s.into_bytes()),
            None => {
                convert::to_secret_vec(&convert::bytes(bytes, "SecureBuffer.putString value")?)?
            }
        };
        with!(&mut self.inner, b => b.put_string(&data)).map_err(ssh_err("putString"))
    }

    /// Appends an mpint from a sign and a big-endian magnitude (leading
    /// zeros allowed; the minimal two's complement form is written).
    ///
    /// # Errors
    /// Wrong argument types, or no room.
    #[wasm_bindgen(js_name = putMpint)]
    pub fn put_mpint(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "boolean")] negative: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] magnitude: &JsValue,
    ) -> Result<(), JsError> {
        let negative = negative
            .as_bool()
            .ok_or_else(|| JsError::new("SecureBuffer.putMpint negative must be a boolean"))?;
        let m = convert::to_secret_vec(&convert::bytes(
            magnitude,
            "SecureBuffer.putMpint magnitude",
        )?)?;
        with!(&mut self.inner, b => b.put_mpint_signed(negative, &m)).map_err(ssh_err("putMpint"))
    }

    /// Appends a name-list.
    ///
    /// # Errors
    /// `names` not an array of strings, an empty name, a comma or non-ASCII
    /// character in a name, or no room.
    #[wasm_bindgen(js_name = putNameList)]
    pub fn put_name_list(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] names: &JsValue,
    ) -> Result<(), JsError> {
        if !Array::is_array(names) {
            return Err(JsError::new(
                "SecureBuffer.putNameList names must be an array of strings",
            ));
        }
        let list: Vec<String> = Array::from(names)
            .iter()
            .map(|n| n.as_string())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                JsError::new("SecureBuffer.putNameList names must be an array of strings")
            })?;
        if list.iter().any(|n| n.contains(',')) {
            return Err(error("SecureBuffer.putNameList", "a name contains a comma"));
        }
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        with!(&mut self.inner, b => b.put_name_list(&refs)).map_err(ssh_err("putNameList"))
    }

    /// Reads `n` raw bytes.
    ///
    /// # Errors
    /// Fewer than `n` unread bytes; the cursor does not move.
    #[wasm_bindgen(js_name = getBytes)]
    pub fn get_bytes(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        let n = convert::len_arg(n, "SecureBuffer.getBytes n")?;
        with!(&mut self.inner, b => b.get_raw(n).map(convert::to_js)).map_err(ssh_err("getBytes"))
    }

    /// Reads a byte.
    ///
    /// # Errors
    /// Nothing unread.
    #[wasm_bindgen(js_name = getU8)]
    pub fn get_u8(&mut self) -> Result<u8, JsError> {
        with!(&mut self.inner, b => b.get_u8()).map_err(ssh_err("getU8"))
    }

    /// Reads a boolean (any non-zero byte is true).
    ///
    /// # Errors
    /// Nothing unread.
    #[wasm_bindgen(js_name = getBool)]
    pub fn get_bool(&mut self) -> Result<bool, JsError> {
        with!(&mut self.inner, b => b.get_bool()).map_err(ssh_err("getBool"))
    }

    /// Reads a big-endian uint32.
    ///
    /// # Errors
    /// Fewer than 4 unread bytes.
    #[wasm_bindgen(js_name = getU32)]
    pub fn get_u32(&mut self) -> Result<u32, JsError> {
        with!(&mut self.inner, b => b.get_u32()).map_err(ssh_err("getU32"))
    }

    /// Reads a big-endian uint64 as a `bigint`.
    ///
    /// # Errors
    /// Fewer than 8 unread bytes.
    #[wasm_bindgen(js_name = getU64)]
    pub fn get_u64(&mut self) -> Result<u64, JsError> {
        with!(&mut self.inner, b => b.get_u64()).map_err(ssh_err("getU64"))
    }

    /// Reads an SSH string's bytes.
    ///
    /// # Errors
    /// A truncated string or one over the string limit; the cursor does not move.
    #[wasm_bindgen(js_name = getString)]
    pub fn get_string(&mut self) -> Result<Uint8Array, JsError> {
        with!(&mut self.inner, b => b.get_string().map(convert::to_js))
            .map_err(ssh_err("getString"))
    }

    /// Reads an mpint as its minimal two's complement bytes (big-endian; the
    /// empty array is zero).
    ///
    /// # Errors
    /// A truncated or non-minimal mpint.
    #[wasm_bindgen(js_name = getMpint)]
    pub fn get_mpint(&mut self) -> Result<Uint8Array, JsError> {
        with!(&mut self.inner, b => b.get_mpint().map(|m| convert::to_js(m.as_twos_complement())))
            .map_err(ssh_err("getMpint"))
    }

    /// Reads a name-list.
    ///
    /// # Errors
    /// A truncated string, an empty name or a non-ASCII byte.
    #[wasm_bindgen(js_name = getNameList, unchecked_return_type = "string[]")]
    pub fn get_name_list(&mut self) -> Result<Array, JsError> {
        with!(&mut self.inner, b => b.get_name_list().map(|list| {
            list.iter().map(JsValue::from_str).collect::<Array>()
        }))
        .map_err(ssh_err("getNameList"))
    }
}
