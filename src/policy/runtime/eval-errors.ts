// Error classification for policy evaluation: the SDK throws the module's
// `opa_abort` message as a bare string (its UTF-8 mangled, see sdkText), which
// callers cannot branch on; these turn it, and other load or run failures, into
// CapgateError with OPA's eval_* codes.
import { CapgateError, type ErrorCode, type SourceLocation } from "../../errors.js";

/** The first line of whatever was thrown (the SDK throws strings and plain objects too). */
export function errorText(e: unknown): string {
  if (typeof e === "string") return e.split("\n")[0]!;
  if (e instanceof Error) return e.message.split("\n")[0]!;
  if (e && typeof e === "object" && typeof (e as { message?: unknown }).message === "string") return ((e as { message: string }).message).split("\n")[0]!;
  return String(e);
}

/**
 * The SDK turns the module's C strings (print lines, abort messages) into text
 * one signed byte at a time (String.fromCharCode over an Int8Array), so each
 * byte of a multi-byte UTF-8 character arrives as U+FF80..U+FFFF. This takes
 * the bytes back and decodes them as UTF-8.
 */
export function sdkText(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) < 0x80) i++;
  if (i === s.length) return s;
  const bytes = new Uint8Array(s.length);
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    bytes[j] = c >= 0xff80 ? c - 0xff00 : c & 0xff;
  }
  return new TextDecoder().decode(bytes);
}

/** Maps an abort message from the module (`file:row:col: message` or a bare message) to a CapgateError. */
export function abortToError(message: string): CapgateError {
  const m = /^(.+?):(\d+):(\d+):\s*(.*)$/s.exec(message);
  let text = (m ? m[4]! : message).split("\n")[0]!;
  const location: SourceLocation | undefined = m ? { file: m[1]!, row: Number(m[2]), col: Number(m[3]) } : undefined;
  // The runtime may name the code itself ("eval_conflict_error: ..."); trust it over guessing.
  const named = /^(eval_[a-z_]+_error):\s*(.*)$/.exec(text);
  let code: ErrorCode = "eval_internal_error";
  if (named && EVAL_CODES.has(named[1] as ErrorCode)) {
    code = named[1] as ErrorCode;
    text = named[2]!;
  } else if (/conflict|multiple outputs|must not produce multiple|more than one value/i.test(text)) code = "eval_conflict_error";
  else if (/built-?in|not implemented/i.test(text)) code = "eval_builtin_error";
  else if (/type|must be|expected/i.test(text)) code = "eval_type_error";
  return new CapgateError(code, text, location ? { location } : {});
}

const EVAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["eval_conflict_error", "eval_builtin_error", "eval_type_error", "eval_internal_error", "eval_deadline_error"]);
