// WHATWG TransformStream wrappers over the wasm codecs, and key generation.
// Target-independent: each entry point (bundler, node, web) passes in its own
// wasm-bindgen module.

/**
 * A transformer for `new TransformStream(...)` over a codec with
 * `push(chunk)` (returning one Uint8Array or an array of them) and optional
 * `finish()` (returning nothing, one Uint8Array or an array of them). The
 * codec is freed (and its wasm memory wiped) when the stream ends, errors or
 * is cancelled.
 */
function codecTransformer(codec) {
  let freed = false;
  const free = () => {
    if (!freed) {
      freed = true;
      codec.free();
    }
  };
  const emit = (out, controller) => {
    if (out === undefined || out === null) return;
    if (Array.isArray(out)) {
      for (const part of out) controller.enqueue(part);
    } else if (out.length > 0) {
      controller.enqueue(out);
    }
  };
  return {
    transform(chunk, controller) {
      try {
        emit(codec.push(chunk), controller);
      } catch (e) {
        free();
        throw e;
      }
    },
    flush(controller) {
      try {
        if (typeof codec.finish === "function") emit(codec.finish(), controller);
      } finally {
        free();
      }
    },
    cancel() {
      free();
    },
  };
}

/**
 * The TransformStream classes of the package, bound to one wasm-bindgen
 * module (they construct its codecs).
 */
export function streamClasses(wasm) {
  class FrameEncoderStream extends TransformStream {
    /** Uint8Array chunks in, length-prefixed frames out (one or more per chunk). */
    constructor(options) {
      super(codecTransformer(new wasm.FrameEncoder(options)));
    }
  }
  class FrameDecoderStream extends TransformStream {
    /** Frame bytes in (any split), one payload out per frame. */
    constructor(options) {
      super(codecTransformer(new wasm.FrameDecoder(options)));
    }
  }
  class CobsEncoderStream extends TransformStream {
    /** Uint8Array chunks in, COBS frames out. */
    constructor(options) {
      super(codecTransformer(new wasm.CobsEncoder(options)));
    }
  }
  class CobsDecoderStream extends TransformStream {
    /** COBS bytes in (any split), one payload out per good frame. */
    constructor(options) {
      super(codecTransformer(new wasm.CobsDecoder(options)));
    }
  }
  const classes = {
    FrameEncoderStream,
    FrameDecoderStream,
    CobsEncoderStream,
    CobsDecoderStream,
  };
  if (wasm.ContainerWriter) {
    classes.PackStream = class PackStream extends TransformStream {
      /** Plaintext in, a secstream container out (header first). */
      constructor(options) {
        super(codecTransformer(new wasm.ContainerWriter(options)));
      }
    };
    classes.UnpackStream = class UnpackStream extends TransformStream {
      /** Container bytes in (any split), plaintext out, checked frame by frame. */
      constructor(options) {
        super(codecTransformer(new wasm.ContainerReader(options)));
      }
    };
  }
  return classes;
}
