// Entry point for Node.js `import`: the same module instance and classes as
// `require` (index.cjs), so objects made through either are interchangeable.
import cjs from "./index.cjs";

export * from "./secstream_wasm.js";
export const {
  FrameEncoderStream,
  FrameDecoderStream,
  CobsEncoderStream,
  CobsDecoderStream,
  PackStream,
  UnpackStream,
} = cjs;
