// Compiled (not run) with TypeScript 5.6 by types/check.mjs: `require` types
// under node16, from ts5.6/index.d.cts.
import ss = require("secstream-wasm");

export function roundTrip(data: Uint8Array): Uint8Array {
  const key = ss.generateKey();
  return ss.unpack(ss.pack(data, { key }), { key });
}
