/**
 * `importCheckpoint` for the SQLite store (sqlite.ts): one IMMEDIATE transaction (the write lock is taken
 * before the reads, so another connection or process cannot slip in between the decision and the insert)
 * reads the facts (import.ts), inserts the checkpoint whole (a snapshot row, label 0) and upserts the thread:
 * version counter raised to at least the imported version, count + 1, head recomputed from the rows (an
 * import may be older than the head), updatedAt never moved backwards.
 */
import type Database from "better-sqlite3";
import type { DeltaCodec } from "./delta";
import { importDecision, importRow, validateImport } from "./import";
import { CHECKPOINT_COLUMNS, DELTA_COLUMNS, checkpointHeadJson } from "./sql-rows";
import type { Checkpoint } from "./types";

function prepareImport(db: Database.Database) {
  return {
    byId: db.prepare<[string], { thread_id: string; version: number }>(`SELECT "thread_id", "version" FROM "checkpoints" WHERE "id" = ?`),
    byVersion: db.prepare<[string, number], { id: string }>(`SELECT "id" FROM "checkpoints" WHERE "thread_id" = ? AND "version" = ?`),
    insert: db.prepare(
      `INSERT INTO "checkpoints" (${CHECKPOINT_COLUMNS}, "summary", ${DELTA_COLUMNS}, "namespace") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // The head is the newest ROOT-namespace checkpoint (@root 1 when this one is root).
    thread: db.prepare<[{ t: string; id: string; v: number; now: string; root: number }]>(
      `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at")
       VALUES (@t, CASE WHEN @root THEN @id END, CASE WHEN @root THEN @v ELSE 0 END, @v, 1, @now, @now)
       ON CONFLICT ("thread_id") DO UPDATE SET
         "last_version" = MAX("last_version", @v),
         "checkpoint_count" = "checkpoint_count" + 1,
         "updated_at" = MAX("updated_at", @now),
         "head_checkpoint_id" = (SELECT "id" FROM "checkpoints" WHERE "thread_id" = @t AND "namespace" = '' ORDER BY "version" DESC LIMIT 1),
         "head_version" = COALESCE((SELECT MAX("version") FROM "checkpoints" WHERE "thread_id" = @t AND "namespace" = ''), 0)`,
    ),
  };
}

const prepared = new WeakMap<Database.Database, ReturnType<typeof prepareImport>>();

/** Imports one checkpoint into the open database `db`; the codec remembers it so a save on top is a delta. */
export function importSqlite(db: Database.Database, codec: DeltaCodec, cp: Checkpoint): boolean {
  validateImport(cp);
  const head = checkpointHeadJson(cp);
  const row = importRow(codec, cp, head.metadata);
  let q = prepared.get(db);
  if (!q) prepared.set(db, (q = prepareImport(db)));
  const s = q;
  const run = db.transaction((): boolean => {
    const found = s.byId.get(cp.id);
    const parent = cp.parentId === null ? undefined : s.byId.get(cp.parentId);
    const write = importDecision(cp, {
      existing: found ? { threadId: found.thread_id, version: Number(found.version) } : null,
      versionHolder: s.byVersion.get(cp.threadId, cp.version)?.id ?? null,
      parentThreadId: parent?.thread_id ?? null,
    });
    if (!write) return false;
    s.insert.run(
      cp.id,
      cp.threadId,
      cp.parentId,
      cp.version,
      cp.step,
      cp.nodeName,
      row.state,
      head.next,
      head.interrupts,
      head.pendingWrites,
      head.metadata,
      cp.timestamp,
      head.summary,
      null,
      row.depth,
      null,
      cp.namespace ?? "",
    );
    s.thread.run({ t: cp.threadId, id: cp.id, v: cp.version, now: new Date().toISOString(), root: cp.namespace ? 0 : 1 });
    return true;
  });
  const written = run.immediate();
  if (written) codec.remember(row.entry);
  return written;
}
