// node:test suite of the packed npm package, imported by name as a user
// would (`cargo xtask test` installs the tarball from `npm pack` first).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

import * as ss from "secstream-wasm";

const te = new TextEncoder();
const bytes = (s) => te.encode(s);

async function collect(readable) {
  const parts = [];
  for await (const chunk of readable) parts.push(chunk);
  return parts;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function streamOf(chunks) {
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(n, seed = 1) {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

test("the package resolves to the Node build and exports the whole API", () => {
  const require = createRequire(import.meta.url);
  assert.match(require.resolve("secstream-wasm"), /node_modules\/secstream-wasm\/node\/index\.cjs$/);
  assert.match(import.meta.resolve("secstream-wasm"), /node_modules\/secstream-wasm\/node\/index\.mjs$/);
  for (const name of [
    "SecureBuffer", "Ring", "Checksum", "checksum", "checksumBytes", "checksumWidth",
    "FrameEncoder", "FrameDecoder", "CobsEncoder", "CobsDecoder",
    "ContainerWriter", "ContainerReader", "pack", "unpack", "generateKey",
    "FrameEncoderStream", "FrameDecoderStream", "CobsEncoderStream", "CobsDecoderStream",
    "PackStream", "UnpackStream",
  ]) {
    assert.equal(typeof ss[name], "function", name);
  }
});

test("checksums give the contract's check values", () => {
  const data = bytes("123456789");
  assert.equal(ss.checksum("crc16", data), 0x31c3n);
  assert.equal(ss.checksum("crc32", data), 0xcbf43926n);
  assert.equal(ss.checksum("crc32c", data), 0xe3069283n);
  assert.equal(ss.checksum(4, data), 0x72dcb18b67a17dffn);
  assert.deepEqual(ss.checksumBytes("crc32", data), Uint8Array.of(0x26, 0x39, 0xf4, 0xcb));
  const c = new ss.Checksum("crc32c");
  c.update(data.subarray(0, 4));
  c.update(data.subarray(4));
  assert.equal(c.digest(), 0xe3069283n);
  c.free();
});

test("SecureBuffer: SSH codec, wipe, free and Symbol.dispose", () => {
  const b = new ss.SecureBuffer(100);
  assert.equal(b.capacity, 256);
  b.putString("ssh-ed25519");
  b.putU32(7);
  b.putU64(1n << 40n);
  b.putMpint(true, Uint8Array.of(1));
  b.putNameList(["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"]);
  assert.equal(new TextDecoder().decode(b.getString()), "ssh-ed25519");
  assert.equal(b.getU32(), 7);
  assert.equal(b.getU64(), 1n << 40n);
  assert.deepEqual(b.getMpint(), Uint8Array.of(0xff));
  assert.deepEqual(b.getNameList(), ["aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com"]);
  b.wipe();
  assert.equal(b.length, 0);
  assert.deepEqual(b.toBytes(), new Uint8Array(0));
  b.putU8(1);
  assert.equal(b.length, 1);

  // Symbol.dispose is free(): what `using` calls at the end of the block.
  assert.equal(typeof b[Symbol.dispose], "function");
  b[Symbol.dispose]();
  assert.throws(() => b.length, /^Error: SecureBuffer.length: this SecureBuffer has been freed$/);
  const k = ss.SecureBuffer.fromBytes(ss.generateKey());
  assert.equal(k.length, 32);
  k.free();
});

test("Ring: wrap-around and all-or-nothing variants", () => {
  const r = new ss.Ring(64);
  assert.equal(r.write(new Uint8Array(60).fill(1)), 60);
  assert.equal(r.read(50).length, 50);
  r.writeAll(noise(40));
  assert.equal(r.length, 50);
  const all = r.read();
  assert.deepEqual(all.subarray(10), noise(40));
  assert.throws(() => r.readExact(1), {
    message: "Ring.readExact: not enough bytes in the ring (1 wanted, 0 buffered)",
  });
  r.free();
});

test("FrameEncoderStream | FrameDecoderStream round trip with odd chunking", async () => {
  const data = noise(200_000, 7);
  const chunks = [];
  for (let at = 0; at < data.length; at += 12_345) chunks.push(data.subarray(at, at + 12_345));
  const frames = concat(
    await collect(streamOf(chunks).pipeThrough(new ss.FrameEncoderStream({ checksum: "xxh3", maxFrameLen: 10_000 }))),
  );
  // Re-chunk the wire in 777-byte pieces before decoding.
  const wire = [];
  for (let at = 0; at < frames.length; at += 777) wire.push(frames.subarray(at, at + 777));
  const out = await collect(streamOf(wire).pipeThrough(new ss.FrameDecoderStream({ checksum: "xxh3", maxFrameLen: 10_000 })));
  assert.ok(out.every((p) => p.length <= 10_000));
  assert.deepEqual(concat(out), data);
});

test("FrameEncoder.encodeInto writes encode()'s frame into a reused array", () => {
  const enc = new ss.FrameEncoder({ checksum: "crc32c", maxFrameLen: 100_000 });
  const out = Buffer.alloc(100_008, 0xee);
  for (const len of [0, 1, 16_384, 40_001, 100_000]) {
    const payload = new Uint8Array(len).map((_, i) => (i * 13) & 0xff);
    const want = enc.encode(payload);
    const n = enc.encodeInto(payload, out);
    assert.equal(n, want.length);
    assert.deepEqual(new Uint8Array(out.subarray(0, n)), want);
    assert.deepEqual(new ss.FrameDecoder({ maxFrameLen: 100_000 }).push(out.subarray(0, n)), [payload]);
  }
  // In place: the payload already sits at the start of the output array.
  const buf = new Uint8Array(64);
  buf.set(bytes("in place"));
  const n = enc.encodeInto(buf.subarray(0, 8), buf);
  assert.deepEqual(buf.subarray(0, n), enc.encode(bytes("in place")));
  // Too short: nothing is written.
  const short = new Uint8Array(15);
  assert.throws(() => enc.encodeInto(bytes("in place"), short), {
    message: "FrameEncoder.encodeInto: out holds 15 bytes, the frame needs 16",
  });
  assert.ok(short.every((b) => b === 0));
  assert.throws(() => enc.encodeInto(bytes("x"), [0, 0, 0, 0, 0, 0, 0, 0, 0]), {
    message: "FrameEncoder.encodeInto out must be a Uint8Array, got an array",
  });
});

test("FrameDecoder.pushViews: views of the chunk for whole payloads, copies otherwise", () => {
  const enc = new ss.FrameEncoder({ checksum: "crc32c" });
  const wire = Buffer.concat([enc.encode(bytes("first")), enc.encode(bytes("second"))]);
  const dec = new ss.FrameDecoder({ checksum: "crc32c" });
  const [a, b] = dec.pushViews(wire);
  assert.deepEqual([a, b], [bytes("first"), bytes("second")].map((x) => Buffer.from(x)));
  assert.equal(a.buffer, wire.buffer);
  wire[wire.length - 1] = 0x21; // the view shows the change
  assert.equal(Buffer.from(b).toString(), "secon!");
  // A payload split over two chunks is a copy.
  const frame = enc.encode(bytes("split payload"));
  assert.deepEqual(dec.pushViews(frame.subarray(0, 11)), []);
  const rest = frame.slice(11);
  const [c] = dec.pushViews(rest);
  rest.fill(0);
  assert.equal(new TextDecoder().decode(c), "split payload");
  // On a SharedArrayBuffer, copies.
  const shared = new Uint8Array(new SharedArrayBuffer(frame.length));
  shared.set(frame);
  const [d] = dec.pushViews(shared);
  assert.ok(!(d.buffer instanceof SharedArrayBuffer));
  shared.fill(0);
  assert.equal(new TextDecoder().decode(d), "split payload");
  dec.finish();
});

test("FrameDecoderStream errors the stream on a corrupt frame", async () => {
  const enc = new ss.FrameEncoder({ checksum: "crc32" });
  const frame = enc.encode(bytes("payload"));
  frame[frame.length - 1] ^= 1;
  await assert.rejects(
    collect(streamOf([frame]).pipeThrough(new ss.FrameDecoderStream({ checksum: "crc32" }))),
    { name: "Error", message: "FrameDecoder.push: frame checksum mismatch" },
  );
  // A stream that ends inside a frame is truncated.
  await assert.rejects(
    collect(streamOf([enc.encode(bytes("whole")).subarray(0, 6)]).pipeThrough(new ss.FrameDecoderStream({ checksum: "crc32" }))),
    { message: "FrameDecoder.finish: input ends inside a frame" },
  );
});

test("COBS streams drop a damaged frame and keep going", async () => {
  const enc = new ss.CobsEncoder({ checksum: "crc16" });
  const good = enc.encode(Uint8Array.of(1, 0, 2, 0, 3));
  const bad = good.slice();
  bad[2] ^= 0x10;
  const out = await collect(
    streamOf([good, bad, good]).pipeThrough(new ss.CobsDecoderStream({ checksum: "crc16" })),
  );
  assert.deepEqual(out, [Uint8Array.of(1, 0, 2, 0, 3), Uint8Array.of(1, 0, 2, 0, 3)]);
});

test("pack/unpack: plain, deflate, lz4, sealed, sealed+deflate, sealed+lz4", () => {
  const text = bytes("secstream ".repeat(5000));
  const key = ss.generateKey();
  assert.equal(key.length, 32);
  const all = [
    {}, { compression: "deflate" }, { compression: "lz4", index: false }, { key },
    { key, compression: "deflate", level: 9, checksum: "xxh3" }, { key, compression: "lz4" },
  ];
  for (const options of all) {
    const packed = ss.pack(text, { ...options, maxPlain: 4096 });
    assert.deepEqual(packed.subarray(0, 4), bytes("SSTM"));
    if (options.compression) assert.ok(packed.length < text.length / 10, `${options.compression} shrinks repetitive text`);
    const unpacked = ss.unpack(packed, options.key ? { key: options.key } : undefined);
    assert.deepEqual(unpacked, text);
  }
});

test("sealed containers: wrong key, tampering, truncation and stripping fail clearly", () => {
  const key = ss.generateKey();
  const packed = ss.pack(noise(10_000, 3), { key, maxPlain: 1024 });
  const other = ss.generateKey();
  assert.throws(() => ss.unpack(packed, { key: other }), {
    name: "Error",
    message: "unpack: authentication failed",
  });
  const tampered = packed.slice();
  tampered[100] ^= 1;
  assert.throws(() => ss.unpack(tampered, { key }), /^Error: unpack: (checksum mismatch in frame 0|authentication failed)$/);
  assert.throws(() => ss.unpack(packed.subarray(0, packed.length - 40), { key }), {
    message: "unpack: container truncated",
  });
  // Cut right after the final frame, before the end section: truncated too.
  assert.throws(() => ss.unpack(packed.subarray(0, packed.length - (36 + 8 * 10)), { key }), {
    message: "unpack: container truncated",
  });
  assert.throws(() => ss.unpack(packed, { key, readLimit: 512 }), {
    message: "unpack: the stream's frames hold up to 1024 bytes, above this reader's limit of 512",
  });
  assert.throws(() => ss.unpack(packed), { message: "unpack: container is sealed and no key was given" });
  assert.throws(() => ss.unpack(ss.pack(bytes("x")), { key }), {
    message: "unpack: a key was given but the container is not sealed",
  });
  assert.throws(() => ss.pack(bytes("x"), { key: key.subarray(0, 31) }), {
    message: "pack options.key must be 32 bytes, got 31",
  });
  // And the module still works after all of that.
  assert.deepEqual(ss.unpack(packed, { key }), noise(10_000, 3));
});

test("PackStream | UnpackStream: sealed and compressed, chunking does not change the output", async () => {
  const key = ss.generateKey();
  const streamNonce = new Uint8Array(16).fill(9);
  const data = concat([bytes("header line\n".repeat(3000)), noise(50_000, 11)]);
  for (const compression of ["deflate", "lz4"]) {
    const opts = { key, streamNonce, compression, maxPlain: 8192 };
    const a = concat(await collect(streamOf([data]).pipeThrough(new ss.PackStream(opts))));
    const pieces = [];
    for (let at = 0; at < data.length; at += 1000) pieces.push(data.subarray(at, at + 1000));
    const b = concat(await collect(streamOf(pieces).pipeThrough(new ss.PackStream(opts))));
    assert.deepEqual(a, b);
    assert.deepEqual(a, ss.pack(data, opts));
    const out = concat(await collect(streamOf([a.subarray(0, 5000), a.subarray(5000)]).pipeThrough(new ss.UnpackStream({ key }))));
    assert.deepEqual(out, data);
  }
});

test("wrong argument types throw Errors that name the argument", () => {
  const cases = [
    [() => ss.checksum("crc32", "text"), "checksum data must be a Uint8Array, got string"],
    [() => ss.checksum("crc32", [1, 2, 3]), "checksum data must be a Uint8Array, got an array"],
    [() => ss.checksum("sha1", new Uint8Array(1)), 'checksum kind: unknown checksum "sha1" (expected one of none, crc16, crc32, crc32c, xxh3)'],
    [() => new ss.FrameEncoder({ checksum: "crc32", maxframelen: 4 }), 'FrameEncoder options: unknown option "maxframelen" (expected checksum, maxFrameLen)'],
    [() => new ss.FrameDecoder({ maxFrameLen: 1e9 }), "FrameDecoder options.maxFrameLen must be an integer from 0 to 16777216, got 1000000000"],
    [() => new ss.SecureBuffer("64"), "SecureBuffer capacity must be a number, got string"],
    [() => new ss.Ring(64).write(new ArrayBuffer(4)), "Ring.write data must be a Uint8Array, got an ArrayBuffer"],
    [() => ss.pack(new Uint8Array(1), { index: "yes" }), "pack options.index must be a boolean"],
    [() => ss.pack(new Uint8Array(1), { compression: "zstd" }), 'pack options.compression: unknown compression "zstd" (expected one of none, deflate, lz4)'],
    [() => ss.pack(new Uint8Array(1), { deflate: true }), 'pack options: unknown option "deflate" (expected checksum, maxPlain, compression, level, index, key, streamNonce)'],
    [() => ss.unpack(bytes("not a container at all")), "unpack: not a secstream container (bad magic)"],
    [() => ss.unpack(new Uint8Array(0)), "unpack: container truncated"],
  ];
  for (const [f, message] of cases) {
    assert.throws(f, (e) => {
      assert.ok(e instanceof Error, "an Error instance");
      assert.equal(e.message, message);
      return true;
    });
  }
  // Node's Buffer is a Uint8Array and is accepted.
  assert.equal(ss.checksum("crc32", Buffer.from("123456789")), 0xcbf43926n);
});

test("the module keeps working after thousands of errors", () => {
  for (let i = 0; i < 2000; i++) {
    assert.throws(() => ss.unpack(noise(64, i + 1)));
    assert.throws(() => new ss.FrameDecoder({ checksum: 5 + (i % 250) }));
  }
  const key = ss.generateKey();
  assert.deepEqual(ss.unpack(ss.pack(bytes("alive"), { key }), { key }), bytes("alive"));
});

test("the bundler and web builds give the same bytes as the Node build", async () => {
  const { spawnSync } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const { dirname, join } = await import("node:path");
  const { pathToFileURL } = await import("node:url");
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("secstream-wasm/package.json"));
  const key = new Uint8Array(32).fill(3);
  const streamNonce = new Uint8Array(16).fill(4);
  const opts = { key, streamNonce, compression: "lz4", checksum: "xxh3", maxPlain: 512 };
  const data = noise(5000, 5);
  const want = Buffer.from(ss.pack(data, opts)).toString("hex");

  // The bundler build imports its .wasm as an ES module: Node runs that with
  // --experimental-wasm-modules, as a bundler would resolve it.
  const script = `
    const m = await import(${JSON.stringify(pathToFileURL(join(root, "bundler/index.js")).href)});
    const opts = { key: new Uint8Array(32).fill(3), streamNonce: new Uint8Array(16).fill(4), compression: "lz4", checksum: "xxh3", maxPlain: 512 };
    const data = new Uint8Array(Buffer.from(process.argv[1], "hex"));
    process.stdout.write(Buffer.from(m.pack(data, opts)).toString("hex"));`;
  const child = spawnSync(
    process.execPath,
    ["--experimental-wasm-modules", "--no-warnings", "--input-type=module", "-e", script, Buffer.from(data).toString("hex")],
    { encoding: "utf8" },
  );
  assert.equal(child.stderr, "");
  assert.equal(child.stdout, want);

  // The web build, initialised synchronously from the .wasm bytes.
  const web = await import(pathToFileURL(join(root, "web/index.js")).href);
  web.initSync({ module: readFileSync(join(root, "web/secstream_wasm_bg.wasm")) });
  assert.equal(Buffer.from(web.pack(data, opts)).toString("hex"), want);
  assert.deepEqual(web.unpack(ss.pack(data, opts), { key }), data);
});
