// What the serve bundle has in place of src/policy/runtime/sdk-builtins.ts
// (scripts/build.mjs swaps it in): the bundle's copy of the Wasm SDK has an
// empty built-in table (sdk-builtin-table.ts), so capgate's built-ins already
// answer and there is nothing to delete. The original would load the SDK's
// table from node_modules, a copy the bundled SDK never reads.
export function preferCapgateBuiltins(): void {}
