// The Wasm ABI between capgate's compiled policies and their hosts, outside the
// compiler (as OPA's internal/wasm/constant): the runtime's exports, globals and
// value layout (runtime-abi.ts), its in-Wasm built-ins (builtins-table.ts) and the
// built-ins a host supplies (host-builtins-table.ts).
// The emitter builds modules to it, the policy runtime instantiates them by it;
// neither reaches into the other for these names.
export * from "./runtime-abi.js";
export * from "./builtins-table.js";
export * from "./host-builtins-table.js";
