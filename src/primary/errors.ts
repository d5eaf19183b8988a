// Turns what the drivers throw (pg and PGlite both raise pg-protocol's
// DatabaseError, sockets raise Node errors) into a CapgateError one line long.
import { CapgateError } from "../errors.js";

export interface DriverErrorFacts {
  message: string;
  /** SQLSTATE, when the server answered with an error. */
  sqlstate?: string;
  /** 1-based character offset into the statement text, when the server gave one. */
  position?: number;
  detail?: string;
}

export function driverErrorFacts(e: unknown): DriverErrorFacts {
  if (e instanceof CapgateError) return { message: e.message };
  if (e instanceof Error) {
    const any = e as Error & { code?: unknown; position?: unknown; detail?: unknown; errors?: unknown };
    // Node's net errors for a dual-stack host arrive as an AggregateError with an empty message.
    let message = e.message.split("\n")[0] ?? "";
    if (message === "" && Array.isArray(any.errors) && any.errors[0] instanceof Error) {
      message = (any.errors[0] as Error).message;
    }
    if (message === "" && typeof any.code === "string") message = any.code;
    const facts: DriverErrorFacts = { message };
    if (typeof any.code === "string" && /^[0-9A-Z]{5}$/.test(any.code)) facts.sqlstate = any.code;
    const pos = typeof any.position === "string" ? Number.parseInt(any.position, 10) : any.position;
    if (typeof pos === "number" && Number.isFinite(pos) && pos > 0) facts.position = pos;
    if (typeof any.detail === "string" && any.detail !== "") facts.detail = any.detail.split("\n")[0] ?? "";
    return facts;
  }
  return { message: String(e) };
}

/**
 * A driver error as `database_error`, with the SQLSTATE and statement position
 * kept in details so callers can branch on them (23505: unique violation).
 */
export function databaseError(context: string | undefined, e: unknown): CapgateError {
  if (e instanceof CapgateError) return e;
  const facts = driverErrorFacts(e);
  const detail = facts.detail ? ` (${facts.detail})` : "";
  const prefix = context === undefined ? "" : `${context}: `;
  return new CapgateError("database_error", `${prefix}${facts.message}${detail}`, {
    cause: e,
    details: {
      ...(facts.sqlstate ? { sqlstate: facts.sqlstate } : {}),
      ...(facts.position ? { position: facts.position } : {}),
    },
  });
}

/** True for a failure of the connection itself rather than of a statement. */
export function isConnectionFailure(e: unknown): boolean {
  return e instanceof CapgateError && e.code === "database_error" && e.details?.["sqlstate"] === undefined;
}

/** Runs `fn`, turning any driver error into a `database_error`. */
export async function wrapDriver<T>(fn: () => Promise<T>, context?: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw databaseError(context, e);
  }
}
