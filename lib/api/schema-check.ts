/**
 * A small JSON Schema checker for the subset zod 4 emits (type, const, enum, bounds, lengths, required,
 * properties, items, anyOf/oneOf): the dashboard checks answers and state edits before sending them, with one
 * plain sentence per field. No code generation (the CSP forbids eval, which Ajv needs); the server checks again
 * with the graph's own zod schema, whose messages (by field) replace these when it refuses.
 */
export type JsonSchema = Record<string, unknown>;
export type Path = (string | number)[];
export interface Issue {
  path: Path;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case "null":
      return v === null;
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
    default:
      return true;
  }
}

const TYPE_WORDS: Record<string, string> = {
  null: "empty",
  string: "text",
  number: "a number",
  integer: "a whole number",
  boolean: "yes or no",
  array: "a list",
  object: "an object",
};

/** Every problem with `value` under `schema`, each with its path; [] when it fits. */
export function checkJson(schema: JsonSchema, value: unknown, path: Path = []): Issue[] {
  const at = (message: string): Issue[] => [{ path, message }];
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives) {
    const results = alternatives.map((s) => checkJson(s, value, path));
    if (results.some((r) => r.length === 0)) return [];
    // Report against the closest alternative: one whose discriminating `const`s match, else the non-null one.
    const matching = alternatives.findIndex((s) => isObject(value) && constsMatch(s, value));
    const notNull = alternatives.findIndex((s) => s.type !== "null");
    return results[matching >= 0 ? matching : value === null || notNull < 0 ? 0 : notNull];
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (value === null && types.includes("null")) return [];
  if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) return at(`Must be ${JSON.stringify(schema.const)}.`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value)))
    return at(value === undefined ? "Required." : `Choose one of: ${schema.enum.map((e) => String(e)).join(", ")}.`);
  if (types.length && !types.some((t) => typeOk(t, value))) {
    if (value === undefined || value === "") return at("Required.");
    return at(`Must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(" or ")}.`);
  }
  const issues: Issue[] = [];
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) issues.push(...at(`Must be at least ${schema.minimum}.`));
    if (typeof schema.maximum === "number" && value > schema.maximum) issues.push(...at(`Must be at most ${schema.maximum}.`));
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum)
      issues.push(...at(`Must be more than ${schema.exclusiveMinimum}.`));
    if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum)
      issues.push(...at(`Must be less than ${schema.exclusiveMaximum}.`));
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength)
      issues.push(...at(schema.minLength === 1 ? "Required." : `Must be at least ${schema.minLength} characters.`));
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength)
      issues.push(...at(`Must be at most ${schema.maxLength} characters.`));
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) issues.push(...at(`Needs at least ${schema.minItems} items.`));
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) issues.push(...at(`Takes at most ${schema.maxItems} items.`));
    if (isObject(schema.items)) value.forEach((item, i) => issues.push(...checkJson(schema.items as JsonSchema, item, [...path, i])));
  }
  if (isObject(value)) {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) if (value[key] === undefined) issues.push({ path: [...path, key], message: "Required." });
    for (const [key, v] of Object.entries(value))
      if (v !== undefined && props[key]) issues.push(...checkJson(props[key], v, [...path, key]));
      else if (v !== undefined && isObject(schema.additionalProperties)) issues.push(...checkJson(schema.additionalProperties, v, [...path, key]));
  }
  return issues;
}

function constsMatch(schema: JsonSchema, value: Record<string, unknown>): boolean {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const consts = Object.entries(props).filter(([, p]) => "const" in p);
  return consts.length > 0 && consts.every(([k, p]) => JSON.stringify(p.const) === JSON.stringify(value[k]));
}

/** Issues keyed by their dotted path ("" for the value itself), first message per field. */
export function byField(issues: { path: Path | string; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const key = Array.isArray(i.path) ? i.path.join(".") : i.path;
    out[key] ??= i.message;
  }
  return out;
}
