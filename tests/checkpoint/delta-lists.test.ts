/**
 * Lists of primitives encoded from the items a step added (lib/checkpoint/delta-lists.ts): the codec compares a
 * list's items with the ones it logged at the parent's save instead of stringifying the whole list. Each case
 * saves on the memory store and checks that every checkpoint rebuilds to exactly the JSON text it had when saved
 * (through the warm instance, a cold one on the same backing, and a history listing), so a change the item
 * comparison missed (an item changed in place, a fork off a shared log, a value whose text is not its own)
 * fails here; and, where it matters, which ops were written.
 */
import { describe, expect, it } from "vitest";
import { GRID } from "../../lib/checkpoint/delta";
import { decodeOps } from "../../lib/checkpoint/delta-format";
import { addedSince, extendLog, newLog } from "../../lib/checkpoint/delta-lists";
import { createMemoryStore, newMemoryBacking } from "../../lib/checkpoint/memory";
import type { CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { cp } from "../conformance/suite-helpers";

const draft = (parentId: string | null, step: number, state: Record<string, unknown>): NewCheckpoint => cp("t", parentId, { step, state });

/** A store, a record of each save's JSON text at save time, and a check of every one of them. */
async function recorder() {
  const backing = newMemoryBacking();
  const store = await createMemoryStore({ backing });
  const expected = new Map<string, string>();
  const save = async (parentId: string | null, state: Record<string, unknown>) => {
    const c = draft(parentId, expected.size, state);
    await store.save(c);
    expected.set(c.id, JSON.stringify(state)); // before the caller changes anything in place
    return c.id;
  };
  const check = async () => {
    const cold = await createMemoryStore({ backing });
    for (const s of [store, cold] as CheckpointStore[])
      for (const [id, text] of expected) expect(JSON.stringify((await s.load(id)).state), id).toBe(text);
    for (const c of await cold.list("t")) expect(JSON.stringify(c.state)).toBe(expected.get(c.id));
  };
  const kinds = (id: string) => {
    const e = backing.checkpoints.get(id)!.entry;
    return e.ops === null ? null : Object.fromEntries(decodeOps(id, e.ops).map((o) => [o.channel, o.kind]));
  };
  return { store, save, check, kinds };
}

describe("delta codec: lists of primitives", () => {
  it("stores a growing list as appends, across skip points, and rebuilds every checkpoint exactly", async () => {
    const r = await recorder();
    const items: string[] = [];
    const ids: string[] = [];
    let parent: string | null = null;
    for (let i = 0; i < 5 * GRID + 3; i++) {
      items.push(`item ${i} ${"x".repeat(i % 7)}`);
      parent = await r.save(parent, { items: [...items], n: i });
      ids.push(parent);
    }
    await r.check();
    // After the first snapshot, the list is an append on every row (the parent's, or a skip point's tail).
    const listOps = ids.map((id) => r.kinds(id)?.items ?? "snapshot");
    expect(listOps.filter((k) => k === "a").length).toBeGreaterThan(ids.length / 2);
    expect(listOps.filter((k) => k !== "a" && k !== "snapshot")).toEqual([]);
  });

  it("catches items changed in place in the caller's array, and an array appended to in place", async () => {
    const r = await recorder();
    const items: unknown[] = ["a", "b", "c"];
    let p = await r.save(null, { items });
    p = await r.save(p, { items: [...items, "d"] });
    items.push("d"); // the very array saved first, appended to in place
    items[1] = "B"; // and an item changed in place
    p = await r.save(p, { items });
    expect(r.kinds(p)?.items).toBe("s"); // not an append: an old item changed
    items.push("e");
    p = await r.save(p, { items }); // same array object again, one more item
    expect(r.kinds(p)?.items).toBe("a");
    items[0] = "A";
    p = await r.save(p, { items });
    expect(r.kinds(p)?.items).toBe("s");
    await r.check();
  });

  it("forks off a checkpoint whose log a sibling already extended, and off an old checkpoint", async () => {
    const r = await recorder();
    const root = await r.save(null, { log: ["start"] });
    let a = await r.save(root, { log: ["start", "a1"] });
    a = await r.save(a, { log: ["start", "a1", "a2"] });
    let b = await r.save(root, { log: ["start", "b1"] }); // a sibling of a1: the shared log is no longer its tip
    // Not an append to b's list, though it extends a's: b's log must hold b's items, not its sibling's.
    const crossed = await r.save(b, { log: ["start", "a1", "x"] });
    expect(r.kinds(crossed)?.log).toBe("s");
    b = await r.save(b, { log: ["start", "b1", "b2"] });
    await r.save(a, { log: ["start", "a1", "a2", "a3"] });
    await r.save(b, { log: ["start", "b1", "b2", "b3"] });
    await r.save(root, { log: ["start"] }); // unchanged off the root
    await r.save(root, { log: [] }); // shrunk: a set
    await r.check();
  });

  it("keeps exact texts for values whose comparison or text is special", async () => {
    const r = await recorder();
    const states: unknown[][] = [
      [0, 1.5, true, null, 'q"uote', "\u2028", "é"],
      [0, 1.5, true, null, 'q"uote', "\u2028", "é", -0, NaN, Infinity],
      [-0, 1.5, true, null, 'q"uote', "\u2028", "é", 0, NaN, Infinity, -Infinity], // -0 === 0: the same text
      [-0, 1.5, true, null, 'q"uote', "\u2028", "é", 0, NaN, Infinity, -Infinity, 7], // NaN !== NaN: stringified
      [-0, 1.5, true, null, 'q"uote', "\u2028", "é", 0, NaN, Infinity, -Infinity, 7, { o: 1 }], // an object: not logged
      [-0, 1.5, true, null, 'q"uote', "\u2028", "é", 0, NaN, Infinity, -Infinity, 7, { o: 1 }, 8],
      [1, 2],
      [1, 2, undefined, 3], // undefined reads as null in a list: not logged
      [1, 2, null, 3, 4],
      [1, 2, null, 3, 4, 5],
    ];
    let p: string | null = null;
    for (const s of states) p = await r.save(p, { v: s });
    const own = Object.assign(["x", "y"], { toJSON: () => "custom" }); // a list whose text is not its items'
    p = await r.save(p, { v: own });
    p = await r.save(p, { v: Object.assign(["x", "y", "z"], { toJSON: () => "custom2" }) });
    await r.save(p, { v: ["x", "y", "z", "w"] });
    await r.check();
  });

  it("rebuilds correctly when the parent was read rather than saved by this codec (no log)", async () => {
    const backing = newMemoryBacking();
    const first = await createMemoryStore({ backing });
    const expected = new Map<string, string>();
    let p: string | null = null;
    const items: number[] = [];
    for (let i = 0; i < 2 * GRID + 1; i++) {
      items.push(i);
      const c = draft(p, i, { items: [...items] });
      await first.save(c);
      expected.set(c.id, JSON.stringify(c.state));
      p = c.id;
    }
    const second = await createMemoryStore({ backing }); // a fresh codec: it knows the head only by reading it
    const head = await second.latest("t");
    expect(head?.id).toBe(p);
    for (let i = 0; i < 2 * GRID; i++) {
      items.push(100 + i);
      const c = draft(p, 100 + i, { items: [...items] });
      await second.save(c);
      expected.set(c.id, JSON.stringify(c.state));
      p = c.id;
    }
    const cold = await createMemoryStore({ backing });
    for (const [id, text] of expected) expect(JSON.stringify((await cold.load(id)).state), id).toBe(text);
  });
});

describe("item logs", () => {
  it("extends a log only by primitives after exactly its items, sharing it while it is the tip", () => {
    const log = newLog(["a", 1], '["a",1]')!;
    expect(log).toMatchObject({ len: 2, open: '["a",1' });
    expect(extendLog(["a", 1], log, '["a",1]')).toEqual({ text: '["a",1]', log, added: "" });
    const ext = extendLog(["a", 1, null, "b"], log, '["a",1]')!;
    expect(ext.text).toBe('["a",1,null,"b"]');
    expect(ext.added).toBe('[null,"b"]');
    expect(ext.log.items).toBe(log.items); // the tip: pushed onto, not copied
    expect(log.len).toBe(2); // the parent's view is unchanged
    const sibling = extendLog(["a", 1, true], log, '["a",1]')!; // no longer the tip: copied
    expect(sibling.log.items).not.toBe(log.items);
    expect(sibling.text).toBe('["a",1,true]');
    expect(ext.log.items.slice(0, ext.log.len)).toEqual(["a", 1, null, "b"]);
    expect(extendLog(["a", 2, "c"], log, '["a",1]')).toBeNull(); // an old item changed
    expect(extendLog(["a"], log, '["a",1]')).toBeNull(); // shorter
    expect(extendLog(["a", 1, { o: 1 }], log, '["a",1]')).toBeNull(); // an object added
    expect(newLog(["a", {}], '["a",{}]')).toBeNull();
    expect(newLog([1, undefined], "[1,null]")).toBeNull();
    const empty = newLog([], "[]")!;
    expect(extendLog(["z"], empty, "[]")).toMatchObject({ text: '["z"]', added: '["z"]' });
    expect(addedSince(ext.log, 1)).toBe('[1,null,"b"]');
    expect(addedSince(ext.log, 4)).toBe("");
    expect(addedSince(ext.log, 5)).toBeNull();
  });
});
