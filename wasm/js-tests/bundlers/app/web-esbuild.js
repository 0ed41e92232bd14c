// The `web` entry through esbuild, which leaves `new URL(..., import.meta.url)`
// alone: import the .wasm with the `file` loader (`--loader:.wasm=file`),
// which copies it to the output, and pass its URL to `init()`.
import init, * as ss from "secstream-wasm/web";
import wasmUrl from "secstream-wasm/web/secstream_wasm_bg.wasm";
import { fail, report, roundTrip } from "./roundtrip.js";

init({ module_or_path: wasmUrl })
  .then(() => roundTrip(ss))
  .then(report, fail);
