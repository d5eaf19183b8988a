// The deadline check every module capgate compiles calls from its allocator
// (src/wasm-abi DEADLINE_BUILTIN): it throws once the evaluation has run
// past the deadline the caller set, which unwinds the Wasm evaluation and
// frees the event loop. Without a deadline it does nothing.
import { performance } from "node:perf_hooks";
import { CapgateError } from "../../errors.js";
import { DEADLINE_BUILTIN } from "../../wasm-abi/index.js";
import type { HostBuiltinImpl } from "./types.js";

export const deadlineBuiltins: HostBuiltinImpl<"deadline">[] = [
  {
    name: DEADLINE_BUILTIN,
    impl: (_args, ctx) => {
      if (ctx.deadline !== undefined && performance.now() > ctx.deadline) {
        throw new CapgateError("eval_deadline_error", "the evaluation ran past its deadline and was stopped");
      }
      return undefined;
    },
  },
];
