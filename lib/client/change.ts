import type { CheckpointMeta } from "./types";

/** Who moved a thread on and how, in words, read from the metadata of a checkpoint the change produced. */
export interface ChangeSummary {
  /** The person (metadata.actor), or null for the engine running on its own. */
  who: string | null;
  /** A verb phrase: "approved it", "rejected it", "edited the state"… */
  what: string;
  /** What they wrote with it (a reject's feedback, a comment, the reason), or null. */
  said: string | null;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);

/**
 * Every checkpoint of a run records who started it and the decision it answered (lib/server/threads.ts puts
 * actor, reason and `decision` — the resume value — on the run's metadata), so the thread's newest checkpoint
 * says who moved it on, even after the run went several steps further.
 */
export function describeChange(m: CheckpointMeta | undefined): ChangeSummary {
  const who = str(m?.actor);
  const decision = m?.decision && typeof m.decision === "object" ? (m.decision as Record<string, unknown>) : null;
  const action = str(decision?.action);
  const said = str(decision?.feedback) ?? str(decision?.comment) ?? str(m?.reason);
  if (action) {
    const what =
      action === "approve"
        ? "approved it"
        : action === "reject"
          ? "rejected it"
          : action === "edit"
            ? "edited it and sent it on"
            : `answered it (${action})`;
    return { who, what, said };
  }
  if (m?.source === "update") return { who, what: "edited the state", said };
  if (m?.source === "fork") return { who, what: "forked it", said };
  if (m?.source === "input") return { who, what: "started a new run", said };
  return { who, what: who ? "continued the run" : "the run moved on", said };
}
