// free() and use after free, for every class of the package: free() is
// idempotent (so `{ using b = ...; b.free(); }` is fine), and any other
// member of a freed object throws an Error naming the call, not a trap or
// wasm-bindgen's "null pointer passed to rust".
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

import * as ss from "secstream-wasm";

const make = {
  SecureBuffer: () => new ss.SecureBuffer(64),
  Ring: () => new ss.Ring(64),
  Checksum: () => new ss.Checksum("crc32c"),
  FrameEncoder: () => new ss.FrameEncoder(),
  FrameDecoder: () => new ss.FrameDecoder(),
  CobsEncoder: () => new ss.CobsEncoder(),
  CobsDecoder: () => new ss.CobsDecoder(),
  ContainerWriter: () => new ss.ContainerWriter(),
  ContainerReader: () => new ss.ContainerReader(),
};

/** Every method and accessor of a class's prototype but the lifetime ones. */
function members(cls) {
  return Reflect.ownKeys(cls.prototype).filter((k) => {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, k);
    const callable = d.get || typeof d.value === "function";
    return callable && k !== "constructor" && k !== "free" && k !== Symbol.dispose && k !== "__destroy_into_raw";
  });
}

test("every exported class is covered here", () => {
  const classes = Object.keys(ss).filter((k) => typeof ss[k] === "function" && typeof ss[k].prototype?.free === "function");
  assert.deepEqual(classes.sort(), Object.keys(make).sort());
});

for (const [name, create] of Object.entries(make)) {
  test(`${name}: free() twice and Symbol.dispose after free() do nothing`, () => {
    const o = create();
    assert.equal(o.free(), undefined);
    assert.equal(o.free(), undefined);
    assert.equal(o[Symbol.dispose](), undefined);
    const p = create();
    p[Symbol.dispose]();
    p.free();
  });

  test(`${name}: every member of a freed object throws a clear Error`, () => {
    const o = create();
    o.free();
    const keys = members(ss[name]);
    assert.ok(keys.length >= 2, `${name} has members`);
    for (const key of keys) {
      const d = Object.getOwnPropertyDescriptor(ss[name].prototype, key);
      const use = d.get ? () => o[key] : () => o[key](new Uint8Array(4));
      assert.throws(use, (e) => {
        assert.ok(e instanceof Error && !(e instanceof WebAssembly.RuntimeError), String(e));
        assert.equal(e.message, `${name}.${String(key)}: this ${name} has been freed`);
        return true;
      });
    }
    // The module keeps working.
    const fresh = create();
    fresh.free();
  });
}

test("objects made by static methods are guarded too", () => {
  const b = ss.SecureBuffer.fromBytes(Uint8Array.of(1, 2, 3));
  assert.deepEqual(b.toBytes(), Uint8Array.of(1, 2, 3));
  b.free();
  b.free();
  assert.throws(() => b.toBytes(), /^Error: SecureBuffer.toBytes: this SecureBuffer has been freed$/);
});

test("a live object is unaffected by another one's free()", () => {
  const a = new ss.Ring(64);
  const b = new ss.Ring(64);
  a.writeAll(Uint8Array.of(9));
  b.free();
  assert.deepEqual(a.read(), Uint8Array.of(9));
  a.free();
});

test("what `using` does: Symbol.dispose at the end of a block whose body called free()", () => {
  // Node 20 cannot parse `using`; this is its desugaring (the real statement
  // runs in the browser tests and in the TypeScript-compiled check).
  const b = new ss.SecureBuffer(64);
  try {
    b.putString("secret");
    b.free();
  } finally {
    b[Symbol.dispose]();
  }
  assert.throws(() => b.length, /has been freed/);
});

test("require() and import share one module: classes and guards", () => {
  const require = createRequire(import.meta.url);
  const cjs = require("secstream-wasm");
  assert.equal(cjs.SecureBuffer, ss.SecureBuffer);
  assert.equal(cjs.PackStream, ss.PackStream);
  const b = new cjs.SecureBuffer(64);
  b.free();
  assert.throws(() => b.length, /^Error: SecureBuffer.length: this SecureBuffer has been freed$/);
});
