// The Rego parser: a hand-written recursive-descent parser over the lexer's token
// array, following the grammar and the precedence of OPA's parser (see
// docs/architecture.md). Operators become call terms named as OPA names them.
//
// This file parses statements: package, imports and rules (heads, bodies,
// else chains, defaults). Expressions and terms are in expr-parser.ts, the
// token cursor and failures in token-cursor.ts. `p if {x}` is ambiguous (a
// body or an object literal) until later tokens are seen; as elsewhere, the
// parser tries one reading and rewinds on failure.

import type { Body, Expr, Head, Import, Location, Package, Rule, Term } from "../ast/types.js";
import { OPERATOR_NAMES, booleanTerm, cloneHead, refTerm, stringTerm, varTerm } from "../ast/builders.js";
import { ExprParser } from "./expr-parser.js";
import { CORE_KEYWORDS, FUTURE_KEYWORDS } from "./token-cursor.js";

export { ParseFail } from "./token-cursor.js";

/** What the parser remembers about a rule for the version checks done after parsing. */
export interface RuleMeta {
  hasIf: boolean;
  hasContains: boolean;
  generatedBody: boolean;
  generatedValue: boolean;
}

export type Statement =
  | { kind: "package"; node: Package }
  | { kind: "import"; node: Import }
  | { kind: "rule"; node: Rule };

/** `eq(x)` alone on a line reads as a call, not as a function definition: OPA rejects these names there. */
const OPERATOR_FUNCTIONS: ReadonlySet<string> = new Set(Object.values(OPERATOR_NAMES));

export class Parser extends ExprParser {
  readonly ruleMeta = new Map<Rule, RuleMeta>();

  // ------------------------------------------------------------ statements

  /** Parse one statement (package, import or rule(s)) at the current token. */
  parseStatement(): Statement[] {
    const t = this.tok;
    if (this.isKw("package") && !this.keywordStartsRefAtPos()) return [{ kind: "package", node: this.parsePackage() }];
    if (this.isKw("import") && !this.keywordStartsRefAtPos()) return [{ kind: "import", node: this.parseImport() }];
    if (t.kind === "ident") return this.parseRules().map((node) => ({ kind: "rule" as const, node }));
    return this.fail("expected a package, import or rule");
  }

  /**
   * `a.b["c"]` as used by package and import: a word, then `.word` or `["string"]`
   * parts with no whitespace between them. Keywords are fine inside the path.
   */
  private parsePathRef(what: string): Term[] {
    const first = this.tok;
    if (first.kind !== "ident") this.fail(`expected ${what} path`);
    const terms: Term[] = [varTerm(first.text, this.loc(first))];
    this.next();
    for (;;) {
      const t = this.tok;
      if (t.ws) break;
      if (t.kind === ".") {
        terms.push(this.parseDotName(` in the ${what} path`));
      } else if (t.kind === "[") {
        this.next();
        const w = this.tok;
        const el = this.parseTermInfixCall();
        if (el.value.kind !== "string") {
          this.failAt(`unexpected ${el.value.kind} in the ${what} path: expecting a string`, el.location, this.toks.indexOf(w));
        }
        terms.push(el);
        this.expect("]", `expected "]" to close the ${what} path element`);
      } else break;
    }
    return terms;
  }

  parsePackage(): Package {
    const kw = this.tok;
    this.next();
    const terms = this.parsePathRef("package");
    const head = terms[0] as Term;
    const name = head.value.kind === "var" ? head.value.name : "";
    const path: Term[] = [varTerm("data", head.location), stringTerm(name, head.location), ...terms.slice(1)];
    return { path, location: this.loc(kw) };
  }

  parseImport(): Import {
    const kw = this.tok;
    this.next();
    const pathTok = this.pos;
    const terms = this.parsePathRef("import");
    const head = terms[0] as Term;
    const root = head.value.kind === "var" ? head.value.name : "";
    const pathLoc = head.location;
    if (!["data", "input", "future", "rego"].includes(root)) {
      this.failAt(`unexpected import path, must begin with one of: data, input, future, rego; got: ${root}`, pathLoc, pathTok);
    }
    const imp: Import = { path: refTerm(terms, pathLoc), location: this.loc(kw) };
    if (this.isKw("as")) {
      this.next();
      const a = this.tok;
      if (a.kind !== "ident" || this.isKeyword(a)) this.fail("expected a variable name for the import alias", this.pos, true);
      imp.alias = a.text;
      this.next();
    }
    if (root === "future") this.futureImport(imp, terms, pathTok);
    else if (root === "rego") this.regoImport(imp, terms, pathTok);
    else if (imp.alias === undefined) {
      const last = terms[terms.length - 1] as Term;
      const lastName = last.value.kind === "string" ? last.value.value : last.value.kind === "var" ? last.value.name : "";
      if (CORE_KEYWORDS.includes(lastName) || (this.version === 1 && FUTURE_KEYWORDS.includes(lastName))) {
        this.failAt(`unexpected import path, must not end with a keyword, got: ${lastName} (import a different path or use an alias)`, last.location, pathTok);
      }
    }
    return imp;
  }

  private futureImport(imp: Import, terms: Term[], at: number): void {
    const second = terms[1];
    if (!second || second.value.kind !== "string" || second.value.value !== "keywords") {
      this.failAt("invalid import, must be `future.keywords` or `future.keywords.<keyword>`", imp.path.location, at);
    }
    if (imp.alias !== undefined) this.failAt("`future` imports cannot be aliased", imp.path.location, at);
    if (terms.length > 3) this.failAt("invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`", imp.path.location, at);
    const third = terms[2];
    if (third === undefined) {
      for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
      return;
    }
    const kw = third.value.kind === "string" ? third.value.value : "";
    // `not` was once offered as a future keyword; it is a keyword already, so the import changes nothing.
    if (kw === "not") return;
    if (!FUTURE_KEYWORDS.includes(kw)) {
      this.failAt(`unexpected keyword, must be one of [${FUTURE_KEYWORDS.join(" ")}]`, imp.path.location, at);
    }
    this.keywords.add(kw);
    if (kw === "every") this.keywords.add("in");
  }

  private regoImport(imp: Import, terms: Term[], at: number): void {
    const second = terms[1];
    const v = second?.value.kind === "string" ? second.value.value : "";
    if (terms.length !== 2 || (v !== "v1" && v !== "v2")) {
      this.failAt("invalid import, must be `rego.v1` or `rego.v2`", imp.path.location, at);
    }
    // rego.v2 is v1 with bodies that can be negated whole (`not { a; b }`).
    if (v === "v2") this.notBodies = true;
    if (this.version === 1) return;
    if (imp.alias !== undefined) this.failAt("`rego` imports cannot be aliased", imp.path.location, at);
    this.regoV1Import = true;
    for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
  }

  // ------------------------------------------------------------ rules

  private meta(rule: Rule, m: RuleMeta): Rule {
    this.ruleMeta.set(rule, m);
    return rule;
  }

  /** A rule, possibly with `else` chain or extra bodies (`p { a } { b }` gives two rules). */
  parseRules(): Rule[] {
    const start = this.tok;
    const ruleLoc = this.loc(start);
    let isDefault = false;
    if (this.isKw("default") && !this.keywordStartsRefAtPos()) {
      this.next();
      isDefault = true;
    }
    const nameTok = this.tok;
    if (nameTok.kind !== "ident") this.fail(isDefault ? "expected rule name after default" : "expected rule name");
    if (this.isKeyword(nameTok) && !this.keywordStartsRefAtPos()) {
      this.fail(isDefault ? "expected rule name after default" : "expected a package, import or rule (a keyword cannot be a rule name)", this.pos, true);
    }
    const headLoc = this.loc(nameTok);
    const { ref, args: rawArgs } = this.parseHeadRef();
    const args = rawArgs && rawArgs.length > 0 ? rawArgs : undefined;
    const head: Head = { ref, assign: false, kind: "single", location: headLoc };
    // As in OPA, `f()` with no arguments declares a plain rule, not a function.
    if (args && args.length > 0) head.args = args;
    const name = printHeadName(ref);

    let hasContains = false;
    let generatedValue = false;
    if (this.isKw("contains")) {
      if (args) this.fail(`the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`);
      this.next();
      if (!this.startsTerm()) this.fail(`expected rule key term (e.g., ${name} contains <VALUE> if { ... })`);
      head.key = this.parseTermInfixCall();
      head.kind = "multi";
      hasContains = true;
    } else if (this.kind() === "=" || this.kind() === ":=") {
      head.assign = this.kind() === ":=";
      this.next();
      if (!this.startsTerm()) {
        const example = args ? `${name}(...) := <VALUE> if { ... }` : isDefault ? `default ${name} := <VALUE>` : `${name} := <VALUE> if { ... }`;
        this.fail(`expected rule value term (e.g., ${example})`);
      }
      head.value = this.parseTermInfixCall();
    } else if (ref.length !== 2 || args) {
      head.value = booleanTerm(true, headLoc);
      generatedValue = true;
    }

    if (isDefault) {
      this.validateDefault(head, ruleLoc);
      const rule: Rule = { head, body: [trueExpr(ruleLoc)], default: true, location: ruleLoc };
      // OPA does not count a default rule's body as generated, so `default p` (value true) passes the v1 checks.
      return [this.meta(rule, { hasIf: false, hasContains, generatedBody: false, generatedValue })];
    }

    const hasIf = this.isKw("if");
    if (hasIf && !hasContains && ref.length === 2 && head.value === undefined) {
      // `p[x] if ...` is a single-value rule: p[x] = true (OPA 1.0 semantics).
      head.value = booleanTerm(true, headLoc);
      generatedValue = true;
    }
    if (!hasIf && !hasContains && !args && ref.length === 2 && head.value === undefined) {
      // v0 `p[x] { ... }` (and the odd `p.q { ... }`): a partial set p containing x.
      head.key = ref[1] as Term;
      head.ref = [ref[0] as Term];
      head.kind = "multi";
    }

    let body: Body;
    let generatedBody = false;
    if (hasIf) {
      this.next();
      body = this.parseIfBody();
    } else if (this.kind() === "{") {
      body = this.parseBraceBody();
    } else {
      if (ref.length === 1 && !args && generatedValue && !hasContains) {
        if (!this.tok.nl && this.kind() !== "eof") this.fail(`expected a rule value (${name} := <VALUE>) or body (${name} if { ... })`);
        this.failAt(`rule "${name}" needs a value or a body (e.g., ${name} := <VALUE>, or ${name} if { ... })`, headLoc);
      }
      if (args && generatedValue && ref.length === 1 && OPERATOR_FUNCTIONS.has(name)) {
        this.failAt(`rule name conflicts with built-in function ${name}`, headLoc);
      }
      body = [trueExpr(head.value?.location ?? head.key?.location ?? headLoc)];
      generatedBody = true;
    }
    const rule: Rule = { head, body, default: false, location: ruleLoc };
    this.meta(rule, { hasIf, hasContains, generatedBody, generatedValue });

    if (this.isKw("else") && !this.keywordStartsRefAtPos()) {
      if (ref.length > 1 && !ref.slice(1).every(isGround)) this.fail("else keyword cannot be used on rules with variables in head");
      if (head.kind === "multi") this.fail("else keyword cannot be used on multi-value rules");
      rule.else = this.parseElse(head);
    }

    const rules = [rule];
    while (this.kind() === "{") {
      if (rule.else) this.fail("expected else keyword");
      const loc = this.loc();
      const extra = this.parseBraceBody();
      const next: Rule = { head: copyHead(head, loc), body: extra, default: false, location: loc };
      rules.push(this.meta(next, { hasIf, hasContains, generatedBody: false, generatedValue }));
    }
    return rules;
  }

  /** The head's name: a var, then `.name`, `[term]` parts, and for functions `(args)`. */
  private parseHeadRef(): { ref: Term[]; args?: Term[] } {
    const first = this.tok;
    const ref: Term[] = [varTerm(first.text, this.loc(first))];
    this.next();
    // OPA allows whitespace (even newlines and comments) between the rule name and
    // its first `[`, `.` or `(`; later parts must be glued on.
    let firstPart = true;
    for (;;) {
      const t = this.tok;
      if (t.ws && !firstPart) break;
      firstPart = false;
      if (t.kind === ".") {
        this.next();
        const w = this.tok;
        if (w.kind !== "ident" || w.ws) this.fail("expected a name after \".\" in the rule head");
        ref.push(stringTerm(w.text, this.loc(w)));
        this.next();
      } else if (t.kind === "[") {
        this.next();
        ref.push(this.parseTermInfixCall());
        this.expect("]", `expected "]" in the rule head`);
      } else if (t.kind === "(") {
        this.next();
        const args = this.kind() === ")" ? (this.next(), []) : this.parseTermList(")");
        const after = this.tok;
        if (!after.ws && (after.kind === "." || after.kind === "[" || after.kind === "(")) this.fail("expected rule head to end after the function arguments");
        return { ref, args };
      } else break;
    }
    return { ref };
  }

  private validateDefault(head: Head, ruleLoc: Location): void {
    if (!head.value) this.failAt("illegal default rule (must have a value, e.g. default p := false)", ruleLoc);
    const bad = findNonConstant(head.value);
    if (bad) this.failAt(`illegal default rule (value cannot contain ${bad})`, ruleLoc);
    if (head.args) {
      const seen = new Set<string>();
      for (const a of head.args) {
        if (a.value.kind !== "var") this.failAt(`illegal default rule (arguments cannot contain ${a.value.kind})`, ruleLoc);
        if (a.value.name !== "_" && seen.has(a.value.name)) {
          this.failAt(`illegal default rule (arguments cannot be repeated ${a.value.name})`, ruleLoc);
        }
        seen.add(a.value.name);
      }
    }
  }

  /** After `if`: a single literal (`p if x > 1`) or a braced body. */
  private parseIfBody(): Body {
    if (this.kind() === "{") {
      // `{ ... }` might be one literal (an object, a comprehension) or a body. As in
      // OPA, a literal wins unless it is a set, since a set literal is always true.
      const save = this.pos;
      const lit = this.attempt(() => this.parseLiteral());
      if (lit.ok && !(lit.value.kind === "term" && lit.value.term.value.kind === "set")) return [lit.value];
      this.pos = save;
      return this.parseBraceBody();
    }
    if (this.kind() === "eof") this.fail("expected rule body after if");
    return [this.parseLiteral()];
  }



  private parseElse(head: Head): Rule {
    const kw = this.tok;
    const loc = this.loc(kw);
    this.next();
    const elseHead: Head = copyHead(head, loc);
    delete elseHead.value;
    let generatedValue = false;
    if (this.kind() === "{" || this.isKw("if")) {
      elseHead.value = booleanTerm(true, loc);
      generatedValue = true;
    } else if (this.kind() === ":=" || this.kind() === "=") {
      elseHead.assign = this.kind() === ":=";
      this.next();
      if (!this.startsTerm()) this.fail("expected else value term");
      elseHead.value = this.parseTermInfixCall();
    } else {
      this.fail("expected else value term or rule body");
    }
    const rule: Rule = { head: elseHead, body: [], default: false, location: loc };
    const hasIf = this.isKw("if");
    if (!hasIf && this.kind() !== "{") {
      rule.body = [trueExpr(loc)];
      return this.meta(rule, { hasIf: false, hasContains: false, generatedBody: true, generatedValue });
    }
    if (hasIf) this.next();
    if (this.kind() === "{") rule.body = this.parseBraceBody();
    else if (this.kind() !== "eof") rule.body = [this.parseLiteral()];
    else this.fail("rule body expected");
    this.meta(rule, { hasIf, hasContains: false, generatedBody: false, generatedValue });
    if (this.isKw("else") && !this.keywordStartsRefAtPos()) rule.else = this.parseElse(head);
    return rule;
  }
}

// ------------------------------------------------------------ helpers

/**
 * A head for an else branch or an extra body: a deep copy, so that a pass that
 * rewrites one rule's head in place (e.g. renaming `_` arguments) leaves the others alone.
 */
function copyHead(head: Head, location: Location): Head {
  const copy = cloneHead(head);
  copy.location = location;
  return copy;
}

export function trueExpr(loc: Location): Expr {
  return { location: loc, negated: false, with: [], kind: "term", term: booleanTerm(true, loc) };
}

function isGround(t: Term): boolean {
  const v = t.value;
  switch (v.kind) {
    case "var":
      return false;
    case "ref":
      return v.terms.every(isGround);
    case "array":
    case "set":
      return v.items.every(isGround);
    case "object":
      return v.entries.every(([a, b]) => isGround(a) && isGround(b));
    case "call":
      return false;
    case "arraycomp":
    case "setcomp":
    case "objectcomp":
      return false;
    default:
      return true;
  }
}

/** The first var/ref/call kind inside a default value, skipping comprehensions (which are closed). */
function findNonConstant(t: Term | undefined): string | undefined {
  if (!t) return undefined;
  const v = t.value;
  switch (v.kind) {
    case "var":
      return "var";
    case "ref":
      return "ref";
    case "call":
      return "call";
    case "array":
    case "set":
      for (const x of v.items) {
        const r = findNonConstant(x);
        if (r) return r;
      }
      return undefined;
    case "object":
      for (const [a, b] of v.entries) {
        const r = findNonConstant(a) ?? findNonConstant(b);
        if (r) return r;
      }
      return undefined;
    default:
      return undefined;
  }
}

function printHeadName(ref: Term[]): string {
  let s = "";
  for (const [i, t] of ref.entries()) {
    if (i === 0) s = t.value.kind === "var" ? t.value.name : "?";
    else if (t.value.kind === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(t.value.value)) s += "." + t.value.value;
    else s += "[...]";
  }
  return s;
}

