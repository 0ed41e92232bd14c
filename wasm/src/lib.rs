//! secstream for JavaScript and TypeScript.
//!
//! The bindings wrap `secstream-core` through `wasm-bindgen`; they never
//! re-implement a format.
#![forbid(unsafe_code)]
