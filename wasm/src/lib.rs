//! secstream for JavaScript and TypeScript.
//!
//! The bindings wrap `secstream-core` through `wasm-bindgen`; they never
//! re-implement a format. The npm package `secstream-wasm` (built by
//! `cargo xtask test`, see `wasm/npm/README.md`) adds WHATWG `TransformStream`
//! wrappers in plain JavaScript.
//!
//! ```js
//! import { FrameEncoder, FrameDecoder } from "secstream-wasm";
//!
//! const enc = new FrameEncoder({ checksum: "crc32c" });
//! const dec = new FrameDecoder({ checksum: "crc32c" });
//! const [payload] = dec.push(enc.encode(new TextEncoder().encode("hi")));
//! dec.finish();
//! ```
//!
//! # Errors and untyped input
//! Every exported function checks its JavaScript arguments itself (wasm-bindgen
//! turns a string passed for bytes into zeros) and throws a JS `Error` naming
//! the argument and the failure. Nothing here panics on bad input, so the
//! module keeps working after an error.
//!
//! # What is wiped
//! Secret bytes live in Rust-owned wasm memory that is overwritten with zeros
//! when discarded, on `wipe()` and on `free()` (`Symbol.dispose`, so `using`
//! works). Temporary copies of JS input in wasm memory are wiped after each
//! call. JS arrays handed in or out are the caller's to overwrite (`fill(0)`);
//! JavaScript strings cannot be wiped at all.
#![forbid(unsafe_code)]

use wasm_bindgen::prelude::wasm_bindgen;

pub mod buf;
pub mod checksum;
pub mod container;
mod convert;
pub mod frame;
mod gather;
pub mod ring;
mod scratch;

/// `Symbol.dispose` for the `[Symbol.dispose]()` member of every class, so
/// that the package's types check without `lib: ["esnext.disposable"]` (a
/// DOM-only lib, an older target, no `@types/node`). The declarations match
/// those of TypeScript's own lib and of `@types/node`, which merge with them;
/// `Symbol` itself exists in every engine that runs WebAssembly.
#[wasm_bindgen(typescript_custom_section)]
const TS_SYMBOL_DISPOSE: &str = r#"
declare global {
  interface SymbolConstructor {
    /** The method `using` calls at the end of its block (explicit resource management). */
    readonly dispose: unique symbol;
  }
  var Symbol: SymbolConstructor;
}
"#;
