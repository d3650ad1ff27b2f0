/**
 * The five Waypoint stores, opened for the LangGraph.js saver tests: each `open()` gives an empty store, each
 * `dispose` removes what it wrote. Memory, file, SQLite and Redis get fresh backing per store (a temp dir, a
 * database file, a random key prefix); PostgreSQL shares one database per test file (created on first use,
 * dropped by `dropAll`) and is emptied on dispose, since creating a database per store would dominate the run.
 * `unreachable` says why a server store cannot run: the caller skips locally and fails under CI.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createFileStore } from "@/lib/checkpoint/file";
import { createMemoryStore } from "@/lib/checkpoint/memory";
import { createPostgresStore } from "@/lib/checkpoint/postgres";
import { createRedisStore, type RedisCheckpointStore } from "@/lib/checkpoint/redis";
import { createSqliteStore } from "@/lib/checkpoint/sqlite";
import type { CheckpointStore } from "@/lib/checkpoint/types";

export interface OpenedStore {
  store: CheckpointStore;
  dispose(): Promise<void>;
}

export interface TestStore {
  name: "memory" | "file" | "sqlite" | "postgres" | "redis";
  /** Why the server is out of reach, or null. */
  unreachable(): Promise<string | null>;
  open(): Promise<OpenedStore>;
  /** Removes shared backing (the PostgreSQL database) after the file's tests. */
  dropAll(): Promise<void>;
}

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Deletes every thread (with its checkpoints) the store lists. */
export async function clearAll(store: CheckpointStore): Promise<void> {
  for (;;) {
    const { threads } = await store.listThreads({ limit: 500 });
    if (threads.length === 0) return;
    for (const t of threads) await store.clear(t.threadId);
  }
}

async function tempDir(label: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `waypoint-lg-${label}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const always = async () => null;
const nothing = async () => {};

let pgDatabase: string | null = null;

export const testStores: TestStore[] = [
  {
    name: "memory",
    unreachable: always,
    async open() {
      const store = await createMemoryStore();
      return { store, dispose: () => store.close() };
    },
    dropAll: nothing,
  },
  {
    name: "file",
    unreachable: always,
    async open() {
      const tmp = await tempDir("file");
      const store = await createFileStore({ dir: tmp.dir });
      return { store, dispose: async () => (await store.close(), await tmp.remove()) };
    },
    dropAll: nothing,
  },
  {
    name: "sqlite",
    unreachable: always,
    async open() {
      const tmp = await tempDir("sqlite");
      const store = await createSqliteStore({ url: `file:${tmp.dir}/waypoint.db` });
      return { store, dispose: async () => (await store.close(), await tmp.remove()) };
    },
    dropAll: nothing,
  },
  {
    name: "postgres",
    async unreachable() {
      try {
        await admin((c) => c.query("SELECT 1"));
        return null;
      } catch (e) {
        return (e as Error).message || String(e);
      }
    },
    async open() {
      if (!pgDatabase) {
        const name = `waypoint_test_lg_${randomBytes(6).toString("hex")}`;
        await admin((c) => c.query(`CREATE DATABASE "${name}"`));
        pgDatabase = name;
      }
      const u = new URL(adminUrl);
      u.pathname = `/${pgDatabase}`;
      const store = await createPostgresStore({ url: u.toString() });
      await clearAll(store);
      return { store, dispose: async () => (await clearAll(store), await store.close()) };
    },
    async dropAll() {
      if (pgDatabase) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`));
      pgDatabase = null;
    },
  },
  {
    name: "redis",
    async unreachable() {
      try {
        await (await createRedisStore({ url: redisUrl, prefix: "waypoint-test:probe:" })).close();
        return null;
      } catch (e) {
        return (e as Error).message || String(e);
      }
    },
    async open() {
      const store: RedisCheckpointStore = await createRedisStore({ url: redisUrl, prefix: `waypoint-test:lg-${randomBytes(6).toString("hex")}:` });
      return {
        store,
        dispose: async () => {
          const pattern = `${store.prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
          let cursor = "0";
          do {
            const [next, keys] = await store.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
            if (keys.length) await store.redis.del(...keys);
            cursor = next;
          } while (cursor !== "0");
          await store.close();
        },
      };
    },
    dropAll: nothing,
  },
];
