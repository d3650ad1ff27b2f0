/**
 * The delta layout's stored format, shared by every backend (see delta.ts for when each form is written).
 *
 * A stored checkpoint row keeps either its full `state` (a *snapshot*) or `ops` against a *base*: an ancestor
 * on its parent chain whose state the ops transform into this checkpoint's state. Each row also keeps a
 * `depth` label: 0 for a snapshot written as such, then parent's label + 1 along the chain. Rows written by the
 * pre-delta version have a full state and no label: they are snapshots with label 0.
 *
 * `ops` text = a JSON header line, "\n", then the payloads back to back (raw JSON text, so nothing is escaped
 * twice). The header is a list of [channel, kind, payloadLength]:
 *   "a"  append: payload is a JSON array of the items added to the end of the channel's array;
 *   "s"  set: payload is the channel's new value;
 *   "d"  delete: the channel is gone (length 0);
 *   "w"  append whose items are the row's own `metadata.writes` for the channel (each write's value, arrays
 *        spread) — the step's writes are then stored once, in metadata (length 0; only when base = parent);
 *   "l"  set to the last of the row's own writes for the channel (length 0; only when base = parent).
 * Channels not named are unchanged from the base. Header JSON never holds a raw newline (JSON.stringify
 * escapes them), so the first "\n" ends it.
 */
import { WaypointError } from "../errors";

export type OpKind = "a" | "s" | "d" | "w" | "l";

export interface ChannelOp {
  channel: string;
  kind: OpKind;
  /** JSON text for "a" and "s"; "" otherwise. */
  payload: string;
}

/** A stored row as the codec needs it: what every backend can read in one query per chain. */
export interface DeltaRow {
  id: string;
  baseId: string | null;
  /** Chain label; null for rows written before the delta layout (treated as 0). */
  depth: number | null;
  /** Full state JSON text, or null (or "") for a delta row. */
  state: string | null;
  /** Ops text (see above), or null for a snapshot. */
  ops: string | null;
  /** The row's metadata JSON text (its `writes` feed "w"/"l" ops). */
  metadata: string;
  /**
   * The same row's state and metadata already parsed (read-only), when the backend has them: `rebuildManyStates`,
   * whose states share parts anyway, uses them instead of parsing the texts again (the file store parses whole
   * files). Must equal JSON.parse of `state` / `metadata`.
   */
  parsed?: { state?: Record<string, unknown>; metadata?: unknown };
}

export const corrupt = (id: string, why: string) =>
  new WaypointError("CORRUPT_CHECKPOINT", `Checkpoint "${id}" cannot be rebuilt: ${why}.`, { checkpointId: id });

export const isSnapshotRow = (r: Pick<DeltaRow, "state">) => typeof r.state === "string" && r.state.length > 0;

export function encodeOps(ops: ChannelOp[]): string {
  const header = JSON.stringify(ops.map((o) => [o.channel, o.kind, o.payload.length]));
  return header + "\n" + ops.map((o) => o.payload).join("");
}

export function decodeOps(id: string, text: string): ChannelOp[] {
  const nl = text.indexOf("\n");
  if (nl < 0) throw corrupt(id, "its delta has no header");
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, nl));
  } catch {
    throw corrupt(id, "its delta header is not JSON");
  }
  if (!Array.isArray(header)) throw corrupt(id, "its delta header is not a list");
  const ops: ChannelOp[] = [];
  let at = nl + 1;
  for (const h of header) {
    if (!Array.isArray(h) || typeof h[0] !== "string" || !"aswdl".includes(h[1]) || typeof h[1] !== "string" || !Number.isInteger(h[2]) || h[2] < 0)
      throw corrupt(id, "its delta header has a malformed entry");
    const payload = text.slice(at, at + h[2]);
    if (payload.length !== h[2]) throw corrupt(id, "its delta is truncated");
    at += h[2];
    ops.push({ channel: h[0], kind: h[1] as OpKind, payload });
  }
  if (at !== text.length) throw corrupt(id, "its delta has trailing bytes");
  return ops;
}

/** The writes of one channel in a row's metadata (parsed), in order. */
export function channelWrites(metadata: unknown, channel: string): unknown[] | null {
  const writes = (metadata as { writes?: unknown } | null)?.writes;
  if (!Array.isArray(writes)) return null;
  const out: unknown[] = [];
  for (const w of writes)
    if (w && typeof w === "object" && (w as { channel?: unknown }).channel === channel) out.push((w as { value?: unknown }).value);
  return out;
}

/**
 * The payload a "w" or "l" op stands for, computed from the row's parsed metadata — the same function at save
 * (to decide whether the op can be written as "w"/"l") and at read, so both sides agree byte for byte.
 */
export function derivedPayload(kind: "w" | "l", metadata: unknown, channel: string): string | null {
  const values = channelWrites(metadata, channel);
  if (!values || values.length === 0) return null;
  if (kind === "l") {
    const text = JSON.stringify(values[values.length - 1]);
    return text === undefined ? null : text;
  }
  return JSON.stringify(values.flatMap((v) => (Array.isArray(v) ? v : [v])));
}
