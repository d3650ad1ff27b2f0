/**
 * Redis checkpoint store (ioredis, plain Redis 7: no RedisJSON / RediSearch modules needed).
 *
 * Layout and atomicity: see redis-scripts.ts. Every write is one Lua script (one round trip, all-or-nothing);
 * reads are one HMGET or one script. Nothing uses KEYS/SCAN.
 *
 * Delta checkpoints (delta.ts): a hash keeps either its full state or ops against a base checkpoint. save
 * sends what the codec encodes and the script checks the base still exists (else the row is sent again as a
 * snapshot: a second round trip only then); load/latest read the checkpoint and its chain in one script;
 * list reads a page plus the chains of the bases outside it in one script; delete/prune rebuild the
 * survivors whose base goes away and rewrite them as snapshots in the same script as the deletion, guarded
 * by the thread's change token. Hashes written before the delta layout are snapshots and are read as such.
 *
 * With `ttlSeconds`, all keys of a thread share one deadline refreshed by every write to the thread, so a
 * thread expires as a whole, ttl to 1.1 x ttl after its last write (a delta row's base, in the same thread,
 * never expires before it); listings also drop index entries whose keys are gone (eviction) lazily. A base
 * removed outside the store (eviction, a hand edit) makes the rows stored against it CORRUPT_CHECKPOINT:
 * with delta storage, run Redis with maxmemory-policy noeviction.
 */
import { Redis, ReplyError } from "ioredis";
import { WaypointError, checkpointNotFound, isWaypointError, threadNotFound } from "../errors";
import { assertSafeId } from "./ids";
import { corrupt, isSnapshotRow, type DeltaRow } from "./delta-format";
import { DeltaCodec, foldTargets, lazyState, parsedMetadata } from "./delta";
import { planPrune, relinkAfterDelete, type PrunePlan, type SkeletonRow } from "./prune";
import { MAX_HOPS, SCRIPTS, THREAD_FIELDS, type ScriptName } from "./redis-scripts";
import { storageReport, type RowSize } from "./storage";
import { importDecision, importRow, validateImport } from "./import";
import { toSummary } from "./summary";
import { mergeTaskWrites, validateAppendWrites } from "./writes";
import { nsOf, scalarMetadata, withoutRootNamespace, type MetadataFilter } from "./list-filter";
import { storeLabel, storeTimeoutMs, unavailable } from "./timeouts";
import type {
  Checkpoint,
  CheckpointStore,
  CheckpointSummary,
  ListOptions,
  ListThreadsOptions,
  AcquireOptions,
  LockResult,
  NewCheckpoint,
  SaveOptions,
  PendingWrite,
  TaskWrite,
  ThreadInfo,
  ThreadPage,
  ThreadPatch,
  ThreadStatus,
  ThreadStorage,
} from "./types";
import {
  encodeThreadCursor,
  toJson,
  validateKeep,
  validateListOptions,
  validateNewCheckpoint,
  validateSaveOptions,
  fencedOut,
  validateThreadPatch,
  validateTtl,
  wantsLatest,
  validateListThreads,
  validateWrites,
} from "./validate";

export interface RedisStoreConfig {
  /** e.g. redis://127.0.0.1:6379/0 (the REDIS_URL setting). */
  url: string;
  /** Prepended to every key; lets several apps or test runs share one Redis. Default "waypoint:". */
  prefix?: string;
  /** When set, a thread (checkpoints, index, record) expires this long after its last write. */
  ttlSeconds?: number;
  /** Connect and per-command timeout in ms (default WAYPOINT_STORE_TIMEOUT_MS, else 5 s); past it a call rejects STORE_UNAVAILABLE. */
  timeoutMs?: number;
}

type Reply = string | number | null | Reply[];
type ScriptFn = (...args: (string | number)[]) => Promise<Reply>;
type Raw = string | null;

/** What a hash's `b` holds: the immutable fields but state and metadata (which a pre-delta hash also holds). */
type Head = Pick<Checkpoint, "id" | "threadId" | "step" | "nodeName" | "next" | "interrupts" | "timestamp" | "namespace"> & {
  state?: unknown;
  metadata?: Checkpoint["metadata"];
};

/** A hash as the codec reads it; `old` is the parsed body of a hash written before the delta layout. */
interface ReadRow {
  row: DeltaRow;
  old: Head | null;
}

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

/** Thread entries one search call examines at most (a Lua script blocks Redis while it runs). */
const SEARCH_BUDGET = 2000;

/** JSON text of a value that must be JSON (cycles and BigInts reject INVALID_ARGUMENT before any write). */
function json(value: unknown, what: string): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw bad(`${what} must be JSON-serialisable: ${(e as Error).message}`);
  }
}

function parse<T>(text: string, id: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new WaypointError("CORRUPT_CHECKPOINT", `Checkpoint "${id}" holds invalid JSON in Redis.`, { checkpointId: id }, { cause: e });
  }
}

/** wpList's filter arguments (redis-scripts.ts LIST): namespace flag and value, metadata filter JSON. */
const listFilterArgs = (o: { namespace?: string; metadata?: MetadataFilter }): string[] => [
  o.namespace === undefined ? "0" : "1",
  o.namespace ?? "",
  o.metadata ? JSON.stringify(o.metadata) : "",
];

const NO_PATCH = ["0", "", "0", "", "0", "", "0", ""];

export class RedisCheckpointStore implements CheckpointStore {
  readonly kind = "redis";
  readonly prefix: string;
  readonly url: string;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly cmd: Record<ScriptName, ScriptFn>;
  /** Per instance, like a process's (see delta.ts); another instance's deletes are caught by the save script. */
  private readonly codec = new DeltaCodec();

  /** Prefer `createRedisStore`, which connects and runs `setup()`. `redis` must not use ioredis' keyPrefix. */
  constructor(
    readonly redis: Redis,
    options: RedisStoreConfig,
  ) {
    this.url = options.url;
    this.prefix = options.prefix ?? "waypoint:";
    this.ttlMs = options.ttlSeconds === undefined ? 0 : Math.ceil(options.ttlSeconds * 1000);
    this.timeoutMs = options.timeoutMs ?? storeTimeoutMs();
    for (const [name, def] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, def);
    }
    const r = redis as unknown as Record<ScriptName, ScriptFn>;
    this.cmd = Object.fromEntries(Object.keys(SCRIPTS).map((n) => [n, r[n as ScriptName].bind(redis)])) as Record<ScriptName, ScriptFn>;
  }

  /** Loads every script into the server's cache (idempotent; ioredis falls back to EVAL if it is flushed). */
  async setup(): Promise<void> {
    await this.run(() => Promise.all(Object.values(SCRIPTS).map((s) => this.redis.script("LOAD", s.lua))));
  }

  async save(given: NewCheckpoint, options?: SaveOptions): Promise<Checkpoint> {
    validateNewCheckpoint(given);
    const checkpoint = withoutRootNamespace(given);
    const { thread: patch, releaseLock, lockOwner } = validateSaveOptions(options);
    const patchArgs = patch ? this.patchArgs(patch) : NO_PATCH;
    // Stored apart: parentId (re-linked by delete/prune), pendingWrites (putWrites), version (assigned here),
    // state (a snapshot's x, or a delta's ops) and metadata (m: "w"/"l" ops read it).
    const { parentId, pendingWrites, version: _ignored, state: _state, metadata, ...rest } = checkpoint as NewCheckpoint & { version?: unknown };
    const head = json(rest, "Checkpoint");
    const writes = json(pendingWrites, "pendingWrites");
    const metadataJson = toJson(metadata, "Checkpoint metadata");
    // The summary minus what the hash keeps apart (id is the key, p, v) or the caller knows (threadId).
    const { id: _id, threadId: _t, parentId: _p, version: _v, ...summary } = toSummary({ ...checkpoint, version: 0 });
    const summaryJson = JSON.stringify(summary);
    let row = this.codec.encode(checkpoint, metadataJson);
    const now = new Date();
    for (;;) {
      const r = (await this.run(() =>
        this.cmd.wpSave(
          this.prefix,
          checkpoint.threadId,
          checkpoint.id,
          parentId ?? "",
          head,
          writes,
          now.getTime(),
          now.toISOString(),
          this.ttlMs,
          summaryJson,
          metadataJson,
          row.depth,
          row.state ?? "",
          row.baseId ?? "",
          row.ops ?? "",
          ...patchArgs,
          releaseLock ?? "",
          nsOf(checkpoint),
          JSON.stringify(scalarMetadata(metadata)),
          lockOwner ?? "",
        ),
      )) as Reply[];
      if (r[0] === 1) {
        this.codec.remember(row.entry);
        const saved = JSON.parse(head) as Head;
        return lazyState(assemble(saved, parentId ?? "", r[1] as number, {}, parsedMetadata(row, metadataJson), JSON.parse(writes)), row);
      }
      const [, reason, detail] = r as [number, string, string];
      // The base was deleted or pruned since the codec saw it: store the checkpoint whole (at most once).
      if (reason === "no-base" && row.state === null) {
        row = this.codec.asSnapshot(row);
        continue;
      }
      if (reason === "fenced") throw fencedOut(checkpoint.threadId, lockOwner!, detail || null);
      if (reason === "exists")
        throw bad(`Checkpoint "${checkpoint.id}" already exists${detail && detail !== checkpoint.threadId ? ` in thread "${detail}"` : ""}.`);
      if (reason === "no-parent") throw bad(`Parent checkpoint "${parentId}" does not exist.`);
      throw bad(`Parent checkpoint "${parentId}" belongs to thread "${detail}", not "${checkpoint.threadId}".`);
    }
  }

  /** See types.ts: one script (wpImport in redis-scripts.ts) checks and writes; stored whole (import.ts). */
  async importCheckpoint(given: Checkpoint): Promise<boolean> {
    validateImport(given);
    const checkpoint = withoutRootNamespace(given);
    const { parentId, pendingWrites, version, state: _state, metadata, ...rest } = checkpoint;
    const head = json(rest, "Checkpoint");
    const writes = json(pendingWrites, "pendingWrites");
    const metadataJson = toJson(metadata, "Checkpoint metadata");
    const { id: _id, threadId: _t, parentId: _p, version: _v, ...summary } = toSummary(checkpoint);
    const row = importRow(this.codec, checkpoint, metadataJson);
    const now = new Date();
    const r = (await this.run(() =>
      this.cmd.wpImport(
        this.prefix,
        checkpoint.threadId,
        checkpoint.id,
        parentId ?? "",
        head,
        writes,
        now.getTime(),
        now.toISOString(),
        this.ttlMs,
        JSON.stringify(summary),
        metadataJson,
        row.depth,
        row.stateJson,
        version,
        nsOf(checkpoint),
        JSON.stringify(scalarMetadata(metadata)),
      ),
    )) as Reply[];
    if (r[0] === 1) {
      this.codec.remember(row.entry);
      return true;
    }
    const [, t, v, holder, pt] = r.map((x) => (x === null ? "" : String(x)));
    const facts = { existing: t ? { threadId: t, version: Number(v) } : null, versionHolder: holder || null, parentThreadId: pt || null };
    if (importDecision(checkpoint, facts)) throw new Error(`Checkpoint "${checkpoint.id}" was neither imported nor refused.`);
    return false;
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const r = (await this.run(() => this.cmd.wpLoad(this.prefix, "c", checkpointId))) as Raw[];
    if (r.length === 0) throw checkpointNotFound(checkpointId);
    return this.fromChain(r);
  }

  async latest(threadId: string): Promise<Checkpoint | null> {
    assertSafeId(threadId, "thread");
    const r = (await this.run(() => this.cmd.wpLoad(this.prefix, "t", threadId))) as Raw[];
    return r.length === 0 ? null : this.fromChain(r);
  }

  /** A checkpoint from a wpLoad reply: parent, version, writes, then its chain (itself first, with its body). */
  private fromChain(r: Raw[]): Checkpoint {
    const [parent, version, writes] = r;
    const chain: ReadRow[] = [];
    for (let i = 3; i < r.length; i += 7) chain.push(readRow(r, i));
    const top = chain[0];
    const head = top.old ?? parse<Head>(r[9] ?? "", top.row.id);
    const rows = chain.map((c) => c.row);
    tooLong(rows);
    const state = this.codec.rebuildState(rows, head.threadId, true);
    const metadata = top.old ? top.old.metadata : parse<Checkpoint["metadata"]>(top.row.metadata, top.row.id);
    return assemble(head, parent ?? "", Number(version), state, metadata, parse(writes ?? "[]", top.row.id));
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const min = o.after === undefined ? "-inf" : `(${o.after}`;
    const max = o.before === undefined ? "+inf" : `(${o.before}`;
    const [flat, more] = (await this.run(() =>
      this.cmd.wpList(this.prefix, threadId, min, max, o.order === "desc" ? "1" : "0", o.limit ?? 0, "0", ...listFilterArgs(o)),
    )) as [Raw[], Raw[]];
    const page: { parent: string; version: number; writes: string; read: ReadRow; head: Head }[] = [];
    const known = new Map<string, DeltaRow>();
    for (let i = 0; i < flat.length; i += 10) {
      // id, p, v, w, then the walk layout's d, a, o, m, x, b (readRow reads from the id).
      const read = readRow([flat[i], flat[i + 4], flat[i + 5], flat[i + 6], flat[i + 7], flat[i + 8], flat[i + 9]], 0);
      const head = read.old ?? parse<Head>(flat[i + 9] ?? "", read.row.id);
      page.push({ parent: flat[i + 1] ?? "", version: Number(flat[i + 2]), writes: flat[i + 3] ?? "[]", read, head });
      known.set(read.row.id, read.row);
    }
    if (page.length === 0) return [];
    for (let i = 0; i < more.length; i += 7) {
      const extra = readRow(more, i);
      known.set(extra.row.id, extra.row);
    }
    const states = await this.codec.rebuildManyStates(
      page.map((p) => p.read.row),
      async (id) => chainIn(known, id),
    );
    return page.map(({ parent, version, writes, read, head }) => {
      const id = read.row.id;
      const state = read.old ? read.old.state : states.get(id)!;
      const metadata = read.old ? read.old.metadata : parse<Checkpoint["metadata"]>(read.row.metadata, id);
      return assemble(head, parent, version, state, metadata, parse(writes, id));
    });
  }

  /** One script call (one round trip) that reads each checkpoint's `s` field, never its state. */
  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const min = o.after === undefined ? "-inf" : `(${o.after}`;
    const max = o.before === undefined ? "+inf" : `(${o.before}`;
    const flat = (await this.run(() =>
      this.cmd.wpList(this.prefix, threadId, min, max, o.order === "desc" ? "1" : "0", o.limit ?? 0, "1", ...listFilterArgs(o)),
    )) as Raw[];
    const out: CheckpointSummary[] = [];
    for (let i = 0; i < flat.length; i += 6) {
      const [id, parent, version, summary, body, metadata] = flat.slice(i, i + 6) as [string, string, string, string, string, Raw];
      const parentId = parent || null;
      if (summary) {
        const s = parse<Omit<CheckpointSummary, "id" | "threadId" | "parentId" | "version">>(summary, id);
        out.push({ id, threadId, parentId, version: Number(version), ...s });
      } else {
        // Saved before summaries existed (or its `s` was lost): derive it from the body and metadata.
        const b = parse<Head>(body, id);
        const md = metadata === null ? b.metadata : parse<Checkpoint["metadata"]>(metadata, id);
        out.push(toSummary({ ...b, parentId, version: Number(version), state: {}, metadata: md!, pendingWrites: [] }));
      }
    }
    return out;
  }

  async putWrites(checkpointId: string, writes: PendingWrite[]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const text = json(writes, "pendingWrites");
    if ((await this.run(() => this.cmd.wpPutWrites(this.key(checkpointId), text))) !== 1) throw checkpointNotFound(checkpointId);
  }

  /**
   * See types.ts. Optimistic and atomic: read `w`, merge here, then one script (wpCasWrites) writes the result
   * only if `w` is still what was read, else this reads and merges again. Every round some writer succeeds, so
   * N concurrent appends finish in at most N rounds; the merge is deterministic, so a retry is always safe.
   */
  async appendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): Promise<void> {
    const adds = validateAppendWrites(checkpointId, taskId, writes);
    const key = this.key(checkpointId);
    for (;;) {
      const [t, w] = await this.run(() => this.redis.hmget(key, "t", "w"));
      if (t === null) throw checkpointNotFound(checkpointId);
      const merged = mergeTaskWrites(parse<PendingWrite[]>(w ?? "[]", checkpointId), adds);
      if (!merged) return;
      const r = await this.run(() => this.cmd.wpCasWrites(key, w ?? "", JSON.stringify(merged)));
      if (r === 0) throw checkpointNotFound(checkpointId);
      if (r === 1) return;
    }
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    const n = await this.remove("", checkpointId, (rows) => ({
      deleteIds: [checkpointId],
      relink: relinkAfterDelete(rows, new Set([checkpointId])),
    }));
    if (n === null) throw checkpointNotFound(checkpointId);
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    await this.run(() => this.cmd.wpClear(this.prefix, threadId));
    this.codec.forget();
  }

  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    return (await this.remove(threadId, "", (rows) => planPrune(rows, keep)))!;
  }

  /**
   * Delete and prune: reads the thread's skeleton (of thread `threadId`, or of checkpoint `checkpointId`'s
   * thread; null if that checkpoint is unknown), plans, rebuilds the survivors whose base is deleted (the fold
   * targets), and applies deletions, folds and re-links in one script that first checks the thread's change
   * token: if a save/delete/prune slipped in between, nothing is applied and we retry.
   */
  private async remove(threadId: string, checkpointId: string, plan: (rows: SkeletonRow[]) => PrunePlan): Promise<number | null> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const flat = (await this.run(() => this.cmd.wpSkeleton(this.prefix, threadId, checkpointId))) as string[];
      if (flat.length === 0) return null;
      const [token, thread] = flat;
      const rows: (SkeletonRow & { baseId: string | null })[] = [];
      for (let i = 2; i < flat.length; i += 4)
        rows.push({ id: flat[i], parentId: flat[i + 1] || null, version: Number(flat[i + 2]), baseId: flat[i + 3] || null });
      const p = plan(rows);
      if (p.deleteIds.length === 0) return 0;
      const folds = foldTargets(rows, new Set(p.deleteIds));
      const states = folds.length === 0 ? new Map<string, string>() : await this.rebuildAll(folds);
      const foldArgs = folds.filter((id) => states.has(id)).flatMap((id) => [id, states.get(id)!]);
      const args = [...p.deleteIds, ...foldArgs, ...p.relink.flatMap((r) => [r.id, r.parentId ?? ""])];
      const n = (await this.run(() => this.cmd.wpApplyPrune(this.prefix, thread, token, p.deleteIds.length, foldArgs.length / 2, ...args))) as number;
      if (n >= 0) {
        this.codec.forget();
        return n;
      }
    }
    const what = checkpointId ? `delete checkpoint "${checkpointId}"` : `prune thread "${threadId}"`;
    throw new WaypointError("STORE_UNAVAILABLE", `Could not ${what}: its thread kept changing during 20 attempts.`, {
      ...(threadId ? { threadId } : { checkpointId }),
    });
  }

  /** State JSON of each of `ids` (one script call for all their chains); ids whose hash is gone are left out. */
  private async rebuildAll(ids: string[]): Promise<Map<string, string>> {
    const flat = (await this.run(() => this.cmd.wpChains(this.prefix, ...ids))) as Raw[];
    const known = new Map<string, DeltaRow>();
    for (let i = 0; i < flat.length; i += 7) {
      const r = readRow(flat, i);
      known.set(r.row.id, r.row);
    }
    const rows = ids.map((id) => known.get(id)).filter((r): r is DeltaRow => r !== undefined);
    const states = await this.codec.rebuildManyStates(rows, async (id) => chainIn(known, id));
    return new Map([...states].map(([id, state]) => [id, JSON.stringify(state)]));
  }

  /**
   * What the thread's checkpoints occupy: for each checkpoint hash, the UTF-8 byte lengths of every field name
   * and value stored in it (t, p, v, b, w, s, m, d, and x or a + o; a pre-delta hash's t, p, v, b, w, s),
   * summed by the server with HSTRLEN so no state is fetched. The thread record and the index are not counted.
   */
  async storage(threadId: string): Promise<ThreadStorage> {
    assertSafeId(threadId, "thread");
    const flat = (await this.run(() => this.cmd.wpStorage(this.prefix, threadId))) as (string | number)[];
    if (flat[0] !== 1) throw threadNotFound(threadId);
    const rows: RowSize[] = [];
    for (let i = 1; i < flat.length; i += 5)
      rows.push({
        id: String(flat[i]),
        version: Number(flat[i + 1]),
        step: Number(flat[i + 2]),
        bytes: Number(flat[i + 3]),
        snapshot: flat[i + 4] === 1,
      });
    return storageReport(threadId, rows);
  }

  async getThread(threadId: string): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    const f = await this.run(() => this.redis.hmget(this.threadKey(threadId), ...THREAD_FIELDS));
    if (f[0] === null) throw threadNotFound(threadId);
    return this.toThreadInfo(threadId, f);
  }

  async updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    validateThreadPatch(patch);
    const now = new Date();
    const args = this.patchArgs(patch);
    const f = (await this.run(() => this.cmd.wpUpdateThread(this.prefix, threadId, now.getTime(), now.toISOString(), this.ttlMs, ...args))) as (
      string | null
    )[];
    return this.toThreadInfo(threadId, f);
  }

  /** A validated patch as the scripts take it: flag/value pairs for graphId ("-": null), status, error, metadata. */
  private patchArgs(patch: ThreadPatch): string[] {
    const g = patch.graphId === undefined ? ["0", ""] : patch.graphId === null ? ["-", ""] : ["1", patch.graphId];
    const s = patch.status === undefined ? ["0", ""] : ["1", patch.status];
    const e = patch.error === undefined ? ["0", ""] : ["1", json(patch.error, "Thread error")];
    const m = patch.metadata === undefined ? ["0", ""] : ["1", json(patch.metadata, "Thread metadata")];
    return [...g, ...s, ...e, ...m];
  }

  async listThreads(options?: ListThreadsOptions): Promise<ThreadPage> {
    const { status, graphId, limit, cursor, query, sort } = validateListThreads(options);
    const flat = (await this.run(() =>
      this.cmd.wpListThreads(
        this.prefix,
        status ?? "",
        graphId ?? "",
        graphId === undefined ? "0" : "1",
        limit,
        cursor ? Date.parse(cursor.updatedAt) : "",
        cursor?.threadId ?? "",
        sort === "waiting" ? "1" : "0",
        // Lua's string.lower folds ASCII only: fold the query the same way so both sides agree.
        query?.replace(/[A-Z]/g, (c) => c.toLowerCase()) ?? "",
        query === undefined ? 0 : SEARCH_BUDGET,
      ),
    )) as (string | null)[];
    const [resumeScore, resumeThread] = flat as string[];
    const threads: ThreadInfo[] = [];
    const width = THREAD_FIELDS.length + 1;
    for (let i = 2; i < flat.length; i += width) threads.push(this.toThreadInfo(flat[i] as string, flat.slice(i + 1, i + width)));
    const more = threads.length > limit;
    if (more) threads.length = limit;
    const last = threads[threads.length - 1];
    if (more) return { threads, nextCursor: encodeThreadCursor(last.updatedAt, last.threadId) };
    // The search ran out of budget before a full page: go on after the last entry it examined.
    const resume = resumeThread ? encodeThreadCursor(new Date(Number(resumeScore)).toISOString(), resumeThread) : null;
    return { threads, nextCursor: resume };
  }

  async acquireLock(threadId: string, owner: string, ttlMs: number, options?: AcquireOptions): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
    const withLatest = wantsLatest(options);
    if (withLatest) {
      // One script: the lock, then the thread's latest checkpoint as `latest` reads it (a run's start needs both).
      const r = (await this.run(() => this.cmd.wpAcquireLatest(this.prefix, threadId, owner, Math.ceil(ttlMs)))) as (Raw | number)[];
      if (r[0] === 1) return { acquired: true, latest: r.length === 1 ? null : this.fromChain(r.slice(1) as Raw[]) };
      return { acquired: false, owner: r[1] as string, expiresAt: Date.now() + Math.max(0, r[2] as number) };
    }
    const r = (await this.run(() => this.cmd.wpAcquireLock(this.lockKey(threadId), owner, Math.ceil(ttlMs)))) as Reply[];
    if (r[0] === 1) return { acquired: true };
    return { acquired: false, owner: r[1] as string, expiresAt: Date.now() + Math.max(0, r[2] as number) };
  }

  async stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    assertSafeId(fromOwner, "owner");
    validateTtl(ttlMs);
    return (await this.run(() => this.cmd.wpStealLock(this.lockKey(threadId), owner, fromOwner, Math.ceil(ttlMs)))) === 1;
  }

  async releaseLock(threadId: string, owner: string): Promise<void> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    await this.run(() => this.cmd.wpReleaseLock(this.lockKey(threadId), owner));
  }

  async close(): Promise<void> {
    if (this.redis.status === "end") return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private key(checkpointId: string) {
    return `${this.prefix}checkpoint:${checkpointId}`;
  }
  private threadKey(threadId: string) {
    return `${this.prefix}execution:${threadId}:thread`;
  }
  private lockKey(threadId: string) {
    return `${this.prefix}execution:${threadId}:lock`;
  }

  private toThreadInfo(threadId: string, f: (string | null)[]): ThreadInfo {
    const [createdAt, updatedAt, status, graphId, head, headVersion, count, error, metadata] = f;
    return {
      threadId,
      graphId: graphId ?? null,
      status: (status ?? "idle") as ThreadStatus,
      headCheckpointId: head || null,
      headVersion: Number(headVersion ?? 0),
      checkpointCount: Number(count ?? 0),
      error: error ? JSON.parse(error) : null,
      metadata: metadata ? JSON.parse(metadata) : {},
      createdAt: createdAt as string,
      updatedAt: updatedAt ?? (createdAt as string),
    };
  }

  /** Connection failures become STORE_UNAVAILABLE; Waypoint errors and Redis replies pass through. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isWaypointError(e) || e instanceof ReplyError) throw e;
      throw unavailable(storeLabel("redis", this.url), e, this.timeoutMs);
    }
  }
}

/** The checkpoint hash at `r[at..at + 6]` as `walk` (redis-scripts.ts) lists it: id, d, a, o, m, x, b. */
function readRow(r: Raw[], at: number): ReadRow {
  const [id, d, a, o, m, x, b] = r.slice(at, at + 7) as [string, Raw, Raw, Raw, Raw, Raw, Raw];
  if (d === null) {
    // Written before the delta layout: the body holds the full state, so it is a snapshot labelled 0.
    const old = parse<Head>(b ?? "", id);
    if (old === null || typeof old !== "object") throw corrupt(id, "its body is not an object");
    const state = old.state === undefined ? null : JSON.stringify(old.state);
    return { row: { id, baseId: null, depth: null, state, ops: null, metadata: "null" }, old };
  }
  return { row: { id, baseId: a, depth: Number(d), state: x, ops: o, metadata: m ?? "" }, old: null };
}

/** A chain from rows already read: `id`, its base, ... down to a snapshot, or as far as `known` reaches. */
function chainIn(known: Map<string, DeltaRow>, id: string): DeltaRow[] {
  const out: DeltaRow[] = [];
  for (let r = known.get(id); r && out.length < MAX_HOPS; r = r.baseId === null ? undefined : known.get(r.baseId)) {
    out.push(r);
    if (isSnapshotRow(r)) break;
  }
  tooLong(out);
  return out;
}

/** A chain cut at MAX_HOPS without reaching a snapshot (a cycle, or a corrupt label) is corrupt. */
function tooLong(rows: DeltaRow[]): void {
  if (rows.length >= MAX_HOPS && !isSnapshotRow(rows[rows.length - 1]))
    throw corrupt(rows[0].id, `its delta chain is longer than ${MAX_HOPS} checkpoints`);
}

/** A checkpoint from its stored parts, fields in the contract's order. */
function assemble(head: Head, parent: string, version: number, state: unknown, metadata: unknown, pendingWrites: unknown): Checkpoint {
  return {
    id: head.id,
    threadId: head.threadId,
    ...(head.namespace ? { namespace: head.namespace } : {}),
    parentId: parent || null,
    version,
    step: head.step,
    nodeName: head.nodeName,
    state: state as Checkpoint["state"],
    next: head.next,
    interrupts: head.interrupts,
    pendingWrites: pendingWrites as PendingWrite[],
    metadata: metadata as Checkpoint["metadata"],
    timestamp: head.timestamp,
  };
}

/** Connects (failing fast with STORE_UNAVAILABLE instead of retrying forever), then runs `setup()`. */
export async function createRedisStore({
  url,
  prefix = "waypoint:",
  ttlSeconds,
  timeoutMs = storeTimeoutMs(),
}: RedisStoreConfig): Promise<RedisCheckpointStore> {
  if (typeof url !== "string" || !/^rediss?:\/\//.test(url))
    throw new WaypointError("STORE_CONFIG", `REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(String(url))}.`);
  if (typeof prefix !== "string") throw new WaypointError("STORE_CONFIG", "The Redis key prefix must be a string.");
  if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0))
    throw new WaypointError("STORE_CONFIG", "The Redis TTL must be a positive number of seconds.");
  let ready = false;
  let lastError: Error | undefined;
  const redis = new Redis(url, {
    lazyConnect: true,
    // Bounded waits: a connect, and each command, give up after the timeout; while the connection is down
    // commands fail at once instead of queueing (no offline queue, no per-request retries), so a caller
    // learns of an outage immediately or within the timeout, never after minutes.
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    keepAlive: 10_000,
    // Once connected, reconnect with a bounded back-off; the first connect is not retried (see below).
    retryStrategy: (times) => (ready ? Math.min(times * 200, 2_000) : null),
    enableAutoPipelining: true,
  });
  // Without a listener ioredis logs every reconnect error; the latest one explains a failed connect.
  redis.on("error", (e: Error) => {
    lastError = e;
  });
  try {
    await redis.connect();
    ready = true;
  } catch (e) {
    redis.disconnect();
    throw unavailable(storeLabel("redis", url), lastError ?? e, timeoutMs);
  }
  const store = new RedisCheckpointStore(redis, { url, prefix, ttlSeconds, timeoutMs });
  try {
    await store.setup();
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  return store;
}
