/**
 * PostgreSQL store through Prisma: for teams and several app instances sharing one database.
 * `createPostgresStore({ url })` connects, applies the committed migrations (prisma/postgres/migrations) under an
 * advisory lock, and rejects with STORE_UNAVAILABLE (one sentence naming DATABASE_URL and the reason) when the
 * server cannot be reached. Metadata and the other JSON fields are JSONB; threads are indexed by (updated_at,
 * thread_id), (status, ...) and (graph_id, ...) for listing, checkpoints by (thread_id, version) for a thread's
 * history.
 *
 * State is stored as deltas (delta.ts; the SQL side is pg-delta.ts, columns in migration 20261201000000_delta):
 * a row keeps its full state as text ("state_text"; rows older than that migration keep their JSONB "state")
 * or "ops" against "base_id". `load` and `latest` read the row's whole chain in ONE recursive CTE; `list`
 * reads its page in one statement and the chain of any base outside the page with one more each.
 *
 * Hot path decision: one `pg.Pool` is shared by Prisma (`new PrismaPg(pool)`, generated client in
 * lib/generated/postgres) and by hand-written SQL. Everything an engine run calls — `save`, `load`, `list`
 * (plus the chain of a base outside its page), `latest`, `putWrites`, getThread, updateThread and the run lock
 * (acquire, steal, release) — is ONE named (server-prepared) statement on the pool: a Prisma query adds ~0.3–0.6 ms of client-side work, and Prisma
 * cannot express the one-statement save or lock acquire below. Prisma serves listThreads (dynamic filters +
 * keyset paging, not on any per-step path) and `getPrisma()` for the app; delete/prune/clear are short SQL
 * transactions on one pooled client.
 *   Measured on the shared 2-core box (load average ~10), local server with fsync on, 1,002 sequential saves
 *   of a small state, then listing that history (target: LangGraph.js PostgresSaver, ~150 steps/s, 6.7 ms/step):
 *     save:    one statement 0.65–1.3 ms/step (≈ 1,000 steps/s) | Prisma interactive transaction 2.7–6.9 ms
 *     list:    named statement 9–25 ms                          | Prisma findMany 17–31 ms
 *     latest:  named statement 0.23–0.34 ms                     | Prisma findFirst 0.8–1.2 ms
 *   Thread records and lock, 21 Nov 2026 (load average ~1.7), medians of 1,000–2,000 calls in an invoke-like
 *   loop (save 0.45–0.50 ms there):
 *     updateThread: named upsert 0.37–0.39 ms  | Prisma upsert 0.76–0.90 ms
 *     acquireLock:  one CTE 0.34–0.35 ms       | Prisma $executeRaw upsert (+ findUnique when refused) 0.52–0.62 ms
 *     releaseLock:  named DELETE 0.30–0.31 ms  | Prisma deleteMany 0.51–0.59 ms
 *     getThread:    named SELECT 0.21 ms       | Prisma findUnique 0.47–0.56 ms
 *   (an engine invoke made 4 of these calls besides `latest` and its saves; before this move they were a
 *   third of the store time per invoke in the bench). Since 1 Dec 2026 (issue 10) the status updates and the
 *   release ride on the run's first and last saves (SaveOptions: more CTE branches of the same statement), so
 *   an invoke is acquireLock + latest + its saves: 13 round trips and 12 commits for the 10-step chain, was 16 / 15.
 *
 * `save` is ONE statement, so ONE round trip and ONE commit: a CTE upserts the thread row, bumping
 * `last_version` (the row lock serialises concurrent saves of a thread, across processes, so versions are
 * unique), and the outer INSERT writes the checkpoint with that version. The composite foreign key
 * (thread_id, parent_id) -> (thread_id, id) makes the database reject an unknown parent or one from another
 * thread, and the primary key rejects a duplicate id; either failure aborts the whole statement, so the thread
 * row is untouched. The same goes for a delta's base: the composite foreign key (thread_id, base_id) is checked
 * at the end of the statement, after the thread row lock, so a base deleted or pruned by another instance
 * meanwhile (this instance's codec still knew it) fails the statement, which then runs once more with the
 * checkpoint stored whole. Delete and prune lock the thread row too, and inside their transaction rewrite every
 * survivor stored against a doomed row as a snapshot (rebuilt from its chain first) before deleting.
 *
 * Summaries (listSummaries): the same statement also writes the `summary` JSONB column (summary.ts), so a
 * timeline selects only small columns and never fetches (or detoasts) state, pending_writes or metadata.
 *
 * Clocks: record times (updatedAt, createdAt) come from the app, like the other stores, passed as a JS Date
 * (as `save` does) into timestamptz(3) columns, which pg and Prisma both read back as a Date (ISO text in
 * ThreadInfo); lock expiry uses the database clock only, so instances with skewed clocks still agree on
 * whether a lock has expired.
 */
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import type { PrismaClient } from "../generated/postgres/client";
import { WaypointError, checkpointNotFound, threadNotFound } from "../errors";
import { assertSafeId } from "./ids";
import { openStore } from "./open";
import { loadMigrations, migratePostgres } from "./migrate";
import { planPrune, type SkeletonRow } from "./prune";
import {
  SUMMARY_COLUMNS,
  THREAD_COLUMNS,
  bad,
  jsonText,
  modelToThread,
  storedCopy,
  summariesOf,
  threadRowToInfo,
  checkpointHeadJson,
  type SummaryRow,
  type ThreadRow,
} from "./sql-rows";
import { chainChars, DeltaCodec, foldTargets, LatestStates, lazyState, type EncodedRow } from "./delta";
import { corrupt, type DeltaRow } from "./delta-format";
import {
  ROW_COLUMNS,
  STORAGE_SQL,
  chainSql,
  chainsByRoot,
  codecMetadata,
  pgCheckpoint,
  toDeltaRow,
  type PgChainRow,
  type PgRow,
  type StorageRow,
} from "./pg-delta";
import { storageReport } from "./storage";
import { importPg } from "./pg-import";
import { importRow, validateImport } from "./import";
import { threadSearchSql } from "./sql-thread-search";
import { mergeTaskWrites, validateAppendWrites } from "./writes";
import { nsOf, withoutRootNamespace } from "./list-filter";
import { hasListFilter, pgListFilter } from "./sql-list-filter";
import { isPgConnectionError } from "./sql-pg-errors";
import { storeLabel, storeTimeoutMs, unavailable } from "./timeouts";
import type {
  Checkpoint,
  CheckpointStore,
  CheckpointSummary,
  ListOptions,
  ListThreadsOptions,
  AcquireOptions,
  LockResult,
  NewCheckpoint,
  PendingWrite,
  SaveOptions,
  TaskWrite,
  ThreadInfo,
  ThreadPage,
  ThreadPatch,
  ThreadStorage,
} from "./types";
import {
  encodeThreadCursor,
  validateKeep,
  validateListThreads,
  validateWrites,
  validateListOptions,
  validateNewCheckpoint,
  validateSaveOptions,
  fencedOut,
  validateThreadPatch,
  validateTtl,
  wantsLatest,
} from "./validate";

export interface PostgresStoreConfig {
  /** postgres://user:pass@host:port/db (usually env DATABASE_URL). */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Folder holding `postgres/migrations` (default `<cwd>/prisma`). */
  prismaDir?: string;
  /** Connect and per-query timeout in ms (default WAYPOINT_STORE_TIMEOUT_MS, else 5 s); past it a call rejects STORE_UNAVAILABLE. */
  timeoutMs?: number;
}

/** A connected, migrated store; rejects STORE_UNAVAILABLE when the server cannot be reached. */
export async function createPostgresStore(options: PostgresStoreConfig): Promise<PostgresCheckpointStore> {
  return openStore(new PostgresCheckpointStore(options));
}

const same = (v: unknown) => v; // pg already parsed the JSONB columns

/**
 * A list / listSummaries statement with namespace and metadata conditions (`where`, from sql-list-filter.ts,
 * parameters from $5): unnamed, since filter shapes vary. `alias` "c" for the checkpoint columns, "" for none.
 */
const filteredSql = (columns: string, alias: string, where: string, desc: boolean) =>
  `SELECT ${columns} FROM "checkpoints"${alias ? ` ${alias}` : ""} WHERE ${alias ? `${alias}.` : ""}"thread_id" = $1 AND ${alias ? `${alias}.` : ""}"version" > $2 AND ${alias ? `${alias}.` : ""}"version" < $3${where} ORDER BY ${alias ? `${alias}.` : ""}"version" ${desc ? "DESC" : "ASC"} LIMIT $4`;

const SQL = {
  // $17-$24: SaveOptions.thread as updateThread's flags and values (a flag false keeps the field; a new record
  // gets the patch over the defaults); $25: the lock owner to release (NULL: none). The lock CTE runs whatever
  // the outer INSERT does, but a failed INSERT aborts the whole statement, so a refused save releases nothing.
  // $27: the fence (SaveOptions.lockOwner, NULL: none). Its FOR SHARE row lock makes a takeover (an UPDATE of
  // the lock row) wait for this statement, and a takeover that committed first fails the check: then the thread
  // upsert inserts nothing, so neither do the release and the checkpoint INSERT, and no row comes back.
  save: `WITH t AS (
      INSERT INTO "threads" AS th ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at",
        "graph_id", "status", "error", "metadata")
      SELECT $2::text, CASE WHEN $26::text = '' THEN $1::text END, CASE WHEN $26::text = '' THEN 1 ELSE 0 END, 1, 1, $12::timestamptz, $12::timestamptz,
        $17::text, COALESCE($18::text, 'idle'), $19::jsonb, COALESCE($20::jsonb, '{}'::jsonb)
      WHERE $27::text IS NULL OR EXISTS (SELECT 1 FROM "thread_locks" WHERE "thread_id" = $2::text AND "owner" = $27::text FOR SHARE)
      ON CONFLICT ("thread_id") DO UPDATE SET "last_version" = th."last_version" + 1,
        "head_version" = CASE WHEN $26::text = '' THEN th."last_version" + 1 ELSE th."head_version" END,
        "head_checkpoint_id" = CASE WHEN $26::text = '' THEN $1 ELSE th."head_checkpoint_id" END,
        "checkpoint_count" = th."checkpoint_count" + 1, "updated_at" = excluded."updated_at",
        "graph_id" = CASE WHEN $21::boolean THEN excluded."graph_id" ELSE th."graph_id" END,
        "status" = CASE WHEN $22::boolean THEN excluded."status" ELSE th."status" END,
        "error" = CASE WHEN $23::boolean THEN excluded."error" ELSE th."error" END,
        "metadata" = CASE WHEN $24::boolean THEN excluded."metadata" ELSE th."metadata" END
      RETURNING th."last_version"),
    l AS (DELETE FROM "thread_locks" WHERE $25::text IS NOT NULL AND "thread_id" = $2 AND "owner" = $25::text AND EXISTS (SELECT 1 FROM t))
    INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state_text", "base_id", "depth", "ops",
      "next", "interrupts", "pending_writes", "metadata", "created_at", "summary", "namespace")
    SELECT $1, $2, $3, t."last_version", $4, $5, $6, $14, $15, $16, $7::jsonb, $8::jsonb, $9::jsonb, $10::jsonb, $11, $13::jsonb, $26::text FROM t
    RETURNING "version"`,
  // A row's chain (itself, its base, ... down to a state) in one statement; see pg-delta.ts.
  load: chainSql(`c."id" = $1`, true),
  // $2: a head whose state is kept parsed (LatestStates), whose chain is then not read.
  latest: chainSql(`c."thread_id" = $1 AND c."namespace" = '' ORDER BY c."version" DESC LIMIT 1`, true, "$2"),
  chain: chainSql(`c."id" = $1`, false),
  chains: chainSql(`c."id" = ANY($1::text[])`, false),
  listAsc: `SELECT ${ROW_COLUMNS} FROM "checkpoints" c WHERE c."thread_id" = $1 AND c."version" > $2 AND c."version" < $3 ORDER BY c."version" ASC LIMIT $4`,
  listDesc: `SELECT ${ROW_COLUMNS} FROM "checkpoints" c WHERE c."thread_id" = $1 AND c."version" > $2 AND c."version" < $3 ORDER BY c."version" DESC LIMIT $4`,
  // Only small columns: a big state, pending_writes, interrupts or metadata (TOASTed or not) is never fetched.
  summariesAsc: `SELECT ${SUMMARY_COLUMNS} FROM "checkpoints" WHERE "thread_id" = $1 AND "version" > $2 AND "version" < $3 ORDER BY "version" ASC LIMIT $4`,
  summariesDesc: `SELECT ${SUMMARY_COLUMNS} FROM "checkpoints" WHERE "thread_id" = $1 AND "version" > $2 AND "version" < $3 ORDER BY "version" DESC LIMIT $4`,
  summarySources: `SELECT "id", "interrupts", "metadata" FROM "checkpoints" WHERE "id" = ANY($1::text[])`,
  putWrites: `UPDATE "checkpoints" SET "pending_writes" = $2::jsonb WHERE "id" = $1`,
  writesForUpdate: `SELECT "pending_writes" FROM "checkpoints" WHERE "id" = $1 FOR UPDATE`,
  refreshHead: `UPDATE "threads" SET
      "head_checkpoint_id" = (SELECT "id" FROM "checkpoints" WHERE "thread_id" = $1 AND "namespace" = '' ORDER BY "version" DESC LIMIT 1),
      "head_version" = COALESCE((SELECT MAX("version") FROM "checkpoints" WHERE "thread_id" = $1 AND "namespace" = ''), 0),
      "checkpoint_count" = (SELECT COUNT(*) FROM "checkpoints" WHERE "thread_id" = $1),
      "updated_at" = $2
    WHERE "thread_id" = $1`,
  getThread: `SELECT ${THREAD_COLUMNS} FROM "threads" WHERE "thread_id" = $1`,
  // One upsert for every patch shape: a field is written when its flag ($7-$10) is true, and kept otherwise. A
  // new record gets the patch over the defaults (status "idle", metadata {}), as Prisma's upsert did.
  updateThread: `INSERT INTO "threads" AS th ("thread_id", "graph_id", "status", "error", "metadata", "created_at", "updated_at")
    VALUES ($1, $2::text, COALESCE($3::text, 'idle'), $4::jsonb, COALESCE($5::jsonb, '{}'::jsonb), $6, $6)
    ON CONFLICT ("thread_id") DO UPDATE SET
      "graph_id" = CASE WHEN $7::boolean THEN excluded."graph_id" ELSE th."graph_id" END,
      "status" = CASE WHEN $8::boolean THEN excluded."status" ELSE th."status" END,
      "error" = CASE WHEN $9::boolean THEN excluded."error" ELSE th."error" END,
      "metadata" = CASE WHEN $10::boolean THEN excluded."metadata" ELSE th."metadata" END,
      "updated_at" = excluded."updated_at"
    RETURNING ${THREAD_COLUMNS}`,
  // The run lock in ONE statement: the upsert takes the lock when it is free, expired or already ours
  // (renewal); when it does nothing, the second branch reports the holder. Both branches share the
  // statement's snapshot, so a holder committed after it began is invisible there: no row comes back, and
  // acquireLock tries again. Expiry uses the database clock only (clock_timestamp()).
  acquireLock: `WITH ins AS (
      INSERT INTO "thread_locks" AS l ("thread_id", "owner", "expires_at")
      VALUES ($1, $2, clock_timestamp() + $3::double precision * interval '1 millisecond')
      ON CONFLICT ("thread_id") DO UPDATE SET "owner" = excluded."owner", "expires_at" = excluded."expires_at"
      WHERE l."expires_at" < clock_timestamp() OR l."owner" = excluded."owner"
      RETURNING 1)
    SELECT true AS acquired, NULL::text AS owner, NULL::timestamptz AS expires_at FROM ins
    UNION ALL
    SELECT false, "owner", "expires_at" FROM "thread_locks" WHERE "thread_id" = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
  stealLock: `UPDATE "thread_locks" SET "owner" = $2, "expires_at" = clock_timestamp() + $4::double precision * interval '1 millisecond'
    WHERE "thread_id" = $1 AND "owner" = $3`,
  releaseLock: `DELETE FROM "thread_locks" WHERE "thread_id" = $1 AND "owner" = $2`,
  clear: `WITH c AS (DELETE FROM "checkpoints" WHERE "thread_id" = $1), l AS (DELETE FROM "thread_locks" WHERE "thread_id" = $1)
    DELETE FROM "threads" WHERE "thread_id" = $1`,
};

type PatchValues = [string | null, string | null, string | null, string | null, boolean, boolean, boolean, boolean];
const NO_PATCH: PatchValues = [null, null, null, null, false, false, false, false];

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const clampInt = (n: number) => Math.max(INT_MIN, Math.min(INT_MAX, n));

export class PostgresCheckpointStore implements CheckpointStore {
  readonly kind = "postgres";
  private readonly pool: pg.Pool;
  private prisma: PrismaClient | null = null;
  private settingUp: Promise<void> | null = null;
  private closed = false;
  /** What this instance last saved or read, to store the next checkpoint as a delta (delta.ts). */
  private readonly codec = new DeltaCodec();

  constructor(private readonly options: PostgresStoreConfig) {
    if (typeof options?.url !== "string" || !/^postgres(ql)?:\/\//.test(options.url)) {
      throw new WaypointError("STORE_CONFIG", "DATABASE_URL must be a postgres:// or postgresql:// URL.");
    }
    // Bounded waits: connecting (and waiting for a free pooled client) and each query give up after the
    // timeout; a timed-out client is dropped from the pool. Prisma shares this pool, so the same bounds hold.
    const timeout = options.timeoutMs ?? storeTimeoutMs();
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      keepAlive: true,
    });
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
      throw new WaypointError(
        "STORE_CONFIG",
        "The Prisma client for PostgreSQL is not generated; run `node scripts/prisma-generate.mjs` (npm install does it).",
        {},
        { cause: e },
      );
    }
    this.prisma = new mod.PrismaClient({ adapter: new PrismaPg(this.pool) });
  }

  private closedError() {
    return new WaypointError("STORE_UNAVAILABLE", "This PostgreSQL store was closed.");
  }

  /** Connection failures become STORE_UNAVAILABLE; everything else passes through unchanged. */
  private mapError(e: unknown): unknown {
    if (isPgConnectionError(e)) {
      // One sentence naming the server and a short reason: never the driver's or Prisma's own text.
      return unavailable(storeLabel("postgres", this.options.url), e, this.options.timeoutMs ?? storeTimeoutMs());
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

  private async orm(): Promise<PrismaClient> {
    if (!this.prisma) await this.setup();
    if (this.closed || !this.prisma) throw this.closedError();
    return this.prisma;
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
    return this.orm();
  }

  async save(given: NewCheckpoint, options?: SaveOptions): Promise<Checkpoint> {
    validateNewCheckpoint(given);
    const cp = withoutRootNamespace(given);
    const { thread: patch, releaseLock, lockOwner } = validateSaveOptions(options);
    const p = patch ? this.patchValues(patch) : NO_PATCH;
    // Everything but the state, serialised once; the codec serialises the state (and only once).
    const j = checkpointHeadJson(cp);
    let row = this.codec.encode(cp, codecMetadata(cp.metadata, j.metadata));
    const write = (r: EncodedRow) =>
      this.query<{ version: number }>("wp_save", SQL.save, [
        cp.id,
        cp.threadId,
        cp.parentId,
        cp.step,
        cp.nodeName,
        r.state,
        j.next,
        j.interrupts,
        j.pendingWrites,
        j.metadata,
        cp.timestamp,
        new Date(),
        j.summary,
        r.baseId,
        r.depth,
        r.ops,
        ...p,
        releaseLock ?? null,
        nsOf(cp),
        lockOwner ?? null,
      ]);
    let res: pg.QueryResult<{ version: number }>;
    try {
      try {
        res = await write(row);
      } catch (e) {
        // The base was deleted (or folded away by a prune) since this instance saw it: the statement changed
        // nothing, so write the same checkpoint whole. Only then is a save two round trips.
        if ((e as { constraint?: string }).constraint !== "checkpoints_base_fkey") throw e;
        row = this.codec.asSnapshot(row);
        res = await write(row);
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      const constraint = (e as { constraint?: string }).constraint;
      if (code === "23505" && constraint === "checkpoints_pkey") throw bad(`Checkpoint id "${cp.id}" already exists.`);
      if (code === "23503") throw bad(`Parent checkpoint "${cp.parentId}" does not exist in thread "${cp.threadId}".`);
      if (code === "22P05") throw bad(`Checkpoint holds text PostgreSQL JSONB cannot store (a \\u0000 character).`);
      throw e;
    }
    if (res.rows.length === 0) {
      // Fenced out (SQL.save's $27): another owner holds the lock now, or nobody does; say who, for the log.
      const { rows } = await this.query<{ owner: string }>("wp_lock_holder", `SELECT "owner" FROM "thread_locks" WHERE "thread_id" = $1`, [
        cp.threadId,
      ]);
      throw fencedOut(cp.threadId, lockOwner!, rows[0]?.owner ?? null);
    }
    this.codec.remember(row.entry);
    return lazyState(storedCopy(cp, { ...j, state: "{}" }, res.rows[0].version), row);
  }

  /** See types.ts and pg-import.ts (one transaction under the thread row lock; stored whole). */
  async importCheckpoint(cp: Checkpoint): Promise<boolean> {
    validateImport(cp);
    const j = checkpointHeadJson(cp);
    const row = importRow(this.codec, cp, codecMetadata(cp.metadata, j.metadata));
    const written = await this.tx((c) => importPg(c, cp, row, j));
    if (written) this.codec.remember(row.entry);
    return written;
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const { rows } = await this.query<PgChainRow>("wp_load", SQL.load, [checkpointId]);
    if (rows.length === 0) throw checkpointNotFound(checkpointId);
    return this.materialise(rows);
  }

  /** The checkpoint at the top of a chain read by SQL.load / SQL.latest (primes the codec for the next save). */
  private materialise(rows: PgChainRow[]): Checkpoint {
    const top = rows[0];
    return pgCheckpoint(top, this.codec.rebuildState(rows.map(toDeltaRow), top.thread_id, true));
  }

  /** The chain of a base outside a listed page (for `rebuildManyStates`). */
  private fetchChain = async (id: string): Promise<DeltaRow[]> => (await this.query<PgChainRow>("wp_chain", SQL.chain, [id])).rows.map(toDeltaRow);

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const desc = o.order === "desc";
    const values = [threadId, clampInt(o.after ?? INT_MIN), clampInt(o.before ?? INT_MAX), o.limit === undefined ? null : Math.min(o.limit, INT_MAX)];
    const f = pgListFilter(o, "c", 5);
    const { rows } = hasListFilter(o)
      ? await this.query<PgRow>(undefined, filteredSql(ROW_COLUMNS, "c", f.where, desc), [...values, ...f.values])
      : await this.query<PgRow>(desc ? "wp_list_desc" : "wp_list_asc", desc ? SQL.listDesc : SQL.listAsc, values);
    const states = await this.codec.rebuildManyStates(rows.map(toDeltaRow), this.fetchChain);
    return rows.map((r) => pgCheckpoint(r, states.get(r.id)!));
  }

  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const desc = o.order === "desc";
    const values = [threadId, clampInt(o.after ?? INT_MIN), clampInt(o.before ?? INT_MAX), o.limit === undefined ? null : Math.min(o.limit, INT_MAX)];
    const f = pgListFilter(o, `"checkpoints"`, 5);
    const { rows } = hasListFilter(o)
      ? await this.query<SummaryRow>(undefined, filteredSql(SUMMARY_COLUMNS, "", f.where, desc), [...values, ...f.values])
      : await this.query<SummaryRow>(desc ? "wp_summaries_desc" : "wp_summaries_asc", desc ? SQL.summariesDesc : SQL.summariesAsc, values);
    return summariesOf(
      rows,
      same,
      async (ids) => (await this.query<{ id: string; interrupts: unknown; metadata: unknown }>("wp_summary_sources", SQL.summarySources, [ids])).rows,
    );
  }

  async latest(threadId: string): Promise<Checkpoint | null> {
    assertSafeId(threadId, "thread");
    const known = this.latestStates.knownId(threadId);
    let { rows } = await this.query<PgChainRow>("wp_latest_known", SQL.latest, [threadId, known]);
    const top = rows[0];
    if (!top) return null;
    if (top.id === known) {
      // Still the head: its kept state, unless the codec has forgotten the head (then its chain primes it).
      const state = this.codec.knows(known) ? this.latestStates.take(threadId, known) : undefined;
      if (state) return pgCheckpoint(top, state);
      ({ rows } = await this.query<PgChainRow>("wp_load", SQL.load, [known]));
      if (rows.length === 0) {
        this.latestStates.forget(threadId); // deleted meanwhile
        return this.latest(threadId);
      }
    }
    const c = this.materialise(rows);
    this.latestStates.keep(threadId, c.id, c.state, chainChars(rows.map(toDeltaRow)));
    return c;
  }

  /** Heads' states kept parsed, for `latest` of large states (see LatestStates). */
  private readonly latestStates = new LatestStates();

  async putWrites(checkpointId: string, writes: Checkpoint["pendingWrites"]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const text = jsonText(writes, "Pending writes");
    const res = await this.query("wp_put_writes", SQL.putWrites, [checkpointId, text]).catch((e) => {
      throw (e as { code?: string }).code === "22P05" ? bad("Pending writes hold a \\u0000 character, which JSONB cannot store.") : e;
    });
    if (res.rowCount === 0) throw checkpointNotFound(checkpointId);
  }

  /**
   * See types.ts: one transaction that locks the checkpoint's row (FOR UPDATE) while it reads, merges and writes,
   * so concurrent appends (and putWrites, whose UPDATE takes the same row lock) from any process are serialised.
   */
  async appendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): Promise<void> {
    const adds = validateAppendWrites(checkpointId, taskId, writes);
    await this.tx(async (c) => {
      const { rows } = await c.query<{ pending_writes: PendingWrite[] }>({
        name: "wp_writes_for_update",
        text: SQL.writesForUpdate,
        values: [checkpointId],
      });
      if (rows.length === 0) throw checkpointNotFound(checkpointId);
      const merged = mergeTaskWrites(rows[0].pending_writes, adds);
      if (!merged) return;
      await c.query({ name: "wp_put_writes", text: SQL.putWrites, values: [checkpointId, jsonText(merged, "Pending writes")] }).catch((e) => {
        throw (e as { code?: string }).code === "22P05" ? bad("Pending writes hold a \\u0000 character, which JSONB cannot store.") : e;
      });
    });
  }

  /** Locks the thread row (saves take the same lock), so head/count updates and re-links never interleave. */
  private async lockThread(c: pg.PoolClient, threadId: string): Promise<void> {
    await c.query(`SELECT 1 FROM "threads" WHERE "thread_id" = $1 FOR UPDATE`, [threadId]);
  }

  /**
   * Before `deleted` (ids of thread `threadId`) are removed in this transaction: every survivor stored against
   * one of them (`rows`: candidates with their base) is rebuilt from its chain as it is now and rewritten whole
   * (state text, no base or ops, same depth), so every survivor can still be rebuilt after the deletion.
   */
  private async fold(c: pg.PoolClient, threadId: string, rows: { id: string; base_id: string | null }[], deleted: Set<string>): Promise<void> {
    const targets = foldTargets(
      rows.map((r) => ({ id: r.id, baseId: r.base_id })),
      deleted,
    );
    if (targets.length === 0) return;
    const chains = chainsByRoot((await c.query<PgChainRow>({ name: "wp_chains", text: SQL.chains, values: [targets] })).rows);
    const states = targets.map((id) => {
      const chain = chains.get(id);
      if (!chain) throw corrupt(id, "it is missing");
      return this.codec.rebuild(chain, threadId);
    });
    await c.query(
      `UPDATE "checkpoints" AS c SET "state_text" = v.s, "state" = NULL, "ops" = NULL, "base_id" = NULL
       FROM unnest($1::text[], $2::text[]) AS v(id, s) WHERE c."id" = v.id`,
      [targets, states],
    );
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    await this.tx(async (c) => {
      const first = await c.query<{ thread_id: string }>(`SELECT "thread_id" FROM "checkpoints" WHERE "id" = $1`, [checkpointId]);
      if (first.rows.length === 0) throw checkpointNotFound(checkpointId);
      await this.lockThread(c, first.rows[0].thread_id);
      // Re-read under the lock: a concurrent delete may have re-linked or removed it meanwhile.
      const { rows } = await c.query<{ thread_id: string; parent_id: string | null }>(
        `SELECT "thread_id", "parent_id" FROM "checkpoints" WHERE "id" = $1`,
        [checkpointId],
      );
      if (rows.length === 0) throw checkpointNotFound(checkpointId);
      const threadId = rows[0].thread_id;
      // The thread's rows that could need a fold: those stored against the victim.
      const based = await c.query<{ id: string; base_id: string | null }>(
        `SELECT "id", "base_id" FROM "checkpoints" WHERE "thread_id" = $1 AND "base_id" = $2`,
        [threadId, checkpointId],
      );
      await this.fold(c, threadId, based.rows, new Set([checkpointId]));
      await c.query(`UPDATE "checkpoints" SET "parent_id" = $2 WHERE "parent_id" = $1`, [checkpointId, rows[0].parent_id]);
      await c.query(`DELETE FROM "checkpoints" WHERE "id" = $1`, [checkpointId]);
      await c.query(SQL.refreshHead, [threadId, new Date()]);
    });
    this.codec.forget();
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    // Thread row first, like save/delete/prune: taking row locks in one order means clear never deadlocks a save.
    await this.tx(async (c) => {
      await this.lockThread(c, threadId);
      await c.query(SQL.clear, [threadId]);
    });
    this.codec.forget();
  }

  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    const n = await this.tx(async (c) => {
      await this.lockThread(c, threadId);
      const { rows } = await c.query<SkeletonRow & { base_id: string | null }>(
        `SELECT "id", "parent_id" AS "parentId", "version", "base_id" FROM "checkpoints" WHERE "thread_id" = $1`,
        [threadId],
      );
      const plan = planPrune(rows, keep);
      if (plan.deleteIds.length === 0) return 0;
      await this.fold(c, threadId, rows, new Set(plan.deleteIds));
      if (plan.relink.length > 0) {
        await c.query(`UPDATE "checkpoints" AS c SET "parent_id" = v.p FROM unnest($1::text[], $2::text[]) AS v(id, p) WHERE c."id" = v.id`, [
          plan.relink.map((r) => r.id),
          plan.relink.map((r) => r.parentId),
        ]);
      }
      // One statement: the parent and base foreign keys are checked at its end, when every doomed row is gone too.
      await c.query(`DELETE FROM "checkpoints" WHERE "id" = ANY($1::text[])`, [plan.deleteIds]);
      await c.query(SQL.refreshHead, [threadId, new Date()]);
      return plan.deleteIds.length;
    });
    if (n > 0) this.codec.forget();
    return n;
  }

  async storage(threadId: string): Promise<ThreadStorage> {
    assertSafeId(threadId, "thread");
    const { rows } = await this.query<StorageRow>("wp_storage", STORAGE_SQL, [threadId]);
    const sizes = rows
      .filter((r) => r.id !== null)
      .map((r) => ({ id: r.id!, version: Number(r.version), step: Number(r.step), bytes: Number(r.bytes), snapshot: r.snapshot === true }));
    if (rows.length === 0) throw threadNotFound(threadId);
    return storageReport(threadId, sizes);
  }

  async getThread(threadId: string): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    const { rows } = await this.query<ThreadRow>("wp_get_thread", SQL.getThread, [threadId]);
    if (rows.length === 0) throw threadNotFound(threadId);
    return threadRowToInfo(rows[0], same);
  }

  async updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    validateThreadPatch(patch);
    const [graphId, status, error, metadata, ...flags] = this.patchValues(patch);
    // A JS Date, as `save` passes for the same column: pg sends it with its offset, timestamptz(3) keeps the
    // instant to the millisecond, and pg / Prisma read it back as a Date (ISO text via modelToThread).
    const values = [threadId, graphId, status, error, metadata, new Date(), ...flags];
    const { rows } = await this.query<ThreadRow>("wp_update_thread", SQL.updateThread, values).catch((e) => {
      throw (e as { code?: string }).code === "22P05" ? bad("Thread error or metadata holds a \\u0000 character, which JSONB cannot store.") : e;
    });
    return threadRowToInfo(rows[0], same);
  }

  /** A validated patch as the statements take it: graphId, status, error, metadata, then the four "given" flags. */
  private patchValues(patch: ThreadPatch): PatchValues {
    // Serialised before the statement runs: a value JSON cannot hold is INVALID_ARGUMENT and changes nothing.
    const error = patch.error === undefined || patch.error === null ? null : jsonText(patch.error, "Thread error");
    const metadata = patch.metadata === undefined ? null : jsonText(patch.metadata, "Thread metadata");
    return [
      patch.graphId ?? null,
      patch.status ?? null,
      error,
      metadata,
      patch.graphId !== undefined,
      patch.status !== undefined,
      patch.error !== undefined,
      patch.metadata !== undefined,
    ];
  }

  async listThreads(options: ListThreadsOptions = {}): Promise<ThreadPage> {
    if (typeof options !== "object" || options === null) throw bad("listThreads options must be an object.");
    const o = validateListThreads(options);
    const { limit, cursor: after, status, graphId } = o;
    let threads: ThreadInfo[];
    let more: boolean;
    if (o.query !== undefined) {
      // A search looks inside JSON text, which Prisma's filters cannot: hand-written SQL (sql-thread-search.ts).
      const { text, values } = threadSearchSql("postgres", o);
      const { rows } = await this.query<ThreadRow>(undefined, text, values);
      more = rows.length > limit;
      threads = rows.slice(0, limit).map((r) => threadRowToInfo(r, same));
    } else {
      const prisma = await this.orm();
      const at = after ? new Date(after.updatedAt) : null;
      const [dir, op] = o.sort === "waiting" ? (["asc", "gt"] as const) : (["desc", "lt"] as const);
      const rows = await prisma.thread
        .findMany({
          where: {
            ...(status !== undefined && { status }),
            ...(graphId !== undefined && { graphId }),
            ...(after && at && { OR: [{ updatedAt: { [op]: at } }, { updatedAt: at, threadId: { [op]: after.threadId } }] }),
          },
          orderBy: [{ updatedAt: dir }, { threadId: dir }],
          take: limit + 1,
        })
        .catch((e) => {
          throw this.mapError(e);
        });
      more = rows.length > limit;
      threads = rows.slice(0, limit).map(modelToThread);
    }
    const last = threads[threads.length - 1];
    return { threads, nextCursor: more && last ? encodeThreadCursor(last.updatedAt, last.threadId) : null };
  }

  async acquireLock(threadId: string, owner: string, ttlMs: number, options?: AcquireOptions): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
    const withLatest = wantsLatest(options);
    const values = [threadId, owner, Math.ceil(ttlMs)];
    // No row: the upsert did nothing but the holder is not in the statement's snapshot (it committed, or
    // released, while the statement ran); simply try again.
    for (let attempt = 0; ; attempt++) {
      const { rows } = await this.query<{ acquired: boolean; owner: string | null; expires_at: Date | null }>(
        "wp_acquire_lock",
        SQL.acquireLock,
        values,
      );
      const r = rows[0];
      // pg sends one statement per round trip, so the latest checkpoint is a second query here.
      if (r?.acquired) return withLatest ? { acquired: true, latest: await this.latest(threadId) } : { acquired: true };
      if (r) return { acquired: false, owner: r.owner!, expiresAt: r.expires_at!.getTime() };
      if (attempt >= 5) throw new WaypointError("STORE_UNAVAILABLE", `The lock of thread "${threadId}" kept changing hands; try again.`);
    }
  }

  async stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    assertSafeId(fromOwner, "owner");
    validateTtl(ttlMs);
    const res = await this.query("wp_steal_lock", SQL.stealLock, [threadId, owner, fromOwner, Math.ceil(ttlMs)]);
    return (res.rowCount ?? 0) > 0;
  }

  async releaseLock(threadId: string, owner: string): Promise<void> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    await this.query("wp_release_lock", SQL.releaseLock, [threadId, owner]);
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
