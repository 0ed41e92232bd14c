// The shared vectors of tests/vectors/ (see its README), read and written
// through the packed package: every target must decode them identically.
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
const names = readdirSync(dir).filter((f) => f.endsWith(".bin")).map((f) => f.slice(0, -4)).sort();

test("all 30 vectors are there", () => assert.equal(names.length, 30));

for (const name of names) {
  test(`vector ${name}`, () => {
    const wire = new Uint8Array(readFileSync(`${dir}${name}.bin`));
    const want = parsePayloads(new Uint8Array(readFileSync(`${dir}${name}.payloads`)));
    const cut = name.lastIndexOf("-");
    const [format, checksum] = [name.slice(0, cut), name.slice(cut + 1)];
    const opts = { checksum, maxFrameLen: 1024 };
    let got = [];
    let encoded;
    if (format === "frames" || format === "cobs") {
      const [Enc, Dec] = format === "frames" ? [ss.FrameEncoder, ss.FrameDecoder] : [ss.CobsEncoder, ss.CobsDecoder];
      const enc = new Enc(opts);
      encoded = concat(want.map((p) => enc.encode(p)));
      const dec = new Dec(opts);
      for (let at = 0; at < wire.length; at += 3) got.push(...dec.push(wire.subarray(at, at + 3)));
      dec.finish();
    } else {
      const sealed = format.includes("sealed");
      const w = new ss.ContainerWriter({
        ...opts,
        deflate: format.includes("deflate"),
        ...(sealed ? { key, streamNonce } : {}),
      });
      encoded = concat([...want.map((p) => w.writeFrame(p)), w.finish()]);
      const r = new ss.ContainerReader(sealed ? { key } : undefined);
      for (let at = 0; at < wire.length; at += 11) got.push(...r.push(wire.subarray(at, at + 11)));
      r.finish();
      assert.deepEqual(ss.unpack(wire, sealed ? { key } : undefined), concat(want));
    }
    assert.deepEqual(got, want, "decoded payloads");
    assert.deepEqual(encoded, wire, "encoded bytes");
  });
}
