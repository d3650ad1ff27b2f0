"use client";
import { useCan, useMe } from "@/lib/client/hooks";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { useCreateThread, useGraphs } from "@/lib/client/hooks";
import { parseObject, pretty } from "@/lib/client/state-edit";
import { ActionMessage, Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { JsonEditor } from "../ui/JsonEditor";

/** A label for the thread list: the input's first text field (a topic, a question), shortened. */
function labelOf(input: Record<string, unknown>): Record<string, unknown> | undefined {
  const text = Object.values(input).find((v): v is string => typeof v === "string" && v.trim().length > 0);
  return text ? { label: text.trim().slice(0, 80) } : undefined;
}

/** Picks a graph, takes its JSON input (prefilled with the graph's example), starts a run, opens the thread. */
/** The New-run form for those who may start runs; a short note for everyone else. */
export function NewRunForm({ onDone }: { onDone?: () => void }) {
  const me = useMe().data;
  const canRun = useCan("run");
  if (me && !canRun)
    return (
      <Card title="New run">
        <p className="p-3 text-sm text-slate-600" data-testid="new-run-readonly">
          Starting runs needs the operator role; you are signed in as a {me.role}.
        </p>
      </Card>
    );
  return <NewRunFormBody onDone={onDone} />;
}

function NewRunFormBody({ onDone }: { onDone?: () => void }) {
  const graphs = useGraphs();
  const create = useCreateThread();
  const router = useRouter();
  const [picked, setPicked] = useState("");
  // The text typed per graph (absent: the graph's example), so it survives switching graphs back and forth.
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const list = graphs.data ?? [];
  const graph = list.find((g) => g.graphId === picked) ?? list[0];
  const graphId = graph?.graphId ?? "";
  const text = graph ? (drafts[graph.graphId] ?? pretty(graph.exampleInput ?? {})) : "";
  const setText = (value: string) => setDrafts((d) => ({ ...d, [graphId]: value }));

  const parsed = parseObject(text);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (!parsed.ok || !graphId) return;
    create.mutate(
      { graphId, input: parsed.value, metadata: labelOf(parsed.value) },
      {
        onSuccess: (thread) => {
          onDone?.();
          router.push(`/threads/${encodeURIComponent(thread.threadId)}`);
        },
      },
    );
  };

  return (
    <Card title="New run" testId="new-run-form">
      <form onSubmit={submit} className="flex flex-col gap-3 p-3">
        <label className="flex flex-col gap-1 text-sm">
          <span className="font-medium text-slate-700">Graph</span>
          <select
            data-testid="new-run-graph"
            value={graphId}
            onChange={(e) => setPicked(e.target.value)}
            className="rounded-md border-0 py-1.5 text-sm ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-500"
          >
            {graphs.isPending && <option>Loading…</option>}
            {list.map((g) => (
              <option key={g.graphId} value={g.graphId}>
                {g.title ? `${g.title} (${g.graphId})` : g.graphId}
              </option>
            ))}
          </select>
        </label>
        {graph?.description && <p className="text-xs text-slate-500">{graph.description}</p>}
        <div className="flex flex-col gap-1 text-sm">
          <div className="flex items-center justify-between">
            <span className="font-medium text-slate-700">Input (JSON)</span>
            {graph && (
              <button type="button" className="text-xs text-indigo-600 hover:underline" onClick={() => setText(pretty(graph.exampleInput ?? {}))}>
                Reset to example
              </button>
            )}
          </div>
          <JsonEditor value={text} onChange={setText} testId="new-run-input" minHeight="110px" maxHeight="260px" label="Run input" />
          {!parsed.ok && (
            <p data-testid="new-run-invalid" className="text-xs text-rose-700">
              {parsed.error}
            </p>
          )}
          {graph?.failureHint && <p className="text-xs text-slate-500">Tip: {graph.failureHint}</p>}
        </div>
        <ActionMessage error={create.error ? errorMessage(create.error) : graphs.error ? errorMessage(graphs.error) : null} testId="new-run" />
        <div className="flex justify-end">
          <Button type="submit" variant="primary" pending={create.isPending} disabled={!parsed.ok || !graphId} data-testid="new-run-submit">
            Start run
          </Button>
        </div>
      </form>
    </Card>
  );
}
