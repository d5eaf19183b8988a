// The graphql.* built-ins' names and arities. The implementation (graphql.ts)
// pulls in the graphql package, so it is imported only when a loaded policy
// calls one of these (index.ts); this list is what is known before that.
export const graphqlNames = {
  "graphql.parse_query": 1,
  "graphql.parse_schema": 1,
  "graphql.parse": 2,
  "graphql.parse_and_verify": 2,
  "graphql.is_valid": 2,
  "graphql.schema_is_valid": 1,
} as const;
