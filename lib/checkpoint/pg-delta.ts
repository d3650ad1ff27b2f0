/**
 * The PostgreSQL store's side of delta checkpoints (delta.ts, delta-format.ts): the SQL that reads a row's
 * chain, the row shapes it returns, and how they become `DeltaRow`s and checkpoints. See migration
 * 20261201000000_delta for the columns.
 *
 * Stored state: a snapshot written by this version keeps its state as TEXT in "state_text" ("state" NULL), so a
 * rebuilt state is byte-identical to the saved one; a row written before the delta migration keeps its JSONB
 * "state" and is read through "state"::text (JSONB's own text: keys reordered, a space after ":" and ","),
 * which the codec accepts as any snapshot's text. A delta row has both NULL and "ops" against "base_id".
 *
 * Chains in one statement: a recursive CTE starts at the wanted row(s) and follows "base_id" (primary key
 * lookups) until a row with a state; the top row brings every column, the rows below it only what the codec
 * needs (id, base, depth, state text, ops, and metadata text for delta rows, whose "w"/"l" ops read their own
 * metadata.writes).
 *
 * Metadata stays JSONB, and "w"/"l" ops rebuild their payload from metadata as read back ("metadata"::text,
 * keys in JSONB order). So the codec is given, at save, the metadata text with every object's keys in JSONB's
 * order (`codecMetadata`): a write whose value lists its keys in another order then simply does not match the
 * state's text and is stored in the ops ("a"/"s"), and one that matches rebuilds identically at read.
 */
import { corrupt, type DeltaRow } from "./delta-format";
import type { Checkpoint } from "./types";

/** The text of a row's full state: a snapshot's own text, or a pre-delta row's JSONB as text; NULL for a delta. */
const STATE = (t: string) => `COALESCE(${t}."state_text", ${t}."state"::text)`;
/** Metadata text only where the codec may need it (a delta row's "w"/"l" ops). */
const DELTA_METADATA = (t: string) => `CASE WHEN ${t}."state_text" IS NULL AND ${t}."state" IS NULL THEN ${t}."metadata"::text END`;

/** Far more than any chain the codec writes (GRID - 1 + log2(depth / GRID) + 1); a longer one is reported corrupt. */
const MAX_CHAIN = 1000;

/** Every column a checkpoint needs, state and metadata as text (table alias `c`). */
export const ROW_COLUMNS = `c."id", c."thread_id", c."parent_id", c."version", c."step", c."node_name", ${STATE("c")} AS "state", c."base_id", c."depth", c."ops", c."next", c."interrupts", c."pending_writes", c."metadata"::text AS "metadata", c."created_at", c."namespace"`;

/** A checkpoint row as ROW_COLUMNS reads it (next, interrupts, pending_writes parsed by pg from JSONB). */
export interface PgRow {
  id: string;
  thread_id: string;
  parent_id: string | null;
  version: number;
  step: number;
  node_name: string;
  state: string | null;
  base_id: string | null;
  depth: number | null;
  ops: string | null;
  next: unknown;
  interrupts: unknown;
  pending_writes: unknown;
  metadata: string | null;
  created_at: string;
  /** "" for the root graph; NULL on the rows of a chain below its top. */
  namespace: string | null;
}

/** A row of a chain query: `root` is the row the chain started from, `n` the position on it (0 = root). */
export interface PgChainRow extends PgRow {
  root: string;
  n: number;
}

/**
 * One statement reading chains: the rows matching `start` (a WHERE clause on alias `c`, optionally with ORDER
 * BY / LIMIT), then each one's base, the base's base, ... down to a row holding a state. With `full`, the start
 * rows bring every column (load, latest); otherwise only the codec's (fetching a base's chain, folds). Rows come
 * ordered by root, then from the root down. `stopAt` (a parameter, e.g. "$2"): a start row with that id comes
 * alone, without its chain.
 */
export function chainSql(start: string, full: boolean, stopAt?: string): string {
  const top = full
    ? ROW_COLUMNS
    : `c."id", c."thread_id", NULL::text AS "parent_id", NULL::int AS "version", NULL::int AS "step", NULL::text AS "node_name", ${STATE("c")} AS "state", c."base_id", c."depth", c."ops", NULL::jsonb AS "next", NULL::jsonb AS "interrupts", NULL::jsonb AS "pending_writes", ${DELTA_METADATA("c")} AS "metadata", NULL::text AS "created_at", NULL::text AS "namespace"`;
  const below = `b."id", b."thread_id", NULL::text, NULL::int, NULL::int, NULL::text, ${STATE("b")}, b."base_id", b."depth", b."ops", NULL::jsonb, NULL::jsonb, NULL::jsonb, ${DELTA_METADATA("b")}, NULL::text, NULL::text`;
  return `WITH RECURSIVE ch AS (
      (SELECT ${top}, c."id" AS "root", 0 AS "n" FROM "checkpoints" c WHERE ${start})
      UNION ALL
      SELECT ${below}, ch."root", ch."n" + 1 FROM ch JOIN "checkpoints" b ON b."id" = ch."base_id"
      WHERE ch."state" IS NULL AND ch."n" < ${MAX_CHAIN}${stopAt ? ` AND (ch."n" > 0 OR ch."id" IS DISTINCT FROM ${stopAt}::text)` : ""})
    SELECT * FROM ch ORDER BY "root", "n"`;
}

export const toDeltaRow = (r: PgRow): DeltaRow => ({
  id: r.id,
  baseId: r.base_id,
  depth: r.depth === null ? null : Number(r.depth),
  state: r.state,
  ops: r.ops,
  metadata: r.metadata ?? "",
});

/** Chain rows (ordered by root, then n) grouped by the row each chain starts from. */
export function chainsByRoot(rows: PgChainRow[]): Map<string, DeltaRow[]> {
  const out = new Map<string, DeltaRow[]>();
  for (const r of rows) {
    let chain = out.get(r.root);
    if (!chain) out.set(r.root, (chain = []));
    chain.push(toDeltaRow(r));
  }
  return out;
}

function parseText(id: string, text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw corrupt(id, `its ${what} is not JSON`);
  }
}

/** A checkpoint from its row and its (rebuilt) state, fields in the contract's order. */
export function pgCheckpoint(r: PgRow, state: Record<string, unknown>): Checkpoint {
  return {
    id: r.id,
    threadId: r.thread_id,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    parentId: r.parent_id,
    version: Number(r.version),
    step: Number(r.step),
    nodeName: r.node_name,
    state,
    next: r.next as string[],
    interrupts: r.interrupts as Checkpoint["interrupts"],
    pendingWrites: r.pending_writes as Checkpoint["pendingWrites"],
    metadata: parseText(r.id, r.metadata ?? "", "metadata") as Checkpoint["metadata"],
    timestamp: r.created_at,
  };
}

const ASCII = /^[\x00-\x7f]*$/;

/** JSONB's object key order: shorter (in UTF-8 bytes) first, then bytewise. */
export function jsonbKeyOrder(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length !== y.length ? x.length - y.length : Buffer.compare(x, y);
}

/** JSON.stringify replacer listing every object's keys in JSONB's order (objects already in order are kept). */
function jsonbOrdered(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  let ordered = true;
  for (let i = 1; i < keys.length && ordered; i++) ordered = jsonbKeyOrder(keys[i - 1], keys[i]) <= 0;
  if (ordered) return value;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of keys.sort(jsonbKeyOrder)) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

/**
 * The metadata text the codec encodes against: what a later read of the row's JSONB metadata parses to (every
 * object's keys in JSONB order; whitespace and number spelling do not matter, the codec re-serialises parsed
 * values). Only metadata with writes can feed "w"/"l" ops; other metadata is passed as stored.
 */
export function codecMetadata(metadata: unknown, metadataJson: string): string {
  const writes = (metadata as { writes?: unknown } | null)?.writes;
  if (!Array.isArray(writes) || writes.length === 0) return metadataJson;
  return JSON.stringify(metadata, jsonbOrdered) ?? metadataJson;
}

/**
 * storage(): per checkpoint, the UTF-8 bytes of every text column stored for it — id, thread_id, parent_id,
 * base_id, node_name, state (a pre-delta row's JSONB, as text), state_text, ops, next, interrupts,
 * pending_writes, metadata and summary (JSONB, as text), created_at (NULLs count 0); version, step and depth
 * are integers and not counted, nor are indexes, TOAST and page overhead. A snapshot is a row with a state. A
 * last row with a NULL id is there when the thread has a record (so a thread with neither is THREAD_NOT_FOUND).
 */
export const STORAGE_SQL = `SELECT c."id", c."version", c."step",
      (octet_length(c."id")::bigint + octet_length(c."thread_id") + COALESCE(octet_length(c."parent_id"), 0)
        + COALESCE(octet_length(c."base_id"), 0) + octet_length(c."node_name") + COALESCE(octet_length(c."state"::text), 0)
        + COALESCE(octet_length(c."state_text"), 0) + COALESCE(octet_length(c."ops"), 0) + octet_length(c."next"::text)
        + octet_length(c."interrupts"::text) + octet_length(c."pending_writes"::text) + octet_length(c."metadata"::text)
        + COALESCE(octet_length(c."summary"::text), 0) + octet_length(c."created_at")) AS "bytes",
      (c."state" IS NOT NULL OR c."state_text" IS NOT NULL) AS "snapshot"
    FROM "checkpoints" c WHERE c."thread_id" = $1
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL FROM "threads" WHERE "thread_id" = $1`;

export interface StorageRow {
  id: string | null;
  version: number | null;
  step: number | null;
  bytes: string | number | null;
  snapshot: boolean | null;
}
