// graphql.* built-ins with the reference `graphql` package. OPA answers with
// the AST of its Go parser (gqlparser) as JSON, pruned of positions, nulls and
// empty lists; this file maps graphql-js's AST to that shape and back (an AST
// object is accepted wherever OPA accepts one) and applies gqlparser's rules
// where they differ from graphql-js's: an empty document is valid, an
// extension of an undefined type defines it, a schema needs no Query type.
import {
  GraphQLError,
  GraphQLSchema,
  Kind,
  Lexer,
  Source,
  TokenKind,
  buildASTSchema,
  parse,
  specifiedRules,
  validate,
  validateSchema,
  type ASTNode,
  type ArgumentNode,
  type ConstDirectiveNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type InputValueDefinitionNode,
  type SelectionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
} from "graphql";
import type { CapgateError } from "../../errors.js";
import type { HostBuiltinName } from "../../wasm-abi/index.js";
import { builtinError, str, typeName, type HostImpl } from "./types.js";

type J = Record<string, unknown>;

/** gqlparser's ValueKind numbers. */
const VALUE_KIND: Record<string, number> = {
  [Kind.VARIABLE]: 0, [Kind.INT]: 1, [Kind.FLOAT]: 2, [Kind.STRING]: 3, [Kind.BOOLEAN]: 5,
  [Kind.NULL]: 6, [Kind.ENUM]: 7, [Kind.LIST]: 8, [Kind.OBJECT]: 9,
};
const BLOCK_STRING = 4;

/** gqlparser's DefinitionKind names by graphql-js definition and extension kinds. */
const DEF_KIND: Record<string, string> = {
  [Kind.SCALAR_TYPE_DEFINITION]: "SCALAR", [Kind.SCALAR_TYPE_EXTENSION]: "SCALAR",
  [Kind.OBJECT_TYPE_DEFINITION]: "OBJECT", [Kind.OBJECT_TYPE_EXTENSION]: "OBJECT",
  [Kind.INTERFACE_TYPE_DEFINITION]: "INTERFACE", [Kind.INTERFACE_TYPE_EXTENSION]: "INTERFACE",
  [Kind.UNION_TYPE_DEFINITION]: "UNION", [Kind.UNION_TYPE_EXTENSION]: "UNION",
  [Kind.ENUM_TYPE_DEFINITION]: "ENUM", [Kind.ENUM_TYPE_EXTENSION]: "ENUM",
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: "INPUT_OBJECT", [Kind.INPUT_OBJECT_TYPE_EXTENSION]: "INPUT_OBJECT",
};
const DEFINITION_OF: Record<string, Kind> = {
  SCALAR: Kind.SCALAR_TYPE_DEFINITION, OBJECT: Kind.OBJECT_TYPE_DEFINITION, INTERFACE: Kind.INTERFACE_TYPE_DEFINITION,
  UNION: Kind.UNION_TYPE_DEFINITION, ENUM: Kind.ENUM_TYPE_DEFINITION, INPUT_OBJECT: Kind.INPUT_OBJECT_TYPE_DEFINITION,
};
const EXTENSION_OF: Record<string, Kind> = {
  SCALAR: Kind.SCALAR_TYPE_EXTENSION, OBJECT: Kind.OBJECT_TYPE_EXTENSION, INTERFACE: Kind.INTERFACE_TYPE_EXTENSION,
  UNION: Kind.UNION_TYPE_EXTENSION, ENUM: Kind.ENUM_TYPE_EXTENSION, INPUT_OBJECT: Kind.INPUT_OBJECT_TYPE_EXTENSION,
};

// ---- graphql-js AST -> OPA's JSON shape -------------------------------------

/** OPA's pruning: no nulls, no empty arrays or objects, at any depth. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const p = prune(x);
      if (!isEmpty(p)) out.push(p);
    }
    return out;
  }
  if (v !== null && typeof v === "object") {
    const out: J = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (!isEmpty(p)) out[k] = p;
    }
    return out;
  }
  return v;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && Object.keys(v).length === 0;
}

function typeOut(t: TypeNode, nonNull = false): J {
  if (t.kind === Kind.NON_NULL_TYPE) return typeOut(t.type, true);
  if (t.kind === Kind.LIST_TYPE) return { NamedType: "", Elem: typeOut(t.type), NonNull: nonNull };
  return { NamedType: t.name.value, NonNull: nonNull };
}

function valueOut(v: ValueNode): J {
  switch (v.kind) {
    case Kind.VARIABLE: return { Kind: 0, Raw: v.name.value };
    case Kind.INT: case Kind.FLOAT: return { Kind: VALUE_KIND[v.kind], Raw: v.value };
    case Kind.STRING: return { Kind: v.block ? BLOCK_STRING : 3, Raw: v.value };
    case Kind.BOOLEAN: return { Kind: 5, Raw: String(v.value) };
    case Kind.NULL: return { Kind: 6, Raw: "null" };
    case Kind.ENUM: return { Kind: 7, Raw: v.value };
    case Kind.LIST: return { Kind: 8, Raw: "", Children: v.values.map((x) => ({ Name: "", Value: valueOut(x) })) };
    case Kind.OBJECT: return { Kind: 9, Raw: "", Children: v.fields.map((f) => ({ Name: f.name.value, Value: valueOut(f.value) })) };
  }
}

const argsOut = (as: readonly ArgumentNode[] | undefined): J[] => (as ?? []).map((a) => ({ Name: a.name.value, Value: valueOut(a.value) }));
const directivesOut = (ds: readonly (DirectiveNode | ConstDirectiveNode)[] | undefined): J[] =>
  (ds ?? []).map((d) => ({ Name: d.name.value, Arguments: argsOut(d.arguments), Location: "" }));

const varDefsOut = (vs: readonly VariableDefinitionNode[] | undefined): J[] =>
  (vs ?? []).map((v) => ({
    Variable: v.variable.name.value,
    Type: typeOut(v.type),
    DefaultValue: v.defaultValue ? valueOut(v.defaultValue) : null,
    Directives: directivesOut(v.directives),
    Used: false,
  }));

function selectionOut(s: SelectionNode): J {
  if (s.kind === Kind.FIELD) {
    return {
      Alias: (s.alias ?? s.name).value,
      Name: s.name.value,
      Arguments: argsOut(s.arguments),
      Directives: directivesOut(s.directives),
      SelectionSet: (s.selectionSet?.selections ?? []).map(selectionOut),
    };
  }
  if (s.kind === Kind.FRAGMENT_SPREAD) return { Name: s.name.value, Directives: directivesOut(s.directives) };
  return {
    TypeCondition: s.typeCondition?.name.value ?? "",
    Directives: directivesOut(s.directives),
    SelectionSet: s.selectionSet.selections.map(selectionOut),
  };
}

function queryOut(doc: DocumentNode): J {
  const Operations: J[] = [];
  const Fragments: J[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      Operations.push({
        Operation: d.operation,
        Name: d.name?.value ?? "",
        VariableDefinitions: varDefsOut(d.variableDefinitions),
        Directives: directivesOut(d.directives),
        SelectionSet: d.selectionSet.selections.map(selectionOut),
      });
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      Fragments.push({
        Name: d.name.value,
        VariableDefinition: varDefsOut(d.variableDefinitions),
        TypeCondition: d.typeCondition.name.value,
        Directives: directivesOut(d.directives),
        SelectionSet: d.selectionSet.selections.map(selectionOut),
      });
    }
  }
  return prune({ Operations, Fragments }) as J;
}

const inputValueOut = (a: InputValueDefinitionNode): J => ({
  Description: a.description?.value ?? "",
  Name: a.name.value,
  DefaultValue: a.defaultValue ? valueOut(a.defaultValue) : null,
  Type: typeOut(a.type),
  Directives: directivesOut(a.directives),
});

const fieldOut = (f: FieldDefinitionNode): J => ({
  Description: f.description?.value ?? "",
  Name: f.name.value,
  Arguments: (f.arguments ?? []).map(inputValueOut),
  Type: typeOut(f.type),
  Directives: directivesOut(f.directives),
});

function typeDefinitionOut(d: DefinitionNode): J {
  const x = d as unknown as {
    kind: string; description?: { value: string }; name: { value: string }; directives?: readonly ConstDirectiveNode[];
    interfaces?: readonly { name: { value: string } }[]; fields?: readonly (FieldDefinitionNode | InputValueDefinitionNode)[];
    types?: readonly { name: { value: string } }[]; values?: readonly { description?: { value: string }; name: { value: string }; directives?: readonly ConstDirectiveNode[] }[];
  };
  return {
    Kind: DEF_KIND[x.kind],
    Description: x.description?.value ?? "",
    Name: x.name.value,
    Directives: directivesOut(x.directives),
    Interfaces: (x.interfaces ?? []).map((i) => i.name.value),
    Fields: (x.fields ?? []).map((f) => (f.kind === Kind.FIELD_DEFINITION ? fieldOut(f) : inputValueOut(f))),
    Types: (x.types ?? []).map((t) => t.name.value),
    EnumValues: (x.values ?? []).map((v) => ({ Description: v.description?.value ?? "", Name: v.name.value, Directives: directivesOut(v.directives) })),
    BuiltIn: false,
  };
}

function schemaOut(doc: DocumentNode): J {
  const out: Record<string, J[]> = { Schema: [], SchemaExtension: [], Directives: [], Definitions: [], Extensions: [] };
  for (const d of doc.definitions) {
    if (d.kind === Kind.SCHEMA_DEFINITION || d.kind === Kind.SCHEMA_EXTENSION) {
      out[d.kind === Kind.SCHEMA_DEFINITION ? "Schema" : "SchemaExtension"]!.push({
        Description: d.kind === Kind.SCHEMA_DEFINITION ? (d.description?.value ?? "") : "",
        Directives: directivesOut(d.directives),
        OperationTypes: (d.operationTypes ?? []).map((o) => ({ Operation: o.operation, Type: o.type.name.value })),
      });
    } else if (d.kind === Kind.DIRECTIVE_DEFINITION) {
      out["Directives"]!.push({
        Description: d.description?.value ?? "",
        Name: d.name.value,
        Arguments: (d.arguments ?? []).map(inputValueOut),
        Locations: d.locations.map((l) => l.value),
        IsRepeatable: d.repeatable,
      });
    } else if (DEF_KIND[d.kind] !== undefined) {
      out[d.kind.endsWith("Extension") ? "Extensions" : "Definitions"]!.push(typeDefinitionOut(d));
    }
  }
  return prune(out) as J;
}

// ---- OPA's JSON shape -> graphql-js AST -------------------------------------

const name = (value: unknown): { kind: Kind.NAME; value: string } => ({ kind: Kind.NAME, value: typeof value === "string" ? value : "" });
const list = (v: unknown): J[] => (Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === "object") as J[]) : []);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const descIn = (v: unknown): { description?: { kind: Kind.STRING; value: string } } =>
  typeof v === "string" && v !== "" ? { description: { kind: Kind.STRING, value: v } } : {};

function typeIn(t: unknown): TypeNode {
  const o = (t ?? {}) as J;
  const inner: TypeNode = o["Elem"] ? { kind: Kind.LIST_TYPE, type: typeIn(o["Elem"]) } : { kind: Kind.NAMED_TYPE, name: name(o["NamedType"]) };
  return o["NonNull"] === true ? { kind: Kind.NON_NULL_TYPE, type: inner as never } : inner;
}

function valueIn(v: unknown): ValueNode {
  const o = (v ?? {}) as J;
  const raw = text(o["Raw"]);
  const children = list(o["Children"]);
  switch (o["Kind"]) {
    case 0: return { kind: Kind.VARIABLE, name: name(raw) };
    case 1: return { kind: Kind.INT, value: raw };
    case 2: return { kind: Kind.FLOAT, value: raw };
    case 3: return { kind: Kind.STRING, value: raw };
    case BLOCK_STRING: return { kind: Kind.STRING, value: raw, block: true };
    case 5: return { kind: Kind.BOOLEAN, value: raw === "true" };
    case 6: return { kind: Kind.NULL };
    case 7: return { kind: Kind.ENUM, value: raw };
    case 8: return { kind: Kind.LIST, values: children.map((c) => valueIn(c["Value"])) };
    case 9: return { kind: Kind.OBJECT, fields: children.map((c) => ({ kind: Kind.OBJECT_FIELD, name: name(c["Name"]), value: valueIn(c["Value"]) })) };
    default: throw new Error(`unknown value kind ${JSON.stringify(o["Kind"])}`);
  }
}

const argsIn = (v: unknown): ArgumentNode[] => list(v).map((a) => ({ kind: Kind.ARGUMENT, name: name(a["Name"]), value: valueIn(a["Value"]) }));
const directivesIn = (v: unknown): ConstDirectiveNode[] =>
  list(v).map((d) => ({ kind: Kind.DIRECTIVE, name: name(d["Name"]), arguments: argsIn(d["Arguments"]) as never }));
const varDefsIn = (v: unknown): VariableDefinitionNode[] =>
  list(v).map((d) => ({
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: name(d["Variable"]) },
    type: typeIn(d["Type"]),
    ...(d["DefaultValue"] ? { defaultValue: valueIn(d["DefaultValue"]) as never } : {}),
    directives: directivesIn(d["Directives"]),
  }));

function selectionsIn(v: unknown): { kind: Kind.SELECTION_SET; selections: SelectionNode[] } {
  return { kind: Kind.SELECTION_SET, selections: list(v).map(selectionIn) };
}

function selectionIn(s: J): SelectionNode {
  if ("TypeCondition" in s || ("SelectionSet" in s && !("Alias" in s) && !("Name" in s))) {
    const tc = text(s["TypeCondition"]);
    return {
      kind: Kind.INLINE_FRAGMENT,
      ...(tc ? { typeCondition: { kind: Kind.NAMED_TYPE, name: name(tc) } } : {}),
      directives: directivesIn(s["Directives"]),
      selectionSet: selectionsIn(s["SelectionSet"]),
    };
  }
  if (!("Alias" in s)) return { kind: Kind.FRAGMENT_SPREAD, name: name(s["Name"]), directives: directivesIn(s["Directives"]) };
  const alias = text(s["Alias"]);
  const sel = list(s["SelectionSet"]);
  return {
    kind: Kind.FIELD,
    ...(alias && alias !== s["Name"] ? { alias: name(alias) } : {}),
    name: name(s["Name"]),
    arguments: argsIn(s["Arguments"]),
    directives: directivesIn(s["Directives"]),
    ...(sel.length > 0 ? { selectionSet: selectionsIn(sel) } : {}),
  };
}

function queryIn(o: J): DocumentNode {
  const definitions: DefinitionNode[] = [];
  for (const op of list(o["Operations"])) {
    const opName = text(op["Name"]);
    definitions.push({
      kind: Kind.OPERATION_DEFINITION,
      operation: (text(op["Operation"]) || "query") as never,
      ...(opName ? { name: name(opName) } : {}),
      variableDefinitions: varDefsIn(op["VariableDefinitions"]),
      directives: directivesIn(op["Directives"]),
      selectionSet: selectionsIn(op["SelectionSet"]),
    });
  }
  for (const f of list(o["Fragments"])) {
    definitions.push({
      kind: Kind.FRAGMENT_DEFINITION,
      name: name(f["Name"]),
      variableDefinitions: varDefsIn(f["VariableDefinition"]),
      typeCondition: { kind: Kind.NAMED_TYPE, name: name(f["TypeCondition"]) },
      directives: directivesIn(f["Directives"]),
      selectionSet: selectionsIn(f["SelectionSet"]),
    });
  }
  return { kind: Kind.DOCUMENT, definitions };
}

const inputValueIn = (a: J): InputValueDefinitionNode => ({
  kind: Kind.INPUT_VALUE_DEFINITION,
  ...descIn(a["Description"]),
  name: name(a["Name"]),
  type: typeIn(a["Type"]),
  ...(a["DefaultValue"] ? { defaultValue: valueIn(a["DefaultValue"]) as never } : {}),
  directives: directivesIn(a["Directives"]),
});

function typeDefinitionIn(d: J, extension: boolean): DefinitionNode {
  const kind = text(d["Kind"]);
  const k = (extension ? EXTENSION_OF : DEFINITION_OF)[kind];
  if (k === undefined) throw new Error(`unknown definition kind ${JSON.stringify(kind)}`);
  const fields = list(d["Fields"]);
  return {
    kind: k,
    ...(extension ? {} : descIn(d["Description"])),
    name: name(d["Name"]),
    directives: directivesIn(d["Directives"]),
    interfaces: strs(d["Interfaces"]).map((i) => ({ kind: Kind.NAMED_TYPE, name: name(i) })),
    fields:
      kind === "INPUT_OBJECT"
        ? fields.map(inputValueIn)
        : fields.map((f) => ({
            kind: Kind.FIELD_DEFINITION,
            ...descIn(f["Description"]),
            name: name(f["Name"]),
            arguments: list(f["Arguments"]).map(inputValueIn),
            type: typeIn(f["Type"]),
            directives: directivesIn(f["Directives"]),
          })),
    types: strs(d["Types"]).map((t) => ({ kind: Kind.NAMED_TYPE, name: name(t) })),
    values: list(d["EnumValues"]).map((v) => ({
      kind: Kind.ENUM_VALUE_DEFINITION,
      ...descIn(v["Description"]),
      name: name(v["Name"]),
      directives: directivesIn(v["Directives"]),
    })),
  } as unknown as DefinitionNode;
}

function schemaIn(o: J): DocumentNode {
  const definitions: DefinitionNode[] = [];
  for (const [key, ext] of [["Schema", false], ["SchemaExtension", true]] as const) {
    for (const s of list(o[key])) {
      definitions.push({
        kind: ext ? Kind.SCHEMA_EXTENSION : Kind.SCHEMA_DEFINITION,
        ...(ext ? {} : descIn(s["Description"])),
        directives: directivesIn(s["Directives"]),
        operationTypes: list(s["OperationTypes"]).map((t) => ({
          kind: Kind.OPERATION_TYPE_DEFINITION,
          operation: text(t["Operation"]) as never,
          type: { kind: Kind.NAMED_TYPE, name: name(t["Type"]) },
        })),
      } as DefinitionNode);
    }
  }
  for (const d of list(o["Directives"])) {
    definitions.push({
      kind: Kind.DIRECTIVE_DEFINITION,
      ...descIn(d["Description"]),
      name: name(d["Name"]),
      arguments: list(d["Arguments"]).map(inputValueIn),
      repeatable: d["IsRepeatable"] === true,
      locations: strs(d["Locations"]).map((l) => name(l)),
    });
  }
  for (const d of list(o["Definitions"])) definitions.push(typeDefinitionIn(d, false));
  for (const d of list(o["Extensions"])) definitions.push(typeDefinitionIn(d, true));
  return { kind: Kind.DOCUMENT, definitions };
}

// ---- parsing, building and validating ---------------------------------------

/** A document with nothing but whitespace and comments, which gqlparser accepts as empty. */
function isBlank(source: string): boolean {
  return new Lexer(new Source(source)).advance().kind === TokenKind.EOF;
}

function located(e: unknown, what: string): string {
  if (e instanceof GraphQLError) {
    const msg = e.message.replace(/^Syntax Error: /, "").replace(/\.$/, "");
    const loc = e.locations?.[0];
    return loc ? `${msg} in ${what} at location ${loc.line}:${loc.column}` : `${msg} in ${what}`;
  }
  return `${e instanceof Error ? e.message : String(e)} in ${what}`;
}

function parseDoc(source: string, kind: "query" | "schema"): DocumentNode {
  if (isBlank(source)) return { kind: Kind.DOCUMENT, definitions: [] };
  const doc = parse(source, { allowLegacyFragmentVariables: true });
  for (const d of doc.definitions) {
    const executable = d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION;
    if (executable !== (kind === "query")) {
      throw new GraphQLError(`Unexpected ${kind === "query" ? "type system definition" : "executable definition"}`, { nodes: d as ASTNode });
    }
  }
  return doc;
}

/** A string is parsed; an object is taken as OPA's AST shape. */
function documentOf(n: string, v: unknown, i: number, kind: "query" | "schema"): DocumentNode {
  if (typeof v === "string") {
    try {
      return parseDoc(v, kind);
    } catch (e) {
      throw builtinError(n, located(e, "GraphQL string"));
    }
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    try {
      return kind === "query" ? queryIn(v as J) : schemaIn(v as J);
    } catch (e) {
      throw builtinError(n, `operand ${i + 1} is not a GraphQL ${kind} AST: ${(e as Error).message}`);
    }
  }
  throw builtinError(n, `operand ${i + 1} must be one of {string, object}, got ${typeName(v)}`);
}

/** gqlparser defines a type that is only extended; graphql-js refuses to extend an undefined type. */
function extensionsDefine(doc: DocumentNode): DocumentNode {
  const defined = new Set(["String", "Int", "Float", "Boolean", "ID"]);
  for (const d of doc.definitions) if (d.kind.endsWith("Definition") && "name" in d && d.name) defined.add(d.name.value);
  const definitions = doc.definitions.map((d) => {
    const kind = DEF_KIND[d.kind];
    if (kind === undefined || !d.kind.endsWith("Extension") || !("name" in d) || defined.has(d.name.value)) return d;
    defined.add(d.name.value);
    return { ...d, kind: DEFINITION_OF[kind]! } as DefinitionNode;
  });
  return { ...doc, definitions };
}

/** gqlparser does not require a query root type; every other schema error counts. */
const ignoredSchemaError = (e: GraphQLError): boolean => /^Query root type must be provided/.test(e.message);

/** gqlparser's validator predates interfaces implementing interfaces and rejects them. */
function interfaceInheritance(doc: DocumentNode): GraphQLError | undefined {
  for (const d of doc.definitions) {
    if ((d.kind === Kind.INTERFACE_TYPE_DEFINITION || d.kind === Kind.INTERFACE_TYPE_EXTENSION) && (d.interfaces?.length ?? 0) > 0) {
      return new GraphQLError(`${d.name.value} is an interface and cannot implement other interfaces`, { nodes: d });
    }
  }
  return undefined;
}

/** The schema, marked as validated so that validating a query does not re-check it. */
function buildSchema(n: string, doc: DocumentNode): GraphQLSchema {
  const fail = (e: unknown): CapgateError =>
    builtinError(n, `Error in gqlparser SchemaDocument to Schema conversion: ${located(e, "GraphQL schema")}`);
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(extensionsDefine(doc));
  } catch (e) {
    throw fail(e);
  }
  const first = interfaceInheritance(doc) ?? validateSchema(schema).find((e) => !ignoredSchemaError(e));
  if (first) throw fail(first);
  return new GraphQLSchema({ ...schema.toConfig(), assumeValid: true });
}

function verify(n: string, schema: GraphQLSchema, query: DocumentNode): void {
  const first = validate(schema, query, specifiedRules)[0];
  if (first) throw builtinError(n, located(first, "GraphQL query string"));
}

/** Parses, builds and validates; returns both ASTs in OPA's shape. */
function parseAndVerify(n: string, q: unknown, s: unknown): [J, J] {
  const query = documentOf(n, q, 0, "query");
  const schemaDoc = documentOf(n, s, 1, "schema");
  const schema = buildSchema(n, schemaDoc);
  verify(n, schema, query);
  return [queryOut(query), schemaOut(schemaDoc)];
}

const succeeds = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

/** The implementations of the names the graphql family declares (src/wasm-abi's HOST_BUILTINS_TABLE). */
export const graphqlImpls: Record<HostBuiltinName<"graphql">, HostImpl> = {
  "graphql.parse_query": (a) => queryOut(documentOf("graphql.parse_query", str("graphql.parse_query", a, 0), 0, "query")),
  "graphql.parse_schema": (a) => schemaOut(documentOf("graphql.parse_schema", str("graphql.parse_schema", a, 0), 0, "schema")),
  "graphql.parse": (a) => parseAndVerify("graphql.parse", a[0], a[1]),
  "graphql.parse_and_verify": (a) => {
    try {
      return [true, ...parseAndVerify("graphql.parse_and_verify", a[0], a[1])];
    } catch {
      return [false, {}, {}];
    }
  },
  "graphql.is_valid": (a) => succeeds(() => parseAndVerify("graphql.is_valid", a[0], a[1])),
  "graphql.schema_is_valid": (a) => succeeds(() => buildSchema("graphql.schema_is_valid", documentOf("graphql.schema_is_valid", a[0], 0, "schema"))),
};
