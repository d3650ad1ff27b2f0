/**
 * How a LangGraph.js checkpoint is laid out in a Waypoint checkpoint (the mapping `WaypointSaver` reads and writes).
 *
 * - Waypoint `state` holds the channel values, one key per channel, each as the JSON its serializer produced
 *   (LangGraph's JsonPlusSerializer: LangChain messages appear as `{lc, type: "constructor", id, kwargs}` records),
 *   so the dashboard and the delta storage see plain JSON. A value the serializer does not give as JSON text (a
 *   `Uint8Array`: type "bytes") is kept as base64 and its type listed in `LangGraphRecord.encodings`.
 * - Everything else LangGraph needs back verbatim sits under `metadata.langgraph` (`LangGraphRecord`); the
 *   presence of that key is what marks a checkpoint as written by LangGraph.js. LangGraph's own metadata
 *   entries that are strings, numbers or booleans are also copied to `metadata["langgraph.<key>"]`, the keys
 *   the store's metadata filter matches (`filterCopies`).
 * - The subgraph namespace (`checkpoint_ns`) is the store's `Checkpoint.namespace` (`namespaceOf`).
 * - Pending writes are Waypoint `PendingWrite`s with `node` = the task id, plus the write's `idx` and `taskPath`
 *   (`LangGraphWrite`): stores keep pending writes as JSON, so the extra fields round-trip like any value.
 */
import { INTERRUPT, type SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { Checkpoint, PendingWrite } from "../checkpoint/types";

/** `metadata.langgraph` of a LangGraph.js checkpoint. */
export interface LangGraphRecord {
  /**
   * The subgraph namespace (`checkpoint_ns`) of checkpoints saved before issue 12; since then it is the store's
   * own `Checkpoint.namespace` (the SQL migration moved old values there; see `namespaceOf`).
   */
  ns?: string;
  /** LangGraph's checkpoint format version (`v`) and timestamp (`ts`), kept verbatim. */
  v: number;
  ts: string;
  channelVersions: Record<string, string | number>;
  versionsSeen: Record<string, Record<string, string | number>>;
  /** LangGraph's checkpoint metadata (`source`, `step`, `parents`, user keys), as its serializer's JSON. */
  metadata: unknown;
  /** Channels (in `state`) whose value is base64 of a non-JSON serialization, with its serializer type. */
  encodings?: Record<string, string>;
}

/** A pending write as the saver stores it. */
export interface LangGraphWrite extends PendingWrite {
  /** Index of the write within its task's `putWrites` call; negative for the special channels (WRITES_IDX_MAP). */
  idx: number;
  taskPath: string;
  /** Serializer type when `value` is base64 of a non-JSON serialization. */
  encoding?: string;
}

/** A value as stored: JSON, or base64 text plus the serializer type that produced it. */
export interface Encoded {
  value: unknown;
  encoding?: string;
}

const decoder = new TextDecoder();

/** Serializes with the saver's serde; JSON text is parsed so the store keeps (and deltas, and shows) plain JSON. */
export async function encodeValue(serde: SerializerProtocol, value: unknown): Promise<Encoded> {
  const [type, bytes] = await serde.dumpsTyped(value);
  if (type === "json") {
    try {
      return { value: JSON.parse(decoder.decode(bytes)) };
    } catch {
      // Not JSON text after all (e.g. `undefined` serializes to "undefined"): keep the exact bytes.
    }
  }
  return { value: Buffer.from(bytes).toString("base64"), encoding: type };
}

export async function decodeValue(serde: SerializerProtocol, value: unknown, encoding: string | undefined): Promise<unknown> {
  if (encoding === undefined) return serde.loadsTyped("json", JSON.stringify(value));
  return serde.loadsTyped(encoding, new Uint8Array(Buffer.from(String(value), "base64")));
}

/** The LangGraph record of a Waypoint checkpoint, or null when Waypoint's own engine wrote it. */
export function langGraphRecord(cp: Pick<Checkpoint, "metadata">): LangGraphRecord | null {
  const r = cp.metadata?.langgraph as LangGraphRecord | undefined;
  return r && typeof r === "object" && typeof r.channelVersions === "object" && r.channelVersions !== null ? r : null;
}

/**
 * A LangGraph checkpoint's namespace: the store's column, else (a checkpoint saved before issue 12 in a Redis or
 * file store, which kept it only in the record) the record's `ns`; "" for the root graph.
 */
export function namespaceOf(cp: Pick<Checkpoint, "metadata" | "namespace">): string {
  return cp.namespace ?? langGraphRecord(cp)?.ns ?? "";
}

/** Prefix of the copies of LangGraph's scalar metadata entries kept at the top of Waypoint metadata (filters). */
export const FILTER_PREFIX = "langgraph.";

/**
 * The copies `put` keeps of LangGraph's top-level metadata entries that are strings, finite numbers or booleans
 * (`langgraph.<key>`), so `list`'s `filter` runs in the store (ListOptions.metadata) without loading states.
 */
export function filterCopies(metadata: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) return out;
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) out[FILTER_PREFIX + k] = v;
  }
  return out;
}

/**
 * The nodes that ran in the step that produced a checkpoint: those whose `versions_seen` changed against the
 * parent's (each task records the channel versions it consumed). Used only for Waypoint's `nodeName`.
 * `versions_seen.__interrupt__` is LangGraph's record of the versions seen by interrupt checks, not a node.
 */
export function nodesThatRan(seen: LangGraphRecord["versionsSeen"], parentSeen: LangGraphRecord["versionsSeen"] | undefined): string[] {
  return Object.keys(seen)
    .filter((node) => node !== INTERRUPT && JSON.stringify(seen[node]) !== JSON.stringify(parentSeen?.[node]))
    .sort();
}
