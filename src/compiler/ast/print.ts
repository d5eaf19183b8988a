// A Rego-like printer for AST nodes, for tests and error messages. Calls and
// operators print in prefix form (`plus(1, mul(2, 3))`) so that precedence is
// visible; rules print in v1 syntax (`p contains x if { ... }`).

import type { Body, Expr, Head, Import, Module, Rule, Term, With } from "./types.js";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function printTerm(t: Term): string {
  const v = t.value;
  switch (v.kind) {
    case "null":
      return "null";
    case "boolean":
      return String(v.value);
    case "number":
      return v.text;
    case "string":
      return JSON.stringify(v.value);
    case "var":
      return v.name;
    case "ref":
      return printRef(v.terms);
    case "array":
      return `[${v.items.map(printTerm).join(", ")}]`;
    case "set":
      return v.items.length === 0 ? "set()" : `{${v.items.map(printTerm).join(", ")}}`;
    case "object":
      return `{${v.entries.map(([k, x]) => `${printTerm(k)}: ${printTerm(x)}`).join(", ")}}`;
    case "arraycomp":
      return `[${printTerm(v.term)} | ${printBody(v.body)}]`;
    case "setcomp":
      return `{${printTerm(v.term)} | ${printBody(v.body)}}`;
    case "objectcomp":
      return `{${printTerm(v.key)}: ${printTerm(v.value)} | ${printBody(v.body)}}`;
    case "call":
      return `${printTerm(v.operator)}(${v.args.map(printTerm).join(", ")})`;
  }
}

/** `a.b[x]["c d"]`: plain names after a dot, other parts in brackets. */
export function printRef(terms: Term[]): string {
  let s = "";
  for (const [i, t] of terms.entries()) {
    if (i === 0) {
      s = printTerm(t);
      continue;
    }
    if (t.value.kind === "string" && IDENT.test(t.value.value)) s += "." + t.value.value;
    else s += `[${printTerm(t)}]`;
  }
  return s;
}

export function printExpr(e: Expr): string {
  let s = e.negated ? "not " : "";
  switch (e.kind) {
    case "term":
      s += printTerm(e.term);
      break;
    case "call":
      s += `${printTerm(e.operator)}(${e.args.map(printTerm).join(", ")})`;
      break;
    case "some": {
      const first = e.symbols[0];
      if (e.symbols.length === 1 && first && first.value.kind === "call") {
        const args = first.value.args.map(printTerm);
        const domain = args.pop();
        s += `some ${args.join(", ")} in ${domain ?? ""}`;
      } else s += `some ${e.symbols.map(printTerm).join(", ")}`;
      break;
    }
    case "every":
      s += `every ${e.key ? printTerm(e.key) + ", " : ""}${printTerm(e.value)} in ${printTerm(e.domain)} { ${printBody(e.body)} }`;
      break;
  }
  for (const w of e.with) s += " " + printWith(w);
  return s;
}

export function printWith(w: With): string {
  return `with ${printTerm(w.target)} as ${printTerm(w.value)}`;
}

export function printBody(b: Body): string {
  return b.map(printExpr).join("; ");
}

export function printHead(h: Head): string {
  let s = printRef(h.ref);
  if (h.args) s += `(${h.args.map(printTerm).join(", ")})`;
  if (h.kind === "multi" && h.key) s += ` contains ${printTerm(h.key)}`;
  if (h.value) s += ` ${h.assign ? ":=" : "="} ${printTerm(h.value)}`;
  return s;
}

export function printRule(r: Rule): string {
  let s = (r.default ? "default " : "") + printHead(r.head);
  if (!r.default) s += ` if { ${printBody(r.body)} }`;
  for (let e = r.else; e; e = e.else) {
    s += " else";
    if (e.head.value) s += ` ${e.head.assign ? ":=" : "="} ${printTerm(e.head.value)}`;
    s += ` if { ${printBody(e.body)} }`;
  }
  return s;
}

export function printImport(i: Import): string {
  return `import ${printTerm(i.path)}${i.alias !== undefined ? " as " + i.alias : ""}`;
}

export function printModule(m: Module): string {
  const lines = [`package ${printRef(m.package.path.slice(1).map((t, i) => (i === 0 && t.value.kind === "string" ? { ...t, value: { kind: "var", name: t.value.value } } : t)))}`];
  for (const i of m.imports) lines.push(printImport(i));
  for (const r of m.rules) lines.push(printRule(r));
  return lines.join("\n");
}
