/**
 * Conformance: the run's bookkeeping folded into other calls (issue 10) — `save`'s options (SaveOptions in
 * types.ts: the thread patch and the lock release that ride on a save) and `acquireLock`'s `latest`. Each must
 * behave exactly like the separate `updateThread` / `releaseLock` / `latest` calls, and a refused call must
 * apply nothing.
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

    it("acquireLock with latest reads the thread's newest checkpoint with the lock, only when acquired", async () => {
      const t = threadId();
      expect(await ref.store.acquireLock(t, "owner-a", 60_000, { latest: true })).toEqual({ acquired: true, latest: null });
      await ref.store.releaseLock(t, "owner-a");
      const cps = await chain(ref.store, t, 3);
      const got = await ref.store.acquireLock(t, "owner-a", 60_000, { latest: true });
      expect(got).toEqual({ acquired: true, latest: await ref.store.latest(t) });
      expect(got.acquired && got.latest?.id).toBe(cps[2].id);
      expect(await ref.store.acquireLock(t, "owner-a", 60_000)).toEqual({ acquired: true }); // not asked: not read
      const refused = await ref.store.acquireLock(t, "owner-b", 60_000, { latest: true });
      expect(refused).toMatchObject({ acquired: false, owner: "owner-a" });
      expect("latest" in refused).toBe(false);
      await rejectsWith(ref.store.acquireLock(threadId(), "owner-c", 60_000, 5 as never), "INVALID_ARGUMENT");
    });
  });
}
