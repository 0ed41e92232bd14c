// What every run of the bundler test app (app/roundtrip.js) must report, in
// any engine.
import assert from "node:assert/strict";

/** Checks one run's result object and prints a line for it. */
export function checkResult(what, r) {
  assert.ok(r && !r.error, `${what}: ${r?.error ?? "no result"}`);
  assert.equal(r.oneShot, true, `${what}: pack/unpack`);
  assert.equal(r.streamed, true, `${what}: PackStream/UnpackStream`);
  assert.equal(r.wrongKey, "unpack: authentication failed", what);
  assert.equal(r.afterFree, "SecureBuffer.putU8: this SecureBuffer has been freed", what);
  assert.equal(r.crc32c, "8a94d741", what);
  console.log(`ok  ${what}: round trip (${r.packedBytes} sealed bytes), clear errors`);
}

/** The pages each build leaves in target/wasm-bundlers/<dir>/. */
export const builtPages = [
  ["Vite, default entry", "vite", "index.html"],
  ["Vite, web entry", "vite", "web.html"],
  ["webpack, default entry", "webpack", "index.html"],
  ["webpack, web entry", "webpack", "web.html"],
  ["esbuild, default entry (IIFE)", "esbuild", "index.html"],
  ["esbuild, web entry (file loader)", "esbuild", "web.html"],
];
