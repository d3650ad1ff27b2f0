/**
 * Conformance suite against a real Redis (127.0.0.1:6379, or TEST_REDIS_URL). Each store gets its own key
 * prefix; destroy deletes every key under it. Without Redis the file is skipped locally, but under CI it
 * fails loudly in beforeAll: a missing server must never pass as a green run.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisStore, type RedisCheckpointStore } from "../../lib/checkpoint/redis";
import { toSummary } from "../../lib/checkpoint/summary";
import type { Checkpoint, CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { describeConformance } from "./suite";
import { cp, roundTrip, threadId } from "./suite-helpers";

const url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * The save script of the previous release (before the delta layout), without its TTL part: one hash per
 * checkpoint with t, p, v, b (every immutable field as JSON, state and metadata included), w and s.
 */
const OLD_SAVE = `
local P, T, C, parent = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ck = P .. 'checkpoint:' .. C
local tkey, ikey = P .. 'execution:' .. T .. ':thread', P .. 'execution:' .. T .. ':checkpoints'
local v = redis.call('HINCRBY', tkey, 'seq', 1)
redis.call('HSET', ck, 't', T, 'p', parent, 'v', v, 'b', ARGV[5], 'w', ARGV[6], 's', ARGV[8])
redis.call('ZADD', ikey, v, C)
if redis.call('HSETNX', tkey, 'createdAt', ARGV[7]) == 1 then
  redis.call('HSET', tkey, 'status', 'idle', 'metadata', '{}', 'error', 'null')
end
redis.call('HSET', tkey, 'head', C, 'headVersion', v, 'count', redis.call('ZCARD', ikey), 'updatedAt', ARGV[7])
redis.call('ZADD', P .. 'threads', ARGV[9], T)
redis.call('ZADD', P .. 'threads:status:idle', ARGV[9], T)
return v
`;

/** Writes `x` the way the previous release's save did; returns what load must give back for it. */
async function oldSave(store: RedisCheckpointStore, x: NewCheckpoint): Promise<Checkpoint> {
  const { parentId, pendingWrites, ...rest } = x;
  const { id: _i, threadId: _t, parentId: _p, version: _v, ...summary } = toSummary({ ...x, version: 0 });
  const v = (await store.redis.eval(
    OLD_SAVE,
    0,
    store.prefix,
    x.threadId,
    x.id,
    parentId ?? "",
    JSON.stringify(rest),
    JSON.stringify(pendingWrites),
    x.timestamp,
    JSON.stringify(summary),
    Date.now(),
  )) as number;
  return { ...roundTrip(x), version: v };
}

/** The ~200-byte item the delta conformance cases append each step. */
const item = (i: number) => ({ i, text: `message ${i} — ${"lorem ipsum ".repeat(12)}`, tags: ["a", i % 3 ? "b" : "c"] });
const stepState = (log: unknown[], i: number) => ({ log, count: i, status: i % 5 ? "working" : "review" });
const stepMetadata = (i: number): NewCheckpoint["metadata"] => ({
  source: "loop",
  writes: [
    { node: "work", channel: "log", value: item(i) },
    { node: "work", channel: "count", value: i },
  ],
});

/** Deletes every key under the store's prefix (SCAN is fine in tests), then closes it. */
async function dropPrefix(store: RedisCheckpointStore) {
  const pattern = `${store.prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let cursor = "0";
  do {
    const [next, keys] = await store.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    if (keys.length) await store.redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

let unreachable: string | null = null;
try {
  await (await createRedisStore({ url, prefix: "waypoint-test:probe:" })).close();
} catch (e) {
  unreachable = (e as Error).message;
}

if (unreachable && !process.env.CI) {
  describe.skip(`conformance: redis (skipped locally: ${unreachable})`, () => {
    it("needs a Redis server", () => {});
  });
} else {
  beforeAll(() => {
    if (unreachable) throw new Error(`Redis is required under CI: ${unreachable}`);
  });
  describeConformance("redis", {
    create: () => createRedisStore({ url, prefix: `waypoint-test:${randomBytes(6).toString("hex")}:` }),
    createSecond: (first) => createRedisStore({ url, prefix: (first as RedisCheckpointStore).prefix }),
    childStore: (store) => ({
      module: "lib/checkpoint/redis.ts",
      create: "createRedisStore",
      options: { url, prefix: (store as RedisCheckpointStore).prefix },
    }),
    corruptDelta: async (store, id) => {
      const s = store as RedisCheckpointStore;
      const k = `${s.prefix}checkpoint:${id}`;
      if (await s.redis.hexists(k, "o")) await s.redis.hset(k, "o", '[["log","a",9999]]\n[{"garbage');
      else if (await s.redis.hexists(k, "x")) await s.redis.hset(k, "x", "{not json");
      else await s.redis.hset(k, "b", "{not json"); // a hash from before the delta layout keeps its state in b
    },
    destroy: async (store: CheckpointStore) => {
      const s = store as RedisCheckpointStore;
      await dropPrefix(s);
      await s.close();
    },
  });

  describe("redis: thread search", () => {
    it("examines a bounded slice of the index per call and hands back a cursor to go on", async () => {
      const store = await createRedisStore({ url, prefix: `waypoint-test:${randomBytes(6).toString("hex")}:` });
      try {
        const needle = threadId("needle");
        await store.updateThread(needle, { metadata: { label: "the one to find" } });
        for (let b = 0; b < 22; b++) await Promise.all(Array.from({ length: 100 }, () => store.updateThread(threadId("hay"), {})));
        // 2,201 threads, the match the oldest: one call stops after its budget with nothing found yet.
        const first = await store.listThreads({ query: "one to find", limit: 10 });
        expect(first.threads).toEqual([]);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.listThreads({ query: "one to find", limit: 10, cursor: first.nextCursor });
        expect(second.threads.map((t) => t.threadId)).toEqual([needle]);
        expect(second.nextCursor).toBeNull();
      } finally {
        await dropPrefix(store);
        await store.close();
      }
    }, 120_000);
  });

  describe("redis: delta layout", () => {
    let store: RedisCheckpointStore;
    beforeAll(() => {
      if (unreachable) throw new Error(`Redis is required under CI: ${unreachable}`);
    });
    afterEach(async () => {
      if (store) {
        await dropPrefix(store);
        await store.close();
      }
    });
    const open = async () => (store = await createRedisStore({ url, prefix: `waypoint-test:${randomBytes(6).toString("hex")}:` }));
    const hashOf = (id: string) => store.redis.hgetall(`${store.prefix}checkpoint:${id}`);

    it("hashes written by the previous layout load, list, count as snapshots and are continued with deltas, never rewritten", async () => {
      await open();
      const t = threadId("old-layout");
      const olds: Checkpoint[] = [];
      let log: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        log = [...log, item(i)];
        const x = cp(t, olds[i - 1] ?? null, { step: i, state: stepState(log, i), metadata: stepMetadata(i) });
        olds.push(await oldSave(store, x));
      }
      const rawBefore = await Promise.all(olds.map((c) => hashOf(c.id)));
      expect(Object.keys(rawBefore[0]).sort()).toEqual(["b", "p", "s", "t", "v", "w"]);

      for (const c of olds) expect(await store.load(c.id)).toEqual(c);
      expect(await store.list(t)).toEqual(olds);
      expect(await store.listSummaries(t)).toEqual(olds.map(toSummary));
      // Bytes: every field name and value of each hash, in UTF-8.
      const bytesOf = (h: Record<string, string>) => Object.entries(h).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      const before = await store.storage(t);
      expect(before).toMatchObject({ checkpoints: 3, snapshots: 3, deltas: 0, bytes: rawBefore.reduce((n, h) => n + bytesOf(h), 0) });

      // A new process continues from the old head: the new rows are deltas on top of the old hashes.
      await store.close();
      await createRedisStore({ url, prefix: store.prefix }).then((s) => (store = s));
      const states = new Map(olds.map((c) => [c.id, JSON.stringify(c.state)]));
      let parent = (await store.latest(t))!;
      expect(parent).toEqual(olds[2]);
      for (let i = 3; i < 40; i++) {
        log = [...log, item(i)];
        parent = await store.save(cp(t, parent, { step: i, state: stepState(log, i), metadata: stepMetadata(i) }));
        states.set(parent.id, JSON.stringify(parent.state));
      }
      const firstNew = (await store.list(t, { after: 3, limit: 1 }))[0];
      expect((await hashOf(firstNew.id)).a).toBe(olds[2].id);
      const after = await store.storage(t);
      expect(after).toMatchObject({ checkpoints: 40 });
      expect(after.deltas).toBeGreaterThan(30);
      expect(after.snapshots).toBeGreaterThanOrEqual(3);
      const verify = async () => {
        for (const [id, text] of states) expect(JSON.stringify((await store.load(id)).state), `load ${id}`).toBe(text);
        const all = await store.list(t);
        expect(all.map((c) => c.id).sort()).toEqual([...states.keys()].sort());
        for (const c of all) expect(JSON.stringify(c.state), `list ${c.id}`).toBe(states.get(c.id));
        // Pages whose rows sit on old hashes outside the page.
        for (const c of await store.list(t, { after: 3, limit: 4 })) expect(JSON.stringify(c.state)).toBe(states.get(c.id));
        for (const c of await store.list(t, { order: "desc", limit: 5 })) expect(JSON.stringify(c.state)).toBe(states.get(c.id));
      };
      await verify();
      // Nothing old was rewritten.
      expect(await Promise.all(olds.map((c) => hashOf(c.id)))).toEqual(rawBefore);

      // Deleting an old hash that new rows are stored against folds them; the rest of the old thread stays put.
      await store.delete(olds[2].id);
      states.delete(olds[2].id);
      await verify();
      expect(await Promise.all(olds.slice(0, 2).map((c) => hashOf(c.id)))).toEqual(rawBefore.slice(0, 2));
      expect((await hashOf(firstNew.id)).x).toBeDefined();
    });

    it("a save whose base another process deleted meanwhile is stored as a snapshot (the script refuses the delta)", async () => {
      await open();
      const t = threadId("gone-base");
      const big = "constant ".repeat(600);
      let parent: Checkpoint | null = null;
      const states = new Map<string, string>();
      const rows: Checkpoint[] = [];
      for (let i = 0; i < 16; i++) {
        parent = await store.save(cp(t, parent, { step: i, state: { big, log: Array.from({ length: i + 1 }, (_, k) => k) } }));
        states.set(parent.id, JSON.stringify(parent.state));
        rows.push(parent);
      }
      // Label 16 is a skip point: its delta would be stored against the root, label 0.
      const other = await createRedisStore({ url, prefix: store.prefix });
      try {
        await other.delete(rows[0].id);
      } finally {
        await other.close();
      }
      states.delete(rows[0].id);
      const next = await store.save(cp(t, parent, { step: 16, state: { big, log: Array.from({ length: 17 }, (_, k) => k) } }));
      states.set(next.id, JSON.stringify(next.state));
      const h = await hashOf(next.id);
      expect(h.x).toBe(states.get(next.id));
      expect([h.a, h.o]).toEqual([undefined, undefined]);
      expect(next.version).toBe(17); // the refused attempt assigned no version
      const after = await store.save(cp(t, next, { step: 17, state: { big, log: Array.from({ length: 18 }, (_, k) => k) } }));
      states.set(after.id, JSON.stringify(after.state));
      expect((await hashOf(after.id)).a).toBe(next.id);
      for (const [id, text] of states) expect(JSON.stringify((await store.load(id)).state)).toBe(text);
      for (const c of await store.list(t)) expect(JSON.stringify(c.state)).toBe(states.get(c.id));
    });

    it("a 1,500-step append thread stores a small fraction of its full states, and any old checkpoint rebuilds", async () => {
      await open();
      const t = threadId("long-1500");
      const n = 1500;
      const log: unknown[] = [];
      const ids: string[] = [];
      let parent: string | null = null;
      let logBytes = 2; // "[]"
      let fullBytes = 0;
      for (let i = 0; i < n; i++) {
        const it = item(i);
        log.push(it); // mutated in place: the codec compares JSON text, not objects
        logBytes += Buffer.byteLength(JSON.stringify(it)) + (i > 0 ? 1 : 0);
        fullBytes += Buffer.byteLength(JSON.stringify(stepState([], i))) - 2 + logBytes;
        const saved: Checkpoint = await store.save(cp(t, parent, { step: i, state: stepState(log, i), metadata: stepMetadata(i) }));
        if (i === n - 1) expect(Buffer.byteLength(JSON.stringify(saved.state))).toBe(Buffer.byteLength(JSON.stringify(stepState(log, i))));
        ids.push((parent = saved.id));
      }
      const s = await store.storage(t);
      expect(s.checkpoints).toBe(n);
      expect(s.deltas).toBeGreaterThan(n * 0.9);
      expect(s.bytes).toBeLessThan(fullBytes * 0.05);

      const expected = (i: number) => JSON.stringify(stepState(log.slice(0, i + 1), i));
      // A fresh process (empty codec cache) reads random old checkpoints.
      await store.close();
      await createRedisStore({ url, prefix: store.prefix }).then((x) => (store = x));
      let seed = 12345;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const picks = [0, 1, 7, 8, 1023, 1024, n - 2, n - 1, ...Array.from({ length: 40 }, () => Math.floor(rand() * n))];
      for (const i of picks) expect(JSON.stringify((await store.load(ids[i])).state), `load step ${i}`).toBe(expected(i));
      for (const at of [Math.floor(rand() * n), Math.floor(rand() * n)]) {
        const page = await store.list(t, { after: at, limit: 3 });
        expect(page.map((c) => c.id)).toEqual(ids.slice(at, at + 3));
        page.forEach((c, k) => expect(JSON.stringify(c.state)).toBe(expected(at + k)));
      }
      expect(JSON.stringify((await store.latest(t))!.state)).toBe(expected(n - 1));
    }, 300_000);
  });
}
