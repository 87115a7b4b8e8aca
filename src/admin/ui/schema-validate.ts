/**
 * Checks a payload against a job's JSON Schema in the browser, before the
 * form sends it: the subset zod's `toJSONSchema` emits (type, enum, const,
 * properties, required, additionalProperties, items, prefixItems, lengths,
 * pattern, format, numeric bounds, anyOf/oneOf/allOf, $ref into $defs).
 * Keywords it does not know pass; the server checks the payload with the
 * job's own zod schema anyway, so this only has to be right when it
 * refuses. Pure: no DOM, unit-tested under Bun.
 */

export type JsonSchema = { [k: string]: unknown } | boolean;

export interface SchemaIssue {
  /** "" for the payload itself, else dotted: "to", "items.0.name". */
  path: string;
  message: string;
}

/** Nesting this deep is not a payload anyone types into a form. */
const MAX_DEPTH = 64;

const FORMATS: Record<string, RegExp> = {
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[a-z][a-z0-9+.-]*:\S*$/i,
  url: /^[a-z][a-z0-9+.-]*:\S*$/i,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  "date-time": /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/,
  date: /^\d{4}-\d\d-\d\d$/,
  ipv4: /^(\d{1,3}\.){3}\d{1,3}$/,
};

export function validate(schema: JsonSchema, value: unknown): SchemaIssue[] {
  const root = typeof schema === "object" ? schema : {};
  const issues: SchemaIssue[] = [];
  check(schema, value, "", root, issues, 0);
  return issues;
}

function check(schema: JsonSchema, value: unknown, path: string, root: Record<string, unknown>, out: SchemaIssue[], depth: number): void {
  if (schema === true) return;
  if (schema === false) return void out.push({ path, message: "no value is allowed here" });
  if (depth > MAX_DEPTH) return;
  const s = schema as Record<string, any>;
  const issue = (message: string) => out.push({ path, message });

  if (typeof s.$ref === "string") {
    const target = resolveRef(root, s.$ref);
    if (target !== undefined) check(target, value, path, root, out, depth + 1);
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) check(sub, value, path, root, out, depth + 1);
  if (Array.isArray(s.anyOf) && !s.anyOf.some((sub: JsonSchema) => validateAt(sub, value, root, depth).length === 0)) {
    const branches = s.anyOf.map((sub: JsonSchema) => validateAt(sub, value, root, depth));
    // Report the branch that came closest (fewest issues), or a summary when they all missed badly.
    const best = branches.reduce((a: SchemaIssue[], b: SchemaIssue[]) => (b.length < a.length ? b : a));
    for (const i of best) out.push({ path: join(path, i.path), message: i.message });
  }
  if (Array.isArray(s.oneOf)) {
    const passing = s.oneOf.filter((sub: JsonSchema) => validateAt(sub, value, root, depth).length === 0).length;
    if (passing !== 1) issue(passing === 0 ? "matches none of the allowed shapes" : "matches more than one of the allowed shapes");
  }
  if (s.not !== undefined && validateAt(s.not, value, root, depth).length === 0) issue("is not allowed");

  if ("const" in s && !deepEqual(s.const, value)) return void issue(`must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => deepEqual(e, value))) {
    return void issue(`must be one of ${s.enum.map((e: unknown) => JSON.stringify(e)).join(", ")}`);
  }
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => isType(t, value))) return void issue(`must be ${types.map(article).join(" or ")}`);
  }

  if (typeof value === "string") {
    const len = [...value].length;
    if (typeof s.minLength === "number" && len < s.minLength) issue(s.minLength === 1 ? "must not be empty" : `must be at least ${s.minLength} characters`);
    if (typeof s.maxLength === "number" && len > s.maxLength) issue(`must be at most ${s.maxLength} characters`);
    const format = typeof s.format === "string" ? FORMATS[s.format] : undefined;
    if (format && !format.test(value)) issue(`must be a valid ${s.format}`);
    else if (typeof s.pattern === "string") {
      const re = regex(s.pattern);
      if (re && !re.test(value)) issue(s.format ? `must be a valid ${s.format}` : `must match ${s.pattern}`);
    }
  }
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) issue(`must be at least ${s.minimum}`);
    if (typeof s.maximum === "number" && value > s.maximum) issue(`must be at most ${s.maximum}`);
    if (typeof s.exclusiveMinimum === "number" && value <= s.exclusiveMinimum) issue(`must be more than ${s.exclusiveMinimum}`);
    if (typeof s.exclusiveMaximum === "number" && value >= s.exclusiveMaximum) issue(`must be less than ${s.exclusiveMaximum}`);
    if (typeof s.multipleOf === "number" && s.multipleOf > 0 && Math.abs(value / s.multipleOf - Math.round(value / s.multipleOf)) > 1e-9) issue(`must be a multiple of ${s.multipleOf}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === "number" && value.length < s.minItems) issue(`must have at least ${s.minItems} item(s)`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems) issue(`must have at most ${s.maxItems} item(s)`);
    const prefix: JsonSchema[] = Array.isArray(s.prefixItems) ? s.prefixItems : [];
    value.forEach((item, i) => {
      const sub = i < prefix.length ? prefix[i] : s.items;
      if (sub !== undefined) check(sub, item, join(path, String(i)), root, out, depth + 1);
    });
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const props: Record<string, JsonSchema> = s.properties && typeof s.properties === "object" ? s.properties : {};
    for (const key of Array.isArray(s.required) ? s.required : []) if (!(key in obj) || obj[key] === undefined) out.push({ path: join(path, key), message: "is required" });
    for (const [key, v] of Object.entries(obj)) {
      if (v === undefined) continue;
      if (key in props) check(props[key], v, join(path, key), root, out, depth + 1);
      else if (s.additionalProperties === false) out.push({ path: join(path, key), message: "is not a known field" });
      else if (s.additionalProperties && typeof s.additionalProperties === "object") check(s.additionalProperties, v, join(path, key), root, out, depth + 1);
    }
  }
}

function validateAt(schema: JsonSchema, value: unknown, root: Record<string, unknown>, depth: number): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  check(schema, value, "", root, out, depth + 1);
  return out;
}

function isType(t: string, v: unknown): boolean {
  switch (t) {
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    case "array":
      return Array.isArray(v);
    case "object":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    default:
      return true;
  }
}

function article(t: string): string {
  return t === "integer" ? "a whole number" : t === "null" ? "null" : t === "array" || t === "object" ? `an ${t}` : `a ${t}`;
}

/** `#/$defs/name` (or `#/definitions/name`) inside the root schema. */
function resolveRef(root: Record<string, unknown>, ref: string): JsonSchema | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at as JsonSchema | undefined;
}

const regexCache = new Map<string, RegExp | undefined>();

function regex(pattern: string): RegExp | undefined {
  if (!regexCache.has(pattern)) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(pattern, "u");
    } catch {
      try {
        re = new RegExp(pattern);
      } catch {
        re = undefined; // a pattern this browser cannot compile: the server decides
      }
    }
    regexCache.set(pattern, re);
  }
  return regexCache.get(pattern);
}

function join(path: string, key: string): string {
  return path ? (key ? `${path}.${key}` : path) : key;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}
