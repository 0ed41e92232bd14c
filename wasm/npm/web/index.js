// Entry point for browsers without a bundler (`<script type="module">`):
// await the default export `init()` once (it fetches secstream_wasm_bg.wasm
// next to this file, or what you pass it) before using anything else.
import * as wasm from "./secstream_wasm.js";
import { streamClasses } from "../streams.js";

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
