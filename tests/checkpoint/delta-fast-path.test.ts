/**
 * The delta codec's fast paths (issue 10): a primitive channel equal (===) to the parent's reuses the parent's
 * text without stringifying it, and a set of a primitive that is the very value of the channel's last write is
 * stored as "l" without stringifying the write again. Each case saves on the memory store and checks that every
 * checkpoint rebuilds to exactly the JSON text it had when saved (through a warm instance, and a cold one on the
 * same backing whose codec has seen nothing), and, where it matters, which op was written.
 */
import { describe, expect, it } from "vitest";
import { DeltaCodec } from "../../lib/checkpoint/delta";
import { decodeOps } from "../../lib/checkpoint/delta-format";
import { createMemoryStore, newMemoryBacking } from "../../lib/checkpoint/memory";
import { newCheckpointId } from "../../lib/checkpoint/ids";
import type { NewCheckpoint } from "../../lib/checkpoint/types";

type Write = { node: string; channel: string; value: unknown };

function draft(threadId: string, parentId: string | null, step: number, state: Record<string, unknown>, writes: Write[] = []): NewCheckpoint {
  return {
    id: newCheckpointId(),
    threadId,
    parentId,
    step,
    nodeName: "n",
    state,
    next: [],
    interrupts: [],
    pendingWrites: [],
    metadata: { source: "loop", writes },
    timestamp: new Date().toISOString(),
  };
}

/** Saves each state in turn (each on the previous), recording its JSON text at save time; then checks every one. */
async function roundTrip(states: (() => { state: Record<string, unknown>; writes?: Write[] })[]) {
  const backing = newMemoryBacking();
  const store = await createMemoryStore({ backing });
  const expected = new Map<string, string>();
  let parent: string | null = null;
  for (let i = 0; i < states.length; i++) {
    const { state, writes } = states[i]();
    const cp = draft("t", parent, i, state, writes);
    await store.save(cp);
    expected.set(cp.id, JSON.stringify(state)); // before any later in-place change
    parent = cp.id;
  }
  const cold = await createMemoryStore({ backing });
  for (const s of [store, cold]) for (const [id, text] of expected) expect(JSON.stringify((await s.load(id)).state), id).toBe(text);
  for (const cp of await cold.list("t")) expect(JSON.stringify(cp.state)).toBe(expected.get(cp.id));
  return { backing, ids: [...expected.keys()] };
}

describe("delta codec fast paths", () => {
  it("catches an object channel changed in place while a primitive channel stays the same", async () => {
    const doc = { a: 1, list: [1, 2] };
    await roundTrip([
      () => ({ state: { n: 1, label: "x", doc } }),
      () => {
        doc.a = 2; // same object, mutated in place after it was saved
        return { state: { n: 1, label: "x", doc } };
      },
      () => {
        doc.list.push(3);
        return { state: { n: 1, label: "x", doc } };
      },
      () => ({ state: { n: 1, label: "x", doc } }),
    ]);
  });

  it("follows a channel that changes between primitive kinds and objects, including values whose texts coincide", async () => {
    const values: unknown[] = [
      "abc",
      { v: "abc" },
      "abc",
      5,
      "5",
      5,
      null,
      NaN,
      null,
      0,
      -0,
      0,
      true,
      [true],
      true,
      "",
      undefined,
      "back",
      Infinity,
      null,
    ];
    await roundTrip(values.map((v) => () => ({ state: v === undefined ? { other: 1 } : { other: 1, x: v } })));
  });

  it("keeps exact texts across grid steps (far deltas) when primitive channels repeat their values", async () => {
    const steps = Array.from({ length: 40 }, (_, i) => () => ({
      state: {
        same: "constant",
        flag: i % 5 === 0,
        n: Math.floor(i / 3),
        pad: `${i % 4}:${"p".repeat(200)}`,
        items: Array.from({ length: i }, (_, j) => j),
      },
    }));
    await roundTrip(steps);
  });

  it('stores a set equal to the last write as "l", and a primitive that differs from its write as a full set', async () => {
    const { backing, ids } = await roundTrip([
      () => ({ state: { n: 0, s: "a" } }),
      // the last write of n is the saved value: "l"
      () => ({ state: { n: 1, s: "a" }, writes: [{ node: "n", channel: "n", value: 1 }] }),
      // a reducer made n 3 from a write of 2: a full set; s was written as the number 5 but holds the string "5"
      () => ({
        state: { n: 3, s: "5" },
        writes: [
          { node: "n", channel: "n", value: 2 },
          { node: "n", channel: "s", value: 5 },
        ],
      }),
      // NaN is never === NaN, but its text (null) equals the write's: still "l" (via the text check)
      () => ({ state: { n: NaN, s: "5" }, writes: [{ node: "n", channel: "n", value: NaN }] }),
      // two writes to one channel: only the last one counts
      () => ({
        state: { n: 7, s: "5" },
        writes: [
          { node: "a", channel: "n", value: 7 },
          { node: "b", channel: "n", value: 8 },
        ],
      }),
    ]);
    const rows = ids.map((id) => {
      const e = backing.checkpoints.get(id)!.entry;
      return e.ops === null ? null : Object.fromEntries(decodeOps(id, e.ops).map((o) => [o.channel, o.kind]));
    });
    expect(rows).toEqual([null, { n: "l" }, { n: "s", s: "s" }, { n: "l" }, { n: "s" }]);
  });

  it("encodes the same row whether or not the parent's primitive values are known (a codec primed by a read)", async () => {
    const backing = newMemoryBacking();
    const warm = await createMemoryStore({ backing });
    const a = draft("t", null, 0, { n: 1, s: "x", o: { k: 1 } });
    await warm.save(a);
    const next = { n: 1, s: "y", o: { k: 1 } };
    const writes = [{ node: "n", channel: "s", value: "y" }];
    const fromSaved = new DeltaCodec();
    fromSaved.remember(fromSaved.encode(a, JSON.stringify(a.metadata)).entry);
    const cold = await createMemoryStore({ backing });
    await cold.load(a.id); // primes the cold store's codec from the stored rows (no primitive values)
    const b = draft("t", a.id, 1, next, writes);
    const row = fromSaved.encode(b, JSON.stringify(b.metadata));
    const saved = await cold.save(b);
    expect(row.ops).not.toBeNull();
    const stored = backing.checkpoints.get(saved.id)!.entry;
    expect(stored.ops).toBe(row.ops);
    expect(JSON.stringify((await warm.load(saved.id)).state)).toBe(JSON.stringify(next));
  });

  it("hands the codec's parse of the metadata to the saved checkpoint only: changing it changes nothing stored", async () => {
    const backing = newMemoryBacking();
    const store = await createMemoryStore({ backing });
    const a = draft("t", null, 0, { n: 0 });
    await store.save(a);
    const b = draft("t", a.id, 1, { n: 1 }, [{ node: "n", channel: "n", value: 1 }]);
    const saved = await store.save(b);
    expect(saved.metadata).toEqual(b.metadata);
    (saved.metadata.writes as Write[])[0].value = 99; // the caller owns what save returned
    const loaded = await (await createMemoryStore({ backing })).load(b.id);
    expect(loaded.state).toEqual({ n: 1 });
    expect((loaded.metadata.writes as Write[])[0].value).toBe(1);
    const again = await store.save(draft("t", b.id, 2, { n: 1 }, [{ node: "n", channel: "n", value: 1 }]));
    expect((again.metadata.writes as Write[])[0].value).toBe(1);
  });

  it("gives a saved checkpoint's state on first read, the same object on every read, and takes an assignment", async () => {
    const store = await createMemoryStore();
    const a = draft("t", null, 0, { n: 0, doc: { k: [1] } });
    await store.save(a);
    const saved = await store.save(draft("t", a.id, 1, { n: 1, doc: { k: [1, 2] } }));
    expect(Object.keys(saved)).toContain("state");
    expect(saved.state).toEqual({ n: 1, doc: { k: [1, 2] } });
    expect(saved.state).toBe(saved.state);
    expect({ ...saved }.state).toBe(saved.state);
    expect(JSON.parse(JSON.stringify(saved)).state).toEqual({ n: 1, doc: { k: [1, 2] } });
    const other = await store.save(draft("t", a.id, 1, { n: 2 }));
    other.state = { replaced: true };
    expect(other.state).toEqual({ replaced: true });
    expect(Object.getOwnPropertySymbols(saved).every((s) => !Object.getOwnPropertyDescriptor(saved, s)!.enumerable)).toBe(true);
  });
});
