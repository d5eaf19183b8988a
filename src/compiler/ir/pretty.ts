// A readable text dump of an IR policy, for tests and debugging: one statement
// per line, nested blocks indented, string operands shown with their text.

import type { Block, Operand, Policy, Stmt } from "./types.js";

export function prettyPolicy(p: Policy): string {
  const out: string[] = [];
  const str = (i: number): string => JSON.stringify(p.static.strings[i]);
  const op = (o: Operand): string => (o.kind === "local" ? `%${o.local}` : o.kind === "string" ? str(o.index) : String(o.value));
  const block = (b: Block, indent: string): void => {
    for (const s of b.stmts) stmt(s, indent);
  };
  const blocks = (bs: Block[], indent: string): void => {
    bs.forEach((b, i) => {
      out.push(`${indent}block ${i}:`);
      block(b, indent + "  ");
    });
  };
  const stmt = (s: Stmt, ind: string): void => {
    switch (s.kind) {
      case "Block":
        out.push(`${ind}Block`);
        blocks(s.blocks, ind + "  ");
        return;
      case "Scan":
        out.push(`${ind}Scan %${s.source} key=%${s.key} value=%${s.value}`);
        block(s.block, ind + "  ");
        return;
      case "Not":
        out.push(`${ind}Not`);
        block(s.block, ind + "  ");
        return;
      case "With":
        out.push(`${ind}With %${s.local} [${s.path.map(str).join(", ")}] = ${op(s.value)}`);
        block(s.block, ind + "  ");
        return;
      default: {
        const fields = Object.entries(s)
          .filter(([k]) => k !== "kind" && k !== "loc")
          .map(([k, v]) => `${k}=${fmt(v)}`);
        out.push(`${ind}${s.kind} ${fields.join(" ")}`.trimEnd());
      }
    }
  };
  const fmt = (v: unknown): string => {
    if (typeof v === "bigint") return `${v}`;
    if (typeof v === "number") return `${v}`;
    if (typeof v === "string") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(fmt).join(", ")}]`;
    if (v && typeof v === "object" && "kind" in v) return op(v as Operand);
    return JSON.stringify(v);
  };
  for (const plan of p.plans) {
    out.push(`plan ${plan.name}`);
    blocks(plan.blocks, "  ");
  }
  for (const f of p.funcs) {
    out.push(`func ${f.name}(${f.params.map((x) => `%${x}`).join(", ")}) -> %${f.return}`);
    blocks(f.blocks, "  ");
  }
  return out.join("\n");
}
