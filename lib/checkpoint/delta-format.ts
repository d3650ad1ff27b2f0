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
 *   "A"/"S" an "a"/"s" whose payload is stored compressed: base64 of its zlib stream (compress.ts), written for
 *        payloads of at least OPS_PACK_MIN chars that shrink to PACK_MAX_RATIO or less (a skip delta's appended
 *        tail, a long value set by an edit). `decodeOps` inflates them: readers only ever see "a"/"s".
 * Channels not named are unchanged from the base. Header JSON never holds a raw newline (JSON.stringify
 * escapes them), so the first "\n" ends it.
 */
import { WaypointError } from "../errors";
import { deflateText, inflateText, isPackedWrite, packedText, packedValue } from "./compress";

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

/** Payloads shorter than this are stored as they are (zlib and base64 would eat most of the gain). */
export const OPS_PACK_MIN = 512;

/** A stored op: a decoded one, or an "a"/"s" with its payload compressed ("A"/"S"). */
type StoredOp = { channel: string; kind: OpKind | "A" | "S"; payload: string };

function packOp(o: ChannelOp): StoredOp {
  if ((o.kind !== "a" && o.kind !== "s") || o.payload.length < OPS_PACK_MIN) return o;
  const z = deflateText(o.payload);
  return z === null ? o : { channel: o.channel, kind: o.kind === "a" ? "A" : "S", payload: z };
}

/** The ops text; with `pack`, long payloads compressed (see "A"/"S" above). */
export function encodeOps(ops: ChannelOp[], pack = false): string {
  const stored: StoredOp[] = pack ? ops.map(packOp) : ops;
  const header = JSON.stringify(stored.map((o) => [o.channel, o.kind, o.payload.length]));
  return header + "\n" + stored.map((o) => o.payload).join("");
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
    if (
      !Array.isArray(h) ||
      typeof h[0] !== "string" ||
      typeof h[1] !== "string" ||
      h[1].length !== 1 ||
      !"aswdlAS".includes(h[1]) ||
      !Number.isInteger(h[2]) ||
      h[2] < 0
    )
      throw corrupt(id, "its delta header has a malformed entry");
    const payload = text.slice(at, at + h[2]);
    if (payload.length !== h[2]) throw corrupt(id, "its delta is truncated");
    at += h[2];
    if (h[1] === "A" || h[1] === "S") {
      const plain = inflateText(payload);
      if (plain === null) throw corrupt(id, `its compressed delta of "${h[0]}" is damaged`);
      ops.push({ channel: h[0], kind: h[1] === "A" ? "a" : "s", payload: plain });
    } else ops.push({ channel: h[0], kind: h[1] as OpKind, payload });
  }
  if (at !== text.length) throw corrupt(id, "its delta has trailing bytes");
  return ops;
}

/** The write entries of one channel in a row's metadata (parsed), in order. */
function channelEntries(metadata: unknown, channel: string): Record<string, unknown>[] | null {
  const writes = (metadata as { writes?: unknown } | null)?.writes;
  if (!Array.isArray(writes)) return null;
  const out: Record<string, unknown>[] = [];
  for (const w of writes) if (w && typeof w === "object" && (w as { channel?: unknown }).channel === channel) out.push(w as Record<string, unknown>);
  return out;
}

/** Whether the channel's last write in the row's metadata (parsed) is packed. */
export function lastWritePacked(metadata: unknown, channel: string): boolean {
  const entries = channelEntries(metadata, channel);
  return entries !== null && entries.length > 0 && isPackedWrite(entries[entries.length - 1]);
}

/** The writes of one channel in a row's metadata (parsed), in order; packed values (compress.ts) unpacked. */
export function channelWrites(metadata: unknown, channel: string, checkpointId?: string): unknown[] | null {
  const entries = channelEntries(metadata, channel);
  return entries && entries.map((w) => (isPackedWrite(w) ? packedValue(w, checkpointId) : w.value));
}

/**
 * The payload a "w" or "l" op stands for, computed from the row's parsed metadata — the same function at save
 * (to decide whether the op can be written as "w"/"l") and at read, so both sides agree byte for byte. A packed
 * last write gives its packed text, which is JSON.stringify of the value by construction.
 */
export function derivedPayload(kind: "w" | "l", metadata: unknown, channel: string, checkpointId?: string): string | null {
  if (kind === "l") {
    const entries = channelEntries(metadata, channel);
    if (!entries || entries.length === 0) return null;
    const last = entries[entries.length - 1];
    const text = isPackedWrite(last) ? packedText(last, checkpointId) : JSON.stringify(last.value);
    return text === undefined ? null : text;
  }
  const values = channelWrites(metadata, channel, checkpointId);
  if (!values || values.length === 0) return null;
  return JSON.stringify(values.flatMap((v) => (Array.isArray(v) ? v : [v])));
}
