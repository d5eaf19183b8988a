// The Rego lexer: turns source text into a flat token array in one linear pass.
// Keywords are not decided here, because which words are keywords depends on the
// Rego version and on `import future.keywords...` lines met while parsing; the
// lexer emits every word as an `ident` and the parser asks whether it is a keyword.
// Each token records whether whitespace (or a comment) and whether a newline came
// before it: refs end at whitespace (`a [1]` is not a ref) and a newline separates
// the expressions of a body.

export type TokenKind =
  | "ident"
  | "number"
  | "string"
  | "rawstring"
  /** `$"..."` or `` $`...` ``, whole: the parser splits it into text and `{expr}` parts. */
  | "template"
  | "["
  | "]"
  | "{"
  | "}"
  | "("
  | ")"
  | ","
  | ":"
  | ":="
  | ";"
  | "."
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "&"
  | "|"
  | "="
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "illegal"
  | "eof";

export interface Token {
  kind: TokenKind;
  /** The source text of the token (for strings: including the quotes). */
  text: string;
  /** UTF-16 offsets into the source. */
  start: number;
  end: number;
  row: number;
  /** Column in code points, from 1, as OPA counts. */
  col: number;
  /** Whitespace or a comment separates this token from the previous one. */
  ws: boolean;
  /** A newline separates this token from the previous one. */
  nl: boolean;
  /** For `illegal` tokens: what is wrong. */
  error?: string;
}

export interface LexComment {
  /** The text after `#`, without a trailing carriage return. */
  text: string;
  row: number;
  col: number;
}

export interface LexResult {
  tokens: Token[];
  comments: LexComment[];
}

const CH_NL = 10;
/** What may follow a backslash in a `$"..."` template: JSON's escapes and `{` for a literal brace. */
const TEMPLATE_ESCAPES = `"\\/bfnrtu{`;
const CH_CR = 13;
const CH_SP = 32;
const CH_TAB = 9;

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Tokenize Rego source. Never throws: problems become `illegal` tokens the parser reports. */
export function tokenize(source: string): LexResult {
  // A string built by concatenation is a rope in V8, and charCodeAt on a rope is
  // many times slower; Number() flattens it in place (the result is ignored).
  Number(source);
  const src = source;
  const tokens: Token[] = [];
  const comments: LexComment[] = [];
  const n = src.length;
  let i = 0;
  let row = 1;
  // Column of the character at i (1-based, in code points).
  let col = 1;
  let ws = false;
  let nl = false;

  if (n > 0 && src.charCodeAt(0) === 0xfeff) i = 1;

  const push = (kind: TokenKind, start: number, sRow: number, sCol: number, error?: string): void => {
    const tok: Token = { kind, text: src.slice(start, i), start, end: i, row: sRow, col: sCol, ws, nl };
    if (error !== undefined) tok.error = error;
    tokens.push(tok);
    ws = false;
    nl = false;
  };

  // Advance over one code point inside a single line (strings, comments, words).
  const step = (): void => {
    const c = src.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = src.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    i++;
    col++;
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === CH_SP || c === CH_TAB || c === CH_CR) {
      i++;
      col++;
      ws = true;
      continue;
    }
    if (c === CH_NL) {
      i++;
      row++;
      col = 1;
      ws = true;
      nl = true;
      continue;
    }
    const start = i;
    const sRow = row;
    const sCol = col;
    if (c === 35 /* # */) {
      while (i < n && src.charCodeAt(i) !== CH_NL) step();
      let end = i;
      if (end > start + 1 && src.charCodeAt(end - 1) === CH_CR) end--;
      comments.push({ text: src.slice(start + 1, end), row: sRow, col: sCol });
      ws = true;
      continue;
    }
    if (isLetter(c)) {
      i++;
      col++;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (!isLetter(d) && !isDigit(d)) break;
        i++;
        col++;
      }
      push("ident", start, sRow, sCol);
      continue;
    }
    if (isDigit(c)) {
      const error = scanNumber();
      push(error === undefined ? "number" : "illegal", start, sRow, sCol, error);
      continue;
    }
    if (c === 36 /* $ */ && i + 1 < n && (src.charCodeAt(i + 1) === 34 || src.charCodeAt(i + 1) === 96)) {
      const error = scanTemplate();
      push(error === undefined ? "template" : "illegal", start, sRow, sCol, error);
      continue;
    }
    if (c === 34 /* " */) {
      const error = scanString();
      push(error === undefined ? "string" : "illegal", start, sRow, sCol, error);
      continue;
    }
    if (c === 96 /* ` */) {
      i++;
      col++;
      let closed = false;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === 96) {
          i++;
          col++;
          closed = true;
          break;
        }
        if (d === CH_NL) {
          i++;
          row++;
          col = 1;
        } else step();
      }
      push(closed ? "rawstring" : "illegal", start, sRow, sCol, closed ? undefined : "non-terminated raw string (missing closing `)");
      continue;
    }
    const next = i + 1 < n ? src.charCodeAt(i + 1) : -1;
    let kind: TokenKind | undefined;
    let len = 1;
    switch (c) {
      case 91: kind = "["; break;
      case 93: kind = "]"; break;
      case 123: kind = "{"; break;
      case 125: kind = "}"; break;
      case 40: kind = "("; break;
      case 41: kind = ")"; break;
      case 44: kind = ","; break;
      case 59: kind = ";"; break;
      case 46: kind = "."; break;
      case 43: kind = "+"; break;
      case 45: kind = "-"; break;
      case 42: kind = "*"; break;
      case 47: kind = "/"; break;
      case 37: kind = "%"; break;
      case 38: kind = "&"; break;
      case 124: kind = "|"; break;
      case 58:
        if (next === 61) { kind = ":="; len = 2; } else kind = ":";
        break;
      case 61:
        if (next === 61) { kind = "=="; len = 2; } else kind = "=";
        break;
      case 33:
        if (next === 61) { kind = "!="; len = 2; }
        break;
      case 60:
        if (next === 61) { kind = "<="; len = 2; } else kind = "<";
        break;
      case 62:
        if (next === 61) { kind = ">="; len = 2; } else kind = ">";
        break;
    }
    if (kind === undefined) {
      step();
      const ch = src.slice(start, i);
      const what = c === 33 ? `illegal "!" character (did you mean "!=" or "not"?)` : c === 36 ? `illegal "$" character (a template string starts with $" or $\`)` : c === 0 ? "illegal null character" : `illegal character ${JSON.stringify(ch)}`;
      push("illegal", start, sRow, sCol, what);
      continue;
    }
    i += len;
    col += len;
    push(kind, start, sRow, sCol);
  }
  tokens.push({ kind: "eof", text: "", start: n, end: n, row, col, ws, nl });
  return { tokens, comments };

  // Numbers as OPA scans them: digits, optional fraction, optional exponent;
  // letters glued to a number make the whole word an illegal number.
  function scanNumber(): string | undefined {
    let error: string | undefined;
    while (i < n && isDigit(src.charCodeAt(i))) { i++; col++; }
    if (i < n && src.charCodeAt(i) === 46) {
      i++;
      col++;
      let found = false;
      while (i < n && isDigit(src.charCodeAt(i))) { i++; col++; found = true; }
      if (!found) error = "expected fraction digits after the decimal point";
    }
    if (i < n && (src.charCodeAt(i) | 0x20) === 101 /* e */) {
      i++;
      col++;
      if (i < n && (src.charCodeAt(i) === 43 || src.charCodeAt(i) === 45)) { i++; col++; }
      let found = false;
      while (i < n && isDigit(src.charCodeAt(i))) { i++; col++; found = true; }
      if (!found && error === undefined) error = "expected exponent digits";
    }
    if (i < n && isLetter(src.charCodeAt(i))) {
      if (error === undefined) error = "illegal number format";
      while (i < n && (isLetter(src.charCodeAt(i)) || isDigit(src.charCodeAt(i)))) { i++; col++; }
    }
    return error;
  }

  // Advance over one character of a template, newlines included (raw templates and interpolations may span lines).
  function stepAny(): void {
    if (src.charCodeAt(i) === CH_NL) {
      i++;
      row++;
      col = 1;
    } else step();
  }

  // A template string: `$` and its quote, text (escapes only in the `"` form), and
  // `{expr}` interpolations, in which strings and nested braces are skipped whole.
  function scanTemplate(): string | undefined {
    const quote = src.charCodeAt(i + 1);
    const raw = quote === 96;
    const unclosed = raw ? "non-terminated template string (missing closing `)" : "non-terminated template string (missing closing \")";
    i += 2;
    col += 2;
    for (;;) {
      if (i >= n || (!raw && src.charCodeAt(i) === CH_NL)) return unclosed;
      const c = src.charCodeAt(i);
      if (c === quote) {
        step();
        return undefined;
      }
      if (c === 92 /* \ */ && !raw) {
        step();
        if (i >= n) return unclosed;
        if (!TEMPLATE_ESCAPES.includes(src[i] as string)) return `illegal escape sequence "\\${src[i]}" in template string`;
        stepAny();
        continue;
      }
      if (c !== 123 /* { */) {
        stepAny();
        continue;
      }
      step();
      let depth = 1;
      while (depth > 0) {
        if (i >= n) return "non-terminated template string interpolation (missing closing })";
        const d = src.charCodeAt(i);
        if (d === 34 || d === 96) {
          const q = d;
          step();
          while (i < n && src.charCodeAt(i) !== q) {
            if (q === 34 && src.charCodeAt(i) === 92) step();
            if (i < n) stepAny();
          }
          if (i >= n) return unclosed;
          step();
          continue;
        }
        if (d === 123) depth++;
        else if (d === 125) depth--;
        stepAny();
      }
    }
  }

  function scanString(): string | undefined {
    i++;
    col++;
    for (;;) {
      if (i >= n || src.charCodeAt(i) === CH_NL) return "non-terminated string (missing closing \")";
      const d = src.charCodeAt(i);
      step();
      if (d === 34) return undefined;
      if (d === 92 /* \ */) {
        if (i >= n) return "non-terminated string (missing closing \")";
        const e = src.charCodeAt(i);
        if (e === 92 || e === 34 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
          step();
        } else if (e === 117 /* u */) {
          step();
          for (let k = 0; k < 4; k++) {
            if (i >= n || !isHex(src.charCodeAt(i))) return "illegal \\u escape: expected 4 hex digits";
            step();
          }
        } else {
          const c = src.codePointAt(i) ?? 0;
          // A control character (a line break above all) is named, not printed: errors are one line.
          if (c < 0x20 || c === 0x7f || c === 0x2028 || c === 0x2029)
            return `illegal escape sequence: "\\" followed by U+${c.toString(16).toUpperCase().padStart(4, "0")}`;
          return `illegal escape sequence "\\${String.fromCodePoint(c)}"`;
        }
      }
    }
  }
}

/**
 * The value of a double-quoted string token (quotes included), with JSON escapes
 * decoded. The lexer already checked the escapes. A `\u` escape of half a
 * surrogate pair that is not completed becomes U+FFFD, as in OPA.
 */
export function unquoteString(text: string): string {
  const inner = text.slice(1, -1);
  if (inner.indexOf("\\") < 0) return inner;
  let out = "";
  let k = 0;
  const m = inner.length;
  while (k < m) {
    const c = inner.charCodeAt(k);
    if (c !== 92) {
      out += inner[k];
      k++;
      continue;
    }
    const e = inner[k + 1];
    k += 2;
    switch (e) {
      case "n": out += "\n"; break;
      case "t": out += "\t"; break;
      case "r": out += "\r"; break;
      case "b": out += "\b"; break;
      case "f": out += "\f"; break;
      case "/": out += "/"; break;
      case "\\": out += "\\"; break;
      case '"': out += '"'; break;
      case "u": {
        const cu = parseInt(inner.slice(k, k + 4), 16);
        k += 4;
        if (cu >= 0xd800 && cu <= 0xdbff) {
          if (inner[k] === "\\" && inner[k + 1] === "u") {
            const lo = parseInt(inner.slice(k + 2, k + 6), 16);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              out += String.fromCharCode(cu, lo);
              k += 6;
              break;
            }
          }
          out += "\ufffd";
        } else if (cu >= 0xdc00 && cu <= 0xdfff) {
          out += "\ufffd";
        } else {
          out += String.fromCharCode(cu);
        }
        break;
      }
      default:
        out += e ?? "";
    }
  }
  return out;
}
