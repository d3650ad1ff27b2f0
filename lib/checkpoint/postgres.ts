/**
 * PostgreSQL store through Prisma: for teams and several app instances sharing one database.
 * `createPostgresStore({ url })` connects, applies the committed migrations (prisma/postgres/migrations) under an
 * advisory lock, and rejects with STORE_UNAVAILABLE (one sentence naming DATABASE_URL and the reason) when the
 * server cannot be reached. State and metadata are JSONB; threads are indexed by (updated_at, thread_id),
 * (status, ...) and (graph_id, ...) for listing, checkpoints by (thread_id, version) for a thread's history.
 *
 * Hot path decision: one `pg.Pool` is shared by Prisma (`new PrismaPg(pool)`, generated client in
 * lib/generated/postgres) and by hand-written SQL. `save`, `load`, `list`, `latest` and `putWrites` are single
 * named (server-prepared) statements on the pool: a Prisma query adds ~0.3–0.6 ms of client-side work, and
 * Prisma cannot express the one-statement save below (it needs an interactive transaction: 3 round trips).
 * Prisma serves the thread records (getThread, updateThread, listThreads) and the run lock (atomic SQL through
 * `$executeRaw`); delete/prune/clear are short SQL transactions on one pooled client.
 *   Measured on the shared 2-core box (load average ~10), local server with fsync on, 1,002 sequential saves
 *   of a small state, then listing that history (target: LangGraph.js PostgresSaver, ~150 steps/s, 6.7 ms/step):
 *     save:    one statement 0.65–1.3 ms/step (≈ 1,000 steps/s) | Prisma interactive transaction 2.7–6.9 ms
 *     list:    named statement 9–25 ms                          | Prisma findMany 17–31 ms
 *     latest:  named statement 0.23–0.34 ms                     | Prisma findFirst 0.8–1.2 ms
 *
 * `save` is ONE statement, so ONE round trip and ONE commit: a CTE upserts the thread row, bumping
 * `last_version` (the row lock serialises concurrent saves of a thread, across processes, so versions are
 * unique), and the outer INSERT writes the checkpoint with that version. The composite foreign key
 * (thread_id, parent_id) -> (thread_id, id) makes the database reject an unknown parent or one from another
 * thread, and the primary key rejects a duplicate id; either failure aborts the whole statement, so the thread
 * row is untouched.
 *
 * Summaries (listSummaries): the same statement also writes the `summary` JSONB column (summary.ts), so a
 * timeline selects only small columns and never fetches (or detoasts) state, pending_writes or metadata.
 *
 * Clocks: record times (updatedAt, createdAt) come from the app, like the other stores; lock expiry uses the
 * database clock only, so instances with skewed clocks still agree on whether a lock has expired.
 */
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaClient } from "../generated/postgres/client";
import { WaypointError, checkpointNotFound, threadNotFound } from "../errors";
import { assertSafeId } from "./ids";
import { loadMigrations, migratePostgres } from "./migrate";
import { planPrune, type SkeletonRow } from "./prune";
import {
  CHECKPOINT_COLUMNS, SUMMARY_COLUMNS, bad, checkpointJson, jsonText, modelToThread, rowToCheckpoint, storedCopy, summariesOf,
  type CheckpointRow, type SummaryRow,
} from "./sql-rows";
import { describePgUrl, isPgConnectionError, pgReason } from "./sql-pg-errors";
import type {
  Checkpoint, CheckpointStore, CheckpointSummary, ListOptions, ListThreadsOptions, LockResult, NewCheckpoint, ThreadInfo, ThreadPage, ThreadPatch,
} from "./types";
import {
  encodeThreadCursor, validateKeep, validateListThreads, validateWrites, validateListOptions, validateNewCheckpoint,
  validateThreadPatch, validateTtl,
} from "./validate";

export interface PostgresStoreOptions {
  /** postgres://user:pass@host:port/db (usually env DATABASE_URL). */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Folder holding `postgres/migrations` (default `<cwd>/prisma`). */
  prismaDir?: string;
}

/** A connected, migrated store; rejects STORE_UNAVAILABLE when the server cannot be reached. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const store = new PostgresStore(options);
  try {
    await store.setup();
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}

const cols = CHECKPOINT_COLUMNS;
const same = (v: unknown) => v; // pg already parsed the JSONB columns

const SQL = {
  save: `WITH t AS (
      INSERT INTO "threads" AS th ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at")
      VALUES ($2, $1, 1, 1, 1, $12, $12)
      ON CONFLICT ("thread_id") DO UPDATE SET "last_version" = th."last_version" + 1, "head_version" = th."last_version" + 1,
        "head_checkpoint_id" = excluded."head_checkpoint_id", "checkpoint_count" = th."checkpoint_count" + 1, "updated_at" = excluded."updated_at"
      RETURNING th."last_version")
    INSERT INTO "checkpoints" (${cols}, "summary")
    SELECT $1, $2, $3, t."last_version", $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb, $11, $13::jsonb FROM t
    RETURNING "version"`,
  load: `SELECT ${cols} FROM "checkpoints" WHERE "id" = $1`,
  listAsc: `SELECT ${cols} FROM "checkpoints" WHERE "thread_id" = $1 AND "version" > $2 AND "version" < $3 ORDER BY "version" ASC LIMIT $4`,
  listDesc: `SELECT ${cols} FROM "checkpoints" WHERE "thread_id" = $1 AND "version" > $2 AND "version" < $3 ORDER BY "version" DESC LIMIT $4`,
  // Only small columns: a big state, pending_writes, interrupts or metadata (TOASTed or not) is never fetched.
  summariesAsc: `SELECT ${SUMMARY_COLUMNS} FROM "checkpoints" WHERE "thread_id" = $1 AND "version" > $2 AND "version" < $3 ORDER BY "version" ASC LIMIT $4`,
  summariesDesc: `SELECT ${SUMMARY_COLUMNS} FROM "checkpoints" WHERE "thread_id" = $1 AND "version" > $2 AND "version" < $3 ORDER BY "version" DESC LIMIT $4`,
  summarySources: `SELECT "id", "interrupts", "metadata" FROM "checkpoints" WHERE "id" = ANY($1::text[])`,
  putWrites: `UPDATE "checkpoints" SET "pending_writes" = $2::jsonb WHERE "id" = $1`,
  refreshHead: `UPDATE "threads" SET
      "head_checkpoint_id" = (SELECT "id" FROM "checkpoints" WHERE "thread_id" = $1 ORDER BY "version" DESC LIMIT 1),
      "head_version" = COALESCE((SELECT MAX("version") FROM "checkpoints" WHERE "thread_id" = $1), 0),
      "checkpoint_count" = (SELECT COUNT(*) FROM "checkpoints" WHERE "thread_id" = $1),
      "updated_at" = $2
    WHERE "thread_id" = $1`,
  clear: `WITH c AS (DELETE FROM "checkpoints" WHERE "thread_id" = $1), l AS (DELETE FROM "thread_locks" WHERE "thread_id" = $1)
    DELETE FROM "threads" WHERE "thread_id" = $1`,
};

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const clampInt = (n: number) => Math.max(INT_MIN, Math.min(INT_MAX, n));

export class PostgresStore implements CheckpointStore {
  readonly kind = "postgres";
  private readonly pool: pg.Pool;
  private prisma: PrismaClient | null = null;
  private mod: typeof import("../generated/postgres/client") | null = null;
  private settingUp: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: PostgresStoreOptions) {
    if (typeof options?.url !== "string" || !/^postgres(ql)?:\/\//.test(options.url)) {
      throw new WaypointError("STORE_CONFIG", "DATABASE_URL must be a postgres:// or postgresql:// URL.");
    }
    this.pool = new pg.Pool({ connectionString: options.url, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
    // An idle client dying (server restart) must not crash the process; the next query reports it instead.
    this.pool.on("error", () => {});
  }

  setup(): Promise<void> {
    this.settingUp ??= this.init().catch((e) => {
      this.settingUp = null;
      throw e;
    });
    return this.settingUp;
  }

  private async init(): Promise<void> {
    if (this.closed) throw this.closedError();
    try {
      await migratePostgres(this.pool, loadMigrations("postgres", this.options.prismaDir));
    } catch (e) {
      throw this.mapError(e);
    }
    let mod: typeof import("../generated/postgres/client");
    try {
      mod = await import("../generated/postgres/client");
    } catch (e) {
      throw new WaypointError("STORE_CONFIG", "The Prisma client for PostgreSQL is not generated; run `node scripts/prisma-generate.mjs` (npm install does it).", {}, { cause: e });
    }
    this.mod = mod;
    this.prisma = new mod.PrismaClient({ adapter: new PrismaPg(this.pool) });
  }

  private closedError() {
    return new WaypointError("STORE_UNAVAILABLE", "This PostgreSQL store was closed.");
  }

  /** Connection failures become STORE_UNAVAILABLE; everything else passes through unchanged. */
  private mapError(e: unknown): unknown {
    if (isPgConnectionError(e)) {
      return new WaypointError(
        "STORE_UNAVAILABLE",
        `PostgreSQL at DATABASE_URL ${describePgUrl(this.options.url)} is unavailable: ${pgReason(e)}.`,
        { url: describePgUrl(this.options.url) },
        { cause: e },
      );
    }
    return e;
  }

  /** Runs a statement on the pool (named = prepared once per connection), mapping connection failures. */
  private async query<R extends pg.QueryResultRow>(name: string | undefined, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (!this.prisma) await this.setup();
    if (this.closed) throw this.closedError();
    try {
      return await this.pool.query<R>(name ? { name, text, values } : { text, values });
    } catch (e) {
      throw this.mapError(e);
    }
  }

  private async orm(): Promise<{ prisma: PrismaClient; DbNull: unknown }> {
    if (!this.prisma) await this.setup();
    if (this.closed || !this.prisma || !this.mod) throw this.closedError();
    return { prisma: this.prisma, DbNull: this.mod.Prisma.DbNull };
  }

  /** A short transaction on one pooled client, rolled back on any error. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    if (!this.prisma) await this.setup();
    if (this.closed) throw this.closedError();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw this.mapError(e);
    }
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw this.mapError(e);
    } finally {
      client.release();
    }
  }

  /** The Prisma client on this store's database (for app queries beyond the store contract). */
  async getPrisma(): Promise<PrismaClient> {
    return (await this.orm()).prisma;
  }

  async save(cp: NewCheckpoint): Promise<Checkpoint> {
    validateNewCheckpoint(cp);
    const j = checkpointJson(cp);
    const values = [cp.id, cp.threadId, cp.parentId, cp.step, cp.nodeName, j.state, j.next, j.interrupts, j.pendingWrites, j.metadata, cp.timestamp, new Date(), j.summary];
    let res: pg.QueryResult<{ version: number }>;
    try {
      res = await this.query<{ version: number }>("wp_save", SQL.save, values);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const constraint = (e as { constraint?: string }).constraint;
      if (code === "23505" && constraint === "checkpoints_pkey") throw bad(`Checkpoint id "${cp.id}" already exists.`);
      if (code === "23503") throw bad(`Parent checkpoint "${cp.parentId}" does not exist in thread "${cp.threadId}".`);
      if (code === "22P05") throw bad(`Checkpoint holds text PostgreSQL JSONB cannot store (a \\u0000 character).`);
      throw e;
    }
    return storedCopy(cp, j, res.rows[0].version);
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const { rows } = await this.query<CheckpointRow>("wp_load", SQL.load, [checkpointId]);
    if (rows.length === 0) throw checkpointNotFound(checkpointId);
    return rowToCheckpoint(rows[0], same);
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const desc = o.order === "desc";
    const values = [threadId, clampInt(o.after ?? INT_MIN), clampInt(o.before ?? INT_MAX), o.limit === undefined ? null : Math.min(o.limit, INT_MAX)];
    const { rows } = await this.query<CheckpointRow>(desc ? "wp_list_desc" : "wp_list_asc", desc ? SQL.listDesc : SQL.listAsc, values);
    return rows.map((r) => rowToCheckpoint(r, same));
  }

  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const desc = o.order === "desc";
    const values = [threadId, clampInt(o.after ?? INT_MIN), clampInt(o.before ?? INT_MAX), o.limit === undefined ? null : Math.min(o.limit, INT_MAX)];
    const { rows } = await this.query<SummaryRow>(desc ? "wp_summaries_desc" : "wp_summaries_asc", desc ? SQL.summariesDesc : SQL.summariesAsc, values);
    return summariesOf(rows, same, async (ids) =>
      (await this.query<{ id: string; interrupts: unknown; metadata: unknown }>("wp_summary_sources", SQL.summarySources, [ids])).rows);
  }

  async latest(threadId: string): Promise<Checkpoint | null> {
    const [cp] = await this.list(threadId, { order: "desc", limit: 1 });
    return cp ?? null;
  }

  async putWrites(checkpointId: string, writes: Checkpoint["pendingWrites"]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const text = jsonText(writes, "Pending writes");
    const res = await this.query("wp_put_writes", SQL.putWrites, [checkpointId, text]).catch((e) => {
      throw (e as { code?: string }).code === "22P05" ? bad("Pending writes hold a \\u0000 character, which JSONB cannot store.") : e;
    });
    if (res.rowCount === 0) throw checkpointNotFound(checkpointId);
  }

  /** Locks the thread row (saves take the same lock), so head/count updates and re-links never interleave. */
  private async lockThread(c: pg.PoolClient, threadId: string): Promise<void> {
    await c.query(`SELECT 1 FROM "threads" WHERE "thread_id" = $1 FOR UPDATE`, [threadId]);
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    await this.tx(async (c) => {
      const first = await c.query<{ thread_id: string }>(`SELECT "thread_id" FROM "checkpoints" WHERE "id" = $1`, [checkpointId]);
      if (first.rows.length === 0) throw checkpointNotFound(checkpointId);
      await this.lockThread(c, first.rows[0].thread_id);
      // Re-read under the lock: a concurrent delete may have re-linked or removed it meanwhile.
      const { rows } = await c.query<{ thread_id: string; parent_id: string | null }>(
        `SELECT "thread_id", "parent_id" FROM "checkpoints" WHERE "id" = $1`, [checkpointId]);
      if (rows.length === 0) throw checkpointNotFound(checkpointId);
      await c.query(`UPDATE "checkpoints" SET "parent_id" = $2 WHERE "parent_id" = $1`, [checkpointId, rows[0].parent_id]);
      await c.query(`DELETE FROM "checkpoints" WHERE "id" = $1`, [checkpointId]);
      await c.query(SQL.refreshHead, [rows[0].thread_id, new Date()]);
    });
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    // Thread row first, like save/delete/prune: taking row locks in one order means clear never deadlocks a save.
    await this.tx(async (c) => {
      await this.lockThread(c, threadId);
      await c.query(SQL.clear, [threadId]);
    });
  }

  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    return this.tx(async (c) => {
      await this.lockThread(c, threadId);
      const { rows } = await c.query<SkeletonRow>(
        `SELECT "id", "parent_id" AS "parentId", "version" FROM "checkpoints" WHERE "thread_id" = $1`, [threadId]);
      const plan = planPrune(rows, keep);
      if (plan.deleteIds.length === 0) return 0;
      if (plan.relink.length > 0) {
        await c.query(
          `UPDATE "checkpoints" AS c SET "parent_id" = v.p FROM unnest($1::text[], $2::text[]) AS v(id, p) WHERE c."id" = v.id`,
          [plan.relink.map((r) => r.id), plan.relink.map((r) => r.parentId)],
        );
      }
      // One statement: the parent foreign key is checked at its end, when every doomed child is gone too.
      await c.query(`DELETE FROM "checkpoints" WHERE "id" = ANY($1::text[])`, [plan.deleteIds]);
      await c.query(SQL.refreshHead, [threadId, new Date()]);
      return plan.deleteIds.length;
    });
  }

  async getThread(threadId: string): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    const { prisma } = await this.orm();
    const row = await prisma.thread.findUnique({ where: { threadId } }).catch((e) => { throw this.mapError(e); });
    if (!row) throw threadNotFound(threadId);
    return modelToThread(row);
  }

  async updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    validateThreadPatch(patch);
    const { prisma, DbNull } = await this.orm();
    const now = new Date();
    const data = {
      ...(patch.graphId !== undefined && { graphId: patch.graphId }),
      ...(patch.status !== undefined && { status: patch.status }),
      ...(patch.error !== undefined && { error: patch.error === null ? (DbNull as never) : JSON.parse(jsonText(patch.error, "Thread error")) }),
      ...(patch.metadata !== undefined && { metadata: JSON.parse(jsonText(patch.metadata, "Thread metadata")) }),
    };
    // Prisma's native upsert: one INSERT ... ON CONFLICT DO UPDATE, atomic against concurrent saves.
    const row = await prisma.thread
      .upsert({
        where: { threadId },
        create: { threadId, status: "idle", metadata: {}, createdAt: now, ...data, updatedAt: now },
        update: { ...data, updatedAt: now },
      })
      .catch((e) => { throw this.mapError(e); });
    return modelToThread(row);
  }

  async listThreads(options: ListThreadsOptions = {}): Promise<ThreadPage> {
    if (typeof options !== "object" || options === null) throw bad("listThreads options must be an object.");
    const { limit, cursor: after } = validateListThreads(options);
    const { prisma } = await this.orm();
    const at = after ? new Date(after.updatedAt) : null;
    const rows = await prisma.thread
      .findMany({
        where: {
          ...(options.status !== undefined && { status: options.status }),
          ...(options.graphId !== undefined && { graphId: options.graphId }),
          ...(after && at && { OR: [{ updatedAt: { lt: at } }, { updatedAt: at, threadId: { lt: after.threadId } }] }),
        },
        orderBy: [{ updatedAt: "desc" }, { threadId: "desc" }],
        take: limit + 1,
      })
      .catch((e) => { throw this.mapError(e); });
    const threads = rows.slice(0, limit).map(modelToThread);
    const last = threads[threads.length - 1];
    return { threads, nextCursor: rows.length > limit && last ? encodeThreadCursor(last.updatedAt, last.threadId) : null };
  }

  async acquireLock(threadId: string, owner: string, ttlMs: number): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
    const { prisma } = await this.orm();
    const ttl = Math.ceil(ttlMs);
    // A holder may release between the failed upsert and the read; then simply try again.
    for (let attempt = 0; ; attempt++) {
      const taken = await prisma.$executeRaw`
        INSERT INTO "thread_locks" ("thread_id", "owner", "expires_at")
        VALUES (${threadId}, ${owner}, clock_timestamp() + ${ttl}::double precision * interval '1 millisecond')
        ON CONFLICT ("thread_id") DO UPDATE SET "owner" = excluded."owner", "expires_at" = excluded."expires_at"
        WHERE "thread_locks"."expires_at" < clock_timestamp() OR "thread_locks"."owner" = excluded."owner"`.catch((e) => {
        throw this.mapError(e);
      });
      if (taken > 0) return { acquired: true };
      const held = await prisma.threadLock.findUnique({ where: { threadId } }).catch((e) => { throw this.mapError(e); });
      if (held) return { acquired: false, owner: held.owner, expiresAt: held.expiresAt.getTime() };
      if (attempt >= 5) throw new WaypointError("STORE_UNAVAILABLE", `The lock of thread "${threadId}" kept changing hands; try again.`);
    }
  }

  async stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    assertSafeId(fromOwner, "owner");
    validateTtl(ttlMs);
    const { prisma } = await this.orm();
    const n = await prisma.$executeRaw`
      UPDATE "thread_locks" SET "owner" = ${owner}, "expires_at" = clock_timestamp() + ${Math.ceil(ttlMs)}::double precision * interval '1 millisecond'
      WHERE "thread_id" = ${threadId} AND "owner" = ${fromOwner}`.catch((e) => {
      throw this.mapError(e);
    });
    return n > 0;
  }

  async releaseLock(threadId: string, owner: string): Promise<void> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    const { prisma } = await this.orm();
    await prisma.threadLock.deleteMany({ where: { threadId, owner } }).catch((e) => { throw this.mapError(e); });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.settingUp?.catch(() => {});
    const prisma = this.prisma;
    this.prisma = null;
    await prisma?.$disconnect().catch(() => {});
    await this.pool.end();
  }
}
