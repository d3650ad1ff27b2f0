"use client";
import { useCan } from "@/lib/client/hooks";
import { useState } from "react";
import { errorMessage } from "@/lib/client/api";
import type { Checkpoint, GraphDetail, Thread } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { useEditAndContinue, useResume } from "./actions";
import { FailedAttempts } from "./FailedAttempts";
import { StateEditForm } from "./StateEditForm";

/** A failed run: the failing node and message, Retry, and a state edit to remove the cause first. */
export function ErrorPanel({
  thread,
  head,
  graph,
  hint,
}: {
  thread: Thread;
  head: Checkpoint | undefined;
  graph: GraphDetail | undefined;
  hint?: string;
}) {
  const [editing, setEditing] = useState(false);
  const retry = useResume(thread.threadId);
  const edit = useEditAndContinue(thread.threadId, graph);
  const err = thread.error;
  const canRun = useCan("run", thread.graphId);
  const canEdit = useCan("edit", thread.graphId);
  const attempts = err?.attempts ?? [];
  const retries = attempts.reduce((n, a) => Math.max(n, a.run), 1) - 1;
  return (
    <section data-testid="error-panel" className="rounded-lg border-2 border-rose-300 bg-rose-50 p-3 shadow-sm">
      <h2 className="text-sm font-semibold text-rose-900">
        Step failed
        {err?.node ? (
          <>
            {" "}
            in{" "}
            <code data-testid="error-node" className="rounded bg-white px-1 font-mono">
              {err.node}
            </code>
          </>
        ) : null}
      </h2>
      <p data-testid="error-message" className="mt-1 whitespace-pre-wrap break-words font-mono text-xs text-rose-800">
        {err?.message ?? "Unknown error"}
      </p>
      {retries > 0 && (
        <p data-testid="error-retried" className="mt-1 text-xs font-medium text-rose-900">
          Failed again after {retries === 1 ? "a Retry" : `${retries} Retries`} with no change.
        </p>
      )}
      {attempts.length > 0 && (
        <details className="mt-2" open={attempts.length <= 6}>
          <summary className="cursor-pointer text-xs font-semibold text-rose-900">
            {attempts.length} failed {attempts.length === 1 ? "try" : "tries"} of this step
          </summary>
          <div className="mt-1">
            <FailedAttempts attempts={attempts} />
          </div>
        </details>
      )}
      {hint && <p className="mt-1 text-xs text-rose-700">Hint: {hint}</p>}
      {!editing && (
        <div className="mt-3 flex flex-wrap gap-2">
          {canRun && (
            <Button variant="primary" onClick={() => retry.mutate({})} pending={retry.isPending} data-testid="retry">
              Retry
            </Button>
          )}
          {canEdit && (
            <Button onClick={() => setEditing(true)} disabled={!head || retry.isPending} data-testid="error-edit-state">
              Edit state…
            </Button>
          )}
        </div>
      )}
      {editing && head && (
        <div className="mt-3 rounded-md bg-white p-2 ring-1 ring-rose-200">
          <StateEditForm
            key={head.checkpointId}
            testId="error-edit"
            initial={head.values ?? {}}
            channels={graph?.channels}
            submitLabel={canRun ? "Save and retry" : "Save"}
            pending={edit.isPending}
            error={edit.error}
            onCancel={() => setEditing(false)}
            onSubmit={(after, who) =>
              edit.mutate({ before: head.values ?? {}, after, ...who, then: canRun ? {} : null }, { onSuccess: () => setEditing(false) })
            }
          />
        </div>
      )}
      <div className="mt-2">
        <ActionMessage error={retry.error ? errorMessage(retry.error) : null} testId="retry" />
      </div>
    </section>
  );
}
