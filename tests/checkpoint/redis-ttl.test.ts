/**
 * Redis store TTL and self-healing, against a real Redis (127.0.0.1:6379 or TEST_REDIS_URL; skipped locally
 * without one, a failure under CI). With `ttlSeconds` every key of a thread shares one deadline, so the whole
 * thread expires together and no index ever points at an expired checkpoint; listings also drop entries
 * whose keys vanished some other way (eviction). Delta rows (delta.ts) depend on older rows of the same
 * thread, which share their deadline, so a thread never loses a base before the rows stored against it.
 * Expiry is observed by waiting for it, never by timing.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisStore, type RedisCheckpointStore } from "../../lib/checkpoint/redis";
import type { Checkpoint } from "../../lib/checkpoint/types";
import { isCheckpointNotFound, isThreadNotFound, isWaypointError } from "../../lib/errors";
import { chain, cp, sleep, threadId } from "../conformance/suite-helpers";

const url = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

let unreachable: string | null = null;
try {
  await (await createRedisStore({ url, prefix: "waypoint-test:probe:" })).close();
} catch (e) {
  unreachable = (e as Error).message;
}

const stores: RedisCheckpointStore[] = [];
async function open(ttlSeconds?: number) {
  const store = await createRedisStore({ url, prefix: `waypoint-test:${randomBytes(6).toString("hex")}:`, ttlSeconds });
  stores.push(store);
  return store;
}

async function keysOf(store: RedisCheckpointStore): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await store.redis.scan(cursor, "MATCH", `${store.prefix}*`, "COUNT", 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return out.sort();
}

/** Polls until `check` holds; fails after `ms` (a generous bound, not a timing assertion). */
async function until(check: () => Promise<boolean>, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not reached");
    await sleep(100);
  }
}

const threadKeys = (s: RedisCheckpointStore, t: string) => ["checkpoints", "thread"].map((k) => `${s.prefix}execution:${t}:${k}`);

describe.skipIf(unreachable !== null && !process.env.CI)("redis store: TTL and lazy cleanup", () => {
  beforeAll(() => {
    if (unreachable) throw new Error(`Redis is required under CI: ${unreachable}`);
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) {
      const keys = await keysOf(s);
      if (keys.length) await s.redis.del(...keys);
      await s.close();
    }
  });

  it("gives every key of a thread one deadline, and a later save pushes it for the whole thread", async () => {
    const s = await open(60);
    const t = threadId();
    const [a, b] = await chain(s, t, 2);
    await s.save(cp(t, a)); // a branch
    await s.updateThread(t, { status: "running", graphId: "g" });
    const cpKeys = (await s.list(t)).map((c) => `${s.prefix}checkpoint:${c.id}`);
    const all = [...cpKeys, ...threadKeys(s, t)];
    const deadlines = await Promise.all(all.map((k) => s.redis.call("PEXPIRETIME", k) as Promise<number>));
    expect(new Set(deadlines).size).toBe(1);
    const [sec, micro] = await s.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    expect(deadlines[0]).toBeGreaterThan(now);
    expect(deadlines[0]).toBeLessThanOrEqual(now + 66_000);

    // Make the shared deadline look nearly due; the next save must move every key, old ones included.
    const soon = now + 5_000;
    for (const k of all) await s.redis.pexpireat(k, soon);
    await s.redis.hset(threadKeys(s, t)[1], "exp", soon);
    const c = await s.save(cp(t, b));
    const after = await Promise.all([...all, `${s.prefix}checkpoint:${c.id}`].map((k) => s.redis.call("PEXPIRETIME", k) as Promise<number>));
    expect(new Set(after).size).toBe(1);
    expect(after[0]).toBeGreaterThan(now + 50_000);
  });

  it("expires a whole thread (checkpoints, branches, record, index) and drops it from every listing", async () => {
    const s = await open(1);
    const t = threadId();
    const keep = threadId();
    const main = await chain(s, t, 3);
    await chain(s, t, 2, main[0]);
    await s.updateThread(t, { status: "interrupted", graphId: "g-ttl" });
    const recordOnly = threadId(); // a record without checkpoints expires too
    await s.updateThread(recordOnly, { status: "done", graphId: "g-ttl" });
    expect((await s.listThreads({ graphId: "g-ttl" })).threads).toHaveLength(2);

    // A store without TTL on the same prefix keeps its own thread forever.
    const forever = await createRedisStore({ url, prefix: s.prefix });
    try {
      await chain(forever, keep, 1);
      expect(await s.redis.pttl(`${s.prefix}execution:${keep}:thread`)).toBe(-1);
    } finally {
      await forever.close();
    }

    await until(async () => (await s.redis.exists(...threadKeys(s, t), ...threadKeys(s, recordOnly))) === 0);
    expect(await s.list(t)).toEqual([]);
    expect(await s.latest(t)).toBeNull();
    for (const c of main) expect(isCheckpointNotFound(await s.load(c.id).catch((e) => e))).toBe(true);
    expect(isThreadNotFound(await s.getThread(t).catch((e) => e))).toBe(true);
    expect(isThreadNotFound(await s.getThread(recordOnly).catch((e) => e))).toBe(true);

    // Listings skip the expired threads and remove their entries from the global sets on the way.
    expect((await s.listThreads()).threads.map((x) => x.threadId)).toEqual([keep]);
    expect((await s.listThreads({ graphId: "g-ttl" })).threads).toEqual([]);
    expect((await s.listThreads({ status: "interrupted" })).threads).toEqual([]);
    expect((await s.listThreads({ status: "done" })).threads).toEqual([]);
    const left = await keysOf(s);
    expect(left.filter((k) => k.startsWith(`${s.prefix}execution:${t}:`) || k.startsWith(`${s.prefix}checkpoint:`))).toEqual([
      `${s.prefix}checkpoint:${(await s.list(keep))[0].id}`,
    ]);
    for (const k of left.filter((k) => k.startsWith(`${s.prefix}threads`)))
      expect(await s.redis.zrange(k, 0, -1)).toEqual(k === `${s.prefix}threads` || k.endsWith(":idle") ? [keep] : []);

    // The expired thread id starts afresh.
    expect((await s.save(cp(t))).version).toBe(1);
  });

  it("list, latest and the thread record heal when a checkpoint key vanishes (e.g. evicted)", async () => {
    const s = await open();
    const t = threadId();
    // Each state is replaced whole, so every checkpoint is a snapshot: a vanished hash is nobody's base.
    const cps: Checkpoint[] = [];
    for (let i = 0; i < 5; i++) cps.push(await s.save(cp(t, cps[i - 1] ?? null, { step: i, state: { i, blob: randomBytes(60).toString("hex") } })));
    expect(await s.storage(t)).toMatchObject({ checkpoints: 5, snapshots: 5 });
    expect(await s.redis.pttl(`${s.prefix}checkpoint:${cps[0].id}`)).toBe(-1); // no TTL configured: none set
    await s.redis.del(`${s.prefix}checkpoint:${cps[1].id}`, `${s.prefix}checkpoint:${cps[4].id}`);
    expect((await s.list(t, { limit: 2 })).map((c) => c.version)).toEqual([1, 3]);
    expect((await s.latest(t))?.id).toBe(cps[3].id);
    expect(await s.redis.zrange(threadKeys(s, t)[0], 0, -1)).toEqual([cps[0], cps[2], cps[3]].map((c) => c.id));
    const info = await s.getThread(t);
    expect([info.headCheckpointId, info.headVersion, info.checkpointCount]).toEqual([cps[3].id, 4, 3]);
    // Versions stay unique: the counter does not reuse the vanished head's version.
    expect((await s.save(cp(t, cps[3]))).version).toBe(6);
  });

  it("a delta row whose base vanished outside the store (eviction) is reported CORRUPT_CHECKPOINT, naming the base", async () => {
    const s = await open();
    const t = threadId();
    const cps = await chain(s, t, 4); // tiny changes: deltas on their parents
    expect((await s.storage(t)).deltas).toBe(3);
    await s.redis.del(`${s.prefix}checkpoint:${cps[1].id}`);
    const err = await s.load(cps[2].id).catch((e) => e);
    expect(isWaypointError(err, "CORRUPT_CHECKPOINT")).toBe(true);
    expect(err.message).toContain(cps[1].id);
    expect(isWaypointError(await s.list(t).catch((e) => e), "CORRUPT_CHECKPOINT")).toBe(true);
    expect((await s.load(cps[0].id)).state).toEqual({ i: 0 });
  });

  it("delta rows share their thread's deadline: before it every row rebuilds (after prune folds too), after it the whole thread is gone", async () => {
    const s = await open(4);
    const t = threadId();
    const states = new Map<string, string>();
    let parent: Checkpoint | null = null;
    let log: unknown[] = [];
    for (let i = 0; i < 40; i++) {
      log = [...log, { i, text: `item ${i} ${"x".repeat(150)}` }];
      parent = await s.save(cp(t, parent, { step: i, state: { log, n: i } }));
      states.set(parent.id, JSON.stringify(parent.state));
    }
    const deltas = (await s.list(t)).map((c) => c.id);
    const bases = await Promise.all(deltas.map((id) => s.redis.hget(`${s.prefix}checkpoint:${id}`, "a")));
    expect(bases.filter((b) => b !== null).length).toBeGreaterThan(30);
    // Some rows are stored against a base further back than their parent (skip deltas).
    expect(bases.some((b, k) => b !== null && k > 0 && b !== deltas[k - 1])).toBe(true);
    const deadlines = async () => {
      const keys = [...(await s.list(t)).map((c) => `${s.prefix}checkpoint:${c.id}`), ...threadKeys(s, t)];
      return new Set(await Promise.all(keys.map((k) => s.redis.call("PEXPIRETIME", k) as Promise<number>)));
    };
    expect((await deadlines()).size).toBe(1);
    for (const [id, text] of states) expect(JSON.stringify((await s.load(id)).state)).toBe(text);
    for (const c of await s.list(t)) expect(JSON.stringify(c.state)).toBe(states.get(c.id));

    // Prune rewrites survivors whose base goes away as snapshots: they keep the shared deadline.
    const before = new Set(deltas);
    await s.prune(t, 10);
    const left = (await s.listSummaries(t)).map((c) => c.id);
    for (const id of before) if (!left.includes(id)) states.delete(id);
    expect(await s.redis.hexists(`${s.prefix}checkpoint:${left[0]}`, "x")).toBe(1); // the oldest survivor was folded
    expect((await deadlines()).size).toBe(1);
    for (const c of await s.list(t)) expect(JSON.stringify(c.state)).toBe(states.get(c.id));
    expect((await s.storage(t)).checkpoints).toBe(10);

    await until(async () => (await keysOf(s)).filter((k) => !k.startsWith(`${s.prefix}threads`)).length === 0, 30_000);
    for (const id of states.keys()) expect(isCheckpointNotFound(await s.load(id).catch((e) => e))).toBe(true);
    expect(await s.list(t)).toEqual([]);
    expect(await s.latest(t)).toBeNull();
    expect(isThreadNotFound(await s.storage(t).catch((e) => e))).toBe(true);
  }, 60_000);

  it("listThreads drops threads whose record vanished and stale status memberships", async () => {
    const s = await open();
    const [t1, t2, t3] = [threadId("a"), threadId("b"), threadId("c")];
    for (const t of [t1, t2, t3]) await s.updateThread(t, { status: "running" });
    await s.redis.del(threadKeys(s, t2)[1]);
    // t3's record reappears with another status without its old status entry being removed.
    await s.redis.hset(threadKeys(s, t3)[1], "status", "done");
    expect((await s.listThreads({ status: "running", limit: 1 })).threads.map((x) => x.threadId)).toEqual([t1]);
    expect(await s.redis.zrange(`${s.prefix}threads:status:running`, 0, -1)).toEqual([t1]);
    expect((await s.listThreads()).threads.map((x) => x.threadId).sort()).toEqual([t1, t3].sort());
    expect(await s.redis.zscore(`${s.prefix}threads`, t2)).toBeNull();
  });
});
