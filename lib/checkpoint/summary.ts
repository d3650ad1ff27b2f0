/**
 * Checkpoint summaries (see `CheckpointSummary` in types.ts): the few fields a timeline shows.
 *
 * Every store computes the part of a summary that comes from the big JSON fields (`summaryExtra`: interrupts
 * without values, source, actor, reason, written channel names) ONCE, at save time, from the checkpoint it is
 * saving, and keeps it beside the checkpoint (memory entry, file index line, SQL `summary` column, Redis hash
 * field `s`). `listSummaries` then assembles summaries from that and the small scalar fields, never touching
 * `state`, `pendingWrites` or `metadata.writes`. `toSummary` is the reference: what a summary must equal.
 */
import type { Checkpoint, CheckpointSummary } from "./types";

/** The part of a summary derived from `interrupts` and `metadata` (the fields that may be big). */
export type SummaryExtra = Pick<
  CheckpointSummary,
  "interrupts" | "source" | "actor" | "reason" | "channels" | "durationMs" | "failedAttempts" | "namespace"
>;

/** The rest: plain fields every store has at hand (columns, index entries). */
export type SummaryHead = Omit<CheckpointSummary, keyof SummaryExtra>;

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Computed from a checkpoint before or after the JSON round trip (same result: only JSON values are read).
 * Malformed parts (a non-list `writes`, a write without a string channel) contribute nothing.
 */
export function summaryExtra(cp: Pick<Checkpoint, "interrupts" | "metadata" | "namespace">): SummaryExtra {
  const md = cp.metadata ?? ({} as Checkpoint["metadata"]);
  const channels = new Set<string>();
  if (Array.isArray(md.writes)) for (const w of md.writes) if (typeof w?.channel === "string") channels.add(w.channel);
  return {
    interrupts: (Array.isArray(cp.interrupts) ? cp.interrupts : []).map((i) => ({ id: i?.id, node: i?.node, kind: i?.kind })),
    source: md.source,
    actor: str(md.actor),
    reason: str(md.reason),
    channels: [...channels],
    durationMs: typeof md.durationMs === "number" ? md.durationMs : null,
    failedAttempts: (Array.isArray(md.failedAttempts) ? md.failedAttempts : []).map((f) => ({
      node: f?.node,
      attempt: f?.attempt,
      maxAttempts: f?.maxAttempts,
      run: f?.run,
    })),
    // Kept with the rest (summary column / field / index line), so listing summaries needs no other column.
    ...(cp.namespace ? { namespace: cp.namespace } : {}),
  };
}

/**
 * A SummaryExtra as the SQL stores keep it (`summary` column, also in SQLite's covering index): fields at their
 * default (no interrupts, no actor or reason, no failed attempts, no duration) left out, so a plain step's
 * summary costs about half. `assembleSummary` fills them back in; rows written in the full form read the same.
 */
export function compactSummary(x: SummaryExtra): Partial<SummaryExtra> {
  const out: Partial<SummaryExtra> = {};
  if (x.interrupts.length > 0) out.interrupts = x.interrupts;
  if (x.source !== undefined) out.source = x.source;
  if (x.actor !== null) out.actor = x.actor;
  if (x.reason !== null) out.reason = x.reason;
  out.channels = x.channels;
  if (x.durationMs !== null && x.durationMs !== undefined) out.durationMs = x.durationMs;
  if (x.failedAttempts && x.failedAttempts.length > 0) out.failedAttempts = x.failedAttempts;
  if (x.namespace) out.namespace = x.namespace;
  return out;
}

/** Builds a summary with its fields in the contract's order (so API JSON reads the same from every store). */
export function assembleSummary(h: SummaryHead, x: Partial<SummaryExtra>): CheckpointSummary {
  return {
    id: h.id,
    threadId: h.threadId,
    parentId: h.parentId,
    version: h.version,
    step: h.step,
    nodeName: h.nodeName,
    next: h.next,
    // Fields at their default are absent from compact summaries (`compactSummary`), and the last two from
    // summaries kept before they existed.
    interrupts: x.interrupts ?? [],
    source: x.source as SummaryExtra["source"],
    actor: x.actor ?? null,
    reason: x.reason ?? null,
    channels: x.channels ?? [],
    timestamp: h.timestamp,
    durationMs: x.durationMs ?? null,
    failedAttempts: x.failedAttempts ?? [],
    ...(x.namespace ? { namespace: x.namespace } : {}),
  };
}

/** The summary of a full checkpoint: what every store's `listSummaries` must return for it. */
export function toSummary(cp: Checkpoint): CheckpointSummary {
  return assembleSummary(cp, summaryExtra(cp));
}
