// The JSON Schema built-ins' names and arities. The implementation
// (json-schema.ts) pulls in ajv, so it is imported only when a loaded policy
// calls one of these (index.ts); this list is what is known before that.
export const jsonSchemaNames = {
  "json.verify_schema": 1,
  "json.match_schema": 2,
} as const;
