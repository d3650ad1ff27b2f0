"use client";
import { useEffect, useRef, useState } from "react";
import { ApiError, errorMessage } from "@/lib/client/api";
import { useCan, useMe } from "@/lib/client/hooks";
import type { Checkpoint, GraphDetail, Thread } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { useEditAndContinue, useResume } from "./actions";
import { DecisionPanel } from "./DecisionPanel";
import { PayloadBox } from "./InterruptPayload";
import { requestPanelFocus, takePanelFocus } from "./panel-focus";
import { PauseIcon } from "../ui/icons";
import { StateEditForm } from "./StateEditForm";
import { QuorumStatus } from "./QuorumStatus";
import { StaleNotice } from "./StaleNotice";

type Mode = "idle" | "decide" | "edit";

/**
 * Shown while the thread waits on a human: the payload, then the decisions the interrupting node declares
 * (DecisionPanel, drawn from its resume schema; a static interrupt offers Continue) and Edit state. After an
 * action, the next interrupt panel takes keyboard focus.
 */
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
  // What the reviewer typed in an open decision form, for the stale notice to offer when nothing waits any more.
  const [typed, setTyped] = useState("");
  const panel = useRef<HTMLElement>(null);
  const resume = useResume(thread.threadId);
  const edit = useEditAndContinue(thread.threadId, graph);
  // The interrupt in view stays after the thread leaves it (the panel may be held with a half-written answer).
  const [held, setHeld] = useState(thread.interrupts[0]);
  if (thread.interrupts[0] && thread.interrupts[0].id !== held?.id) setHeld(thread.interrupts[0]);
  const interrupt = thread.interrupts[0] ?? held;
  // The decision panel is keyed by the interrupt it answers, so a new interrupt starts with a fresh form. While a
  // form is open it keeps its key: another reviewer's answer brings a new interrupt, and remounting would drop
  // what this reviewer typed (they review the new state and send it again on the new interrupt). `closed` counts
  // the stale notice's Close, which drops the form on purpose.
  const [panelFor, setPanelFor] = useState(interrupt?.id);
  const [closed, setClosed] = useState(0);
  if (mode !== "decide" && interrupt?.id !== panelFor) setPanelFor(interrupt?.id);
  const dynamic = interrupt?.kind === "dynamic";
  const busy = resume.isPending || edit.isPending;
  const fromNode = graph?.nodes.find((n) => n.id === interrupt?.node)?.resume;
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
  // Whether the thread's new head has loaded: until it has, who moved the thread is unknown and no notice shows
  // (a decision sent meanwhile still carries the old head and is refused as stale by the server).
  const headKnown = head !== undefined && head.checkpointId === thread.headCheckpointId;
  // A move made by this same person elsewhere (a fork or a re-run from the checkpoint card, another tab of
  // theirs) while no form is open is adopted like their own action here: a notice about one's own act is noise.
  const myActorId = me?.kind === "admin-token" ? "admin-token" : me?.kind === "user" && me.userId ? `user:${me.userId}` : null;
  if (moved && !acted && headKnown && mode === "idle" && myActorId !== null && head.metadata.actorId === myActorId) {
    setSeen(thread.headCheckpointId);
  }
  const expectedCheckpointId = seen ?? undefined;
  const quorum = thread.quorum;
  const mine =
    me && quorum
      ? quorum.approvals.some((a) => a.actorId === `user:${me.userId}` || (me.kind === "admin-token" && a.actorId === "admin-token"))
      : false;
  const excluded = me && quorum?.excludeInitiator ? quorum.initiators.includes(me.userId ? `user:${me.userId}` : "admin-token") : false;
  // A static interrupt continues with a plain run (an operator's action); a dynamic one is a decision (DecisionPanel).
  const staleError = [resume.error, edit.error].some((e) => e instanceof ApiError && e.code === "STALE_CHECKPOINT");
  const stale = (moved && !acted && headKnown) || staleError;
  const hold = stale || mode !== "idle";
  useEffect(() => onHold?.(hold), [hold, onHold]);
  const review = () => {
    setSeen(thread.headCheckpointId);
    resume.reset();
    edit.reset();
  };
  const done = () => {
    setActed(true);
    requestPanelFocus();
  };
  const interruptId = interrupt?.id;
  useEffect(() => {
    if (interruptId && takePanelFocus()) panel.current?.focus();
  }, [interruptId]);
  // The interrupt's own schema (LangGraph.js `interrupt(value, { responseSchema })`), else the node's declared one.
  const resumeSchema = (interrupt?.responseSchema as typeof fromNode | undefined) ?? fromNode;

  const answer = (value: unknown, close: () => void) =>
    resume.mutate(
      { command: { resume: value }, expectedCheckpointId },
      {
        onSuccess: () => {
          done();
          close();
        },
      },
    );
  const proceed = () => resume.mutate({ expectedCheckpointId }, { onSuccess: done });
  const editButton = canEdit && (
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
  );

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
    <section
      ref={panel}
      tabIndex={-1}
      aria-label="Waiting for your decision"
      data-testid="interrupt-panel"
      className="rounded-lg border-2 border-amber-400 bg-amber-50 p-3 shadow-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
    >
      {/* While a form is open the payload stays in view: it sticks to the top as the form scrolls under it. */}
      <div
        data-sticky={mode !== "idle" || undefined}
        className={`flex flex-wrap items-start gap-3 ${mode !== "idle" ? "sticky top-0 z-10 bg-amber-50 pb-2" : ""}`}
      >
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
            <PayloadBox value={interrupt.value} compact={mode !== "idle"}>
              {interrupt.value == null ? (
                <p className="text-slate-700">
                  The graph stops {interrupt.kind} <code className="font-mono">{interrupt.node}</code> so you can check the state first.{" "}
                  <strong>Continue</strong> runs it; <strong>Edit state</strong> changes the state, then continues.
                </p>
              ) : null}
            </PayloadBox>
          )}
        </div>
      </div>
      {quorum && <QuorumStatus quorum={quorum} mine={mine} excluded={excluded} />}
      {stale && (
        <StaleNotice
          threadId={thread.threadId}
          headId={thread.headCheckpointId}
          status={thread.status}
          typed={mode === "decide" ? typed : undefined}
          onReview={review}
          onClose={() => {
            review();
            setMode("idle");
            setClosed((n) => n + 1);
          }}
        />
      )}
      {mode !== "edit" && dynamic && canDecide && !graph && (
        // The decisions come from the graph's description: nothing to offer (not even the JSON fallback) until it is here.
        <p className="mt-3 text-sm text-slate-600" data-testid="decisions-loading">
          Loading the decisions…
        </p>
      )}
      {mode !== "edit" && dynamic && canDecide && graph && (
        <DecisionPanel
          key={`${panelFor}:${closed}`}
          schema={resumeSchema}
          payload={interrupt?.value}
          pending={resume.isPending}
          error={resume.error}
          disabled={busy || !!stale}
          firstLabelSuffix={quorum ? `(${quorum.approvals.length + 1} of ${quorum.required})` : undefined}
          firstDisabled={mine || excluded}
          firstTitle={
            mine
              ? "You have approved; another reviewer must approve too."
              : excluded
                ? "You started this run, so another reviewer must approve it."
                : undefined
          }
          onAnswer={answer}
          onOpen={(open) => setMode(open ? "decide" : "idle")}
          onTyped={setTyped}
          onCancel={() => panel.current?.focus()}
        >
          {editButton}
        </DecisionPanel>
      )}
      {mode === "idle" && !(dynamic && canDecide) && (
        <div className="mt-3 flex flex-wrap gap-2">
          {!dynamic && canRun && (
            <Button variant="success" onClick={proceed} pending={resume.isPending} disabled={busy || !!stale} data-testid="continue">
              Continue
            </Button>
          )}
          {editButton}
        </div>
      )}
      {mode === "edit" && head && (
        <div className="mt-3 rounded-md bg-white p-2 ring-1 ring-amber-200">
          <StateEditForm
            testId="interrupt-edit"
            initial={editBase ?? headValues}
            channels={graph?.channels}
            submitLabel={dynamic ? "Save and send back for review" : canRun ? "Save and continue" : "Save"}
            submitHint={
              dynamic
                ? `"${interrupt?.node}" runs again with your edit and asks again.`
                : canRun
                  ? "The run continues from your edit."
                  : "The thread stays paused with your edit."
            }
            pending={edit.isPending}
            error={edit.error}
            onCancel={() => {
              setMode("idle");
              panel.current?.focus();
            }}
            onSubmit={(after, who) =>
              edit.mutate(
                {
                  before: editBase ?? headValues,
                  after,
                  ...who,
                  expectedCheckpointId,
                  ...(dynamic ? { reask: true } : { then: canRun ? {} : null }),
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
        <ActionMessage
          error={
            resume.error && !stale && !(mode === "decide" && resume.error instanceof ApiError && resume.error.code === "INVALID_RESUME")
              ? errorMessage(resume.error)
              : null
          }
          testId="interrupt"
        />
      </div>
    </section>
  );
}
