"use client";
import { clock, formatDuration } from "@/lib/client/format";
import type { FailedAttempt } from "@/lib/client/types";

/**
 * Every failed try of a step, oldest first: when, which node, attempt n of m, how long, the message. Tries of a
 * later Retry carry the next run number, so a Retry that failed again reads as such.
 */
export function FailedAttempts({ attempts, testId = "failed-attempts" }: { attempts: FailedAttempt[]; testId?: string }) {
  const runs = new Set(attempts.map((a) => a.run)).size;
  return (
    <ol data-testid={testId} className="flex flex-col gap-1">
      {attempts.map((a, i) => (
        <li
          key={i}
          data-testid="failed-attempt"
          data-node={a.node}
          data-attempt={a.attempt}
          data-run={a.run}
          className="rounded bg-white/80 px-2 py-1 text-xs ring-1 ring-rose-200"
        >
          <div className="flex flex-wrap items-baseline gap-x-2 text-slate-700">
            <code className="font-mono font-semibold text-rose-900">{a.node}</code>
            <span data-testid="failed-attempt-n" className="font-medium text-rose-900">
              attempt {a.attempt} of {a.maxAttempts}
            </span>
            {runs > 1 && <span className="text-slate-600">{a.run === 1 ? "first run" : `retry ${a.run - 1}`}</span>}
            {a.startedAt && (
              <span className="font-mono text-slate-600" title={a.startedAt}>
                {clock(a.startedAt)}
              </span>
            )}
            {a.durationMs !== undefined && <span className="text-slate-600">{formatDuration(a.durationMs)}</span>}
          </div>
          {a.message && <p className="mt-0.5 whitespace-pre-wrap break-words font-mono text-rose-800">{a.message}</p>}
        </li>
      ))}
    </ol>
  );
}
