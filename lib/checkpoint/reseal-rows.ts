/**
 * Re-encryption in place, per backend: where each store keeps a checkpoint's sealed values, read raw and written
 * back through a connection of its own (the store contract has no "replace a checkpoint's values" member, and
 * should not: checkpoints are immutable to every other caller). Each backend adapter is small; the work is
 * reseal.ts's. Guarantees, on every backend:
 * - each checkpoint is rewritten in ONE atomic step (an UPDATE, a Lua script, a file rename): an interrupted run
 *   leaves every checkpoint wholly old or wholly new, both readable while the old key is configured, and
 *   running again finishes the job;
 * - only value positions change: ids, versions, parent links, bases, depths, timestamps, summaries stay;
 * - pending writes are the one mutable part of a checkpoint (LangGraph's putWrites / appendWrites, which hold
 *   no run lock): each write-back is conditional on them being unchanged since read, and is redone otherwise.
 * The caller (lib/cli/reencrypt.ts) holds the thread's run lock meanwhile, so no run saves into the thread.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { StoreConfig } from "./factory";
import { readIndexFile, indexText, writeAtomic, isCode } from "./file-io";
import { withFileGuard } from "./local-lock";
import { scalarMetadata } from "./list-filter";
import type { Resealer } from "./reseal";

export interface ThreadReseal {
  /** Checkpoints looked at. */
  checkpoints: number;
  /** Checkpoints rewritten (or, in a dry run, that would be). */
  rewritten: number;
}

export interface ResealBackend {
  thread(threadId: string, r: Resealer, dryRun: boolean): Promise<ThreadReseal>;
  close(): Promise<void>;
}

/**
 * Re-seals one row with `fn` (which returns null when nothing changed), retrying while its pending writes move;
 * a retried row's values are counted once.
 */
async function rewriteRow<R>(
  r: Resealer,
  read: () => Promise<R | null>,
  fn: (row: R) => R | null,
  write: (before: R, after: R) => Promise<boolean>,
  dryRun: boolean,
): Promise<boolean> {
  const counted = { ...r.counts };
  for (let attempt = 0; ; attempt++) {
    Object.assign(r.counts, counted);
    const row = await read();
    if (!row) return false; // deleted meanwhile (a prune): nothing to re-seal
    const after = fn(row);
    if (!after || dryRun) return after !== null;
    if (await write(row, after)) return true;
    if (attempt > 50) throw new Error("reencrypt: a checkpoint's pending writes kept changing; run it again.");
  }
}

/** A row's re-sealed parts, or null when nothing changed. */
function resealed<R>(r: Resealer, fn: () => R): R | null {
  const before = r.changed;
  const after = fn();
  return r.changed === before ? null : after;
}

async function sqlite(url: string): Promise<ResealBackend> {
  const { default: Database } = await import("better-sqlite3");
  const { sqliteFilePath } = await import("./sqlite");
  const db = new Database(sqliteFilePath(url), { timeout: 10_000 });
  type Row = { id: string; state: string; ops: string | null; metadata: string; interrupts: string; pw: string };
  const ids = db.prepare<[string], { id: string }>(`SELECT "id" FROM "checkpoints" WHERE "thread_id" = ? ORDER BY "version"`);
  const one = db.prepare<[string], Row>(
    `SELECT "id", "state", "ops", "metadata", "interrupts", "pending_writes" AS "pw" FROM "checkpoints" WHERE "id" = ?`,
  );
  const update = db.prepare(
    `UPDATE "checkpoints" SET "state" = ?, "ops" = ?, "metadata" = ?, "interrupts" = ?, "pending_writes" = ? WHERE "id" = ? AND "pending_writes" = ?`,
  );
  return {
    async thread(threadId, r, dryRun) {
      const rows = ids.all(threadId);
      let rewritten = 0;
      for (const { id } of rows) {
        const done = await rewriteRow(
          r,
          async () => one.get(id) ?? null,
          (row) =>
            resealed(r, () => ({
              ...row,
              state: r.stateText(row.state) ?? row.state,
              ops: r.opsText(id, row.ops),
              metadata: r.metadataText(row.metadata)!,
              interrupts: r.valuesText(row.interrupts)!,
              pw: r.valuesText(row.pw)!,
            })),
          async (b, a) => update.run(a.state, a.ops, a.metadata, a.interrupts, a.pw, id, b.pw).changes === 1,
          dryRun,
        );
        if (done) rewritten++;
      }
      return { checkpoints: rows.length, rewritten };
    },
    async close() {
      db.close();
    },
  };
}

async function postgres(url: string): Promise<ResealBackend> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  type Row = { id: string; state: string | null; state_text: string | null; ops: string | null; metadata: string; interrupts: string; pw: string };
  return {
    async thread(threadId, r, dryRun) {
      const { rows } = await pool.query<{ id: string }>(`SELECT "id" FROM "checkpoints" WHERE "thread_id" = $1 ORDER BY "version"`, [threadId]);
      let rewritten = 0;
      for (const { id } of rows) {
        const done = await rewriteRow(
          r,
          async () =>
            (
              await pool.query<Row>(
                `SELECT "id", "state"::text AS "state", "state_text", "ops", "metadata"::text AS "metadata", "interrupts"::text AS "interrupts",
                        "pending_writes"::text AS "pw" FROM "checkpoints" WHERE "id" = $1`,
                [id],
              )
            ).rows[0] ?? null,
          (row) =>
            resealed(r, () => ({
              ...row,
              state: r.stateText(row.state), // rows from before the delta layout keep their state as JSONB
              state_text: r.stateText(row.state_text),
              ops: r.opsText(id, row.ops),
              metadata: r.metadataText(row.metadata)!,
              interrupts: r.valuesText(row.interrupts)!,
              pw: r.valuesText(row.pw)!,
            })),
          async (b, a) =>
            (
              await pool.query(
                `UPDATE "checkpoints" SET "state" = $2::jsonb, "state_text" = $3, "ops" = $4, "metadata" = $5::jsonb, "interrupts" = $6::jsonb,
                        "pending_writes" = $7::jsonb WHERE "id" = $1 AND "pending_writes" = $8::jsonb`,
                [id, a.state, a.state_text, a.ops, a.metadata, a.interrupts, a.pw, b.pw],
              )
            ).rowCount === 1,
          dryRun,
        );
        if (done) rewritten++;
      }
      return { checkpoints: rows.length, rewritten };
    },
    async close() {
      await pool.end();
    },
  };
}

/**
 * Sets the given fields of a checkpoint hash only if it still exists and its pending writes (w) are as read:
 * KEYS[1] the hash, ARGV[1] w as read ("" when absent), then field/value pairs.
 */
const REDIS_CAS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local w = redis.call('HGET', KEYS[1], 'w') or ''
if w ~= ARGV[1] then return -1 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

async function redis(url: string, prefix: string): Promise<ResealBackend> {
  const { Redis } = await import("ioredis");
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const FIELDS = ["b", "m", "x", "o", "w", "f", "d"] as const;
  type Row = Partial<Record<(typeof FIELDS)[number], string>>;
  const read = async (key: string): Promise<Row | null> => {
    const v = await client.hmget(key, ...FIELDS);
    if (v.every((x) => x === null)) return null;
    const row: Row = {};
    FIELDS.forEach((f, i) => v[i] !== null && (row[f] = v[i]!));
    return row;
  };
  return {
    async thread(threadId, r, dryRun) {
      const ids = await client.zrange(`${prefix}execution:${threadId}:checkpoints`, 0, -1);
      let rewritten = 0;
      for (const id of ids) {
        const key = `${prefix}checkpoint:${id}`;
        const done = await rewriteRow(
          r,
          () => read(key),
          (row) =>
            resealed(r, () => {
              // b: the immutable fields (interrupts); on hashes from before the delta layout (no d) also state and metadata.
              const b = row.b === undefined ? undefined : (JSON.parse(row.b) as Record<string, unknown>);
              if (b) {
                if ("interrupts" in b) b.interrupts = r.values(b.interrupts);
                if ("state" in b) b.state = r.state(b.state);
                if ("metadata" in b) b.metadata = r.metadata(b.metadata);
              }
              const out: Row = { b: b && JSON.stringify(b) };
              if (row.m !== undefined) out.m = r.metadataText(row.m)!;
              if (row.x) out.x = r.stateText(row.x)!;
              if (row.o) out.o = r.opsText(id, row.o)!;
              if (row.w !== undefined) out.w = r.valuesText(row.w)!;
              // f: the scalar metadata list's filter compares (sealed values sealed alike), from the re-sealed metadata.
              const md = out.m !== undefined ? JSON.parse(out.m) : (b?.metadata ?? null);
              if (row.f !== undefined) out.f = JSON.stringify(scalarMetadata(md));
              return out;
            }),
          async (b, a) => {
            const pairs = Object.entries(a).flatMap(([k, v]) => (v === undefined ? [] : [k, v]));
            return (await client.eval(REDIS_CAS, 1, key, b.w ?? "", ...pairs)) !== -1;
          },
          dryRun,
        );
        if (done) rewritten++;
      }
      return { checkpoints: ids.length, rewritten };
    },
    async close() {
      client.disconnect();
    },
  };
}

/** The JSON-files store (layout in file.ts): each checkpoint file under its writes guard, then the index's `meta`. */
function files(dir: string): ResealBackend {
  const p = (...parts: string[]) => path.join(dir, ...parts);
  const tmp = () => p("tmp", randomBytes(8).toString("hex"));
  return {
    async thread(threadId, r, dryRun) {
      const indexFile = p("threads", threadId, "index.jsonl");
      const index = await readIndexFile(indexFile);
      let rewritten = 0;
      const metas = new Map<string, unknown>();
      for (const e of index.entries) {
        const file = p("checkpoints", `${e.id}.json`);
        const done = await withFileGuard(p("locks", `${e.id}.writes`), async () => {
          const text = await fs.readFile(file, "utf8").catch((err) => (isCode(err, "ENOENT") ? null : Promise.reject(err)));
          if (text === null) return false;
          const rec = JSON.parse(text) as Record<string, unknown>;
          const after = resealed(r, () => ({
            ...rec,
            ...("state" in rec ? { state: r.state(rec.state) } : {}),
            ...(typeof rec.ops === "string" ? { ops: r.opsText(e.id, rec.ops) } : {}),
            metadata: r.metadata(rec.metadata),
            interrupts: r.values(rec.interrupts),
            pendingWrites: r.values(rec.pendingWrites),
          }));
          metas.set(e.id, (after ?? rec).metadata);
          if (after && !dryRun) await writeAtomic(tmp(), file, JSON.stringify(after));
          return after !== null;
        });
        if (done) rewritten++;
      }
      // The index keeps each checkpoint's scalar metadata for list's filter (sealed values compare sealed alike):
      // recomputed from the re-sealed files, and the index rewritten atomically when any of it changed.
      let stale = false;
      const entries = index.entries.map((e) => {
        if (!e.meta || !metas.has(e.id)) return e;
        const meta = scalarMetadata(metas.get(e.id));
        if (JSON.stringify(meta) === JSON.stringify(e.meta)) return e;
        stale = true;
        return { ...e, meta };
      });
      if (stale && !dryRun) await writeAtomic(tmp(), indexFile, indexText(entries, index.highWater));
      return { checkpoints: index.entries.length, rewritten };
    },
    async close() {},
  };
}

/** The adapter for a configured store; memory has nothing at rest. */
export async function resealBackend(config: StoreConfig): Promise<ResealBackend> {
  switch (config.kind) {
    case "sqlite":
      return sqlite(config.url);
    case "postgres":
      return postgres(config.url);
    case "redis":
      return redis(config.url, config.prefix ?? "waypoint:");
    case "file":
      return files(path.resolve(config.dir));
    default:
      return { thread: async () => ({ checkpoints: 0, rewritten: 0 }), close: async () => {} };
  }
}
