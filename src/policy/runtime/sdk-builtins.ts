// The SDK consults its own small built-in table (sprintf via sprintf-js,
// json.is_valid, regex.split, yaml.*) before the custom built-ins a caller
// passes, so capgate's precise implementations would never run. Removing the
// overlapping names from that table, once, lets the custom ones answer.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

let done = false;

export function preferCapgateBuiltins(names: Iterable<string>): void {
  if (done) return;
  done = true;
  const require = createRequire(import.meta.url);
  const main = require.resolve("@open-policy-agent/opa-wasm");
  const table = require(join(dirname(main), "builtins", "index.js")) as Record<string, unknown>;
  for (const n of names) delete table[n];
}
