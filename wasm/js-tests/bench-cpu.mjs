// CPU time, not wall time, at 64 KiB: the Node side of `cargo run --release
// -p secstream-wasm --example cpu_time`, for comparisons on a loaded machine
// (BENCHMARKS.md, "WebAssembly in Node against native"):
//
//   frame encode crc32c      FrameEncoder.encode (a new array per frame)
//   frame encodeInto crc32c  FrameEncoder.encodeInto (one reused array)
//   frame decode crc32c      FrameDecoder.push of one whole frame
//   frame decodeViews crc32c FrameDecoder.pushViews (the payload a view of the input)
//   sealed encode            ContainerWriter.push, checksum none
//
// process.cpuUsage() counts every thread of the process (V8's compiler and
// GC threads too). Median of 7 runs of 64 MiB each.
// Run from wasm/js-tests after installing the packed package: node bench-cpu.mjs
import * as ss from "secstream-wasm";

const SIZE = 65536;
const FRAMES = 1024;
const RUNS = 7;
const data = new Uint8Array(SIZE).map((_, i) => (i * 7 + 1) & 0xff);

/** Median MB/s in CPU time of `RUNS` runs of `FRAMES` calls of `f`. */
function measure(f) {
  for (let i = 0; i < 100; i++) f(); // warm up
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < FRAMES; i++) f();
    const c = process.cpuUsage(c0);
    rates.push((FRAMES * SIZE) / (c.user + c.system));
  }
  rates.sort((a, b) => a - b);
  return rates[RUNS >> 1];
}

const results = [];
const enc = new ss.FrameEncoder({ checksum: "crc32c", maxFrameLen: SIZE });
results.push(["frame encode crc32c", measure(() => enc.encode(data))]);
if (typeof enc.encodeInto === "function") {
  const out = new Uint8Array(SIZE + 8);
  results.push(["frame encodeInto crc32c", measure(() => enc.encodeInto(data, out))]);
}
const frame = enc.encode(data);
const dec = new ss.FrameDecoder({ checksum: "crc32c", maxFrameLen: SIZE });
results.push(["frame decode crc32c", measure(() => {
  if (dec.push(frame).length !== 1) throw new Error("no frame");
})]);
if (typeof dec.pushViews === "function") {
  results.push(["frame decodeViews crc32c", measure(() => {
    if (dec.pushViews(frame).length !== 1) throw new Error("no frame");
  })]);
}
const w = new ss.ContainerWriter({ key: new Uint8Array(32).fill(7), checksum: "none", maxPlain: SIZE });
results.push(["sealed encode", measure(() => w.push(data))]);

console.log(`node ${process.version}, 64 KiB, CPU time`);
console.log("| operation | frame size | Node MB/s |");
console.log("|---|---|---|");
for (const [name, rate] of results) console.log(`| ${name} | ${SIZE} | ${rate.toFixed(0)} |`);
