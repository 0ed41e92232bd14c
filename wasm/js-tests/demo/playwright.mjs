// Playwright test of the demo page (wasm/www) in headless Chromium: pick a
// file, pack and seal it in the browser, download the container, and unpack
// it with the `secstream` CLI; the bytes must round-trip. Leaves the
// download, the decoded file and a screenshot in target/wasm-demo/.
//
// Run from wasm/js-tests after the packed package is installed:
//   node demo/playwright.mjs
import { readFile, mkdir, writeFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { chromiumArgs, root, serve, testFile } from "./serve.mjs";

const outDir = join(root, "target", "wasm-demo");

// The `secstream` CLI, built by `cargo build -p secstream --bin secstream`.
const cli = join(root, "target", "debug", "secstream");
if (!existsSync(cli)) throw new Error(`${cli} is missing: cargo build -p secstream --bin secstream`);

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const server = await serve();
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
let failed = false;
try {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 900, height: 980 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });

  // `using` ends with Symbol.dispose = free(): the buffer is wiped and gone;
  // a free() inside the block is harmless, and use after it a clear Error.
  const disposed = await page.evaluate(`(async () => {
    const m = await import("/pkg/web/index.js");
    let outer, early;
    {
      using b = new m.SecureBuffer(32);
      b.putString("secret");
      outer = b;
    }
    {
      using c = new m.SecureBuffer(32);
      c.free();
      early = c;
    }
    const uses = [];
    for (const o of [outer, early]) {
      try { o.length; uses.push("still alive"); } catch (e) { uses.push(e instanceof Error && e.message); }
    }
    return uses;
  })()`);
  assert.deepEqual(disposed, Array(2).fill("SecureBuffer.length: this SecureBuffer has been freed"));

  const data = testFile();
  const keyHex = await page.inputValue("#key");
  assert.match(keyHex, /^[0-9a-f]{64}$/);
  await page.setInputFiles("#file", { name: "fox.bin", mimeType: "application/octet-stream", buffer: data });
  await page.click("#pack");
  await page.waitForSelector("#download:not(.hidden), #status.error", { timeout: 30_000 });
  assert.equal(await page.getAttribute("#status", "class"), "", await page.textContent("#status"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  assert.equal(download.suggestedFilename(), "fox.bin.sstm");
  const sealedPath = join(outDir, "fox.bin.sstm");
  await download.saveAs(sealedPath);
  await writeFile(join(outDir, "fox.bin"), data);
  const status = await page.textContent("#status");
  console.log(status);
  assert.match(status, /^packed 296000 bytes into \d+ bytes/);
  await page.screenshot({ path: join(outDir, "demo.png"), fullPage: true });
  assert.deepEqual(errors, []);

  // Rust side: the `secstream` CLI unpacks the download with the same key.
  const sealed = await readFile(sealedPath);
  assert.deepEqual([...sealed.subarray(0, 4)], [0x53, 0x53, 0x54, 0x4d]);
  // The page's "Save key file" link gives the raw 32 bytes the CLI reads.
  const [keyDownload] = await Promise.all([page.waitForEvent("download"), page.click("#key-file")]);
  const keyFile = join(outDir, "secstream.key");
  await keyDownload.saveAs(keyFile);
  assert.equal((await readFile(keyFile)).toString("hex"), keyHex);
  const decoded = join(outDir, "fox.decoded.bin");
  execFileSync(cli, ["unpack", "--key-file", keyFile, "-o", decoded, sealedPath], { stdio: "inherit" });
  assert.ok(data.equals(await readFile(decoded)), "the CLI returns the picked file");
  console.log(`secstream unpack: ${data.length} bytes, identical to the picked file`);
  // A flipped bit is refused by the CLI, and nothing is written.
  const tampered = Buffer.from(sealed);
  tampered[tampered.length - 20] ^= 1;
  await writeFile(join(outDir, "tampered.sstm"), tampered);
  const refused = join(outDir, "tampered.out");
  assert.throws(() =>
    execFileSync(cli, ["unpack", "--key-file", keyFile, "-o", refused, join(outDir, "tampered.sstm")], { stdio: "pipe" }),
  );
  assert.ok(!existsSync(refused), "no output from a tampered container");
  // The other way: the CLI packs (its defaults: 1 MiB frames, so a header
  // maximum above 1 MiB; with deflate, sealed) and UnpackStream in the page
  // reads it back.
  const cliPacked = join(outDir, "fox.cli.sstm");
  execFileSync(cli, ["pack", "--compress", "deflate", "--key-file", keyFile, "-o", cliPacked, join(outDir, "fox.bin")], {
    stdio: "inherit",
  });
  const back = await page.evaluate(
    async ([b64, hex]) => {
      const m = await import("/pkg/web/index.js");
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const key = Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
      const parts = [];
      for await (const p of new Blob([bytes]).stream().pipeThrough(new m.UnpackStream({ key }))) parts.push(p);
      let s = "";
      for (const p of parts) for (const b of p) s += String.fromCharCode(b);
      return btoa(s);
    },
    [(await readFile(cliPacked)).toString("base64"), keyHex],
  );
  assert.ok(data.equals(Buffer.from(back, "base64")), "the page unpacks what the CLI packed");
  console.log("secstream pack -> UnpackStream in the page: identical");

  // A wrong key must fail in the page with a clear message, and the page keeps working.
  await page.fill("#key", "zz");
  await page.click("#pack");
  await page.waitForSelector("#status.error");
  assert.equal(await page.textContent("#status"), "error: the key must be 64 hex digits (32 bytes)");

  console.log(`demo round trip ok; screenshot ${join(outDir, "demo.png")}`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
