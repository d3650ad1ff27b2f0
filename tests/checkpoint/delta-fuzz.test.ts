/**
 * Randomised check of delta storage (lib/checkpoint/delta.ts) on the memory store, against an oracle that
 * keeps every saved state whole: random channel changes (append, set, shrink, delete, add, re-order, nested
 * lists), saves on random old checkpoints (branches), two instances on one backing (cache misses), random
 * deletes and prunes. Every survivor must rebuild byte for byte through load, list and latest. Seeded, so a
 * failure prints the seed that reproduces it.
 */
import { describe, expect, it } from "vitest";
import { createMemoryStore, newMemoryBacking } from "../../lib/checkpoint/memory";
import { newCheckpointId } from "../../lib/checkpoint/ids";
import type { Checkpoint, CheckpointStore } from "../../lib/checkpoint/types";

/** mulberry32: small, seedable. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type State = Record<string, unknown>;

function mutate(r: () => number, prev: State): { state: State; writes: { node: string; channel: string; value: unknown }[] } {
  const state: State = { ...prev };
  const writes: { node: string; channel: string; value: unknown }[] = [];
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const channels = ["log", "msgs", "doc", "count", "flags", "nested"];
  for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
    const c = pick(channels);
    const roll = r();
    const cur = state[c];
    if (roll < 0.5 && (Array.isArray(cur) || cur === undefined)) {
      const items = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => (r() < 0.2 ? [i, "x"] : { i, t: "é".repeat(Math.floor(r() * 40)) }));
      state[c] = [...((cur as unknown[]) ?? []), ...items];
      writes.push({ node: "n", channel: c, value: r() < 0.8 ? items : items[0] });
    } else if (roll < 0.6 && Array.isArray(cur) && cur.length) {
      state[c] = cur.slice(0, Math.floor(r() * cur.length));
    } else if (roll < 0.7) {
      delete state[c];
    } else if (roll < 0.75) {
      const { [c]: v, ...rest } = state; // re-add at the end: key order changes
      Object.assign(state, {});
      for (const k of Object.keys(state)) delete state[k];
      Object.assign(state, rest, { [c]: v ?? 0 });
    } else {
      const v = r() < 0.5 ? Math.floor(r() * 1000) : { text: "x".repeat(Math.floor(r() * 300)), at: r() };
      state[c] = v;
      writes.push({ node: "n", channel: c, value: v });
    }
  }
  return { state, writes };
}

async function verify(store: CheckpointStore, thread: string, oracle: Map<string, string>, seed: number) {
  for (const [id, text] of oracle) expect(JSON.stringify((await store.load(id)).state), `seed ${seed}: load ${id}`).toBe(text);
  const all = await store.list(thread);
  expect(all.length, `seed ${seed}`).toBe(oracle.size);
  for (const c of all) expect(JSON.stringify(c.state), `seed ${seed}: list ${c.id}`).toBe(oracle.get(c.id));
  const latest = await store.latest(thread);
  if (latest) expect(JSON.stringify(latest.state)).toBe(oracle.get(latest.id));
}

describe("delta storage, randomised against an oracle (memory store)", () => {
  for (const seed of Array.from({ length: 16 }, (_, i) => i + 1)) {
    it(`seed ${seed}`, async () => {
      const r = rng(seed);
      const backing = newMemoryBacking();
      const stores = [await createMemoryStore({ backing }), await createMemoryStore({ backing })];
      const thread = `fuzz-${seed}`;
      const oracle = new Map<string, string>();
      const saved: Checkpoint[] = [];
      for (let i = 0; i < 400; i++) {
        const store = stores[r() < 0.9 ? 0 : 1];
        const roll = r();
        if (roll < 0.02 && saved.length > 10) {
          const victim = saved[Math.floor(r() * saved.length)];
          if (oracle.has(victim.id)) {
            await store.delete(victim.id);
            oracle.delete(victim.id);
          }
          continue;
        }
        if (roll < 0.03 && saved.length > 20) {
          await store.prune(thread, 5 + Math.floor(r() * 40));
          const left = new Set((await store.listSummaries(thread)).map((c) => c.id));
          for (const id of [...oracle.keys()]) if (!left.has(id)) oracle.delete(id);
          continue;
        }
        // Mostly continue the newest checkpoint; sometimes branch off an older surviving one.
        const alive = saved.filter((c) => oracle.has(c.id));
        const parent = alive.length === 0 ? null : r() < 0.85 ? alive[alive.length - 1] : alive[Math.floor(r() * alive.length)];
        const base = parent ? (r() < 0.1 ? (await store.load(parent.id)).state : parent.state) : {};
        const { state, writes } = mutate(r, base);
        const cp = await store.save({
          id: newCheckpointId(),
          threadId: thread,
          parentId: parent?.id ?? null,
          step: (parent?.step ?? -2) + 1,
          nodeName: "n",
          state,
          next: [],
          interrupts: [],
          pendingWrites: [],
          metadata: { source: "loop", writes },
          timestamp: new Date().toISOString(),
        });
        saved.push({ ...cp, state }); // keep the caller's object: the next step derives from it, as the engine does
        oracle.set(cp.id, JSON.stringify(JSON.parse(JSON.stringify(state))));
        if (i % 50 === 49) await verify(stores[i % 2], thread, oracle, seed);
      }
      await verify(stores[0], thread, oracle, seed);
      await verify(stores[1], thread, oracle, seed);
      const s = await stores[0].storage(thread);
      expect(s.checkpoints).toBe(oracle.size);
      expect(s.deltas, `seed ${seed}: some checkpoints are deltas`).toBeGreaterThan(0);
    });
  }
});
