//! `Ring`: the core's first-in first-out byte [`Ring`](CoreRing) that wipes
//! the bytes it hands back.

use js_sys::Uint8Array;
use secstream_core::ring::Ring as CoreRing;
use wasm_bindgen::prelude::*;

use crate::convert::{self, error};

enum Inner {
    R64(Box<CoreRing<64>>),
    R256(Box<CoreRing<256>>),
    R1K(Box<CoreRing<1024>>),
    R4K(Box<CoreRing<4096>>),
    R16K(Box<CoreRing<16384>>),
    R64K(Box<CoreRing<65536>>),
}

/// Runs `$body` with `$r` bound to the boxed ring, whatever its capacity.
macro_rules! with {
    ($inner:expr, $r:ident => $body:expr) => {
        match $inner {
            Inner::R64($r) => $body,
            Inner::R256($r) => $body,
            Inner::R1K($r) => $body,
            Inner::R4K($r) => $body,
            Inner::R16K($r) => $body,
            Inner::R64K($r) => $body,
        }
    };
}

impl Inner {
    fn with_capacity(capacity: usize) -> Option<Self> {
        Some(match capacity {
            0..=64 => Self::R64(Box::default()),
            65..=256 => Self::R256(Box::default()),
            257..=1024 => Self::R1K(Box::default()),
            1025..=4096 => Self::R4K(Box::default()),
            4097..=16384 => Self::R16K(Box::default()),
            16385..=65536 => Self::R64K(Box::default()),
            _ => return None,
        })
    }
}

/// Copies `data` into the ring's free space (straight from the JS array) and
/// returns how many bytes fitted.
fn write_in_place<const N: usize>(r: &mut CoreRing<N>, data: &Uint8Array) -> usize {
    let (a, b) = r.writable_slices();
    let first = convert::copy_into(data, a);
    let second = match u32::try_from(first) {
        Ok(start) if first == a.len() => {
            convert::copy_into(&data.subarray(start, data.length()), b)
        }
        _ => 0,
    };
    r.commit(first + second)
}

/// Copies up to `max` of the oldest bytes into a new JS array, and consumes
/// (wipes) them when `consume` is set.
fn read_in_place<const N: usize>(r: &mut CoreRing<N>, max: usize, consume: bool) -> Uint8Array {
    let (a, b) = r.as_slices();
    let n = max.min(a.len() + b.len());
    let out = Uint8Array::new_with_length(u32::try_from(n).unwrap_or(u32::MAX));
    let first = a.get(..n.min(a.len())).unwrap_or_default();
    let second = b.get(..n - first.len()).unwrap_or_default();
    let split = u32::try_from(first.len()).unwrap_or(u32::MAX);
    out.subarray(0, split).copy_from(first);
    out.subarray(split, out.length()).copy_from(second);
    if consume {
        r.consume(n);
    }
    out
}

/// A fixed-capacity first-in first-out byte ring in wasm memory. Bytes that
/// leave it (`read`, `consume`, `clear`) are overwritten with zeros in its
/// storage; the whole storage is wiped by `wipe()` and when it is freed
/// (`free()`, or `using` through `Symbol.dispose`).
#[wasm_bindgen]
pub struct Ring {
    inner: Inner,
}

#[wasm_bindgen]
impl Ring {
    /// An empty ring of at least `capacity` bytes: the capacity rounds up to
    /// 64, 256, 1024, 4096, 16384 or 65536.
    ///
    /// # Errors
    /// A `capacity` that is not an integer from 0 to 65536.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "number")] capacity: &JsValue,
    ) -> Result<Ring, JsError> {
        let cap = convert::uint(capacity, "Ring capacity", 65536)?;
        let inner = Inner::with_capacity(usize::try_from(cap).unwrap_or(usize::MAX))
            .ok_or_else(|| JsError::new("Ring capacity must be at most 65536"))?;
        Ok(Self { inner })
    }

    /// The capacity in bytes.
    #[wasm_bindgen(getter)]
    pub fn capacity(&self) -> usize {
        with!(&self.inner, r => r.capacity())
    }

    /// Bytes buffered.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        with!(&self.inner, r => r.len())
    }

    /// Bytes that still fit.
    #[wasm_bindgen(getter, js_name = freeSpace)]
    pub fn free_space(&self) -> usize {
        with!(&self.inner, r => r.free())
    }

    /// Whether nothing is buffered.
    #[wasm_bindgen(getter, js_name = isEmpty)]
    pub fn is_empty(&self) -> bool {
        with!(&self.inner, r => r.is_empty())
    }

    /// Whether no byte fits.
    #[wasm_bindgen(getter, js_name = isFull)]
    pub fn is_full(&self) -> bool {
        with!(&self.inner, r => r.is_full())
    }

    /// Appends as many bytes of `data` as fit and returns how many that was.
    ///
    /// # Errors
    /// `data` not a `Uint8Array`.
    pub fn write(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
    ) -> Result<usize, JsError> {
        let data = convert::bytes(data, "Ring.write data")?;
        Ok(with!(&mut self.inner, r => write_in_place(r, &data)))
    }

    /// Appends all of `data`, or nothing.
    ///
    /// # Errors
    /// `data` not a `Uint8Array`, or not enough free space (the ring is unchanged).
    #[wasm_bindgen(js_name = writeAll)]
    pub fn write_all(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] data: &JsValue,
    ) -> Result<(), JsError> {
        let data = convert::bytes(data, "Ring.writeAll data")?;
        let len = data.length() as usize;
        with!(&mut self.inner, r => {
            if len > r.free() {
                return Err(error(
                    "Ring.writeAll",
                    format_args!(
                        "{} ({len} bytes, {} free)",
                        secstream_core::ring::Error::Full,
                        r.free()
                    ),
                ));
            }
            write_in_place(r, &data);
        });
        Ok(())
    }

    /// Removes up to `max` of the oldest bytes (all of them when `max` is
    /// omitted) and returns them; they are wiped in the ring.
    ///
    /// # Errors
    /// `max` not an integer.
    pub fn read(&mut self, max: Option<f64>) -> Result<Uint8Array, JsError> {
        let max = match max {
            Some(m) => convert::len_arg(&JsValue::from_f64(m), "Ring.read max")?,
            None => usize::MAX,
        };
        Ok(with!(&mut self.inner, r => read_in_place(r, max, true)))
    }

    /// Removes exactly `n` bytes and returns them, or nothing.
    ///
    /// # Errors
    /// `n` not an integer, or fewer than `n` bytes buffered (the ring is unchanged).
    #[wasm_bindgen(js_name = readExact)]
    pub fn read_exact(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: &JsValue,
    ) -> Result<Uint8Array, JsError> {
        let n = convert::len_arg(n, "Ring.readExact n")?;
        with!(&mut self.inner, r => {
            if n > r.len() {
                return Err(error(
                    "Ring.readExact",
                    format_args!(
                        "{} ({n} wanted, {} buffered)",
                        secstream_core::ring::Error::Empty,
                        r.len()
                    ),
                ));
            }
            Ok(read_in_place(r, n, true))
        })
    }

    /// Returns up to `max` of the oldest bytes (all when omitted) without
    /// removing them.
    ///
    /// # Errors
    /// `max` not an integer.
    pub fn peek(&mut self, max: Option<f64>) -> Result<Uint8Array, JsError> {
        let max = match max {
            Some(m) => convert::len_arg(&JsValue::from_f64(m), "Ring.peek max")?,
            None => usize::MAX,
        };
        Ok(with!(&mut self.inner, r => read_in_place(r, max, false)))
    }

    /// Drops up to `n` of the oldest bytes, wiping them, and returns how many.
    ///
    /// # Errors
    /// `n` not an integer.
    pub fn consume(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: &JsValue,
    ) -> Result<usize, JsError> {
        let n = convert::len_arg(n, "Ring.consume n")?;
        Ok(with!(&mut self.inner, r => r.consume(n)))
    }

    /// Drops every byte and wipes the whole storage; the ring stays usable.
    pub fn wipe(&mut self) {
        with!(&mut self.inner, r => r.clear());
    }
}
