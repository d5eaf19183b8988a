// How the admin store reads timestamps: as UTC ISO text with microseconds,
// straight from SQL, so both engines answer alike and an ETag or a rollback's
// "has this row changed since" check never loses precision to a JS Date.
export function isoSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
