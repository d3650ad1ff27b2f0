/**
 * importCheckpoint (types.ts), the same on every backend: a whole branched thread with version gaps (pruned at
 * the source) copied into a fresh store comes back field for field and byte for byte (load, list in both
 * orders, latest, summaries, thread head and count); re-importing is a no-op returning false; conflicting ids,
 * versions and parents and bad input reject INVALID_ARGUMENT changing nothing; saves continue after the highest
 * imported version (deltas on top of imported checkpoints included); delete and prune keep survivors intact; a
 * second instance on the same storage sees imports and two imports of one checkpoint at once write it once.
 */
import { describe, expect, it } from "vitest";
import { newCheckpointId } from "../../lib/checkpoint/ids";
import type { Checkpoint, CheckpointStore } from "../../lib/checkpoint/types";
import { cp, ids, rejectsWith, snapshot, threadId, versions, type StoreRef } from "./suite-helpers";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

/** One step's checkpoint: appends an item to `log` (so stores keep deltas) and records the write in metadata. */
function step(t: string, parent: Checkpoint | null, i: number, label: string) {
  const item = `${label} ${i} — ${"x".repeat(40)}`;
  const log = parent ? [...(parent.state.log as string[]), item] : [item];
  return cp(t, parent, {
    step: parent ? parent.step + 1 : -1,
    nodeName: parent ? "work" : "__input__",
    state: { log, i, nested: { k: i % 3, label } },
    metadata: {
      source: parent ? "loop" : "input",
      writes: [
        { node: "work", channel: "log", value: [item] },
        { node: "work", channel: "i", value: i },
      ],
      runId: "r1",
    },
    timestamp: at(i),
  });
}

/**
 * A source thread: a main line of 12 checkpoints, a 3-checkpoint branch forked from the 4th (an interrupt on
 * its tip), pending writes on one, then versions 5, 10 and the main line's tip deleted (gaps; the counter is
 * past the head). Returns the thread id.
 */
async function sourceThread(store: CheckpointStore): Promise<string> {
  const t = threadId("imp");
  const main: Checkpoint[] = [];
  let parent: Checkpoint | null = null;
  for (let i = 0; i < 12; i++) main.push((parent = await store.save(step(t, parent, i, "main"))));
  let b: Checkpoint = main[3];
  for (let i = 0; i < 3; i++) {
    const next = step(t, b, 20 + i, "branch");
    if (i === 2) next.interrupts = [{ id: "int-1", node: "review", kind: "before", value: { question: "ok? ✅" } }];
    b = await store.save(next);
  }
  await store.putWrites(main[6].id, [{ node: "side", channel: "notes", value: { kept: [1, "two", null] } }]);
  for (const gone of [main[4], main[9]]) await store.delete(gone.id);
  return t;
}

/** Every checkpoint of the thread, parents before children, children newest first (so versions arrive out of order). */
async function importOrder(store: CheckpointStore, t: string): Promise<Checkpoint[]> {
  const all = await store.list(t);
  const children = new Map<string | null, Checkpoint[]>();
  for (const c of all) children.set(c.parentId, [...(children.get(c.parentId) ?? []), c]);
  const out: Checkpoint[] = [];
  const visit = (parentId: string | null) => {
    for (const c of [...(children.get(parentId) ?? [])].reverse()) {
      out.push(c);
      visit(c.id);
    }
  };
  visit(null);
  expect(out.length).toBe(all.length);
  return out;
}

async function copyThread(from: CheckpointStore, to: CheckpointStore, t: string): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const c of await importOrder(from, t)) out.push(await to.importCheckpoint(await from.load(c.id)));
  return out;
}

/** A fresh store (own backing storage) for the duration of `fn`. */
async function withFresh<T>(ref: StoreRef, fn: (dest: CheckpointStore) => Promise<T>): Promise<T> {
  const dest = await ref.init.create();
  try {
    return await fn(dest);
  } finally {
    await ref.init.destroy(dest);
  }
}

const headOf = async (store: CheckpointStore, t: string) => {
  const { headCheckpointId, headVersion, checkpointCount } = await store.getThread(t);
  return { headCheckpointId, headVersion, checkpointCount };
};

export function importTests(ref: StoreRef) {
  describe("importCheckpoint", () => {
    it("copies a branched thread with version gaps into a fresh store: every field, byte for byte, in list order", async () => {
      const src = ref.store;
      const t = await sourceThread(src);
      const source = await src.list(t);
      expect(versions(source)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 15]);
      await withFresh(ref, async (dest) => {
        expect(await copyThread(src, dest, t)).toEqual(source.map(() => true));
        for (const c of source) {
          const [a, b] = [await src.load(c.id), await dest.load(c.id)];
          expect(b).toEqual(a);
          expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        }
        expect(JSON.stringify(await dest.list(t))).toBe(JSON.stringify(source));
        expect(await dest.list(t, { order: "desc" })).toEqual(await src.list(t, { order: "desc" }));
        expect(await dest.list(t, { order: "desc", after: 3, before: 12, limit: 4 })).toEqual(
          await src.list(t, { order: "desc", after: 3, before: 12, limit: 4 }),
        );
        expect(await dest.latest(t)).toEqual(await src.latest(t));
        expect(await headOf(dest, t)).toEqual(await headOf(src, t));
        expect(await dest.listSummaries(t)).toEqual(await src.listSummaries(t));
        expect(await dest.listSummaries(t, { order: "desc", limit: 3 })).toEqual(await src.listSummaries(t, { order: "desc", limit: 3 }));
        const info = await dest.getThread(t);
        expect(info).toMatchObject({ status: "idle", graphId: null, error: null, metadata: {} });
        expect((await dest.listThreads()).threads.map((x) => x.threadId)).toEqual([t]);
        expect((await dest.storage(t)).checkpoints).toBe(source.length);
        // A second instance on the same storage reads the same.
        const second = await ref.init.createSecond(dest);
        try {
          expect(await second.list(t)).toEqual(source);
          expect(await headOf(second, t)).toEqual(await headOf(src, t));
        } finally {
          if (second !== dest) await second.close();
        }
      });
    });

    it("re-importing is a no-op returning false, even into the source store itself", async () => {
      const src = ref.store;
      const t = await sourceThread(src);
      const before = await snapshot(src, [t]);
      for (const c of await src.list(t)) expect(await src.importCheckpoint(await src.load(c.id))).toBe(false);
      expect(await snapshot(src, [t])).toEqual(before);
      await withFresh(ref, async (dest) => {
        await copyThread(src, dest, t);
        const imported = await snapshot(dest, [t]);
        expect(new Set(await copyThread(src, dest, t))).toEqual(new Set([false]));
        expect(await snapshot(dest, [t])).toEqual(imported);
      });
    });

    it("rejects conflicting ids, taken versions, foreign or missing parents and bad input, changing nothing", async () => {
      const store = ref.store;
      const t = await sourceThread(store);
      const other = threadId("imp-other");
      const o1 = await store.save(cp(other));
      const [first, second] = await store.list(t);
      const fresh = (over: Partial<Checkpoint>): Checkpoint => ({ ...second, id: newCheckpointId(), version: 40, ...over });
      const before = await snapshot(store, [t, other]);
      const cases: Checkpoint[] = [
        { ...second, version: 41 }, // same id, another version
        { ...second, threadId: other, parentId: o1.id }, // same id, another thread
        { ...o1, threadId: t, parentId: first.id, version: 42 }, // the other thread's id in this thread
        fresh({ version: second.version }), // version taken
        fresh({ parentId: newCheckpointId() }), // unknown parent
        fresh({ parentId: o1.id }), // parent in another thread
        fresh({ parentId: null, id: first.id, version: 43 }), // existing root id, another version
      ];
      for (const c of cases) await rejectsWith(store.importCheckpoint(c), "INVALID_ARGUMENT");
      for (const version of [0, -1, 1.5, Number.NaN, 2 ** 31, "7" as unknown as number])
        await rejectsWith(store.importCheckpoint(fresh({ version })), "INVALID_ARGUMENT");
      await rejectsWith(store.importCheckpoint(fresh({ state: { big: 1n } as unknown as Record<string, unknown> })), "INVALID_ARGUMENT");
      await rejectsWith(store.importCheckpoint(fresh({ timestamp: "not a date" })), "INVALID_ARGUMENT");
      await rejectsWith(store.importCheckpoint(fresh({ id: "../escape" })), "INVALID_ID");
      await rejectsWith(store.importCheckpoint(fresh({ threadId: "bad/thread" })), "INVALID_ID");
      expect(await snapshot(store, [t, other])).toEqual(before);
      // A valid one after all that still works.
      expect(await store.importCheckpoint(fresh({}))).toBe(true);
      expect(await headOf(store, t)).toMatchObject({ headVersion: 40, checkpointCount: 14 });
    });

    it("imported versions with gaps: save continues after the highest one and never reuses a version", async () => {
      await withFresh(ref, async (dest) => {
        const t = threadId("gaps");
        let parent: Checkpoint | null = null;
        const imported: Checkpoint[] = [];
        for (const [i, version] of [1, 2, 5, 9].entries()) {
          const c: Checkpoint = { ...step(t, parent, i, "g"), version };
          expect(await dest.importCheckpoint(c)).toBe(true);
          imported.push((parent = await dest.load(c.id)));
        }
        expect(versions(await dest.list(t))).toEqual([1, 2, 5, 9]);
        expect(await headOf(dest, t)).toEqual({ headCheckpointId: imported[3].id, headVersion: 9, checkpointCount: 4 });
        const s1 = await dest.save(step(t, imported[3], 4, "g"));
        expect(s1.version).toBe(10);
        // Deleting the head never lets its version come back; a fork from an older one goes on after it.
        await dest.delete(s1.id);
        const s2 = await dest.save(step(t, imported[1], 5, "fork"));
        expect(s2.version).toBe(11);
        // An import older than the head fills a gap without moving the head; saves still continue at the top.
        const mid: Checkpoint = { ...step(t, imported[1], 6, "mid"), version: 3 };
        expect(await dest.importCheckpoint(mid)).toBe(true);
        expect(versions(await dest.list(t))).toEqual([1, 2, 3, 5, 9, 11]);
        expect(await headOf(dest, t)).toEqual({ headCheckpointId: s2.id, headVersion: 11, checkpointCount: 6 });
        expect((await dest.latest(t))!.id).toBe(s2.id);
        expect((await dest.save(step(t, mid, 7, "mid"))).version).toBe(12);
        // A second instance continues after it too.
        const second = await ref.init.createSecond(dest);
        try {
          expect((await second.save(step(t, await second.load(mid.id), 8, "mid"))).version).toBe(13);
        } finally {
          if (second !== dest) await second.close();
        }
      });
    });

    it("saves on top of imported checkpoints (as deltas), then delete and prune keep every survivor intact", async () => {
      const src = ref.store;
      const t = await sourceThread(src);
      await withFresh(ref, async (dest) => {
        await copyThread(src, dest, t);
        const head = (await dest.latest(t))!;
        const deltasBefore = (await dest.storage(t)).deltas;
        let parent = head;
        const saved: Checkpoint[] = [];
        for (let i = 0; i < 6; i++) saved.push((parent = await dest.save(step(t, parent, 30 + i, "after"))));
        expect(versions(saved)).toEqual([16, 17, 18, 19, 20, 21]);
        expect((await dest.storage(t)).deltas).toBeGreaterThan(deltasBefore); // appends on top of a snapshot
        const fork = await dest.save(step(t, await dest.load((await src.list(t))[2].id), 40, "fork"));
        expect(fork.version).toBe(22);
        for (const s of [...saved, fork]) expect(await dest.load(s.id)).toEqual(JSON.parse(JSON.stringify(s)));

        const whole = new Map((await dest.list(t)).map((c) => [c.id, c]));
        const sameButParent = async () => {
          for (const c of await dest.list(t)) expect({ ...c, parentId: null }).toEqual({ ...whole.get(c.id)!, parentId: null });
        };
        // Delete an imported checkpoint that saved ones are built on, and one in the middle of the saved run.
        await dest.delete(head.id);
        await dest.delete(saved[2].id);
        await sameButParent();
        expect((await dest.load(saved[0].id)).parentId).toBe(head.parentId);
        const kept = (await dest.list(t)).length;
        const pruned = await dest.prune(t, 3);
        expect(pruned).toBeGreaterThan(0);
        expect((await dest.list(t)).length).toBe(kept - pruned);
        await sameButParent();
        const survivors = await dest.list(t);
        expect(ids(survivors)).toEqual(expect.arrayContaining([saved[5].id, fork.id]));
        expect(await headOf(dest, t)).toEqual({ headCheckpointId: fork.id, headVersion: 22, checkpointCount: survivors.length });
        expect(await dest.listSummaries(t)).toHaveLength(survivors.length);
        expect((await dest.save(step(t, fork, 41, "fork"))).version).toBe(23);
      });
    });

    it("leaves status, graph, metadata and error to updateThread and never moves updatedAt back", async () => {
      const store = ref.store;
      const t = threadId("imp-rec");
      const root: Checkpoint = { ...step(t, null, 0, "r"), version: 3 };
      expect(await store.importCheckpoint(root)).toBe(true);
      const created = await store.getThread(t);
      expect(created).toMatchObject({ status: "idle", graphId: null, headCheckpointId: root.id, headVersion: 3, checkpointCount: 1 });
      const patched = await store.updateThread(t, { status: "done", graphId: "g-imp", metadata: { origin: "elsewhere" } });
      const child: Checkpoint = { ...step(t, root, 1, "r"), version: 7 };
      expect(await store.importCheckpoint(child)).toBe(true);
      const after = await store.getThread(t);
      expect(after).toMatchObject({ status: "done", graphId: "g-imp", metadata: { origin: "elsewhere" }, error: null, createdAt: patched.createdAt });
      expect(after).toMatchObject({ headCheckpointId: child.id, headVersion: 7, checkpointCount: 2 });
      expect(after.updatedAt >= patched.updatedAt).toBe(true);
      expect((await store.listThreads({ status: "done", graphId: "g-imp" })).threads.map((x) => x.threadId)).toEqual([t]);
    });

    it("two instances importing the same checkpoint at once write it once", async () => {
      const a = ref.store;
      const b = await ref.init.createSecond(a);
      try {
        await race(a, b);
      } finally {
        if (b !== a) await b.close();
      }
    });
  });
}

/** Two instances import one root at once, then two different checkpoints at the same version. */
async function race(a: CheckpointStore, b: CheckpointStore): Promise<void> {
  const t = threadId("imp-race");
  const root: Checkpoint = { ...step(t, null, 0, "race"), version: 1 };
  const results = await Promise.all([a.importCheckpoint(root), b.importCheckpoint(root)]);
  expect(results.filter(Boolean)).toHaveLength(1);
  const child: Checkpoint = { ...step(t, root, 1, "race"), version: 2 };
  const other: Checkpoint = { ...step(t, root, 2, "race"), version: 2 };
  const settled = await Promise.allSettled([a.importCheckpoint(child), b.importCheckpoint(other)]);
  expect(settled.filter((s) => s.status === "fulfilled" && s.value === true)).toHaveLength(1);
  expect(settled.filter((s) => s.status === "rejected")).toHaveLength(1);
  expect(await headOf(b, t)).toMatchObject({ headVersion: 2, checkpointCount: 2 });
  expect((await b.save(step(t, await b.latest(t), 3, "race"))).version).toBe(3);
}
