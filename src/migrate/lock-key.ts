// The advisory-lock key the runner holds while migrating. It is derived the way
// golang-migrate's postgres driver derives its own (CRC-32 of schema, table and
// database names, times its salt), so capgate and golang-migrate exclude each
// other when an operator runs both against one primary.

const SALT = 1486364155;

let table: Uint32Array | undefined;

// Node 20 has no zlib.crc32, and a dozen lines do not justify a dependency.
function crc32(bytes: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** golang-migrate's lock id: the extra names first, then the database, NUL-separated. */
export function advisoryLockId(database: string, ...additional: string[]): bigint {
  const sum = crc32(new TextEncoder().encode([...additional, database].join("\u0000")));
  // uint32 multiplication wrapping, as Go's uint32 arithmetic does.
  return BigInt(Math.imul(sum, SALT) >>> 0);
}

/** The key golang-migrate's postgres driver locks for this database, schema and table. */
export function migrationLockKey(database: string, schema: string, migrationsTable = "schema_migrations"): bigint {
  return advisoryLockId(database, schema, migrationsTable);
}
