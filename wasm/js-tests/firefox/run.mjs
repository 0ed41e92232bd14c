// The page tests in headless Firefox (Debian's firefox-esr), driven through
// geckodriver's W3C WebDriver HTTP API with plain fetch (Playwright cannot
// drive a stock Firefox):
// - the demo's web build in a page: `using` with free() inside the block,
//   PackStream in Firefox -> unpack in Node, and pack in Node -> UnpackStream
//   in Firefox;
// - the Web Worker example: seal and open in a module Worker;
// - every bundler build left by bundlers/run.mjs in target/wasm-bundlers/.
//
// Run from wasm/js-tests after the tarball is installed and bundlers/run.mjs:
//   GECKODRIVER=$(command -v geckodriver) node firefox/run.mjs
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, openSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { pack, unpack } from "secstream-wasm";
import { root, serve, serveDir, testFile } from "../demo/serve.mjs";
import { builtPages, checkResult } from "../bundlers/result.mjs";

const geckodriver = process.env.GECKODRIVER || "geckodriver";
const firefox = process.env.FIREFOX || "/usr/bin/firefox-esr";
const bundles = join(root, "target", "wasm-bundlers");
/** No background traffic: the tests reach 127.0.0.1 only (on top of geckodriver's own prefs). */
const quietPrefs = {
  "app.normandy.enabled": false,
  "app.update.auto": false,
  "browser.safebrowsing.blockedURIs.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.search.update": false,
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "extensions.update.enabled": false,
  "messaging-system.rsexperimentloader.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "services.settings.server": "http://127.0.0.1:9/remote-settings/v1",
  "toolkit.telemetry.enabled": false,
};

/** A free TCP port on 127.0.0.1 for geckodriver. */
function freePort() {
  return new Promise((ok, no) => {
    const s = createServer();
    s.on("error", no);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** One WebDriver command; throws the driver's error message. */
async function wd(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok || json.value?.error) {
    throw new Error(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
  }
  return json.value;
}

const port = await freePort();
const profileRoot = await mkdtemp(join(tmpdir(), "secstream-firefox-"));
// Firefox's own console chatter goes to a log file, named on failure.
const logDir = join(root, "target", "wasm-firefox");
await mkdir(logDir, { recursive: true });
const logFile = join(logDir, "geckodriver.log");
const log = openSync(logFile, "w");
const driver = spawn(geckodriver, ["--host", "127.0.0.1", "--port", String(port), "--log", "error"], {
  stdio: ["ignore", log, log],
  env: { ...process.env, TMPDIR: profileRoot },
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await wd(base, "GET", "/status")).ready) break;
  } catch (e) {
    if (i > 100) throw new Error(`geckodriver did not start: ${e.message}`);
  }
  await new Promise((ok) => setTimeout(ok, 100));
}

const servers = [];
let session;
let failed = false;
try {
  if (!existsSync(firefox)) throw new Error(`${firefox} is missing: apt-get install firefox-esr`);
  session = await wd(base, "POST", "/session", {
    capabilities: {
      alwaysMatch: {
        browserName: "firefox",
        "moz:firefoxOptions": { binary: firefox, args: ["-headless"], prefs: quietPrefs },
      },
    },
  });
  const s = `/session/${session.sessionId}`;
  console.log(`Firefox ${session.capabilities.browserVersion} (geckodriver on ${base})`);
  await wd(base, "POST", `${s}/timeouts`, { script: 60_000, pageLoad: 30_000 });
  const go = (url) => wd(base, "POST", `${s}/url`, { url });
  /**
   * Runs `body` (an async function's source, given `args`) in the page's own
   * realm, as a module script, and resolves to what it returns (JSON).
   * WebDriver's own scripts run in a sandbox realm, whose Uint8Arrays are not
   * the page's (`instanceof` fails across realms), so they only start this
   * script and wait for its result in a DOM attribute.
   */
  const run = async (body, ...args) => {
    const source = `(async (...args) => { ${body} })(...${JSON.stringify(args)})
      .then((value) => ({ value }), (e) => ({ thrown: String(e) + " " + (e && e.stack) }))
      .then((r) => { document.documentElement.dataset.wdResult = JSON.stringify(r); });`;
    const r = await wd(base, "POST", `${s}/execute/async`, {
      script: `const [source, done] = arguments;
        delete document.documentElement.dataset.wdResult;
        const el = document.createElement("script");
        el.type = "module";
        el.textContent = source;
        document.head.append(el);
        const poll = () => {
          const r = document.documentElement.dataset.wdResult;
          if (r === undefined) setTimeout(poll, 20);
          else done(r);
        };
        poll();`,
      args: [source],
    });
    const parsed = JSON.parse(r);
    if (parsed.thrown) throw new Error(`in Firefox: ${parsed.thrown}`);
    return parsed.value;
  };

  const pages = await serve();
  servers.push(pages);
  const origin = `http://127.0.0.1:${pages.address().port}`;

  // The web build in a page.
  await go(`${origin}/`);
  await run(`
    for (let i = 0; i < 200 && document.body.dataset.ready !== "true"; i++) await new Promise((r) => setTimeout(r, 50));
    if (document.body.dataset.ready !== "true") throw new Error("the demo page did not get ready");`);
  // `using` is new syntax: compiled by Function so the page script parses first.
  const disposed = await run(`
    const m = await import("/pkg/web/index.js");
    await m.default();
    const f = new Function("m", \`
      let outer, early;
      { using b = new m.SecureBuffer(32); b.putString("secret"); outer = b; }
      { using c = new m.SecureBuffer(32); c.free(); early = c; }
      return [outer, early];\`);
    return f(m).map((o) => { try { o.length; return "alive"; } catch (e) { return e instanceof Error && e.message; } });`);
  assert.deepEqual(disposed, Array(2).fill("SecureBuffer.length: this SecureBuffer has been freed"));
  console.log("ok  Firefox: `using` with free() inside the block; use after free is a clear Error");

  const data = testFile(400, 20_000);
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);
  const sealedB64 = await run(`
    const [dataB64, keyB64] = args;
    const m = await import("/pkg/web/index.js");
    await m.default();
    const from64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const parts = [];
    const sealed = new Blob([from64(dataB64)]).stream()
      .pipeThrough(new m.PackStream({ key: from64(keyB64), deflate: true, maxFrameLen: 4096 }));
    for await (const p of sealed) parts.push(p);
    const all = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = "";
    for (const b of all) s += String.fromCharCode(b);
    return btoa(s);`, data.toString("base64"), Buffer.from(key).toString("base64"));
  assert.ok(data.equals(unpack(Buffer.from(sealedB64, "base64"), { key })), "Node unpacks what Firefox sealed");
  const nodeSealed = pack(data, { key, checksum: "crc16" });
  const openedB64 = await run(`
    const [sealedB64, keyB64] = args;
    const m = await import("/pkg/web/index.js");
    await m.default();
    const from64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const parts = [];
    for await (const p of new Blob([from64(sealedB64)]).stream().pipeThrough(new m.UnpackStream({ key: from64(keyB64) }))) parts.push(p);
    const all = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = "";
    for (const b of all) s += String.fromCharCode(b);
    return btoa(s);`, Buffer.from(nodeSealed).toString("base64"), Buffer.from(key).toString("base64"));
  assert.ok(data.equals(Buffer.from(openedB64, "base64")), "Firefox unpacks what Node sealed");
  console.log(`ok  Firefox: PackStream -> Node unpack, Node pack -> UnpackStream (${data.length} bytes)`);

  // The Web Worker example.
  await go(`${origin}/worker.html`);
  const worker = await run(`
    for (let i = 0; i < 200 && document.body.dataset.ready !== "true"; i++) await new Promise((r) => setTimeout(r, 50));
    const [dataB64] = args;
    const data = Uint8Array.from(atob(dataB64), (c) => c.charCodeAt(0));
    const key = () => new Uint8Array(32).fill(9);
    const sealed = await globalThis.inWorker("seal", new Blob([data]), key());
    const opened = await globalThis.inWorker("open", sealed.blob, key());
    const back = new Uint8Array(await opened.blob.arrayBuffer());
    let wrong = "";
    try { await globalThis.inWorker("open", sealed.blob, new Uint8Array(32)); } catch (e) { wrong = e.message; }
    const wasmOnPage = performance.getEntriesByType("resource").some((e) => e.name.endsWith(".wasm"));
    return { same: back.length === data.length && back.every((b, i) => b === data[i]), sealed: sealed.bytes, wrong, wasmOnPage };`,
    data.toString("base64"));
  assert.deepEqual(
    { same: worker.same, wrong: worker.wrong, wasmOnPage: worker.wasmOnPage },
    { same: true, wrong: "ContainerReader.push: authentication failed", wasmOnPage: false },
  );
  console.log(`ok  Firefox: Web Worker seals (${worker.sealed} bytes) and opens off the main thread`);

  // Every bundler build.
  for (const [what, dir, html] of builtPages) {
    const folder = join(bundles, dir);
    if (!existsSync(join(folder, html))) throw new Error(`${folder}/${html} is missing: run node bundlers/run.mjs first`);
    const server = await serveDir(folder);
    servers.push(server);
    await go(`http://127.0.0.1:${server.address().port}/${html}`);
    const result = await run(`
      for (let i = 0; i < 400 && !document.body.dataset.result; i++) await new Promise((r) => setTimeout(r, 50));
      return document.body.dataset.result ?? null;`);
    checkResult(`${what} in Firefox`, result && JSON.parse(result));
  }
  console.log("firefox: every page test passed");
} catch (e) {
  failed = true;
  console.error(e);
  console.error(`geckodriver and Firefox output: ${logFile}`);
} finally {
  if (session) await wd(base, "DELETE", `/session/${session.sessionId}`).catch(() => {});
  for (const server of servers) server.close();
  driver.kill();
  await rm(profileRoot, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
