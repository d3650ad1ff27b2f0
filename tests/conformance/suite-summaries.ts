/**
 * Conformance: listSummaries. A summary must equal `toSummary` of the full checkpoint `list` returns, in the same
 * order with the same paging, also after branches, putWrites, delete/prune re-links and clear; and it must
 * validate exactly like `list`. (That no state is read is backend-specific: tests/checkpoint/summaries.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { toSummary } from "../../lib/checkpoint/summary";
import type { Checkpoint, CheckpointStore, ListOptions } from "../../lib/checkpoint/types";
import { chain, cp, rejectsWith, threadId, type StoreRef } from "./suite-helpers";
import { UNSAFE_IDS } from "./suite-safety";

/** listSummaries equals the summaries of list's checkpoints for these options; returns them. */
async function same(store: CheckpointStore, t: string, options?: ListOptions) {
  const [full, summaries] = await Promise.all([store.list(t, options), store.listSummaries(t, options)]);
  expect(summaries, JSON.stringify(options)).toEqual(full.map(toSummary));
  return summaries;
}

export function summaryTests(ref: StoreRef) {
  describe("listSummaries", () => {
    it("gives each checkpoint's summary: no state, no pending writes, no values; channels de-duplicated in write order", async () => {
      const t = threadId();
      const root = await ref.store.save(
        cp(t, null, { metadata: { source: "input", writes: [{ node: "__input__", channel: "topic", value: "x".repeat(10_000) }] } }),
      );
      const input = cp(t, root, {
        step: 3,
        nodeName: "draft,review",
        state: { big: "s".repeat(200_000), list: [1, 2, 3] },
        next: ["publish", "revise"],
        interrupts: [
          { id: "i1", node: "review", kind: "dynamic", value: { draft: "v".repeat(5_000) } },
          { id: "i2", node: "publish", kind: "before", value: null },
        ],
        pendingWrites: [{ node: "draft", channel: "draft", value: "pending ✓" }],
        metadata: {
          source: "update",
          actor: "ann — ✏️",
          reason: "fix typo",
          runId: "r1",
          durationMs: 1234,
          failedAttempts: [
            { node: "draft", attempt: 1, maxAttempts: 2, run: 1, message: "m".repeat(3_000), startedAt: "2026-01-01T00:00:00.000Z", durationMs: 5 },
          ],
          writes: [
            { node: "draft", channel: "draft", value: { long: "w".repeat(5_000) } },
            { node: "review", channel: "log", value: 1 },
            { node: "draft", channel: "draft", value: 2 },
            { node: "review", channel: "count", value: 3 },
            { node: "review", channel: "log", value: 4 },
          ],
        },
      });
      const saved = await ref.store.save(input);
      const [, s] = await same(ref.store, t);
      expect(s).toEqual({
        id: saved.id,
        threadId: t,
        parentId: root.id,
        version: 2,
        step: 3,
        nodeName: "draft,review",
        next: ["publish", "revise"],
        interrupts: [
          { id: "i1", node: "review", kind: "dynamic" },
          { id: "i2", node: "publish", kind: "before" },
        ],
        source: "update",
        actor: "ann — ✏️",
        reason: "fix typo",
        channels: ["draft", "log", "count"],
        timestamp: input.timestamp,
        durationMs: 1234,
        failedAttempts: [{ node: "draft", attempt: 1, maxAttempts: 2, run: 1 }],
      });
      expect(Object.keys(s).sort()).toEqual([
        "actor",
        "channels",
        "durationMs",
        "failedAttempts",
        "id",
        "interrupts",
        "next",
        "nodeName",
        "parentId",
        "reason",
        "source",
        "step",
        "threadId",
        "timestamp",
        "version",
      ]);
      for (const i of s.interrupts) expect("value" in i).toBe(false);
      // No actor/reason (or not strings) gives null; no writes gives no channels.
      const plain = await ref.store.save(cp(t, saved, { metadata: { source: "loop", writes: [], actor: 42 as never } }));
      const [last] = await ref.store.listSummaries(t, { order: "desc", limit: 1 });
      expect(last).toMatchObject({
        id: plain.id,
        actor: null,
        reason: null,
        channels: [],
        interrupts: [],
        source: "loop",
        durationMs: null,
        failedAttempts: [],
      });
      expect(await ref.store.listSummaries(t)).toEqual((await ref.store.list(t)).map(toSummary));
    });

    it("orders and pages exactly like list (asc/desc, limit, before, after)", async () => {
      const t = threadId();
      await chain(ref.store, t, 7);
      const options: (ListOptions | undefined)[] = [
        undefined,
        {},
        { order: "asc" },
        { order: "desc" },
        { limit: 3 },
        { order: "desc", limit: 3 },
        { order: "desc", limit: 3, before: 5 },
        { limit: 2, after: 5 },
        { after: 2, before: 6 },
        { order: "desc", after: 2, before: 6, limit: 2 },
        { after: 7 },
        { before: 1 },
        { limit: 100 },
        { after: -10, before: 100 },
        { before: 2, after: 1 },
      ];
      for (const o of options) await same(ref.store, t, o);
      expect((await ref.store.listSummaries(t, { order: "desc" })).map((s) => s.version)).toEqual([7, 6, 5, 4, 3, 2, 1]);
      expect((await ref.store.listSummaries(t, { order: "desc", after: 2, before: 6, limit: 2 })).map((s) => s.version)).toEqual([5, 4]);
      // Paging with `after` visits every checkpoint once.
      const seen: number[] = [];
      for (let after = 0; ;) {
        const page = await ref.store.listSummaries(t, { after, limit: 3 });
        if (page.length === 0) break;
        seen.push(...page.map((s) => s.version));
        after = page[page.length - 1].version;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });

    it("lists branches with their parents, and is unchanged by putWrites", async () => {
      const t = threadId();
      const main = await chain(ref.store, t, 4);
      const fork = await chain(ref.store, t, 2, main[1]);
      const fork2 = await ref.store.save(
        cp(t, main[0], { nodeName: "__fork__", metadata: { source: "fork", writes: [], actor: "bob", reason: "try" } }),
      );
      const before = await same(ref.store, t);
      expect(before.map((s) => s.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const byId = new Map(before.map((s) => [s.id, s]));
      expect(byId.get(fork[0].id)?.parentId).toBe(main[1].id);
      expect(byId.get(fork2.id)).toMatchObject({ parentId: main[0].id, source: "fork", actor: "bob", reason: "try" });
      await ref.store.putWrites(main[1].id, [{ node: "n", channel: "__resume__", value: ["yes"] }]);
      expect(await same(ref.store, t)).toEqual(before);
    });

    it("shows re-linked parents after delete", async () => {
      const t = threadId();
      const [a, b, c] = await chain(ref.store, t, 3);
      const d = await ref.store.save(cp(t, b));
      await ref.store.delete(b.id);
      const left = await same(ref.store, t);
      expect(left.map((s) => [s.id, s.parentId])).toEqual([
        [a.id, null],
        [c.id, a.id],
        [d.id, a.id],
      ]);
      await ref.store.delete(a.id);
      expect((await same(ref.store, t)).map((s) => s.parentId)).toEqual([null, null]);
      const e = await ref.store.save(cp(t, c));
      expect((await same(ref.store, t, { order: "desc", limit: 1 }))[0]).toMatchObject({ id: e.id, parentId: c.id, version: 5 });
    });

    it("shows re-linked parents after prune, and nothing after clear", async () => {
      const t = threadId();
      const main = await chain(ref.store, t, 6);
      const fork = await chain(ref.store, t, 2, main[1]);
      expect(await ref.store.prune(t, 2)).toBe(5);
      const left = await same(ref.store, t);
      expect(left.map((s) => [s.version, s.parentId])).toEqual([
        [6, null],
        [7, null],
        [8, fork[0].id],
      ]);
      await ref.store.clear(t);
      expect(await ref.store.listSummaries(t)).toEqual([]);
      const again = await ref.store.save(cp(t));
      expect(await same(ref.store, t)).toEqual([toSummary(again)]);
    });

    it("isolates what it returns from what is stored", async () => {
      const t = threadId();
      await ref.store.save(
        cp(t, null, {
          interrupts: [{ id: "i", node: "n", kind: "before", value: 1 }],
          metadata: { source: "input", writes: [{ node: "n", channel: "c", value: 1 }] },
        }),
      );
      const [s] = await ref.store.listSummaries(t);
      const copy = structuredClone(s);
      s.next.push("x");
      s.channels.push("x");
      s.interrupts[0].node = "changed";
      s.interrupts.push({ id: "j", node: "n", kind: "after" });
      expect(await ref.store.listSummaries(t)).toEqual([copy]);
    });

    it("gives [] for an unknown thread and keeps threads apart", async () => {
      expect(await ref.store.listSummaries(threadId())).toEqual([]);
      const t1 = threadId();
      const t2 = threadId();
      const a: Checkpoint[] = await chain(ref.store, t1, 2);
      await chain(ref.store, t2, 3);
      expect(await ref.store.listSummaries(t1)).toEqual(a.map(toSummary));
    });

    it("a second instance on the same backing storage sees the first one's checkpoints", async () => {
      const t = threadId();
      const first = await chain(ref.store, t, 2);
      const second = await ref.init.createSecond(ref.store);
      try {
        expect(await second.listSummaries(t)).toEqual(first.map(toSummary));
        const more = await second.save(cp(t, first[1], { metadata: { source: "loop", writes: [{ node: "n", channel: "c", value: 1 }] } }));
        expect(await ref.store.listSummaries(t)).toEqual([...first, more].map(toSummary));
      } finally {
        await second.close();
      }
    });

    it("rejects unsafe thread ids with INVALID_ID and bad options with INVALID_ARGUMENT", async () => {
      const t = threadId();
      await chain(ref.store, t, 2);
      for (const bad of UNSAFE_IDS) {
        try {
          await rejectsWith(() => ref.store.listSummaries(bad), "INVALID_ID");
        } catch (e) {
          throw new Error(`listSummaries with id ${JSON.stringify(bad.slice(0, 20))}: ${(e as Error).message}`);
        }
      }
      for (const o of [{ limit: 0 }, { limit: 1.5 }, { limit: -1 }, { order: "up" }, { before: "3" }, { after: 1.5 }, { before: Number.NaN }]) {
        await rejectsWith(() => ref.store.listSummaries(t, o as ListOptions), "INVALID_ARGUMENT");
      }
      expect((await ref.store.listSummaries(t)).map((s) => s.version)).toEqual([1, 2]);
    });
  });
}
