/**
 * Namespaces (Checkpoint.namespace, issue 12) and the metadata filter (ListOptions.metadata), the same on every
 * backend: subgraph checkpoints live in their parent's thread (listed, filtered, counted, cleared with it, never
 * a thread of their own) but are never its head or latest; the filter is equality on top-level metadata keys,
 * applied before the limit, and bad input rejects INVALID_ARGUMENT changing nothing.
 */
import { describe, expect, it } from "vitest";
import { toSummary } from "../../lib/checkpoint/summary";
import type { Checkpoint, CheckpointStore, ListOptions } from "../../lib/checkpoint/types";
import { cp, ids, rejectsWith, snapshot, threadId, type StoreRef } from "./suite-helpers";

const SUB = "child:6a1b|grand:Ωx";

/** r0 (root) ← s1 (SUB) ← s2 (SUB); r0 ← r1 (root); s2 ← s3 (SUB, the newest of all). */
async function mixed(store: CheckpointStore) {
  const t = threadId("ns");
  const r0 = await store.save(cp(t, null, { namespace: "" }));
  const s1 = await store.save(cp(t, r0, { namespace: SUB, state: { sub: 1 } }));
  const s2 = await store.save(cp(t, s1, { namespace: SUB, state: { sub: 2 } }));
  const r1 = await store.save(cp(t, r0, { step: 1, state: { root: 1 } }));
  const s3 = await store.save(cp(t, s2, { namespace: SUB, state: { sub: 3 } }));
  return { t, r0, s1, s2, r1, s3 };
}

export function namespaceTests(ref: StoreRef) {
  describe("namespaces", () => {
    it("keeps a subgraph's checkpoints in the parent thread, listed and filtered by namespace, never head or latest", async () => {
      const { store } = ref;
      const { t, r0, s1, s2, r1, s3 } = await mixed(store);
      expect(r0).not.toHaveProperty("namespace"); // "" is the root: not returned
      expect(s1.namespace).toBe(SUB);
      expect(await store.load(s2.id)).toEqual(s2);
      expect(await store.load(r0.id)).not.toHaveProperty("namespace");
      expect((await store.latest(t))!.id).toBe(r1.id);
      expect(await store.getThread(t)).toMatchObject({ headCheckpointId: r1.id, headVersion: r1.version, checkpointCount: 5 });
      expect((await store.listThreads({ limit: 500 })).threads.map((x) => x.threadId)).toEqual([t]);

      expect(ids(await store.list(t))).toEqual(ids([r0, s1, s2, r1, s3]));
      expect(ids(await store.list(t, { namespace: "" }))).toEqual(ids([r0, r1]));
      expect(await store.list(t, { namespace: SUB })).toEqual([s1, s2, s3]);
      expect(ids(await store.list(t, { namespace: SUB, order: "desc", limit: 1 }))).toEqual([s3.id]);
      expect(ids(await store.list(t, { namespace: SUB, before: s3.version, after: s1.version }))).toEqual([s2.id]);
      expect(await store.list(t, { namespace: "other" })).toEqual([]);
      const sums = await store.listSummaries(t, { namespace: SUB, order: "desc" });
      expect(sums).toEqual([s3, s2, s1].map((c) => toSummary(c)));
      expect(sums[0].namespace).toBe(SUB);
      expect((await store.listSummaries(t, { namespace: "" }))[0]).not.toHaveProperty("namespace");

      // Deleting the root head moves the head to the previous ROOT checkpoint, not to the newer subgraph one.
      await store.delete(r1.id);
      expect(await store.getThread(t)).toMatchObject({ headCheckpointId: r0.id, headVersion: r0.version, checkpointCount: 4 });
      expect((await store.latest(t))!.id).toBe(r0.id);
      // Pruning keeps counting every namespace; clearing the thread removes the subgraph's checkpoints too.
      await store.clear(t);
      expect(await store.list(t)).toEqual([]);
      for (const c of [s1, s2, s3]) await rejectsWith(store.load(c.id), "CHECKPOINT_NOT_FOUND");
    });

    it("a thread holding only subgraph checkpoints has no head and no latest", async () => {
      const { store } = ref;
      const t = threadId("ns-only");
      const s = await store.save(cp(t, null, { namespace: SUB }));
      expect(await store.latest(t)).toBeNull();
      expect(await store.getThread(t)).toMatchObject({ headCheckpointId: null, headVersion: 0, checkpointCount: 1 });
      const lock = await store.acquireLock(t, "owner-ns", 60_000, { latest: true });
      expect(lock).toEqual({ acquired: true, latest: null });
      expect(await store.list(t, { namespace: SUB })).toEqual([s]);
    });

    it("imports keep the namespace", async () => {
      const { store, init } = ref;
      const { t, r0, s1, s2 } = await mixed(store);
      const target = await init.create();
      try {
        for (const c of [r0, s1, s2]) expect(await target.importCheckpoint(await store.load(c.id))).toBe(true);
        expect(await target.list(t)).toEqual(await store.list(t, { before: s2.version + 1 }));
        expect(await target.getThread(t)).toMatchObject({ headCheckpointId: r0.id, checkpointCount: 3 });
        expect((await target.listSummaries(t, { namespace: SUB })).map((s) => s.namespace)).toEqual([SUB, SUB]);
      } finally {
        await init.destroy(target);
      }
    });

    it("rejects a bad namespace with INVALID_ARGUMENT, changing nothing", async () => {
      const { store } = ref;
      const { t, r0 } = await mixed(store);
      const before = await snapshot(store, [t]);
      for (const namespace of [42, null, "x".repeat(1001), "a\u0000b"])
        await rejectsWith(store.save(cp(t, r0, { namespace: namespace as string })), "INVALID_ARGUMENT");
      for (const namespace of [42, "a\u0000b"]) {
        await rejectsWith(store.list(t, { namespace } as ListOptions), "INVALID_ARGUMENT");
        await rejectsWith(store.listSummaries(t, { namespace } as ListOptions), "INVALID_ARGUMENT");
      }
      expect(await snapshot(store, [t])).toEqual(before);
    });
  });

  describe("metadata filter", () => {
    /** Ten checkpoints with scalar, nested and odd-keyed metadata. */
    async function tagged(store: CheckpointStore) {
      const t = threadId("md");
      const out: Checkpoint[] = [];
      let parent: Checkpoint | null = null;
      for (let i = 0; i < 10; i++) {
        parent = await store.save(
          cp(t, parent, {
            namespace: i === 9 ? SUB : undefined,
            metadata: {
              source: i === 0 ? "input" : "loop",
              writes: [{ node: "n", channel: "c", value: { tag: "a" } }],
              step: i,
              tag: i % 2 ? "odd" : "even",
              flag: i % 3 === 0,
              'we"ird.key $[0]': "ünï",
              nested: { tag: "even" },
              score: i / 2,
            },
          }),
        );
        out.push(parent);
      }
      return { t, cps: out };
    }

    it("keeps checkpoints whose top-level metadata equals every given key, before the limit, in list and listSummaries", async () => {
      const { store } = ref;
      const { t, cps } = await tagged(store);
      const check = async (options: ListOptions, expected: Checkpoint[]) => {
        expect(ids(await store.list(t, options)), JSON.stringify(options)).toEqual(ids(expected));
        expect(await store.listSummaries(t, options)).toEqual(expected.map((c) => toSummary(c)));
      };
      await check(
        { metadata: { tag: "even" } },
        cps.filter((_, i) => i % 2 === 0),
      );
      await check({ metadata: { step: 3 } }, [cps[3]]);
      await check({ metadata: { step: "3" } }, []); // a number never matches a string
      await check({ metadata: { score: 1.5 } }, [cps[3]]);
      await check({ metadata: { flag: true, tag: "odd" } }, [cps[3], cps[9]]);
      await check({ metadata: { flag: false, source: "loop" }, order: "desc", limit: 2 }, [cps[8], cps[7]]);
      await check({ metadata: { tag: "even" }, before: cps[6].version, after: cps[0].version }, [cps[2], cps[4]]);
      await check({ metadata: { 'we"ird.key $[0]': "ünï", tag: "odd" }, limit: 2 }, [cps[1], cps[3]]);
      await check({ metadata: { flag: true }, namespace: SUB }, [cps[9]]);
      await check({ metadata: { missing: "x" } }, []);
      await check({ metadata: { nested: "even" } }, []); // an object is not a scalar equal to the value
      await check({ metadata: {} }, cps);
    });

    it("rejects a malformed filter with INVALID_ARGUMENT", async () => {
      const { store } = ref;
      const { t } = await tagged(store);
      const bads: unknown[] = [
        "tag=odd",
        ["tag"],
        null,
        { tag: { eq: "odd" } },
        { tag: ["odd"] },
        { tag: null },
        { step: Number.NaN },
        { step: Infinity },
        { "": "x" },
        { ["k".repeat(201)]: "x" },
        Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])),
      ];
      for (const metadata of bads) {
        await rejectsWith(store.list(t, { metadata } as ListOptions), "INVALID_ARGUMENT");
        await rejectsWith(store.listSummaries(t, { metadata } as ListOptions), "INVALID_ARGUMENT");
      }
    });
  });
}
