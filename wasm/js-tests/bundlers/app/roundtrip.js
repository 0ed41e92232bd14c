// The tiny app every bundler test builds: given the package's exports, seal
// and unpack a container one-shot and through the streams, and use a
// SecureBuffer past its free(). Returns what it found, for the runner.
export async function roundTrip(ss) {
  const text = "secstream through a bundler ".repeat(200);
  const data = new TextEncoder().encode(text);
  const key = ss.generateKey();
  const packed = ss.pack(data, { key, deflate: true, checksum: "xxh3" });
  const plain = ss.unpack(packed, { key });
  const oneShot = new TextDecoder().decode(plain) === text;

  const parts = [];
  const sealed = new Blob([data]).stream().pipeThrough(new ss.PackStream({ key, maxFrameLen: 1024 }));
  for await (const p of sealed.pipeThrough(new ss.UnpackStream({ key }))) parts.push(p);
  const streamed = new TextDecoder().decode(await new Blob(parts).arrayBuffer()) === text;

  let wrongKey = "";
  try {
    ss.unpack(packed, { key: ss.generateKey() });
  } catch (e) {
    wrongKey = e.message;
  }

  const b = new ss.SecureBuffer(64);
  b.free();
  b.free();
  let afterFree = "";
  try {
    b.putU8(1);
  } catch (e) {
    afterFree = e.message;
  }
  key.fill(0);
  return { oneShot, streamed, packedBytes: packed.length, wrongKey, afterFree, crc32c: ss.checksum("crc32c", data).toString(16) };
}

/** Hands the result to the runner: a data attribute in a page, stdout in Node. */
export function report(result) {
  globalThis.secstreamResult = result;
  if (typeof document !== "undefined") document.body.dataset.result = JSON.stringify(result);
  else console.log(JSON.stringify(result));
}

export function fail(e) {
  report({ error: String(e && e.stack ? e.stack : e) });
}
