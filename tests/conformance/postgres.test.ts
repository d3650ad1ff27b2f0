/**
 * Conformance suite against the PostgreSQL store, each store on a database of its own
 * (`waypoint_test_<random>`, created through the server's `postgres` database and dropped in destroy).
 * Server: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres. Without a server the file is
 * skipped locally, but under CI it fails loudly in beforeAll: a missing server must never pass as a green run.
 * Also covers the store's own setup: concurrent migration by two instances, and STORE_UNAVAILABLE; and delta
 * storage against real data: rows written in the layout before migration 20261201000000_delta (JSONB state)
 * keep loading and are continued with deltas, and a 1,500-step append thread stays small and exact.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadMigrations, migratePostgres } from "../../lib/checkpoint/migrate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresCheckpointStore } from "../../lib/checkpoint/postgres";
import { codecMetadata, jsonbKeyOrder } from "../../lib/checkpoint/pg-delta";
import { summaryExtra } from "../../lib/checkpoint/summary";
import type { Checkpoint, CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { isWaypointError } from "../../lib/errors";
import { chain, cp } from "./suite-helpers";
import { describeConformance } from "./suite";

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const urlFor = (db: string) => {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const newDatabase = async () => {
  const name = `waypoint_test_${randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return name;
};
const dropDatabase = (name: string) => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

/** A client on one test database (not the store's pool: what a hand edit or an older process would use). */
async function onDatabase<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: urlFor(db), connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let unreachable: string | null = null;
try {
  await admin((c) => c.query("SELECT 1"));
} catch (e) {
  unreachable = (e as Error).message || String((e as { code?: unknown }).code ?? e);
}

if (unreachable && !process.env.CI) {
  describe.skip(`conformance: postgres (skipped locally: ${unreachable})`, () => {
    it("needs a PostgreSQL server", () => {});
  });
} else {
  beforeAll(() => {
    if (unreachable) throw new Error(`PostgreSQL (${adminUrl}) is required under CI: ${unreachable}`);
  });

  const databases = new WeakMap<CheckpointStore, string>();
  describeConformance("postgres", {
    create: async () => {
      const db = await newDatabase();
      const store = await createPostgresStore({ url: urlFor(db) });
      databases.set(store, db);
      return store;
    },
    createSecond: async (first) => createPostgresStore({ url: urlFor(databases.get(first)!) }),
    childStore: (store) => ({ module: "lib/checkpoint/postgres.ts", create: "createPostgresStore", options: { url: urlFor(databases.get(store)!) } }),
    // Garbage where the row's ops were, or where its state text was for a snapshot (a pre-delta row's JSONB
    // state is shadowed by state_text, which is read first).
    corruptDelta: async (store, id) => {
      const res = await onDatabase(databases.get(store)!, (c) =>
        c.query(
          `UPDATE "checkpoints" SET
             "ops" = CASE WHEN "ops" IS NULL THEN NULL ELSE '[["log","a",9999]]' || chr(10) || '[{"garbage' END,
             "state_text" = CASE WHEN "ops" IS NULL THEN '{not json' ELSE "state_text" END
           WHERE "id" = $1`,
          [id],
        ),
      );
      expect(res.rowCount).toBe(1);
    },
    destroy: async (store) => {
      await store.close();
      await dropDatabase(databases.get(store)!);
    },
  });

  describe("postgres store setup and migrations", () => {
    const made: string[] = [];
    afterAll(async () => {
      for (const db of made) await dropDatabase(db);
    });

    it("migration 20261202000000_ns_writes moves a LangGraph subgraph's metadata.langgraph.ns onto the column, head re-pointed", async () => {
      const db = await newDatabase();
      made.push(db);
      const pool = new pg.Pool({ connectionString: urlFor(db) });
      const t = "lg-old";
      try {
        await migratePostgres(
          pool,
          loadMigrations("postgres").filter((m) => m.name < "20261202000000_ns_writes"),
        );
        // As the saver wrote them before: root v1, subgraph v2 (the newest, so the old head), both in one thread.
        await pool.query(
          `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count") VALUES ($1, 'sub-2', 2, 2, 2)`,
          [t],
        );
        for (const [id, ns, version, parent] of [
          ["root-1", "", 1, null],
          ["sub-2", "sub:abc", 2, "root-1"],
        ] as const) {
          const metadata = { source: "loop", writes: [], langgraph: { ns, v: 4, ts: "", channelVersions: {}, versionsSeen: {}, metadata: {} } };
          const summary = { interrupts: [], source: "loop", actor: null, reason: null, channels: [], durationMs: null, failedAttempts: [] };
          await pool.query(
            `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state_text", "depth", "next", "interrupts", "pending_writes", "metadata", "created_at", "summary")
             VALUES ($1, $2, $3, $4, 0, 'n', '{}', 0, '[]', '[]', '[]', $5::jsonb, '2026-11-01T00:00:00.000Z', $6::jsonb)`,
            [id, t, parent, version, JSON.stringify(metadata), JSON.stringify(summary)],
          );
        }
      } finally {
        await pool.end();
      }
      const store = await createPostgresStore({ url: urlFor(db) });
      try {
        expect((await store.load("sub-2")).namespace).toBe("sub:abc");
        expect(await store.load("root-1")).not.toHaveProperty("namespace");
        expect(await store.getThread(t)).toMatchObject({ headCheckpointId: "root-1", headVersion: 1, checkpointCount: 2 });
        expect((await store.latest(t))?.id).toBe("root-1");
        expect((await store.listSummaries(t, { namespace: "sub:abc" })).map((s) => [s.id, s.namespace])).toEqual([["sub-2", "sub:abc"]]);
      } finally {
        await store.close();
      }
    });

    it("two instances migrating one new database at once both succeed, and it is migrated exactly once", async () => {
      const db = await newDatabase();
      made.push(db);
      const stores: PostgresCheckpointStore[] = await Promise.all([1, 2, 3].map(() => createPostgresStore({ url: urlFor(db) })));
      try {
        const [a, b] = stores;
        await a.setup(); // idempotent
        const root = await a.save(cp("t-mig"));
        expect(await b.load(root.id)).toEqual(root);
        const rows = await admin(async () => {
          const c = new pg.Client({ connectionString: urlFor(db) });
          await c.connect();
          try {
            return (await c.query(`SELECT "name" FROM "_waypoint_migrations" ORDER BY "name"`)).rows;
          } finally {
            await c.end();
          }
        });
        expect(rows).toEqual(loadMigrations("postgres").map((m) => ({ name: m.name })));
      } finally {
        for (const s of stores) await s.close();
      }
    });

    it("the database itself refuses a parent from another thread and versions stay unique (constraints)", async () => {
      const db = await newDatabase();
      made.push(db);
      const store = await createPostgresStore({ url: urlFor(db) });
      try {
        const [a] = await chain(store, "t-a", 1);
        const c = new pg.Client({ connectionString: urlFor(db) });
        await c.connect();
        try {
          const insert = (id: string, thread: string, parent: string | null, version: number) =>
            c.query(
              `INSERT INTO "checkpoints" ("id","thread_id","parent_id","version","step","node_name","state","next","interrupts","pending_writes","metadata","created_at")
               VALUES ($1,$2,$3,$4,0,'n','{}','[]','[]','[]','{}','2026-01-01T00:00:00.000Z')`,
              [id, thread, parent, version],
            );
          await expect(insert("x1", "t-b", a.id, 1)).rejects.toMatchObject({ code: "23503" });
          await expect(insert("x2", "t-a", null, 1)).rejects.toMatchObject({ code: "23505" });
        } finally {
          await c.end();
        }
      } finally {
        await store.close();
      }
    });

    it("the Prisma schema matches the migrated tables: every model reads rows the store wrote", async () => {
      const db = await newDatabase();
      made.push(db);
      const store = await createPostgresStore({ url: urlFor(db) });
      try {
        const [a] = await chain(store, "t-parity", 2);
        await store.updateThread("t-parity", {
          graphId: "g",
          status: "error",
          error: { node: "n", message: "m", checkpointId: a.id, at: a.timestamp },
        });
        await store.acquireLock("t-parity", "owner-a", 60_000);
        const prisma = await store.getPrisma();
        const row = await prisma.checkpoint.findUnique({ where: { id: a.id }, include: { children: true, deltas: true } });
        expect(row).toMatchObject({
          threadId: "t-parity",
          parentId: null,
          version: 1,
          state: null,
          baseId: null,
          depth: 0,
          ops: null,
          metadata: a.metadata,
          createdAt: a.timestamp,
        });
        expect(JSON.parse(row!.stateText!)).toEqual(a.state);
        expect(row?.children.map((c) => c.version)).toEqual([2]);
        // The second checkpoint is a delta against the first (base relation, both directions).
        expect(row?.deltas.map((c) => ({ version: c.version, baseId: c.baseId, depth: c.depth, stateText: c.stateText }))).toEqual([
          { version: 2, baseId: a.id, depth: 1, stateText: null },
        ]);
        const delta = await prisma.checkpoint.findUnique({ where: { id: row!.children[0].id }, include: { base: true } });
        expect(delta?.base?.id).toBe(a.id);
        expect(typeof delta?.ops).toBe("string");
        expect(await prisma.thread.findUnique({ where: { threadId: "t-parity" } })).toMatchObject({
          graphId: "g",
          status: "error",
          checkpointCount: 2,
          headVersion: 2,
          lastVersion: 2,
        });
        expect(await prisma.threadLock.findUnique({ where: { threadId: "t-parity" } })).toMatchObject({ owner: "owner-a" });
      } finally {
        await store.close();
      }
    });

    it("rows written before the delta layout (JSONB state only) load, list, and are continued with deltas", async () => {
      const db = await newDatabase();
      made.push(db);
      const t = "t-legacy";
      // The database as the previous release left it: every migration before the delta one, rows saved the old way
      // (state JSONB, no state_text / base_id / depth / ops), keys in an order JSONB does not keep.
      const olds: NewCheckpoint[] = [];
      for (let i = 0; i < 3; i++) {
        olds.push(
          cp(t, olds[i - 1]?.id ?? null, {
            step: i - 1,
            state: { status: `old ${i}`, log: Array.from({ length: i + 1 }, (_, k) => ({ text: `old item ${k}`, i: k })), count: i },
            metadata: { source: i === 0 ? "input" : "loop", writes: [{ node: "work", channel: "log", value: { text: `old item ${i}`, i } }] },
          }),
        );
      }
      const pool = new pg.Pool({ connectionString: urlFor(db) });
      try {
        await migratePostgres(
          pool,
          loadMigrations("postgres").filter((m) => m.name < "20261201000000_delta"),
        );
        const j = JSON.stringify;
        for (const [i, x] of olds.entries()) {
          await pool.query(
            `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state", "next", "interrupts", "pending_writes", "metadata", "created_at", "summary")
             VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12, $13::jsonb)`,
            [
              x.id,
              t,
              x.parentId,
              i + 1,
              x.step,
              x.nodeName,
              j(x.state),
              j(x.next),
              j(x.interrupts),
              j(x.pendingWrites),
              j(x.metadata),
              x.timestamp,
              j(summaryExtra(x)),
            ],
          );
        }
        await pool.query(
          `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count") VALUES ($1, $2, 3, 3, 3)`,
          [t, olds[2].id],
        );
      } finally {
        await pool.end();
      }

      const store = await createPostgresStore({ url: urlFor(db) }); // applies the delta migration
      try {
        // What the old store returned for each row: its JSONB, parsed (keys in JSONB's order).
        const oracle = new Map<string, string>();
        const jsonbStates = await onDatabase(db, (c) => c.query<{ id: string; s: string }>(`SELECT "id", "state"::text AS "s" FROM "checkpoints"`));
        for (const r of jsonbStates.rows) oracle.set(r.id, JSON.stringify(JSON.parse(r.s)));
        for (const x of olds) {
          const loaded = await store.load(x.id);
          expect(loaded.state).toEqual(x.state);
          expect(JSON.stringify(loaded.state)).toBe(oracle.get(x.id));
        }
        expect((await store.list(t)).map((c) => JSON.stringify(c.state))).toEqual(olds.map((x) => oracle.get(x.id)));
        expect(await store.storage(t)).toMatchObject({ checkpoints: 3, snapshots: 3, deltas: 0 });

        // Continued from the old head: new rows are deltas against it.
        let parent: Checkpoint = (await store.latest(t))!;
        expect(parent.id).toBe(olds[2].id);
        for (let i = 3; i < 40; i++) {
          const it = { i, text: `new item ${i}` };
          const state = { ...parent.state, log: [...(parent.state.log as unknown[]), it], count: i };
          parent = await store.save(
            cp(t, parent, { step: parent.step + 1, state, metadata: { source: "loop", writes: [{ node: "work", channel: "log", value: it }] } }),
          );
          oracle.set(parent.id, JSON.stringify(state));
        }
        const s = await store.storage(t);
        expect(s.checkpoints).toBe(40);
        expect(s.deltas).toBeGreaterThan(30);
        // A second instance (another process, cold cache) reads everything too.
        const second = await createPostgresStore({ url: urlFor(db) });
        try {
          for (const reader of [store, second]) {
            for (const [id, text] of oracle) expect(JSON.stringify((await reader.load(id)).state), id).toBe(text);
            for (const order of ["asc", "desc"] as const)
              for (const c of await reader.list(t, { order })) expect(JSON.stringify(c.state)).toBe(oracle.get(c.id));
            for (const c of await reader.list(t, { order: "desc", limit: 4 })) expect(JSON.stringify(c.state)).toBe(oracle.get(c.id));
          }
        } finally {
          await second.close();
        }
        // The old rows were not rewritten.
        const legacy = await onDatabase(db, (c) =>
          c.query(
            `SELECT COUNT(*)::int AS "n" FROM "checkpoints" WHERE "state" IS NOT NULL AND "state_text" IS NULL AND "depth" IS NULL AND "ops" IS NULL`,
          ),
        );
        expect(legacy.rows[0].n).toBe(3);
        // Deleting the old head (the base of the first new rows) folds its dependants; all survivors still rebuild.
        await store.delete(olds[2].id);
        oracle.delete(olds[2].id);
        for (const [id, text] of oracle) expect(JSON.stringify((await store.load(id)).state), id).toBe(text);
        await store.prune(t, 5);
        const left = await store.list(t);
        expect(left.length).toBeGreaterThanOrEqual(5);
        for (const c of left) expect(JSON.stringify(c.state)).toBe(oracle.get(c.id));
      } finally {
        await store.close();
      }
    });

    it("the key order metadata is encoded against is the server's JSONB order", async () => {
      const keys = ["text", "tags", "i", "10", "9", "é", "z", "ab", "aé", "__proto__", "", "Z", "zz", "é́", "😀"];
      const obj = Object.fromEntries(keys.map((k, n) => [k, n]));
      const server = await admin((c) => c.query<{ k: string }>(`SELECT jsonb_object_keys($1::jsonb) AS "k"`, [JSON.stringify(obj)]));
      expect(server.rows.map((r) => r.k)).toEqual([...keys].sort(jsonbKeyOrder));
      // What a read of the stored metadata parses to is what the codec was given at save.
      const metadata = { writes: [{ channel: "c", value: obj, node: "n" }], source: "loop" };
      const stored = await admin((c) => c.query<{ t: string }>(`SELECT $1::jsonb::text AS "t"`, [JSON.stringify(metadata)]));
      expect(JSON.stringify(JSON.parse(codecMetadata(metadata, JSON.stringify(metadata))))).toBe(JSON.stringify(JSON.parse(stored.rows[0].t)));
    });

    it("a save whose base another instance deleted meanwhile is stored whole, and every checkpoint still rebuilds", async () => {
      const db = await newDatabase();
      made.push(db);
      const a = await createPostgresStore({ url: urlFor(db) });
      const b = await createPostgresStore({ url: urlFor(db) });
      const t = "t-stale";
      try {
        const oracle = new Map<string, string>();
        const pad = "p".repeat(4000); // a big unchanging channel: small appends stay deltas
        let parent: Checkpoint | null = null;
        const saved: Checkpoint[] = [];
        for (let i = 0; i < 16; i++) {
          const state = { pad, log: Array.from({ length: i + 1 }, (_, k) => k) };
          parent = await a.save(cp(t, parent, { step: i, state }));
          saved.push(parent);
          oracle.set(parent.id, JSON.stringify(state));
        }
        // Label 16 is a skip point stored against the root (delta.ts baseLabel); the other instance deletes the root.
        await b.delete(saved[0].id);
        oracle.delete(saved[0].id);
        const state = { pad, log: Array.from({ length: 17 }, (_, k) => k) };
        const last = await a.save(cp(t, parent, { step: 16, state }));
        oracle.set(last.id, JSON.stringify(state));
        expect(JSON.stringify(last.state)).toBe(oracle.get(last.id));
        const row = await onDatabase(db, (c) =>
          c.query(`SELECT "base_id", "ops", "state_text" IS NOT NULL AS "whole" FROM "checkpoints" WHERE "id" = $1`, [last.id]),
        );
        expect(row.rows[0]).toEqual({ base_id: null, ops: null, whole: true });
        for (const reader of [a, b]) for (const [id, text] of oracle) expect(JSON.stringify((await reader.load(id)).state), id).toBe(text);
        // The thread goes on from there as deltas again.
        const next = await a.save(cp(t, last, { step: 17, state: { pad, log: [...state.log, 17] } }));
        const nextRow = await onDatabase(db, (c) => c.query(`SELECT "base_id" FROM "checkpoints" WHERE "id" = $1`, [next.id]));
        expect(nextRow.rows[0].base_id).toBe(last.id);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("a 1,500-step append thread stores a small fraction of its full states and old checkpoints rebuild exactly", async () => {
      const db = await newDatabase();
      made.push(db);
      const store = await createPostgresStore({ url: urlFor(db) });
      const t = "t-long";
      const N = 1500;
      // One ~200-byte item per step. Keys in JSONB order (length, then bytes), so the step's write in metadata
      // matches the state and is stored once ("w" ops).
      const item = (i: number) => ({ i, tag: i % 3 ? "b" : "c", text: `message ${i} — ${"lorem ipsum ".repeat(14)}` });
      const texts: string[] = [];
      const expected = (k: number) => `{"log":[${texts.slice(0, k + 1).join(",")}],"count":${k}}`;
      try {
        const ids: string[] = [];
        const log: unknown[] = [];
        let fullBytes = 0;
        let logBytes = 0;
        let parent: Checkpoint | null = null;
        for (let i = 0; i < N; i++) {
          const it = item(i);
          texts.push(JSON.stringify(it));
          log.push(it);
          logBytes += Buffer.byteLength(texts[i]) + (i > 0 ? 1 : 0);
          fullBytes += logBytes + Buffer.byteLength(`{"log":[],"count":${i}}`);
          const saved: Checkpoint = await store.save(
            cp(t, parent, {
              step: i,
              state: { log, count: i },
              metadata: { source: "loop", writes: [{ node: "work", channel: "log", value: it }] },
            }),
          );
          ids.push(saved.id);
          parent = { ...saved, state: {} }; // only its id and step are needed; do not keep 1,500 states alive
        }
        expect(texts[0].length).toBeGreaterThan(180);
        expect(texts[0].length).toBeLessThan(230);
        const s = await store.storage(t);
        expect(s.checkpoints).toBe(N);
        expect(s.bytes).toBeLessThan(fullBytes * 0.05);
        expect(s.deltas).toBeGreaterThan(N * 0.9);
        // Steps stored against their parent refer to the write in metadata instead of repeating the item.
        const refs = await onDatabase(db, (c) => c.query(`SELECT COUNT(*)::int AS "n" FROM "checkpoints" WHERE "ops" LIKE '[["log","w",0]%'`));
        expect(refs.rows[0].n).toBeGreaterThan(N * 0.8);
        // Random old checkpoints (fresh instance: nothing cached) rebuild byte for byte.
        const cold = await createPostgresStore({ url: urlFor(db) });
        try {
          const picks = [0, 1, 7, 8, 9, 63, 64, 65, 1023, 1024, N - 2, N - 1];
          let seed = 12345;
          for (let k = 0; k < 25; k++) picks.push((seed = (seed * 1103515245 + 12345) % 2 ** 31) % N);
          for (const k of picks) expect(JSON.stringify((await cold.load(ids[k])).state), `step ${k}`).toBe(expected(k));
          const latest = await cold.latest(t);
          expect(latest!.id).toBe(ids[N - 1]);
          expect(JSON.stringify(latest!.state)).toBe(expected(N - 1));
          for (const c of await cold.list(t, { order: "desc", limit: 3, before: 700 })) expect(JSON.stringify(c.state)).toBe(expected(c.version - 1));
        } finally {
          await cold.close();
        }
      } finally {
        await store.close();
      }
    }, 600_000);

    it("an unreachable server rejects STORE_UNAVAILABLE in one sentence naming DATABASE_URL", async () => {
      const err = await createPostgresStore({ url: "postgres://postgres:secret@127.0.0.1:1/nowhere" }).catch((e) => e);
      expect(isWaypointError(err, "STORE_UNAVAILABLE")).toBe(true);
      const msg = String(err.message);
      expect(msg).toMatch(/DATABASE_URL/);
      expect(msg).toMatch(/ECONNREFUSED/);
      expect(msg).not.toMatch(/secret|\n|\s+at\s+\S+\s+\(/);
    });

    it("a missing database rejects STORE_UNAVAILABLE with the server's reason", async () => {
      const err = await createPostgresStore({ url: urlFor(`waypoint_missing_${randomBytes(4).toString("hex")}`) }).catch((e) => e);
      expect(isWaypointError(err, "STORE_UNAVAILABLE")).toBe(true);
      expect(String(err.message)).toMatch(/DATABASE_URL.*does not exist/);
    });
  });
}
