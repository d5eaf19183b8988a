// The migration runner for the primary (golang-migrate compatible).
export {
  migrate,
  migrationStatus,
  forceVersion,
  migrationLabel,
  type MigrateTarget,
  type MigrateOptions,
  type MigrateResult,
  type MigrationStep,
  type MigrationStatus,
} from "./runner.js";
export { loadMigrations, defaultMigrationsDir, type Migration } from "./files.js";
export { readMigrationState, type MigrationState, MIGRATIONS_TABLE } from "./state.js";
export { migrationLockKey, advisoryLockId } from "./lock-key.js";
