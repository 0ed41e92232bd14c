// Playwright test of the Web Worker example (wasm/www/worker.html) in
// headless Chromium: a file picked in the page is sealed in the module
// Worker, downloaded, unpacked by the package in Node with the page's key,
// and opened again in the worker; the page itself never fetches the .wasm.
// Leaves the download and a screenshot in target/wasm-demo/worker/.
//
// Run from wasm/js-tests after the packed package is installed:
//   node demo/worker.mjs
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { unpack } from "secstream-wasm";
import { chromiumArgs, root, serve, testFile } from "./serve.mjs";

const outDir = join(root, "target", "wasm-demo", "worker");
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const server = await serve();
const url = `http://127.0.0.1:${server.address().port}/worker.html`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
let failed = false;
try {
  const page = await browser.newPage({ acceptDownloads: true });
  const errors = [];
  const workerUrls = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("worker", (w) => workerUrls.push(w.url()));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { state: "attached", timeout: 15_000 });

  const data = testFile();
  const keyHex = await page.inputValue("#key");
  assert.match(keyHex, /^[0-9a-f]{64}$/);
  await page.setInputFiles("#file", { name: "fox.bin", mimeType: "application/octet-stream", buffer: data });
  await page.click("#seal");
  await page.waitForSelector("#download:not(.hidden), #status.error", { state: "attached", timeout: 30_000 });
  const status = await page.textContent("#status");
  assert.equal(await page.getAttribute("#status", "class"), "", status);
  assert.match(status, /^sealed 296000 bytes into \d+ bytes in the worker/);
  console.log(status);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.equal(download.suggestedFilename(), "fox.bin.sstm");
  const sealedPath = join(outDir, "fox.bin.sstm");
  await download.saveAs(sealedPath);
  const sealed = await readFile(sealedPath);
  const key = Uint8Array.from(Buffer.from(keyHex, "hex"));
  assert.ok(data.equals(unpack(sealed, { key })), "Node unpacks what the worker sealed");
  console.log(`worker seal -> unpack in Node: ${data.length} bytes, identical`);

  // Open it again in the worker: the page's own round trip.
  await page.setInputFiles("#file", { name: "fox.bin.sstm", mimeType: "application/octet-stream", buffer: sealed });
  await page.click("#open");
  await page.waitForFunction(() => /^opened|^error/.test(document.getElementById("status").textContent));
  assert.match(await page.textContent("#status"), /^opened \d+ bytes into 296000 bytes in the worker/);

  // A wrong key: a clear error from the worker, and the page keeps working.
  const wrong = await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const key = new Uint8Array(32).fill(7);
    try {
      await globalThis.inWorker("open", new Blob([bytes]), key);
      return "opened";
    } catch (e) {
      return `${e.message}; key left in the page: ${key.byteLength} bytes`;
    }
  }, sealed.toString("base64"));
  assert.match(wrong, /authentication failed; key left in the page: 0 bytes$/);

  // Off the main thread: the worker ran, and the page never fetched the .wasm
  // (Chromium lists the worker's module scripts with the page's resources,
  // but not what the worker fetches itself).
  assert.deepEqual(workerUrls.map((u) => new URL(u).pathname), ["/seal-worker.js"]);
  const pageResources = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name));
  assert.ok(!pageResources.some((n) => n.endsWith(".wasm")), `the page loaded no .wasm: ${pageResources}`);
  await page.screenshot({ path: join(outDir, "worker.png"), fullPage: true });
  assert.deepEqual(errors, []);
  console.log("worker example ok: sealed and opened in a module Worker, nothing of the package on the main thread");
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
