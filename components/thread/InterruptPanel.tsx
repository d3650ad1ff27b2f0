"use client";
import JsonView from "@uiw/react-json-view";
import { useEffect, useState } from "react";
import { ApiError, errorMessage } from "@/lib/client/api";
import { useCan, useMe } from "@/lib/client/hooks";
import type { Checkpoint, GraphDetail, Thread } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { editResume, useEditAndContinue, useResume } from "./actions";
import { PauseIcon } from "../ui/icons";
import { StateEditForm } from "./StateEditForm";
import { QuorumStatus } from "./QuorumStatus";
import { StaleNotice } from "./StaleNotice";

type Mode = "idle" | "reject" | "edit";

/** The interrupt's payload as a reviewer reads it: top-level fields as labelled blocks, text kept as written. */
function Payload({ value }: { value: unknown }) {
  if (!value || typeof value !== "object" || Array.isArray(value))
    return <pre className="whitespace-pre-wrap font-mono">{JSON.stringify(value ?? null, null, 2)}</pre>;
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-3 gap-y-1.5">
      {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-slate-500">{k}</dt>
          <dd className="min-w-0">
            {typeof v === "string" ? (
              <p data-field={k} className={`whitespace-pre-wrap break-words ${k === "problem" ? "text-rose-700" : "text-slate-900"}`}>
                {v}
              </p>
            ) : v && typeof v === "object" ? (
              <JsonView value={v as object} displayDataTypes={false} collapsed={2} enableClipboard={false} />
            ) : (
              <code className="font-mono text-indigo-700">{JSON.stringify(v)}</code>
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Shown while the thread waits on a human: the payload, then Approve / Reject (with a reason) / Edit state. */
export function InterruptPanel({
  thread,
  head,
  graph,
  onHold,
}: {
  thread: Thread;
  head: Checkpoint | undefined;
  graph: GraphDetail | undefined;
  /** Told whether the panel must stay on screen after the thread left the interrupt (unsent text, a notice to read). */
  onHold?: (hold: boolean) => void;
}) {
  const [mode, setMode] = useState<Mode>("idle");
  // The state the edit form was opened on: an edit sends only what the reviewer changed against IT, so after
  // the thread moved on (someone else decided) resending keeps the other person's changes to other channels.
  const [editBase, setEditBase] = useState<Record<string, unknown> | null>(null);
  const [feedback, setFeedback] = useState("");
  const resume = useResume(thread.threadId);
  const edit = useEditAndContinue(thread.threadId, graph);
  const interrupt = thread.interrupts[0];
  const dynamic = interrupt?.kind === "dynamic";
  const busy = resume.isPending || edit.isPending;
  const headValues = head?.values ?? {};
  const me = useMe().data;
  const canDecide = useCan("decide", thread.graphId);
  const canEdit = useCan("edit", thread.graphId);
  const canRun = useCan("run", thread.graphId);
  // The head the reviewer is deciding on: every decision carries it, so a thread that moved on is refused (409),
  // never silently decided. It changes only when the reviewer acknowledges a change, or after their own action.
  const [seen, setSeen] = useState(thread.headCheckpointId);
  const [acted, setActed] = useState(false);
  const moved = thread.headCheckpointId !== seen;
  // After the reviewer's own action the head moves because of them: adopt it (state adjusted while rendering,
  // React's pattern for state derived from props, so no stale frame shows a notice).
  if (moved && acted) {
    setSeen(thread.headCheckpointId);
    setActed(false);
  }
  const expectedCheckpointId = seen ?? undefined;
  const quorum = thread.quorum;
  const mine =
    me && quorum
      ? quorum.approvals.some((a) => a.actorId === `user:${me.userId}` || (me.kind === "admin-token" && a.actorId === "admin-token"))
      : false;
  const excluded = me && quorum?.excludeInitiator ? quorum.initiators.includes(me.userId ? `user:${me.userId}` : "admin-token") : false;
  // A static interrupt continues with a plain run (an operator's action); a dynamic one is a decision.
  const mayApprove = dynamic ? canDecide : canRun;
  const staleError = [resume.error, edit.error].some((e) => e instanceof ApiError && e.code === "STALE_CHECKPOINT");
  const stale = (moved && !acted) || staleError;
  const hold = stale || mode !== "idle";
  useEffect(() => onHold?.(hold), [hold, onHold]);
  const review = () => {
    setSeen(thread.headCheckpointId);
    resume.reset();
    edit.reset();
  };
  const done = () => setActed(true);

  const approve = () =>
    resume.mutate(dynamic ? { command: { resume: { action: "approve" } }, expectedCheckpointId } : { expectedCheckpointId }, { onSuccess: done });
  const reject = (e: React.FormEvent) => {
    e.preventDefault();
    resume.mutate(
      { command: { resume: { action: "reject", feedback: feedback.trim() || undefined } }, expectedCheckpointId },
      {
        onSuccess: () => {
          done();
          setFeedback("");
          setMode("idle");
        },
      },
    );
  };

  if (!canDecide && !canRun && me)
    return (
      <section data-testid="interrupt-panel" data-readonly className="rounded-lg border-2 border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
        <h2 className="flex items-center gap-2 font-semibold">
          <PauseIcon /> Waiting for a reviewer
          {interrupt ? (
            <>
              {" "}
              at <code className="font-mono">{interrupt.node}</code>
            </>
          ) : null}
        </h2>
        <p className="mt-1 text-amber-900" data-testid="readonly-note">
          You can read this thread; deciding needs the reviewer role ({me.role} now).
        </p>
        {quorum && <QuorumStatus quorum={quorum} />}
      </section>
    );

  return (
    <section data-testid="interrupt-panel" className="rounded-lg border-2 border-amber-400 bg-amber-50 p-3 shadow-sm">
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <h2 className="flex items-center gap-2 text-sm font-semibold text-amber-950">
            <span className="flex items-center gap-1 rounded bg-amber-400 px-1.5 py-0.5 text-xs">
              {/* Held open after the thread left the interrupt (a notice, unsent text): it no longer waits. */}
              <PauseIcon /> {thread.status === "interrupted" ? "waiting for you" : "no longer waiting"}
            </span>
            {interrupt ? (
              <span>
                {interrupt.kind === "dynamic" ? "Interrupt in" : `Paused ${interrupt.kind}`} <code className="font-mono">{interrupt.node}</code>
              </span>
            ) : thread.status === "interrupted" ? (
              "Interrupted"
            ) : (
              "The interrupt was answered"
            )}
          </h2>
          {interrupt && (
            <div data-testid="interrupt-payload" className="mt-2 max-h-48 overflow-auto rounded bg-white p-2 text-xs ring-1 ring-amber-200">
              {interrupt.value == null ? (
                <p className="text-slate-700">
                  The graph stops {interrupt.kind} <code className="font-mono">{interrupt.node}</code> so you can check the state first.{" "}
                  <strong>Approve &amp; continue</strong> runs it; <strong>Edit state</strong> changes the state, then continues.
                </p>
              ) : (
                <Payload value={interrupt.value} />
              )}
            </div>
          )}
        </div>
      </div>
      {quorum && <QuorumStatus quorum={quorum} mine={mine} excluded={excluded} />}
      {stale && (
        <StaleNotice
          threadId={thread.threadId}
          headId={thread.headCheckpointId}
          status={thread.status}
          typed={mode === "reject" ? feedback : undefined}
          onReview={review}
          onClose={() => {
            review();
            setMode("idle");
          }}
        />
      )}
      {mode === "idle" && (
        <div className="mt-3 flex flex-wrap gap-2">
          {mayApprove && (
            <Button
              variant="success"
              onClick={approve}
              pending={resume.isPending}
              disabled={busy || mine || excluded || !!stale}
              title={
                mine
                  ? "You have approved; another reviewer must approve too."
                  : excluded
                    ? "You started this run, so another reviewer must approve it."
                    : undefined
              }
              data-testid="approve"
            >
              {quorum ? `Approve (${quorum.approvals.length + 1} of ${quorum.required})` : dynamic ? "Approve" : "Approve & continue"}
            </Button>
          )}
          {dynamic && canDecide && (
            <Button variant="danger" onClick={() => setMode("reject")} disabled={busy || !!stale} data-testid="reject">
              Reject…
            </Button>
          )}
          {canEdit && (
            <Button
              onClick={() => {
                setEditBase(headValues);
                setMode("edit");
              }}
              disabled={busy || !head || !!stale}
              data-testid="edit-state"
            >
              Edit state…
            </Button>
          )}
        </div>
      )}
      {mode === "reject" && (
        <form onSubmit={reject} data-testid="reject-form" className="mt-3 flex flex-col gap-2">
          <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
            Reason for rejecting
            <textarea
              data-testid="reject-reason"
              autoFocus
              value={feedback}
              onChange={(e) => setFeedback(e.target.value)}
              rows={3}
              required
              placeholder="What should change?"
              className="rounded-md border-0 text-sm font-normal ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-rose-500"
            />
          </label>
          <div className="flex justify-end gap-2">
            <Button variant="ghost" onClick={() => setMode("idle")}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" pending={resume.isPending} disabled={!feedback.trim() || !!stale} data-testid="reject-submit">
              Reject
            </Button>
          </div>
        </form>
      )}
      {mode === "edit" && head && (
        <div className="mt-3 rounded-md bg-white p-2 ring-1 ring-amber-200">
          <StateEditForm
            testId="interrupt-edit"
            initial={editBase ?? headValues}
            submitLabel="Save edit & resume"
            pending={edit.isPending}
            error={edit.error}
            onCancel={() => setMode("idle")}
            onSubmit={(after, who) =>
              edit.mutate(
                {
                  before: editBase ?? headValues,
                  after,
                  ...who,
                  expectedCheckpointId,
                  then: dynamic ? { command: { resume: editResume(interrupt, after, editBase ?? headValues) } } : {},
                },
                {
                  onSuccess: () => {
                    done();
                    setMode("idle");
                  },
                },
              )
            }
          />
        </div>
      )}
      <div className="mt-2">
        <ActionMessage error={resume.error && !stale ? errorMessage(resume.error) : null} testId="interrupt" />
      </div>
    </section>
  );
}
