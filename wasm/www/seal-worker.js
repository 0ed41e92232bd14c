// The Worker of worker.html: every WebAssembly call runs here, off the main
// thread. Messages in: { op: "seal" | "open", id, file: Blob, key: Uint8Array }
// (the key's buffer is transferred, so no copy stays with the page). Messages
// out: { id, blob, bytes, ms } or { id, error }. The key is wiped after use.
import init, { PackStream, UnpackStream } from "./pkg/web/index.js";

const ready = init();

self.onmessage = async ({ data: { op, id, file, key, deflate } }) => {
  try {
    await ready;
    const started = performance.now();
    const transform =
      op === "seal" ? new PackStream({ key, deflate: Boolean(deflate) }) : new UnpackStream({ key });
    key.fill(0);
    const parts = [];
    let bytes = 0;
    for await (const chunk of file.stream().pipeThrough(transform)) {
      parts.push(chunk);
      bytes += chunk.length;
    }
    const blob = new Blob(parts, { type: "application/octet-stream" });
    self.postMessage({ id, blob, bytes, ms: performance.now() - started });
  } catch (e) {
    key?.fill?.(0);
    self.postMessage({ id, error: e.message });
  }
};
