// Compiled (not run) by `tsc --strict --noEmit types/fresh.ts`, with no
// tsconfig: TypeScript's defaults (ES5 lib, CommonJS, node10 resolution
// through the package's "types" field, remapped by typesVersions before
// TypeScript 5.7) and whatever @types are installed. Run with 5.9 and 5.6.
import { SecureBuffer, pack, unpack, generateKey } from "secstream-wasm";
import init from "secstream-wasm/web";

export function roundTrip(data: Uint8Array): Uint8Array {
  void init;
  const key = generateKey();
  const b = new SecureBuffer(64);
  b[Symbol.dispose]();
  return unpack(pack(data, { key, deflate: true }), { key });
}
