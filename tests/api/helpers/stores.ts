/**
 * Store configurations for the API tests: each gives a server environment on a fresh, private store
 * (a temp SQLite file, or a PostgreSQL database created here and dropped afterwards).
 */
import pg from "pg";
import { randomBytes } from "node:crypto";
import { tempDir } from "./server";

export interface TestStore {
  name: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function sqliteStore(): Promise<TestStore> {
  const tmp = tempDir("api-sqlite");
  return {
    name: "sqlite",
    env: { CHECKPOINT_STORE: "sqlite", DATABASE_URL: `file:${tmp.dir}/waypoint.db`, CHECKPOINT_DIR: tmp.dir },
    cleanup: async () => tmp.remove(),
  };
}

const PG_ADMIN = process.env.WAYPOINT_TEST_PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** `prefix`: the database name's start (a test run by someone who shares the server names its own). */
export async function postgresStore(prefix = "waypoint_api"): Promise<TestStore> {
  const db = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN} (${(err as Error).message}); the PostgreSQL API tests need it.`);
  }
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${db}`;
  return {
    name: "postgres",
    env: { CHECKPOINT_STORE: "postgres", DATABASE_URL: url.toString() },
    async cleanup() {
      const c = new pg.Client({ connectionString: PG_ADMIN });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function fileStore(): Promise<TestStore> {
  const tmp = tempDir("api-file");
  return {
    name: "file",
    // Accounts (sign-in, audit) live in a SQLite file beside the JSON files, not in the repo's data/.
    env: { CHECKPOINT_STORE: "file", CHECKPOINT_DIR: `${tmp.dir}/checkpoints`, DATABASE_URL: `file:${tmp.dir}/accounts.db` },
    cleanup: async () => tmp.remove(),
  };
}

export async function memoryStore(): Promise<TestStore> {
  const tmp = tempDir("api-memory");
  return { name: "memory", env: { CHECKPOINT_STORE: "memory", DATABASE_URL: `file:${tmp.dir}/accounts.db` }, cleanup: async () => tmp.remove() };
}

const REDIS_URL = process.env.WAYPOINT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A private key prefix on the shared Redis, whose keys are deleted afterwards. */
export async function redisStore(name = "wp-api"): Promise<TestStore> {
  const { default: Redis } = await import("ioredis");
  const prefix = `${name}-${randomBytes(5).toString("hex")}:`;
  const tmp = tempDir("api-redis");
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${(err as Error).message}); the Redis API tests need it.`);
  }
  return {
    name: "redis",
    env: { CHECKPOINT_STORE: "redis", REDIS_URL, REDIS_PREFIX: prefix, DATABASE_URL: `file:${tmp.dir}/accounts.db` },
    async cleanup() {
      let cursor = "0";
      do {
        const [next, keys] = await probe.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        if (keys.length) await probe.del(...keys);
        cursor = next;
      } while (cursor !== "0");
      probe.disconnect();
      tmp.remove();
    },
  };
}
