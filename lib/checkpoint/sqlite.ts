/**
 * SQLite store through Prisma: the embedded default. `createSqliteStore({ url: "file:./data/waypoint.db" })`
 * creates the folder and the file and applies the committed migrations (prisma/sqlite/migrations) on first use,
 * so a newcomer needs no server. Several processes may share the file.
 *
 * Hot path decision: a Prisma query through @prisma/adapter-better-sqlite3 costs ~0.25–0.45 ms (query
 * compiler + adapter, which re-prepares every statement), a prepared better-sqlite3 statement ~0.01–0.05 ms.
 * So everything an engine run calls — `save`, `load`, `list`, `latest`, the run lock (upsert + holder read in
 * one write transaction), getThread and updateThread — and everything else that writes (putWrites, delete,
 * clear, prune) uses prepared statements on our own connection to the same file. Prisma (its own connection,
 * generated client in lib/generated/sqlite) serves the schema, `getPrisma()` for the app, and listThreads
 * (dynamic filters + keyset paging, not on any per-step path).
 *   Measured on the shared 2-core box (load average ~10), 1,002 sequential saves of a small state, then
 *   listing that 1,002-checkpoint history (target: LangGraph.js SqliteSaver, ~580 steps/s, 1.7 ms/step):
 *     save:    prepared 0.12–0.14 ms/step (≈ 7,500 steps/s) | Prisma interactive transaction 1.4–1.9 ms
 *     list:    prepared 5.5–6.2 ms                          | Prisma findMany 9.2–10.7 ms
 *     latest:  prepared 0.024–0.03 ms                       | Prisma findFirst 0.25–0.31 ms
 *   Thread records, 21 Nov 2026 (load average ~1.7), medians of 1,000–2,000 calls in an invoke-like loop:
 *     updateThread: one prepared upsert 0.028 ms | Prisma upsert 0.35–0.42 ms (12–15× slower)
 *     getThread:    prepared 0.009 ms            | Prisma findUnique 0.25–0.30 ms
 *   (an engine invoke called updateThread twice: "running", then "done"; in the bench they were a third of
 *   the store time per invoke before this move). Since 1 Dec 2026 (issue 10) both, and the lock's release,
 *   run inside the first and last saves' transactions (SaveOptions): 12 commits per 10-step invoke, was 15.
 *
 * Summaries (listSummaries): `save` also writes the `summary` column (summary.ts), and the covering index
 * checkpoints_summary_idx holds every column listSummaries reads, so it never touches a table row: a big state
 * sits before `next`/`created_at`/`summary` in the row, and reaching them would walk its overflow pages.
 *
 * Why two connections cannot deadlock: every write goes through our connection, each one synchronous
 * better-sqlite3 statement or transaction (nothing awaited inside); Prisma's connection runs only single
 * autocommit statements (listThreads reads; app code using `getPrisma()` must not open interactive
 * transactions either), so no connection ever holds the write lock across an `await`, and the other just
 * waits out busy_timeout.
 *
 * Thread records written here use the formats Prisma reads back: times are `Date#toISOString()` text (as
 * `save` writes `updated_at`), JSON columns are JSON text, and a cleared error is SQL NULL (Prisma's DbNull).
 *
 * Delta checkpoints (lib/checkpoint/delta.ts, one DeltaCodec per store instance): a row keeps its full "state"
 * (a snapshot) or "ops" against "base_id" with "state" = '' (the column is NOT NULL and SQLite cannot drop that;
 * migration 20261201000000_delta). Rows written before that migration are snapshots with NULL base/depth/ops.
 *   - save encodes against the codec's cache, then in its one IMMEDIATE transaction checks that the base still
 *     exists (another process may have pruned it) and stores the row whole if not;
 *   - load and latest read the row and its chain (base, base's base, ... down to a snapshot) in ONE statement, a
 *     recursive CTE following base_id over ids only, joined back to the rows once (latest starts at the thread's
 *     head row), and prime the codec;
 *   - list reads its page, plus in the same read transaction the chains of bases outside the page (the same
 *     CTE, all at once), then `rebuildManyStates`;
 *   - delete and prune rebuild, inside their one synchronous write transaction, every survivor whose base they
 *     delete (read from that transaction), and rewrite it as a snapshot before deleting;
 *   - storage() adds up the stored bytes in SQL (states never reach JS).
 *
 * Durability: WAL journal with synchronous=NORMAL. In WAL mode NORMAL never corrupts the database; a power
 * loss (not a process crash, which loses nothing) can drop the last few committed transactions. That trade
 * removes an fsync from every step, which is what makes per-step checkpointing cheap; use PostgreSQL where
 * every commit must survive power loss.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type { PrismaClient } from "../generated/sqlite/client";
import { WaypointError, checkpointNotFound, threadNotFound } from "../errors";
import { assertSafeId } from "./ids";
import { openStore } from "./open";
import { loadMigrations, migrateSqlite } from "./migrate";
import { planPrune, type SkeletonRow } from "./prune";
import { chainChars, DeltaCodec, foldTargets, LatestStates, lazyState, parsedMetadata } from "./delta";
import { isSnapshotRow, type DeltaRow } from "./delta-format";
import { storageReport } from "./storage";
import { importSqlite } from "./sqlite-import";
import { threadSearchSql } from "./sql-thread-search";
import { mergeTaskWrites, validateAppendWrites } from "./writes";
import { nsOf, withoutRootNamespace } from "./list-filter";
import { hasListFilter, sqliteListFilter, type ListFilter } from "./sql-list-filter";
import {
  CHECKPOINT_COLUMNS,
  DELTA_COLUMNS,
  SUMMARY_COLUMNS,
  THREAD_COLUMNS,
  bad,
  checkpointHeadJson,
  jsonText,
  modelToThread,
  rowToCheckpoint,
  storedCopy,
  summariesOf,
  threadRowToInfo,
  toDeltaRow,
  type CheckpointRow,
  type DeltaColumns,
  type DeltaSqlRow,
  type SummaryRow,
  type ThreadRow,
} from "./sql-rows";
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

export interface SqliteStoreConfig {
  /** `file:<path>`, relative to the working directory, e.g. `file:./data/waypoint.db`. */
  url: string;
  /** How long a writer waits for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
  /** Folder holding `sqlite/migrations` (default `<cwd>/prisma`). */
  prismaDir?: string;
}

/** A set-up SQLite store (folder, file and tables exist when this resolves). */
export async function createSqliteStore(options: SqliteStoreConfig): Promise<SqliteCheckpointStore> {
  return openStore(new SqliteCheckpointStore(options));
}

export function sqliteFilePath(url: string): string {
  if (typeof url !== "string" || !url.startsWith("file:") || url.length <= 5) {
    throw new WaypointError("STORE_CONFIG", `SQLite url must look like "file:./data/waypoint.db" (got ${JSON.stringify(url)}).`);
  }
  const file = url.slice(5).replace(/\?.*$/, "");
  return file === ":memory:" ? file : path.resolve(file);
}

/**
 * `PRAGMA journal_mode = WAL` can fail SQLITE_BUSY at once, without using busy_timeout, while another process
 * is converting or migrating the same new file (seen ~1 in 6 when two processes open a new file together):
 * retry it until the busy timeout instead.
 */
async function enableWal(db: Database.Database, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
    }
  }
}

const json = (v: unknown) => JSON.parse(v as string);
/** The bound values of a listing's namespace / metadata conditions (empty without a filter). */
const filterValues = (o: ListFilter) => (hasListFilter(o) ? sqliteListFilter(o, `"checkpoints"`).values : []);
const j = JSON.stringify;

type Prepared = ReturnType<typeof prepare>;

/** A checkpoint row with its delta columns. */
type StoredRow = CheckpointRow & DeltaColumns;

/** A row of the load / latest chain statement. */
type ChainRow = StoredRow & { n: number };

/** Every column of a row, in CHECKPOINT_COLUMNS order, then the delta columns. */
const ROW_COLUMNS = `${CHECKPOINT_COLUMNS}, ${DELTA_COLUMNS}, "namespace"`;

/**
 * Longest chain a CTE follows: only a guard against a (corrupt) cycle of base_id, since a real chain is at most
 * GRID + log2(label / GRID) rows (delta.ts).
 */
const MAX_CHAIN = 10_000;

/** ROW_COLUMNS of the table aliased c. */
const C_ROW_COLUMNS = ROW_COLUMNS.split(", ")
  .map((col) => `c.${col}`)
  .join(", ");

/**
 * One statement: the row `where` selects (the first by `order`, if given), then its base, the base's base, ...
 * down to a snapshot ("state" <> ''), each with its distance "n" from the top (`materialise` orders by it: no
 * ORDER BY, so no temporary b-tree). The recursion carries ids only and tells a delta row by
 * `octet_length("state") = 0`, which SQLite answers from the record header: the texts (a snapshot's state can be
 * megabytes) are read once, by the final join, not copied through the CTE's queue (a random old checkpoint of
 * a 10,000-step thread, statement alone: mean 6.2 -> 3.3 ms).
 */
const chainSql = (where: string, order = "", stopAt = false) => `WITH RECURSIVE "chain"("id", "base_id", "more", "n") AS (
    SELECT * FROM (SELECT "id", "base_id", octet_length("state") = 0, 0 FROM "checkpoints" WHERE ${where}${order})
    UNION ALL
    SELECT c."id", c."base_id", octet_length(c."state") = 0, "chain"."n" + 1
    FROM "chain" JOIN "checkpoints" AS c ON c."id" = "chain"."base_id"
    WHERE "chain"."more" AND "chain"."n" < ${MAX_CHAIN}${stopAt ? ` AND ("chain"."n" > 0 OR "chain"."id" IS NOT ?)` : ""}
  ) SELECT ${C_ROW_COLUMNS}, "chain"."n" FROM "chain" JOIN "checkpoints" AS c ON c."id" = "chain"."id"`;

/** The chains of several rows at once (ids as a JSON array): codec columns only, in no useful order (see `walk`). */
const CHAINS_SQL = `WITH RECURSIVE "chain"("id", "base_id", "more", "n") AS (
    SELECT "id", "base_id", octet_length("state") = 0, 0 FROM "checkpoints" WHERE "id" IN (SELECT "value" FROM json_each(?))
    UNION ALL
    SELECT c."id", c."base_id", octet_length(c."state") = 0, "chain"."n" + 1
    FROM "chain" JOIN "checkpoints" AS c ON c."id" = "chain"."base_id"
    WHERE "chain"."more" AND "chain"."n" < ${MAX_CHAIN}
  ) SELECT c."id", c."base_id", c."depth", c."state", c."ops", c."metadata" FROM "chain" JOIN "checkpoints" AS c ON c."id" = "chain"."id"`;

/** The chain of `id` among rows read together (the row, its base, ... down to a snapshot or a missing base). */
function walk(byId: Map<string, DeltaRow>, id: string): DeltaRow[] {
  const out: DeltaRow[] = [];
  const seen = new Set<string>();
  for (let r = byId.get(id); r && !seen.has(r.id); r = r.baseId === null ? undefined : byId.get(r.baseId)) {
    out.push(r);
    seen.add(r.id);
    if (isSnapshotRow(r)) break;
  }
  return out;
}

/**
 * Stored bytes of each row: the UTF-8 length of every text column as stored — id, thread_id, parent_id,
 * base_id, node_name, state ('' for a delta row), next, interrupts, pending_writes, metadata, summary, ops and
 * created_at (NULL counts 0). The integers (version, step, depth), indexes and page overhead are not counted.
 */
const ROW_BYTES = [
  "id",
  "thread_id",
  "parent_id",
  "base_id",
  "node_name",
  "state",
  "next",
  "interrupts",
  "pending_writes",
  "metadata",
  "summary",
  "ops",
  "created_at",
]
  .map((c) => `IFNULL(length(CAST("${c}" AS BLOB)), 0)`)
  .join(" + ");

/** Parameters of the updateThread upsert (better-sqlite3 binds no booleans: flags are 0/1). */
interface ThreadUpsert {
  t: string;
  now: string;
  graphId: string | null;
  status: string | null;
  error: string | null;
  metadata: string | null;
  hasGraphId: number;
  hasStatus: number;
  hasError: number;
  hasMetadata: number;
}

function prepare(db: Database.Database) {
  const cols = CHECKPOINT_COLUMNS;
  return {
    threadOf: db.prepare<[string], { thread_id: string; parent_id: string | null }>(
      `SELECT "thread_id", "parent_id" FROM "checkpoints" WHERE "id" = ?`,
    ),
    // The head moves only with a root-namespace checkpoint (@root 1); every save takes the next version.
    bump: db.prepare<[{ t: string; id: string; now: string; root: number }], { last_version: number }>(
      `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at")
       VALUES (@t, CASE WHEN @root THEN @id END, @root, 1, 1, @now, @now)
       ON CONFLICT ("thread_id") DO UPDATE SET "last_version" = "last_version" + 1,
         "head_version" = CASE WHEN @root THEN "last_version" + 1 ELSE "head_version" END,
         "head_checkpoint_id" = CASE WHEN @root THEN @id ELSE "head_checkpoint_id" END,
         "checkpoint_count" = "checkpoint_count" + 1, "updated_at" = excluded."updated_at"
       RETURNING "last_version"`,
    ),
    insert: db.prepare(
      `INSERT INTO "checkpoints" (${cols}, "summary", ${DELTA_COLUMNS}, "namespace") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // load / latest: the row and its chain in one statement.
    load: db.prepare<[string], ChainRow>(chainSql(`"id" = ?`)),
    // The second parameter: a head whose state is kept parsed (LatestStates), whose chain is then not read.
    latest: db.prepare<[string, string | null], ChainRow>(chainSql(`"thread_id" = ? AND "namespace" = ''`, ` ORDER BY "version" DESC LIMIT 1`, true)),
    chains: db.prepare<[string], DeltaSqlRow>(CHAINS_SQL),
    listAsc: db.prepare<[string, number, number, number], StoredRow>(
      `SELECT ${ROW_COLUMNS} FROM "checkpoints" WHERE "thread_id" = ? AND "version" > ? AND "version" < ? ORDER BY "version" ASC LIMIT ?`,
    ),
    listDesc: db.prepare<[string, number, number, number], StoredRow>(
      `SELECT ${ROW_COLUMNS} FROM "checkpoints" WHERE "thread_id" = ? AND "version" > ? AND "version" < ? ORDER BY "version" DESC LIMIT ?`,
    ),
    // Served by checkpoints_summary_idx alone (a covering index): the table rows, with their states, are never read.
    summariesAsc: db.prepare<[string, number, number, number], SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM "checkpoints" WHERE "thread_id" = ? AND "version" > ? AND "version" < ? ORDER BY "version" ASC LIMIT ?`,
    ),
    summariesDesc: db.prepare<[string, number, number, number], SummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM "checkpoints" WHERE "thread_id" = ? AND "version" > ? AND "version" < ? ORDER BY "version" DESC LIMIT ?`,
    ),
    summarySources: db.prepare<[string], { id: string; interrupts: string; metadata: string }>(
      `SELECT "id", "interrupts", "metadata" FROM "checkpoints" WHERE "id" IN (SELECT "value" FROM json_each(?))`,
    ),
    putWrites: db.prepare(`UPDATE "checkpoints" SET "pending_writes" = ? WHERE "id" = ?`),
    writesOf: db.prepare<[string], { pending_writes: string }>(`SELECT "pending_writes" FROM "checkpoints" WHERE "id" = ?`),
    skeleton: db.prepare<[string], SkeletonRow & { baseId: string | null }>(
      `SELECT "id", "parent_id" AS "parentId", "version", "base_id" AS "baseId" FROM "checkpoints" WHERE "thread_id" = ?`,
    ),
    // A survivor whose base is deleted, rewritten whole (its depth label is kept).
    fold: db.prepare(`UPDATE "checkpoints" SET "state" = ?, "ops" = NULL, "base_id" = NULL WHERE "id" = ?`),
    storage: db.prepare<[string], { id: string; version: number; step: number; bytes: number; snapshot: number }>(
      `SELECT "id", "version", "step", ${ROW_BYTES} AS "bytes", "state" <> '' AS "snapshot" FROM "checkpoints" WHERE "thread_id" = ?`,
    ),
    relink: db.prepare(`UPDATE "checkpoints" SET "parent_id" = ? WHERE "id" = ?`),
    relinkChildren: db.prepare(`UPDATE "checkpoints" SET "parent_id" = ? WHERE "parent_id" = ?`),
    deleteOne: db.prepare(`DELETE FROM "checkpoints" WHERE "id" = ?`),
    deleteMany: db.prepare(`DELETE FROM "checkpoints" WHERE "id" IN (SELECT "value" FROM json_each(?))`),
    // After deletes: head = newest survivor, count recomputed from the rows (cheap: the (thread_id, version) index).
    refreshHead: db.prepare<[{ t: string; now: string }]>(
      `UPDATE "threads" SET
         "head_checkpoint_id" = (SELECT "id" FROM "checkpoints" WHERE "thread_id" = @t AND "namespace" = '' ORDER BY "version" DESC LIMIT 1),
         "head_version" = COALESCE((SELECT MAX("version") FROM "checkpoints" WHERE "thread_id" = @t AND "namespace" = ''), 0),
         "checkpoint_count" = (SELECT COUNT(*) FROM "checkpoints" WHERE "thread_id" = @t),
         "updated_at" = @now
       WHERE "thread_id" = @t`,
    ),
    clearCheckpoints: db.prepare(`DELETE FROM "checkpoints" WHERE "thread_id" = ?`),
    clearThread: db.prepare(`DELETE FROM "threads" WHERE "thread_id" = ?`),
    clearLock: db.prepare(`DELETE FROM "thread_locks" WHERE "thread_id" = ?`),
    // The lock is one atomic upsert: taken when free, expired, or already ours (renewal).
    acquire: db.prepare<[{ t: string; owner: string; exp: number; now: number }]>(
      `INSERT INTO "thread_locks" ("thread_id", "owner", "expires_at") VALUES (@t, @owner, @exp)
       ON CONFLICT ("thread_id") DO UPDATE SET "owner" = excluded."owner", "expires_at" = excluded."expires_at"
       WHERE "thread_locks"."expires_at" < @now OR "thread_locks"."owner" = excluded."owner"`,
    ),
    holder: db.prepare<[string], { owner: string; expires_at: number }>(`SELECT "owner", "expires_at" FROM "thread_locks" WHERE "thread_id" = ?`),
    steal: db.prepare(`UPDATE "thread_locks" SET "owner" = ?, "expires_at" = ? WHERE "thread_id" = ? AND "owner" = ?`),
    release: db.prepare(`DELETE FROM "thread_locks" WHERE "thread_id" = ? AND "owner" = ?`),
    getThread: db.prepare<[string], ThreadRow>(`SELECT ${THREAD_COLUMNS} FROM "threads" WHERE "thread_id" = ?`),
    // One upsert for every patch shape: a field is written when its has* flag is 1, and kept otherwise. A new
    // record gets the patch over the defaults (status "idle", metadata {}), like Prisma's upsert did.
    updateThread: db.prepare<[ThreadUpsert], ThreadRow>(
      `INSERT INTO "threads" ("thread_id", "graph_id", "status", "error", "metadata", "created_at", "updated_at")
       VALUES (@t, @graphId, COALESCE(@status, 'idle'), @error, COALESCE(@metadata, '{}'), @now, @now)
       ON CONFLICT ("thread_id") DO UPDATE SET
         "graph_id" = CASE WHEN @hasGraphId THEN excluded."graph_id" ELSE "graph_id" END,
         "status" = CASE WHEN @hasStatus THEN excluded."status" ELSE "status" END,
         "error" = CASE WHEN @hasError THEN excluded."error" ELSE "error" END,
         "metadata" = CASE WHEN @hasMetadata THEN excluded."metadata" ELSE "metadata" END,
         "updated_at" = excluded."updated_at"
       RETURNING ${THREAD_COLUMNS}`,
    ),
  };
}

export class SqliteCheckpointStore implements CheckpointStore {
  readonly kind = "sqlite";
  readonly file: string;
  private readonly busyTimeoutMs: number;
  private db: Database.Database | null = null;
  /** Prepared filtered listing statements by SQL text (see `filtered`); cleared with the connection. */
  private readonly shapes = new Map<string, Database.Statement>();
  private q: Prepared | null = null;
  private prisma: PrismaClient | null = null;
  private settingUp: Promise<void> | null = null;
  private closed = false;
  /** Per instance (per process): another process's saves and deletes are caught by the base check in `save`. */
  private readonly codec = new DeltaCodec();

  constructor(private readonly options: SqliteStoreConfig) {
    this.file = sqliteFilePath(options.url);
    this.busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  }

  setup(): Promise<void> {
    this.settingUp ??= this.init().catch((e) => {
      this.settingUp = null;
      throw e;
    });
    return this.settingUp;
  }

  private async init(): Promise<void> {
    if (this.closed) throw new WaypointError("STORE_UNAVAILABLE", "This SQLite store was closed.");
    if (this.file !== ":memory:") mkdirSync(path.dirname(this.file), { recursive: true });
    const db = new Database(this.file, { timeout: this.busyTimeoutMs });
    try {
      await enableWal(db, this.busyTimeoutMs); // readers never block the writer, and other processes can read meanwhile
      db.pragma("synchronous = NORMAL"); // see the header: no fsync per commit, safe against corruption in WAL
      // A snapshot of a large state spans hundreds of overflow pages: a 32 MB page cache and memory-mapped reads
      // make reading a chain (latest, load) a copy rather than a system call per page (measured: 3.5 -> 2.2 ms
      // for a 600 KB state's chain).
      db.pragma("cache_size = -32768");
      db.pragma("mmap_size = 268435456");
      migrateSqlite(db, loadMigrations("sqlite", this.options.prismaDir));
      this.q = prepare(db);
    } catch (e) {
      db.close();
      throw e;
    }
    this.db = db;
    let mod: typeof import("../generated/sqlite/client");
    try {
      mod = await import("../generated/sqlite/client");
    } catch (e) {
      throw new WaypointError(
        "STORE_CONFIG",
        "The Prisma client for SQLite is not generated; run `node scripts/prisma-generate.mjs` (npm install does it).",
        {},
        { cause: e },
      );
    }
    this.prisma = new mod.PrismaClient({ adapter: new PrismaBetterSqlite3({ url: this.file, timeout: this.busyTimeoutMs }) });
  }

  /** Prepared statements, setting the store up on first use. */
  private async ready(): Promise<Prepared> {
    if (this.q) return this.q;
    await this.setup();
    if (!this.q) throw new WaypointError("STORE_UNAVAILABLE", "This SQLite store was closed.");
    return this.q;
  }

  private async orm(): Promise<PrismaClient> {
    if (!this.prisma) await this.setup();
    if (!this.prisma) throw new WaypointError("STORE_UNAVAILABLE", "This SQLite store was closed.");
    return this.prisma;
  }

  /** The Prisma client on this store's database (for app queries beyond the store contract). */
  async getPrisma(): Promise<PrismaClient> {
    return this.orm();
  }

  async save(given: NewCheckpoint, options?: SaveOptions): Promise<Checkpoint> {
    validateNewCheckpoint(given);
    const cp = withoutRootNamespace(given);
    const { thread: patch, releaseLock, lockOwner } = validateSaveOptions(options);
    const head = checkpointHeadJson(cp);
    const threadUpsert = patch && this.threadUpsert(cp.threadId, patch);
    const q = await this.ready();
    let row = this.codec.encode(cp, head.metadata);
    const run = this.db!.transaction((): number => {
      // The fence (SaveOptions.lockOwner): read inside the IMMEDIATE transaction, so no takeover can slip in.
      if (lockOwner !== undefined) {
        const holder = q.holder.get(cp.threadId)?.owner ?? null;
        if (holder !== lockOwner) throw fencedOut(cp.threadId, lockOwner, holder);
      }
      if (q.threadOf.get(cp.id)) throw bad(`Checkpoint id "${cp.id}" already exists.`);
      if (cp.parentId !== null && q.threadOf.get(cp.parentId)?.thread_id !== cp.threadId) {
        throw bad(`Parent checkpoint "${cp.parentId}" does not exist in thread "${cp.threadId}".`);
      }
      // The base (when it is not the parent, just checked) may have been deleted by another process since the
      // codec saw it: then this checkpoint is stored whole.
      if (row.baseId !== null && row.baseId !== cp.parentId && q.threadOf.get(row.baseId)?.thread_id !== cp.threadId) {
        row = this.codec.asSnapshot(row);
      }
      const version = q.bump.get({ t: cp.threadId, id: cp.id, now: new Date().toISOString(), root: nsOf(cp) === "" ? 1 : 0 })!.last_version;
      q.insert.run(
        cp.id,
        cp.threadId,
        cp.parentId,
        version,
        cp.step,
        cp.nodeName,
        row.state ?? "", // '' marks a delta row: "state" is NOT NULL (see the header)
        head.next,
        head.interrupts,
        head.pendingWrites,
        head.metadata,
        cp.timestamp,
        head.summary,
        row.baseId,
        row.depth,
        row.ops,
        nsOf(cp),
      );
      // The run's bookkeeping in the same commit (SaveOptions): the thread patch, then the lock's release.
      if (threadUpsert) q.updateThread.get(threadUpsert);
      if (releaseLock !== undefined) q.release.run(cp.threadId, releaseLock);
      return version;
    });
    // IMMEDIATE: take the write lock before reading, so another process cannot slip in between check and insert.
    const version = run.immediate();
    this.codec.remember(row.entry);
    return lazyState(storedCopy(cp, { ...head, state: "{}" }, version, parsedMetadata(row, head.metadata)), row);
  }

  /** See types.ts and sqlite-import.ts (one IMMEDIATE transaction; stored whole). */
  async importCheckpoint(cp: Checkpoint): Promise<boolean> {
    await this.ready();
    return importSqlite(this.db!, this.codec, cp);
  }

  /** A checkpoint from its chain (as the load / latest statements return it); primes the codec. */
  private materialise(rows: ChainRow[]): Checkpoint {
    rows.sort((a, b) => a.n - b.n); // top first (already so in practice: the CTE's queue is FIFO)
    const top = rows[0];
    const c = rowToCheckpoint({ ...top, state: "{}" }, json);
    c.state = this.codec.rebuildState(
      rows.map((r) => toDeltaRow(r)),
      top.thread_id,
      true,
    );
    return c;
  }

  /** Heads' states kept parsed, for `latest` of large states (see LatestStates). */
  private readonly latestStates = new LatestStates();

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const rows = (await this.ready()).load.all(checkpointId);
    if (rows.length === 0) throw checkpointNotFound(checkpointId);
    return this.materialise(rows);
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const q = await this.ready();
    const stmt = (hasListFilter(o) ? this.filtered<StoredRow>(ROW_COLUMNS, o) : o.order === "desc" ? q.listDesc : q.listAsc) as Database.Statement<
      unknown[],
      StoredRow
    >;
    // The page and the chains of its bases outside it, in one read transaction (one consistent snapshot: another
    // process's prune cannot fold and delete in between).
    const { rows, chains } = this.db!.transaction(() => {
      const rows = stmt.all(threadId, o.after ?? Number.MIN_SAFE_INTEGER, o.before ?? Number.MAX_SAFE_INTEGER, ...filterValues(o), o.limit ?? -1);
      const inPage = new Set(rows.map((r) => r.id));
      const outside = new Set<string>();
      for (const r of rows) if (r.state === "" && r.base_id !== null && !inPage.has(r.base_id)) outside.add(r.base_id);
      return { rows, chains: outside.size > 0 ? q.chains.all(j([...outside])) : [] };
    })();
    if (rows.length === 0) return [];
    const page = rows.map((r) => toDeltaRow(r));
    const byId = new Map<string, DeltaRow>(chains.map((r) => [r.id, toDeltaRow(r)]));
    const states = await this.codec.rebuildManyStates(page, async (id) => walk(byId, id));
    return rows.map((r) => {
      const c = rowToCheckpoint({ ...r, state: "{}" }, json);
      c.state = states.get(r.id)!;
      return c;
    });
  }

  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const q = await this.ready();
    const stmt = (
      hasListFilter(o) ? this.filtered<SummaryRow>(SUMMARY_COLUMNS, o) : o.order === "desc" ? q.summariesDesc : q.summariesAsc
    ) as Database.Statement<unknown[], SummaryRow>;
    const rows = stmt.all(threadId, o.after ?? Number.MIN_SAFE_INTEGER, o.before ?? Number.MAX_SAFE_INTEGER, ...filterValues(o), o.limit ?? -1);
    return summariesOf(rows, json, (ids) => q.summarySources.all(j(ids)));
  }

  /**
   * A list / listSummaries statement with namespace and metadata conditions (sql-list-filter.ts), prepared once
   * per shape (columns, order, which keys of which types) and kept: parameters are threadId, after, before, the
   * filter's values (`filterValues`), limit.
   */
  private filtered<R>(columns: string, o: ReturnType<typeof validateListOptions>): Database.Statement<unknown[], R> {
    const { where } = sqliteListFilter(o, `"checkpoints"`);
    const text = `SELECT ${columns} FROM "checkpoints" WHERE "thread_id" = ? AND "version" > ? AND "version" < ?${where} ORDER BY "version" ${o.order === "desc" ? "DESC" : "ASC"} LIMIT ?`;
    let stmt = this.shapes.get(text);
    if (!stmt) {
      if (this.shapes.size >= 64) this.shapes.clear(); // a bound on distinct filter shapes, not a cache policy
      this.shapes.set(text, (stmt = this.db!.prepare(text)));
    }
    return stmt as Database.Statement<unknown[], R>;
  }

  async latest(threadId: string): Promise<Checkpoint | null> {
    assertSafeId(threadId, "thread");
    const q = await this.ready();
    const known = this.latestStates.knownId(threadId);
    let rows = q.latest.all(threadId, known);
    const top = rows.find((r) => r.n === 0);
    if (!top) return null;
    if (top.id === known) {
      // Still the head: its kept state, unless the codec has forgotten the head (then its chain primes it).
      const state = this.codec.knows(known) ? this.latestStates.take(threadId, known) : undefined;
      if (state) return { ...rowToCheckpoint({ ...top, state: "{}" }, json), state };
      rows = q.load.all(known);
      if (rows.length === 0) {
        this.latestStates.forget(threadId); // deleted meanwhile
        return this.latest(threadId);
      }
    }
    const c = this.materialise(rows);
    this.latestStates.keep(threadId, c.id, c.state, chainChars(rows.map((r) => toDeltaRow(r))));
    return c;
  }

  async putWrites(checkpointId: string, writes: Checkpoint["pendingWrites"]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const text = jsonText(writes, "Pending writes");
    const q = await this.ready();
    if (q.putWrites.run(text, checkpointId).changes === 0) throw checkpointNotFound(checkpointId);
  }

  /** See types.ts: read, merge and write in one IMMEDIATE transaction (the write lock is held across all three). */
  async appendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): Promise<void> {
    const adds = validateAppendWrites(checkpointId, taskId, writes);
    const q = await this.ready();
    this.db!.transaction(() => {
      const row = q.writesOf.get(checkpointId);
      if (!row) throw checkpointNotFound(checkpointId);
      const merged = mergeTaskWrites(json(row.pending_writes) as PendingWrite[], adds);
      if (merged) q.putWrites.run(j(merged), checkpointId);
    }).immediate();
  }

  /**
   * Inside a delete or prune transaction, before its DELETE: every survivor stored against a checkpoint in
   * `deleted` gets its state rebuilt (from rows read in this transaction) and is rewritten as a snapshot.
   */
  private fold(q: Prepared, threadId: string, rows: { id: string; baseId: string | null }[], deleted: Set<string>): void {
    const targets = foldTargets(rows, deleted);
    if (targets.length === 0) return;
    const byId = new Map<string, DeltaRow>(q.chains.all(j(targets)).map((r) => [r.id, toDeltaRow(r)]));
    // Every state first, then the writes: a target may sit on another target's chain.
    const states = targets.map((id) => [id, this.codec.rebuild(walk(byId, id), threadId)] as const);
    for (const [id, state] of states) q.fold.run(state, id);
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    const q = await this.ready();
    this.db!.transaction(() => {
      const row = q.threadOf.get(checkpointId);
      if (!row) throw checkpointNotFound(checkpointId);
      this.fold(q, row.thread_id, q.skeleton.all(row.thread_id), new Set([checkpointId]));
      q.relinkChildren.run(row.parent_id, checkpointId);
      q.deleteOne.run(checkpointId);
      q.refreshHead.run({ t: row.thread_id, now: new Date().toISOString() });
    }).immediate();
    this.codec.forget();
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    const q = await this.ready();
    this.db!.transaction(() => {
      q.clearCheckpoints.run(threadId);
      q.clearThread.run(threadId);
      q.clearLock.run(threadId);
    }).immediate();
  }

  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    const q = await this.ready();
    // Plan, fold and apply under one write lock, so no save can add a child to (or a delta on) a checkpoint being deleted.
    const deleted = this.db!.transaction((): number => {
      const rows = q.skeleton.all(threadId);
      const plan = planPrune(rows, keep);
      if (plan.deleteIds.length === 0) return 0;
      this.fold(q, threadId, rows, new Set(plan.deleteIds));
      for (const r of plan.relink) q.relink.run(r.parentId, r.id);
      q.deleteMany.run(j(plan.deleteIds));
      q.refreshHead.run({ t: threadId, now: new Date().toISOString() });
      return plan.deleteIds.length;
    }).immediate();
    if (deleted > 0) this.codec.forget();
    return deleted;
  }

  async storage(threadId: string): Promise<ThreadStorage> {
    assertSafeId(threadId, "thread");
    const q = await this.ready();
    const rows = q.storage.all(threadId);
    if (rows.length === 0 && !q.getThread.get(threadId)) throw threadNotFound(threadId);
    return storageReport(
      threadId,
      rows.map((r) => ({ id: r.id, version: Number(r.version), step: Number(r.step), bytes: Number(r.bytes), snapshot: r.snapshot === 1 })),
    );
  }

  async getThread(threadId: string): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    const row = (await this.ready()).getThread.get(threadId);
    if (!row) throw threadNotFound(threadId);
    return threadRowToInfo(row, json);
  }

  async updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    validateThreadPatch(patch);
    const params = this.threadUpsert(threadId, patch);
    const row = (await this.ready()).updateThread.get(params)!;
    return threadRowToInfo(row, json);
  }

  /** The updateThread statement's parameters for a validated patch (used by updateThread and save's options). */
  private threadUpsert(threadId: string, patch: ThreadPatch): ThreadUpsert {
    // Serialised before the statement runs: a value JSON cannot hold is INVALID_ARGUMENT and changes nothing.
    const error = patch.error === undefined || patch.error === null ? null : jsonText(patch.error, "Thread error");
    const metadata = patch.metadata === undefined ? null : jsonText(patch.metadata, "Thread metadata");
    // Times as ISO-8601 UTC text, the format `save` writes and Prisma reads back (listThreads) for these columns.
    return {
      t: threadId,
      now: new Date().toISOString(),
      graphId: patch.graphId ?? null,
      status: patch.status ?? null,
      error,
      metadata,
      hasGraphId: patch.graphId !== undefined ? 1 : 0,
      hasStatus: patch.status !== undefined ? 1 : 0,
      hasError: patch.error !== undefined ? 1 : 0,
      hasMetadata: patch.metadata !== undefined ? 1 : 0,
    };
  }

  async listThreads(options: ListThreadsOptions = {}): Promise<ThreadPage> {
    if (typeof options !== "object" || options === null) throw bad("listThreads options must be an object.");
    const o = validateListThreads(options);
    const { limit, cursor: after, status, graphId } = o;
    let threads: ThreadInfo[];
    let more: boolean;
    if (o.query !== undefined) {
      // A search looks inside JSON text, which Prisma's filters cannot: hand-written SQL (sql-thread-search.ts).
      const { text, values } = threadSearchSql("sqlite", o);
      await this.ready();
      const found = this.db!.prepare<unknown[], ThreadRow>(text).all(...values);
      more = found.length > limit;
      threads = found.slice(0, limit).map((r) => threadRowToInfo(r, json));
    } else {
      const [dir, op] = o.sort === "waiting" ? (["asc", "gt"] as const) : (["desc", "lt"] as const);
      const rows = await (
        await this.orm()
      ).thread.findMany({
        where: {
          ...(status !== undefined && { status }),
          ...(graphId !== undefined && { graphId }),
          ...(after && { OR: [{ updatedAt: { [op]: after.updatedAt } }, { updatedAt: after.updatedAt, threadId: { [op]: after.threadId } }] }),
        },
        orderBy: [{ updatedAt: dir }, { threadId: dir }],
        take: limit + 1,
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
    const q = await this.ready();
    const res = this.db!.transaction((): LockResult => {
      const now = Date.now();
      if (q.acquire.run({ t: threadId, owner, exp: now + ttlMs, now }).changes > 0) return { acquired: true };
      const h = q.holder.get(threadId)!; // the upsert only does nothing when a live row exists (same transaction)
      return { acquired: false, owner: h.owner, expiresAt: Number(h.expires_at) };
    }).immediate();
    // In-process, so no round trip to save: the read simply follows the lock's commit.
    return res.acquired && withLatest ? { acquired: true, latest: await this.latest(threadId) } : res;
  }

  async stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    assertSafeId(fromOwner, "owner");
    validateTtl(ttlMs);
    const q = await this.ready();
    return q.steal.run(owner, Date.now() + ttlMs, threadId, fromOwner).changes > 0;
  }

  async releaseLock(threadId: string, owner: string): Promise<void> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    (await this.ready()).release.run(threadId, owner);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settingUp?.catch(() => {});
    const prisma = this.prisma;
    this.prisma = null;
    this.q = null;
    this.shapes.clear();
    await prisma?.$disconnect();
    this.db?.close();
    this.db = null;
  }
}
