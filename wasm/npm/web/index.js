// Entry point for browsers without a bundler (`<script type="module">`, a
// module Worker): await the default export `init()` once before using
// anything else. It fetches secstream_wasm_bg.wasm from next to this file
// (serve the whole package folder), or what you pass it:
// `init({ module_or_path: url })`, or `initSync({ module: bytes })`.
import * as wasm from "./secstream_wasm.js";
import { guardFreed } from "../lifetime.js";
import { streamClasses } from "../streams.js";

guardFreed(wasm);
export * from "./secstream_wasm.js";
export { default, initSync } from "./secstream_wasm.js";
export const {
  FrameEncoderStream,
  FrameDecoderStream,
  CobsEncoderStream,
  CobsDecoderStream,
  PackStream,
  UnpackStream,
} = streamClasses(wasm);
