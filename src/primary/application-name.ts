// The `application_name` every PostgreSQL connection of this process carries
// (`capgate-serve`, `capgate-sync`, `capgate-migrate`, ...), so an operator
// reading pg_stat_activity or the server log can tell capgate's connections,
// and which command made them, from the application's. The command line sets
// it once per run; an application_name in the database URL still wins.

const PREFIX = "capgate";
let current = PREFIX;

/** Names this process's connections after `command` ("serve" gives "capgate-serve"). */
export function setApplicationName(command: string): void {
  // PostgreSQL keeps 63 bytes of it and shows it in logs: plain ASCII only.
  const clean = command.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 63 - PREFIX.length - 1);
  current = clean === "" ? PREFIX : `${PREFIX}-${clean}`;
}

/** The name new connections carry. */
export function applicationName(): string {
  return current;
}
