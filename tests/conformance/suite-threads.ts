/**
 * Conformance: thread records (getThread / updateThread / listThreads) and how `save` maintains them.
 */
import { describe, expect, it } from "vitest";
import { THREAD_STATUSES, type ThreadInfo } from "../../lib/checkpoint/types";
import { isThreadNotFound } from "../../lib/errors";
import { chain, cp, rejectsWith, sleep, threadId, type StoreRef } from "./suite-helpers";

const isIso = (s: string) => typeof s === "string" && !Number.isNaN(Date.parse(s));

export function threadTests(ref: StoreRef) {
  describe("thread records", () => {
    it("save creates and maintains the record (head, count, updatedAt) without touching status", async () => {
      const t = threadId();
      expect(isThreadNotFound(await ref.store.getThread(t).catch((e) => e))).toBe(true);
      const a = await ref.store.save(cp(t));
      const first = await ref.store.getThread(t);
      expect(first).toMatchObject({
        threadId: t,
        graphId: null,
        status: "idle",
        headCheckpointId: a.id,
        headVersion: 1,
        checkpointCount: 1,
        error: null,
        metadata: {},
      });
      expect(isIso(first.createdAt) && isIso(first.updatedAt)).toBe(true);
      await ref.store.updateThread(t, { status: "running" });
      await sleep(5);
      const b = await ref.store.save(cp(t, a));
      const second = await ref.store.getThread(t);
      expect(second).toMatchObject({ status: "running", headCheckpointId: b.id, headVersion: 2, checkpointCount: 2 });
      expect(second.createdAt).toBe(first.createdAt);
      expect(Date.parse(second.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    });

    it("updateThread creates an idle record, patches fields and replaces metadata", async () => {
      const t = threadId();
      const created = await ref.store.updateThread(t, {});
      expect(created).toMatchObject({
        threadId: t,
        status: "idle",
        graphId: null,
        headCheckpointId: null,
        headVersion: 0,
        checkpointCount: 0,
        error: null,
        metadata: {},
      });
      expect(await ref.store.getThread(t)).toEqual(created);
      const error = { node: "n", message: "boom — 💥", checkpointId: null, at: new Date().toISOString() };
      const patched = await ref.store.updateThread(t, { graphId: "g1", status: "error", error, metadata: { a: { b: [1] } } });
      expect(patched).toMatchObject({ graphId: "g1", status: "error", error, metadata: { a: { b: [1] } } });
      expect(await ref.store.getThread(t)).toEqual(patched);
      const replaced = await ref.store.updateThread(t, { metadata: { c: 1 }, error: null, status: "done" });
      expect(replaced).toMatchObject({ graphId: "g1", status: "done", error: null, metadata: { c: 1 } });
      expect(replaced.createdAt).toBe(created.createdAt);
      // A later save keeps what updateThread set.
      await ref.store.save(cp(t));
      expect(await ref.store.getThread(t)).toMatchObject({ graphId: "g1", status: "done", metadata: { c: 1 }, checkpointCount: 1 });
    });

    it("updateThread isolates the stored record from the caller's objects", async () => {
      const t = threadId();
      const meta = { list: [1] };
      const got = await ref.store.updateThread(t, { metadata: meta });
      meta.list.push(2);
      (got.metadata.list as number[]).push(3);
      expect((await ref.store.getThread(t)).metadata).toEqual({ list: [1] });
    });

    it("listThreads orders newest update first and filters by status and graphId", async () => {
      const t1 = threadId("a");
      const t2 = threadId("b");
      const t3 = threadId("c");
      await ref.store.updateThread(t1, { status: "done", graphId: "g1" });
      await sleep(5);
      await ref.store.updateThread(t2, { status: "running", graphId: "g2" });
      await sleep(5);
      await chain(ref.store, t3, 1);
      await ref.store.updateThread(t3, { graphId: "g1" });
      const all = await ref.store.listThreads();
      expect(all.threads.map((t) => t.threadId)).toEqual([t3, t2, t1]);
      expect(all.nextCursor).toBeNull();
      expect(all.threads[0]).toEqual(await ref.store.getThread(t3));
      expect((await ref.store.listThreads({ status: "running" })).threads.map((t) => t.threadId)).toEqual([t2]);
      expect((await ref.store.listThreads({ graphId: "g1" })).threads.map((t) => t.threadId)).toEqual([t3, t1]);
      expect((await ref.store.listThreads({ graphId: "g1", status: "done" })).threads.map((t) => t.threadId)).toEqual([t1]);
      expect((await ref.store.listThreads({ graphId: "nope" })).threads).toEqual([]);
      // Saving bumps a thread to the front.
      await sleep(5);
      await chain(ref.store, t1, 1);
      expect((await ref.store.listThreads()).threads.map((t) => t.threadId)).toEqual([t1, t3, t2]);
    });

    it("pages with a cursor without duplicates or misses, ties included", async () => {
      const made: string[] = [];
      // Created concurrently so several share an updatedAt (ties are broken by threadId).
      await Promise.all(
        Array.from({ length: 23 }, async (_, i) => {
          const t = threadId(`p${i}`);
          made.push(t);
          await ref.store.updateThread(t, { status: i % 2 ? "done" : "idle" });
        }),
      );
      const seen: ThreadInfo[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await ref.store.listThreads({ limit: 5, cursor });
        expect(page.threads.length).toBeLessThanOrEqual(5);
        seen.push(...page.threads);
        cursor = page.nextCursor;
        pages++;
        expect(pages).toBeLessThan(20);
      } while (cursor);
      expect(seen.map((t) => t.threadId).sort()).toEqual([...made].sort());
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i - 1].updatedAt >= seen[i].updatedAt).toBe(true);
        // Ties on updatedAt are broken by threadId, descending.
        if (seen[i - 1].updatedAt === seen[i].updatedAt) expect(seen[i - 1].threadId > seen[i].threadId).toBe(true);
      }
      // Filtered paging too.
      const done: string[] = [];
      cursor = null;
      do {
        const page = await ref.store.listThreads({ status: "done", limit: 4, cursor });
        done.push(...page.threads.map((t) => t.threadId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(done.sort()).toEqual(made.filter((t) => Number(t.split("-")[0].slice(1)) % 2 === 1).sort());
    });

    it("getThread of an unknown thread rejects THREAD_NOT_FOUND", async () => {
      const err = await ref.store.getThread(threadId()).catch((e) => e);
      expect(isThreadNotFound(err)).toBe(true);
    });

    it("keeps every status of THREAD_STATUSES and lists by each (cancelled included)", async () => {
      const ids = new Map(THREAD_STATUSES.map((s) => [s, threadId(s)]));
      for (const [status, t] of ids) await ref.store.updateThread(t, { status });
      for (const [status, t] of ids) {
        expect((await ref.store.getThread(t)).status).toBe(status);
        expect((await ref.store.listThreads({ status })).threads.map((x) => x.threadId)).toEqual([t]);
      }
    });
    it("rejects bad statuses, limits and cursors with INVALID_ARGUMENT", async () => {
      const t = threadId();
      await ref.store.updateThread(t, { status: "done" });
      await rejectsWith(ref.store.updateThread(t, { status: "paused" as never }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.updateThread(t, { metadata: [] as never }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.updateThread(threadId(), { status: "nope" as never }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.listThreads({ status: "paused" as never }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.listThreads({ limit: 0 }), "INVALID_ARGUMENT");
      await rejectsWith(ref.store.listThreads({ cursor: "garbage" }), "INVALID_ARGUMENT");
      const page = await ref.store.listThreads();
      expect(page.threads.map((x) => [x.threadId, x.status])).toEqual([[t, "done"]]);
    });
  });
}
