// Entry point for bundlers (webpack, Vite, Rollup with wasm support): the
// .wasm is imported as an ES module.
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
