/**
 * Conformance: unsafe ids and bad arguments are rejected on every method and change nothing;
 * concurrent saves (one instance and two instances on the same backing storage) get unique versions.
 */
import { describe, expect, it } from "vitest";
import type { CheckpointStore } from "../../lib/checkpoint/types";
import { chain, cp, rejectsWith, snapshot, threadId, versions, type StoreRef } from "./suite-helpers";

export const UNSAFE_IDS = [
  "../x",
  "a/b",
  "__proto__",
  "",
  "..",
  "a".repeat(200),
  "a\\b",
  "a..b",
  "/abs",
  "a b",
  "ü",
  "x\u0000y",
  "constructor/../..",
];

/** Every store method called with `bad` in one id position; each must reject INVALID_ID. */
function unsafeCalls(s: CheckpointStore, bad: string, good: { thread: string; cp: string }) {
  const T = good.thread;
  return {
    "save id": () => s.save(cp(T, good.cp, { id: bad })),
    "save threadId": () => s.save(cp(bad, null)),
    "save parentId": () => s.save(cp(T, bad)),
    "save releaseLock owner": () => s.save(cp(T, good.cp), { releaseLock: bad }),
    load: () => s.load(bad),
    list: () => s.list(bad),
    latest: () => s.latest(bad),
    putWrites: () => s.putWrites(bad, []),
    delete: () => s.delete(bad),
    clear: () => s.clear(bad),
    prune: () => s.prune(bad, 1),
    getThread: () => s.getThread(bad),
    updateThread: () => s.updateThread(bad, { status: "done" }),
    "acquireLock thread": () => s.acquireLock(bad, "owner-x", 60_000),
    "acquireLock owner": () => s.acquireLock(T, bad, 60_000),
    "stealLock thread": () => s.stealLock(bad, "owner-x", "owner-a", 60_000),
    "stealLock owner": () => s.stealLock(T, bad, "owner-a", 60_000),
    "stealLock fromOwner": () => s.stealLock(T, "owner-x", bad, 60_000),
    "releaseLock thread": () => s.releaseLock(bad, "owner-a"),
    "releaseLock owner": () => s.releaseLock(T, bad),
  } as Record<string, () => Promise<unknown>>;
}

export function safetyTests(ref: StoreRef) {
  describe("unsafe ids and bad arguments", () => {
    it("rejects unsafe ids with INVALID_ID on every method and changes nothing", async () => {
      const s = ref.store;
      const t = threadId();
      const [, b] = await chain(s, t, 2);
      expect((await s.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      const before = await snapshot(s, [t]);
      for (const bad of UNSAFE_IDS) {
        for (const [method, call] of Object.entries(unsafeCalls(s, bad, { thread: t, cp: b.id }))) {
          try {
            await rejectsWith(call, "INVALID_ID");
          } catch (e) {
            throw new Error(`${method} with id ${JSON.stringify(bad.slice(0, 20))}: ${(e as Error).message}`);
          }
        }
      }
      expect(await snapshot(s, [t])).toEqual(before);
      // The lock is still held by owner-a.
      expect(await s.acquireLock(t, "owner-b", 60_000)).toMatchObject({ acquired: false, owner: "owner-a" });
    });

    it("rejects invalid arguments with INVALID_ARGUMENT and changes nothing", async () => {
      const s = ref.store;
      const t = threadId();
      const [a] = await chain(s, t, 3);
      const before = await snapshot(s, [t]);
      await rejectsWith(s.list(t, { limit: 0 }), "INVALID_ARGUMENT");
      await rejectsWith(s.list(t, { limit: 1.5 }), "INVALID_ARGUMENT");
      await rejectsWith(s.list(t, { order: "up" as never }), "INVALID_ARGUMENT");
      await rejectsWith(s.prune(t, 0), "INVALID_ARGUMENT");
      await rejectsWith(s.prune(t, -1), "INVALID_ARGUMENT");
      await rejectsWith(s.updateThread(t, { status: "bad" as never }), "INVALID_ARGUMENT");
      await rejectsWith(s.acquireLock(t, "owner-a", 0), "INVALID_ARGUMENT");
      await rejectsWith(s.stealLock(t, "owner-b", "owner-a", -5), "INVALID_ARGUMENT");
      await rejectsWith(s.save(cp(t, a, { state: [] as never })), "INVALID_ARGUMENT");
      await rejectsWith(s.save(cp(t, a, { step: 0.5 })), "INVALID_ARGUMENT");
      await rejectsWith(s.save(cp(t, a, { timestamp: "yesterday" })), "INVALID_ARGUMENT");
      await rejectsWith(s.save(null as never), "INVALID_ARGUMENT");
      const self = cp(t, a);
      await rejectsWith(s.save({ ...self, parentId: self.id }), "INVALID_ARGUMENT");
      expect(await snapshot(s, [t])).toEqual(before);
      expect((await s.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
    });
  });

  describe("values that are not JSON", () => {
    it("rejects BigInt and cyclic values with INVALID_ARGUMENT and changes nothing", async () => {
      const s = ref.store;
      const t = threadId();
      const [a] = await chain(s, t, 1);
      await s.updateThread(t, { status: "running", metadata: { ok: true } });
      const before = await snapshot(s, [t]);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await rejectsWith(s.save(cp(t, a, { state: { n: 1n } as never })), "INVALID_ARGUMENT");
      await rejectsWith(s.save(cp(t, a, { metadata: { source: "loop", writes: [], loop: cyclic } })), "INVALID_ARGUMENT");
      await rejectsWith(s.putWrites(a.id, [{ node: "n", channel: "c", value: 2n }]), "INVALID_ARGUMENT");
      await rejectsWith(s.updateThread(t, { status: "done", metadata: { big: 3n } }), "INVALID_ARGUMENT");
      await rejectsWith(s.updateThread(t, { status: "done", metadata: cyclic }), "INVALID_ARGUMENT");
      expect(await snapshot(s, [t])).toEqual(before);
      expect(await s.load(a.id)).toEqual(a);
    });
  });

  describe("concurrency", () => {
    it("50 concurrent saves to one thread get unique versions 1..50, listed in order", async () => {
      const t = threadId();
      const root = await ref.store.save(cp(t));
      const saved = await Promise.all(Array.from({ length: 49 }, (_, i) => ref.store.save(cp(t, root, { state: { i } }))));
      const all = [root, ...saved];
      expect(versions(all).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const listed = await ref.store.list(t);
      expect(versions(listed)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      for (const c of saved) expect(listed[c.version - 1].id).toBe(c.id);
      const info = await ref.store.getThread(t);
      expect([info.checkpointCount, info.headVersion]).toEqual([50, 50]);
      expect(info.headCheckpointId).toBe(listed[49].id);
    });

    it("concurrent saves through two instances on the same storage get unique versions", async () => {
      const t = threadId();
      const second = await ref.init.createSecond(ref.store);
      try {
        const root = await ref.store.save(cp(t));
        expect(await second.load(root.id)).toEqual(root);
        const saved = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? second : ref.store).save(cp(t, root, { state: { i } }))));
        expect(versions(saved).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
        const fromFirst = await ref.store.list(t);
        expect(versions(fromFirst)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
        expect(await second.list(t)).toEqual(fromFirst);
        expect((await second.getThread(t)).checkpointCount).toBe(31);
        // Writes through one instance are visible through the other.
        await second.putWrites(root.id, [{ node: "n", channel: "c", value: 1 }]);
        expect((await ref.store.load(root.id)).pendingWrites).toHaveLength(1);
        await second.delete(saved[0].id);
        expect((await ref.store.list(t)).length).toBe(30);
      } finally {
        await second.close();
      }
    });
  });
}
