"use client";
import JsonView from "@uiw/react-json-view";
import { useState } from "react";
import { errorMessage } from "@/lib/client/api";
import type { Checkpoint, GraphDetail, Thread } from "@/lib/client/types";
import { ActionMessage, Button } from "../ui/Button";
import { editResume, useEditAndContinue, useResume } from "./actions";
import { PauseIcon } from "../ui/icons";
import { StateEditForm } from "./StateEditForm";

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
              <p data-field={k} className={`whitespace-pre-wrap break-words ${k === "problem" ? "text-rose-700" : "text-slate-900"}`}>{v}</p>
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
export function InterruptPanel({ thread, head, graph }: { thread: Thread; head: Checkpoint | undefined; graph: GraphDetail | undefined }) {
  const [mode, setMode] = useState<Mode>("idle");
  const [feedback, setFeedback] = useState("");
  const resume = useResume(thread.threadId);
  const edit = useEditAndContinue(thread.threadId, graph);
  const interrupt = thread.interrupts[0];
  const dynamic = interrupt?.kind === "dynamic";
  const busy = resume.isPending || edit.isPending;
  const headValues = head?.values ?? {};

  const approve = () => resume.mutate(dynamic ? { command: { resume: { action: "approve" } } } : {});
  const reject = (e: React.FormEvent) => {
    e.preventDefault();
    resume.mutate({ command: { resume: { action: "reject", feedback: feedback.trim() || undefined } } }, { onSuccess: () => { setFeedback(""); setMode("idle"); } });
  };

  return (
    <section data-testid="interrupt-panel" className="rounded-lg border-2 border-amber-400 bg-amber-50 p-3 shadow-sm">
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 flex-1">
          <h2 className="flex items-center gap-2 text-sm font-semibold text-amber-950">
            <span className="flex items-center gap-1 rounded bg-amber-400 px-1.5 py-0.5 text-xs"><PauseIcon /> waiting for you</span>
            {interrupt ? (
              <span>
                {interrupt.kind === "dynamic" ? "Interrupt in" : `Paused ${interrupt.kind}`} <code className="font-mono">{interrupt.node}</code>
              </span>
            ) : (
              "Interrupted"
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
      {mode === "idle" && (
        <div className="mt-3 flex flex-wrap gap-2">
          <Button variant="success" onClick={approve} pending={resume.isPending} disabled={busy} data-testid="approve">
            {dynamic ? "Approve" : "Approve & continue"}
          </Button>
          {dynamic && (
            <Button variant="danger" onClick={() => setMode("reject")} disabled={busy} data-testid="reject">
              Reject…
            </Button>
          )}
          <Button onClick={() => setMode("edit")} disabled={busy || !head} data-testid="edit-state">
            Edit state…
          </Button>
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
            <Button type="submit" variant="danger" pending={resume.isPending} disabled={!feedback.trim()} data-testid="reject-submit">
              Reject
            </Button>
          </div>
        </form>
      )}
      {mode === "edit" && head && (
        <div className="mt-3 rounded-md bg-white p-2 ring-1 ring-amber-200">
          <StateEditForm
            key={head.checkpointId}
            testId="interrupt-edit"
            initial={headValues}
            submitLabel="Save edit & resume"
            pending={edit.isPending}
            error={edit.error}
            onCancel={() => setMode("idle")}
            onSubmit={(after, who) =>
              edit.mutate(
                { before: headValues, after, ...who, then: dynamic ? { command: { resume: editResume(interrupt, after) } } : {} },
                { onSuccess: () => setMode("idle") },
              )
            }
          />
        </div>
      )}
      <div className="mt-2">
        <ActionMessage error={resume.error ? errorMessage(resume.error) : null} testId="interrupt" />
      </div>
    </section>
  );
}
