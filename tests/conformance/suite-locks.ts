/**
 * Conformance: the per-thread run lock (acquire / renew / expire / steal / release), shared by every
 * instance on the same backing storage. Expiry is tested by waiting past a short ttl, never by timing.
 */
import { describe, expect, it } from "vitest";
import { sleep, threadId, type StoreRef } from "./suite-helpers";

export function lockTests(ref: StoreRef) {
  describe("run lock", () => {
    it("acquires, renews for the same owner and refuses another owner, reporting holder and expiry", async () => {
      const t = threadId();
      const t0 = Date.now();
      expect(await ref.store.acquireLock(t, "owner-a", 60_000)).toEqual({ acquired: true });
      expect(await ref.store.acquireLock(t, "owner-a", 60_000)).toEqual({ acquired: true });
      const refused = await ref.store.acquireLock(t, "owner-b", 60_000);
      expect(refused.acquired).toBe(false);
      if (refused.acquired) return;
      expect(refused.owner).toBe("owner-a");
      expect(typeof refused.expiresAt).toBe("number");
      expect(refused.expiresAt).toBeGreaterThan(t0);
      expect(refused.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000 + 5_000);
      // Locks are per thread.
      expect(await ref.store.acquireLock(threadId(), "owner-b", 60_000)).toEqual({ acquired: true });
    });

    it("is held across two instances on the same storage", async () => {
      const t = threadId();
      const second = await ref.init.createSecond(ref.store);
      try {
        expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
        expect(await second.acquireLock(t, "owner-b", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
        await second.releaseLock(t, "owner-b");
        expect(await second.acquireLock(t, "owner-b", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
        await ref.store.releaseLock(t, "owner-a");
        expect(await second.acquireLock(t, "owner-b", 60_000)).toEqual({ acquired: true });
        expect(await ref.store.acquireLock(t, "owner-a", 60_000)).toMatchObject({ acquired: false, owner: "owner-b" });
        // Racing acquirers on both instances: exactly one wins.
        const t2 = threadId();
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? second : ref.store).acquireLock(t2, `racer-${i}`, 60_000)));
        expect(results.filter((r) => r.acquired)).toHaveLength(1);
      } finally {
        await second.close();
      }
    });

    it("expires after its ttl, and renewal extends it", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 150)).acquired).toBe(true);
      await sleep(400);
      expect(await ref.store.acquireLock(t, "owner-b", 150)).toEqual({ acquired: true });
      // owner-b renews with a long ttl before its short one runs out: owner-a stays refused after 150 ms.
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toEqual({ acquired: true });
      await sleep(400);
      expect(await ref.store.acquireLock(t, "owner-a", 150)).toMatchObject({ acquired: false, owner: "owner-b" });
    });

    it("stealLock is a compare-and-swap on the current owner", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      expect(await ref.store.stealLock(t, "owner-c", "owner-b", 60_000)).toBe(false);
      expect(await ref.store.acquireLock(t, "owner-c", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
      expect(await ref.store.stealLock(t, "owner-c", "owner-a", 60_000)).toBe(true);
      expect(await ref.store.acquireLock(t, "owner-a", 60_000)).toMatchObject({ acquired: false, owner: "owner-c" });
      // A second steal from the old owner fails: it no longer holds the lock.
      expect(await ref.store.stealLock(t, "owner-d", "owner-a", 60_000)).toBe(false);
      expect(await ref.store.stealLock(threadId(), "owner-d", "owner-a", 60_000)).toBe(false);
    });

    it("releaseLock by a non-owner does nothing; by the owner frees the lock", async () => {
      const t = threadId();
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      await ref.store.releaseLock(t, "owner-b");
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
      await ref.store.releaseLock(t, "owner-a");
      expect(await ref.store.acquireLock(t, "owner-b", 60_000)).toEqual({ acquired: true });
      await ref.store.releaseLock(threadId(), "owner-a"); // unknown thread: no-op
    });
  });
}
