// Freeing the wasm-bindgen classes: `free()` becomes idempotent and any use
// after it throws a plain `Error` naming the call, instead of wasm-bindgen's
// "null pointer passed to rust". Target-independent: each entry point (the
// bundler, node and web builds) passes in its own wasm-bindgen module once.
//
// wasm-bindgen keeps an object's Rust pointer in `__wbg_ptr` and sets it to 0
// in `__destroy_into_raw()` (called by `free()`); a freed object is one whose
// pointer is 0. The check runs in JavaScript before the call reaches wasm.

// Shared by the ES module and CommonJS copies of this file.
const GUARDED = Symbol.for("secstream-wasm.lifetime-guard");

/** The wrapped `free()`: releases once, then does nothing. */
function idempotentFree(release) {
  return {
    free() {
      if (this.__wbg_ptr === 0) return;
      release.call(this);
    },
  }.free;
}

/** `fn` that first throws when its receiver has been freed. */
function checked(fn, call, name) {
  return function (...args) {
    if (this.__wbg_ptr === 0) throw new Error(`${call}: this ${name} has been freed`);
    return fn.apply(this, args);
  };
}

/**
 * Patches every class exported by a wasm-bindgen module (those with `free`
 * and `__destroy_into_raw` on their prototype) in place, so that objects made
 * by constructors and by static methods (`SecureBuffer.fromBytes`) alike are
 * covered. Names come from the export names, which minifiers keep. Running it
 * twice on one module changes nothing.
 */
export function guardFreed(wasm) {
  for (const [name, cls] of Object.entries(wasm)) {
    const proto = typeof cls === "function" ? cls.prototype : undefined;
    if (
      !proto ||
      Object.prototype.hasOwnProperty.call(proto, GUARDED) ||
      typeof proto.free !== "function" ||
      typeof proto.__destroy_into_raw !== "function"
    ) {
      continue;
    }
    const release = proto.free;
    const free = idempotentFree(release);
    for (const key of Reflect.ownKeys(proto)) {
      if (key === "constructor" || key === "__destroy_into_raw") continue;
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (key === "free" || d.value === release) {
        // `free` and its alias `[Symbol.dispose]`.
        d.value = free;
      } else {
        const call = `${name}.${typeof key === "symbol" ? `[${key.description}]` : key}`;
        if (typeof d.value === "function") d.value = checked(d.value, call, name);
        if (d.get) d.get = checked(d.get, call, name);
        if (d.set) d.set = checked(d.set, call, name);
      }
      Object.defineProperty(proto, key, d);
    }
    Object.defineProperty(proto, GUARDED, { value: true });
  }
}
