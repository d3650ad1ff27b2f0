/**
 * Compression at rest of what a step wrote: the values of `metadata.writes` (the only copy of a step's output,
 * since delta rows refer to them with "w"/"l" ops, delta-format.ts). The store wrapper (encrypted.ts) packs them
 * before a backend sees the checkpoint and unpacks them on the way out, so the five backends store, index and
 * delta-encode a packed write like any other JSON, and none of them needs a line of its own. Ids, keys, the
 * written channel names and every other part of the metadata stay as they are (stores query and summarise them).
 *
 * A write is packed when the JSON text of its value is at least PACK_MIN_CHARS long and its packed form is at
 * most PACK_MAX_RATIO of that length: `{ node, channel, value }` becomes `{ node, channel, "$z": <base64> }`,
 * `$z` in the position `value` held, with <base64> the zlib stream (adler-32 checked: a damaged byte is reported,
 * never read as other text) of exactly `JSON.stringify(value)`. Short values and incompressible ones (hashes,
 * base64, sealed values) are stored as they were. With encryption on, nothing is packed: sealed values do not
 * compress, and a write must stay sealed like the channel it wrote to keep standing in for its delta.
 *
 * Invariants: a write entry is packed iff it has an own string `$z` and no own `value`; unpacking gives the
 * entry with its keys in the stored order and `value` = JSON.parse of the packed text. An entry that has `$z`
 * and no `value` cannot be told from a packed one, so a save refuses it (`$z` is reserved in write entries).
 * Rows written before this version have no packed writes and read as before.
 */
import { deflateSync, inflateSync } from "node:zlib";
import { WaypointError } from "../errors";

export const PACKED_KEY = "$z";
/** Shorter values are stored as they are: below this, zlib's header and base64 eat most of the gain. */
export const PACK_MIN_CHARS = 256;
/** A packed value is kept only if its base64 is at most this fraction of the value's JSON text. */
export const PACK_MAX_RATIO = 0.75;

type Entry = Record<string, unknown>;

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Whether a write entry (as stored) holds its value packed. */
export function isPackedWrite(w: unknown): w is Entry & { $z: string } {
  return typeof w === "object" && w !== null && typeof (w as Entry)[PACKED_KEY] === "string" && !own(w, "value");
}

/**
 * Inflated texts, keyed by the packed string itself (content-addressed: a damaged packed value is a different
 * key, so the cache can never stand in for what storage holds). A history read unpacks each write twice, once
 * to rebuild the state and once for the metadata it returns; this makes the second one free. A save puts what
 * it packs here too, since the codec then compares it with the state's text. Bounded, oldest out.
 */
interface Cached {
  text: string;
  /** The parsed value when it is a string, number, boolean or null: immutable, so every reader may share it. */
  prim?: { value: string | number | boolean | null };
}
const texts = new Map<string, Cached>();
let cachedChars = 0;
const MAX_CACHED = 4096;
const MAX_CACHED_CHARS = 8 * 1024 * 1024;

function remember(z: string, text: string): Cached {
  const c: Cached = { text };
  texts.set(z, c);
  cachedChars += z.length + text.length;
  while (texts.size > MAX_CACHED || cachedChars > MAX_CACHED_CHARS) {
    const [k, v] = texts.entries().next().value!;
    texts.delete(k);
    cachedChars -= k.length + v.text.length + (typeof v.prim?.value === "string" ? v.prim.value.length : 0);
  }
  return c;
}

function cached(w: Entry & { $z: string }, checkpointId: string | undefined): Cached {
  const z = w[PACKED_KEY];
  const hit = texts.get(z);
  if (hit !== undefined) return hit;
  const text = inflateText(z);
  if (text === null) throw damaged(checkpointId, w.channel);
  return remember(z, text);
}

/** Empties the cache (tests: a process that has read nothing yet). */
export function forgetPackedTexts(): void {
  texts.clear();
  cachedChars = 0;
}

const damaged = (checkpointId: string | undefined, channel: unknown) =>
  new WaypointError(
    "CORRUPT_CHECKPOINT",
    `${checkpointId ? `Checkpoint "${checkpointId}"` : "A checkpoint"} cannot be read: its compressed write to "${String(channel)}" is damaged.`,
    checkpointId ? { checkpointId } : undefined,
  );

/** The JSON text of a packed write's value (exactly what was packed). */
export function packedText(w: Entry & { $z: string }, checkpointId?: string): string {
  return cached(w, checkpointId).text;
}

/** A packed write's value: a fresh parse for objects and arrays (callers may change them), shared for the rest. */
export function packedValue(w: Entry & { $z: string }, checkpointId?: string): unknown {
  const c = cached(w, checkpointId);
  if (c.prim) return c.prim.value;
  let value: unknown;
  try {
    value = JSON.parse(c.text) as unknown;
  } catch {
    throw damaged(checkpointId, w.channel);
  }
  if (value === null || typeof value !== "object") {
    c.prim = { value: value as string | number | boolean | null };
    if (typeof value === "string" && texts.get(w[PACKED_KEY]) === c) cachedChars += value.length;
  }
  return value;
}

/** A copy of `w` with key `from` renamed `to` (in the same position) and holding `value`; "__proto__" kept as an own key. */
function renamed(w: Entry, from: string, to: string, value: unknown): Entry {
  const out: Entry = {};
  for (const k of Object.keys(w)) {
    if (k === from) out[to] = value;
    else if (k === "__proto__") Object.defineProperty(out, k, { value: w[k], enumerable: true, writable: true, configurable: true });
    else out[k] = w[k];
  }
  return out;
}

/** A copy of the entry with `$z` replaced by `value`, in its position. */
export function unpackWrite(w: Entry & { $z: string }, checkpointId?: string): Entry {
  return renamed(w, PACKED_KEY, "value", packedValue(w, checkpointId));
}

/**
 * zlib's default state is ~270 KB of native memory per call, freed only when the handle is collected: at one
 * call per step that external memory drove V8 into major collections (memory store: a third fewer steps/s).
 * A window just larger than the value and a small hash table keep it to a few KB (same ratio on step-sized values).
 */
function deflateOptions(length: number): { level: number; memLevel: number; windowBits: number; chunkSize: number } {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(length + 262))));
  return { level: 1, memLevel: Math.min(8, Math.max(1, windowBits - 8)), windowBits, chunkSize: outputChunk(length / 4) };
}

/**
 * zlib's output buffer: 16 KB by default, allocated by every call. Sized to the output expected (more chunks are
 * added if it is larger), so a history read inflating a thousand 1 KB values does not allocate 16 MB, and a
 * skip delta's 800 KB tail is not inflated in 50 pieces then copied together (5.8 → 4.0 ms here).
 */
const outputChunk = (expected: number) => Math.min(1024 * 1024, Math.max(1024, 2 ** Math.ceil(Math.log2(expected + 64))));

/** `text` as base64 of its zlib stream, or null when that is longer than PACK_MAX_RATIO of it. */
export function deflateText(text: string): string | null {
  const z = deflateSync(text, deflateOptions(text.length)).toString("base64");
  return z.length <= text.length * PACK_MAX_RATIO ? z : null;
}

/** What `deflateText` packed, or null if it does not inflate (damaged: the zlib checksum catches a changed byte). */
export function inflateText(z: string): string | null {
  try {
    // Stored values compress 2–20×: a chunk of about 8× the packed bytes (6× its base64) holds most in one piece.
    return inflateSync(Buffer.from(z, "base64"), { chunkSize: outputChunk(z.length * 6) }).toString("utf8");
  } catch {
    return null;
  }
}

/** The entry packed, or the same entry when packing would not pay (short, incompressible, or no value). */
function packWrite(w: Entry): Entry {
  if (!own(w, "value")) return w;
  let text: string | undefined;
  try {
    text = JSON.stringify(w.value);
  } catch {
    return w; // the backend refuses it as it would have (INVALID_ARGUMENT)
  }
  if (text === undefined || text.length < PACK_MIN_CHARS) return w;
  const z = deflateText(text);
  if (z === null) return w;
  remember(z, text); // the codec compares the state's text with it right away (delta.ts, dedupe)
  return renamed(w, "value", PACKED_KEY, z);
}

/** Refuses write entries a reader would take for packed ones (see the invariants above). */
export function assertNoReservedKey(metadata: unknown): void {
  const writes = (metadata as { writes?: unknown } | null)?.writes;
  if (!Array.isArray(writes)) return;
  for (const w of writes)
    if (w && typeof w === "object" && own(w, PACKED_KEY))
      throw new WaypointError(
        "INVALID_ARGUMENT",
        `Checkpoint metadata.writes entries may not have a "${PACKED_KEY}" key: it is reserved for compressed values.`,
      );
}

/** The metadata with its large writes packed: the same object when nothing is (never changes the caller's). */
export function packMetadata<M>(metadata: M): M {
  const writes = (metadata as { writes?: unknown } | null)?.writes;
  if (!Array.isArray(writes)) return metadata;
  let out: unknown[] | null = null;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i] as unknown;
    if (!w || typeof w !== "object" || Array.isArray(w)) continue;
    const p = packWrite(w as Entry);
    if (p === w) continue;
    out ??= writes.slice();
    out[i] = p;
  }
  return out ? ({ ...(metadata as object), writes: out } as M) : metadata;
}
