// Every exported function and method, called with junk arguments: each call
// either works or throws a plain Error; never a WebAssembly.RuntimeError (a
// Rust panic or abort), and the module keeps working afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";

import * as ss from "secstream-wasm";

const junk = [
  undefined, null, true, 0, -1, 1.5, NaN, Infinity, 2 ** 32, 2 ** 53, -(2n ** 70n), 5n, "", "crc32", "x".repeat(300),
  [], [1, 2, 3], ["a", ""], {}, { checksum: "xxh3" }, { key: new Uint8Array(32) }, { maxFrameLen: 0 },
  new Uint8Array(0), new Uint8Array(40), Uint8Array.of(0x53, 0x53, 0x54, 0x4d, 1, 0, 0, 0, 255, 255, 255, 255),
  new ArrayBuffer(8), new Uint16Array(4), Symbol("s"), () => 1, new Proxy({}, {}),
];

function* pick(seed) {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    yield junk[x % junk.length];
  }
}

function check(f) {
  try {
    f();
  } catch (e) {
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `wasm trap: ${e && e.message}`);
    assert.ok(e instanceof Error, `not an Error: ${String(e)}`);
  }
}

test("junk arguments throw Errors, never traps", () => {
  const rnd = pick(12345);
  const args = () => [rnd.next().value, rnd.next().value, rnd.next().value];
  const classes = [
    ss.SecureBuffer, ss.Ring, ss.Checksum, ss.FrameEncoder, ss.FrameDecoder,
    ss.CobsEncoder, ss.CobsDecoder, ss.ContainerWriter, ss.ContainerReader,
  ];
  const functions = [ss.checksum, ss.checksumBytes, ss.checksumWidth, ss.pack, ss.unpack, ss.generateKey];
  for (let round = 0; round < 300; round++) {
    for (const f of functions) check(() => f(...args()));
    for (const C of classes) {
      let obj;
      check(() => {
        obj = new C(...args());
      });
      if (!obj) obj = C === ss.SecureBuffer || C === ss.Ring ? new C(64) : C === ss.Checksum ? new C("crc32") : new C();
      const methods = Object.getOwnPropertyNames(C.prototype).filter(
        (m) => m !== "constructor" && m !== "free" && !m.startsWith("__") && typeof Object.getOwnPropertyDescriptor(C.prototype, m).value === "function",
      );
      for (const m of methods) check(() => obj[m](...args()));
      obj.free();
    }
  }
  // Still fully working.
  const key = ss.generateKey();
  assert.deepEqual(ss.unpack(ss.pack(Uint8Array.of(1, 2, 3), { key, deflate: true }), { key }), Uint8Array.of(1, 2, 3));
});

test("using a freed object throws an Error, not a trap; free() again does nothing", () => {
  const b = new ss.SecureBuffer(64);
  b.free();
  for (const [f, call] of [[() => b.length, "length"], [() => b.putU8(1), "putU8"]]) {
    assert.throws(
      f,
      (e) =>
        e instanceof Error &&
        !(e instanceof WebAssembly.RuntimeError) &&
        e.message === `SecureBuffer.${call}: this SecureBuffer has been freed`,
    );
  }
  b.free();
  b[Symbol.dispose]();
});
