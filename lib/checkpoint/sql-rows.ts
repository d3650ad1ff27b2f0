/**
 * Row shapes and small helpers shared by the SQL stores (sqlite.ts, postgres.ts): both use the same column
 * names (see prisma/<db>/migrations), differing only in how JSON and times come back from the driver.
 */
import { WaypointError } from "../errors";
import type { DeltaRow } from "./delta-format";
import { assembleSummary, compactSummary, summaryExtra, type SummaryExtra } from "./summary";
import type { Checkpoint, CheckpointSummary, NewCheckpoint, ThreadError, ThreadInfo, ThreadStatus } from "./types";

export const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

/** A checkpoint row; JSON columns are text (SQLite) or already parsed (PostgreSQL JSONB via pg). */
export interface CheckpointRow {
  id: string;
  thread_id: string;
  parent_id: string | null;
  version: number;
  step: number;
  node_name: string;
  state: unknown;
  next: unknown;
  interrupts: unknown;
  pending_writes: unknown;
  metadata: unknown;
  created_at: string;
  /** Selected by the row readers that return checkpoints; "" (root) when absent. */
  namespace?: string | null;
}

export const CHECKPOINT_COLUMNS = `"id", "thread_id", "parent_id", "version", "step", "node_name", "state", "next", "interrupts", "pending_writes", "metadata", "created_at"`;

export function rowToCheckpoint(r: CheckpointRow, json: (v: unknown) => unknown): Checkpoint {
  return {
    id: r.id,
    threadId: r.thread_id,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    parentId: r.parent_id,
    version: Number(r.version),
    step: Number(r.step),
    nodeName: r.node_name,
    state: json(r.state) as Record<string, unknown>,
    next: json(r.next) as string[],
    interrupts: json(r.interrupts) as Checkpoint["interrupts"],
    pendingWrites: json(r.pending_writes) as Checkpoint["pendingWrites"],
    metadata: json(r.metadata) as Checkpoint["metadata"],
    timestamp: r.created_at,
  };
}

/**
 * What listSummaries selects: small columns and the `summary` column (see summary.ts and migration
 * 20261121010000_summary), never state, pending_writes, interrupts or metadata.
 */
export const SUMMARY_COLUMNS = `"id", "thread_id", "parent_id", "version", "step", "node_name", "next", "created_at", "summary"`;

export interface SummaryRow {
  id: string;
  thread_id: string;
  parent_id: string | null;
  version: number;
  step: number;
  node_name: string;
  next: unknown;
  created_at: string;
  /** Null only for rows written by a process older than the summary migration (see `summariesOf`). */
  summary: unknown;
}

/** A summary from its row; `extra` replaces a null `summary` column (computed from the full row). */
export function rowToSummary(r: SummaryRow, json: (v: unknown) => unknown, extra?: SummaryExtra): CheckpointSummary {
  const head = {
    id: r.id,
    threadId: r.thread_id,
    parentId: r.parent_id,
    version: Number(r.version),
    step: Number(r.step),
    nodeName: r.node_name,
    next: json(r.next) as string[],
    timestamp: r.created_at,
  };
  return assembleSummary(head, extra ?? (json(r.summary) as Partial<SummaryExtra>));
}

/**
 * Rows whose `summary` is null were written by an older process (during a rolling upgrade, after the migration
 * filled every existing row): their summaries are computed from `interrupts` and `metadata`, read by id with
 * `fetch`. Normally there are none and this costs nothing.
 */
export async function summariesOf(
  rows: SummaryRow[],
  json: (v: unknown) => unknown,
  fetch: (
    ids: string[],
  ) => Promise<{ id: string; interrupts: unknown; metadata: unknown }[]> | { id: string; interrupts: unknown; metadata: unknown }[],
): Promise<CheckpointSummary[]> {
  const missing = rows.filter((r) => r.summary === null || r.summary === undefined).map((r) => r.id);
  const extras = new Map<string, SummaryExtra>();
  if (missing.length > 0) {
    for (const f of await fetch(missing)) {
      extras.set(
        f.id,
        summaryExtra({ interrupts: json(f.interrupts) as Checkpoint["interrupts"], metadata: json(f.metadata) as Checkpoint["metadata"] }),
      );
    }
  }
  // A row deleted between the two reads has no extra: it is left out, as if listed a moment later.
  const out: CheckpointSummary[] = [];
  for (const r of rows) {
    const isNull = r.summary === null || r.summary === undefined;
    if (!isNull) out.push(rowToSummary(r, json));
    else if (extras.has(r.id)) out.push(rowToSummary(r, json, extras.get(r.id)));
  }
  return out;
}

/** The JSON texts a save writes, computed once; also used to build the returned copy (load's exact shape). */
export interface CheckpointJson {
  /** The `summary` column: `summaryExtra` of the checkpoint, compacted (`compactSummary`). */
  summary: string;
  state: string;
  next: string;
  interrupts: string;
  pendingWrites: string;
  metadata: string;
}

/** Serialises a validated checkpoint; values JSON cannot represent (BigInt, cycles) are INVALID_ARGUMENT. */
export function checkpointJson(cp: NewCheckpoint): CheckpointJson {
  const head = checkpointHeadJson(cp);
  try {
    return { ...head, state: JSON.stringify(cp.state) };
  } catch (e) {
    throw bad(`Checkpoint is not JSON-serialisable: ${(e as Error).message}`);
  }
}

/** Every JSON text a save writes except the state, which the delta codec serialises (once, per channel). */
export type CheckpointHeadJson = Omit<CheckpointJson, "state">;

/** `checkpointJson` without the state; the same INVALID_ARGUMENT for values JSON cannot represent. */
export function checkpointHeadJson(cp: NewCheckpoint): CheckpointHeadJson {
  try {
    return {
      summary: JSON.stringify(compactSummary(summaryExtra(cp))),
      next: JSON.stringify(cp.next),
      interrupts: JSON.stringify(cp.interrupts),
      pendingWrites: JSON.stringify(cp.pendingWrites),
      metadata: JSON.stringify(cp.metadata),
    };
  } catch (e) {
    throw bad(`Checkpoint is not JSON-serialisable: ${(e as Error).message}`);
  }
}

/**
 * The delta layout's columns (lib/checkpoint/delta-format.ts; SQLite migration 20261201000000_delta): the
 * base the row's ops apply to, its chain label and the ops text. All NULL for a snapshot written before the
 * migration; a snapshot written after it keeps its label in "depth".
 */
export const DELTA_COLUMNS = `"base_id", "depth", "ops"`;

export interface DeltaColumns {
  base_id: string | null;
  depth: number | null;
  ops: string | null;
}

/** What the codec reads of a row (`DeltaRow`), as selected from SQL. */
export type DeltaSqlRow = DeltaColumns & { id: string; state: unknown; metadata: unknown };

/**
 * A codec row from a SQL row. `text` turns the driver's value of `state` / `metadata` into the stored JSON text
 * (identity for SQLite, whose columns are text); a delta row's state may be "" or null.
 */
export function toDeltaRow(r: DeltaSqlRow, text: (v: unknown) => string = (v) => v as string): DeltaRow {
  return {
    id: r.id,
    baseId: r.base_id,
    depth: r.depth === null ? null : Number(r.depth),
    state: r.state === null || r.state === undefined || r.state === "" ? null : text(r.state),
    ops: r.ops,
    metadata: text(r.metadata),
  };
}

export function jsonText(value: unknown, what: string): string {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error("no JSON representation");
    return text;
  } catch (e) {
    throw bad(`${what} is not JSON-serialisable: ${(e as Error).message}`);
  }
}

/**
 * What `save` returns: exactly what a later `load` gives (the JSON round trip plus the assigned version).
 * `metadata`: `j.metadata` already parsed, when the caller has it.
 */
export function storedCopy(cp: NewCheckpoint, j: CheckpointJson, version: number, metadata?: unknown): Checkpoint {
  return {
    id: cp.id,
    threadId: cp.threadId,
    ...(cp.namespace ? { namespace: cp.namespace } : {}),
    parentId: cp.parentId,
    version,
    step: cp.step,
    nodeName: cp.nodeName,
    state: JSON.parse(j.state),
    next: JSON.parse(j.next),
    interrupts: JSON.parse(j.interrupts),
    pendingWrites: JSON.parse(j.pendingWrites),
    metadata: (metadata ?? JSON.parse(j.metadata)) as Checkpoint["metadata"],
    timestamp: cp.timestamp,
  };
}

/** A thread record as the Prisma clients return it (both schemas use these field names). */
export interface ThreadModel {
  threadId: string;
  graphId: string | null;
  status: string;
  headCheckpointId: string | null;
  headVersion: number;
  checkpointCount: number;
  error: unknown;
  metadata: unknown;
  createdAt: string | Date;
  updatedAt: string | Date;
}

const iso = (t: string | Date) => (typeof t === "string" ? t : t.toISOString());

export function modelToThread(m: ThreadModel): ThreadInfo {
  return {
    threadId: m.threadId,
    graphId: m.graphId,
    status: m.status as ThreadStatus,
    headCheckpointId: m.headCheckpointId,
    headVersion: m.headVersion,
    checkpointCount: m.checkpointCount,
    error: (m.error ?? null) as ThreadError | null,
    metadata: (m.metadata ?? {}) as Record<string, unknown>,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

/** The thread columns the hand-written getThread / updateThread read (Prisma's `Thread` model, snake_case). */
export const THREAD_COLUMNS = `"thread_id", "graph_id", "status", "head_checkpoint_id", "head_version", "checkpoint_count", "error", "metadata", "created_at", "updated_at"`;

/** A thread row; JSON columns are text (SQLite) or parsed (pg), times ISO text (SQLite) or Date (pg timestamptz). */
export interface ThreadRow {
  thread_id: string;
  graph_id: string | null;
  status: string;
  head_checkpoint_id: string | null;
  head_version: number;
  checkpoint_count: number;
  error: unknown;
  metadata: unknown;
  created_at: string | Date;
  updated_at: string | Date;
}

/** Same result as `modelToThread` of the Prisma model for the same row (SQL NULL error -> null). */
export function threadRowToInfo(r: ThreadRow, json: (v: unknown) => unknown): ThreadInfo {
  return modelToThread({
    threadId: r.thread_id,
    graphId: r.graph_id,
    status: r.status,
    headCheckpointId: r.head_checkpoint_id,
    headVersion: Number(r.head_version),
    checkpointCount: Number(r.checkpoint_count),
    error: r.error === null || r.error === undefined ? null : json(r.error),
    metadata: r.metadata === null || r.metadata === undefined ? {} : json(r.metadata),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
}
