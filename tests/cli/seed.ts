/**
 * A store full of what real use leaves behind, for the migration and command tests: threads of several graphs
 * and statuses, growing states (so stores keep deltas), branches made by forks, pending interrupts with pending
 * writes, failed threads with their error, metadata labels, pruned threads whose versions have gaps, and
 * subgraph checkpoints (a namespace) carrying a task's appended writes (idx, task path, a special write).
 */
import { newCheckpointId } from "@/lib/checkpoint/ids";
import type { Checkpoint, CheckpointStore, ThreadStatus } from "@/lib/checkpoint/types";

export interface Seeded {
  threads: number;
  checkpoints: number;
}

export async function seed(store: CheckpointStore, threads: number, prefix = "m"): Promise<Seeded> {
  let checkpoints = 0;
  for (let i = 0; i < threads; i++) {
    const t = `${prefix}-${String(i).padStart(5, "0")}`;
    let parent: Checkpoint | null = null;
    const steps = 2 + (i % 3);
    const saved: Checkpoint[] = [];
    for (let s = 0; s < steps; s++) {
      const waiting = s === steps - 1 && i % 7 === 0;
      parent = await store.save({
        id: newCheckpointId(),
        threadId: t,
        parentId: parent?.id ?? null,
        step: s - 1,
        nodeName: s === 0 ? "__input__" : waiting ? "review" : "work",
        state: { topic: `thread ${i}`, log: Array.from({ length: s + 1 }, (_, k) => ({ k, text: `entry ${k} of ${t} — naïve café ✓` })), n: s },
        next: waiting ? ["review"] : s === steps - 1 ? [] : ["work"],
        interrupts: waiting
          ? [{ id: newCheckpointId(), node: "review", kind: "dynamic", value: { question: `Approve ${t}?`, draft: `draft ${i}` } }]
          : [],
        pendingWrites: waiting ? [{ node: "side", channel: "log", value: { k: 99, text: "a sibling's write" } }] : [],
        metadata: { source: s === 0 ? "input" : "loop", runId: `run-${i}`, writes: [] },
        timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, s, i % 1000)).toISOString(),
      });
      saved.push(parent);
      checkpoints++;
    }
    if (i % 10 === 0) {
      // A fork from the first checkpoint: a second branch, with an author.
      await store.save({
        id: newCheckpointId(),
        threadId: t,
        parentId: saved[0].id,
        step: 0,
        nodeName: "__fork__",
        state: { ...saved[0].state, forked: true },
        next: ["work"],
        interrupts: [],
        pendingWrites: [],
        metadata: { source: "fork", actor: "Rita Reviewer", reason: "try another topic", writes: [] },
        timestamp: new Date(Date.UTC(2026, 10, 1, 1, 0, 0)).toISOString(),
      });
      checkpoints++;
    }
    if (i % 6 === 4) {
      // A subgraph's two checkpoints after the root's last one (newest, but never the head), with a task's writes.
      let sub: Checkpoint = saved[steps - 1];
      for (let k = 0; k < 2; k++) {
        sub = await store.save({
          id: newCheckpointId(),
          threadId: t,
          namespace: `sub:${i}|inner:${k}`,
          parentId: sub.id,
          step: k,
          nodeName: "inner",
          state: { inner: k, note: `subgraph of ${t}` },
          next: k ? [] : ["inner"],
          interrupts: [],
          pendingWrites: [],
          metadata: { source: "loop", writes: [], "langgraph.step": k },
          timestamp: new Date(Date.UTC(2026, 10, 1, 2, 0, k)).toISOString(),
        });
        checkpoints++;
      }
      await store.appendWrites(sub.id, `task-${i}`, [
        { idx: 0, channel: "inner", value: { done: true }, taskPath: "~__pregel_pull, inner" },
        { idx: -3, channel: "__interrupt__", value: [{ value: "ask", id: "int-1" }], encoding: "json" },
      ]);
    }
    if (i % 25 === 3 && steps >= 4) {
      // A pruned thread: versions with a gap.
      await store.delete(saved[1].id);
      checkpoints--;
    }
    const status: ThreadStatus = i % 7 === 0 ? "interrupted" : i % 11 === 0 ? "error" : i % 5 === 0 ? "cancelled" : "done";
    await store.updateThread(t, {
      graphId: i % 2 ? "approval" : "pipeline",
      status,
      error: status === "error" ? { node: "work", message: `boom in ${t}`, checkpointId: saved.at(-1)!.id, at: "2026-11-01T00:00:09.000Z" } : null,
      metadata: { label: `Label ${i}`, team: i % 3 ? "blue" : "red" },
    });
  }
  return { threads, checkpoints };
}
