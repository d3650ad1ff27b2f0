"use client";
import type Form from "@rjsf/core/lib/components/Form.js";
import type { RJSFSchema } from "@rjsf/utils";
import { useMemo, useRef, useState } from "react";
import { ApiError, errorMessage } from "@/lib/client/api";
import { useMe } from "@/lib/client/hooks";
import { parseObject, pretty } from "@/lib/client/state-edit";
import { stateForm } from "@/lib/client/state-schema";
import type { GraphDetail } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { JsonEditor } from "../ui/JsonEditor";
import { formKeys } from "./form-keys";
import { SchemaForm } from "./SchemaForm";

type Data = Record<string, unknown>;

/**
 * A state editor with a reason (the author is the signed-in user, recorded by the server). Given the graph's
 * channels, it is a form drawn from their declared schemas (internal channels left out and kept as they are),
 * checked before anything is sent; "Edit as JSON" switches to the raw editor, where invalid JSON is refused
 * inline. The server's rejection (422) is shown inline too, and nothing typed is lost on any error.
 * Esc cancels, Ctrl+Enter saves.
 */
export function StateEditForm({
  initial,
  channels,
  submitLabel,
  submitHint,
  onSubmit,
  onCancel,
  pending,
  error,
  testId,
  extra,
}: {
  initial: Data;
  /** The graph's channels; without them (or with no declared schema among them) the editor is JSON only. */
  channels?: GraphDetail["channels"];
  submitLabel: string;
  /** One sentence saying what saving does next. */
  submitHint?: string;
  onSubmit: (values: Data, who: { reason: string }) => void;
  onCancel: () => void;
  pending: boolean;
  error: unknown;
  testId: string;
  extra?: React.ReactNode;
}) {
  const form = useMemo(() => stateForm(channels), [channels]);
  const hasForm = form.shown.length > 0;
  const [mode, setMode] = useState<"form" | "json">(hasForm ? "form" : "json");
  const [values, setValues] = useState<Data>(initial);
  const [text, setText] = useState(() => pretty(initial));
  const me = useMe().data;
  const [reason, setReason] = useState("");
  const [tried, setTried] = useState(false);
  const [switchError, setSwitchError] = useState<string | null>(null);
  const ref = useRef<Form<Data, RJSFSchema>>(null);
  const parsed = mode === "json" ? parseObject(text) : null;
  const invalid = parsed && !parsed.ok ? parsed.error : null;
  const shownValues = useMemo(() => Object.fromEntries(form.shown.filter((k) => k in values).map((k) => [k, values[k]])), [form.shown, values]);

  const toJson = () => {
    setText(pretty(values));
    setSwitchError(null);
    setMode("json");
  };
  const toForm = () => {
    const p = parseObject(text);
    if (!p.ok) return setSwitchError(`${p.error} — fix it before going back to the form.`);
    setValues(p.value);
    setSwitchError(null);
    setMode("form");
  };

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (mode === "json") {
      if (!parsed?.ok) return;
      onSubmit(parsed.value, { reason: reason.trim() });
      return;
    }
    if (ref.current && !ref.current.validateForm()) return;
    onSubmit(values, { reason: reason.trim() });
  };

  return (
    <form onSubmit={submit} onKeyDown={formKeys(onCancel)} data-testid={testId} data-mode={mode} noValidate className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-xs font-medium text-slate-700">{mode === "form" ? "State" : "State (JSON)"}</p>
        {hasForm && (
          <Button variant="ghost" className="!px-2 !py-0.5 text-xs" onClick={mode === "form" ? toJson : toForm} data-testid={`${testId}-mode`}>
            {mode === "form" ? "Edit as JSON" : "Edit as form"}
          </Button>
        )}
      </div>
      {mode === "form" ? (
        <div data-testid={`${testId}-form`} className="rounded-md bg-slate-50 p-2 ring-1 ring-slate-200">
          <SchemaForm
            ref={ref}
            schema={form.schema as RJSFSchema}
            uiSchema={form.uiSchema}
            formData={shownValues}
            idPrefix={testId}
            liveValidate
            onChange={(data) => setValues((v) => ({ ...v, ...data }))}
          />
          {form.hidden.length > 0 && (
            <p className="mt-2 text-xs text-slate-600" data-testid={`${testId}-hidden`}>
              Not shown (kept as they are; edit them as JSON): {form.hidden.join(", ")}.
            </p>
          )}
        </div>
      ) : (
        <JsonEditor value={text} onChange={setText} testId={`${testId}-editor`} label="State (JSON)" />
      )}
      {(invalid || switchError) && (
        <p
          role="alert"
          data-testid={`${testId}-invalid`}
          className={`text-xs ${tried || switchError ? "font-medium text-rose-700" : "text-rose-600"}`}
        >
          {switchError ?? `${invalid} — nothing will be sent until it is valid.`}
        </p>
      )}
      {error != null && (
        <ActionMessage
          testId={`${testId}`}
          error={error instanceof ApiError && error.status === 422 ? `Rejected by the state schema: ${error.message}` : errorMessage(error)}
        />
      )}
      <div className="flex flex-col gap-1">
        <p className="text-xs text-slate-600" data-testid={`${testId}-actor`}>
          Recorded as <strong className="text-slate-800">{me?.name ?? "you"}</strong>
        </p>
        <label className="flex flex-col gap-0.5 text-xs text-slate-600">
          Reason (optional)
          <input
            data-testid={`${testId}-reason`}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="Why this change?"
            className="rounded border-0 px-2 py-1 text-sm ring-1 ring-inset ring-slate-300"
          />
        </label>
      </div>
      {extra}
      <div className="flex flex-wrap items-center justify-end gap-2">
        {submitHint && <p className="mr-auto text-xs text-slate-600">{submitHint}</p>}
        <Button variant="ghost" onClick={onCancel} data-testid={`${testId}-cancel`}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" pending={pending} disabled={!!invalid} data-testid={`${testId}-submit`}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
