// A Rego-like printer for AST nodes, for tests and error messages. Calls and
// operators print in prefix form (`plus(1, mul(2, 3))`) so that precedence is
// visible; rules print in v1 syntax (`p contains x if { ... }`). Error messages
// print terms with comprehension bodies shortened to `...` (termString), so a
// message names the term without repeating a whole body.

import type { Body, Expr, Head, Import, Module, Rule, Term, With } from "./types.js";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface PrintOptions {
  /** Print comprehension bodies as `...` (for error messages). */
  elideBodies?: boolean;
}

export function printTerm(t: Term, opts: PrintOptions = {}): string {
  const v = t.value;
  const term = (x: Term) => printTerm(x, opts);
  const body = (b: Body) => (opts.elideBodies === true ? "..." : printBody(b));
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
      return printRef(v.terms, opts);
    case "array":
      return `[${v.items.map(term).join(", ")}]`;
    case "set":
      return v.items.length === 0 ? "set()" : `{${v.items.map(term).join(", ")}}`;
    case "object":
      return `{${v.entries.map(([k, x]) => `${term(k)}: ${term(x)}`).join(", ")}}`;
    case "arraycomp":
      return `[${term(v.term)} | ${body(v.body)}]`;
    case "setcomp":
      return `{${term(v.term)} | ${body(v.body)}}`;
    case "objectcomp":
      return `{${term(v.key)}: ${term(v.value)} | ${body(v.body)}}`;
    case "call":
      return `${term(v.operator)}(${v.args.map(term).join(", ")})`;
  }
}

/** A term as error messages show it: comprehension bodies shortened to `...`. */
export function termString(t: Term): string {
  return printTerm(t, { elideBodies: true });
}

/** `a.b[x]["c d"]`: plain names after a dot, other parts in brackets. */
export function printRef(terms: Term[], opts: PrintOptions = {}): string {
  let s = "";
  for (const [i, t] of terms.entries()) {
    if (i === 0) {
      s = printTerm(t, opts);
      continue;
    }
    if (t.value.kind === "string" && IDENT.test(t.value.value)) s += "." + t.value.value;
    else s += `[${printTerm(t, opts)}]`;
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
      s += `${printTerm(e.operator)}(${e.args.map((x) => printTerm(x)).join(", ")})`;
      break;
    case "some": {
      const first = e.symbols[0];
      if (e.symbols.length === 1 && first && first.value.kind === "call") {
        const args = first.value.args.map((x) => printTerm(x));
        const domain = args.pop();
        s += `some ${args.join(", ")} in ${domain ?? ""}`;
      } else s += `some ${e.symbols.map((x) => printTerm(x)).join(", ")}`;
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
  if (h.args) s += `(${h.args.map((x) => printTerm(x)).join(", ")})`;
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
