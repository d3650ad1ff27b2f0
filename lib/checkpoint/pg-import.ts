/**
 * `importCheckpoint` for the PostgreSQL store (postgres.ts), run inside one of its transactions: the thread row
 * is created if missing and locked first (FOR UPDATE: the lock `save`, `delete` and `prune` take too, so no
 * save of the thread can run between the decision and the write), then the facts are read (import.ts), the
 * checkpoint inserted whole ("state_text", no base) and the thread updated: version counter raised to at
 * least the imported version, count + 1, head recomputed from the rows (an import may be older than the head),
 * updatedAt never moved backwards. A race the lock cannot cover (two imports creating the same id in two
 * threads at once) ends in a unique violation: the transaction rolls back and INVALID_ARGUMENT is returned.
 */
import type pg from "pg";
import type { EncodedRow } from "./delta";
import { importDecision } from "./import";
import { bad, type CheckpointHeadJson } from "./sql-rows";
import type { Checkpoint } from "./types";

const SQL = {
  ensureThread: `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at")
    VALUES ($1, NULL, 0, 0, 0, $2, $2) ON CONFLICT ("thread_id") DO NOTHING`,
  lock: `SELECT 1 FROM "threads" WHERE "thread_id" = $1 FOR UPDATE`,
  facts: `SELECT "id", "thread_id", "version" FROM "checkpoints" WHERE "id" = ANY($1::text[])`,
  byVersion: `SELECT "id" FROM "checkpoints" WHERE "thread_id" = $1 AND "version" = $2`,
  insert: `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state_text", "base_id", "depth", "ops",
      "next", "interrupts", "pending_writes", "metadata", "created_at", "summary", "namespace")
    VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, NULL, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14::jsonb, $15)`,
  thread: `UPDATE "threads" SET
      "last_version" = GREATEST("last_version", $2),
      "checkpoint_count" = "checkpoint_count" + 1,
      "updated_at" = GREATEST("updated_at", $3),
      "head_checkpoint_id" = (SELECT "id" FROM "checkpoints" WHERE "thread_id" = $1 AND "namespace" = '' ORDER BY "version" DESC LIMIT 1),
      "head_version" = COALESCE((SELECT MAX("version") FROM "checkpoints" WHERE "thread_id" = $1 AND "namespace" = ''), 0)
    WHERE "thread_id" = $1`,
};

/** Imports `cp` (validated; `row` its snapshot row, `j` its JSON texts) in transaction `c`; false if already there. */
export async function importPg(c: pg.PoolClient, cp: Checkpoint, row: EncodedRow, j: CheckpointHeadJson): Promise<boolean> {
  const now = new Date();
  await c.query(SQL.ensureThread, [cp.threadId, now]);
  await c.query(SQL.lock, [cp.threadId]);
  const ids = cp.parentId === null ? [cp.id] : [cp.id, cp.parentId];
  const { rows } = await c.query<{ id: string; thread_id: string; version: number }>(SQL.facts, [ids]);
  const found = rows.find((r) => r.id === cp.id);
  const parent = rows.find((r) => r.id === cp.parentId);
  const holder = await c.query<{ id: string }>(SQL.byVersion, [cp.threadId, cp.version]);
  const write = importDecision(cp, {
    existing: found ? { threadId: found.thread_id, version: Number(found.version) } : null,
    versionHolder: holder.rows[0]?.id ?? null,
    parentThreadId: parent?.thread_id ?? null,
  });
  if (!write) return false;
  try {
    await c.query(SQL.insert, [
      cp.id,
      cp.threadId,
      cp.parentId,
      cp.version,
      cp.step,
      cp.nodeName,
      row.state,
      row.depth,
      j.next,
      j.interrupts,
      j.pendingWrites,
      j.metadata,
      cp.timestamp,
      j.summary,
      cp.namespace ?? "",
    ]);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "23505" || code === "23503") throw bad(`Checkpoint "${cp.id}" conflicts with one written meanwhile (id, version or parent).`);
    if (code === "22P05") throw bad(`Checkpoint holds text PostgreSQL JSONB cannot store (a \\u0000 character).`);
    throw e;
  }
  await c.query(SQL.thread, [cp.threadId, cp.version, now]);
  return true;
}
