/**
 * Conformance: `save`'s options (SaveOptions in types.ts) — the thread patch and the lock release that ride on
 * a save, so a run's bookkeeping costs no store call of its own. Each must behave exactly like the separate
 * `updateThread` / `releaseLock` calls, and a refused save must apply neither.
 */
import { describe, expect, it } from "vitest";
import { chain, cp, rejectsWith, snapshot, threadId, type StoreRef } from "./suite-helpers";

export function saveOptionsTests(ref: StoreRef) {
  describe("save options (thread patch, lock release)", () => {
    it("a new thread's first save with a patch gets the patch over the defaults, and the save's head and count", async () => {
      const t = threadId();
      const a = await ref.store.save(cp(t), { thread: { status: "running", error: null, graphId: "g-1" } });
      expect(await ref.store.getThread(t)).toMatchObject({
        threadId: t,
        graphId: "g-1",
        status: "running",
        error: null,
        metadata: {},
        headCheckpointId: a.id,
        headVersion: 1,
        checkpointCount: 1,
      });
    });

    it("patches an existing record like updateThread (error, metadata, graphId null) and keeps what it does not name", async () => {
      const t = threadId();
      const [a] = await chain(ref.store, t, 1);
      await ref.store.updateThread(t, { graphId: "g-1", metadata: { keep: 1 }, status: "running" });
      const error = { node: "n", message: "boom", checkpointId: a.id, at: new Date().toISOString() };
      const b = await ref.store.save(cp(t, a), { thread: { status: "error", error } });
      expect(await ref.store.getThread(t)).toMatchObject({ status: "error", error, graphId: "g-1", metadata: { keep: 1 }, headCheckpointId: b.id });
      await ref.store.save(cp(t, b), { thread: { graphId: null, metadata: { other: "x" }, error: null, status: "done" } });
      const rec = await ref.store.getThread(t);
      expect(rec).toMatchObject({ status: "done", error: null, graphId: null, metadata: { other: "x" }, checkpointCount: 3 });
      // The listing by status sees the new status only.
      expect((await ref.store.listThreads({ status: "done" })).threads.map((x) => x.threadId)).toContain(t);
      expect((await ref.store.listThreads({ status: "error" })).threads.map((x) => x.threadId)).not.toContain(t);
    });

    it("releases the named owner's lock with the save, and leaves another owner's lock alone", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      const a = await ref.store.save(cp(t), { releaseLock: "owner-b" });
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
      await ref.store.save(cp(t, a), { thread: { status: "done" }, releaseLock: "owner-a" });
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toEqual({ acquired: true });
      expect((await ref.store.getThread(t)).status).toBe("done");
    });

    it("a refused save applies neither the patch nor the release", async () => {
      const t = threadId();
      const [a] = await chain(ref.store, t, 1);
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      const before = await snapshot(ref.store, [t]);
      const opts = { thread: { status: "done" as const }, releaseLock: "owner-a" };
      await rejectsWith(ref.store.save(cp(t, a, { id: a.id }), opts), "INVALID_ARGUMENT"); // existing id
      await rejectsWith(ref.store.save(cp(t, "0190a000-0000-7000-8000-000000000000"), opts), "INVALID_ARGUMENT"); // unknown parent
      await rejectsWith(ref.store.save(cp(t, a), { thread: { status: "nope" as never } }), "INVALID_ARGUMENT"); // bad patch
      await rejectsWith(ref.store.save(cp(t, a), { thread: { metadata: [] as never } }), "INVALID_ARGUMENT");
      expect(await snapshot(ref.store, [t])).toEqual(before);
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
    });
  });
}
