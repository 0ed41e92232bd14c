// The TypeScript checks of the installed package, each with `strict`:
//   tsconfig.json      Node, nodenext, esnext.disposable + DOM, `using`
//   tsconfig.dom.json  browser: DOM-only lib, no @types/node, bundler resolution
//   tsconfig.cjs.json  a CommonJS module under node16 (`import x = require(...)`)
//   fresh.ts           no tsconfig at all: TypeScript's defaults, in a project
//                      that has only the package (no @types), as after
//                      `npm i secstream-wasm typescript`
//   tsconfig.run.json  `using` lowered by tsc to ES2022, then run by Node
// Run from wasm/js-tests after the tarball is installed: node types/check.mjs
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const jsTests = resolve(here, "..");
const root = resolve(jsTests, "../..");
const tsc = join(jsTests, "node_modules", "typescript", "bin", "tsc");

function run(what, args, cwd = jsTests) {
  console.log(`tsc ${args.join(" ")}  (${what})`);
  execFileSync(process.execPath, [tsc, ...args], { cwd, stdio: "inherit" });
}

run("Node, nodenext, using", ["-p", "types/tsconfig.json"]);
run("DOM-only lib, no @types/node", ["-p", "types/tsconfig.dom.json"]);
run("CommonJS require", ["-p", "types/tsconfig.cjs.json"]);

// A fresh project outside this folder: no node_modules/@types above it.
const fresh = join(root, "target", "wasm-ts-fresh");
rmSync(fresh, { recursive: true, force: true });
mkdirSync(join(fresh, "node_modules"), { recursive: true });
symlinkSync(join(jsTests, "node_modules", "secstream-wasm"), join(fresh, "node_modules", "secstream-wasm"), "dir");
cpSync(join(here, "fresh.ts"), join(fresh, "fresh.ts"));
run("no tsconfig, TypeScript's defaults, no @types", ["--strict", "--noEmit", "fresh.ts"], fresh);

rmSync(join(here, "out"), { recursive: true, force: true });
run("emit `using` for Node", ["-p", "types/tsconfig.run.json"]);
execFileSync(process.execPath, [join(here, "out", "using.mjs")], { cwd: jsTests, stdio: "inherit" });
console.log("types: every configuration checks");
