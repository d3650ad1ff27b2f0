/**
 * Delta checkpoints: what a store writes for a new checkpoint, and how it rebuilds any checkpoint's state.
 * Backends keep rows in the format of delta-format.ts and call this codec; it never touches storage itself.
 *
 * Writing (`encode`): the state is compared, channel by channel, as JSON text, with the state of the parent as
 * this store instance last saw it (a small cache: a run saves each checkpoint on top of the previous one, and
 * `latest`/`load` prime it at the start of a run). A channel whose text is unchanged costs nothing; an array
 * whose text extends the parent's is an "a"ppend of the new items; anything else is a "s"et of the new value.
 * Text comparison is the source of truth, so in-place mutation, custom reducers and callers other than the
 * engine are all handled exactly: the stored ops rebuild byte-identical JSON by construction. Two shortcuts,
 * both exact because equal primitives have equal JSON text: a channel holding a primitive (string, number,
 * boolean, null) equal (===) to the parent's keeps the parent's text unstringified; and a list of primitives is
 * compared item by item with the items the codec logged at the parent's save (its own copy, so a list changed
 * in place is caught), and when it only added items its text and its append are built from those alone
 * (delta-lists.ts): a save costs what the step added, not the list's length. Objects, and lists holding any,
 * are always stringified (never compared by identity, which would miss in-place mutation).
 *
 * Bounded reads with near-linear growth (skip deltas, as Subversion's FSFS, on a grid): a row labelled d
 * (steps since its snapshot along the parent chain) is stored against its parent, except when d is a multiple
 * of GRID: then against the ancestor labelled baseLabel(d), further back. Rebuilding any checkpoint reads its
 * snapshot plus at most GRID - 1 + log2(d / GRID) deltas, following `baseId` only (never unrelated
 * checkpoints). A delta against a far base holds everything since it (appends as the added tail, other
 * changes as the final value), so a long append thread stores each item about 1 + log2(n / GRID) / 2 times
 * instead of n times, and a thread whose steps rewrite a value pays for it about 1 + 1/GRID times. A new snapshot is written instead whenever the ops
 * would exceed half of the state (SNAPSHOT_RATIO): small states are stored whole, and a growing one gets a
 * snapshot each time it has doubled, which keeps both the total size and the chains short.
 *
 * With base = parent, an op equal to what the row's own `metadata.writes` produce is written as "w"/"l" and
 * costs nothing: the step's writes are stored once.
 *
 * Invariants: a row's ops applied to its base's state give exactly JSON.stringify of the saved state (per
 * channel, parsed); `baseId` always names an ancestor in the same thread; a backend writes a row only if its
 * base still exists (else it calls `asSnapshot`), and before deleting rows it rewrites every survivor whose
 * base is deleted as a snapshot (`foldTargets`), so every surviving row can be rebuilt.
 */
import {
  channelWrites,
  corrupt,
  decodeOps,
  derivedPayload,
  lastWritePacked,
  encodeOps,
  isSnapshotRow,
  OPS_PACK_MIN,
  type ChannelOp,
  type DeltaRow,
} from "./delta-format";
import { addedSince, extendLog, isPrimitive, newLog, type ItemLog, type Primitive } from "./delta-lists";
import { WaypointError } from "../errors";
import type { NewCheckpoint } from "./types";

export const SNAPSHOT_RATIO = 0.5;
/** Rows between skip points: a row is stored against its parent unless its label is a multiple of GRID. */
export const GRID = 8;

/**
 * The label of the ancestor a row labelled `label` is stored against: its parent, except on multiples of GRID,
 * which skip back as Subversion's skip deltas do on the GRID-spaced labels (m & (m - 1), m = label / GRID).
 * So a rebuild reads at most GRID - 1 + log2(label / GRID) deltas.
 */
export function baseLabel(label: number): number {
  if (label % GRID !== 0) return label - 1;
  const m = label / GRID;
  return (m & (m - 1)) * GRID;
}

/** What a row of the skip path needs for later deltas: its label and its array channels' text lengths. */
interface PathItem {
  id: string;
  label: number;
  lens: Map<string, number>;
  /** Item counts of its logged lists (delta-lists.ts), when it was saved by this codec. */
  counts?: Map<string, number>;
  /** The next row down the skip path (this row's base), null at the snapshot. */
  next: PathItem | null;
}

/** What the codec remembers of a saved or read checkpoint, to encode its children. */
export interface CodecEntry {
  id: string;
  threadId: string;
  label: number;
  /** JSON text of each channel of the state. */
  texts: Map<string, string>;
  /** The channels holding lists of primitives, as saved (delta-lists.ts); absent on checkpoints rebuilt from rows. */
  logs?: Map<string, ItemLog>;
  /**
   * The value of each channel that held a primitive (string, number, boolean, null) when this checkpoint was
   * saved; empty for a checkpoint the codec rebuilt. Invariant: `prims.get(k) === v` for a primitive v implies
   * `texts.get(k) === JSON.stringify(v)`, so a child whose channel holds the same primitive reuses the text
   * without stringifying it (objects are never compared by identity: in-place mutation must be caught).
   */
  prims: Map<string, Primitive>;
  /** Label of the last step that changed each channel / changed it other than by appending (upper bounds). */
  lastWrite: Map<string, number>;
  lastSet: Map<string, number>;
  /** Highest label at which a channel was deleted (a later re-add would change key order against a far base). */
  lastDelete: number;
  /** This row, linked to its base's path down to the snapshot (shared with it: one item per save). */
  path: PathItem;
  /**
   * Set by `encode` / `asSnapshot` while someone listens (`onBytesWritten`): the UTF-8 bytes of the row's state
   * or delta plus its metadata text; reported once, when the store `remember`s the row it wrote.
   */
  written?: { bytes: number; metadataBytes: number };
}

/**
 * Bytes written, for the metrics (lib/server/metrics.ts): every backend stores what this codec encodes and then
 * calls `remember`, so counting here covers all five stores with no store code. Listeners live on globalThis:
 * Next bundles each route with its own copy of this module, and the store may come from another copy.
 */
const WRITTEN = Symbol.for("waypoint.checkpointBytesWritten");
const writtenListeners = ((globalThis as unknown as Record<symbol, Set<(bytes: number) => void>>)[WRITTEN] ??= new Set());

/** Calls `listener` with the bytes of each checkpoint row a store writes (state or delta, and metadata); returns an unsubscribe. */
export function onBytesWritten(listener: (bytes: number) => void): () => void {
  writtenListeners.add(listener);
  return () => writtenListeners.delete(listener);
}

function stamp(row: EncodedRow, metadataBytes: number): EncodedRow {
  if (writtenListeners.size > 0) row.entry.written = { bytes: Buffer.byteLength(row.state ?? row.ops ?? "") + metadataBytes, metadataBytes };
  return row;
}

/** What to store for a new checkpoint. */
export interface EncodedRow {
  /** Full state JSON text (built on first read for a delta row; see `lazyState` for the saved checkpoint). */
  readonly stateJson: string;
  /** Full state text to store, or null for a delta row. */
  state: string | null;
  baseId: string | null;
  depth: number;
  ops: string | null;
  entry: CodecEntry;
  /** The metadata text given to `encode`, parsed, when the codec parsed it (see `parsedMetadata`). */
  metadata?: unknown;
}

/**
 * The metadata of a saved checkpoint, for the checkpoint a store returns: the codec's own parse of the same
 * `metadataJson` it encoded with when it made one (handed over once: the codec keeps no reference to it), else
 * a fresh parse. Saves a parse of the step's writes per save.
 */
export function parsedMetadata(row: EncodedRow, metadataJson: string): unknown {
  const m = row.metadata;
  row.metadata = undefined;
  return m !== undefined ? m : JSON.parse(metadataJson);
}

/** The cache keeps at most this many checkpoints, and at most MAX_CACHED_CHARS of their state text. */
const MAX_ENTRIES = 256;
const MAX_CACHED_CHARS = 16 * 1024 * 1024;

const sizeOf = (e: CodecEntry) => {
  let n = 0;
  for (const t of e.texts.values()) n += t.length;
  for (const v of e.prims.values()) if (typeof v === "string") n += v.length; // kept beside its text
  return n;
};

/** What `channelTexts` works out for a state. */
interface ChannelTexts {
  texts: Map<string, string>;
  prims: Map<string, Primitive>;
  /** With `logLists`: the lists of primitives, and the items each added to the parent's (when not "" ). */
  logs?: Map<string, ItemLog>;
  appended?: Map<string, string>;
}

/**
 * Each channel's JSON text (channels whose value has none, such as undefined, are left out), and the values of
 * the primitive ones. A primitive channel equal (===) to the parent's keeps the parent's text: for primitives,
 * equal values have equal JSON text (NaN, never equal to itself, is simply stringified again). With `logLists`,
 * a list of primitives that extends the one the parent logged is worked out from the items it added alone
 * (delta-lists.ts), and every list of primitives gets a log for the next save.
 */
function channelTexts(state: Record<string, unknown>, parent?: CodecEntry, logLists = false): ChannelTexts {
  const texts = new Map<string, string>();
  const prims = new Map<string, Primitive>();
  const logs = logLists ? new Map<string, ItemLog>() : undefined;
  const appended = logLists ? new Map<string, string>() : undefined;
  for (const k of Object.keys(state)) {
    const v = state[k];
    if (isPrimitive(v)) {
      prims.set(k, v);
      if (parent !== undefined && parent.prims.get(k) === v) {
        texts.set(k, parent.texts.get(k)!);
        continue;
      }
    }
    const log = logs && Array.isArray(v) ? parent?.logs?.get(k) : undefined;
    const ext = log ? extendLog(v as unknown[], log, parent!.texts.get(k)!) : null;
    if (ext) {
      texts.set(k, ext.text);
      logs!.set(k, ext.log);
      if (ext.added !== "") appended!.set(k, ext.added);
      continue;
    }
    let t: string | undefined;
    try {
      t = JSON.stringify(v);
    } catch (e) {
      throw new WaypointError("INVALID_ARGUMENT", `Checkpoint state channel "${k}" is not JSON-serialisable: ${(e as Error).message}`);
    }
    if (t === undefined) continue;
    texts.set(k, t);
    const fresh = logs && Array.isArray(v) ? newLog(v, t) : null;
    if (fresh) logs!.set(k, fresh);
  }
  return { texts, prims, logs, appended };
}

/** The length of stateJsonOf(texts), without building it. */
function stateJsonLength(texts: Map<string, string>): number {
  let n = 1 + Math.max(0, texts.size - 1) + 1;
  for (const [k, t] of texts) n += JSON.stringify(k).length + 1 + t.length;
  return n;
}

/** An encoded row whose full state text is built only if asked for (a delta row's caller rarely needs it). */
class Row implements EncodedRow {
  private json: string | undefined;
  metadata?: unknown;
  constructor(
    public state: string | null,
    public baseId: string | null,
    public depth: number,
    public ops: string | null,
    public entry: CodecEntry,
  ) {
    this.json = state ?? undefined;
  }
  get stateJson(): string {
    return (this.json ??= stateJsonOf(this.entry.texts));
  }
}

/** Where a lazily stated checkpoint keeps its row until its state is first read (not enumerable, not copied). */
const LAZY_ROW = Symbol("waypoint.lazyStateRow");
type Lazy = { [LAZY_ROW]?: EncodedRow };

/** Replaces the lazy accessor with a plain, writable `state`. */
function settle(cp: object, value: unknown): void {
  Object.defineProperty(cp, "state", { value, writable: true, enumerable: true, configurable: true });
  (cp as Lazy)[LAZY_ROW] = undefined;
}

// One getter and setter for every lazy checkpoint (module functions, not closures per save: a save creates
// no functions).
function readLazyState(this: Lazy): Record<string, unknown> {
  const value = JSON.parse(this[LAZY_ROW]!.stateJson) as Record<string, unknown>;
  settle(this, value);
  return value;
}

function writeLazyState(this: Lazy, value: Record<string, unknown>): void {
  settle(this, value);
}

/**
 * Gives a saved checkpoint the state it was saved with, parsed from the row's JSON only when first read: the
 * engine rarely reads a saved checkpoint's state, and parsing a large one on every step would cost as much as
 * the save. The first read (or an assignment) makes `state` a plain value.
 */
export function lazyState<T extends { state: Record<string, unknown> }>(cp: T, row: EncodedRow): T {
  Object.defineProperty(cp, LAZY_ROW, { value: row, writable: true, enumerable: false, configurable: true });
  Object.defineProperty(cp, "state", { enumerable: true, configurable: true, get: readLazyState, set: writeLazyState });
  return cp;
}

function stateJsonOf(texts: Map<string, string>): string {
  const parts: string[] = [];
  for (const [k, t] of texts) parts.push(JSON.stringify(k) + ":" + t);
  return "{" + parts.join(",") + "}";
}

const isArrayText = (t: string | undefined): t is string => t !== undefined && t.charCodeAt(0) === 91; /* [ */

/** The items `child` adds to the array whose text had length `baseLen` (prefix already known), or null. */
function appendedSince(child: string, baseLen: number): string | null {
  if (baseLen === 2) return child === "[]" ? "" : child;
  if (child.length === baseLen) return "";
  if (child.length < baseLen || child.charCodeAt(baseLen - 1) !== 44 /* , */) return null;
  return "[" + child.slice(baseLen);
}

/** The items `child` adds to `parent` (both JSON texts), "" if equal, null if it is not an append. */
function appendedTo(parent: string, child: string): string | null {
  if (parent === child) return "";
  if (!isArrayText(parent) || !isArrayText(child)) return null;
  if (parent === "[]") return child;
  if (!child.startsWith(parent.slice(0, -1))) return null;
  return appendedSince(child, parent.length);
}

/** Whether `child` lists `parent`'s surviving keys in parent order, then its new ones (what ops rebuild). */
function sameOrder(parent: Map<string, string>, child: Map<string, string>): boolean {
  const keys = child.keys();
  for (const k of parent.keys()) if (child.has(k) && keys.next().value !== k) return false;
  for (let r = keys.next(); !r.done; r = keys.next()) if (parent.has(r.value)) return false;
  return true;
}

/** Text lengths of the list channels (a logged one is known to be a list: its text is never read into). */
function lensOf(texts: Map<string, string>, logs?: Map<string, ItemLog>): Map<string, number> {
  const lens = new Map<string, number>();
  for (const [k, t] of texts) if (logs?.has(k) || isArrayText(t)) lens.set(k, t.length);
  return lens;
}

/** Item counts of the logged lists, for the skip path (undefined when there are none). */
function countsOf(logs?: Map<string, ItemLog>): Map<string, number> | undefined {
  if (!logs || logs.size === 0) return undefined;
  const counts = new Map<string, number>();
  for (const [k, l] of logs) counts.set(k, l.len);
  return counts;
}

export class DeltaCodec {
  /**
   * Most recently used last. A miss only costs a snapshot, so the bounds can be tight. A checkpoint primed by
   * a read is kept lazily, as the chain rows it was rebuilt from (immutable text): its channel texts are only
   * worked out if a checkpoint is then saved on top of it, so plain reads never pay for them.
   */
  private readonly entries = new Map<string, { entry?: CodecEntry; lazy?: { rows: DeltaRow[]; threadId: string }; chars: number }>();
  private chars = 0;

  /** Whether a save on top of checkpoint `id` would find it here (saved or read by this codec lately). */
  knows(id: string): boolean {
    return this.entries.has(id);
  }

  /** Remembers an entry (most recent last; the oldest are forgotten). */
  remember(entry: CodecEntry): void {
    if (entry.written) {
      const { bytes } = entry.written;
      entry.written = undefined;
      for (const l of writtenListeners) l(bytes);
    }
    this.keep(entry.id, { entry, chars: sizeOf(entry) });
  }

  private rememberLazy(id: string, threadId: string, rows: DeltaRow[]): void {
    let chars = 0;
    for (const r of rows) chars += (r.state?.length ?? 0) + (r.ops?.length ?? 0) + r.metadata.length;
    // Copies: a backend may hand over its live row objects, which a later fold would change under us.
    const copy = rows.map((r) => ({ id: r.id, baseId: r.baseId, depth: r.depth, state: r.state, ops: r.ops, metadata: r.metadata }));
    this.keep(id, { lazy: { rows: copy, threadId }, chars });
  }

  private keep(id: string, item: { entry?: CodecEntry; lazy?: { rows: DeltaRow[]; threadId: string }; chars: number }): void {
    this.drop(id);
    this.entries.set(id, item);
    this.chars += item.chars;
    while (this.entries.size > 1 && (this.entries.size > MAX_ENTRIES || this.chars > MAX_CACHED_CHARS)) this.drop(this.entries.keys().next().value!);
  }

  private drop(id: string): void {
    const had = this.entries.get(id);
    if (!had) return;
    this.chars -= had.chars;
    this.entries.delete(id);
  }

  /** Forgets everything (after deletes or prunes, whose rewrites change bases), or the given ids. */
  forget(ids?: Iterable<string>): void {
    if (!ids) {
      this.entries.clear();
      this.chars = 0;
    } else for (const id of ids) this.drop(id);
  }

  /**
   * Encodes a new checkpoint. `metadataJson` is the JSON text the row stores as metadata. The caller stores
   * the row, then calls `remember(row.entry)`; if the store finds `baseId` gone, it stores `asSnapshot(row)`.
   */
  encode(input: NewCheckpoint, metadataJson: string): EncodedRow {
    const row = this.encodeRow(input, metadataJson);
    return writtenListeners.size > 0 ? stamp(row, Buffer.byteLength(metadataJson)) : row;
  }

  private encodeRow(input: NewCheckpoint, metadataJson: string): EncodedRow {
    const found = input.parentId === null ? undefined : this.entryOf(input.parentId);
    const parent = found?.threadId === input.threadId ? found : undefined;
    const { texts, prims, logs, appended } = channelTexts(input.state, parent, true);
    if (!parent) return this.snapshot(input, texts, prims, logs);

    const label = parent.label + 1;
    const lastWrite = new Map(parent.lastWrite);
    const lastSet = new Map(parent.lastSet);
    const stepOps: ChannelOp[] = [];
    for (const [k, t] of texts) {
      const before = parent.texts.get(k);
      if (before === t) continue;
      lastWrite.set(k, label);
      const added = appended!.get(k) ?? (before === undefined ? null : appendedTo(before, t));
      if (added === null) {
        lastSet.set(k, label);
        stepOps.push({ channel: k, kind: "s", payload: t });
      } else if (added !== "") stepOps.push({ channel: k, kind: "a", payload: added });
    }
    let lastDelete = parent.lastDelete;
    for (const k of parent.texts.keys())
      if (!texts.has(k)) {
        lastWrite.set(k, label);
        lastSet.set(k, label);
        lastDelete = label;
        stepOps.push({ channel: k, kind: "d", payload: "" });
      }
    // Rebuilt states keep the base's key order, new channels last: anything else is stored whole, so a rebuilt
    // state is byte-identical to the saved one.
    if (!sameOrder(parent.texts, texts)) return this.snapshot(input, texts, prims, logs);

    const target = baseLabel(label);
    let base = parent.path;
    while (base.label > target && base.next) base = base.next;
    if (base.id !== parent.id && lastDelete > base.label) return this.snapshot(input, texts, prims, logs);
    let ops: ChannelOp[];
    let metadata: unknown;
    if (base.id === parent.id && stepOps.length > 0) {
      metadata = JSON.parse(metadataJson) as unknown;
      ops = dedupe(stepOps, metadata, prims);
    } else if (base.id === parent.id) ops = stepOps;
    else {
      ops = [];
      for (const k of new Set([...texts.keys(), ...lastWrite.keys()])) {
        if ((lastWrite.get(k) ?? 0) <= base.label) continue;
        const t = texts.get(k);
        if (t === undefined) {
          ops.push({ channel: k, kind: "d", payload: "" });
          continue;
        }
        const baseLen = base.lens.get(k);
        const log = logs!.get(k);
        const baseCount = base.counts?.get(k);
        // Only appended to since the base: the items after the base's (from the log when both counted them,
        // which does not read into the text), else the text after the base's.
        const added =
          (lastSet.get(k) ?? 0) > base.label || baseLen === undefined
            ? null
            : log && baseCount !== undefined
              ? addedSince(log, baseCount)
              : isArrayText(t)
                ? appendedSince(t, baseLen)
                : null;
        if (added === null) ops.push({ channel: k, kind: "s", payload: t });
        else if (added !== "") ops.push({ channel: k, kind: "a", payload: added });
      }
    }
    const plain = encodeOps(ops);
    // Ops of at most 64 chars are always kept, so the state's length is only worked out for longer ones. The
    // choice is made on the ops as they read (uncompressed): compression changes what a row costs, never when
    // a snapshot is due, so chains and reads stay as bounded as without it.
    if (plain.length > 64 && plain.length > stateJsonLength(texts) * SNAPSHOT_RATIO) return this.snapshot(input, texts, prims, logs);
    const opsText = plain.length >= OPS_PACK_MIN ? encodeOps(ops, true) : plain;
    const self: PathItem = { id: input.id, label, lens: lensOf(texts, logs), counts: countsOf(logs), next: base };
    const entry: CodecEntry = { id: input.id, threadId: input.threadId, label, texts, logs, prims, lastWrite, lastSet, lastDelete, path: self };
    const row = new Row(null, base.id, label, opsText, entry);
    row.metadata = metadata;
    return row;
  }

  private entryOf(id: string): CodecEntry | undefined {
    const item = this.entries.get(id);
    if (!item) return undefined;
    if (item.entry) return item.entry;
    try {
      this.rebuild(item.lazy!.rows, item.lazy!.threadId, true); // replaces the lazy item with a full entry
    } catch {
      this.drop(id); // unreadable now: the save on top of it is written whole
      return undefined;
    }
    return this.entries.get(id)?.entry;
  }

  /** The same checkpoint stored whole (when its base is gone, or the delta would not pay). */
  asSnapshot(row: EncodedRow): EncodedRow {
    const e = row.entry;
    const whole = this.snapshotEntry(e.id, e.threadId, e.texts, e.prims, e.logs);
    return e.written ? stamp(whole, e.written.metadataBytes) : whole;
  }

  private snapshot(input: NewCheckpoint, texts: Map<string, string>, prims: Map<string, Primitive>, logs?: Map<string, ItemLog>): EncodedRow {
    return this.snapshotEntry(input.id, input.threadId, texts, prims, logs);
  }

  private snapshotEntry(
    id: string,
    threadId: string,
    texts: Map<string, string>,
    prims: Map<string, Primitive>,
    logs?: Map<string, ItemLog>,
  ): EncodedRow {
    const entry: CodecEntry = {
      id,
      threadId,
      label: 0,
      texts,
      logs,
      prims,
      lastWrite: new Map(),
      lastSet: new Map(),
      lastDelete: 0,
      path: { id, label: 0, lens: lensOf(texts, logs), counts: countsOf(logs), next: null },
    };
    return new Row(stateJsonOf(texts), null, 0, null, entry);
  }

  /**
   * Rebuilds the state of `rows[0]` from its chain: rows[0], its base, that row's base, ... down to a
   * snapshot (what a backend reads by following `baseId`). Returns the state JSON text; with `prime`, also
   * remembers the checkpoint so the next save on top of it is a delta.
   */
  rebuild(rows: DeltaRow[], threadId: string, prime = false): string {
    const top = rows[0];
    if (isSnapshotRow(top) && !prime) return top.state!;
    const snap = rows[rows.length - 1];
    if (!isSnapshotRow(snap)) throw corrupt(top.id, snap.baseId ? `its base checkpoint "${snap.baseId}" is missing` : "no snapshot on its chain");
    let texts = channelTexts(parseState(snap)).texts;
    const snapLabel = snap.depth ?? 0;
    const lastWrite = new Map<string, number>();
    const lastSet = new Map<string, number>();
    for (const k of texts.keys()) {
      lastWrite.set(k, snapLabel);
      lastSet.set(k, snapLabel);
    }
    let lens = lensOf(texts);
    let path: PathItem = { id: snap.id, label: snapLabel, lens, next: null };
    let lastDelete = snapLabel;
    for (let i = rows.length - 2; i >= 0; i--) {
      const row = rows[i];
      if (row.baseId !== rows[i + 1].id || row.ops === null) throw corrupt(row.id, "its delta chain is broken");
      const label = row.depth ?? 0;
      // Lengths kept op by op: reading a rebuilt (concatenated) text's first character would flatten it.
      lens = new Map(lens);
      texts = applyOps(row, texts, (k, set, removed, arrayLength) => {
        lastWrite.set(k, label);
        if (set) lastSet.set(k, label);
        if (removed) lastDelete = label;
        if (arrayLength !== null) lens.set(k, arrayLength);
        else lens.delete(k);
      });
      path = { id: row.id, label, lens, next: path };
    }
    const stateJson = stateJsonOf(texts);
    if (prime) this.remember({ id: top.id, threadId, label: top.depth ?? 0, texts, prims: new Map(), lastWrite, lastSet, lastDelete, path });
    return stateJson;
  }

  /**
   * Like `rebuild`, but gives the state as a value, working on values rather than text: one parse of the
   * snapshot and of each delta's payload, appends pushed in place — the cheapest way to a state object. With
   * `prime`, the chain is remembered lazily for a save on top of it.
   */
  rebuildState(rows: DeltaRow[], threadId: string, prime = false): Record<string, unknown> {
    const top = rows[0];
    const snap = rows[rows.length - 1];
    if (!isSnapshotRow(snap)) throw corrupt(top.id, snap.baseId ? `its base checkpoint "${snap.baseId}" is missing` : "no snapshot on its chain");
    let state = parseState(snap);
    for (let i = rows.length - 2; i >= 0; i--) {
      if (rows[i].baseId !== rows[i + 1].id || rows[i].ops === null) throw corrupt(rows[i].id, "its delta chain is broken");
      state = applyValues(rows[i], state, true);
    }
    if (prime) this.rememberLazy(top.id, threadId, rows);
    return state;
  }

  /**
   * States of many rows of one thread (a history page), each rebuilt once: from its base's state when that is
   * among `rows` or already rebuilt, else from the chain `fetchChain(baseId)` returns. Each row's state is built
   * from its base's by copy-on-write, so the states of one call share unchanged parts (arrays, items): callers
   * treat them as read-only or copy before changing.
   */
  async rebuildManyStates(rows: DeltaRow[], fetchChain: (id: string) => Promise<DeltaRow[]>): Promise<Map<string, Record<string, unknown>>> {
    const states = new Map<string, Record<string, unknown>>();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const stateOf = async (id: string): Promise<Record<string, unknown>> => {
      const known = states.get(id);
      if (known) return known;
      const row = byId.get(id);
      let s: Record<string, unknown>;
      if (!row) {
        const chain = await fetchChain(id);
        if (chain.length === 0) throw corrupt(id, "it is missing");
        s = this.rebuildState(chain, "");
      } else if (isSnapshotRow(row)) s = row.parsed?.state ?? parseState(row);
      else {
        if (!row.baseId || row.ops === null) throw corrupt(row.id, "it has neither a state nor a delta");
        s = applyValues(row, await stateOf(row.baseId), false);
      }
      states.set(id, s);
      return s;
    };
    // Lowest labels first, so a base inside the page is built before the rows on top of it (no deep recursion).
    for (const r of [...rows].sort((a, b) => (a.depth ?? 0) - (b.depth ?? 0))) await stateOf(r.id);
    return new Map(rows.map((r) => [r.id, states.get(r.id)!]));
  }
}

/** Applies one row's ops to its base's channel texts (a new map; `base` is not changed). */
function applyOps(
  row: DeltaRow,
  base: Map<string, string>,
  touched: (channel: string, set: boolean, removed: boolean, arrayLength: number | null) => void,
): Map<string, string> {
  const texts = new Map(base);
  let metadata: unknown;
  for (const op of decodeOps(row.id, row.ops!)) {
    let kind = op.kind;
    let payload = op.payload;
    if (kind === "w" || kind === "l") {
      if (metadata === undefined) metadata = parseJson(row.id, row.metadata);
      const derived = derivedPayload(kind, metadata, op.channel, row.id);
      if (derived === null) throw corrupt(row.id, `its delta refers to writes of "${op.channel}" that its metadata lacks`);
      payload = derived;
      kind = kind === "w" ? "a" : "s";
    }
    if (kind === "d") texts.delete(op.channel);
    else if (kind === "s") texts.set(op.channel, payload);
    else {
      const cur = texts.get(op.channel);
      if (!isArrayText(cur) || !isArrayText(payload)) throw corrupt(row.id, `it appends to "${op.channel}", which is not a list`);
      texts.set(op.channel, cur === "[]" ? payload : payload === "[]" ? cur : cur.slice(0, -1) + "," + payload.slice(1));
    }
    const isArray = kind === "a" || (kind === "s" && isArrayText(payload));
    touched(op.channel, kind !== "a", kind === "d", isArray ? texts.get(op.channel)!.length : null);
  }
  return texts;
}

/**
 * Base = parent: an op that the row's own writes reproduce is stored as a reference to them. The check runs on
 * what a reader will parse from the stored metadata text (`metadata`, parsed from it; a backend may have
 * re-ordered it, as JSONB does), never on the caller's objects. A set of a primitive (`prims`: the saved
 * values) that is the very value of the channel's last parsed write is an "l" without stringifying it again
 * (equal primitives, equal text). Changes `ops` in place.
 */
function dedupe(ops: ChannelOp[], metadata: unknown, prims: Map<string, Primitive>): ChannelOp[] {
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    if (o.kind === "a" && derivedPayload("w", metadata, o.channel) === o.payload) ops[i] = { channel: o.channel, kind: "w", payload: "" };
    else if (o.kind === "s" && (lastWriteIs(metadata, o.channel, prims) || derivedPayload("l", metadata, o.channel) === o.payload))
      ops[i] = { channel: o.channel, kind: "l", payload: "" };
  }
  return ops;
}

/** Whether the channel's last write in the parsed metadata is the primitive the channel was saved with. */
function lastWriteIs(metadata: unknown, channel: string, prims: Map<string, Primitive>): boolean {
  if (!prims.has(channel) || lastWritePacked(metadata, channel)) return false; // a packed one is compared as text
  const values = channelWrites(metadata, channel);
  return values !== null && values.length > 0 && values[values.length - 1] === prims.get(channel);
}

function parseState(row: DeltaRow): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(row.state!);
  } catch {
    throw corrupt(row.id, "its state is not JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw corrupt(row.id, "its state is not an object");
  return v as Record<string, unknown>;
}

/** Sets an own property, also for the key "__proto__" (which plain assignment would treat as the prototype). */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Applies one row's ops to its base's state as values — the same result as `applyOps` on texts, parsed.
 * `inPlace`: the base state (and its arrays) are private to the caller and may be changed.
 */
function applyValues(row: DeltaRow, base: Record<string, unknown>, inPlace: boolean): Record<string, unknown> {
  const out = inPlace ? base : { ...base };
  let metadata: unknown;
  const writesOf = (channel: string) => {
    // Copy-on-write results share parts anyway, so they may share the write values with the row's metadata.
    if (metadata === undefined) metadata = (!inPlace ? row.parsed?.metadata : undefined) ?? parseJson(row.id, row.metadata);
    const values = channelWrites(metadata, channel, row.id);
    if (!values || values.length === 0) throw corrupt(row.id, `its delta refers to writes of "${channel}" that its metadata lacks`);
    return values;
  };
  for (const op of decodeOps(row.id, row.ops!)) {
    const c = op.channel;
    if (op.kind === "d") delete out[c];
    else if (op.kind === "s") put(out, c, parseJson(row.id, op.payload));
    else if (op.kind === "l") {
      const values = writesOf(c);
      put(out, c, values[values.length - 1]);
    } else {
      const items = op.kind === "w" ? writesOf(c).flatMap((v) => (Array.isArray(v) ? v : [v])) : parseJson(row.id, op.payload);
      const cur = Object.prototype.hasOwnProperty.call(out, c) ? out[c] : undefined;
      if (!Array.isArray(cur) || !Array.isArray(items)) throw corrupt(row.id, `it appends to "${c}", which is not a list`);
      if (inPlace) for (const it of items) cur.push(it);
      else put(out, c, cur.concat(items));
    }
  }
  return out;
}

function parseJson(id: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw corrupt(id, "its metadata is not JSON");
  }
}

/**
 * Retention and delete: the survivors that must be rewritten as snapshots (their base is being deleted),
 * given every row's base of the thread. Their states must be rebuilt before the deletion.
 */
export function foldTargets(rows: { id: string; baseId: string | null }[], deleted: Set<string>): string[] {
  return rows.filter((r) => !deleted.has(r.id) && r.baseId !== null && deleted.has(r.baseId)).map((r) => r.id);
}

/** States smaller than this (chars of their chain's text) are parsed again rather than kept: parsing them is cheap. */
const LATEST_MIN_CHARS = 32 * 1024;
const LATEST_MAX_CHARS = 64 * 1024 * 1024;

/**
 * The parsed state of each thread's latest checkpoint, for large states (issue 10: the 2 MB state of a
 * 10,000-step thread cost 8–16 ms to parse on every `latest`). A checkpoint's state never changes once saved
 * (folding rewrites how it is stored, never what it holds), so a kept state is right for as long as its
 * checkpoint id is the thread's head: the backend reads the head row on every call, in every process, and
 * passes `knownId` so the database skips the chain when it is the one kept. Callers get a private copy
 * (`copyJson`: containers copied, strings and other primitives shared), so nothing they change reaches the
 * kept state.
 */
export class LatestStates {
  private readonly byThread = new Map<string, { id: string; state: Record<string, unknown>; chars: number }>();
  private chars = 0;

  /** The checkpoint whose state is kept for `threadId`, if any. */
  knownId(threadId: string): string | null {
    return this.byThread.get(threadId)?.id ?? null;
  }

  /** A private copy of the kept state of checkpoint `id` of `threadId`, or undefined. */
  take(threadId: string, id: string): Record<string, unknown> | undefined {
    const kept = this.byThread.get(threadId);
    if (!kept || kept.id !== id) return undefined;
    this.byThread.delete(threadId); // most recently used last
    this.byThread.set(threadId, kept);
    return copyJson(kept.state) as Record<string, unknown>;
  }

  /** Keeps a copy of `state` (the caller keeps its own) when `chars`, its chain's text length, is worth it. */
  keep(threadId: string, id: string, state: Record<string, unknown>, chars: number): void {
    this.forget(threadId);
    if (chars < LATEST_MIN_CHARS || chars > LATEST_MAX_CHARS / 4) return;
    this.byThread.set(threadId, { id, state: copyJson(state) as Record<string, unknown>, chars });
    this.chars += chars;
    for (const [t] of this.byThread) {
      if (this.chars <= LATEST_MAX_CHARS) break;
      this.forget(t);
    }
  }

  forget(threadId: string): void {
    const kept = this.byThread.get(threadId);
    if (!kept) return;
    this.byThread.delete(threadId);
    this.chars -= kept.chars;
  }
}

/** The text length of a chain's rows, what `LatestStates.keep` weighs a state by. */
export const chainChars = (rows: DeltaRow[]) => rows.reduce((n, r) => n + (r.state?.length ?? 0) + (r.ops?.length ?? 0), 0);

/** A copy of a JSON value (as JSON.parse gives): arrays and objects copied, primitives shared. */
export function copyJson(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      out[i] = typeof x === "object" && x !== null ? copyJson(x) : x;
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) put(out, k, copyJson((v as Record<string, unknown>)[k]));
  return out;
}
