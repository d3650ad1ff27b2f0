"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "@/lib/client/api";
import { describeChange } from "@/lib/client/change";
import { clock } from "@/lib/client/format";
import { keys } from "@/lib/client/keys";

/**
 * The thread moved on while the reviewer was looking at it (another reviewer decided, a run continued, someone
 * edited): say who did what (and what they wrote), keep what the reviewer typed, and let them either look at
 * the new state and decide again (the thread waits again) or take their text with them (nothing waits any more).
 * Nothing the reviewer typed is sent or dropped by this notice: the forms stay open under it until they act.
 */
export function StaleNotice({
  threadId,
  headId,
  status,
  typed,
  onReview,
  onClose,
}: {
  threadId: string;
  headId: string | null;
  /** The thread's status now: "interrupted" means it waits again (on a new interrupt), so deciding again makes sense. */
  status: string;
  /** What the reviewer wrote in the decision form (a reject reason, a note), offered for copying when nothing waits. */
  typed?: string;
  onReview: () => void;
  onClose: () => void;
}) {
  const head = useQuery({
    queryKey: headId ? keys.checkpoint(threadId, headId) : [...keys.thread(threadId), "no-head"],
    queryFn: () => api.checkpoint(threadId, headId!),
    enabled: !!headId,
  });
  const [copied, setCopied] = useState(false);
  const waiting = status === "interrupted";
  const change = head.data ? describeChange(head.data.metadata) : null;
  const where = head.data
    ? waiting
      ? head.data.interrupts[0]
        ? `it is now at v${head.data.version}, waiting at ${head.data.interrupts[0].node} again`
        : `it is now at v${head.data.version}`
      : status === "running"
        ? `it is running on from v${head.data.version}`
        : `it is now at v${head.data.version} and nothing waits for a decision`
    : null;
  const copy = async () => {
    if (!typed) return;
    await navigator.clipboard?.writeText(typed).catch(() => undefined);
    setCopied(true);
  };
  return (
    <div
      role="alert"
      data-testid="stale-notice"
      data-waiting={waiting || undefined}
      className="mt-2 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-900 ring-1 ring-rose-300"
    >
      <p className="font-medium">This thread changed while you were looking at it.</p>
      <p className="mt-0.5" data-testid="stale-what">
        {change && head.data ? (
          <>
            {change.who ? <strong data-testid="stale-who">{change.who}</strong> : "Meanwhile"} {change.what}
            {change.said ? (
              <>
                {" "}
                — “<span data-testid="stale-said">{change.said}</span>”
              </>
            ) : null}{" "}
            <span className="text-rose-800">(at {clock(head.data.createdAt)})</span>; {where}.
          </>
        ) : (
          "Loading what changed…"
        )}
      </p>
      <p className="mt-0.5" data-testid="stale-kept">
        Your decision was not sent; what you typed is kept below{waiting ? ": look at the new state, then send it again or change it." : "."}
      </p>
      <div className="mt-1.5 flex flex-wrap gap-2">
        {waiting ? (
          <button
            type="button"
            onClick={onReview}
            data-testid="stale-review"
            className="rounded bg-rose-700 px-2.5 py-1 text-xs font-medium text-white hover:bg-rose-800"
          >
            Review the current state
          </button>
        ) : (
          <>
            {typed ? (
              <button
                type="button"
                onClick={copy}
                data-testid="stale-copy"
                className="rounded bg-white px-2.5 py-1 text-xs font-medium text-rose-900 ring-1 ring-inset ring-rose-300 hover:bg-rose-100"
              >
                {copied ? "Copied" : "Copy what I wrote"}
              </button>
            ) : null}
            <button
              type="button"
              onClick={onClose}
              data-testid="stale-close"
              className="rounded bg-rose-700 px-2.5 py-1 text-xs font-medium text-white hover:bg-rose-800"
            >
              Close
            </button>
          </>
        )}
      </div>
    </div>
  );
}
