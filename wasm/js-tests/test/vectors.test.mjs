// The shared vectors of tests/vectors/ (see its README), read and written
// through the packed package: every target must decode them identically, and
// the writer must reproduce them byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import * as ss from "secstream-wasm";

const dir = fileURLToPath(new URL("../../../tests/vectors/", import.meta.url));
const key = Uint8Array.from({ length: 32 }, (_, i) => i);
const streamNonce = Uint8Array.from({ length: 16 }, (_, i) => 0x40 + i);

function parsePayloads(b) {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = [];
  for (let at = 0; at < b.length; ) {
    const n = view.getUint32(at, true);
    out.push(b.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

const concat = (parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
const all = readdirSync(dir).filter((f) => f.endsWith(".bin")).map((f) => f.slice(0, -4)).sort();
// The passphrase envelope (docs/format.md) is a CLI and host-crate feature; the
// npm package reads the container v2 that follows it only with the derived key.
const passphraseNames = all.filter((n) => n.startsWith("passphrase-"));
const names = all.filter((n) => !n.startsWith("passphrase-"));
const load = (name) => ({
  wire: new Uint8Array(readFileSync(`${dir}${name}.bin`)),
  want: parsePayloads(new Uint8Array(readFileSync(`${dir}${name}.payloads`))),
});

/**
 * Writer options of a container vector, from its name:
 * `container-<compression>[-sealed][-index]-<checksum>`, or `edge-*` (crc32c,
 * with the index). maxPlain is 1024.
 */
function containerOptions(name) {
  const sealed = name.includes("-sealed");
  let checksum = "crc32c";
  let compression = name.includes("deflate") ? "deflate" : name.includes("lz4") ? "lz4" : "none";
  let index = true;
  if (name.startsWith("container-")) {
    const cut = name.lastIndexOf("-");
    checksum = name.slice(cut + 1);
    const format = name.slice("container-".length, cut);
    compression = format.split("-")[0];
    index = format.includes("-index");
  }
  return { sealed, opts: { checksum, compression, index, maxPlain: 1024, ...(sealed ? { key, streamNonce } : {}) } };
}

test("all vectors are there: 5 frames, 5 cobs, 60 containers, 6 edge cases", () => {
  const count = (p) => names.filter((n) => n.startsWith(p)).length;
  assert.deepEqual([count("frames-"), count("cobs-"), count("container-"), count("edge-")], [5, 5, 60, 6]);
});

test("passphrase vectors: two, each refused as a passphrase envelope (no Argon2id in the package)", () => {
  assert.equal(passphraseNames.length, 2);
  for (const name of passphraseNames) {
    const wire = readFileSync(`${dir}${name}.bin`);
    const r = new ss.ContainerReader({ key });
    assert.throws(() => r.push(wire), /passphrase-protected container \(SSTP envelope\)/, name);
  }
});

for (const name of names) {
  test(`vector ${name}`, () => {
    const { wire, want } = load(name);
    let got = [];
    let encoded;
    if (name.startsWith("frames-") || name.startsWith("cobs-")) {
      const cut = name.lastIndexOf("-");
      const [format, checksum] = [name.slice(0, cut), name.slice(cut + 1)];
      const opts = { checksum, maxFrameLen: 1024 };
      const [Enc, Dec] = format === "frames" ? [ss.FrameEncoder, ss.FrameDecoder] : [ss.CobsEncoder, ss.CobsDecoder];
      const enc = new Enc(opts);
      encoded = concat(want.map((p) => enc.encode(p)));
      const dec = new Dec(opts);
      for (let at = 0; at < wire.length; at += 3) got.push(...dec.push(wire.subarray(at, at + 3)));
      dec.finish();
    } else {
      const { sealed, opts } = containerOptions(name);
      const w = new ss.ContainerWriter(opts);
      // One frame per payload; sealed, the last one is the final frame.
      encoded = concat([...want.map((p, i) => w.writeFrame(p, sealed && i === want.length - 1)), w.finish()]);
      const ro = sealed ? { key } : undefined;
      const r = new ss.ContainerReader(ro);
      for (let at = 0; at < wire.length; at += 11) got.push(...r.push(wire.subarray(at, at + 11)));
      r.finish();
      assert.deepEqual(r.header, {
        checksum: opts.checksum,
        compression: opts.compression,
        sealed,
        maxPlain: 1024,
      });
      assert.deepEqual(ss.unpack(wire, ro), concat(want));
    }
    assert.deepEqual(got, want, "decoded payloads");
    assert.deepEqual(encoded, wire, "encoded bytes");
  });
}

test("every truncation of a few container vectors is refused, at frame boundaries too", () => {
  for (const name of ["container-none-crc32", "container-lz4-sealed-index-crc16", "container-deflate-index-xxh3", "edge-empty-stream", "edge-sealed-only-final"]) {
    const { wire } = load(name);
    const ro = containerOptions(name).sealed ? { key } : undefined;
    for (let cut = 0; cut < wire.length; cut++) {
      assert.throws(() => ss.unpack(wire.subarray(0, cut), ro), { message: "unpack: container truncated" }, `${name} cut at ${cut}`);
    }
    const extra = concat([wire, Uint8Array.of(0)]);
    assert.throws(() => ss.unpack(extra, ro), { message: "unpack: data after the end of the container" }, name);
  }
});
