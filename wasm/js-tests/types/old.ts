// Compiled (not run) with TypeScript 5.6 by types/check.mjs, `strict` and
// no skipLibCheck: before 5.7 `Uint8Array` is not generic, so the package
// gives that compiler its ts5.6/ declarations (`types@<5.7`, typesVersions).
import { SecureBuffer, ContainerWriter, pack, unpack, generateKey, PackStream, type ChecksumKindName } from "secstream-wasm";
import init from "secstream-wasm/web";

export async function roundTrip(data: Uint8Array): Promise<Uint8Array> {
  await init();
  const key = generateKey();
  const packed: Uint8Array = pack(data, { key, deflate: true });
  const blob = new Blob([packed]);
  const kind: ChecksumKindName = new ContainerWriter().header.checksum;
  const b = new SecureBuffer(64);
  b[Symbol.dispose]();
  const stream: TransformStream<Uint8Array, Uint8Array> = new PackStream({ key });
  void blob; void kind; void stream;
  return unpack(packed, { key });
}
