"use client";
import { useState } from "react";
import { errorMessage } from "@/lib/client/api";
import { pathText } from "@/lib/client/format";
import { useDiff } from "@/lib/client/hooks";
import type { Checkpoint } from "@/lib/client/types";

const KIND_CLS: Record<string, string> = {
  added: "border-emerald-400 bg-emerald-50",
  removed: "border-rose-400 bg-rose-50",
  changed: "border-amber-400 bg-amber-50",
};
const KIND_MARK: Record<string, string> = { added: "+", removed: "−", changed: "~" };

function show(v: unknown): string {
  if (v === undefined) return "";
  const s = JSON.stringify(v);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

/** The selected checkpoint's changes against its parent, or against any other checkpoint of the thread. */
export function DiffView({ threadId, cp, all }: { threadId: string; cp: Checkpoint; all: Checkpoint[] }) {
  const [against, setAgainst] = useState<string>("");
  const [versionText, setVersionText] = useState("");
  const diff = useDiff(threadId, cp.checkpointId, against || undefined);
  const base = against ? all.find((c) => c.checkpointId === against) : all.find((c) => c.checkpointId === cp.parentId);

  const pick = (text: string) => {
    setVersionText(text);
    const n = Number(text);
    const found = text.trim() && Number.isInteger(n) ? all.find((c) => c.version === n) : undefined;
    setAgainst(found ? found.checkpointId : "");
  };

  return (
    <div data-testid="diff-view" className="flex flex-col gap-2 p-3">
      <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
        <span>
          Changes from <strong data-testid="diff-base">{base ? `v${base.version}` : against ? "checkpoint" : "empty state"}</strong> to{" "}
          <strong>v{cp.version}</strong>
        </span>
        <label className="ml-auto flex items-center gap-1">
          Diff against version
          <input
            data-testid="diff-against"
            inputMode="numeric"
            placeholder="parent"
            value={versionText}
            onChange={(e) => pick(e.target.value)}
            className="w-20 rounded border-0 px-1.5 py-0.5 text-xs ring-1 ring-inset ring-slate-300"
          />
        </label>
        {versionText && !against && <span className="text-rose-600">no v{versionText}; showing parent</span>}
      </div>
      {diff.isPending && <p className="text-sm text-slate-500">Loading diff…</p>}
      {diff.error && <p className="text-sm text-rose-700">{errorMessage(diff.error)}</p>}
      {diff.data && diff.data.length === 0 && <p className="text-sm text-slate-500">No state changes.</p>}
      <ul className="flex flex-col gap-1">
        {diff.data?.map((d, i) => (
          <li
            key={i}
            data-testid="diff-entry"
            data-kind={d.kind}
            data-path={pathText(d.path)}
            className={`rounded border-l-4 px-2 py-1 font-mono text-xs ${KIND_CLS[d.kind] ?? KIND_CLS.changed}`}
          >
            <div className="flex gap-2">
              <span className="font-bold">{KIND_MARK[d.kind] ?? "~"}</span>
              <span className="font-semibold text-slate-800">{pathText(d.path)}</span>
              <span className="ml-auto text-[10px] uppercase text-slate-500">{d.kind}</span>
            </div>
            {d.kind !== "added" && <div className="break-all text-rose-800 line-through decoration-rose-300">{show(d.before)}</div>}
            {d.kind !== "removed" && <div className="break-all text-emerald-800">{show(d.after)}</div>}
          </li>
        ))}
      </ul>
    </div>
  );
}
