// The primary database: one interface over a PostgreSQL server and the
// embedded PGlite engine.
export type {
  Primary,
  PrimaryKind,
  PrimarySession,
  Queryable,
  QueryResult,
  Row,
  IsolationLevel,
  TransactionOptions,
} from "./types.js";
export {
  openPrimary,
  withPrimary,
  primaryOptionsFrom,
  redactUrl,
  DEFAULT_DATA_DIR,
  type OpenPrimaryOptions,
} from "./open.js";
export { applicationName, setApplicationName } from "./application-name.js";
export { addPrimaryOptions, primaryOptionsFromFlags, type PrimaryFlags } from "./cli-options.js";
export { databaseError, driverErrorFacts, type DriverErrorFacts } from "./errors.js";
