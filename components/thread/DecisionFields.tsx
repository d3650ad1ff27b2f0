"use client";
import type { DecisionField } from "@/lib/client/decision-shape";

/** What a person typed, per field, before it is turned into the answer's values (numbers stay text until sent). */
export type Drafts = Record<string, string | boolean>;

const INPUT = "w-full rounded-md border-0 px-2 py-1.5 text-sm ring-1 ring-inset focus:ring-2 focus:ring-indigo-500";

/** The starting text of each field: a payload value of the same name (e.g. the draft under review), else empty. */
export function initialDrafts(fields: DecisionField[], payload: unknown): Drafts {
  const from = payload && typeof payload === "object" && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  return Object.fromEntries(
    fields.map((f) => {
      const v = from[f.name];
      if (f.kind === "boolean") return [f.name, typeof v === "boolean" ? v : false];
      if ((f.kind === "text" || f.kind === "textarea") && typeof v === "string") return [f.name, v];
      return [f.name, ""];
    }),
  );
}

/** The answer's values from the typed text; a number that does not parse is kept as text for the check to name. */
export function fieldValues(fields: DecisionField[], drafts: Drafts): { values: Record<string, unknown>; parseErrors: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const parseErrors: Record<string, string> = {};
  for (const f of fields) {
    const raw = drafts[f.name];
    if (f.kind === "boolean") {
      values[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw : "";
    if (text.trim() === "") continue; // absent: optional fields are left out, required ones are named by the check
    if (f.kind === "number" || f.kind === "integer") {
      const n = Number(text.trim());
      if (Number.isNaN(n)) parseErrors[f.name] = "Must be a number.";
      else values[f.name] = n;
    } else if (f.kind === "select") values[f.name] = f.options?.find((o) => String(o) === text) ?? text;
    else if (f.kind === "json") {
      try {
        values[f.name] = JSON.parse(text);
      } catch {
        parseErrors[f.name] = "Must be valid JSON.";
      }
    } else values[f.name] = text;
  }
  return { values, parseErrors };
}

/** The fields of one decision, each with its label, hint and inline error. */
export function DecisionFields({
  fields,
  drafts,
  errors,
  onChange,
  idPrefix,
}: {
  fields: DecisionField[];
  drafts: Drafts;
  errors: Record<string, string>;
  onChange: (name: string, value: string | boolean) => void;
  idPrefix: string;
}) {
  return (
    <>
      {fields.map((f, i) => {
        const id = `${idPrefix}-${f.name}`;
        const error = errors[f.name];
        const ring = error ? "ring-rose-500" : "ring-slate-300";
        const described = [f.description ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
        const common = {
          id,
          name: f.name,
          "data-testid": `decision-field-${f.name}`,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": described,
          "aria-required": f.required || undefined,
          autoFocus: i === 0,
        };
        const value = drafts[f.name];
        return (
          <div key={f.name} className="flex flex-col gap-1">
            {f.kind === "boolean" ? (
              <label htmlFor={id} className="flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(f.name, e.target.checked)} />
                {f.label}
              </label>
            ) : (
              <label htmlFor={id} className="text-sm font-medium text-slate-700">
                {f.label}
                {f.required ? (
                  <span className="text-rose-700" aria-hidden>
                    {" "}
                    *
                  </span>
                ) : (
                  <span className="font-normal text-slate-500"> (optional)</span>
                )}
              </label>
            )}
            {f.kind === "textarea" || f.kind === "json" ? (
              <textarea
                {...common}
                rows={f.kind === "json" ? 4 : Math.min(8, Math.max(2, String(value ?? "").split("\n").length))}
                value={String(value ?? "")}
                onChange={(e) => onChange(f.name, e.target.value)}
                className={`${INPUT} ${ring} ${f.kind === "json" ? "font-mono text-xs" : ""}`}
              />
            ) : f.kind === "select" ? (
              <select {...common} value={String(value ?? "")} onChange={(e) => onChange(f.name, e.target.value)} className={`${INPUT} ${ring}`}>
                <option value="">Choose…</option>
                {f.options?.map((o) => (
                  <option key={String(o)} value={String(o)}>
                    {String(o)}
                  </option>
                ))}
              </select>
            ) : f.kind !== "boolean" ? (
              <input
                {...common}
                type="text"
                inputMode={f.kind === "integer" ? "numeric" : f.kind === "number" ? "decimal" : undefined}
                value={String(value ?? "")}
                onChange={(e) => onChange(f.name, e.target.value)}
                className={`${INPUT} ${ring} ${f.kind === "integer" || f.kind === "number" ? "max-w-48 tabular-nums" : ""}`}
              />
            ) : null}
            {f.description && (
              <p id={`${id}-hint`} className="text-xs text-slate-600">
                {f.description}
              </p>
            )}
            {error && (
              <p id={`${id}-error`} data-testid={`decision-error-${f.name}`} className="text-xs font-medium text-rose-700">
                {error}
              </p>
            )}
          </div>
        );
      })}
    </>
  );
}
