/**
 * One fresh store per backend and repetition, plus what the backend really holds on disk or in memory.
 *
 * Stores are made with `createStore` from lib/checkpoint/factory.ts, like the app does (a backend whose module
 * is missing or whose server is down fails there with STORE_UNAVAILABLE, and run.ts skips it with a note).
 * Each backend gets storage of its own so a run never touches the app's or the tests' data: a temp folder
 * (file, sqlite), a database `waypoint_bench` dropped and re-created per repetition (postgres), a key prefix
 * wiped before and after (redis).
 *
 * Sizes ("bytes per step" = total / node steps run):
 * - memory: the JSON texts the store keeps per checkpoint (head, metadata, state or delta ops, summary) plus
 *   thread records;
 * - file: the apparent size of every file under the store's folder;
 * - sqlite: the database file after a WAL checkpoint(TRUNCATE), plus what is left in the WAL (as the peer does);
 * - postgres: pg_total_relation_size (heap + TOAST + indexes) of the store's tables;
 * - redis: the sum of MEMORY USAGE over the store's keys.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createStore } from "../lib/checkpoint/factory";
import type { CheckpointStore } from "../lib/checkpoint/types";
import type { Probe } from "./workload";

export const ALL_BACKENDS = ["memory", "file", "sqlite", "postgres", "redis"] as const;
export type Backend = (typeof ALL_BACKENDS)[number];

export const PG_URL = process.env.PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// Overridable so two benches on one machine (helpers sharing servers) do not drop each other's database or keys.
const BENCH_DB = process.env.BENCH_PG_DB ?? "waypoint_bench";
const REDIS_PREFIX = process.env.BENCH_REDIS_PREFIX ?? "waypoint_bench:";

export interface Opened {
  store: CheckpointStore;
  probe: Probe;
  /** Closes the store and removes its storage. */
  dispose: () => Promise<void>;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

const fileSize = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

/**
 * Counts what the pg driver sends, by patching pg.Client once: every query is one round trip (the driver does
 * not pipeline), and a write commit is a COMMIT or a data-changing statement run outside BEGIN...COMMIT
 * (autocommit). Counted on the client because pg_stat_database's xact_commit reaches the view up to 10 s late.
 */
const pgCount = { queries: 0, commits: 0 };
let pgPatched = false;
async function patchPg() {
  if (pgPatched) return;
  pgPatched = true;
  const pg = (await import("pg")).default;
  const inTx = new WeakSet<object>();
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const orig = proto.query;
  proto.query = function (this: object, ...a: unknown[]) {
    const q = a[0];
    const text = typeof q === "string" ? q : typeof q === "object" && q !== null ? String((q as { text?: unknown }).text ?? "") : "";
    pgCount.queries++;
    if (/^\s*(BEGIN|START TRANSACTION)/i.test(text)) inTx.add(this);
    else if (/^\s*(COMMIT|END)\b/i.test(text)) {
      pgCount.commits++;
      inTx.delete(this);
    } else if (/^\s*ROLLBACK\b/i.test(text)) inTx.delete(this);
    else if (!inTx.has(this) && /\b(INSERT|UPDATE|DELETE)\b/i.test(text.replace(/FOR\s+UPDATE/gi, ""))) pgCount.commits++;
    return orig.apply(this, a);
  };
}

/** Counts every command ioredis sends (EVALSHA of a script counts as one). */
let redisCommands = 0;
let redisPatched = false;
async function patchRedis() {
  if (redisPatched) return;
  redisPatched = true;
  const Redis = (await import("ioredis")).default;
  const proto = Redis.prototype as unknown as { sendCommand: (...a: unknown[]) => unknown };
  const orig = proto.sendCommand;
  proto.sendCommand = function (this: unknown, ...a: unknown[]) {
    redisCommands++;
    return orig.apply(this, a);
  };
}

export async function openBackend(kind: Backend, rep: number): Promise<Opened> {
  if (kind === "memory") {
    const store = await createStore({ kind: "memory" });
    type Texts = Record<"head" | "metadata" | "state" | "ops" | "summary", string | null>;
    const backing = (store as unknown as { backing?: { checkpoints: Map<string, { entry: Texts }>; threads: Map<string, { record: unknown }> } })
      .backing;
    return {
      store,
      probe: {
        size: async () => {
          if (!backing) return NaN;
          let n = 0;
          for (const { entry: e } of backing.checkpoints.values())
            for (const t of [e.head, e.metadata, e.state, e.ops, e.summary]) n += t ? Buffer.byteLength(t) : 0;
          for (const t of backing.threads.values()) n += Buffer.byteLength(JSON.stringify(t.record));
          return n;
        },
      },
      dispose: () => store.close(),
    };
  }

  if (kind === "file" || kind === "sqlite") {
    const dir = mkdtempSync(path.join(os.tmpdir(), `waypoint-bench-${kind}-`));
    const dbFile = path.join(dir, "bench.db");
    const store = kind === "file" ? await createStore({ kind: "file", dir }) : await createStore({ kind: "sqlite", url: `file:${dbFile}` });
    await store.setup();
    const size =
      kind === "file"
        ? async () => dirBytes(dir)
        : async () => {
            const Database = (await import("better-sqlite3")).default;
            const db = new Database(dbFile);
            try {
              db.pragma("wal_checkpoint(TRUNCATE)");
            } finally {
              db.close();
            }
            return fileSize(dbFile) + fileSize(`${dbFile}-wal`);
          };
    return {
      store,
      probe: { size },
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  if (kind === "postgres") {
    await patchPg();
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const url = new URL(PG_URL);
    url.pathname = `/${BENCH_DB}`;
    let store: CheckpointStore;
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${BENCH_DB}`);
      store = await createStore({ kind: "postgres", url: url.toString() });
      await store.setup();
    } catch (e) {
      await admin.end().catch(() => {});
      throw e;
    }
    const counters = async () => ({ pg_queries: pgCount.queries, pg_write_commits: pgCount.commits });
    const size = async () => {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        const r = await c.query(
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS b FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname <> '_waypoint_migrations'`,
        );
        return Number(r.rows[0].b);
      } finally {
        await c.end();
      }
    };
    return {
      store,
      probe: { counters, size },
      dispose: async () => {
        await store.close();
        await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
        await admin.end();
      },
    };
  }

  // redis
  await patchRedis();
  const Redis = (await import("ioredis")).default;
  // Fail fast when Redis is down (the default would retry for ever), so the backend is skipped with a note.
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  let lastError = "";
  admin.on("error", (e: Error) => (lastError = e.message));
  await admin.connect().catch((e: Error) => {
    throw new Error(`cannot reach Redis at ${REDIS_URL} (${lastError || e.message})`);
  });
  const prefix = `${REDIS_PREFIX}${rep}:`;
  const keys = async () => {
    const out: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await admin.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      cursor = next;
      out.push(...batch);
    } while (cursor !== "0");
    return out;
  };
  const wipe = async () => {
    const ks = await keys();
    for (let i = 0; i < ks.length; i += 500) await admin.del(...ks.slice(i, i + 500));
  };
  let store: CheckpointStore;
  try {
    await wipe();
    store = await createStore({ kind: "redis", url: REDIS_URL, prefix });
    await store.setup();
  } catch (e) {
    admin.disconnect();
    throw e;
  }
  return {
    store,
    probe: {
      counters: async () => ({ redis_commands: redisCommands }),
      size: async () => {
        let n = 0;
        const ks = await keys();
        for (let i = 0; i < ks.length; i += 200) {
          const p = admin.pipeline();
          for (const k of ks.slice(i, i + 200)) p.call("MEMORY", "USAGE", k, "SAMPLES", "0");
          for (const [err, v] of (await p.exec()) ?? []) if (!err) n += Number(v ?? 0);
        }
        return n;
      },
    },
    dispose: async () => {
      await store.close();
      await wipe();
      admin.disconnect();
    },
  };
}
