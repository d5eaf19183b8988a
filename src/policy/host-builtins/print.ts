// internal.print, what the compiler turns `print(a, b)` into: each operand
// arrives as the set of its values (empty when undefined). Strings print
// bare, other values as Rego text, undefined operands as <undefined>, joined
// by spaces, as OPA prints them. The lines are collected per evaluation.
import { arr, type HostBuiltinImpl } from "./types.js";
import { regoText } from "./rego-text.js";

export const printBuiltins: HostBuiltinImpl<"print">[] = [
  {
    name: "internal.print",
    impl: (a, ctx) => {
      const parts = arr("internal.print", a, 0).map((operand) => {
        const values = Array.isArray(operand) ? operand : [operand];
        if (values.length === 0) return "<undefined>";
        return values.map((v) => (typeof v === "string" ? v : regoText(v))).join(", ");
      });
      (ctx.prints ??= []).push(parts.join(" "));
      return true;
    },
  },
];
