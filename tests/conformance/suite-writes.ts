/**
 * appendWrites (types.ts, issue 12), the same on every backend: a regular write (idx >= 0) is inserted only when
 * the task has none with that idx, a special one (idx < 0) replaces in place; order is kept; bad input rejects
 * INVALID_ARGUMENT changing nothing; concurrent appends lose nothing — from one process, from a second instance,
 * and (for backends a child process can open: `ConformanceInit.childStore`) from two real processes at once.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CheckpointStore, PendingWrite, TaskWrite } from "../../lib/checkpoint/types";
import { cp, rejectsWith, snapshot, threadId, type StoreRef } from "./suite-helpers";

/** How a child process opens the same backing storage: `module`'s export `create` called with `options`. */
export interface ChildStore {
  module: string;
  create: string;
  options: unknown;
}

/** Runs `n` concurrent appendWrites in a separate Node process (tsx loads the TypeScript), starting at `startAt`. */
function childAppends(
  child: ChildStore,
  checkpointId: string,
  label: string,
  n: number,
  startAt: number,
): Promise<{ code: number | null; out: string }> {
  const script = `
    const mod = await import(${JSON.stringify(path.resolve(child.module))});
    const store = await mod[${JSON.stringify(child.create)}](${JSON.stringify(child.options)});
    while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 1));
    await Promise.all(Array.from({ length: ${n} }, (_, i) =>
      store.appendWrites(${JSON.stringify(checkpointId)}, ${JSON.stringify(label)} + "-task-" + (i % 4), [
        { idx: Math.floor(i / 4), channel: "ch", value: { from: ${JSON.stringify(label)}, i } },
      ])));
    await store.close();
    console.log("ok");`;
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (out += d));
    proc.on("close", (code) => resolve({ code, out }));
  });
}

const w = (idx: number, channel: string, value: unknown, extra: Partial<TaskWrite> = {}): TaskWrite => ({ idx, channel, value, ...extra });
const keys = (ws: PendingWrite[]) => ws.map((x) => `${x.node}/${x.idx}`);

async function rooted(store: CheckpointStore) {
  const t = threadId("aw");
  return store.save(cp(t));
}

export function writesTests(ref: StoreRef) {
  describe("appendWrites", () => {
    it("inserts regular writes once, replaces special ones in place, keeps order and other writes", async () => {
      const { store } = ref;
      const c = await rooted(store);
      await store.putWrites(c.id, [{ node: "engine-node", channel: "x", value: 1 }]);
      await store.appendWrites(c.id, "task-a", [w(0, "out", "a0", { taskPath: "~p", encoding: "json" }), w(1, "out", { a: [1, []] })]);
      await store.appendWrites(c.id, "task-b", [w(0, "out", "b0"), w(-1, "__error__", "boom")]);
      // A retried task-a: its regular writes stay as first stored; a new idx is added at the end.
      await store.appendWrites(c.id, "task-a", [w(0, "out", "CHANGED"), w(2, "out", "a2")]);
      // task-b's error is replaced in place (not moved), and a RESUME (idx -4) is added.
      await store.appendWrites(c.id, "task-b", [w(-1, "__error__", "boom again"), w(-4, "__resume__", ["yes"])]);
      const got = (await store.load(c.id)).pendingWrites;
      expect(got).toEqual([
        { node: "engine-node", channel: "x", value: 1 },
        { node: "task-a", channel: "out", value: "a0", idx: 0, taskPath: "~p", encoding: "json" },
        { node: "task-a", channel: "out", value: { a: [1, []] }, idx: 1 },
        { node: "task-b", channel: "out", value: "b0", idx: 0 },
        { node: "task-b", channel: "__error__", value: "boom again", idx: -1 },
        { node: "task-a", channel: "out", value: "a2", idx: 2 },
        { node: "task-b", channel: "__resume__", value: ["yes"], idx: -4 },
      ]);
      // An empty list, and a retry that adds nothing, change nothing.
      await store.appendWrites(c.id, "task-a", []);
      await store.appendWrites(c.id, "task-a", [w(0, "out", "again")]);
      expect((await store.load(c.id)).pendingWrites).toEqual(got);
      // putWrites still replaces everything.
      await store.putWrites(c.id, []);
      expect((await store.load(c.id)).pendingWrites).toEqual([]);
      // appendWrites leaves the thread's updatedAt alone, and other checkpoints untouched.
      const before = await store.getThread(c.threadId);
      await store.appendWrites(c.id, "task-c", [w(0, "out", 1)]);
      expect((await store.getThread(c.threadId)).updatedAt).toBe(before.updatedAt);
      expect(keys((await store.list(c.threadId))[0].pendingWrites)).toEqual(["task-c/0"]);
    });

    it("rejects bad input with INVALID_ARGUMENT and an unknown checkpoint with CHECKPOINT_NOT_FOUND, changing nothing", async () => {
      const { store } = ref;
      const c = await rooted(store);
      await store.appendWrites(c.id, "task-a", [w(0, "out", "kept")]);
      const before = await snapshot(store, [c.threadId]);
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      const bads: [unknown, unknown][] = [
        ["", [w(0, "out", 1)]],
        ["x".repeat(257), [w(0, "out", 1)]],
        [42, [w(0, "out", 1)]],
        ["task-a", "not a list"],
        ["task-a", [null]],
        ["task-a", [w(1.5, "out", 1)]],
        ["task-a", [{ channel: "out", value: 1 }]],
        ["task-a", [w(1, "", 1)]],
        ["task-a", [w(1, "out", undefined)]],
        ["task-a", [w(1, "out", 1, { taskPath: 3 as unknown as string })]],
        ["task-a", [w(1, "out", 1, { encoding: null as unknown as string })]],
        ["task-a", [w(1, "out", 1), w(1, "out", 2)]], // one idx twice in a call
        ["task-a", [w(1, "out", 1), w(2, "out", cycle)]], // the bad one comes second: the first is not applied either
        ["task-a", [w(1, "out", 10n as unknown)]],
      ];
      for (const [task, writes] of bads) await rejectsWith(store.appendWrites(c.id, task as string, writes as TaskWrite[]), "INVALID_ARGUMENT");
      await rejectsWith(store.appendWrites("../escape", "task-a", [w(0, "out", 1)]), "INVALID_ID");
      await rejectsWith(store.appendWrites("no-such-checkpoint", "task-a", [w(0, "out", 1)]), "CHECKPOINT_NOT_FOUND");
      expect(await snapshot(store, [c.threadId])).toEqual(before);
    });

    it("40 concurrent appends from two instances on the same storage are all kept, each once", async () => {
      const { store, init } = ref;
      const c = await rooted(store);
      const second = await init.createSecond(store);
      try {
        await Promise.all(
          [store, second].flatMap((s, k) =>
            Array.from({ length: 20 }, (_, i) => s.appendWrites(c.id, `p${k}-task-${i % 4}`, [w(Math.floor(i / 4), "ch", { k, i })])),
          ),
        );
        const got = (await store.load(c.id)).pendingWrites;
        expect(got).toHaveLength(40);
        expect(new Set(keys(got)).size).toBe(40);
        expect((await second.load(c.id)).pendingWrites).toEqual(got);
      } finally {
        if (second !== store) await second.close();
      }
    });

    // Only where another process can open the storage (not the memory store): registered, not skipped, elsewhere.
    const childStore = ref.init.childStore;
    if (childStore)
      it("two real processes × 20 concurrent appends to one checkpoint: all 40 kept, each once", async () => {
        const { store } = ref;
        const c = await rooted(store);
        const child = childStore(store);
        const startAt = Date.now() + 4000; // both children are loaded by then and start together
        const results = await Promise.all([childAppends(child, c.id, "a", 20, startAt), childAppends(child, c.id, "b", 20, startAt)]);
        for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
        const got = (await store.load(c.id)).pendingWrites;
        expect(got).toHaveLength(40);
        expect(new Set(keys(got)).size).toBe(40);
        for (const label of ["a", "b"])
          for (let i = 0; i < 20; i++)
            expect(got).toContainEqual({ node: `${label}-task-${i % 4}`, channel: "ch", value: { from: label, i }, idx: Math.floor(i / 4) });
      }, 60_000);
  });
}
