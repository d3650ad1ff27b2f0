/**
 * Fresh stores for the command-line tests, each named by the URL the CLI takes (lib/cli/store-url.ts):
 * a SQLite file, a PostgreSQL database of its own (created and dropped here), a Redis key prefix of its own
 * (its keys deleted afterwards) and a folder of JSON files. Under CI a missing server fails loudly.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import pg from "pg";
import { dropRedisPrefix } from "../api/helpers/redis";

export const PG_ADMIN = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestStoreUrl {
  kind: "sqlite" | "postgres" | "redis" | "file";
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function freshStore(kind: TestStoreUrl["kind"]): Promise<TestStoreUrl> {
  const tag = randomBytes(5).toString("hex");
  switch (kind) {
    case "sqlite": {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-cli-sqlite-"));
      return { kind, url: `file:${dir}/waypoint.db`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    }
    case "file": {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-cli-files-"));
      return { kind, url: `dir:${dir}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    }
    case "postgres": {
      const db = `waypoint_cli_${tag}`;
      await admin((c) => c.query(`CREATE DATABASE "${db}"`));
      const u = new URL(PG_ADMIN);
      u.pathname = `/${db}`;
      return { kind, url: u.toString(), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)).then(() => {}) };
    }
    case "redis": {
      const prefix = `wpcli-${tag}:`;
      return {
        kind,
        url: `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`,
        drop: () => dropRedisPrefix(REDIS_URL, prefix),
      };
    }
  }
}

/** Whether PostgreSQL and Redis answer; under CI a missing one is an error (never a silent pass). */
export async function serversUp(): Promise<void> {
  const problems: string[] = [];
  await admin((c) => c.query("SELECT 1")).catch((e) => problems.push(`PostgreSQL (${PG_ADMIN}): ${(e as Error).message}`));
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  await r
    .connect()
    .then(() => r.ping())
    .catch((e) => problems.push(`Redis (${REDIS_URL}): ${(e as Error).message}`))
    .finally(() => r.disconnect());
  if (problems.length) throw new Error(`The CLI tests need PostgreSQL and Redis: ${problems.join("; ")}`);
}
