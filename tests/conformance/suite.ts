/**
 * The store conformance suite: the whole contract of lib/checkpoint/types.ts, run against every backend.
 *
 * A backend's test file is tiny: `describeConformance("memory", { create, createSecond, destroy })`.
 * Each test gets a fresh store on fresh backing storage from `create()` and `destroy()`s it afterwards.
 * Parts: this file (checkpoints: save/load/list/latest/putWrites/delete/clear/prune), suite-threads.ts
 * (thread records), suite-safety.ts (unsafe ids, bad arguments, concurrency), suite-locks.ts (run lock) and
 * suite-summaries.ts (listSummaries), suite-delta.ts (delta storage, retention folding, storage()) and
 * suite-retention.ts (the retention policies built on the contract), suite-import.ts (importCheckpoint),
 * suite-writes.ts (appendWrites), suite-namespaces.ts (namespaces and the metadata filter), suite-fence.ts
 * (saves fenced by the run lock).
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createKeyring } from "../../lib/checkpoint/crypto";
import { encryptStore } from "../../lib/checkpoint/encrypted";
import type { Checkpoint, CheckpointStore } from "../../lib/checkpoint/types";
import { isCheckpointNotFound, isThreadNotFound } from "../../lib/errors";
import { chain, cp, ids, rejectsWith, roundTrip, snapshot, threadId, versions, type ConformanceInit, type StoreRef } from "./suite-helpers";
import { deltaTests } from "./suite-delta";
import { importTests } from "./suite-import";
import { lockTests } from "./suite-locks";
import { retentionTests } from "./suite-retention";
import { safetyTests } from "./suite-safety";
import { saveOptionsTests } from "./suite-save-options";
import { fenceTests } from "./suite-fence";
import { summaryTests } from "./suite-summaries";
import { searchTests } from "./suite-search";
import { threadTests } from "./suite-threads";
import { writesTests } from "./suite-writes";
import { namespaceTests } from "./suite-namespaces";
import { compressionTests } from "./suite-compress";

export type { ConformanceInit } from "./suite-helpers";

/**
 * The suite twice: on the backend as it is, and behind encryption at rest (lib/checkpoint/encrypted.ts, the
 * wrapper every store gets from the factory) with a key set, so every backend keeps the whole contract with
 * its values sealed. The second store of a test shares the key, as a second process would.
 */
export function describeConformance(name: string, init: ConformanceInit): void {
  describeSuite(name, init);
  compressionTests(name, init);
  const ring = createKeyring(randomBytes(32).toString("base64"));
  // The backend's own hooks get the store they made (some key their bookkeeping by the store object).
  const inner = new WeakMap<CheckpointStore, CheckpointStore>();
  const wrap = (store: CheckpointStore) => {
    const outer = encryptStore(store, ring);
    inner.set(outer, store);
    return outer;
  };
  const unwrap = (store: CheckpointStore) => inner.get(store) ?? store;
  describeSuite(`${name} (encrypted)`, {
    create: async () => wrap(await init.create()),
    createSecond: async (first) => wrap(await init.createSecond(unwrap(first))),
    corruptDelta: (store, id) => init.corruptDelta(unwrap(store), id),
    destroy: (store) => init.destroy(unwrap(store)),
  });
}

function describeSuite(name: string, init: ConformanceInit): void {
  describe(`conformance: ${name}`, () => {
    const ref = { init } as StoreRef;
    beforeEach(async () => {
      ref.store = await init.create();
    });
    afterEach(async () => {
      if (ref.store) await init.destroy(ref.store);
    });
    checkpointTests(ref);
    threadTests(ref);
    searchTests(ref);
    safetyTests(ref);
    lockTests(ref);
    saveOptionsTests(ref);
    fenceTests(ref);
    summaryTests(ref);
    deltaTests(ref);
    retentionTests(ref);
    importTests(ref);
    writesTests(ref);
    namespaceTests(ref);
  });
}

function checkpointTests(ref: StoreRef) {
  describe("save / load", () => {
    it("round-trips every field, nested JSON, unicode and a null parentId", async () => {
      const t = threadId();
      const input = cp(t, null, {
        step: -1,
        nodeName: "__input__",
        state: {
          nested: { deep: { list: [1, 2.5, -3, true, false, null, { x: "y" }], empty: {}, none: [] } },
          unicode: "héllo wörld — 你好 — 🚀👩‍👩‍👧‍👦 — مرحبا بالعالم — שלום — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
          quotes: `"'\\\n\t</script>`,
          undef: undefined,
          date: new Date(0) as unknown,
          big: Number.MAX_SAFE_INTEGER,
        },
        next: ["a", "b"],
        interrupts: [{ id: "i1", node: "a", kind: "dynamic", value: { ask: "ok? ✅" } }],
        pendingWrites: [{ node: "b", channel: "c", value: [1, { z: null }] }],
        metadata: { source: "input", writes: [{ node: "x", channel: "y", value: "שלום" }], actor: "ann", runId: "r1", extra: { k: [1] } },
      });
      const saved = await ref.store.save(input);
      const expected = { ...roundTrip(input), version: 1 };
      expect(saved).toEqual(expected);
      const loaded = await ref.store.load(input.id);
      expect(loaded).toEqual(expected);
      expect(loaded.parentId).toBeNull();
      expect("undef" in loaded.state).toBe(false);
      expect(loaded.state.date).toBe("1970-01-01T00:00:00.000Z");
    });

    it("round-trips a 1 MB state", async () => {
      const t = threadId();
      const rows = Array.from({ length: 4000 }, (_, i) => ({ i, name: `row ${i} ✓`, tags: ["a", "b"], v: i / 7 }));
      const input = cp(t, null, { state: { rows, blob: "x".repeat(800_000) } });
      expect(JSON.stringify(input.state).length).toBeGreaterThan(1_000_000);
      await ref.store.save(input);
      expect(await ref.store.load(input.id)).toEqual({ ...roundTrip(input), version: 1 });
      expect((await ref.store.list(t))[0].state).toEqual(input.state);
    });

    it("isolates stored data from callers' objects", async () => {
      const t = threadId();
      const input = cp(t, null, { state: { list: [1] } });
      const saved = await ref.store.save(input);
      (input.state.list as number[]).push(2);
      (saved.state.list as number[]).push(3);
      const loaded = await ref.store.load(input.id);
      (loaded.state.list as number[]).push(4);
      expect((await ref.store.load(input.id)).state).toEqual({ list: [1] });
    });

    it("assigns versions 1, 2, 3... and ignores a caller-supplied version", async () => {
      const t = threadId();
      const a = await ref.store.save({ ...cp(t), version: 42 } as never);
      const b = await ref.store.save(cp(t, a));
      const c = await ref.store.save(cp(t, b));
      expect(versions([a, b, c])).toEqual([1, 2, 3]);
      expect((await ref.store.load(a.id)).version).toBe(1);
      // Versions are per thread.
      expect((await ref.store.save(cp(threadId()))).version).toBe(1);
    });

    it("rejects a duplicate id (same or other thread) and changes nothing", async () => {
      const t = threadId();
      const t2 = threadId();
      const [a, b] = await chain(ref.store, t, 2);
      const before = await snapshot(ref.store, [t, t2]);
      await rejectsWith(ref.store.save(cp(t, a, { id: b.id, state: { changed: true } })), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.save(cp(t2, null, { id: a.id })), "INVALID_ARGUMENT");
      expect(await snapshot(ref.store, [t, t2])).toEqual(before);
      expect((await ref.store.load(b.id)).state).toEqual(b.state);
      expect((await ref.store.save(cp(t, b))).version).toBe(3);
    });

    it("rejects a parent from another thread or an unknown parent and changes nothing", async () => {
      const t = threadId();
      const other = threadId();
      const [o] = await chain(ref.store, other, 1);
      await chain(ref.store, t, 1);
      const before = await snapshot(ref.store, [t, other]);
      await rejectsWith(ref.store.save(cp(t, o)), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.save(cp(t, "0199aaaa-0000-7000-8000-000000000000")), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.save(cp(threadId(), o)), "INVALID_ARGUMENT");
      expect(await snapshot(ref.store, [t, other])).toEqual(before);
    });

    it("load of an unknown id rejects CHECKPOINT_NOT_FOUND", async () => {
      const err = await ref.store.load("0199aaaa-0000-7000-8000-000000000001").catch((e) => e);
      expect(isCheckpointNotFound(err)).toBe(true);
    });
  });

  describe("list / latest", () => {
    it("orders asc by default and desc on request, with limit/before/after paging", async () => {
      const t = threadId();
      const all = await chain(ref.store, t, 7);
      const s = ref.store;
      expect(versions(await s.list(t))).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await s.list(t)).toEqual(all);
      expect(versions(await s.list(t, { order: "desc" }))).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect(versions(await s.list(t, { limit: 3 }))).toEqual([1, 2, 3]);
      expect(versions(await s.list(t, { order: "desc", limit: 3 }))).toEqual([7, 6, 5]);
      expect(versions(await s.list(t, { order: "desc", limit: 3, before: 5 }))).toEqual([4, 3, 2]);
      expect(versions(await s.list(t, { limit: 2, after: 5 }))).toEqual([6, 7]);
      expect(versions(await s.list(t, { after: 2, before: 6 }))).toEqual([3, 4, 5]);
      expect(versions(await s.list(t, { order: "desc", after: 2, before: 6, limit: 2 }))).toEqual([5, 4]);
      expect(await s.list(t, { after: 7 })).toEqual([]);
      expect(await s.list(t, { before: 1 })).toEqual([]);
      // Paging through with `after` visits every checkpoint exactly once.
      const seen: number[] = [];
      for (let after = 0; ;) {
        const page = await s.list(t, { after, limit: 3 });
        if (page.length === 0) break;
        seen.push(...versions(page));
        after = page[page.length - 1].version;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it("gives [] and null for an unknown thread", async () => {
      expect(await ref.store.list(threadId())).toEqual([]);
      expect(await ref.store.latest(threadId())).toBeNull();
    });

    it("lists branches (children of an old checkpoint) with versions unique across branches", async () => {
      const t = threadId();
      const main = await chain(ref.store, t, 4);
      const fork = await chain(ref.store, t, 3, main[1]);
      const fork2 = await ref.store.save(cp(t, main[0], { nodeName: "__fork__" }));
      const listed = await ref.store.list(t);
      expect(versions(listed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(new Set(ids(listed)).size).toBe(8);
      expect(fork[0].parentId).toBe(main[1].id);
      expect(listed.find((c) => c.id === fork[0].id)?.parentId).toBe(main[1].id);
      expect(listed.find((c) => c.id === fork2.id)?.parentId).toBe(main[0].id);
      expect((await ref.store.latest(t))?.id).toBe(fork2.id);
      const info = await ref.store.getThread(t);
      expect(info.headCheckpointId).toBe(fork2.id);
      expect(info.headVersion).toBe(8);
      expect(info.checkpointCount).toBe(8);
    });

    it("latest is the newest by version", async () => {
      const t = threadId();
      const all = await chain(ref.store, t, 3);
      expect(await ref.store.latest(t)).toEqual(all[2]);
    });
  });

  describe("putWrites", () => {
    it("replaces pending writes and nothing else", async () => {
      const t = threadId();
      const [a, b] = await chain(ref.store, t, 2);
      const writes = [{ node: "n", channel: "__resume__", value: ["yes", { edited: "✏️" }] }];
      await ref.store.putWrites(a.id, writes);
      expect(await ref.store.load(a.id)).toEqual({ ...a, pendingWrites: writes });
      await ref.store.putWrites(a.id, []);
      expect(await ref.store.load(a.id)).toEqual(a);
      expect(await ref.store.load(b.id)).toEqual(b);
      expect((await ref.store.list(t)).map((c) => c.version)).toEqual([1, 2]);
    });

    it("rejects an unknown checkpoint and a non-list", async () => {
      const t = threadId();
      const [a] = await chain(ref.store, t, 1);
      const err = await ref.store.putWrites("0199aaaa-0000-7000-8000-000000000002", []).catch((e) => e);
      expect(isCheckpointNotFound(err)).toBe(true);
      await rejectsWith(ref.store.putWrites(a.id, "nope" as never), "INVALID_ARGUMENT");
      expect(await ref.store.load(a.id)).toEqual(a);
    });
  });

  describe("delete / clear", () => {
    it("delete re-links children to the deleted one's parent and updates the thread record", async () => {
      const t = threadId();
      const [a, b, c] = await chain(ref.store, t, 3);
      const d = await ref.store.save(cp(t, b)); // second child of b
      await ref.store.delete(b.id);
      expect(isCheckpointNotFound(await ref.store.load(b.id).catch((e) => e))).toBe(true);
      expect((await ref.store.load(c.id)).parentId).toBe(a.id);
      expect((await ref.store.load(d.id)).parentId).toBe(a.id);
      expect(ids(await ref.store.list(t))).toEqual([a.id, c.id, d.id]);
      expect((await ref.store.getThread(t)).checkpointCount).toBe(3);
      // Deleting the root makes its children roots; deleting the head moves the head.
      await ref.store.delete(a.id);
      expect((await ref.store.load(c.id)).parentId).toBeNull();
      await ref.store.delete(d.id);
      const info = await ref.store.getThread(t);
      expect([info.headCheckpointId, info.headVersion, info.checkpointCount]).toEqual([c.id, 3, 1]);
      expect((await ref.store.latest(t))?.id).toBe(c.id);
      // A deleted head's version is never handed out again.
      const e = await ref.store.save(cp(t, c));
      expect(e.version).toBe(5);
      expect((await ref.store.getThread(t)).headVersion).toBe(5);
    });

    it("delete of an unknown id rejects CHECKPOINT_NOT_FOUND and changes nothing", async () => {
      const t = threadId();
      await chain(ref.store, t, 2);
      const before = await snapshot(ref.store, [t]);
      const err = await ref.store.delete("0199aaaa-0000-7000-8000-000000000003").catch((e) => e);
      expect(isCheckpointNotFound(err)).toBe(true);
      expect(await snapshot(ref.store, [t])).toEqual(before);
    });

    it("clear removes checkpoints, the thread record and the lock, and leaves other threads alone", async () => {
      const t = threadId();
      const keep = threadId();
      const cps = await chain(ref.store, t, 3);
      const kept = await chain(ref.store, keep, 2);
      await ref.store.updateThread(t, { status: "running", graphId: "g" });
      expect((await ref.store.acquireLock(t, "owner-a", 60_000)).acquired).toBe(true);
      await ref.store.clear(t);
      expect(await ref.store.list(t)).toEqual([]);
      expect(await ref.store.latest(t)).toBeNull();
      for (const c of cps) expect(isCheckpointNotFound(await ref.store.load(c.id).catch((e) => e))).toBe(true);
      expect(isThreadNotFound(await ref.store.getThread(t).catch((e) => e))).toBe(true);
      expect((await ref.store.listThreads()).threads.map((x) => x.threadId)).toEqual([keep]);
      expect((await ref.store.acquireLock(t, "owner-b", 60_000)).acquired).toBe(true);
      expect(await ref.store.list(keep)).toEqual(kept);
      // A cleared thread starts again at version 1.
      expect((await ref.store.save(cp(t))).version).toBe(1);
    });

    it("clear of an unknown thread is a no-op", async () => {
      const t = threadId();
      await chain(ref.store, t, 1);
      const before = await snapshot(ref.store, [t]);
      await ref.store.clear(threadId());
      expect(await snapshot(ref.store, [t])).toEqual(before);
    });
  });

  describe("prune (retention)", () => {
    it("keeps the newest N plus every branch tip, re-links survivors and returns the count", async () => {
      const t = threadId();
      const main = await chain(ref.store, t, 6); // v1..v6
      const fork = await chain(ref.store, t, 2, main[1]); // v7, v8 from v2
      // Newest 2 by version: v8 (fork tip), v7. Tips: v6 (main tip), v8. Survivors: v6, v7, v8.
      const deleted = await ref.store.prune(t, 2);
      expect(deleted).toBe(5);
      const left = await ref.store.list(t);
      expect(versions(left)).toEqual([6, 7, 8]);
      const byId = new Map(left.map((c) => [c.id, c]));
      expect(byId.get(main[5].id)?.parentId).toBeNull();
      expect(byId.get(fork[0].id)?.parentId).toBeNull();
      expect(byId.get(fork[1].id)?.parentId).toBe(fork[0].id);
      expect((await ref.store.load(main[5].id)).parentId).toBeNull();
      expect(isCheckpointNotFound(await ref.store.load(main[0].id).catch((e) => e))).toBe(true);
      const info = await ref.store.getThread(t);
      expect([info.checkpointCount, info.headCheckpointId, info.headVersion]).toEqual([3, fork[1].id, 8]);
      // Nothing more to prune; versions keep increasing afterwards.
      expect(await ref.store.prune(t, 2)).toBe(0);
      expect((await ref.store.save(cp(t, fork[1]))).version).toBe(9);
    });

    it("re-links a survivor to its nearest surviving ancestor", async () => {
      const t = threadId();
      const main = await chain(ref.store, t, 5); // v1..v5
      const tip = await ref.store.save(cp(t, main[0])); // v6, a tip whose parent v1 will go
      const deleted = await ref.store.prune(t, 3); // newest 3: v6, v5, v4; tips: v5, v6
      expect(deleted).toBe(3);
      const left = new Map((await ref.store.list(t)).map((c) => [c.id, c]));
      expect([...left.values()].map((c) => c.version)).toEqual([4, 5, 6]);
      expect(left.get(tip.id)?.parentId).toBeNull();
      expect(left.get(main[3].id)?.parentId).toBeNull();
      expect(left.get(main[4].id)?.parentId).toBe(main[3].id);
    });

    it("prunes nothing when keep covers the thread, and 0 for an unknown thread", async () => {
      const t = threadId();
      const all: Checkpoint[] = await chain(ref.store, t, 3);
      expect(await ref.store.prune(t, 3)).toBe(0);
      expect(await ref.store.prune(t, 100)).toBe(0);
      expect(await ref.store.list(t)).toEqual(all);
      expect(await ref.store.prune(threadId(), 1)).toBe(0);
    });
  });
}
