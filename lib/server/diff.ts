import "server-only";
import type { Checkpoint, CheckpointStore } from "../checkpoint/types";
import type { ApiDiff } from "../api/responses";
import type { Caller } from "./auth/caller";
import type { Runtime } from "./runtime";
import { diffStates } from "./state-diff";
import { langGraphView } from "./runnable/lg-view";
import { checkpointOf, readable } from "./threads";

/** Summaries read per page while looking for the previous interrupt (states are never read). */
const PAGE = 500;

/**
 * The changes to the checkpoint from `against` when given; otherwise, at an interrupt, from the previous time
 * the same node waited on this branch ("what changed since the last draft?"), else from the parent, else from
 * an empty state. Long array tails are summarised (state-diff.ts).
 */
export async function diffCheckpoint(rt: Runtime, who: Caller, threadId: string, checkpointId: string, against?: string): Promise<ApiDiff> {
  await readable(rt, who, threadId);
  const cp = await checkpointOf(rt, threadId, checkpointId);
  let basis: ApiDiff["basis"] = "chosen";
  let otherId: string | null | undefined = against;
  if (otherId === undefined) {
    const node = cp.interrupts[0]?.node;
    otherId = node ? await previousInterrupt(rt.store, cp, node) : null;
    basis = otherId ? "interrupt" : cp.parentId ? "parent" : "empty";
    otherId ??= cp.parentId;
  }
  // The other side may be in another thread (a fork copied into a new thread diffs against its source).
  const other = otherId ? await rt.store.load(otherId) : null;
  if (other && other.threadId !== threadId) who.authorize("read", (await rt.store.getThread(other.threadId).catch(() => null))?.graphId ?? null);
  return {
    checkpointId: cp.id,
    againstId: other?.id ?? null,
    againstVersion: other?.version ?? null,
    basis,
    // LangGraph.js states compared as shown (user channels, readable messages: runnable/lg-view.ts).
    changes: diffStates(other ? langGraphView(other).state : {}, langGraphView(cp).state),
  };
}

/**
 * The nearest ancestor of `cp` where `node` waited too, or null. Walks the thread's summaries newest first from
 * just below `cp` (an ancestor always has a lower version), following parent links, so only summaries are read
 * and the walk stops at the first match.
 */
async function previousInterrupt(store: CheckpointStore, cp: Checkpoint, node: string): Promise<string | null> {
  let wanted = cp.parentId;
  let before = cp.version;
  while (wanted) {
    const page = await store.listSummaries(cp.threadId, { order: "desc", before, limit: PAGE });
    for (const s of page) {
      if (s.id !== wanted) continue;
      if (s.interrupts.some((i) => i.node === node)) return s.id;
      wanted = s.parentId;
      if (!wanted) return null;
    }
    if (page.length < PAGE) return null;
    before = page[page.length - 1].version;
  }
  return null;
}
