// The package through each bundler, as a web developer would use it: the
// tiny app in ./app (it imports the installed tarball by name) is built by
// Vite, webpack and esbuild with no wasm plugin, loader hack or copy step,
// both with the default entry and with the `web` entry, and each output is run
// in headless Chromium (and esbuild's also in Node). Node without a bundler
// runs the app directly, as an ES module and as CommonJS (also without
// require(esm), as on Node 20.0 to 20.18). Outputs go to target/wasm-bundlers/.
//
// Run from wasm/js-tests after the tarball is installed: node bundlers/run.mjs
import { execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { build as esbuild } from "esbuild";
import { build as vite, createServer as viteDev } from "vite";
import webpack from "webpack";
import { chromium } from "playwright-core";
import { builtPages, checkResult } from "./result.mjs";
import { chromiumArgs, serveDir } from "../demo/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, "app");
const root = resolve(here, "../../..");
const out = join(root, "target", "wasm-bundlers");

function nodeRun(what, args) {
  const stdout = execFileSync(process.execPath, args, { cwd: app, encoding: "utf8" });
  checkResult(what, JSON.parse(stdout.trim().split("\n").pop()));
}

const page = (title, script, module = true) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>${title}</title></head>` +
  `<body><script${module ? ' type="module"' : ""} src="./${script}"></script></body></html>\n`;

async function buildVite() {
  const dir = join(out, "vite");
  await vite({
    root: app,
    configFile: false,
    logLevel: "warn",
    cacheDir: join(out, ".vite-cache"),
    build: {
      outDir: dir,
      emptyOutDir: true,
      rollupOptions: { input: { index: join(app, "index.html"), web: join(app, "web.html") } },
    },
  });
}

async function buildWebpack() {
  const dir = join(out, "webpack");
  await rm(dir, { recursive: true, force: true });
  const compiler = webpack({
    mode: "production",
    context: app,
    entry: { main: "./main.js", web: "./web-main.js" },
    output: { path: dir, filename: "[name].js", clean: true },
    // The inlined module is ~330 KB, above webpack's 244 KiB advice.
    performance: { hints: false },
  });
  const stats = await new Promise((ok, no) => compiler.run((e, s) => (e ? no(e) : ok(s))));
  await new Promise((ok) => compiler.close(ok));
  if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
  await writeFile(join(dir, "index.html"), page("webpack, default entry", "main.js", false));
  await writeFile(join(dir, "web.html"), page("webpack, web entry", "web.js", false));
}

async function buildEsbuild() {
  const dir = join(out, "esbuild");
  await rm(dir, { recursive: true, force: true });
  // The default entry with esbuild's defaults (an IIFE for the browser).
  await esbuild({ entryPoints: [join(app, "main.js")], bundle: true, outfile: join(dir, "main.js"), logLevel: "warning" });
  // The same as an ES module, which Node runs too.
  await esbuild({
    entryPoints: [join(app, "main.js")],
    bundle: true,
    format: "esm",
    outfile: join(dir, "main.mjs"),
    logLevel: "warning",
  });
  // The web entry: the .wasm through the `file` loader.
  await esbuild({
    entryPoints: [join(app, "web-esbuild.js")],
    bundle: true,
    format: "esm",
    outdir: dir,
    loader: { ".wasm": "file" },
    logLevel: "warning",
  });
  await writeFile(join(dir, "index.html"), page("esbuild, default entry", "main.js", false));
  await writeFile(join(dir, "web.html"), page("esbuild, web entry", "web-esbuild.js"));
  nodeRun("esbuild bundle (ES module) in Node", [join(dir, "main.mjs")]);
}

await mkdir(out, { recursive: true });
nodeRun("Node, no bundler, import", ["main.js"]);
nodeRun("Node, no bundler, require", ["require.cjs"]);
nodeRun("Node, no bundler, require without require(esm)", ["--no-experimental-require-module", "require.cjs"]);

await buildVite();
await buildWebpack();
await buildEsbuild();
const pages = builtPages.map(([what, dir, html]) => [what, join(out, dir), html]);

// Each build is served at the root of its own origin, as it would be deployed.
const servers = new Map();
for (const [, dir] of pages) if (!servers.has(dir)) servers.set(dir, await serveDir(dir));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: chromiumArgs });
let failed = false;
try {
  /** Loads one page and checks the app's result, with no error or 404. */
  async function openPage(what, url) {
    const p = await browser.newPage();
    const errors = [];
    const notFound = [];
    p.on("pageerror", (e) => errors.push(e.message));
    p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    p.on("response", (r) => r.status() >= 400 && notFound.push(`${r.status()} ${r.url()}`));
    await p.goto(url);
    await p
      .waitForSelector("body[data-result]", { state: "attached", timeout: 20_000 })
      .catch((e) => {
        throw new Error(`${what}: no result (${[...errors, ...notFound].join("; ") || e.message})`);
      });
    checkResult(`${what} in Chromium`, JSON.parse(await p.getAttribute("body", "data-result")));
    assert.deepEqual(notFound, [], what);
    assert.deepEqual(errors, [], what);
    await p.close();
  }
  for (const [what, dir, html] of pages) {
    await openPage(what, `http://127.0.0.1:${servers.get(dir).address().port}/${html}`);
  }
  // Vite's dev server: the default entry as is (its dependency pre-bundling
  // included); the web entry with the package excluded from pre-bundling,
  // as the README says (pre-bundling moves the glue away from its .wasm).
  for (const [what, html, optimizeDeps] of [
    ["Vite dev server, default entry", "index.html", {}],
    ["Vite dev server, web entry (optimizeDeps.exclude)", "web.html", { exclude: ["secstream-wasm"] }],
  ]) {
    const dev = await viteDev({
      root: app,
      configFile: false,
      logLevel: "warn",
      cacheDir: join(out, ".vite-dev-cache", html),
      server: { host: "127.0.0.1", port: 0 },
      optimizeDeps,
    });
    await dev.listen();
    try {
      await openPage(what, `${dev.resolvedUrls.local[0]}${html}`);
    } finally {
      await dev.close();
    }
  }
  console.log("bundlers: every build round-trips");
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  for (const server of servers.values()) server.close();
}
process.exit(failed ? 1 : 0);
