/**
 * Retention over the contract (lib/checkpoint/retention.ts), the same on every backend: finished threads past
 * their age are deleted, interrupted and running ones kept, other graphs untouched; trimming keeps the newest N
 * and every branch tip with their states intact; a dry run reports exactly what the real pass then does and
 * changes nothing; a thread whose run lock is held is skipped.
 */
import { describe, expect, it } from "vitest";
import { applyRetention, parseDuration } from "../../lib/checkpoint/retention";
import type { Checkpoint, CheckpointStore, ThreadStatus } from "../../lib/checkpoint/types";
import { cp, rejectsWith, threadId, type StoreRef } from "./suite-helpers";

const DAY = 86_400_000;

/** A thread of `n` checkpoints whose state grows a list (so stores keep deltas), in `graph` with `status`. */
async function thread(store: CheckpointStore, graph: string, status: ThreadStatus, n: number, label = "r"): Promise<Checkpoint[]> {
  const t = threadId(label);
  const out: Checkpoint[] = [];
  let parent: Checkpoint | null = null;
  for (let i = 0; i < n; i++) {
    parent = await store.save(cp(t, parent, { step: i, state: { log: Array.from({ length: i + 1 }, (_, k) => `item ${k} of ${t}`), i } }));
    out.push(parent);
  }
  await store.updateThread(t, { graphId: graph, status });
  return out;
}

export function retentionTests(ref: StoreRef) {
  describe("retention", () => {
    it("deletes finished threads past their age; keeps interrupted, running, recent and other graphs' threads; a dry run changes nothing", async () => {
      const { store } = ref;
      const g = threadId("g");
      const [done] = await thread(store, g, "done", 3);
      const [waiting] = await thread(store, g, "interrupted", 2);
      const [running] = await thread(store, g, "running", 2);
      const [failed] = await thread(store, g, "error", 2);
      const [other] = await thread(store, `${g}-other`, "done", 2);
      const later = Date.now() + 2 * DAY;
      const rule = { graphId: g, deleteAfterMs: DAY };

      const plan = await applyRetention(store, rule, { now: later, dryRun: true });
      expect(plan).toMatchObject({ threadsScanned: 4, threadsDeleted: 1, checkpointsDeleted: 3, threadsPruned: 0, busy: 0 });
      expect(plan.actions).toEqual([{ threadId: done.threadId, graphId: g, action: "delete", checkpoints: 3 }]);
      expect((await store.getThread(done.threadId)).checkpointCount).toBe(3);

      // Not old enough: nothing.
      expect((await applyRetention(store, rule, { now: Date.now() })).threadsDeleted).toBe(0);

      const real = await applyRetention(store, rule, { now: later });
      expect({ ...real, actions: undefined }).toEqual({ ...plan, actions: undefined });
      expect(real.actions).toEqual(plan.actions);
      await rejectsWith(store.getThread(done.threadId), "THREAD_NOT_FOUND");
      expect(await store.list(done.threadId)).toEqual([]);
      for (const kept of [waiting, running, failed, other]) expect((await store.getThread(kept.threadId)).checkpointCount).toBeGreaterThan(0);

      // Wider statuses, interrupted threads included: everything but the running thread goes.
      const wide = await applyRetention(store, { ...rule, statuses: ["done", "error", "interrupted"], keepInterrupted: false }, { now: later });
      expect(wide.actions.map((a) => a.threadId).sort()).toEqual([waiting.threadId, failed.threadId].sort());
      expect((await store.getThread(running.threadId)).status).toBe("running");
      expect((await store.getThread(other.threadId)).status).toBe("done");
    });

    it("trims threads to their newest N, keeps every branch tip, and every survivor's state is unchanged", async () => {
      const { store } = ref;
      const g = threadId("g");
      const main = await thread(store, g, "done", 10, "trim");
      const t = main[0].threadId;
      // A branch from v3 (a fork a reviewer made), two checkpoints long: its tip must survive.
      let parent = main[2];
      const branch: Checkpoint[] = [];
      for (let i = 0; i < 2; i++) {
        parent = await store.save(cp(t, parent, { step: parent.step + 1, state: { ...parent.state, branch: i } }));
        branch.push(parent);
      }
      const small = await thread(store, g, "interrupted", 2, "small");
      const before = new Map((await store.list(t)).map((c) => [c.id, JSON.stringify(c.state)]));

      const plan = await applyRetention(store, { graphId: g, keepLatest: 3 }, { dryRun: true });
      expect((await store.list(t)).length).toBe(12);
      const real = await applyRetention(store, { graphId: g, keepLatest: 3 });
      expect(real.threadsPruned).toBe(1);
      expect(real.checkpointsDeleted).toBe(plan.checkpointsDeleted);
      expect(real.actions).toEqual(plan.actions);
      expect(real.actions).toEqual([{ threadId: t, graphId: g, action: "prune", checkpoints: 12 - (await store.list(t)).length }]);

      const left = await store.list(t);
      const leftIds = left.map((c) => c.id);
      // The newest three by version (the branch's two and main's last) and main's tip.
      expect(leftIds).toEqual(expect.arrayContaining([main[9].id, branch[1].id, branch[0].id]));
      expect(left.length).toBeLessThanOrEqual(4);
      for (const c of left) expect(JSON.stringify(c.state), `v${c.version}`).toBe(before.get(c.id));
      expect((await store.latest(t))!.id).toBe(branch[1].id);
      expect((await store.getThread(small[0].threadId)).checkpointCount).toBe(2);
    });

    it("skips a thread whose run lock is held, and reports it busy", async () => {
      const { store } = ref;
      const g = threadId("g");
      const [held] = await thread(store, g, "done", 2);
      expect((await store.acquireLock(held.threadId, "a-live-run", 60_000)).acquired).toBe(true);
      const report = await applyRetention(store, { graphId: g, deleteAfterMs: 0 });
      expect(report).toMatchObject({ threadsDeleted: 0, busy: 1 });
      expect((await store.getThread(held.threadId)).checkpointCount).toBe(2);
      await store.releaseLock(held.threadId, "a-live-run");
      expect((await applyRetention(store, { graphId: g, deleteAfterMs: 0 })).threadsDeleted).toBe(1);
    });

    it("reads durations and refuses a rule that says nothing", async () => {
      expect([parseDuration("30d"), parseDuration("12h"), parseDuration("90m"), parseDuration("45s"), parseDuration("1.5w")]).toEqual([
        30 * DAY,
        12 * 3_600_000,
        90 * 60_000,
        45_000,
        10.5 * DAY,
      ]);
      expect(() => parseDuration("soon")).toThrow(/not a duration/);
      await rejectsWith(applyRetention(ref.store, {}), "INVALID_ARGUMENT");
      await rejectsWith(applyRetention(ref.store, { keepLatest: 0 }), "INVALID_ARGUMENT");
    });
  });
}
