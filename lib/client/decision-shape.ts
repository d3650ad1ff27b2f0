/**
 * The decision panel's shape, read from a node's declared resume schema (JSON Schema, from GET /api/graphs/:id):
 * which buttons it offers and which fields each asks for. Nothing here knows a particular graph:
 * - a union of objects told apart by one property's `const` (e.g. `action`) → one button per alternative;
 * - one object with a required enumerated property (e.g. `vendor`) → one button per value, the rest as fields;
 * - any other object → one button (the schema's title, or "Send") with every property as a field.
 * Properties marked `readOnly` (filled by the server) are never asked for. A button whose fields are all optional
 * answers in one click; one with a required field opens a small form first.
 */
import type { JsonSchema } from "../api/schema-check";

export type FieldKind = "text" | "textarea" | "number" | "integer" | "boolean" | "select" | "json";

export interface DecisionField {
  name: string;
  label: string;
  description?: string;
  required: boolean;
  kind: FieldKind;
  /** For "select": the allowed values. */
  options?: unknown[];
  schema: JsonSchema;
}

export type Tone = "success" | "danger" | "primary" | "secondary";

export interface DecisionChoice {
  /** Stable and readable, for test ids: the fixed value (e.g. "approve", "contoso"). */
  id: string;
  label: string;
  /** Said above the decision's form, and on its send button. */
  heading: string;
  submitLabel: string;
  tone: Tone;
  /** The part of the answer the button decides (e.g. `{ action: "reject" }`). */
  fixed: Record<string, unknown>;
  fields: DecisionField[];
  /** What the whole answer must satisfy (the alternative's object schema). */
  schema: JsonSchema;
}

const isObject = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

/** "approve" → "Approve", "send_back" → "Send back". */
export function humanize(value: unknown): string {
  const s = String(value).replace(/[_-]+/g, " ").trim();
  return s ? s[0].toUpperCase() + s.slice(1) : "Send";
}

function alternatives(schema: JsonSchema): JsonSchema[] {
  const list = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  return list ? list.flatMap(alternatives) : [schema];
}

const propsOf = (s: JsonSchema) => (isObject(s.properties) ? (s.properties as Record<string, JsonSchema>) : {});
const isObjectSchema = (s: JsonSchema) => s.type === "object" && isObject(s.properties);

/** The values an enumerated property allows (`const`, `enum`, or a union of `const`s), or null. */
function enumerated(p: JsonSchema): unknown[] | null {
  if ("const" in p) return [p.const];
  if (Array.isArray(p.enum)) return p.enum;
  const alts = (p.anyOf ?? p.oneOf) as JsonSchema[] | undefined;
  if (alts?.length && alts.every((a) => "const" in a)) return alts.map((a) => a.const);
  return null;
}

export function fieldKind(s: JsonSchema): { kind: FieldKind; options?: unknown[] } {
  const alts = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  // A nullable value (zod's `.nullable()`): the field of its non-null alternative.
  if (alts?.length === 2 && alts.some((a) => a.type === "null")) return fieldKind(alts.find((a) => a.type !== "null")!);
  const options = enumerated(s);
  if (options) return { kind: "select", options };
  if (s.type === "boolean") return { kind: "boolean" };
  if (s.type === "integer") return { kind: "integer" };
  if (s.type === "number") return { kind: "number" };
  if (s.type === "string")
    return {
      kind: s.format === "textarea" || (typeof s.maxLength === "number" && s.maxLength > 200) || s.maxLength === undefined ? "textarea" : "text",
    };
  return { kind: "json" };
}

function fieldsOf(s: JsonSchema, skip: string[]): DecisionField[] {
  const required = new Set((s.required ?? []) as string[]);
  return Object.entries(propsOf(s))
    .filter(([name, p]) => !skip.includes(name) && p.readOnly !== true)
    .map(([name, p]) => ({
      name,
      label: typeof p.title === "string" ? p.title : humanize(name),
      description: typeof p.description === "string" ? p.description : undefined,
      required: required.has(name),
      ...fieldKind(p),
      schema: p,
    }));
}

const toneOf = (p: JsonSchema, i: number): Tone =>
  p.tone === "danger" || p.tone === "success" || p.tone === "primary" || p.tone === "secondary" ? p.tone : i === 0 ? "success" : "secondary";

/** The buttons for a resume schema, or null when it cannot be drawn as buttons and fields (answer as JSON then). */
export function decisionChoices(schema: JsonSchema | undefined): DecisionChoice[] | null {
  if (!schema) return null;
  const objects = alternatives(schema).filter(isObjectSchema);
  if (objects.length >= 2) {
    // The property most alternatives are told apart by; alternatives without it are left to the API.
    const tells = (o: JsonSchema, k: string) => Boolean(propsOf(o)[k] && enumerated(propsOf(o)[k]));
    const keys = [...new Set(objects.flatMap((o) => Object.keys(propsOf(o))))];
    const count = (k: string) => objects.filter((o) => tells(o, k)).length;
    const key = keys.sort((a, b) => count(b) - count(a))[0];
    if (!key || count(key) < 2) return null;
    const out: DecisionChoice[] = [];
    for (const o of objects.filter((x) => tells(x, key))) {
      const p = propsOf(o)[key];
      for (const value of enumerated(p)!) {
        const titled = "const" in p && typeof p.title === "string";
        const label = titled ? (p.title as string) : humanize(value);
        out.push({
          id: String(value),
          label,
          heading: label,
          submitLabel: label,
          tone: toneOf(p, out.length),
          fixed: { [key]: value },
          fields: fieldsOf(o, [key]),
          schema: o,
        });
      }
    }
    return out;
  }
  if (objects.length !== 1) return null;
  const o = objects[0];
  const required = (o.required ?? []) as string[];
  const key = required.find((k) => {
    const values = propsOf(o)[k] && enumerated(propsOf(o)[k]);
    return values && values.length <= 8 && values.every((v) => typeof v === "string");
  });
  if (!key)
    return [
      {
        id: "send",
        label: typeof o.title === "string" ? o.title : "Send",
        heading: typeof o.title === "string" ? o.title : "Your answer",
        submitLabel: "Send",
        tone: "success",
        fixed: {},
        fields: fieldsOf(o, []),
        schema: o,
      },
    ];
  const p = propsOf(o)[key];
  const what = typeof o.title === "string" ? o.title : typeof p.title === "string" ? p.title : humanize(key);
  return enumerated(p)!.map((value) => ({
    id: String(value),
    label: humanize(value),
    heading: `${what}: ${humanize(value)}`,
    submitLabel: `Confirm ${humanize(value)}`,
    tone: "secondary" as Tone,
    fixed: { [key]: value },
    fields: fieldsOf(o, [key]),
    schema: o,
  }));
}

/** True when the button answers at once (no field it must ask for first). */
export const oneClick = (c: DecisionChoice) => c.fields.every((f) => !f.required);
