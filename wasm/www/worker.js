// The main thread of worker.html: it never loads the WebAssembly module. It
// hands the picked file and the key to seal-worker.js and offers what comes
// back for download; the page stays responsive however large the file.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL("./seal-worker.js", import.meta.url), { type: "module" });
const pending = new Map();
let nextId = 0;

worker.onmessage = ({ data }) => {
  const done = pending.get(data.id);
  pending.delete(data.id);
  if (data.error) done.reject(new Error(data.error));
  else done.resolve(data);
};
worker.onerror = (e) => {
  for (const done of pending.values()) done.reject(new Error(e.message || "the worker failed"));
  pending.clear();
};

/**
 * Seals (`op` "seal") or opens ("open") `file` with the 32-byte `key` in the
 * worker. The key's buffer is transferred: `key` is empty afterwards.
 * Resolves to { blob, bytes, ms }.
 */
export function inWorker(op, file, key, deflate = true) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ op, id, file, key, deflate }, [key.buffer]);
  });
}
globalThis.inWorker = inWorker;

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
function keyBytes() {
  const hex = $("key").value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error("the key must be 64 hex digits (32 bytes)");
  return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
}
function newKey() {
  const key = crypto.getRandomValues(new Uint8Array(32));
  $("key").value = toHex(key);
  key.fill(0);
}

let url;
async function run(op) {
  const file = $("file").files[0];
  const status = $("status");
  if (!file) {
    status.textContent = "choose a file first";
    status.className = "error";
    return;
  }
  status.className = "";
  status.textContent = `${op === "seal" ? "sealing" : "opening"} in a worker...`;
  try {
    const { blob, bytes, ms } = await inWorker(op, file, keyBytes(), $("deflate").checked);
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(blob);
    const name = op === "seal" ? `${file.name}.sstm` : file.name.replace(/\.sstm$/, "") || "opened.bin";
    Object.assign($("download"), { href: url, download: name, textContent: `Download ${name}` });
    $("download").classList.remove("hidden");
    status.textContent = `${op === "seal" ? "sealed" : "opened"} ${file.size} bytes into ${bytes} bytes in the worker (${ms.toFixed(0)} ms)`;
  } catch (e) {
    status.textContent = `error: ${e.message}`;
    status.className = "error";
  }
}

newKey();
$("new-key").addEventListener("click", newKey);
$("seal").addEventListener("click", () => run("seal"));
$("open").addEventListener("click", () => run("open"));
document.body.dataset.ready = "true";
