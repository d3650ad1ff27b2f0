/**
 * A run's bookkeeping rides on its store calls (issue 10): the lock's acquire reads the head, the first save marks
 * the thread running, the last one marks it done / interrupted and releases the lock. Checked on the real
 * stores by recording which methods the engine calls (the store itself is untouched) and what they leave.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { END, START, StateGraph, appendReducer, interrupt } from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { engineStores } from "./stores";

/** The store's own object, whose top-level method calls are recorded in `calls` (nested calls are the store's). */
function recorded(store: CheckpointStore) {
  const calls: string[] = [];
  let depth = 0;
  const view = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        if (depth === 0) calls.push(String(prop));
        depth++;
        try {
          return await v.apply(target, args);
        } finally {
          depth--;
        }
      };
    },
  });
  return { view, calls };
}

function chain(store: CheckpointStore, withInterrupt = false, maxCheckpoints?: number) {
  const g = new StateGraph({ items: { reducer: appendReducer, default: () => [] } });
  g.addNode("a", () => ({ items: ["a"] }));
  g.addNode("b", () => ({ items: [withInterrupt ? String(interrupt("ok?")) : "b"] }));
  g.addEdge(START, "a").addEdge("a", "b").addEdge("b", END);
  return g.compile({ store, graphId: "bk", ...(maxCheckpoints ? { maxCheckpoints } : {}) });
}

for (const backend of engineStores) {
  describe(`run bookkeeping folded into store calls (${backend.name})`, () => {
    let store: CheckpointStore;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await backend.create());
    });
    afterEach(() => dispose());

    it("an invoke is the lock (with the head) and its saves; the thread ends done, unlocked, with its graph id", async () => {
      const { view, calls } = recorded(store);
      const res = await chain(view).invoke({ items: [] }, { threadId: "t1" });
      expect(res.status).toBe("done");
      expect(calls).toEqual(["acquireLock", "save", "save", "save"]);
      expect(await store.getThread("t1")).toMatchObject({ status: "done", graphId: "bk", error: null, checkpointCount: 3 });
      expect(await store.acquireLock("t1", "someone-else", 60_000)).toEqual({ acquired: true });
    });

    it("an interrupt ends the run interrupted and unlocked; the resume continues from the head read with the lock", async () => {
      const { view, calls } = recorded(store);
      const app = chain(view, true);
      expect((await app.invoke({ items: [] }, { threadId: "t2" })).status).toBe("interrupted");
      expect(await store.getThread("t2")).toMatchObject({ status: "interrupted" });
      calls.length = 0;
      const res = await app.invoke(null, { threadId: "t2", command: { resume: "yes" } });
      expect(res).toMatchObject({ status: "done", values: { items: ["a", "yes"] } });
      // A plain resume saves nothing first, so "running" is its own update.
      expect(calls).toEqual(["acquireLock", "updateThread", "save"]);
      expect(await store.getThread("t2")).toMatchObject({ status: "done" });
      expect(await store.acquireLock("t2", "someone-else", 60_000)).toEqual({ acquired: true });
    });

    it("with maxCheckpoints the lock is released after the last prune, not with the save", async () => {
      const { view, calls } = recorded(store);
      await chain(view, false, 2).invoke({ items: [] }, { threadId: "t3" });
      expect(calls.slice(-3)).toEqual(["save", "prune", "releaseLock"]);
      expect(await store.getThread("t3")).toMatchObject({ status: "done", checkpointCount: 2 });
      expect(await store.acquireLock("t3", "someone-else", 60_000)).toEqual({ acquired: true });
    });
  });
}
