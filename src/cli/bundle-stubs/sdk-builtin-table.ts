// What the serve bundle has in place of the Wasm SDK's own built-in table
// (@open-policy-agent/opa-wasm/src/builtins/index.js; scripts/build.mjs swaps it
// in): the SDK asks that table before capgate's host built-ins, and every name
// in it (sprintf, json.is_valid, regex.split, yaml.*) is one capgate implements
// and would delete from it (src/policy/runtime/sdk-builtins.ts). Empty, the
// table needs no editing, and the yaml and sprintf-js packages behind it are
// never loaded (~7 ms of serve's start).
export {};
