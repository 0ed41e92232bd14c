// The `web` entry through a bundler that handles
// `new URL("...wasm", import.meta.url)` (Vite, webpack): `init()` fetches the
// .wasm the bundler emitted; nothing is copied by hand.
import init, * as ss from "secstream-wasm/web";
import { fail, report, roundTrip } from "./roundtrip.js";

init()
  .then(() => roundTrip(ss))
  .then(report, fail);
