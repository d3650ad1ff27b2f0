/**
 * Conformance suite against the PostgreSQL store, each store on a database of its own
 * (`waypoint_test_<random>`, created through the server's `postgres` database and dropped in destroy).
 * Server: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres. Without a server the file is
 * skipped locally, but under CI it fails loudly in beforeAll: a missing server must never pass as a green run.
 * Also covers the store's own setup: concurrent migration by two instances, and STORE_UNAVAILABLE.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { loadMigrations } from "../../lib/checkpoint/migrate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore, type PostgresStore } from "../../lib/checkpoint/postgres";
import type { CheckpointStore } from "../../lib/checkpoint/types";
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

    it("two instances migrating one new database at once both succeed, and it is migrated exactly once", async () => {
      const db = await newDatabase();
      made.push(db);
      const stores: PostgresStore[] = await Promise.all([1, 2, 3].map(() => createPostgresStore({ url: urlFor(db) })));
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
        const row = await prisma.checkpoint.findUnique({ where: { id: a.id }, include: { children: true } });
        expect(row).toMatchObject({ threadId: "t-parity", parentId: null, version: 1, state: a.state, metadata: a.metadata, createdAt: a.timestamp });
        expect(row?.children.map((c) => c.version)).toEqual([2]);
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
