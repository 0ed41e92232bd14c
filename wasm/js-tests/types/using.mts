// Compiled by `tsc -p types/tsconfig.run.json` (TypeScript lowers `using` to
// ES2022 with its helpers, which call `[Symbol.dispose]()`), then run by
// Node: `using` with a free() inside the block, and what a freed object does.
import assert from "node:assert/strict";
import { SecureBuffer, Ring } from "secstream-wasm";

let outer: SecureBuffer | undefined;
{
  using b = new SecureBuffer(64);
  b.putString("secret");
  b.free();
  outer = b;
}
assert.throws(() => outer?.length, /^Error: SecureBuffer.length: this SecureBuffer has been freed$/);

let ring: Ring | undefined;
{
  using r = new Ring(64);
  r.writeAll(Uint8Array.of(1, 2, 3));
  ring = r;
}
assert.throws(() => ring?.read(), /^Error: Ring.read: this Ring has been freed$/);
console.log("using: dispose after free() is harmless; a disposed object throws a clear Error");
