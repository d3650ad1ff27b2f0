/**
 * In-memory checkpoint store: the reference implementation of the contract and the benchmark baseline.
 *
 * Checkpoints are kept as JSON text, so callers can never mutate stored data and values behave exactly as in
 * the persistent stores (JSON round trip on save and on load). Each thread keeps its entries in an array
 * sorted by version (saves append, since a new version is always the highest), so save is O(1) amortised and
 * list is a binary search plus a slice. Every method runs synchronously after validation, so concurrent calls
 * are serialised by the event loop and versions can never collide. Each entry also keeps its summary as JSON
 * text (computed at save, parent kept in sync on re-links), so listSummaries never parses a checkpoint.
 * Several instances can share one `backing` (checkpoints, threads and locks) to stand in for several processes.
 */
import { checkpointNotFound, threadNotFound, WaypointError } from "../errors";
import { assertSafeId } from "./ids";
import { openStore } from "./open";
import { planPrune, relinkAfterDelete } from "./prune";
import { toSummary } from "./summary";
import { DeltaCodec, foldTargets, lazyState, parsedMetadata } from "./delta";
import { storageReport } from "./storage";
import { importDecision, importRow, laterIso, validateImport } from "./import";
import { mergeTaskWrites, validateAppendWrites } from "./writes";
import { matchesMetadata, nsOf, withoutRootNamespace } from "./list-filter";
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
  pageThreads,
  toJson,
  validateKeep,
  validateListOptions,
  validateListThreads,
  validateNewCheckpoint,
  validateSaveOptions,
  fencedOut,
  validateThreadPatch,
  validateTtl,
  wantsLatest,
  validateWrites,
} from "./validate";

interface Entry {
  id: string;
  parentId: string | null;
  version: number;
  /** The checkpoint as JSON text without `state` and `metadata` (parsed on every read). */
  head: string;
  metadata: string;
  /** Stored state: a snapshot's full state, or null with `ops` against `baseId` (delta.ts). */
  state: string | null;
  ops: string | null;
  baseId: string | null;
  depth: number;
  /** Its namespace ("" = root): head and latest skip the others. */
  ns: string;
  /** Its summary as JSON text, computed at save and kept in sync on re-links, so listSummaries never parses `head`. */
  summary: string;
}

interface ThreadData {
  /** Sorted by version, ascending. */
  entries: Entry[];
  /** Highest version ever assigned here, so a deleted head's version is never reused. */
  lastVersion: number;
  record: ThreadInfo | null;
}

/** Storage shared by every instance created on it. */
export interface MemoryBacking {
  checkpoints: Map<string, { threadId: string; entry: Entry }>;
  threads: Map<string, ThreadData>;
  locks: Map<string, { owner: string; expiresAt: number }>;
}

export interface MemoryStoreConfig {
  backing?: MemoryBacking;
}

export const newMemoryBacking = (): MemoryBacking => ({ checkpoints: new Map(), threads: new Map(), locks: new Map() });

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** The newest root-namespace entry (a thread's head / latest). */
function rootHead(entries: Entry[]): Entry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].ns === "") return entries[i];
  return undefined;
}

/** Index of the first entry with version > v (entries sorted ascending). */
function upperBound(entries: Entry[], v: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].version <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly kind = "memory";
  readonly backing: MemoryBacking;

  /** Per instance, like a process's: instances sharing a backing still encode deltas correctly. */
  private readonly codec = new DeltaCodec();

  constructor(config: MemoryStoreConfig = {}) {
    this.backing = config.backing ?? newMemoryBacking();
  }

  async setup(): Promise<void> {}

  async close(): Promise<void> {}

  private thread(threadId: string, create: true): ThreadData;
  private thread(threadId: string, create?: false): ThreadData | undefined;
  private thread(threadId: string, create = false): ThreadData | undefined {
    let t = this.backing.threads.get(threadId);
    if (!t && create) {
      t = { entries: [], record: null, lastVersion: 0 };
      this.backing.threads.set(threadId, t);
    }
    return t;
  }

  private newRecord(threadId: string, now: string): ThreadInfo {
    return {
      threadId,
      graphId: null,
      status: "idle",
      headCheckpointId: null,
      headVersion: 0,
      checkpointCount: 0,
      error: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Recomputes head and count from the entries (after save, delete, prune). */
  private touch(threadId: string, t: ThreadData): void {
    const now = new Date().toISOString();
    const rec = t.record ?? this.newRecord(threadId, now);
    const head = rootHead(t.entries);
    rec.headCheckpointId = head?.id ?? null;
    rec.headVersion = head?.version ?? 0;
    rec.checkpointCount = t.entries.length;
    rec.updatedAt = now;
    t.record = rec;
  }

  async save(given: NewCheckpoint, options?: SaveOptions): Promise<Checkpoint> {
    validateNewCheckpoint(given);
    const input = withoutRootNamespace(given);
    const { thread: patch, releaseLock, lockOwner } = validateSaveOptions(options);
    const patchCopy = patch && (JSON.parse(toJson(patch, "Thread patch")) as ThreadPatch);
    const { checkpoints } = this.backing;
    if (lockOwner !== undefined) {
      const holder = this.backing.locks.get(input.threadId)?.owner ?? null;
      if (holder !== lockOwner) throw fencedOut(input.threadId, lockOwner, holder);
    }
    if (checkpoints.has(input.id)) throw new WaypointError("INVALID_ARGUMENT", `Checkpoint "${input.id}" already exists.`);
    if (input.parentId !== null && checkpoints.get(input.parentId)?.threadId !== input.threadId)
      throw new WaypointError("INVALID_ARGUMENT", `Parent checkpoint "${input.parentId}" is not in thread "${input.threadId}".`);
    const t = this.thread(input.threadId, true);
    const version = t.lastVersion + 1;
    const { version: _v, state: _s, metadata, ...rest } = input as NewCheckpoint & { version?: unknown };
    const head = toJson({ ...rest, version }, "Checkpoint");
    const metadataJson = toJson(metadata, "Checkpoint metadata");
    let row = this.codec.encode(input, metadataJson);
    if (row.baseId !== null && !checkpoints.has(row.baseId)) row = this.codec.asSnapshot(row);
    const stored = lazyState(assemble(head, {}, metadataJson, parsedMetadata(row, metadataJson)), row);
    t.lastVersion = version;
    const entry: Entry = {
      id: input.id,
      parentId: input.parentId,
      version,
      head,
      metadata: metadataJson,
      state: row.state,
      ops: row.ops,
      baseId: row.baseId,
      depth: row.depth,
      ns: nsOf(input),
      summary: JSON.stringify(toSummary(stored)),
    };
    t.entries.push(entry);
    checkpoints.set(input.id, { threadId: input.threadId, entry });
    this.codec.remember(row.entry);
    this.touch(input.threadId, t);
    if (patch) applyPatch(t.record!, patch, patchCopy!);
    if (releaseLock !== undefined && this.backing.locks.get(input.threadId)?.owner === releaseLock) this.backing.locks.delete(input.threadId);
    return stored;
  }

  /** See types.ts. Synchronous after validation, like `save`; stored whole (import.ts), inserted in version order. */
  async importCheckpoint(given: Checkpoint): Promise<boolean> {
    validateImport(given);
    const input = withoutRootNamespace(given);
    const { checkpoints } = this.backing;
    const { state: _s, metadata, ...rest } = input;
    const head = toJson(rest, "Checkpoint");
    const metadataJson = toJson(metadata, "Checkpoint metadata");
    const found = checkpoints.get(input.id);
    const entries = this.thread(input.threadId)?.entries ?? [];
    const at = upperBound(entries, input.version);
    const holder = at > 0 && entries[at - 1].version === input.version ? entries[at - 1].id : null;
    const parentThreadId = input.parentId === null ? null : (checkpoints.get(input.parentId)?.threadId ?? null);
    const existing = found ? { threadId: found.threadId, version: found.entry.version } : null;
    if (!importDecision(input, { existing, versionHolder: holder, parentThreadId })) return false;
    const row = importRow(this.codec, input, metadataJson);
    const stored = assemble(head, JSON.parse(row.stateJson) as Record<string, unknown>, metadataJson);
    const entry: Entry = {
      id: input.id,
      parentId: input.parentId,
      version: input.version,
      head,
      metadata: metadataJson,
      state: row.state,
      ops: null,
      baseId: null,
      depth: row.depth,
      ns: nsOf(input),
      summary: JSON.stringify(toSummary(stored)),
    };
    const t = this.thread(input.threadId, true);
    t.entries.splice(at, 0, entry);
    t.lastVersion = Math.max(t.lastVersion, input.version);
    checkpoints.set(input.id, { threadId: input.threadId, entry });
    this.codec.remember(row.entry);
    const before = t.record?.updatedAt;
    this.touch(input.threadId, t);
    if (before !== undefined) t.record!.updatedAt = laterIso(before, t.record!.updatedAt);
    return true;
  }

  /** The entry's chain: itself, its base, ... down to its snapshot (stops early if a base is missing). */
  private chain(entry: Entry): Entry[] {
    const rows = [entry];
    for (let e = entry; e.state === null && e.baseId !== null;) {
      const base = this.backing.checkpoints.get(e.baseId)?.entry;
      if (!base) break;
      rows.push((e = base));
    }
    return rows;
  }

  private materialise(entry: Entry, threadId: string, prime = false): Checkpoint {
    return assemble(entry.head, this.codec.rebuildState(this.chain(entry), threadId, prime), entry.metadata);
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const found = this.backing.checkpoints.get(checkpointId);
    if (!found) throw checkpointNotFound(checkpointId);
    return this.materialise(found.entry, found.threadId, true);
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    const entries = this.page(threadId, options);
    const states = await this.codec.rebuildManyStates(entries, async (id) => {
      const e = this.backing.checkpoints.get(id)?.entry;
      return e ? this.chain(e) : [];
    });
    return entries.map((e) => assemble(e.head, states.get(e.id)!, e.metadata));
  }

  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    return this.page(threadId, options).map((e) => JSON.parse(e.summary));
  }

  /** The entries `list` returns, in order (validates first). */
  private page(threadId: string, options?: ListOptions): Entry[] {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const entries = this.thread(threadId)?.entries ?? [];
    const from = o.after === undefined ? 0 : upperBound(entries, o.after);
    const to = o.before === undefined ? entries.length : upperBound(entries, o.before - 1);
    if (o.namespace !== undefined || o.metadata) {
      // Filtered: the range's matching entries, then the limit (metadata parsed from its text; never a state).
      const hits = entries
        .slice(from, Math.max(from, to))
        .filter((e) => (o.namespace === undefined || e.ns === o.namespace) && matchesMetadata(o.metadata && JSON.parse(e.metadata), o.metadata));
      if (o.order === "desc") hits.reverse();
      return o.limit === undefined ? hits : hits.slice(0, o.limit);
    }
    let lo = from;
    let hi = Math.max(from, to);
    // Take the limit from the right end of the range so a page costs O(limit), not O(thread).
    if (o.limit !== undefined) {
      if (o.order === "desc") lo = Math.max(lo, hi - o.limit);
      else hi = Math.min(hi, lo + o.limit);
    }
    const slice = entries.slice(lo, hi);
    if (o.order === "desc") slice.reverse();
    return slice;
  }

  async latest(threadId: string): Promise<Checkpoint | null> {
    assertSafeId(threadId, "thread");
    const entries = this.thread(threadId)?.entries ?? [];
    const head = rootHead(entries);
    return head ? this.materialise(head, threadId, true) : null;
  }

  async putWrites(checkpointId: string, writes: PendingWrite[]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const found = this.backing.checkpoints.get(checkpointId);
    if (!found) throw checkpointNotFound(checkpointId);
    const head = JSON.parse(found.entry.head) as Checkpoint;
    head.pendingWrites = JSON.parse(toJson(writes, "Pending writes"));
    found.entry.head = JSON.stringify(head);
  }

  /** See types.ts: synchronous after validation, so the event loop makes it atomic. */
  async appendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): Promise<void> {
    const adds = validateAppendWrites(checkpointId, taskId, writes);
    const found = this.backing.checkpoints.get(checkpointId);
    if (!found) throw checkpointNotFound(checkpointId);
    const head = JSON.parse(found.entry.head) as Checkpoint;
    const merged = mergeTaskWrites(head.pendingWrites, adds);
    if (!merged) return;
    head.pendingWrites = merged;
    found.entry.head = JSON.stringify(head);
  }

  /**
   * Removes `deleted` from thread `t` and re-links survivors; shared by delete and prune. Survivors stored
   * against a deleted base are first rewritten whole, so every survivor can still be rebuilt.
   */
  private remove(threadId: string, t: ThreadData, deleted: Set<string>, relink: { id: string; parentId: string | null }[]) {
    const byId = (id: string) => this.backing.checkpoints.get(id)!.entry;
    const folds = foldTargets(t.entries, deleted).map((id) => ({ entry: byId(id), state: this.codec.rebuild(this.chain(byId(id)), threadId) }));
    for (const { entry, state } of folds) Object.assign(entry, { state, ops: null, baseId: null });
    for (const { id, parentId } of relink) {
      const entry = byId(id);
      const head = JSON.parse(entry.head) as Checkpoint;
      head.parentId = parentId;
      entry.parentId = parentId;
      entry.head = JSON.stringify(head);
      entry.summary = JSON.stringify({ ...(JSON.parse(entry.summary) as CheckpointSummary), parentId });
    }
    t.entries = t.entries.filter((e) => !deleted.has(e.id));
    for (const id of deleted) this.backing.checkpoints.delete(id);
    this.codec.forget();
    this.touch(threadId, t);
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    const found = this.backing.checkpoints.get(checkpointId);
    if (!found) throw checkpointNotFound(checkpointId);
    const t = this.thread(found.threadId, true);
    const deleted = new Set([checkpointId]);
    this.remove(found.threadId, t, deleted, relinkAfterDelete(t.entries, deleted));
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    const t = this.thread(threadId);
    if (t) for (const e of t.entries) this.backing.checkpoints.delete(e.id);
    this.backing.threads.delete(threadId);
    this.backing.locks.delete(threadId);
  }

  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    const t = this.thread(threadId);
    if (!t) return 0;
    const plan = planPrune(t.entries, keep);
    if (plan.deleteIds.length === 0) return 0;
    this.remove(threadId, t, new Set(plan.deleteIds), plan.relink);
    return plan.deleteIds.length;
  }

  async storage(threadId: string): Promise<ThreadStorage> {
    assertSafeId(threadId, "thread");
    const t = this.thread(threadId);
    if (!t || (!t.record && t.entries.length === 0)) throw threadNotFound(threadId);
    return storageReport(
      threadId,
      t.entries.map((e) => ({
        id: e.id,
        version: e.version,
        step: (JSON.parse(e.summary) as CheckpointSummary).step,
        snapshot: e.state !== null,
        bytes: [e.head, e.metadata, e.state ?? "", e.ops ?? "", e.summary].reduce((n, x) => n + Buffer.byteLength(x), 0),
      })),
    );
  }

  async getThread(threadId: string): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    const rec = this.thread(threadId)?.record;
    if (!rec) throw threadNotFound(threadId);
    return copy(rec);
  }

  async updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    validateThreadPatch(patch);
    const p = JSON.parse(toJson(patch, "Thread patch")) as ThreadPatch; // also a private copy
    const t = this.thread(threadId, true);
    const now = new Date().toISOString();
    const rec = t.record ?? this.newRecord(threadId, now);
    applyPatch(rec, patch, p);
    rec.updatedAt = now;
    t.record = rec;
    return copy(rec);
  }

  async listThreads(options?: ListThreadsOptions): Promise<ThreadPage> {
    const o = validateListThreads(options);
    const records: ThreadInfo[] = [];
    for (const t of this.backing.threads.values()) if (t.record) records.push(t.record);
    return copy(pageThreads(records, o));
  }

  async acquireLock(threadId: string, owner: string, ttlMs: number, options?: AcquireOptions): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
    const withLatest = wantsLatest(options);
    const now = Date.now();
    const held = this.backing.locks.get(threadId);
    if (held && held.owner !== owner && held.expiresAt > now) return { acquired: false, owner: held.owner, expiresAt: held.expiresAt };
    this.backing.locks.set(threadId, { owner, expiresAt: now + ttlMs });
    return withLatest ? { acquired: true, latest: await this.latest(threadId) } : { acquired: true };
  }

  async stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    assertSafeId(fromOwner, "owner");
    validateTtl(ttlMs);
    if (this.backing.locks.get(threadId)?.owner !== fromOwner) return false;
    this.backing.locks.set(threadId, { owner, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async releaseLock(threadId: string, owner: string): Promise<void> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    if (this.backing.locks.get(threadId)?.owner === owner) this.backing.locks.delete(threadId);
  }
}

/** updateThread's fields of `patch` onto `rec` (`copy`: the patch's private JSON copy, for the object values). */
function applyPatch(rec: ThreadInfo, patch: ThreadPatch, copy: ThreadPatch): void {
  if (patch.graphId !== undefined) rec.graphId = patch.graphId;
  if (patch.status !== undefined) rec.status = patch.status;
  if (patch.error !== undefined) rec.error = copy.error ?? null;
  if (patch.metadata !== undefined) rec.metadata = copy.metadata ?? {};
}

/** A checkpoint from its stored parts, fields in the contract's order. */
function assemble(head: string, state: Record<string, unknown>, metadataJson: string, metadata?: unknown): Checkpoint {
  const h = JSON.parse(head) as Checkpoint;
  return {
    id: h.id,
    threadId: h.threadId,
    ...(h.namespace ? { namespace: h.namespace } : {}),
    parentId: h.parentId,
    version: h.version,
    step: h.step,
    nodeName: h.nodeName,
    state,
    next: h.next,
    interrupts: h.interrupts,
    pendingWrites: h.pendingWrites,
    metadata: (metadata ?? JSON.parse(metadataJson)) as Checkpoint["metadata"],
    timestamp: h.timestamp,
  };
}

export async function createMemoryStore(config: MemoryStoreConfig = {}): Promise<MemoryCheckpointStore> {
  return openStore(new MemoryCheckpointStore(config));
}
