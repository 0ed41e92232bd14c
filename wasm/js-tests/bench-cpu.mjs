// CPU time, not wall time, of sealed encode at 64 KiB (`ContainerWriter.push`,
// checksum none): the Node side of `cargo run --release -p secstream-wasm
// --example cpu_time`, for comparisons on a loaded machine (BENCHMARKS.md,
// "The simd128 sealing backend"). process.cpuUsage() counts every thread of
// the process (V8's compiler and GC threads too). Median of 7 runs of 64 MiB.
// Run from wasm/js-tests after installing the packed package: node bench-cpu.mjs
import * as ss from "secstream-wasm";

const SIZE = 65536;
const FRAMES = 1024;
const RUNS = 7;
const data = new Uint8Array(SIZE).map((_, i) => (i * 7 + 1) & 0xff);
const w = new ss.ContainerWriter({ key: new Uint8Array(32).fill(7), checksum: "none", maxPlain: SIZE });
for (let i = 0; i < 100; i++) w.push(data); // warm up
const rates = [];
for (let r = 0; r < RUNS; r++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < FRAMES; i++) w.push(data);
  const c = process.cpuUsage(c0);
  rates.push((FRAMES * SIZE) / (c.user + c.system));
}
rates.sort((a, b) => a - b);
console.log(`node ${process.version} sealed encode 64 KiB: ${rates[RUNS >> 1].toFixed(0)} MB/s (CPU time)`);
