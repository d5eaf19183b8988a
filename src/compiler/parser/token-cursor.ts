// The parser's token cursor: the position in the lexer's token array, the
// keywords in force (imports can add some), lookahead, and parse failures with
// the messages and version hints users see. The expression and statement
// parsers (expr-parser.ts, parser.ts) build on it.
import type { Location, RegoVersion } from "../ast/types.js";
import type { Token, TokenKind } from "./lexer.js";

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
export const CORE_KEYWORDS = ["package", "import", "as", "default", "else", "not", "some", "with", "null", "true", "false"];
/** Words that v1 makes keywords and v0 only after `import future.keywords[.x]` or `import rego.v1`. */
export const FUTURE_KEYWORDS = ["contains", "every", "if", "in"];


const TERM_START: ReadonlySet<TokenKind> = new Set(["ident", "number", "string", "rawstring", "template", "[", "{", "(", "-", "."]);

export class TokenCursor {
  pos = 0;
  readonly keywords: Set<string>;
  /** Set by `import rego.v1` in a v0 module: v1's rule checks apply. */
  regoV1Import = false;
  /** Set by `import rego.v2`: `not { ... }` negates a whole body. */
  notBodies = false;

  constructor(
    protected readonly toks: Token[],
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
  protected keywordStartsRefAtPos(): boolean {
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
  protected hint(at: number, nameExpected: boolean): string {
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
}
