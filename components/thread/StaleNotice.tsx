"use client";
import { useQuery } from "@tanstack/react-query";
import { api } from "@/lib/client/api";
import { keys } from "@/lib/client/keys";
import { SOURCE_LABEL } from "@/lib/client/format";

/** A decision in a few words, whatever its shape: its first text value ("approve", "contoso"), else its JSON. */
function decisionWords(d: unknown): string {
  const first = d && typeof d === "object" ? Object.values(d).find((v) => typeof v === "string") : d;
  const text = typeof first === "string" ? first : JSON.stringify(d);
  return `“${text.length > 60 ? `${text.slice(0, 60)}…` : text}”`;
}

/**
 * The thread moved on while the reviewer was looking at it (another reviewer decided, a run continued, someone
 * edited): say who did what, keep what the reviewer typed, and let them look at the new state before deciding.
 */
export function StaleNotice({ threadId, headId, onReview }: { threadId: string; headId: string | null; onReview: () => void }) {
  const head = useQuery({
    queryKey: headId ? keys.checkpoint(threadId, headId) : [...keys.thread(threadId), "no-head"],
    queryFn: () => api.checkpoint(threadId, headId!),
    enabled: !!headId,
  });
  const m = head.data?.metadata;
  const who = typeof m?.actor === "string" ? m.actor : null;
  const what =
    m?.decision !== undefined
      ? `answered it (${decisionWords(m.decision)})`
      : m?.source === "update"
        ? "edited the state"
        : m?.source === "fork"
          ? "forked it"
          : `moved it on (${SOURCE_LABEL[m?.source ?? "loop"] ?? m?.source ?? "run"})`;
  return (
    <div role="alert" data-testid="stale-notice" className="mt-2 rounded-md bg-rose-50 px-3 py-2 text-sm text-rose-900 ring-1 ring-rose-300">
      <p className="font-medium">This thread changed while you were looking at it.</p>
      <p className="mt-0.5" data-testid="stale-what">
        {head.data ? (
          <>
            {who ? <strong>{who}</strong> : "A run"} {what}
            {typeof m?.reason === "string" && m.reason ? <> — “{m.reason}”</> : null}; it is now at v{head.data.version}.
          </>
        ) : (
          "Loading what changed…"
        )}{" "}
        Your decision was not sent; what you typed is kept.
      </p>
      <button
        type="button"
        onClick={onReview}
        data-testid="stale-review"
        className="mt-1.5 rounded bg-rose-700 px-2.5 py-1 text-xs font-medium text-white hover:bg-rose-800"
      >
        Review the current state
      </button>
    </div>
  );
}
