// The SQL that gives a transaction its isolation level and access mode, shared
// by both engines.
import type { TransactionOptions } from "./types.js";

/** `SET TRANSACTION ...` for the options, or undefined when there is nothing to set. */
export function beginOptionsSql(options: TransactionOptions | undefined): string | undefined {
  const parts: string[] = [];
  if (options?.isolation) parts.push(`ISOLATION LEVEL ${options.isolation.toUpperCase()}`);
  if (options?.readOnly) parts.push("READ ONLY");
  return parts.length === 0 ? undefined : `SET TRANSACTION ${parts.join(", ")}`;
}
