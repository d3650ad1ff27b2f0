/**
 * Redis checkpoint store (ioredis, plain Redis 7: no RedisJSON / RediSearch modules needed).
 *
 * Layout and atomicity: see redis-scripts.ts. Every write is one Lua script (one round trip, all-or-nothing);
 * reads are one HMGET or one script. Nothing uses KEYS/SCAN. With `ttlSeconds`, all keys of a thread share one
 * deadline refreshed by every write to the thread, so a thread expires as a whole, ttl to 1.1 x ttl after its
 * last write; listings also drop index entries whose keys are gone (eviction) lazily.
 */
import { Redis, ReplyError } from "ioredis";
import { WaypointError, checkpointNotFound, isWaypointError, threadNotFound } from "../errors";
import { assertSafeId } from "./ids";
import { planPrune, type SkeletonRow } from "./prune";
import { SCRIPTS, THREAD_FIELDS, type ScriptName } from "./redis-scripts";
import { toSummary } from "./summary";
import type {
  Checkpoint,
  CheckpointStore,
  CheckpointSummary,
  ListOptions,
  ListThreadsOptions,
  LockResult,
  NewCheckpoint,
  PendingWrite,
  ThreadInfo,
  ThreadPage,
  ThreadPatch,
  ThreadStatus,
} from "./types";
import {
  encodeThreadCursor,
  validateKeep,
  validateListOptions,
  validateNewCheckpoint,
  validateThreadPatch,
  validateTtl,
  validateListThreads,
  validateWrites,
} from "./validate";

export interface RedisStoreOptions {
  /** e.g. redis://127.0.0.1:6379/0 (the REDIS_URL setting). */
  url: string;
  /** Prepended to every key; lets several apps or test runs share one Redis. Default "waypoint:". */
  prefix?: string;
  /** When set, a thread (checkpoints, index, record) expires this long after its last write. */
  ttlSeconds?: number;
}

type Reply = string | number | null | Reply[];
type ScriptFn = (...args: (string | number)[]) => Promise<Reply>;

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

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

/** The URL with any password masked, for error messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}

export class RedisCheckpointStore implements CheckpointStore {
  readonly kind = "redis";
  readonly prefix: string;
  readonly url: string;
  private readonly ttlMs: number;
  private readonly cmd: Record<ScriptName, ScriptFn>;

  /** Prefer `createRedisStore`, which connects and runs `setup()`. `redis` must not use ioredis' keyPrefix. */
  constructor(
    readonly redis: Redis,
    options: RedisStoreOptions,
  ) {
    this.url = options.url;
    this.prefix = options.prefix ?? "waypoint:";
    this.ttlMs = options.ttlSeconds === undefined ? 0 : Math.ceil(options.ttlSeconds * 1000);
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

  async save(checkpoint: NewCheckpoint): Promise<Checkpoint> {
    validateNewCheckpoint(checkpoint);
    // Stored apart: parentId (re-linked by delete/prune), pendingWrites (putWrites), version (assigned here).
    const { parentId, pendingWrites, version: _ignored, ...rest } = checkpoint as NewCheckpoint & { version?: unknown };
    const body = json(rest, "Checkpoint");
    const writes = json(pendingWrites, "pendingWrites");
    // The summary minus what the hash keeps apart (id is the key, p, v) or the caller knows (threadId).
    const { id: _id, threadId: _t, parentId: _p, version: _v, ...summary } = toSummary({ ...checkpoint, version: 0 });
    const now = new Date();
    const r = (await this.run(() =>
      this.cmd.wpSave(
        this.prefix,
        checkpoint.threadId,
        checkpoint.id,
        parentId ?? "",
        body,
        writes,
        now.getTime(),
        now.toISOString(),
        this.ttlMs,
        JSON.stringify(summary),
      ),
    )) as Reply[];
    if (r[0] !== 1) {
      const [, reason, detail] = r as [number, string, string];
      if (reason === "exists")
        throw bad(`Checkpoint "${checkpoint.id}" already exists${detail && detail !== checkpoint.threadId ? ` in thread "${detail}"` : ""}.`);
      if (reason === "no-parent") throw bad(`Parent checkpoint "${parentId}" does not exist.`);
      throw bad(`Parent checkpoint "${parentId}" belongs to thread "${detail}", not "${checkpoint.threadId}".`);
    }
    return this.toCheckpoint(checkpoint.id, parentId ?? "", r[1] as number, body, writes);
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const [p, v, b, w] = await this.run(() => this.redis.hmget(this.key(checkpointId), "p", "v", "b", "w"));
    if (b === null) throw checkpointNotFound(checkpointId);
    return this.toCheckpoint(checkpointId, p ?? "", Number(v), b, w ?? "[]");
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const min = o.after === undefined ? "-inf" : `(${o.after}`;
    const max = o.before === undefined ? "+inf" : `(${o.before}`;
    const flat = (await this.run(() =>
      this.cmd.wpList(this.prefix, threadId, min, max, o.order === "desc" ? "1" : "0", o.limit ?? 0, "0"),
    )) as string[];
    const out: Checkpoint[] = [];
    for (let i = 0; i < flat.length; i += 5) out.push(this.toCheckpoint(flat[i], flat[i + 1], Number(flat[i + 2]), flat[i + 3], flat[i + 4]));
    return out;
  }

  /** One script call (one round trip) that reads each checkpoint's `s` field, never its body. */
  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const min = o.after === undefined ? "-inf" : `(${o.after}`;
    const max = o.before === undefined ? "+inf" : `(${o.before}`;
    const flat = (await this.run(() =>
      this.cmd.wpList(this.prefix, threadId, min, max, o.order === "desc" ? "1" : "0", o.limit ?? 0, "1"),
    )) as string[];
    const out: CheckpointSummary[] = [];
    for (let i = 0; i < flat.length; i += 5) {
      const [id, parent, version, summary, body] = flat.slice(i, i + 5);
      const parentId = parent || null;
      if (summary) {
        const s = parse<Omit<CheckpointSummary, "id" | "threadId" | "parentId" | "version">>(summary, id);
        out.push({ id, threadId, parentId, version: Number(version), ...s });
      } else {
        // Saved before summaries existed: derive it from the body (the only case that parses a state).
        out.push(toSummary(this.toCheckpoint(id, parent, Number(version), body, "[]")));
      }
    }
    return out;
  }

  async latest(threadId: string): Promise<Checkpoint | null> {
    return (await this.list(threadId, { order: "desc", limit: 1 }))[0] ?? null;
  }

  async putWrites(checkpointId: string, writes: PendingWrite[]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const text = json(writes, "pendingWrites");
    if ((await this.run(() => this.cmd.wpPutWrites(this.key(checkpointId), text))) !== 1) throw checkpointNotFound(checkpointId);
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    if ((await this.run(() => this.cmd.wpDelete(this.prefix, checkpointId))) !== 1) throw checkpointNotFound(checkpointId);
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    await this.run(() => this.cmd.wpClear(this.prefix, threadId));
  }

  /**
   * Reads the thread's skeleton, plans with planPrune, and applies the plan in one script that first checks
   * the thread's change token: if a save/delete/prune slipped in between, nothing is applied and we retry.
   */
  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    for (let attempt = 0; attempt < 20; attempt++) {
      const flat = (await this.run(() => this.cmd.wpSkeleton(this.prefix, threadId))) as string[];
      const rows: SkeletonRow[] = [];
      for (let i = 1; i < flat.length; i += 3) rows.push({ id: flat[i], parentId: flat[i + 1] || null, version: Number(flat[i + 2]) });
      const plan = planPrune(rows, keep);
      if (plan.deleteIds.length === 0) return 0;
      const args = [...plan.deleteIds, ...plan.relink.flatMap((r) => [r.id, r.parentId ?? ""])];
      const n = (await this.run(() => this.cmd.wpApplyPrune(this.prefix, threadId, flat[0], plan.deleteIds.length, ...args))) as number;
      if (n >= 0) return n;
    }
    throw new WaypointError("STORE_UNAVAILABLE", `Could not prune thread "${threadId}": it kept changing during 20 attempts.`, { threadId });
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
    const g = patch.graphId === undefined ? ["0", ""] : patch.graphId === null ? ["-", ""] : ["1", patch.graphId];
    const s = patch.status === undefined ? ["0", ""] : ["1", patch.status];
    const e = patch.error === undefined ? ["0", ""] : ["1", json(patch.error, "Thread error")];
    const m = patch.metadata === undefined ? ["0", ""] : ["1", json(patch.metadata, "Thread metadata")];
    const f = (await this.run(() =>
      this.cmd.wpUpdateThread(this.prefix, threadId, now.getTime(), now.toISOString(), this.ttlMs, ...g, ...s, ...e, ...m),
    )) as (string | null)[];
    return this.toThreadInfo(threadId, f);
  }

  async listThreads(options?: ListThreadsOptions): Promise<ThreadPage> {
    const { status, graphId, limit, cursor } = validateListThreads(options);
    const flat = (await this.run(() =>
      this.cmd.wpListThreads(
        this.prefix,
        status ?? "",
        graphId ?? "",
        graphId === undefined ? "0" : "1",
        limit,
        cursor ? Date.parse(cursor.updatedAt) : "",
        cursor?.threadId ?? "",
      ),
    )) as (string | null)[];
    const threads: ThreadInfo[] = [];
    const width = THREAD_FIELDS.length + 1;
    for (let i = 0; i < flat.length; i += width) threads.push(this.toThreadInfo(flat[i] as string, flat.slice(i + 1, i + width)));
    const more = threads.length > limit;
    if (more) threads.length = limit;
    const last = threads[threads.length - 1];
    return { threads, nextCursor: more ? encodeThreadCursor(last.updatedAt, last.threadId) : null };
  }

  async acquireLock(threadId: string, owner: string, ttlMs: number): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
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

  /** Reassembles a checkpoint; the mutable/re-linkable parts override what the body holds. */
  private toCheckpoint(id: string, parent: string, version: number, body: string, writes: string): Checkpoint {
    const b = parse<Omit<Checkpoint, "parentId" | "version" | "pendingWrites">>(body, id);
    return { ...b, parentId: parent || null, version, pendingWrites: parse<PendingWrite[]>(writes, id) };
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
      throw new WaypointError("STORE_UNAVAILABLE", `Redis at ${safeUrl(this.url)} is unavailable: ${(e as Error).message}`, {}, { cause: e });
    }
  }
}

/** Connects (failing fast with STORE_UNAVAILABLE instead of retrying forever), then runs `setup()`. */
export async function createRedisStore({ url, prefix = "waypoint:", ttlSeconds }: RedisStoreOptions): Promise<RedisCheckpointStore> {
  if (typeof url !== "string" || !/^rediss?:\/\//.test(url))
    throw new WaypointError("STORE_CONFIG", `REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(String(url))}.`);
  if (typeof prefix !== "string") throw new WaypointError("STORE_CONFIG", "The Redis key prefix must be a string.");
  if (ttlSeconds !== undefined && !(Number.isFinite(ttlSeconds) && ttlSeconds > 0))
    throw new WaypointError("STORE_CONFIG", "The Redis TTL must be a positive number of seconds.");
  let ready = false;
  let lastError: Error | undefined;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 2,
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
    const reason = (lastError ?? (e as Error)).message || String(e);
    throw new WaypointError(
      "STORE_UNAVAILABLE",
      `Cannot connect to Redis at REDIS_URL=${safeUrl(url)}: ${reason}.`,
      { url: safeUrl(url) },
      { cause: lastError ?? e },
    );
  }
  const store = new RedisCheckpointStore(redis, { url, prefix, ttlSeconds });
  try {
    await store.setup();
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  return store;
}
