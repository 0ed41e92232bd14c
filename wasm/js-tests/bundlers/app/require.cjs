// CommonJS in Node without a bundler: `require("secstream-wasm")` takes the
// package's CommonJS entry, so it works without require(esm) (Node 20.0 to
// 20.18; the test also runs it with --no-experimental-require-module).
"use strict";
const ss = require("secstream-wasm");
const assert = require("node:assert/strict");

(async () => {
  const { roundTrip } = await import("./roundtrip.js");
  const r = await roundTrip(ss);
  assert.match(require.resolve("secstream-wasm"), /secstream-wasm[\\/]node[\\/]index\.cjs$/);
  console.log(JSON.stringify(r));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
