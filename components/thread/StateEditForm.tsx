"use client";
import { useState } from "react";
import { ApiError, errorMessage } from "@/lib/client/api";
import { useMe } from "@/lib/client/hooks";
import { parseObject, pretty } from "@/lib/client/state-edit";
import { ActionMessage, Button } from "../ui/Button";
import { JsonEditor } from "../ui/JsonEditor";

/**
 * A state editor with a reason (the author is the signed-in user, recorded by the server): invalid JSON is refused inline and nothing is sent until it
 * parses; the server's rejection (422) is shown inline too. The text is kept on any error.
 */
export function StateEditForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  pending,
  error,
  testId,
  extra,
}: {
  initial: Record<string, unknown>;
  submitLabel: string;
  onSubmit: (values: Record<string, unknown>, who: { reason: string }) => void;
  onCancel: () => void;
  pending: boolean;
  error: unknown;
  testId: string;
  extra?: React.ReactNode;
}) {
  const [text, setText] = useState(() => pretty(initial));
  const me = useMe().data;
  const [reason, setReason] = useState("");
  const [tried, setTried] = useState(false);
  const parsed = parseObject(text);
  const invalid = !parsed.ok ? parsed.error : null;

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!parsed.ok) return;
    onSubmit(parsed.value, { reason: reason.trim() });
  };

  return (
    <form onSubmit={submit} data-testid={testId} className="flex flex-col gap-2">
      <JsonEditor value={text} onChange={setText} testId={`${testId}-editor`} label="State (JSON)" />
      {invalid && (
        <p role="alert" data-testid={`${testId}-invalid`} className={`text-xs ${tried ? "font-medium text-rose-700" : "text-rose-600"}`}>
          {invalid} — nothing will be sent until it is valid.
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
      <div className="flex justify-end gap-2">
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" pending={pending} disabled={!!invalid} data-testid={`${testId}-submit`}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
