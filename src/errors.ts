// The one error type of capgate. Every stage (parser, compiler, planner, wasm
// emitter, policy evaluation, replica, HTTP) throws CapgateError with a code, so
// callers branch on `code` and the HTTP layer maps every error to one JSON shape.

export type ErrorCode =
  // Policy toolchain
  | "rego_parse_error"
  | "rego_compile_error"
  | "rego_unsafe_var_error"
  | "rego_recursion_error"
  | "rego_type_error"
  | "rego_plan_error"
  | "wasm_emit_error"
  // Evaluation (raised inside the Wasm module and surfaced by the SDK)
  | "eval_conflict_error"
  | "eval_builtin_error"
  | "eval_type_error"
  | "eval_internal_error"
  | "eval_deadline_error"
  // Bundles and snapshots
  | "bundle_error"
  | "snapshot_error"
  // Primary database and migrations
  | "migration_error"
  | "database_error"
  // Replica and sync
  | "replica_error"
  | "sync_error"
  // Configuration and input boundaries
  | "config_error"
  | "invalid_input"
  | "not_configured";

/** A position in a source file; rows and columns count from 1. */
export interface SourceLocation {
  file: string;
  row: number;
  col: number;
}

export class CapgateError extends Error {
  override readonly name = "CapgateError";
  readonly code: ErrorCode;
  readonly location: SourceLocation | undefined;
  /** Extra machine-readable facts (a field name, a migration version, ...). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { location?: SourceLocation; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.location = options.location;
    this.details = options.details;
  }

  /** One line for a terminal: `file:row:col: code: message`. */
  format(): string {
    const where = this.location ? `${this.location.file}:${this.location.row}:${this.location.col}: ` : "";
    return `${where}${this.code}: ${this.message}`;
  }

  toJSON(): { code: ErrorCode; message: string; location?: SourceLocation; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.location ? { location: this.location } : {}),
      ...(this.details ? { details: { ...this.details } } : {}),
    };
  }
}

/** Several errors found in one pass (the compiler reports all it finds, not the first). */
export class CapgateErrors extends Error {
  override readonly name = "CapgateErrors";
  readonly errors: readonly CapgateError[];

  constructor(errors: CapgateError[]) {
    super(errors.map((e) => e.format()).join("\n"));
    this.errors = errors;
  }
}

export function isCapgateError(e: unknown): e is CapgateError {
  return e instanceof CapgateError;
}
