// Entry point for Node.js: the wasm-bindgen `nodejs` build (CommonJS, loads
// the .wasm synchronously from this folder).
import * as wasm from "./secstream_wasm.js";
import { streamClasses } from "../streams.js";

export * from "./secstream_wasm.js";
export const {
  FrameEncoderStream,
  FrameDecoderStream,
  CobsEncoderStream,
  CobsDecoderStream,
  PackStream,
  UnpackStream,
} = streamClasses(wasm);
