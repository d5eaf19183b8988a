// json.verify_schema and json.match_schema with ajv: JSON Schema drafts 4
// (ajv-draft-04), 6 and 7 as OPA's gojsonschema reads them (the draft named by
// `$schema`, draft 7 when none is named). Errors come back in OPA's shape,
// {error, desc, field, type}, with gojsonschema's wording and type names.
import { createRequire } from "node:module";
import { isIP } from "node:net";
import { Ajv, type AnySchemaObject, type ErrorObject, type ValidateFunction } from "ajv";
import ajvDraft04 from "ajv-draft-04";
import type { HostBuiltinName } from "../../wasm-abi/index.js";
import { builtinError, typeName, type HostImpl } from "./types.js";

type Validator = { validate: (data: unknown) => boolean; errors: () => ErrorObject[] };

/** Formats gojsonschema checks by default; any other format name passes, as there. */
const FORMATS: Record<string, (s: string) => boolean> = {
  "date-time": (s) => /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d\d-\d\d$/.test(s) && !Number.isNaN(Date.parse(s)),
  time: (s) => /^\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.test(s),
  email: (s) => /^[^\s@]+@[^\s@]+$/.test(s),
  hostname: (s) => s.length <= 255 && /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  ipv4: (s) => isIP(s) === 4,
  ipv6: (s) => isIP(s) === 6,
  uri: (s) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && URL.canParse(s),
  "uri-reference": () => true,
  uuid: (s) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s),
  regex: (s) => {
    try {
      new RegExp(s, "u");
      return true;
    } catch {
      return false;
    }
  },
};

function withFormats<T extends Ajv>(ajv: T): T {
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, { type: "string", validate: check });
  return ajv;
}

const options = { allErrors: true, strict: false, logger: false, validateFormats: true } as const;
let engines: { draft4: Ajv; modern: Ajv } | undefined;

function engine(schema: unknown): Ajv {
  engines ??= {
    draft4: withFormats(new ajvDraft04.default({ ...options }) as unknown as Ajv),
    modern: (() => {
      const ajv = withFormats(new Ajv({ ...options }));
      ajv.addMetaSchema(createRequire(import.meta.url)("ajv/dist/refs/json-schema-draft-06.json") as AnySchemaObject);
      return ajv;
    })(),
  };
  const id = schema !== null && typeof schema === "object" ? (schema as Record<string, unknown>)["$schema"] : undefined;
  return typeof id === "string" && /draft-04/.test(id) ? engines.draft4 : engines.modern;
}

/** Compiled schemas by their JSON text: policies pass the same few schemas again and again. */
const cache = new Map<string, ValidateFunction>();
const CACHE_SIZE = 64;

function compile(name: string, schema: unknown): Validator {
  const key = JSON.stringify(schema);
  let fn = cache.get(key);
  if (!fn) {
    if (schema === null || (typeof schema !== "object" && typeof schema !== "boolean") || Array.isArray(schema)) {
      throw builtinError(name, `schema must be an object, got ${typeName(schema)}`);
    }
    const ajv = engine(schema);
    try {
      fn = ajv.compile(schema as AnySchemaObject);
    } catch (e) {
      throw builtinError(name, (e as Error).message.split("\n")[0]!);
    }
    // The compiled function stays usable; ajv forgets the schema so another one with the same $id compiles too.
    ajv.removeSchema(schema as AnySchemaObject);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, fn);
  }
  const f = fn;
  return { validate: (d) => f(d) as boolean, errors: () => f.errors ?? [] };
}

/** A document or schema given as JSON text or as a value. */
function parsed(name: string, v: unknown, what: string): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch (e) {
    throw builtinError(name, `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** gojsonschema's name for a JSON value's type. */
function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** gojsonschema's field path: "(root)", "a.b", "list.0". */
function field(path: string, extra?: string): string {
  const parts = path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? "(root)" : parts.join(".");
}

function valueAt(doc: unknown, path: string): unknown {
  let v = doc;
  for (const p of path.split("/").slice(1)) v = (v as Record<string, unknown> | undefined)?.[p.replace(/~1/g, "/").replace(/~0/g, "~")];
  return v;
}

/** One ajv error as OPA reports a gojsonschema error. */
function opaError(e: ErrorObject, doc: unknown): { error: string; desc: string; field: string; type: string } {
  const p = e.params as Record<string, unknown>;
  let f = field(e.instancePath);
  let type = e.keyword;
  let desc = e.message ?? e.keyword;
  switch (e.keyword) {
    case "type": type = "invalid_type"; desc = `Invalid type. Expected: ${String(p["type"]).split(",").join(", ")}, given: ${jsonType(valueAt(doc, e.instancePath))}`; break;
    case "required": type = "required"; desc = `${String(p["missingProperty"])} is required`; break;
    case "enum": type = "enum"; desc = `${f} must be one of the following: ${(p["allowedValues"] as unknown[]).map((x) => JSON.stringify(x)).join(", ")}`; break;
    case "const": type = "const"; desc = `${f} does not match: ${JSON.stringify(p["allowedValue"])}`; break;
    case "additionalProperties": type = "additional_property_not_allowed"; desc = `Additional property ${String(p["additionalProperty"])} is not allowed`; break;
    // Draft 4's boolean exclusiveMinimum/Maximum shows as the comparison of a minimum/maximum error.
    case "minimum": if (p["comparison"] === ">") { type = "number_gt"; desc = `Must be greater than ${String(p["limit"])}`; } else { type = "number_gte"; desc = `Must be greater than or equal to ${String(p["limit"])}`; } break;
    case "exclusiveMinimum": type = "number_gt"; desc = `Must be greater than ${String(p["limit"])}`; break;
    case "maximum": if (p["comparison"] === "<") { type = "number_lt"; desc = `Must be less than ${String(p["limit"])}`; } else { type = "number_lte"; desc = `Must be less than or equal to ${String(p["limit"])}`; } break;
    case "exclusiveMaximum": type = "number_lt"; desc = `Must be less than ${String(p["limit"])}`; break;
    case "multipleOf": type = "multiple_of"; desc = `Must be a multiple of ${String(p["multipleOf"])}`; break;
    case "minLength": type = "string_gte"; desc = `String length must be greater than or equal to ${String(p["limit"])}`; break;
    case "maxLength": type = "string_lte"; desc = `String length must be less than or equal to ${String(p["limit"])}`; break;
    case "pattern": type = "pattern"; desc = `Does not match pattern '${String(p["pattern"])}'`; break;
    case "format": type = "format"; desc = `Does not match format '${String(p["format"])}'`; break;
    case "minItems": type = "array_min_items"; desc = `Array must have at least ${String(p["limit"])} items`; break;
    case "maxItems": type = "array_max_items"; desc = `Array must have at most ${String(p["limit"])} items`; break;
    case "uniqueItems": type = "unique"; desc = `array items[${String(p["j"])},${String(p["i"])}] must be unique`; break;
    case "minProperties": type = "array_min_properties"; desc = `Must have at least ${String(p["limit"])} properties`; break;
    case "maxProperties": type = "array_max_properties"; desc = `Must have at most ${String(p["limit"])} properties`; break;
    case "anyOf": type = "number_any_of"; desc = "Must validate at least one schema (anyOf)"; break;
    case "oneOf": type = "number_one_of"; desc = "Must validate one and only one schema (oneOf)"; break;
    case "not": type = "number_not"; desc = "Must not validate the schema (not)"; break;
    case "if": type = `condition_${String(p["failingKeyword"])}`; desc = `Must validate "${String(p["failingKeyword"])}" as "if" was ${p["failingKeyword"] === "then" ? "valid" : "not valid"}`; break;
    case "contains": type = "contains"; desc = "At least one of the items must match"; break;
    case "dependencies": case "dependentRequired": type = "missing_dependency"; desc = `Has a dependency on ${String(p["missingProperty"])}`; break;
    case "additionalItems": type = "array_no_additional_items"; desc = "No additional items allowed on array"; break;
    case "propertyNames": type = "invalid_property_name"; desc = `Property "${String(p["propertyName"])}" does not match pattern`; f = field(e.instancePath); break;
  }
  return { error: `${f}: ${desc}`, desc, field: f, type };
}

export function matchSchema(name: string, document: unknown, schema: unknown): [boolean, Array<Record<string, string>>] {
  const doc = parsed(name, document, "document");
  const v = compile(name, parsed(name, schema, "schema"));
  if (v.validate(doc)) return [true, []];
  // ajv reports the failing branch of a combinator too; gojsonschema reports them as well, in order.
  return [false, v.errors().map((e) => opaError(e, doc))];
}

/** The implementations of the names the json-schema family declares (src/wasm-abi's HOST_BUILTINS_TABLE). */
export const jsonSchemaImpls: Record<HostBuiltinName<"json-schema">, HostImpl> = {
  "json.verify_schema": (a) => {
    try {
      compile("json.verify_schema", parsed("json.verify_schema", doubles(a[0]), "schema"));
      return [true, null];
    } catch (e) {
      return [false, (e as Error).message.replace(/^json\.verify_schema: /, "")];
    }
  },
  "json.match_schema": (a) => matchSchema("json.match_schema", doubles(a[0]), doubles(a[1])),
};

/** ajv knows JSON numbers only: an integer beyond 2^53 (a bigint operand) is validated as the nearest double. */
function doubles(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(doubles);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, doubles(x)]));
}
