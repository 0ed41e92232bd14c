// Compiled (not run) by `tsc -p types/tsconfig.dom.json`: a browser project
// with a DOM-only lib (no esnext.disposable, no @types/node) and bundler
// resolution must type the package, both entries, without a cast.
import {
  SecureBuffer, Checksum, ContainerWriter, pack, unpack, generateKey, PackStream, UnpackStream,
  type ChecksumKindName, type PackOptions,
} from "secstream-wasm";
import init, { initSync, pack as webPack } from "secstream-wasm/web";

export async function seal(file: File): Promise<Blob> {
  await init();
  const key = generateKey();
  const options: PackOptions = { key, deflate: true };
  const packed = pack(new TextEncoder().encode("hello"), options);
  const digest: ArrayBuffer = await crypto.subtle.digest("SHA-256", packed);
  const plain: Uint8Array<ArrayBuffer> = unpack(packed, { key });
  const kind: ChecksumKindName = new ContainerWriter(options).header.checksum;
  const c = new Checksum("xxh3");
  const name: ChecksumKindName = c.kind;
  c.free();
  const b = new SecureBuffer(64);
  b[Symbol.dispose]();
  b.free();
  void digest; void plain; void kind; void name; void webPack; void initSync;
  const sealed = file.stream().pipeThrough(new PackStream(options));
  const check = sealed.pipeThrough(new UnpackStream({ key }));
  void check;
  return new Response(sealed).blob().then((blob) => new Blob([blob, packed]));
}
