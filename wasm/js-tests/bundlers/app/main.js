// The default entry, as a bundler (or Node without one) resolves it: nothing
// to initialise, no loader or plugin configured. No top-level await, so an
// esbuild IIFE bundle works too.
import * as ss from "secstream-wasm";
import { fail, report, roundTrip } from "./roundtrip.js";

roundTrip(ss).then(report, fail);
