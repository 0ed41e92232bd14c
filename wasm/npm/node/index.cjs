// Entry point for Node.js, `require("secstream-wasm")` and (through
// index.mjs) `import`: the wasm-bindgen `nodejs` build, CommonJS, which loads
// the .wasm synchronously from this folder. Works without require(esm), so
// on every Node 20 release. `lifetime.cjs` and `streams.cjs` are generated
// from the package's `lifetime.js` and `streams.js` when it is packed.
"use strict";

const wasm = require("./secstream_wasm.js");
const { guardFreed } = require("./lifetime.cjs");
const { streamClasses } = require("./streams.cjs");

guardFreed(wasm);
module.exports = Object.assign({}, wasm, streamClasses(wasm));
