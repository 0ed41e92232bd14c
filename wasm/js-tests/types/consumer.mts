// Compiled (not run) by `tsc -p types`: the package's .d.ts files must type
// this ordinary use, `using` included, and reject the misuse marked below.
import {
  SecureBuffer, Ring, Checksum, checksum, checksumBytes, checksumWidth,
  FrameEncoder, FrameDecoder, CobsEncoder, CobsDecoder,
  ContainerWriter, ContainerReader, pack, unpack, generateKey,
  FrameEncoderStream, FrameDecoderStream, PackStream, UnpackStream,
  type ChecksumName, type ChecksumKindName, type FrameOptions, type PackOptions, type UnpackOptions,
  type ContainerHeader, type CompressionName,
} from "secstream-wasm";
import initWeb, { pack as webPack } from "secstream-wasm/web";

export async function use(file: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  {
    using buf = new SecureBuffer(64);
    buf.putString("ssh-ed25519");
    buf.putU64(1n);
    const s: Uint8Array = buf.getString();
    const n: bigint = buf.getU64();
    const names: string[] = buf.getNameList();
    void s; void n; void names;
  }
  const ring = new Ring(1024);
  const wrote: number = ring.write(new Uint8Array(8));
  const out: Uint8Array = ring.read();
  void wrote; void out;
  ring.free();

  const kind: ChecksumName = "crc32c";
  const c: bigint = checksum(kind, new Uint8Array(1));
  const le: Uint8Array = checksumBytes(2, new Uint8Array(1));
  const w: number = checksumWidth("xxh3");
  const h = new Checksum("crc16");
  h.update(new Uint8Array(2));
  const d: bigint = h.digest();
  void c; void le; void w; void d;

  const fo: FrameOptions = { checksum: "crc32", maxFrameLen: 4096 };
  const frames: Uint8Array = new FrameEncoder(fo).push(new Uint8Array(10));
  const payloads: Uint8Array[] = new FrameDecoder(fo).push(frames);
  const written: number = new FrameEncoder(fo).encodeInto(new Uint8Array(10), new Uint8Array(18));
  const views: Uint8Array[] = new FrameDecoder(fo).pushViews(frames);
  void written; void views;
  const cobs: Uint8Array = new CobsEncoder().encode(new Uint8Array(3));
  const cd = new CobsDecoder({ checksum: "crc16" });
  const got: Uint8Array[] = cd.push(cobs);
  const rejected: number = cd.rejected;
  void payloads; void got; void rejected;

  const key: Uint8Array = generateKey();
  const po: PackOptions = { key, compression: "deflate", level: 9, checksum: "xxh3", maxPlain: 65536, index: false };
  const uo: UnpackOptions = { key, readLimit: 1 << 20 };
  const writer = new ContainerWriter(po);
  const header: ContainerHeader = writer.header;
  const sealed: boolean = header.sealed;
  const headerKind: ChecksumKindName = header.checksum;
  const kindName: ChecksumKindName = h.kind;
  const codecKind: ChecksumKindName = new FrameEncoder().checksum;
  void sealed; void headerKind; void kindName; void codecKind;
  const compression: CompressionName = header.compression;
  const maxPlain: number = writer.maxPlain + header.maxPlain;
  void compression; void maxPlain;
  const last: Uint8Array = new ContainerWriter({ compression: "lz4" }).writeFrame(new Uint8Array(1), true);
  void last;
  const body: Uint8Array = writer.push(new Uint8Array(100));
  const tail: Uint8Array = writer.finish();
  const reader = new ContainerReader(uo);
  const plain: Uint8Array[] = reader.push(body);
  reader.push(tail);
  reader.finish();
  void plain;
  const one: Uint8Array = unpack(pack(new Uint8Array(5), po), uo);
  void one;

  // Outputs are over their own ArrayBuffer: Blob, Web Crypto and BufferSource
  // writers take them without a cast (TypeScript 5.7+ lib types).
  const packed = pack(new Uint8Array(5), po);
  const blob: Blob = new Blob([packed, writer.flush(), generateKey()]);
  const digest: ArrayBuffer = await crypto.subtle.digest("SHA-256", packed);
  const sink = new WritableStream<BufferSource>();
  await sink.getWriter().write(unpack(packed, uo));
  const frameOut: Uint8Array<ArrayBuffer>[] = new FrameDecoder(fo).push(frames);
  void blob; void digest; void frameOut;

  // @ts-expect-error: pack takes bytes, not a string
  pack("text", po);
  // @ts-expect-error: a header names one of the five checksums
  const badHeader: ContainerHeader = { checksum: "md5", compression: "none", sealed: false, maxPlain: 64 };
  void badHeader;
  // @ts-expect-error: unknown checksum name
  new FrameEncoder({ checksum: "md5" });
  // @ts-expect-error: unknown compression name
  pack(new Uint8Array(1), { compression: "zstd" });

  await initWeb();
  void webPack;

  const sealedStream: ReadableStream<Uint8Array> = file
    .pipeThrough(new PackStream(po))
    .pipeThrough(new UnpackStream(uo))
    .pipeThrough(new FrameEncoderStream(fo))
    .pipeThrough(new FrameDecoderStream(fo));
  const chunks: Uint8Array[] = [];
  for await (const chunk of sealedStream) chunks.push(chunk);
  await file.pipeThrough(new PackStream(po)).pipeTo(new WritableStream<BufferSource>());

  // free() inside a `using` block: the block's end disposes again, harmlessly.
  {
    using b = new SecureBuffer(64);
    b.free();
  }
  return chunks;
}
