// The web build: everything of the package, plus `init` (the default export)
// and `initSync`, one of which must run before anything else is used.
export * from "../index.js";
export { default, initSync } from "./secstream_wasm.js";
export type { InitInput, InitOutput, SyncInitInput } from "./secstream_wasm.js";
