// The Rego parser: a hand-written recursive-descent parser over the lexer's token
// array, following the grammar and the precedence of OPA's parser (see
// docs/architecture.md). Operators become call terms named as OPA names them.
//
// Speculation: a few constructs are ambiguous until later tokens are seen
// (`{a | b}` is a comprehension, `p if {x}` is a body, `some x in xs` vs
// `some x, y`). The parser tries one reading and rewinds to the saved token index
// on failure. To keep that linear, parsed terms are memoised by token index, so a
// retried term is never parsed twice.

import type { Body, Expr, ExprForm, Head, Import, Location, Package, RegoVersion, Rule, Term, With } from "../ast/types.js";
import {
  MEMBER_2,
  MEMBER_3,
  OPERATOR_NAMES,
  ROOT_DOCUMENTS,
  arrayComprehensionTerm,
  arrayTerm,
  booleanTerm,
  builtinRef,
  callTerm,
  cloneHead,
  nullTerm,
  numberTerm,
  objectComprehensionTerm,
  objectTerm,
  refName,
  refTerm,
  setComprehensionTerm,
  setTerm,
  stringTerm,
  varTerm,
} from "../ast/builders.js";
import { unquoteString, type Token, type TokenKind } from "./lexer.js";

/** A parse failure inside the parser: the message and the index of the offending token. */
export class ParseFail {
  private text: string | (() => string);

  constructor(
    /** The message, or a function building it: most failures are speculative and never shown. */
    message: string | (() => string),
    readonly at: number,
    /** Set when the location is not the token's own (e.g. a rule-level check). */
    readonly location?: Location,
  ) {
    this.text = message;
  }

  get message(): string {
    if (typeof this.text !== "string") this.text = this.text();
    return this.text;
  }
}

/** Words that are keywords in every Rego version. */
const CORE_KEYWORDS = ["package", "import", "as", "default", "else", "not", "some", "with", "null", "true", "false"];
/** Words that v1 makes keywords and v0 only after `import future.keywords[.x]` or `import rego.v1`. */
export const FUTURE_KEYWORDS = ["contains", "every", "if", "in"];

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

const RELATION_OPS: ReadonlySet<TokenKind> = new Set(["==", "!=", "<", ">", "<=", ">="]);
const OR_OPS: ReadonlySet<TokenKind> = new Set(["|"]);
const AND_OPS: ReadonlySet<TokenKind> = new Set(["&"]);
const ARITH_OPS: ReadonlySet<TokenKind> = new Set(["+", "-"]);
const FACTOR_OPS: ReadonlySet<TokenKind> = new Set(["*", "/", "%"]);
const TERM_START: ReadonlySet<TokenKind> = new Set(["ident", "number", "string", "rawstring", "[", "{", "(", "-", "."]);

/** Deeper nesting is refused with a parse error rather than overflowing the stack. */
const MAX_DEPTH = 1000;

interface CacheEntry {
  term?: Term;
  fail?: ParseFail;
  end: number;
}

export class Parser {
  pos = 0;
  readonly keywords: Set<string>;
  /** Set by `import rego.v1` in a v0 module: v1's rule checks apply. */
  regoV1Import = false;
  readonly ruleMeta = new Map<Rule, RuleMeta>();
  private readonly cache = new Map<number, CacheEntry>();
  private depth = 0;

  constructor(
    private readonly toks: Token[],
    readonly file: string,
    readonly version: RegoVersion,
    allFutureKeywords = false,
  ) {
    this.keywords = new Set(CORE_KEYWORDS);
    if (version === 1 || allFutureKeywords) for (const k of FUTURE_KEYWORDS) this.keywords.add(k);
  }

  // ------------------------------------------------------------ token helpers

  get tok(): Token {
    return this.toks[this.pos] as Token;
  }

  /** The current token's kind (a call, so TypeScript does not narrow it across next()). */
  kind(): TokenKind {
    return this.tok.kind;
  }

  peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)] as Token;
  }

  next(): void {
    if (this.pos < this.toks.length - 1) this.pos++;
  }

  loc(t: Token = this.tok): Location {
    return { file: this.file, row: t.row, col: t.col };
  }

  isKw(word: string, t: Token = this.tok): boolean {
    return t.kind === "ident" && t.text === word && this.keywords.has(word);
  }

  isKeyword(t: Token): boolean {
    return t.kind === "ident" && this.keywords.has(t.text);
  }

  /** A keyword directly followed by `.` or `[` is the head of a ref (`input.if` style names). */
  private keywordStartsRefAtPos(): boolean {
    if (!this.isKeyword(this.tok)) return false;
    const n = this.peek();
    return !n.ws && (n.kind === "." || n.kind === "[");
  }

  describe(t: Token): string {
    switch (t.kind) {
      case "eof":
        return "end of file";
      case "ident":
        return this.keywords.has(t.text) ? `keyword "${t.text}"` : `identifier "${t.text}"`;
      case "number":
        return `number ${t.text}`;
      case "string":
        return `string ${t.text.length > 40 ? t.text.slice(0, 37) + "..." : t.text}`;
      case "rawstring": {
        const inner = t.text.slice(1, -1);
        return `raw string ${JSON.stringify(inner.length > 40 ? inner.slice(0, 37) + "..." : inner)}`;
      }
      case "illegal":
        return `token ${JSON.stringify(t.text)}`;
      default:
        return `"${t.kind}" token`;
    }
  }

  /** Whether the current token can begin a term (keywords cannot, except literals, `contains` and keyword-headed refs). */
  startsTerm(): boolean {
    const t = this.tok;
    if (!TERM_START.has(t.kind)) return false;
    if (t.kind !== "ident" || !this.keywords.has(t.text)) return true;
    return t.text === "null" || t.text === "true" || t.text === "false" || t.text === "contains" || this.keywordStartsRefAtPos();
  }

  /** Fail at the current token: `unexpected X: note`. */
  fail(note?: string, at: number = this.pos, nameExpected = false): never {
    const t = this.toks[at] as Token;
    if (t.kind === "illegal") throw new ParseFail(t.error ?? "illegal token", at);
    // Keywords can change later (imports), so capture whether the hint applies now.
    const hint = this.hint(at, nameExpected);
    throw new ParseFail(() => `unexpected ${this.describe(t)}${note ? `: ${note}` : ""}${hint}`, at);
  }

  failAt(message: string, location: Location, at: number = this.pos): never {
    throw new ParseFail(message, at, location);
  }

  /** In v0, an error next to a word that would be a keyword in v1 usually means a missing import. */
  private hint(at: number, nameExpected: boolean): string {
    if (this.version === 1) {
      // v0 policies often use these words as names; in v1 they are keywords.
      const t = this.toks[at];
      if (nameExpected && t && t.kind === "ident" && FUTURE_KEYWORDS.includes(t.text)) {
        return ` (hint: "${t.text}" is a keyword in v1 Rego; rename it, or parse the policy as v0 with --v0)`;
      }
      return "";
    }
    for (const t of [this.toks[at], this.toks[at - 1]]) {
      if (t && t.kind === "ident" && FUTURE_KEYWORDS.includes(t.text) && !this.keywords.has(t.text)) {
        return ` (hint: "${t.text}" is a keyword only with \`import rego.v1\` or \`import future.keywords.${t.text}\` in v0 Rego; v1 Rego, the default without --v0, has it built in)`;
      }
    }
    return "";
  }

  expect(kind: TokenKind, note?: string): Token {
    const t = this.tok;
    if (t.kind !== kind) this.fail(note ?? `expected "${kind}"`);
    this.next();
    return t;
  }

  /** Run `f`; on failure rewind and return the failure instead of throwing. */
  attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; fail: ParseFail } {
    const save = this.pos;
    try {
      return { ok: true, value: f() };
    } catch (e) {
      if (!(e instanceof ParseFail)) throw e;
      this.pos = save;
      return { ok: false, fail: e };
    }
  }

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
        this.next();
        const w = this.tok;
        if (w.kind !== "ident" || w.ws) this.fail(`expected a name after "." in the ${what} path`);
        terms.push(stringTerm(w.text, this.loc(w)));
        this.next();
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
    if (!FUTURE_KEYWORDS.includes(kw)) {
      this.failAt(`unexpected keyword, must be one of [${FUTURE_KEYWORDS.join(" ")}]`, imp.path.location, at);
    }
    this.keywords.add(kw);
    if (kw === "every") this.keywords.add("in");
  }

  private regoImport(imp: Import, terms: Term[], at: number): void {
    const second = terms[1];
    if (terms.length !== 2 || !second || second.value.kind !== "string" || second.value.value !== "v1") {
      this.failAt("invalid import, must be `rego.v1`", imp.path.location, at);
    }
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

  parseBraceBody(): Body {
    const open = this.expect("{");
    if (this.kind() === "}") this.failAt("found empty body: a rule body needs at least one expression", this.loc(open));
    const body = this.parseQueryUntil("}");
    this.expect("}", `expected "}" to close the body`);
    return body;
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

  // ------------------------------------------------------------ bodies and literals

  /** Expressions separated by `;` or newlines, up to (not including) `end`. */
  parseQueryUntil(end: "}" | "]"): Body {
    const body: Body = [];
    for (;;) {
      body.push(this.parseLiteral());
      if (this.kind() === ";") {
        this.next();
        continue;
      }
      if (this.kind() === end) return body;
      if (this.kind() === "eof") this.fail(`expected "${end}"`);
      if (!this.tok.nl) this.fail(`expected a newline or ";" or "${end}" after the expression`);
    }
  }

  /** A whole query: expressions separated by `;` or newlines, up to end of input. */
  parseTopQuery(): Body {
    const body: Body = [];
    if (this.kind() === "eof") this.fail("empty query");
    while (this.kind() !== "eof") {
      body.push(this.parseLiteral());
      if (this.kind() === ";") this.next();
      else if (this.kind() !== "eof" && !this.tok.nl) this.fail(`expected a newline or ";" after the expression`);
    }
    return body;
  }

  parseLiteral(): Expr {
    if (++this.depth > MAX_DEPTH) this.fail(`expressions nested more than ${MAX_DEPTH} levels deep`);
    try {
      return this.parseLiteralInner();
    } finally {
      this.depth--;
    }
  }

  private parseLiteralInner(): Expr {
    const start = this.tok;
    const loc = this.loc(start);
    if (this.keywordStartsRefAtPos()) return this.parseLiteralExpr(false, loc);
    let negated = false;
    if (this.isKw("not")) {
      this.next();
      negated = true;
    }
    if (this.isKw("some")) {
      if (negated) this.fail("illegal negation of 'some'");
      return this.parseSome(loc);
    }
    if (this.isKw("every")) {
      if (negated) this.fail("illegal negation of 'every'");
      return this.parseEvery(loc);
    }
    return this.parseLiteralExpr(negated, loc);
  }

  private mkExpr(form: ExprForm, loc: Location, negated = false): Expr {
    return { location: loc, negated, with: [], ...form } as Expr;
  }

  private parseLiteralExpr(negated: boolean, loc: Location): Expr {
    const lhs = this.parseTermInfixCall();
    let expr: Expr;
    if (this.kind() === ":=" || this.kind() === "=") {
      const opTok = this.tok;
      this.next();
      if (!this.startsTerm()) this.fail(`expected a term after "${opTok.kind}"`);
      const rhs = this.parseTermInfixCall();
      expr = this.mkExpr({ kind: "call", operator: builtinRef(OPERATOR_NAMES[opTok.kind] as string, this.loc(opTok)), args: [lhs, rhs] }, loc, negated);
    } else if (lhs.value.kind === "call") {
      expr = this.mkExpr({ kind: "call", operator: lhs.value.operator, args: lhs.value.args }, loc, negated);
    } else {
      expr = this.mkExpr({ kind: "term", term: lhs }, loc, negated);
    }
    if (this.isKw("with")) expr.with = this.parseWith();
    if (this.version === 0 && !this.keywords.has("every") && lhs.value.kind === "var" && lhs.value.name === "every" && this.kind() === "ident" && !this.tok.nl) {
      this.fail("`every x in xs { ... }` needs `import future.keywords.every` or `import rego.v1` in v0 Rego");
    }
    return expr;
  }

  private parseWith(): With[] {
    const withs: With[] = [];
    while (this.isKw("with")) {
      const loc = this.loc();
      this.next();
      if (this.kind() !== "ident" || (this.isKeyword(this.tok) && !this.keywordStartsRefAtPos())) this.fail("expected a with target such as input, data.x or a function name");
      const target = this.parseTerm();
      if (target.value.kind !== "ref" && target.value.kind !== "var") this.fail("expected with target path");
      if (!this.isKw("as")) this.fail(`expected "as" keyword (with <target> as <value>)`);
      this.next();
      if (!this.startsTerm()) this.fail("expected with value term");
      const value = this.parseTermInfixCall();
      withs.push({ target, value, location: loc });
    }
    return withs;
  }

  private parseSome(loc: Location): Expr {
    this.next();
    const save = this.pos;
    const member = this.attempt(() => this.parseTermInfixCall());
    if (member.ok && member.value.value.kind === "call") {
      const op = refName(member.value.value.operator);
      if (op !== MEMBER_2 && op !== MEMBER_3) this.failAt("expected `x in xs` or `x, y in xs` expression after some", member.value.location, save);
      const expr = this.mkExpr({ kind: "some", symbols: [member.value] }, loc);
      if (this.isKw("with")) expr.with = this.parseWith();
      return expr;
    }
    this.pos = save;
    const symbols: Term[] = [];
    for (;;) {
      const t = this.tok;
      if (t.kind !== "ident" || this.isKeyword(t)) this.fail("expected a variable name after some (some x, y or some x in xs)", this.pos, true);
      symbols.push(varTerm(t.text, this.loc(t)));
      this.next();
      if (this.kind() !== ",") break;
      this.next();
    }
    return this.mkExpr({ kind: "some", symbols }, loc);
  }

  private parseEvery(loc: Location): Expr {
    this.next();
    const startTok = this.pos;
    const t = this.parseTermInfixCall();
    const op = t.value.kind === "call" ? refName(t.value.operator) : undefined;
    if (t.value.kind !== "call" || (op !== MEMBER_2 && op !== MEMBER_3)) {
      this.fail("expected `x[, y] in xs { ... }` expression after every", t.value.kind === "call" ? this.pos : startTok);
    }
    const args = t.value.args;
    let key: Term | null = null;
    let value: Term;
    let domain: Term;
    if (op === MEMBER_2) {
      value = args[0] as Term;
      domain = args[1] as Term;
    } else {
      key = args[0] as Term;
      value = args[1] as Term;
      domain = args[2] as Term;
      if (key.value.kind !== "var") this.failAt("every: expected key to be a variable", key.location);
    }
    if (value.value.kind !== "var") this.failAt("every: expected value to be a variable", value.location);
    if (this.kind() !== "{") this.fail("every needs a body: every x in xs { ... }");
    const body = this.parseBraceBody();
    const expr = this.mkExpr({ kind: "every", key, value, domain, body }, loc);
    if (this.isKw("with")) expr.with = this.parseWith();
    return expr;
  }

  // ------------------------------------------------------------ terms with operators

  /** A term with operators, including `x in xs` and `k, v in xs`. */
  parseTermInfixCall(): Term {
    return this.parseTermIn(true);
  }

  /** Inside lists (array/set/object items, call arguments), `a, b in c` is not a key-value membership. */
  parseTermInfixCallInList(): Term {
    return this.parseTermIn(false);
  }

  private parseTermIn(keyVal: boolean): Term {
    let lhs = this.parseTermRelation();
    if (keyVal && this.kind() === ",") {
      const save = this.pos;
      const r = this.attempt(() => {
        this.next();
        const mhs = this.parseTermRelation();
        if (!this.isKw("in")) throw new ParseFail("no in", this.pos);
        const opTok = this.tok;
        this.next();
        const rhs = this.parseTermRelation();
        return callTerm(builtinRef(MEMBER_3, this.loc(opTok)), [lhs, mhs, rhs], lhs.location);
      });
      if (r.ok) lhs = r.value;
      else this.pos = save;
    }
    while (this.isKw("in")) {
      const opTok = this.tok;
      this.next();
      const rhs = this.parseTermRelation();
      lhs = callTerm(builtinRef(MEMBER_2, this.loc(opTok)), [lhs, rhs], lhs.location);
    }
    return lhs;
  }

  private binary(lhs: Term, opTok: Token, rhs: Term): Term {
    return callTerm(builtinRef(OPERATOR_NAMES[opTok.kind] as string, this.loc(opTok)), [lhs, rhs], lhs.location);
  }

  private operand(opTok: Token): void {
    if (!this.startsTerm()) this.fail(`expected a term after "${opTok.kind}"`);
  }

  // Precedence from loosest to tightest: relations, `|`, `&`, `+ -`, `* / %`.
  private parseTermRelation(): Term {
    return this.leftAssociative(RELATION_OPS, () => this.parseTermOr());
  }

  private parseTermOr(): Term {
    return this.leftAssociative(OR_OPS, () => this.parseTermAnd());
  }

  private parseTermAnd(): Term {
    return this.leftAssociative(AND_OPS, () => this.parseTermArith());
  }

  private parseTermArith(): Term {
    return this.leftAssociative(ARITH_OPS, () => this.parseTermFactor());
  }

  private parseTermFactor(): Term {
    return this.leftAssociative(FACTOR_OPS, () => this.parseTerm());
  }

  /** One precedence level: `operand (op operand)*`, grouped to the left. */
  private leftAssociative(ops: ReadonlySet<TokenKind>, operand: () => Term): Term {
    let lhs = operand();
    while (ops.has(this.kind())) {
      const op = this.tok;
      this.next();
      this.operand(op);
      lhs = this.binary(lhs, op, operand());
    }
    return lhs;
  }

  // ------------------------------------------------------------ single terms

  /** One term (scalar, var, ref, call, collection, comprehension, parenthesised expression). Memoised. */
  parseTerm(): Term {
    const start = this.pos;
    const hit = this.cache.get(start);
    if (hit) {
      if (hit.fail) throw hit.fail;
      this.pos = hit.end;
      return hit.term as Term;
    }
    if (++this.depth > MAX_DEPTH) this.fail(`terms nested more than ${MAX_DEPTH} levels deep`);
    try {
      const term = this.parseTermUncached();
      this.cache.set(start, { term, end: this.pos });
      return term;
    } catch (e) {
      if (e instanceof ParseFail) this.cache.set(start, { fail: e, end: start });
      throw e;
    } finally {
      this.depth--;
    }
  }

  private parseTermUncached(): Term {
    const t = this.tok;
    const loc = this.loc(t);
    let head: Term;
    switch (t.kind) {
      case "ident": {
        if (t.text === "null") head = nullTerm(loc);
        else if (t.text === "true") head = booleanTerm(true, loc);
        else if (t.text === "false") head = booleanTerm(false, loc);
        else if (this.isKeyword(t) && t.text !== "contains" && !this.keywordStartsRefAtPos()) this.fail("expected a term", this.pos, true);
        else head = varTerm(t.text, loc);
        this.next();
        break;
      }
      case "number":
      case "-":
      case ".":
        head = this.parseNumber();
        break;
      case "string":
        head = stringTerm(unquoteString(t.text), loc);
        this.next();
        break;
      case "rawstring":
        head = stringTerm(t.text.slice(1, -1), loc);
        this.next();
        break;
      case "[":
        head = this.parseArray();
        break;
      case "{":
        head = this.parseSetOrObject();
        break;
      case "(": {
        this.next();
        if (!this.startsTerm()) this.fail("expected a term after \"(\"");
        const inner = this.parseTermInfixCall();
        if (this.kind() !== ")") this.fail(`non-terminated expression: expected ")"`);
        this.next();
        head = inner;
        break;
      }
      default:
        return this.fail("expected a term");
    }
    return this.parseTermFinish(head);
  }

  /** After a term: `.x`, `[y]`, `(args)` glued to it make a ref or call; bare input/data become refs. */
  private parseTermFinish(head: Term): Term {
    const t = this.tok;
    if (!t.ws && (t.kind === "." || t.kind === "[" || t.kind === "(")) return this.parseRef(head);
    if (head.value.kind === "var" && ROOT_DOCUMENTS.has(head.value.name)) return refTerm([head], head.location);
    return head;
  }

  private parseRef(head: Term): Term {
    const k = head.value.kind;
    if (k === "null" || k === "boolean" || k === "number" || k === "string" || k === "ref") {
      this.failAt(`illegal ref (head cannot be ${k})`, head.location);
    }
    const terms: Term[] = [head];
    for (;;) {
      const t = this.tok;
      if (t.ws) break;
      if (t.kind === ".") {
        this.next();
        const w = this.tok;
        if (w.kind !== "ident" || w.ws) this.fail(`expected a name after "."`);
        terms.push(stringTerm(w.text, this.loc(w)));
        this.next();
      } else if (t.kind === "[") {
        this.next();
        if (!this.startsTerm()) this.fail("expected a term inside [ ]");
        terms.push(this.parseTermInfixCall());
        if (this.kind() !== "]") this.fail(`expected "]"`);
        this.next();
      } else if (t.kind === "(") {
        const operator = refTerm(terms, head.location);
        this.next();
        let call: Term;
        if (this.kind() === ")") {
          this.next();
          call = terms.length === 1 && head.value.kind === "var" && head.value.name === "set" ? setTerm([], head.location) : callTerm(operator, [], head.location);
        } else {
          call = callTerm(operator, this.parseTermList(")"), head.location);
        }
        const after = this.tok;
        if (!after.ws && (after.kind === "." || after.kind === "[")) return this.parseRef(call);
        return call;
      } else break;
    }
    return refTerm(terms, head.location);
  }

  private parseNumber(): Term {
    const first = this.tok;
    const loc = this.loc(first);
    let prefix = "";
    if (this.kind() === "-") {
      prefix = "-";
      this.next();
      if (this.kind() !== "number" && this.kind() !== ".") {
        this.fail("expected number (unary minus applies only to number literals; write 0 - x for a variable)");
      }
    }
    if (this.kind() === ".") {
      prefix += ".";
      this.next();
      if (this.kind() !== "number" || this.tok.ws) this.fail("expected number after \".\"");
    }
    const t = this.tok;
    if (t.kind === "illegal") this.fail();
    const lit = t.text;
    if (!prefix.endsWith(".") && lit.length > 1 && lit[0] === "0") {
      const ok = lit[1] === "." || (lit.length > 2 && (lit[1] === "e" || lit[1] === "E"));
      if (!ok) this.fail("expected number without leading zero");
    }
    if (numberTooBig(lit)) this.fail("number too big");
    this.next();
    // `.5` is written `0.5` so that every number text is a valid JSON number.
    return numberTerm(prefix.replace(".", "0.") + lit, loc);
  }

  /** Items up to and including `end`, separated by commas (a trailing comma is fine). */
  parseTermList(end: "]" | "}" | ")"): Term[] {
    const items: Term[] = [];
    if (this.kind() === end) {
      this.next();
      return items;
    }
    for (;;) {
      if (!this.startsTerm()) this.fail(`expected a term or "${end}"`);
      items.push(this.parseTermInfixCallInList());
      if (this.kind() === end) {
        this.next();
        return items;
      }
      if (this.kind() !== ",") this.fail(`expected "," or "${end}"`);
      this.next();
      if (this.kind() === end) {
        this.next();
        return items;
      }
    }
  }

  /** Run a comprehension body attempt; a failure at a comma means "not a comprehension after all". */
  private comprehensionBody(end: "]" | "}"): Body | undefined {
    const r = this.attempt(() => {
      const body = this.parseQueryUntil(end);
      this.next();
      return body;
    });
    if (r.ok) return r.value;
    const at = this.toks[r.fail.at];
    if (at && at.kind === ",") return undefined;
    throw r.fail;
  }

  private parseArray(): Term {
    const open = this.tok;
    const loc = this.loc(open);
    this.next();
    if (this.kind() === "]") {
      this.next();
      return arrayTerm([], loc);
    }
    let potentialComprehension = true;
    if (this.kind() === ",") {
      potentialComprehension = false;
      this.next();
    }
    const s = this.pos;
    if (!this.startsTerm()) this.fail(`expected a term or "]"`);
    const head = this.parseTerm();
    if (this.kind() === "|" && potentialComprehension) {
      this.next();
      const body = this.comprehensionBody("]");
      if (body) return arrayComprehensionTerm(head, body, loc);
    }
    this.pos = s;
    return arrayTerm(this.parseTermList("]"), loc);
  }

  private parseSetOrObject(): Term {
    const loc = this.loc();
    this.next();
    if (this.kind() === "}") {
      this.next();
      return objectTerm([], loc);
    }
    let potentialComprehension = true;
    if (this.kind() === ",") {
      potentialComprehension = false;
      this.next();
    }
    const s = this.pos;
    if (!this.startsTerm()) this.fail(`expected a term or "}"`);
    // A single term first, so that `{a | b}` is a comprehension rather than a set holding `a | b`.
    const head = this.parseTerm();
    const k = this.kind();
    if (k === "|" && potentialComprehension) {
      this.next();
      const body = this.comprehensionBody("}");
      if (body) return setComprehensionTerm(head, body, loc);
      this.pos = s;
      return setTerm(this.parseTermList("}"), loc);
    }
    if (k === ":") return this.parseObject(head, potentialComprehension, loc);
    this.pos = s;
    const first = this.parseTermInfixCallInList();
    if (this.kind() === ":") return this.parseObject(first, potentialComprehension, loc);
    if (this.kind() === "}" || this.kind() === ",") {
      this.pos = s;
      return setTerm(this.parseTermList("}"), loc);
    }
    return this.fail(`expected "," or "}" or ":" (non-terminated set or object)`);
  }

  private parseObject(key: Term, potentialComprehension: boolean, loc: Location): Term {
    this.next(); // ':'
    if (!this.startsTerm()) this.fail("expected object value term");
    const s = this.pos;
    const v = this.parseTerm();
    if (this.kind() === "|" && potentialComprehension) {
      this.next();
      const body = this.comprehensionBody("}");
      if (body) return objectComprehensionTerm(key, v, body, loc);
    }
    this.pos = s;
    const value = this.parseTermInfixCallInList();
    const entries: Array<[Term, Term]> = [[key, value]];
    for (;;) {
      if (this.kind() === "}") {
        this.next();
        return objectTerm(entries, loc);
      }
      if (this.kind() !== ",") this.fail(`expected "," or "}" in object`);
      this.next();
      if (this.kind() === "}") {
        this.next();
        return objectTerm(entries, loc);
      }
      if (!this.startsTerm()) this.fail(`expected object key term or "}"`);
      const k = this.parseTermInfixCallInList();
      if (this.kind() !== ":") this.fail(`expected ":" after object key`);
      this.next();
      if (!this.startsTerm()) this.fail("expected object value term");
      entries.push([k, this.parseTermInfixCallInList()]);
    }
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

/** Whether a number literal's decimal exponent is beyond what OPA accepts (about ±1e5 in binary). */
function numberTooBig(lit: string): boolean {
  const m = /[eE]([+-]?\d+)$/.exec(lit);
  if (!m) return lit.length > 30000;
  const exp = Number(m[1]);
  return !Number.isFinite(exp) || Math.abs(exp) > 30000;
}
