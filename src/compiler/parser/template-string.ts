// Template strings: splits a `$"..."` or `` $`...` `` token (already delimited by
// the lexer) into its literal text and the source of each `{expr}` interpolation,
// with the row and column where that source starts, so the expression parser can
// parse it in place. In the `"` form `\{` is a literal brace and JSON escapes
// apply; the raw form has no escapes.
import { unquoteString, type Token } from "./lexer.js";

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "expr"; source: string; offset: number; row: number; col: number };

export function templateParts(tok: Token): TemplatePart[] {
  const src = tok.text;
  const raw = src.charCodeAt(1) === 96;
  const end = src.length - 1;
  const parts: TemplatePart[] = [];
  let i = 2;
  let row = tok.row;
  let col = tok.col + 2;
  let text = "";

  const advance = (): void => {
    const c = src.charCodeAt(i);
    i++;
    if (c === 10) {
      row++;
      col = 1;
    } else if (!(c >= 0xdc00 && c <= 0xdfff)) col++;
  };
  const flushText = (): void => {
    if (text !== "") parts.push({ kind: "text", text: raw ? text : unquoteString(`"${text}"`) });
    text = "";
  };

  while (i < end) {
    const c = src.charCodeAt(i);
    if (c === 92 && !raw) {
      const e = src[i + 1];
      text += e === "{" ? "{" : `\\${e ?? ""}`;
      advance();
      advance();
      continue;
    }
    if (c !== 123) {
      text += src[i];
      advance();
      continue;
    }
    flushText();
    advance();
    const start = i;
    const at = { row, col };
    let depth = 1;
    for (;;) {
      const d = src.charCodeAt(i);
      if (d === 34 || d === 96) {
        advance();
        while (i < end && src.charCodeAt(i) !== d) {
          if (d === 34 && src.charCodeAt(i) === 92) advance();
          advance();
        }
        advance();
        continue;
      }
      if (d === 123) depth++;
      else if (d === 125 && --depth === 0) break;
      advance();
    }
    parts.push({ kind: "expr", source: src.slice(start, i), offset: tok.start + start, row: at.row, col: at.col });
    advance();
  }
  flushText();
  return parts;
}
