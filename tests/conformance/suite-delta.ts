/**
 * Conformance: delta storage (lib/checkpoint/delta.ts). Every case keeps an oracle — the full state each
 * checkpoint was saved with, JSON round-tripped — and checks that every surviving checkpoint rebuilds to it
 * byte for byte (load, latest, list in both orders and pages), after long append threads, branches off old
 * checkpoints, every kind of change, a second instance, deletes and prunes in every pattern, and corruption.
 */
import { describe, expect, it } from "vitest";
import type { Checkpoint, CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { isWaypointError } from "../../lib/errors";
import { cp, rejectsWith, threadId, type StoreRef } from "./suite-helpers";

type State = Record<string, unknown>;

/** Saves checkpoints and remembers what each one's state must rebuild to. */
class Oracle {
  readonly states = new Map<string, string>();
  readonly saved = new Map<string, Checkpoint>();
  constructor(
    private readonly store: () => CheckpointStore,
    readonly thread: string,
  ) {}

  async save(parent: Checkpoint | null, state: State, over: Partial<NewCheckpoint> = {}, store = this.store()): Promise<Checkpoint> {
    const saved = await store.save(cp(this.thread, parent, { step: parent ? parent.step + 1 : -1, state, ...over }));
    this.states.set(saved.id, JSON.stringify(JSON.parse(JSON.stringify(state))));
    this.saved.set(saved.id, saved);
    expect(JSON.stringify(saved.state)).toBe(this.states.get(saved.id));
    return saved;
  }

  forget(ids: Iterable<string>) {
    for (const id of ids) {
      this.states.delete(id);
      this.saved.delete(id);
    }
  }

  /** Every surviving checkpoint rebuilds exactly, through every read path. */
  async verify(store = this.store()) {
    for (const [id, text] of this.states) expect(JSON.stringify((await store.load(id)).state), `load ${id}`).toBe(text);
    const all = await store.list(this.thread);
    expect(all.map((c) => c.id).sort()).toEqual([...this.states.keys()].sort());
    for (const c of all) expect(JSON.stringify(c.state), `list ${c.id}`).toBe(this.states.get(c.id));
    const desc = await store.list(this.thread, { order: "desc", limit: 7 });
    for (const c of desc) expect(JSON.stringify(c.state), `desc ${c.id}`).toBe(this.states.get(c.id));
    if (all.length > 4) {
      const mid = all[Math.floor(all.length / 2)].version;
      for (const c of await store.list(this.thread, { after: mid, limit: 3 })) expect(JSON.stringify(c.state)).toBe(this.states.get(c.id));
      for (const c of await store.list(this.thread, { before: mid, order: "desc", limit: 3 }))
        expect(JSON.stringify(c.state)).toBe(this.states.get(c.id));
    }
    const latest = await store.latest(this.thread);
    if (latest) expect(JSON.stringify(latest.state)).toBe(this.states.get(latest.id));
  }
}

const item = (i: number) => ({ i, text: `message ${i} — ${"lorem ipsum ".repeat(12)}`, tags: ["a", i % 3 ? "b" : "c"] });

/** A linear thread whose `log` grows by one ~200-byte item per step (as a chat or a pipeline's log does). */
async function appendThread(o: Oracle, n: number, from: Checkpoint | null = null, start = 0): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  let parent = from;
  let log: unknown[] = from ? ((from.state.log as unknown[]) ?? []) : [];
  for (let i = start; i < start + n; i++) {
    const it = item(i);
    log = [...log, it];
    parent = await o.save(
      parent,
      { log, count: i, status: i % 5 ? "working" : "review" },
      {
        metadata: {
          source: "loop",
          writes: [
            { node: "work", channel: "log", value: it },
            { node: "work", channel: "count", value: i },
          ],
        },
      },
    );
    out.push(parent);
  }
  return out;
}

export function deltaTests(ref: StoreRef) {
  describe("delta storage", () => {
    it("a long append thread is stored as deltas and every checkpoint rebuilds exactly", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-long"));
      const cps = await appendThread(o, 300);
      await o.verify();
      const s = await ref.store.storage(o.thread);
      expect(s).toMatchObject({ threadId: o.thread, checkpoints: 300 });
      expect(s.snapshots + s.deltas).toBe(300);
      expect(s.deltas).toBeGreaterThan(270);
      // Full states would hold 300 * 301 / 2 items; deltas hold each item about 1 + log2(n)/2 times.
      const full = cps.reduce((n, c) => n + JSON.stringify(c.state).length, 0);
      expect(s.bytes).toBeLessThan(full / 5);
      expect(s.largest.length).toBeGreaterThan(0);
      expect(s.largest.length).toBeLessThanOrEqual(10);
      for (let i = 1; i < s.largest.length; i++) expect(s.largest[i - 1].bytes).toBeGreaterThanOrEqual(s.largest[i].bytes);
    });

    it("branches off old checkpoints (at and between snapshots) rebuild exactly, and so do their descendants", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-branch"));
      const main = await appendThread(o, 80);
      for (const at of [0, 1, 2, 3, 15, 16, 31, 32, 33, 63, 64, 79]) await appendThread(o, 9, main[at], 1000 + at * 10);
      // An edit on an old checkpoint (a human update) and a fork with another state shape.
      await o.save(main[40], { ...main[40].state, status: "edited by ann" }, { nodeName: "__update__", metadata: { source: "update", writes: [] } });
      await o.save(main[50], { other: true }, { nodeName: "__fork__", metadata: { source: "fork", writes: [] } });
      await o.verify();
    });

    it("every kind of change rebuilds exactly: set, append, shrink, nested lists, add and remove channels, key order", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-kinds"));
      const states: State[] = [
        { a: 1, list: [], obj: { x: 1 }, s: "x" },
        { a: 2, list: [1], obj: { x: 1, y: 2 }, s: "x" },
        { a: 2, list: [1, [2, 3]], obj: { x: 1, y: 2 }, s: "x\ny", "weird\nkey\u2028": [1] },
        { a: 2, list: [1], obj: { y: 2 }, s: "x\ny", "weird\nkey\u2028": [1, 2] },
        { a: 2, list: [1, { deep: [null, true, "é"] }], obj: { y: 2 } },
        { list: [1, { deep: [null, true, "é"] }, 3], obj: { y: 2 }, a: 3 },
        { a: 3, list: "not a list any more", obj: [] },
        { a: 3, list: ["a list again"], obj: [], added: { n: 1 } },
        { a: 3, list: ["a list again", "b"], obj: [], added: { n: 1 }, later: null },
        { a: 4, list: ["a list again", "b"], obj: [], later: null, added: { n: 2 } },
        {},
        { back: [1, 2, 3] },
        { back: [1, 2, 3, 4], "": "empty key", "123": "numeric key" },
        { back: [1, 2, 3, 4, 5], "": "empty key", "123": "numeric key" },
      ];
      let parent: Checkpoint | null = null;
      for (let round = 0; round < 3; round++) for (const s of states) parent = await o.save(parent, s);
      await o.verify();
    });

    it("writes that do not match the state are never trusted over the state", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-writes"));
      let parent: Checkpoint | null = null;
      let log: number[] = [];
      for (let i = 0; i < 20; i++) {
        log = [...log, i];
        // Claims to have appended i * 100 and set `n` to -1; the state says otherwise.
        parent = await o.save(
          parent,
          { log, n: i },
          {
            metadata: {
              source: "loop",
              writes: [
                { node: "x", channel: "log", value: i * 100 },
                { node: "x", channel: "n", value: -1 },
              ],
            },
          },
        );
      }
      await o.verify();
    });

    it("a second instance (another process) continues the thread and both read every checkpoint", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-second"));
      const first = await appendThread(o, 40);
      const second = await ref.init.createSecond(ref.store);
      try {
        const head = await second.latest(o.thread);
        expect(head!.id).toBe(first[39].id);
        let parent = head!;
        let log = parent.state.log as unknown[];
        for (let i = 40; i < 80; i++) {
          log = [...log, item(i)];
          parent = await o.save(parent, { log, count: i, status: "second" }, {}, second);
        }
        await o.verify(second);
        await o.verify();
        expect((await second.storage(o.thread)).deltas).toBeGreaterThan(60);
      } finally {
        if (second !== ref.store) await second.close();
      }
    });

    it("pending writes and interrupts on delta checkpoints keep working", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-writes"));
      const cps = await appendThread(o, 12);
      const target = cps[9];
      await ref.store.putWrites(target.id, [{ node: "n", channel: "__resume__", value: ["yes"] }]);
      const loaded = await ref.store.load(target.id);
      expect(loaded.pendingWrites).toEqual([{ node: "n", channel: "__resume__", value: ["yes"] }]);
      const withInterrupt = await o.save(cps[11], { ...cps[11].state }, { interrupts: [{ id: "i1", node: "n", kind: "dynamic", value: { q: 1 } }] });
      expect((await ref.store.load(withInterrupt.id)).interrupts).toEqual([{ id: "i1", node: "n", kind: "dynamic", value: { q: 1 } }]);
      await o.verify();
    });

    it("deleting single checkpoints (snapshot holders, bases of others, branch points) leaves every survivor rebuildable", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-delete"));
      const main = await appendThread(o, 70);
      const branch = await appendThread(o, 10, main[31], 500);
      for (const victim of [main[0], main[32], main[31], main[48], main[63], branch[3], main[69]]) {
        await ref.store.delete(victim.id);
        o.forget([victim.id]);
        await o.verify();
      }
      // The thread goes on from its head after the deletes.
      const head = (await ref.store.latest(o.thread))!;
      await appendThread(o, 20, head, 2000);
      await o.verify();
    });

    it("pruning in every pattern keeps every survivor rebuildable, and the thread goes on", async () => {
      for (const keep of [1, 5, 17, 64]) {
        const o = new Oracle(() => ref.store, threadId(`delta-prune-${keep}`));
        const main = await appendThread(o, 100);
        for (const at of [3, 16, 40, 64]) await appendThread(o, 4, main[at], 5000 + at * 10);
        const before = new Set((await ref.store.listSummaries(o.thread)).map((c) => c.id));
        await ref.store.prune(o.thread, keep);
        const after = new Set((await ref.store.listSummaries(o.thread)).map((c) => c.id));
        o.forget([...before].filter((id) => !after.has(id)));
        await o.verify();
        const head = (await ref.store.latest(o.thread))!;
        await appendThread(o, 40, head, 9000);
        await ref.store.prune(o.thread, keep + 3);
        const left = new Set((await ref.store.listSummaries(o.thread)).map((c) => c.id));
        o.forget([...o.states.keys()].filter((id) => !left.has(id)));
        await o.verify();
      }
    });

    it("a corrupted delta is reported clearly; checkpoints before it and other threads stay readable", async () => {
      const o = new Oracle(() => ref.store, threadId("delta-corrupt"));
      const cps = await appendThread(o, 30);
      const other = new Oracle(() => ref.store, threadId("delta-intact"));
      await appendThread(other, 10);
      const victim = cps[20];
      const s = await ref.store.storage(o.thread);
      expect(s.deltas).toBeGreaterThan(0);
      await ref.init.corruptDelta(ref.store, victim.id);
      const err = await rejectsWith(ref.store.load(victim.id), "CORRUPT_CHECKPOINT");
      expect(err.message).toContain(victim.id);
      for (const c of cps.slice(0, 20)) expect(JSON.stringify((await ref.store.load(c.id)).state)).toBe(o.states.get(c.id));
      await other.verify();
    });

    it("storage() of an unknown thread is THREAD_NOT_FOUND; of a thread with only a record, zero", async () => {
      await rejectsWith(ref.store.storage(threadId("nobody")), "THREAD_NOT_FOUND");
      const t = threadId("record-only");
      await ref.store.updateThread(t, { status: "idle" });
      expect(await ref.store.storage(t)).toEqual({ threadId: t, bytes: 0, checkpoints: 0, snapshots: 0, deltas: 0, largest: [] });
      const err = await ref.store.storage("../bad").catch((e) => e);
      expect(isWaypointError(err, "INVALID_ID")).toBe(true);
    });
  });
}
