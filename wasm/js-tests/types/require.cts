// Compiled (not run) by `tsc -p types/tsconfig.cjs.json`: a CommonJS module
// under `module: node16` gets the package's `require` types.
import ss = require("secstream-wasm");

export function roundTrip(data: Uint8Array): Uint8Array<ArrayBuffer> {
  const key = ss.generateKey();
  const stream: TransformStream<Uint8Array, Uint8Array<ArrayBuffer>> = new ss.PackStream({ key });
  void stream;
  return ss.unpack(ss.pack(data, { key }), { key });
}
