"use client";
import Link from "next/link";
import { shortId } from "@/lib/client/format";
import { useForks } from "@/lib/client/hooks";
import type { Thread } from "@/lib/client/types";
import { ForkedFromLink } from "./CheckpointMeta";

/** Where this thread was forked from (a link to the source checkpoint) and the threads forked from it. */
export function ThreadLineage({ thread }: { thread: Thread }) {
  const forks = useForks(thread.threadId);
  const from = thread.metadata?.forkedFrom as { threadId?: unknown; checkpointId?: unknown; version?: unknown } | undefined;
  const source =
    from && typeof from.threadId === "string" && typeof from.checkpointId === "string"
      ? { threadId: from.threadId, checkpointId: from.checkpointId, version: typeof from.version === "number" ? from.version : undefined }
      : null;
  const list = forks.data?.forks ?? [];
  if (!source && list.length === 0) return null;
  return (
    <div data-testid="thread-lineage" className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-700">
      {source && <ForkedFromLink from={source} testId="thread-forked-from" />}
      {list.length > 0 && (
        <span className="flex flex-wrap items-center gap-1.5" data-testid="thread-forks">
          <span className="text-slate-600">
            Forked into {list.length} thread{list.length === 1 ? "" : "s"}
            {forks.data?.capped ? " (among the newest 10,000)" : ""}:
          </span>
          {list.map((f) => (
            <Link
              key={f.threadId}
              href={`/threads/${encodeURIComponent(f.threadId)}`}
              data-testid="thread-fork"
              data-thread-id={f.threadId}
              className="rounded bg-teal-50 px-1.5 py-0.5 font-mono text-teal-900 ring-1 ring-teal-200 hover:bg-teal-100"
              title={`${f.threadId} (${f.status}), forked from ${f.version !== null ? `v${f.version}` : f.checkpointId}`}
            >
              {shortId(f.threadId)}
              {f.version !== null && <span className="text-teal-700"> from v{f.version}</span>}
            </Link>
          ))}
        </span>
      )}
    </div>
  );
}
