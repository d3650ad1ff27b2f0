import type { CheckpointMeta } from "./types";

/** Who moved a thread on and how, in words, read from the metadata of a checkpoint the change produced. */
export interface ChangeSummary {
  /** The person (metadata.actor), or null for the engine running on its own. */
  who: string | null;
  /** A verb phrase: "approved it", "rejected it", "answered it (vendor contoso, budget 1200)", "edited the state"… */
  what: string;
  /** What they wrote with it (a reject's feedback, a comment, a note, the reason), or null. */
  said: string | null;
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v.trim() : null);

/** Fields that carry what the person wrote: shown as `said`, not among the decision's words. */
const SAID = ["feedback", "comment", "note"] as const;
/** Fields a decision names itself by (the discriminator of a declared union: approval's action, Agent Inbox's type). */
const KIND = ["action", "type"] as const;
/** Verbs for the decisions the demo graphs and Agent Inbox share; any other kind reads "answered it (kind)". */
const VERB: Record<string, string> = {
  approve: "approved it",
  reject: "rejected it",
  edit: "edited it and sent it on",
  accept: "accepted it",
  ignore: "ignored it",
};
const MAX_WORDS = 60;

const short = (text: string) => (text.length > MAX_WORDS ? `${text.slice(0, MAX_WORDS)}…` : text);

/** A decision without a known verb, in a few words: its scalar fields ("vendor contoso, budget 1200"), else its JSON. */
function words(d: unknown): string {
  if (d && typeof d === "object" && !Array.isArray(d)) {
    const parts = Object.entries(d as Record<string, unknown>)
      .filter(([k, v]) => !(SAID as readonly string[]).includes(k) && v !== null && ["string", "number", "boolean"].includes(typeof v))
      .map(([k, v]) => `${k} ${String(v)}`);
    if (parts.length) return short(parts.join(", "));
  }
  return short(typeof d === "string" ? `“${d}”` : JSON.stringify(d));
}

/**
 * Every checkpoint of a run records who started it and the decision it answered (lib/server/threads.ts puts
 * actor, reason and `decision` — the resume value, whatever shape the node's resume schema declares — on the
 * run's metadata), so the thread's newest checkpoint says who moved it on, even after the run went several
 * steps further.
 */
export function describeChange(m: CheckpointMeta | undefined): ChangeSummary {
  const who = str(m?.actor);
  // A one-item list (Agent Inbox answers in a list) reads as its item.
  const raw = Array.isArray(m?.decision) && m.decision.length === 1 ? (m.decision[0] as unknown) : m?.decision;
  const fields = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>) : null;
  const said = SAID.map((k) => str(fields?.[k])).find((s) => s) ?? str(m?.reason);
  if (raw !== undefined && raw !== null) {
    const kind = KIND.map((k) => str(fields?.[k])).find((s) => s);
    const what = kind ? (VERB[kind] ?? `answered it (${short(kind)})`) : `answered it (${words(raw)})`;
    return { who, what, said };
  }
  if (m?.source === "update") return { who, what: "edited the state", said };
  if (m?.source === "fork") return { who, what: "forked it", said };
  if (m?.source === "input") return { who, what: "started a new run", said };
  return { who, what: who ? "continued the run" : "the run moved on", said };
}
