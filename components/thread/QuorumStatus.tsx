"use client";
import { timeAgo } from "@/lib/client/format";
import type { Quorum } from "@/lib/client/types";

/** Two-person approval: who has approved this checkpoint, and how many more approvals it needs. */
export function QuorumStatus({ quorum, mine = false, excluded = false }: { quorum: Quorum; mine?: boolean; excluded?: boolean }) {
  const left = quorum.required - quorum.approvals.length;
  return (
    <div
      data-testid="quorum"
      data-approvals={quorum.approvals.length}
      data-required={quorum.required}
      className="mt-2 rounded-md bg-white px-2.5 py-2 text-xs text-slate-700 ring-1 ring-amber-200"
    >
      <p className="font-medium text-slate-900">
        Needs {quorum.required} approvals from different reviewers{quorum.excludeInitiator ? ", not the requester" : ""} · {left} to go
      </p>
      {quorum.approvals.length > 0 && (
        <ul className="mt-1 flex flex-col gap-0.5" data-testid="quorum-approvals">
          {quorum.approvals.map((a) => (
            <li key={a.actorId}>
              <span aria-hidden className="text-emerald-700">
                ✓{" "}
              </span>
              <strong>{a.name}</strong> approved {timeAgo(a.at)}
            </li>
          ))}
        </ul>
      )}
      {mine && <p className="mt-1 text-slate-600">You have approved; waiting for another reviewer.</p>}
      {excluded && !mine && (
        <p className="mt-1 text-slate-600">You started this run, so your approval cannot count; another reviewer must approve.</p>
      )}
    </div>
  );
}
