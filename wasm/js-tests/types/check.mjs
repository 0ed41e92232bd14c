// The TypeScript checks of the installed package, each with `strict`:
//   tsconfig.json      Node, nodenext, esnext.disposable + DOM, `using`
//   tsconfig.dom.json  browser: DOM-only lib, no @types/node, bundler resolution
//   tsconfig.cjs.json  a CommonJS module under node16 (`import x = require(...)`)
//   fresh.ts           no tsconfig at all: TypeScript's defaults, in a project
//                      that has only the package (no @types), as after
//                      `npm i secstream-wasm typescript`
//   tsconfig.run.json  `using` lowered by tsc to ES2022, then run by Node
// and with TypeScript 5.6 (whose Uint8Array is not generic: the package's
// ts5.6/ declarations): tsconfig.old.json (bundler, DOM-only lib),
// tsconfig.old-node.json (node16, import and require) and fresh.ts again.
// Run from wasm/js-tests after the tarball is installed: node types/check.mjs
import { execFile, execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { cpSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const jsTests = resolve(here, "..");
const root = resolve(jsTests, "../..");
const tsc = join(jsTests, "node_modules", "typescript", "bin", "tsc");
const tsc56 = join(jsTests, "node_modules", "typescript-5.6", "bin", "tsc");

/** Runs one compile; resolves to its report, rejects with it on errors. */
function compile(what, args, cwd = jsTests, compiler = tsc) {
  const line = `tsc${compiler === tsc56 ? " 5.6" : ""} ${args.join(" ")}  (${what})`;
  return new Promise((ok, no) => {
    execFile(process.execPath, [compiler, ...args], { cwd }, (e, stdout, stderr) => {
      const report = [line, stdout, stderr].filter((t) => t.trim()).join("\n");
      (e ? no : ok)(new Error(report));
    });
  });
}

// A fresh project outside this folder: no node_modules/@types above it.
const fresh = join(root, "target", "wasm-ts-fresh");
rmSync(fresh, { recursive: true, force: true });
mkdirSync(join(fresh, "node_modules"), { recursive: true });
symlinkSync(join(jsTests, "node_modules", "secstream-wasm"), join(fresh, "node_modules", "secstream-wasm"), "dir");
cpSync(join(here, "fresh.ts"), join(fresh, "fresh.ts"));
rmSync(join(here, "out"), { recursive: true, force: true });

const jobs = [
  () => compile("Node, nodenext, using", ["-p", "types/tsconfig.json"]),
  () => compile("DOM-only lib, no @types/node", ["-p", "types/tsconfig.dom.json"]),
  () => compile("CommonJS require", ["-p", "types/tsconfig.cjs.json"]),
  () => compile("no tsconfig, TypeScript's defaults, no @types", ["--strict", "--noEmit", "fresh.ts"], fresh),
  () => compile("TypeScript 5.6, no tsconfig, no @types", ["--strict", "--noEmit", "fresh.ts"], fresh, tsc56),
  () => compile("TypeScript 5.6, bundler, DOM-only lib", ["-p", "types/tsconfig.old.json"], jsTests, tsc56),
  () => compile("TypeScript 5.6, node16, import and require", ["-p", "types/tsconfig.old-node.json"], jsTests, tsc56),
  () => compile("emit `using` for Node", ["-p", "types/tsconfig.run.json"]),
];
// As many compiles at once as there are cores.
let failed = 0;
const queue = [...jobs];
await Promise.all(
  Array.from({ length: Math.min(availableParallelism(), jobs.length) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      await job().then(
        (r) => console.log(`ok   ${r.message}`),
        (r) => {
          failed++;
          console.error(`FAIL ${r.message}`);
        },
      );
    }
  }),
);
if (failed) {
  console.error(`types: ${failed} configuration(s) failed`);
  process.exit(1);
}
execFileSync(process.execPath, [join(here, "out", "using.mjs")], { cwd: jsTests, stdio: "inherit" });
console.log("types: every configuration checks");
