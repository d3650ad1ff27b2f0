/**
 * Value schemas the engine checks values against and describes as JSON Schema, without depending on a schema
 * library: any object implementing Standard Schema (`~standard.validate`) and, to be drawn as a form, Standard
 * JSON Schema (`~standard.jsonSchema`). zod 4 schemas are both, so graphs declare channels and resume values
 * with zod, as they declare their input.
 */
export type JsonSchema = Record<string, unknown>;

type PathSegment = PropertyKey | { readonly key: PropertyKey };
type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | { readonly issues: readonly { readonly message: string; readonly path?: readonly PathSegment[] }[] };

export interface ValueSchema {
  readonly "~standard": {
    readonly validate: (value: unknown) => StandardResult | Promise<StandardResult>;
    readonly jsonSchema?: { readonly input: (options: { target: string }) => Record<string, unknown> };
  };
}

/** One problem with a value: where (a dotted path, "" for the value itself) and what. */
export interface ValueIssue {
  path: string;
  message: string;
}

export type Checked = { ok: true; value: unknown } | { ok: false; issues: ValueIssue[] };

/** Validates synchronously (an asynchronous schema is a programming error: values are checked under the run lock). */
export function checkValue(schema: ValueSchema, value: unknown): Checked {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) throw new Error("Asynchronous schemas are not supported for channels or resume values.");
  if (!result.issues) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: result.issues.map((i) => ({
      path: (i.path ?? []).map((s) => String(typeof s === "object" && s !== null ? s.key : s)).join("."),
      message: i.message,
    })),
  };
}

/** One sentence for an error message: the first issue, with its path. */
export function describeIssues(issues: ValueIssue[]): string {
  const first = issues[0];
  if (!first) return "invalid value";
  return `${first.path ? `${first.path}: ` : ""}${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`;
}

/** The schema as JSON Schema (2020-12) of the values it accepts, or undefined when it cannot describe itself. */
export function jsonSchemaOf(schema: ValueSchema | undefined): JsonSchema | undefined {
  const describe = schema?.["~standard"].jsonSchema;
  if (!describe) return undefined;
  try {
    const out = { ...describe.input({ target: "draft-2020-12" }) };
    delete out.$schema;
    return out;
  } catch {
    // Some schemas (transforms, custom checks) have no JSON Schema form: they are still enforced, just not drawn.
    return undefined;
  }
}
