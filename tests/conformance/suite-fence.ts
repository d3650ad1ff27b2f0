/**
 * Conformance: saves fenced by the run lock (SaveOptions.lockOwner in types.ts) and the renewal a run makes
 * with `stealLock(t, owner, owner)`. A run that stalled past its lease while another process took the thread
 * over must not be able to append one more step: the check and the write are one atomic step on every store.
 */
import { describe, expect, it } from "vitest";
import type { Checkpoint } from "../../lib/checkpoint/types";
import { chain, cp, rejectsWith, sleep, snapshot, threadId, type StoreRef } from "./suite-helpers";

export function fenceTests(ref: StoreRef) {
  describe("saves fenced by the run lock", () => {
    it("saves while the owner holds the lock, and with releaseLock releases it in the same step", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      const a = await ref.store.save(cp(t), { lockOwner: "owner-a", thread: { status: "running" } });
      const b = await ref.store.save(cp(t, a), { lockOwner: "owner-a", releaseLock: "owner-a", thread: { status: "done" } });
      expect((await ref.store.list(t)).map((c) => c.id)).toEqual([a.id, b.id]);
      expect((await ref.store.getThread(t)).status).toBe("done");
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toEqual({ acquired: true });
    });

    it("refuses, changing nothing, when another owner took the lock over or nobody holds it", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      const [a] = await chain(ref.store, t, 1);
      expect(await ref.store.stealLock(t, "owner-b", "owner-a", 60_000)).toBe(true);
      const before = await snapshot(ref.store, [t]);
      const err = await rejectsWith(
        ref.store.save(cp(t, a), { lockOwner: "owner-a", releaseLock: "owner-a", thread: { status: "done" } }),
        "THREAD_BUSY",
      );
      expect(err.details).toMatchObject({ threadId: t, fenced: true, lockOwner: "owner-a", owner: "owner-b" });
      expect(await snapshot(ref.store, [t])).toEqual(before);
      expect(await ref.store.acquireLock(t, "owner-c", 60_000)).toMatchObject({ acquired: false, owner: "owner-b" });
      // Released (the new owner finished): still refused, and nothing is written.
      await ref.store.releaseLock(t, "owner-b");
      const gone = await rejectsWith(ref.store.save(cp(t, a), { lockOwner: "owner-a" }), "THREAD_BUSY");
      expect(gone.details).toMatchObject({ fenced: true, owner: null });
      expect(await snapshot(ref.store, [t])).toEqual(before);
      // A first save of a new thread is fenced too: no thread record appears.
      const fresh = threadId();
      await rejectsWith(ref.store.save(cp(fresh), { lockOwner: "owner-a" }), "THREAD_BUSY");
      await rejectsWith(ref.store.getThread(fresh), "THREAD_NOT_FOUND");
      await rejectsWith(ref.store.save(cp(fresh), { lockOwner: "bad owner!" }), "INVALID_ID");
    });

    it("a lease that ran out still fences for its owner until another owner takes it over", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 40)).acquired).toBe(true);
      await sleep(80);
      // Redis lets the key expire: the lease is gone, so the save is refused there; the others keep the row.
      const late = ref.store.save(cp(t), { lockOwner: "owner-a" });
      if (ref.store.kind === "redis") await rejectsWith(late, "THREAD_BUSY");
      else await late;
      expect((await ref.store.acquireLock(t, "owner-b", 60_000)).acquired).toBe(true);
      await rejectsWith(ref.store.save(cp(t), { lockOwner: "owner-a" }), "THREAD_BUSY");
    });

    it("renews with stealLock(owner, owner) only a lock the owner still holds", async () => {
      const t = threadId();
      expect(await ref.store.stealLock(t, "owner-a", "owner-a", 60_000)).toBe(false); // free: not taken
      expect(await ref.store.acquireLock(t, "owner-c", 60_000)).toEqual({ acquired: true });
      await ref.store.releaseLock(t, "owner-c");
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      expect(await ref.store.stealLock(t, "owner-a", "owner-a", 60_000)).toBe(true);
      expect(await ref.store.stealLock(t, "owner-b", "owner-a", 60_000)).toBe(true);
      expect(await ref.store.stealLock(t, "owner-a", "owner-a", 60_000)).toBe(false);
      expect(await ref.store.acquireLock(t, "owner-c", 60_000)).toMatchObject({ acquired: false, owner: "owner-b" });
    });

    it("across two instances, no fenced save lands after another owner's takeover", async () => {
      const t = threadId();
      const second = await ref.init.createSecond(ref.store);
      try {
        expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
        let head: Checkpoint = await ref.store.save(cp(t, null, { metadata: { source: "input", writes: [], by: "a" } }), { lockOwner: "owner-a" });
        // Owner a saves as fast as it can; owner b takes the lock over on the second instance meanwhile.
        let refused = false;
        const runA = (async () => {
          for (let i = 0; i < 20_000 && !refused; i++) {
            await new Promise((r) => setImmediate(r)); // let the takeover's timer run, even on the in-memory store
            try {
              head = await ref.store.save(cp(t, head, { step: i, metadata: { source: "loop", writes: [], by: "a" } }), { lockOwner: "owner-a" });
            } catch (err) {
              refused = true;
              return err;
            }
          }
          return null;
        })();
        await sleep(20);
        expect(await second.stealLock(t, "owner-b", "owner-a", 60_000)).toBe(true);
        const tookOver = await second.save(cp(t, null, { step: 999, metadata: { source: "fork", writes: [], by: "b" } }), { lockOwner: "owner-b" });
        const err = await runA;
        expect(refused, "owner a kept saving after the takeover").toBe(true);
        expect((err as { code?: string }).code).toBe("THREAD_BUSY");
        const all = await ref.store.list(t); // oldest first
        const at = all.findIndex((c) => c.id === tookOver.id);
        expect(at).toBeGreaterThan(0);
        expect(all.slice(at + 1).map((c) => c.metadata.by)).toEqual([]);
        expect(all.slice(0, at).every((c) => c.metadata.by === "a")).toBe(true);
      } finally {
        await second.close();
      }
    });
  });
}
