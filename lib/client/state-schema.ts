/**
 * The state-edit form's schema, from the graph's channels (GET /api/graphs/:id): one property per channel
 * that declares a JSON Schema and is not internal. Channels left out keep their values (the form edits the
 * rest); they stay editable in the raw JSON editor.
 */
import type { UiSchema } from "@rjsf/utils";
import type { GraphDetail } from "./types";
import type { JsonSchema } from "../api/schema-check";

type Channel = GraphDetail["channels"][number];

export interface StateForm {
  schema: JsonSchema;
  uiSchema: UiSchema;
  /** Channels the form shows, in the graph's order. */
  shown: string[];
  /** Channels it does not: internal ones, and those without a declared schema. */
  hidden: string[];
}

const isObject = (v: unknown): v is JsonSchema => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * zod's `.nullable()` is `anyOf: [X, { type: "null" }]`, which the form library draws as a two-option picker.
 * Drawn as X instead, with an empty field meaning null (`ui:emptyValue`), as a person expects.
 */
function simplify(schema: JsonSchema): { schema: JsonSchema; ui: UiSchema } {
  const alts = schema.anyOf as JsonSchema[] | undefined;
  if (alts?.length === 2 && alts.some((a) => a.type === "null")) {
    const inner = simplify(alts.find((a) => a.type !== "null")!);
    const type = inner.schema.type;
    const nullable = typeof type === "string" && type !== "object" ? { type: [type, "null"] } : {};
    const { anyOf: _drop, ...rest } = schema;
    void _drop;
    return { schema: { ...rest, ...inner.schema, ...nullable }, ui: { ...inner.ui, "ui:emptyValue": null } };
  }
  const ui: UiSchema = {};
  if (schema.type === "string" && schema.format === "textarea") ui["ui:widget"] = "textarea";
  if (schema.type === "object" && isObject(schema.properties)) {
    const props: Record<string, JsonSchema> = {};
    for (const [k, v] of Object.entries(schema.properties as Record<string, JsonSchema>)) {
      const s = simplify(v);
      props[k] = s.schema;
      if (Object.keys(s.ui).length) ui[k] = s.ui;
    }
    return { schema: { ...schema, properties: props }, ui };
  }
  if (schema.type === "array" && isObject(schema.items)) {
    const s = simplify(schema.items);
    return { schema: { ...schema, items: s.schema }, ui: Object.keys(s.ui).length ? { ...ui, items: s.ui } : ui };
  }
  return { schema, ui };
}

export function stateForm(channels: Channel[] | undefined): StateForm {
  const properties: Record<string, JsonSchema> = {};
  const uiSchema: UiSchema = { "ui:submitButtonOptions": { norender: true }, "ui:globalOptions": { orderable: false, copyable: false } };
  const shown: string[] = [];
  const hidden: string[] = [];
  for (const c of channels ?? []) {
    if (c.internal || !c.schema || c.name.startsWith("__")) {
      hidden.push(c.name);
      continue;
    }
    const s = simplify(c.schema);
    properties[c.name] = {
      ...s.schema,
      title: typeof s.schema.title === "string" ? s.schema.title : c.name,
      ...(c.description ? { description: c.description } : {}),
    };
    if (Object.keys(s.ui).length) uiSchema[c.name] = s.ui;
    shown.push(c.name);
  }
  return { schema: { type: "object", properties }, uiSchema, shown, hidden };
}
