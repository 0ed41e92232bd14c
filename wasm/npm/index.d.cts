// Types of the package: the wasm-bindgen classes and functions (the same in
// every build) and the TransformStream classes of streams.js. A CommonJS
// declaration file, so that `require("secstream-wasm")` is typed under
// `module: node16`/`nodenext`; `index.d.ts` re-exports it for `import`.
export * from "./node/secstream_wasm.js";
import type { FrameOptions, PackOptions, UnpackOptions } from "./node/secstream_wasm.js";

/** Uint8Array chunks in, length-prefixed frames out (`readable.pipeThrough(...)`). */
export declare class FrameEncoderStream extends TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> {
  constructor(options?: FrameOptions);
}
/** Frame bytes in (any split), one payload per frame out; errors on a bad or truncated frame. */
export declare class FrameDecoderStream extends TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> {
  constructor(options?: FrameOptions);
}
/** Uint8Array chunks in, COBS frames out. */
export declare class CobsEncoderStream extends TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> {
  constructor(options?: FrameOptions);
}
/** COBS bytes in (any split), one payload per good frame out; damaged frames are dropped. */
export declare class CobsDecoderStream extends TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> {
  constructor(options?: FrameOptions);
}
/** Plaintext in, a secstream container out (sealed when `options.key` is given). */
export declare class PackStream extends TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> {
  constructor(options?: PackOptions);
}
/** Container bytes in, checked (authenticated, decrypted, inflated) plaintext out. */
export declare class UnpackStream extends TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> {
  constructor(options?: UnpackOptions);
}
