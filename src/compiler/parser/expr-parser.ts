// Bodies, literals and terms: expressions separated by `;` or newlines, `with`,
// `some` and `every`, operators by OPA's precedence, refs, collections and
// comprehensions. Statements (parser.ts) build on it.
//
// Speculation: `{a | b}` is a comprehension and `some x in xs` differs from
// `some x, y` only once later tokens are seen, so the parser tries one reading
// and rewinds on failure. Parsed terms are memoised by token index, so a retried
// term is never parsed twice and parsing stays linear.
import type { Body, Expr, ExprForm, Location, Term, With } from "../ast/types.js";
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
import { tokenize, unquoteString, type Token, type TokenKind } from "./lexer.js";
import { templateParts, type TemplatePart } from "./template-string.js";
import { ParseFail, TokenCursor } from "./token-cursor.js";

const RELATION_OPS: ReadonlySet<TokenKind> = new Set(["==", "!=", "<", ">", "<=", ">="]);
const OR_OPS: ReadonlySet<TokenKind> = new Set(["|"]);
const AND_OPS: ReadonlySet<TokenKind> = new Set(["&"]);
const ARITH_OPS: ReadonlySet<TokenKind> = new Set(["+", "-"]);
const FACTOR_OPS: ReadonlySet<TokenKind> = new Set(["*", "/", "%"]);

/** Deeper nesting is refused with a parse error rather than overflowing the stack. */
const MAX_DEPTH = 1000;

interface CacheEntry {
  term?: Term;
  fail?: ParseFail;
  end: number;
}

export class ExprParser extends TokenCursor {
  private readonly cache = new Map<number, CacheEntry>();
  private depth = 0;

  parseBraceBody(): Body {
    const open = this.expect("{");
    if (this.kind() === "}") this.failAt("found empty body: a rule body needs at least one expression", this.loc(open));
    const body = this.parseQueryUntil("}");
    this.expect("}", `expected "}" to close the body`);
    return body;
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

  protected parseLiteralInner(): Expr {
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
    if (negated && this.notBodies && this.kind() === "{") return this.parseNotBody(loc);
    return this.parseLiteralExpr(negated, loc);
  }

  /**
   * `not { a; b }` (rego.v2): true when the body has no solution. Held as
   * `[true | a; b] == []`, which means exactly that: the body's variables stay
   * local to it and the outer ones it uses must be bound before, as for `not`.
   */
  private parseNotBody(loc: Location): Expr {
    const body = this.parseBraceBody();
    const solutions: Term = { value: { kind: "arraycomp", term: { value: { kind: "boolean", value: true }, location: loc }, body }, location: loc };
    const none: Term = { value: { kind: "array", items: [] }, location: loc };
    const expr = this.mkExpr({ kind: "call", operator: builtinRef("equal", loc), args: [solutions, none] }, loc);
    if (this.isKw("with")) expr.with = this.parseWith();
    return expr;
  }

  protected mkExpr(form: ExprForm, loc: Location, negated = false): Expr {
    return { location: loc, negated, with: [], ...form } as Expr;
  }

  protected parseLiteralExpr(negated: boolean, loc: Location): Expr {
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

  protected parseWith(): With[] {
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

  protected parseSome(loc: Location): Expr {
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

  protected parseEvery(loc: Location): Expr {
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

  protected parseTermIn(keyVal: boolean): Term {
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

  protected binary(lhs: Term, opTok: Token, rhs: Term): Term {
    return callTerm(builtinRef(OPERATOR_NAMES[opTok.kind] as string, this.loc(opTok)), [lhs, rhs], lhs.location);
  }

  protected operand(opTok: Token): void {
    if (!this.startsTerm()) this.fail(`expected a term after "${opTok.kind}"`);
  }

  // Precedence from loosest to tightest: relations, `|`, `&`, `+ -`, `* / %`.
  protected parseTermRelation(): Term {
    return this.leftAssociative(RELATION_OPS, () => this.parseTermOr());
  }

  protected parseTermOr(): Term {
    return this.leftAssociative(OR_OPS, () => this.parseTermAnd());
  }

  protected parseTermAnd(): Term {
    return this.leftAssociative(AND_OPS, () => this.parseTermArith());
  }

  protected parseTermArith(): Term {
    return this.leftAssociative(ARITH_OPS, () => this.parseTermFactor());
  }

  protected parseTermFactor(): Term {
    return this.leftAssociative(FACTOR_OPS, () => this.parseTerm());
  }

  /** One precedence level: `operand (op operand)*`, grouped to the left. */
  protected leftAssociative(ops: ReadonlySet<TokenKind>, operand: () => Term): Term {
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

  protected parseTermUncached(): Term {
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
      case "template":
        head = this.parseTemplate(t);
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

  /**
   * `$"a{x}b"` becomes `internal.template_string(["a", {v | v = x}, "b"])`, as OPA
   * rewrites it: each interpolation is the set of its values, so an undefined one
   * renders as <undefined> instead of making the whole string undefined.
   */
  protected parseTemplate(t: Token): Term {
    const loc = this.loc(t);
    if (this.version === 0 && !this.regoV1Import) this.fail("template strings need Rego v1 (or import rego.v1)");
    const items = templateParts(t).map((p, k) => {
      if (p.kind === "text") return stringTerm(p.text, loc);
      const at: Location = { file: this.file, row: p.row, col: p.col };
      const value = this.parseInterpolation(p, at);
      const v = varTerm(`__template${t.start}_${k}__`, at);
      const eq = this.mkExpr({ kind: "call", operator: builtinRef("eq", at), args: [v, value] }, at);
      eq.generated = true;
      return setComprehensionTerm(v, [eq], at);
    });
    return callTerm(builtinRef("internal.template_string", loc), [arrayTerm(items, loc)], loc);
  }

  /** One `{expr}` of a template: its source lexed and parsed where it stands in the file. */
  private parseInterpolation(p: Extract<TemplatePart, { kind: "expr" }>, at: Location): Term {
    const toks = tokenize(p.source).tokens.map((tok) => ({
      ...tok,
      start: tok.start + p.offset,
      end: tok.end + p.offset,
      row: tok.row + p.row - 1,
      col: tok.row === 1 ? tok.col + p.col - 1 : tok.col,
    }));
    const sub = new ExprParser(toks, this.file, this.version);
    for (const k of this.keywords) sub.keywords.add(k);
    sub.regoV1Import = this.regoV1Import;
    try {
      if (sub.kind() === "eof") sub.failAt("empty template string interpolation: expected an expression between { and }", at);
      const term = sub.parseTermInfixCall();
      if (sub.kind() !== "eof") sub.fail("expected } to end the template string interpolation");
      return term;
    } catch (e) {
      if (!(e instanceof ParseFail)) throw e;
      const message = e.message.replace("unexpected end of file", "unexpected end of template string interpolation");
      throw new ParseFail(message, this.pos, e.location ?? sub.loc(toks[e.at] ?? sub.tok));
    }
  }

  /** After a term: `.x`, `[y]`, `(args)` glued to it make a ref or call; bare input/data become refs. */
  protected parseTermFinish(head: Term): Term {
    const t = this.tok;
    if (!t.ws && (t.kind === "." || t.kind === "[" || t.kind === "(")) return this.parseRef(head);
    if (head.value.kind === "var" && ROOT_DOCUMENTS.has(head.value.name)) return refTerm([head], head.location);
    return head;
  }

  protected parseRef(head: Term): Term {
    const k = head.value.kind;
    if (k === "null" || k === "boolean" || k === "number" || k === "string" || k === "ref") {
      this.failAt(`illegal ref (head cannot be ${k})`, head.location);
    }
    const terms: Term[] = [head];
    for (;;) {
      const t = this.tok;
      if (t.ws) break;
      if (t.kind === ".") {
        terms.push(this.parseDotName(""));
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

  /** `.name` in a ref, with no space on either side of the dot, as the string key "name". `where` ends the error message. */
  protected parseDotName(where: string): Term {
    this.next();
    const w = this.tok;
    if (w.kind !== "ident" || w.ws) this.fail(`expected a name after "."${where}`);
    this.next();
    return stringTerm(w.text, this.loc(w));
  }

  protected parseNumber(): Term {
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
  protected comprehensionBody(end: "]" | "}"): Body | undefined {
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

  protected parseArray(): Term {
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

  protected parseSetOrObject(): Term {
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

  protected parseObject(key: Term, potentialComprehension: boolean, loc: Location): Term {
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

/** Whether a number literal's decimal exponent is beyond what OPA accepts (about ±1e5 in binary). */
function numberTooBig(lit: string): boolean {
  const m = /[eE]([+-]?\d+)$/.exec(lit);
  if (!m) return lit.length > 30000;
  const exp = Number(m[1]);
  return !Number.isFinite(exp) || Math.abs(exp) > 30000;
}
