"use client";
import Link from "next/link";
import { formatDuration, shortId, SOURCE_LABEL } from "@/lib/client/format";
import type { Checkpoint, CheckpointMeta as Meta } from "@/lib/client/types";
import { FailedAttempts } from "./FailedAttempts";

type ForkedFrom = NonNullable<Meta["forkedFrom"]>;

/** "forked from <thread> @ v<n>", linking to the source checkpoint. */
export function ForkedFromLink({ from, testId = "forked-from" }: { from: ForkedFrom; testId?: string }) {
  return (
    <Link
      href={`/threads/${encodeURIComponent(from.threadId)}?cp=${encodeURIComponent(from.checkpointId)}`}
      data-testid={testId}
      className="text-teal-800 underline decoration-teal-400 underline-offset-2 hover:text-teal-950"
      title={`${from.threadId} @ ${from.checkpointId}`}
    >
      forked from <span className="font-mono">{shortId(from.threadId)}</span> @{" "}
      {from.version !== undefined ? `v${from.version}` : shortId(from.checkpointId)}
    </Link>
  );
}

/** The Metadata tab: ids, how long the step took, failed tries, who and why, the writes, pending interrupts. */
export function CheckpointMeta({ cp }: { cp: Checkpoint }) {
  const m = cp.metadata ?? { source: "loop", writes: [] };
  const rows: [string, React.ReactNode][] = [
    [
      "Checkpoint",
      <code key="id" className="break-all">
        {cp.checkpointId}
      </code>,
    ],
    [
      "Parent",
      cp.parentId ? (
        <code key="p" className="break-all">
          {cp.parentId}
        </code>
      ) : (
        "—"
      ),
    ],
    ["Version / step", `v${cp.version} · step ${cp.step}`],
    ["Node", cp.nodeName],
    ["Source", SOURCE_LABEL[m.source] ?? m.source],
    ["Next", cp.next.length ? cp.next.join(", ") : "— (finished)"],
  ];
  if (typeof m.durationMs === "number")
    rows.push([
      "Step took",
      <span key="t" data-testid="meta-duration">
        {formatDuration(m.durationMs)}
      </span>,
    ]);
  if (m.actor)
    rows.push([
      m.source === "update" || m.source === "fork" ? "Edited by" : m.decision !== undefined ? "Decided by" : "Run by",
      <span key="a" data-testid="meta-actor">
        {m.actor}
      </span>,
    ]);
  if (m.decision !== undefined)
    rows.push([
      "Decision",
      <code key="d" data-testid="meta-decision" className="break-all font-mono">
        {JSON.stringify(m.decision)}
      </code>,
    ]);
  if (m.reason)
    rows.push([
      "Reason",
      <span key="r" data-testid="meta-reason">
        {m.reason}
      </span>,
    ]);
  if (m.forkedFrom) rows.push(["Forked from", <ForkedFromLink key="f" from={m.forkedFrom} testId="meta-forked-from" />]);
  return (
    <div data-testid="checkpoint-meta" className="flex flex-col gap-3 p-3 text-xs">
      <dl className="grid grid-cols-[110px_1fr] gap-x-3 gap-y-1">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-500">{k}</dt>
            <dd className="min-w-0 text-slate-800">{v}</dd>
          </div>
        ))}
      </dl>
      {m.failedAttempts && m.failedAttempts.length > 0 && (
        <div>
          <h3 className="mb-1 font-semibold text-rose-900">
            {m.source === "update"
              ? "Failed tries of the step this edit fixes"
              : `Failed tries before this step ${cp.interrupts.length ? "paused" : "went through"}`}{" "}
            ({m.failedAttempts.length})
          </h3>
          <FailedAttempts attempts={m.failedAttempts} testId="meta-failed-attempts" />
        </div>
      )}
      <div>
        <h3 className="mb-1 font-semibold text-slate-700">Writes</h3>
        {(m.writes ?? []).length === 0 ? (
          <p className="text-slate-500">None.</p>
        ) : (
          <ul data-testid="meta-writes" className="flex flex-col gap-1">
            {m.writes.map((w, i) => (
              <li key={i} className="rounded bg-slate-50 px-2 py-1 font-mono">
                <span className="text-indigo-700">{w.node}</span> → <span className="font-semibold">{w.channel}</span>
                {w.value !== undefined && <span className="ml-2 break-all text-slate-600">{JSON.stringify(w.value).slice(0, 300)}</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
      {cp.interrupts.length > 0 && (
        <div>
          <h3 className="mb-1 font-semibold text-slate-700">Pending interrupts</h3>
          <pre className="overflow-auto rounded bg-amber-50 p-2 font-mono">{JSON.stringify(cp.interrupts, null, 2)}</pre>
        </div>
      )}
    </div>
  );
}
