// Node throughput of the packed secstream-wasm package, to compare with the
// native criterion numbers of benches/benches/framing.rs (same operations,
// same frame sizes, xorshift payloads):
//
//   frame encode crc32c / secstream encode_into     <-> FrameEncoder.encode
//                                                   and FrameEncoder.encodeInto
//   frame decode crc32c / secstream Decoder         <-> FrameDecoder.push
//                                                   and FrameDecoder.pushViews
//   sealed encode / secstream container Writer      <-> ContainerWriter.push (checksum none)
//   sealed decode / secstream container Reader      <-> ContainerReader.push (checksum none)
//
// Each JS call includes the copies across the JS/wasm boundary (input into
// wasm memory, output into a new Uint8Array), which a JS user always pays;
// `encodeInto` writes into one reused array instead, and `pushViews` hands
// out views of the input, as the native bench does.
// Run from wasm/js-tests after `cargo xtask wasm`: node bench.mjs
import * as ss from "secstream-wasm";

const SIZES = [1024, 65536];
const TOTAL = 64 << 20; // bytes processed per measurement
const RUNS = 7;

function payload(len) {
  // xorshift64, as the native bench.
  const out = new Uint8Array(len);
  let x = 0x9e3779b97f4a7c15n;
  const mask = (1n << 64n) - 1n;
  for (let i = 0; i < len; i++) {
    x ^= (x << 13n) & mask;
    x ^= x >> 7n;
    x ^= (x << 17n) & mask;
    out[i] = Number(x & 0xffn);
  }
  return out;
}

/** Median MB/s (10^6 bytes per second) of `RUNS` timings of `fn(iterations)`. */
function measure(size, fn) {
  const iterations = Math.max(1, Math.floor(TOTAL / size));
  fn(Math.min(iterations, 200)); // warm up
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    fn(iterations);
    const ns = Number(process.hrtime.bigint() - t0);
    rates.push((iterations * size) / (ns / 1e3));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(RUNS / 2)];
}

const key = new Uint8Array(32).fill(7);
const results = [];
for (const size of SIZES) {
  const data = payload(size);

  const enc = new ss.FrameEncoder({ checksum: "crc32c", maxFrameLen: size });
  results.push(["frame encode crc32c", size, measure(size, (n) => {
    for (let i = 0; i < n; i++) enc.encode(data);
  })]);

  if (typeof enc.encodeInto === "function") {
    const out = new Uint8Array(size + 8);
    results.push(["frame encodeInto crc32c", size, measure(size, (n) => {
      for (let i = 0; i < n; i++) enc.encodeInto(data, out);
    })]);
  }

  const frame = enc.encode(data);
  const dec = new ss.FrameDecoder({ checksum: "crc32c", maxFrameLen: size });
  results.push(["frame decode crc32c", size, measure(size, (n) => {
    for (let i = 0; i < n; i++) {
      if (dec.push(frame).length !== 1) throw new Error("no frame");
    }
  })]);
  if (typeof dec.pushViews === "function") {
    results.push(["frame decodeViews crc32c", size, measure(size, (n) => {
      for (let i = 0; i < n; i++) {
        if (dec.pushViews(frame).length !== 1) throw new Error("no frame");
      }
    })]);
  }

  // Sealed, checksum none, one frame per push (maxPlain = size; a full frame
  // goes out with the next push).
  const opts = { key, checksum: "none", maxPlain: size };
  const w = new ss.ContainerWriter(opts);
  results.push(["sealed encode", size, measure(size, (n) => {
    for (let i = 0; i < n; i++) w.push(data);
  })]);

  // A long sealed stream, read frame by frame; a new reader when it is used up.
  const frames = 256;
  const writer = new ss.ContainerWriter({ ...opts, streamNonce: new Uint8Array(16) });
  const first = writer.writeFrame(data);
  const preamble = first.subarray(0, first.length - (4 + size + 16));
  const wire = [first.subarray(preamble.length)];
  for (let i = 1; i < frames; i++) wire.push(writer.writeFrame(data));
  let reader;
  let next = frames;
  results.push(["sealed decode", size, measure(size, (n) => {
    for (let i = 0; i < n; i++) {
      if (next === frames) {
        reader?.free();
        reader = new ss.ContainerReader({ key });
        reader.push(preamble);
        next = 0;
      }
      if (reader.push(wire[next++]).length !== 1) throw new Error("no frame");
    }
  })]);
}

console.log(`node ${process.version}, secstream-wasm ${ss.checksumNames().length} checksums`);
console.log("| operation | frame size | Node MB/s |");
console.log("|---|---|---|");
for (const [name, size, rate] of results) {
  console.log(`| ${name} | ${size} | ${rate.toFixed(0)} |`);
}
