// Entry point for bundlers (Vite, webpack, esbuild, Rollup, Parcel) and for
// anything else that is not Node.js: the wasm-bindgen `bundler` build, whose
// .wasm import is replaced by secstream_wasm_bg.wasm.js, the module inlined
// (base64) and instantiated synchronously on import. No bundler plugin, no
// loader and no `await init()` are needed, and nothing is copied by hand.
import * as wasm from "./secstream_wasm.js";
import { guardFreed } from "../lifetime.js";
import { streamClasses } from "../streams.js";

guardFreed(wasm);
export * from "./secstream_wasm.js";
export const {
  FrameEncoderStream,
  FrameDecoderStream,
  CobsEncoderStream,
  CobsDecoderStream,
  PackStream,
  UnpackStream,
} = streamClasses(wasm);
