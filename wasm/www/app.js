// The demo: pick a file, pack and seal it with PackStream, offer the result
// for download. The package's web build is served under ./pkg/.
import init, { PackStream, generateKey, checksum } from "./pkg/web/index.js";

const $ = (id) => document.getElementById(id);
const status = (text, isError = false) => {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
};
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
function fromHex(hex) {
  const clean = hex.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(clean)) throw new Error("the key must be 64 hex digits (32 bytes)");
  return Uint8Array.from(clean.match(/../g), (h) => parseInt(h, 16));
}

let downloadUrl;

let keyUrl;

/** Points the "Save key file" link at the raw 32 bytes of the key field. */
function updateKeyFile() {
  if (keyUrl) URL.revokeObjectURL(keyUrl);
  keyUrl = undefined;
  try {
    const key = fromHex($("key").value);
    keyUrl = URL.createObjectURL(new Blob([key], { type: "application/octet-stream" }));
    key.fill(0);
  } catch {
    // An invalid key gets no file; packing reports the error.
  }
  $("key-file").href = keyUrl ?? "#";
}

function newKey() {
  const key = generateKey();
  $("key").value = toHex(key);
  key.fill(0);
  updateKeyFile();
}

async function packFile() {
  const file = $("file").files[0];
  if (!file) {
    status("choose a file first", true);
    return;
  }
  $("pack").disabled = true;
  $("download").classList.add("hidden");
  try {
    const key = fromHex($("key").value);
    const started = performance.now();
    const sealed = file.stream().pipeThrough(
      new PackStream({ key, compression: $("compression").value, checksum: $("checksum").value }),
    );
    key.fill(0);
    const parts = [];
    let size = 0;
    for await (const chunk of sealed) {
      parts.push(chunk);
      size += chunk.length;
    }
    const ms = performance.now() - started;
    const blob = new Blob(parts, { type: "application/octet-stream" });
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(blob);
    const link = $("download");
    link.href = downloadUrl;
    link.download = `${file.name}.sstm`;
    link.textContent = `Download ${file.name}.sstm`;
    link.classList.remove("hidden");
    // The preamble of a sealed container: 32 bytes, the stream nonce included.
    const head = new Uint8Array(await blob.slice(0, 32).arrayBuffer());
    status(
      `packed ${file.size} bytes into ${size} bytes in ${ms.toFixed(0)} ms\n` +
        `preamble: ${toHex(head)}\n` +
        `crc32c of the container: ${checksum("crc32c", new Uint8Array(await blob.arrayBuffer())).toString(16)}`,
    );
  } catch (e) {
    status(`error: ${e.message}`, true);
  } finally {
    $("pack").disabled = false;
  }
}

await init();
newKey();
$("new-key").addEventListener("click", newKey);
$("key").addEventListener("input", updateKeyFile);
$("pack").addEventListener("click", packFile);
$("pack").disabled = false;
status("ready: choose a file");
document.body.dataset.ready = "true";
