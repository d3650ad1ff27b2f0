/**
 * listSummaries on the server stores (real PostgreSQL and Redis; skipped locally without them, a failure
 * under CI): data saved before summaries existed (PostgreSQL rows filled by migration 20261121010000_summary
 * or left null by an older process; Redis hashes without `s`), and Redis never reading the checkpoint body.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migratePostgres } from "../../lib/checkpoint/migrate";
import { createPostgresStore } from "../../lib/checkpoint/postgres";
import { createRedisStore, type RedisCheckpointStore } from "../../lib/checkpoint/redis";
import { toSummary } from "../../lib/checkpoint/summary";
import type { Checkpoint, NewCheckpoint } from "../../lib/checkpoint/types";
import { isWaypointError } from "../../lib/errors";
import { cp, roundTrip } from "../conformance/suite-helpers";

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const urlFor = (db: string) => Object.assign(new URL(adminUrl), { pathname: `/${db}` }).toString();

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const reason = (e: unknown) => (e as Error).message || String(e);
const pgDown = await withClient(adminUrl, (c) => c.query("SELECT 1")).then(() => null, reason);
const redisDown = await createRedisStore({ url: redisUrl, prefix: "waypoint-test:probe:" }).then((s) => s.close().then(() => null), reason);

/** The same shapes as a real thread: interrupts, a non-string actor, repeated and channel-less writes. */
function shapes(t: string): NewCheckpoint[] {
  const a = cp(t, null, { metadata: { source: "input", writes: [{ node: "__input__", channel: "topic", value: "x" }] } });
  const b = cp(t, a.id, {
    state: { big: "s".repeat(50_000) },
    interrupts: [
      { id: "i1", node: "review", kind: "dynamic", value: { ask: "ok?" } },
      { id: "i2", node: "p", kind: "after", value: 1 },
    ],
    metadata: {
      source: "loop",
      actor: 7 as never,
      writes: [
        { node: "a", channel: "x", value: 1 },
        { node: "b", channel: "y", value: 2 },
        { node: "a", channel: "x", value: 3 },
        { node: "c", value: 4 } as never,
        { node: "d", channel: "z", value: null },
      ],
    },
  });
  const c = cp(t, a.id, { nodeName: "__update__", metadata: { source: "update", actor: "ann", reason: "edit ✏️", writes: [] } });
  return [a, b, c];
}
const expectedOf = (olds: NewCheckpoint[]) => olds.map((c, i) => toSummary({ ...roundTrip(c), version: i + 1 } as Checkpoint));

const OLD_INSERT = `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state", "next", "interrupts", "pending_writes", "metadata", "created_at")
  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12)`;
const oldInsert = (c: pg.ClientBase, x: NewCheckpoint, version: number) => {
  const j = JSON.stringify;
  return c.query(OLD_INSERT, [
    x.id,
    x.threadId,
    x.parentId,
    version,
    x.step,
    x.nodeName,
    j(x.state),
    j(x.next),
    j(x.interrupts),
    j(x.pendingWrites),
    j(x.metadata),
    x.timestamp,
  ]);
};

describe.skipIf(pgDown !== null && !process.env.CI)("postgres: checkpoints saved before summaries", () => {
  const db = `waypoint_test_${randomBytes(6).toString("hex")}`;
  beforeAll(async () => {
    if (pgDown) throw new Error(`PostgreSQL (${adminUrl}) is required under CI: ${pgDown}`);
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${db}"`));
  });
  afterAll(async () => {
    if (!pgDown) await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
  });

  it("migration 20261121010000_summary fills existing rows as save would; null rows are computed at read time", async () => {
    const olds = shapes("t");
    const pool = new pg.Pool({ connectionString: urlFor(db) });
    try {
      // The database as the previous release left it: only the first migration applied, rows without summary.
      await migratePostgres(
        pool,
        loadMigrations("postgres").filter((m) => m.name === "20261121000000_init"),
      );
      const c = await pool.connect();
      try {
        for (const [i, x] of olds.entries()) await oldInsert(c, x, i + 1);
      } finally {
        c.release();
      }
    } finally {
      await pool.end();
    }
    const store = await createPostgresStore({ url: urlFor(db) }); // applies the summary migration
    try {
      const nulls = await withClient(urlFor(db), (c) => c.query(`SELECT COUNT(*)::int AS n FROM "checkpoints" WHERE "summary" IS NULL`));
      expect(nulls.rows[0].n).toBe(0);
      expect(await store.listSummaries("t")).toEqual(expectedOf(olds));
      // A row an older process writes after the migration (summary null) is computed at read time.
      const late = cp("t", olds[2].id, {
        metadata: {
          source: "loop",
          actor: "zed",
          writes: [
            { node: "n", channel: "q", value: 1 },
            { node: "n", channel: "q", value: 2 },
          ],
        },
      });
      await withClient(urlFor(db), (c) => oldInsert(c, late, 4));
      const all = await store.listSummaries("t");
      expect(all).toEqual(expectedOf([...olds, late]));
      expect(all[3].channels).toEqual(["q"]);
      expect(await store.listSummaries("t", { order: "desc", limit: 2 })).toEqual([all[3], all[2]]);
      expect(all).toEqual((await store.list("t")).map(toSummary));
      // New saves fill the column themselves, in the compact form (fields at their defaults left out), which
      // reads as the full one the migration wrote.
      const saved = await store.save(cp("t2"));
      const row = await withClient(urlFor(db), (c) => c.query(`SELECT "summary" FROM "checkpoints" WHERE "id" = $1`, [saved.id]));
      expect(row.rows[0].summary).toEqual({ source: "input", channels: [] });
      expect(await store.listSummaries("t2")).toEqual([toSummary(saved)]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(redisDown !== null && !process.env.CI)("redis: listSummaries", () => {
  let store: RedisCheckpointStore;
  beforeAll(async () => {
    if (redisDown) throw new Error(`Redis is required under CI: ${redisDown}`);
    store = await createRedisStore({ url: redisUrl, prefix: `waypoint-test:${randomBytes(6).toString("hex")}:` });
  });
  afterAll(async () => {
    if (!store) return;
    let cursor = "0";
    do {
      const [next, keys] = await store.redis.scan(cursor, "MATCH", `${store.prefix}*`, "COUNT", 1000);
      if (keys.length) await store.redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await store.close();
  });

  it("never reads the checkpoint body", async () => {
    const saved: Checkpoint[] = [];
    for (const x of shapes("nb")) saved.push(await store.save(x));
    for (const c of saved) await store.redis.hset(`${store.prefix}checkpoint:${c.id}`, "b", "{ not json");
    const err = await store.list("nb").catch((e) => e);
    expect(isWaypointError(err, "CORRUPT_CHECKPOINT")).toBe(true);
    expect(await store.listSummaries("nb")).toEqual(saved.map(toSummary));
  });

  it("checkpoints saved before summaries (no `s` field) are summarised from their body", async () => {
    const saved: Checkpoint[] = [];
    for (const x of shapes("old")) saved.push(await store.save(x));
    await store.delete(saved[0].id); // re-links b and c to null
    await store.redis.hdel(`${store.prefix}checkpoint:${saved[1].id}`, "s");
    const expected = (await store.list("old")).map(toSummary);
    expect(expected.map((s) => s.parentId)).toEqual([null, null]);
    expect(await store.listSummaries("old")).toEqual(expected);
    expect(await store.listSummaries("old", { order: "desc", limit: 1 })).toEqual([expected[1]]);
  });
});
