/**
 * Conformance: finding threads — listThreads' `query` (free text over id, graph, status, error message and
 * metadata) and `sort: "waiting"` (interrupted threads, the longest waiting first), paged by cursor.
 */
import { describe, expect, it } from "vitest";
import type { CheckpointStore, ListThreadsOptions, ThreadInfo } from "../../lib/checkpoint/types";
import { rejectsWith, sleep, threadId, type StoreRef } from "./suite-helpers";

/** Every page of a listing, following cursors (a page may be short on a backend that scans in slices). */
async function everyPage(store: CheckpointStore, o: ListThreadsOptions): Promise<ThreadInfo[]> {
  const out: ThreadInfo[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await store.listThreads({ ...o, cursor });
    expect(page.threads.length).toBeLessThanOrEqual(o.limit ?? 50);
    out.push(...page.threads);
    cursor = page.nextCursor;
    expect(++pages).toBeLessThan(200);
  } while (cursor);
  return out;
}

const idsOf = (ts: ThreadInfo[]) => ts.map((t) => t.threadId);

export function searchTests(ref: StoreRef) {
  describe("thread search and waiting order", () => {
    it("a query finds threads by id, graph, status, error message and metadata text, ignoring case", async () => {
      const failed = threadId("failed");
      const labelled = threadId("labelled");
      const waiting = threadId("waiting");
      const plain = threadId("plain");
      const at = new Date().toISOString();
      await ref.store.updateThread(failed, {
        graphId: "billing-graph",
        status: "error",
        error: { node: "charge", message: "Payment Gateway TIMEOUT after 30s", checkpointId: null, at },
      });
      await ref.store.updateThread(labelled, { graphId: "support", metadata: { label: "Quarterly Refund review", owner: { team: "ops" } } });
      await ref.store.updateThread(waiting, { graphId: "support", status: "interrupted" });
      await ref.store.updateThread(plain, { graphId: "support" });
      const find = async (query: string, more: ListThreadsOptions = {}) => idsOf((await ref.store.listThreads({ query, ...more })).threads).sort();

      expect(await find("gateway timeout")).toEqual([failed]);
      expect(await find("REFUND")).toEqual([labelled]);
      expect(await find("ops")).toEqual([labelled]); // nested metadata values count
      expect(await find(labelled.slice(0, -1).toUpperCase())).toEqual([labelled]);
      expect(await find("billing-gr")).toEqual([failed]);
      expect(await find("interrupt")).toEqual([waiting]);
      expect(await find("support")).toEqual([labelled, plain, waiting].sort());
      expect(await find("support", { status: "interrupted" })).toEqual([waiting]);
      expect(await find("refund", { graphId: "billing-graph" })).toEqual([]);
      expect(await find("no such text anywhere")).toEqual([]);
      // A blank query is no query.
      expect(idsOf((await ref.store.listThreads({ query: "   " })).threads).sort()).toEqual([failed, labelled, waiting, plain].sort());
      // The whole record comes back, as getThread gives it.
      expect((await ref.store.listThreads({ query: "gateway" })).threads[0]).toEqual(await ref.store.getThread(failed));
    });

    it("wildcard characters in a query are literal", async () => {
      const sale = threadId("sale");
      const near = threadId("near");
      await ref.store.updateThread(sale, { metadata: { label: "50% off_now" } });
      await ref.store.updateThread(near, { metadata: { label: "500 offXnow" } });
      const find = async (query: string) => idsOf((await ref.store.listThreads({ query })).threads);
      expect(await find("50% off_")).toEqual([sale]);
      expect(await find("%")).toEqual([sale]);
      expect(await find("_")).toEqual([sale]);
      expect(await find("0%")).toEqual([sale]);
    });

    it("search results page by cursor in the listing's order, without duplicates or misses", async () => {
      const needles: string[] = [];
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const t = threadId(`s${i}`);
          if (i % 3 === 0) needles.push(t);
          await ref.store.updateThread(t, { metadata: { label: i % 3 === 0 ? `Needle ${i}` : `hay ${i}` } });
        }),
      );
      const seen = await everyPage(ref.store, { query: "needle", limit: 4 });
      expect(idsOf(seen).sort()).toEqual([...needles].sort());
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1], seen[i]];
        expect(a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.threadId > b.threadId)).toBe(true);
      }
    });

    it('sort "waiting" lists only interrupted threads, the longest waiting first, paged stably', async () => {
      const waiting: string[] = [];
      for (let i = 0; i < 3; i++) {
        const t = threadId(`w${i}`);
        waiting.push(t);
        await ref.store.updateThread(t, { status: "interrupted", graphId: i === 1 ? "g-other" : "g-main" });
        await sleep(3);
      }
      // Several at once, so some share an updatedAt (ties go by threadId, ascending).
      const burst = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const t = threadId(`wb${i}`);
          await ref.store.updateThread(t, { status: "interrupted", graphId: "g-main", metadata: { label: i % 2 ? "urgent" : "later" } });
          return t;
        }),
      );
      await ref.store.updateThread(threadId("done"), { status: "done", graphId: "g-main" });
      await ref.store.updateThread(threadId("idle"), { graphId: "g-main" });

      const seen = await everyPage(ref.store, { sort: "waiting", limit: 2 });
      expect(idsOf(seen).sort()).toEqual([...waiting, ...burst].sort());
      expect(seen.every((t) => t.status === "interrupted")).toBe(true);
      expect(idsOf(seen.slice(0, 3))).toEqual(waiting);
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1], seen[i]];
        expect(a.updatedAt < b.updatedAt || (a.updatedAt === b.updatedAt && a.threadId < b.threadId)).toBe(true);
      }
      // With a graph filter, an explicit interrupted status and a query.
      expect(idsOf(await everyPage(ref.store, { sort: "waiting", graphId: "g-main", limit: 3 }))).toEqual(
        idsOf(seen).filter((t) => t !== waiting[1]),
      );
      expect(idsOf(await everyPage(ref.store, { sort: "waiting", status: "interrupted", limit: 50 }))).toEqual(idsOf(seen));
      expect(idsOf(await everyPage(ref.store, { sort: "waiting", query: "URGENT", limit: 1 }))).toEqual(
        idsOf(seen).filter((t) => burst.indexOf(t) % 2 === 1),
      );
      // Answering an interrupt moves the thread out of the waiting list. Times have millisecond resolution:
      // the answer comes a moment after the last update above, as it does for a person.
      await sleep(3);
      await ref.store.updateThread(waiting[0], { status: "running" });
      expect(idsOf((await ref.store.listThreads({ sort: "waiting", limit: 1 })).threads)).toEqual([waiting[1]]);
      // The default order is unchanged: newest first.
      expect((await ref.store.listThreads({ sort: "updated", limit: 1 })).threads[0].threadId).toBe(waiting[0]);
    });

    it("rejects a bad query or sort with INVALID_ARGUMENT", async () => {
      await rejectsWith(ref.store.listThreads({ query: "x".repeat(201) }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.listThreads({ query: 42 as never }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.listThreads({ sort: "oldest" as never }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.listThreads({ sort: "waiting", status: "done" }), "INVALID_ARGUMENT");
      expect((await ref.store.listThreads({ query: "x".repeat(200) })).threads).toEqual([]);
    });
  });
}
