// What the page tests share: static servers on 127.0.0.1 (ephemeral ports)
// for the pages (/pkg/* from the installed package, the tarball as shipped,
// not wasm/pkg; the rest from wasm/www) and for the bundlers' outputs,
// Chromium's flags and the test file. Used by the Chromium (Playwright) and
// Firefox (WebDriver) tests.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../../..");
export const www = join(root, "wasm", "www");
const require = createRequire(import.meta.url);
export const pkg = dirname(require.resolve("secstream-wasm/package.json"));

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".ts": "text/plain",
};

/** A static server on 127.0.0.1 whose `route(path)` gives [base folder, file]. */
function staticServer(route) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    const [base, rel] = route(path);
    const file = resolve(base, rel);
    if (!file.startsWith(base + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** The pages' server (/pkg/ and wasm/www); resolves to it once it listens. */
export function serve() {
  return staticServer((path) =>
    path.startsWith("/pkg/")
      ? [pkg, path.slice("/pkg/".length)]
      : [www, path === "/" ? "index.html" : path.slice(1)],
  );
}

/** A server of one folder (a bundler's output) at the root of its origin. */
export function serveDir(dir) {
  return staticServer((path) => [dir, path.slice(1) || "index.html"]);
}

/** Chromium's flags for these tests (no network but 127.0.0.1, no sandbox as root). */
export const chromiumArgs = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
];

/** Deterministic test bytes: compressible text, then xorshift32 noise. */
export function testFile(textRepeats = 4000, noiseBytes = 120_000) {
  const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog\n".repeat(textRepeats));
  const noise = new Uint8Array(noiseBytes);
  let x = 2463534242;
  for (let i = 0; i < noise.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    noise[i] = x & 0xff;
  }
  const out = new Uint8Array(text.length + noise.length);
  out.set(text);
  out.set(noise, text.length);
  return Buffer.from(out);
}
