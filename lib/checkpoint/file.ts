/**
 * JSON-file checkpoint store. Layout under `dir`:
 *   checkpoints/<id>.json           one file per checkpoint, the source of truth for its content. Created with
 *                                   link(2) from a complete temp file: atomic, and it fails if the id exists, so
 *                                   duplicate ids are rejected across threads and processes. Delta layout
 *                                   (lib/checkpoint/delta.ts): the file holds the checkpoint's fields and either
 *                                   its full `state` (a snapshot: `depth` too) or `baseId`, `depth` and `ops` (the
 *                                   codec's ops text as a JSON string) against an ancestor's file. Files written
 *                                   before the delta layout have a full state and no `depth`: snapshots, depth 0.
 *                                   `load(id)` reads the file and, for a delta, its chain (base, base's base, ...
 *                                   down to a snapshot: at most GRID - 1 + log2(depth / GRID) more files).
 *   threads/<threadId>/index.jsonl  append-only {id,parentId,version,step,nodeName,timestamp,next,summary,baseId,
 *                                   depth} lines so list/latest never parse every checkpoint and listSummaries
 *                                   reads no checkpoint file at all (lines written before summaries existed lack
 *                                   `next`/`summary`: those checkpoints are read from their files; lines written
 *                                   before deltas lack `baseId`/`depth`: their files are snapshots); a torn last
 *                                   line (crash mid-append) is ignored; rewritten atomically on delete/prune. The
 *                                   index's `baseId` lets a chain's files be read in parallel and delete/prune
 *                                   find the survivors to fold without opening every file (see IndexEntry). Its
 *                                   `parentId` is the parent link every read returns (delete/prune re-link there).
 *   threads/<threadId>/thread.json  the thread record's own fields (graphId, status, error, metadata, createdAt,
 *                                   updatedAt), written atomically on the first save, updateThread, delete and
 *                                   prune. Head, count and the save-driven updatedAt are derived from the index
 *                                   when read, so a save costs one checkpoint file and one index line.
 *   locks/<threadId>.lock           the run lock {owner, expiresAt} (see FileLockTable in local-lock.ts), and its
 *   locks/<threadId>.lock.guard     cross-process critical-section file (exists only for milliseconds).
 *   locks/<id>.writes.guard         the same for rewrites of checkpoint <id>'s file (putWrites, appendWrites,
 *                                   delete/prune folds and re-links): see `rewrite`.
 *   tmp/, trash/                    temp files (same filesystem, so rename/link are atomic), threads being cleared.
 * Every write is: temp file, fsync, rename (or link), fsync of the directory. Ids are validated before any path
 * is built, and every path is checked to stay inside `dir`.
 *
 * Concurrency: versions are assigned under a per-thread mutex shared by every instance in this process (keyed
 * by absolute path). Writers to one thread from different processes are NOT serialised here: the engine's run
 * lock guarantees one writer per thread. The exception is a checkpoint's pending writes, which LangGraph's
 * parallel tasks (possibly in several processes) add while a run holds no Waypoint lock: every rewrite of a
 * checkpoint file re-reads and writes it inside that checkpoint's cross-process guard file, so appendWrites
 * from two processes never lose each other's writes (before issue 12, putWrites was serialised per process
 * only). Readers in other processes are always safe (atomic files, tolerant index). The index says which
 * checkpoints exist: a save that crashes after writing its checkpoint file but before its index line, or a
 * delete that crashes between its index rewrite and its unlinks, leaves an orphan file that no read returns
 * (`load` answers CHECKPOINT_NOT_FOUND); the save never returned, so nothing acknowledged is lost, and a
 * deleted checkpoint stays deleted.
 *
 * Crash safety of deltas: a save checks, under the thread mutex and right before linking its file, that its
 * base's file still exists (else it writes the full state). delete/prune first rebuild every survivor whose
 * base is being deleted and rewrite it as a snapshot (atomically, one file at a time), then rewrite the index,
 * then delete files: a crash at any point leaves every surviving checkpoint rebuildable (at worst, a few extra
 * snapshots). The texts of checkpoint files read for histories and chains are kept in memory while the
 * thread's index vouches for them (file-io.ts `cachedRecordText`: every in-place rewrite appends a
 * `{"rewrote": id}` line); the checkpoint `load` or `latest` asks for is always read from its file. The codec
 * remembers states it saved or rebuilt (by id: checkpoints are immutable) to encode the next save.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { checkpointNotFound, isCorruptCheckpoint, threadNotFound, WaypointError } from "../errors";
import { assertSafeId, isSafeId } from "./ids";
import { openStore } from "./open";
import { DeltaCodec, foldTargets, lazyState, parsedMetadata, type EncodedRow } from "./delta";
import { corrupt, type DeltaRow } from "./delta-format";
import {
  createAtomic,
  forgetIndex,
  cachedRecordText,
  fsyncDir,
  indexText,
  keepRecordText,
  textStamp,
  isCode,
  parseIndexLines,
  readIndexFile,
  writeAtomic,
  type IndexEntry,
  type IndexState,
} from "./file-io";
import { FileLockTable, withFileGuard, withMutex } from "./local-lock";
import { mergeTaskWrites, validateAppendWrites } from "./writes";
import { matchesMetadata, scalarMetadata, withoutRootNamespace, type MetadataFilter } from "./list-filter";
import { importDecision, importRow, laterIso, validateImport } from "./import";
import { planPrune, relinkAfterDelete } from "./prune";
import { storageReport, type RowSize } from "./storage";
import { assembleSummary, summaryExtra } from "./summary";
import type {
  Checkpoint,
  CheckpointMetadata,
  CheckpointStore,
  CheckpointSummary,
  ListOptions,
  ListThreadsOptions,
  AcquireOptions,
  LockResult,
  NewCheckpoint,
  SaveOptions,
  PendingInterrupt,
  PendingWrite,
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

export interface FileStoreConfig {
  dir: string;
  /**
   * Called for every checkpoint skipped by `list`/`latest` because its file, or a file on its delta chain, is
   * corrupt (`path` is its own file; the error names the broken one), and for a survivor of delete/prune that
   * could not be folded for the same reason (default: console.warn).
   */
  onCorrupt?: (info: { path: string; error: unknown }) => void;
}

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);
const rand = () => `${Date.now()}-${randomBytes(6).toString("hex")}`;

/** A checkpoint file as parsed: the checkpoint's fields with either `state` (snapshot) or `baseId`/`ops` (delta). */
interface FileRecord {
  id: string;
  threadId: string;
  /** Absent for the root namespace. */
  namespace?: string;
  parentId: string | null;
  version: number;
  step: number;
  nodeName: string;
  next: string[];
  interrupts: PendingInterrupt[];
  pendingWrites: PendingWrite[];
  metadata: CheckpointMetadata;
  timestamp: string;
  /** Snapshots only. */
  state?: Record<string, unknown>;
  /** Deltas only. */
  baseId?: string;
  ops?: string;
  /** Absent from files written before the delta layout (snapshots, depth 0). */
  depth?: number;
}

const isDelta = (rec: FileRecord) => typeof rec.ops === "string";

/** An index entry's namespace ("" = root; lines without a summary predate namespaces). */
const entryNs = (e: IndexEntry): string => e.summary?.namespace ?? "";

/** The newest root-namespace entry: the thread's head. */
function rootHead(entries: IndexEntry[]): IndexEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entryNs(entries[i]) === "") return entries[i];
  return undefined;
}

/** Why a parsed file is not a checkpoint file of `id`, or null if it is one. */
function invalidRecord(rec: FileRecord, id: string): string | null {
  if (typeof rec !== "object" || rec === null || rec.id !== id || !isSafeId(rec.threadId) || !Number.isInteger(rec.version))
    return "not a checkpoint of this id";
  if (rec.depth !== undefined && !(Number.isInteger(rec.depth) && rec.depth >= 0)) return "its depth is malformed";
  if (rec.ops !== undefined) {
    if (typeof rec.ops !== "string" || typeof rec.baseId !== "string" || !isSafeId(rec.baseId) || rec.depth === undefined)
      return "its delta fields are malformed";
  } else if (typeof rec.state !== "object" || rec.state === null || Array.isArray(rec.state)) return "its state is not an object";
  return null;
}

/**
 * The checkpoint a file holds, given its (rebuilt) state; fields in the contract's order. The parent link is
 * the index's when given: delete/prune re-link survivors in the index only (its rewrite is their commit point),
 * so a file keeps the parent it was saved with.
 */
function toCheckpoint(rec: FileRecord, state: Record<string, unknown>, index?: IndexState): Checkpoint {
  const entry = index?.byId.get(rec.id);
  return {
    id: rec.id,
    threadId: rec.threadId,
    ...(rec.namespace ? { namespace: rec.namespace } : {}),
    parentId: entry ? entry.parentId : rec.parentId,
    version: rec.version,
    step: rec.step,
    nodeName: rec.nodeName,
    state,
    next: rec.next,
    interrupts: rec.interrupts,
    pendingWrites: rec.pendingWrites,
    metadata: rec.metadata,
    timestamp: rec.timestamp,
  };
}

/** The fields of a checkpoint file other than metadata and state/delta, in the order they are written. */
type FileHead = Omit<FileRecord, "metadata" | "state" | "baseId" | "ops" | "depth">;

const headOf = (c: FileHead): FileHead => ({
  id: c.id,
  threadId: c.threadId,
  ...(c.namespace ? { namespace: c.namespace } : {}),
  parentId: c.parentId,
  version: c.version,
  step: c.step,
  nodeName: c.nodeName,
  next: c.next,
  interrupts: c.interrupts,
  pendingWrites: c.pendingWrites,
  timestamp: c.timestamp,
});

/**
 * A checkpoint file's text from its head's JSON, its metadata's JSON and what the codec stores: the state text
 * is spliced in as is (never serialised again); a delta's ops go in as a JSON string.
 */
function fileText(headJson: string, metadataJson: string, row: Pick<EncodedRow, "state" | "baseId" | "depth" | "ops">): string {
  const start = headJson.slice(0, -1) + ',"metadata":' + metadataJson;
  if (row.state !== null) return start + ',"depth":' + row.depth + ',"state":' + row.state + "}";
  return start + ',"baseId":' + JSON.stringify(row.baseId) + ',"depth":' + row.depth + ',"ops":' + JSON.stringify(row.ops) + "}";
}

/** The codec's view of a file, built once per parsed record (texts are produced only if the codec asks). */
const deltaRows = new WeakMap<FileRecord, DeltaRow>();
function deltaRow(rec: FileRecord): DeltaRow {
  let row = deltaRows.get(rec);
  if (row) return row;
  let state: string | undefined;
  let metadata: string | undefined;
  const delta = isDelta(rec);
  row = {
    id: rec.id,
    baseId: delta ? rec.baseId! : null,
    depth: rec.depth ?? null,
    ops: delta ? rec.ops! : null,
    parsed: { state: rec.state, metadata: rec.metadata ?? null },
    get state() {
      return delta ? null : (state ??= JSON.stringify(rec.state));
    },
    get metadata() {
      return (metadata ??= JSON.stringify(rec.metadata ?? null));
    },
  };
  deltaRows.set(rec, row);
  return row;
}

/** A CORRUPT_CHECKPOINT about another checkpoint (a base on the chain), restated as being about `id`. */
function aboutTop(id: string, err: unknown): unknown {
  if (!isCorruptCheckpoint(err) || err.details.checkpointId === id) return err;
  return new WaypointError(
    "CORRUPT_CHECKPOINT",
    `Checkpoint "${id}" cannot be rebuilt: ${err.message}`,
    { ...err.details, checkpointId: id, brokenCheckpointId: err.details.checkpointId },
    { cause: err },
  );
}

/**
 * File reads memoised for one call (a chain's base may be shared by many rows of a page); never kept after it.
 * `prefetch` reads files synchronously into the memo, PREFETCH_BATCH at a time between yields to the event loop.
 */
type Reads = ((id: string) => Promise<FileRecord | null>) & { prefetch: (ids: Iterable<string>) => Promise<void> };
const PREFETCH_BATCH = 64;

export class FileCheckpointStore implements CheckpointStore {
  readonly kind = "file";
  /** Absolute; after setup() also free of symlinks, so every instance on one directory shares mutexes. */
  dir: string;
  private readonly onCorrupt: (info: { path: string; error: unknown }) => void;
  /** Per instance, like a process's (delta.ts): remembers recent states to encode the next save as a delta. */
  private readonly codec = new DeltaCodec();

  constructor(config: FileStoreConfig) {
    if (!config || typeof config.dir !== "string" || !config.dir)
      throw new WaypointError("STORE_CONFIG", "CHECKPOINT_DIR: a directory is required for the file store.");
    // The store's paths are runtime data, not app files: keep Next's output tracing from following them.
    this.dir = path.resolve(/*turbopackIgnore: true*/ config.dir);
    this.onCorrupt =
      config.onCorrupt ??
      (({ path: p, error }) => console.warn(`[waypoint] skipping corrupt checkpoint ${p}: ${(error as Error)?.message ?? error}`));
  }

  async setup(): Promise<void> {
    for (const sub of ["checkpoints", "threads", "locks", "tmp", "trash"]) await fs.mkdir(this.p(sub), { recursive: true });
    this.dir = await fs.realpath(this.dir);
    // Finish clears interrupted by a crash, and drop temp files old enough that no live writer owns them.
    for (const name of await fs.readdir(this.p("trash"))) await this.purge(this.p("trash", name));
    const cutoff = Date.now() - 10 * 60_000;
    for (const name of await fs.readdir(this.p("tmp"))) {
      const p = this.p("tmp", name);
      const st = await fs.stat(p).catch(() => null);
      if (st && st.mtimeMs < cutoff) await fs.rm(p, { force: true, recursive: true });
    }
  }

  async close(): Promise<void> {}

  // ---- paths and low-level io -------------------------------------------------------------------------------

  /** Joins under `dir` and asserts the result stays inside it (defence in depth behind assertSafeId). */
  private p(...parts: string[]): string {
    const full = path.resolve(/*turbopackIgnore: true*/ this.dir, ...parts);
    if (!full.startsWith(this.dir + path.sep)) throw new WaypointError("INVALID_ID", `Path escapes the store directory: ${parts.join("/")}`);
    return full;
  }
  private cpPath = (id: string) => this.p("checkpoints", `${id}.json`);
  private threadDir = (t: string) => this.p("threads", t);
  private indexPath = (t: string) => this.p("threads", t, "index.jsonl");
  private recordPath = (t: string) => this.p("threads", t, "thread.json");
  private get locks() {
    return new FileLockTable(this.p("locks"), this.p("tmp"));
  }
  private tmpPath = () => this.p("tmp", rand());

  private writeAtomic = (file: string, data: string) => writeAtomic(this.tmpPath(), file, data);
  private createAtomic = (file: string, data: string, beforeLink?: () => Promise<string | null>) =>
    createAtomic(this.tmpPath(), file, data, beforeLink);
  private fsyncDir = fsyncDir;
  private readIndex = (t: string) => readIndexFile(this.indexPath(t));
  /** Rewrites a thread's index; its parse is forgotten, so this process starts a new one (and a new `serial`). */
  private writeIndex = async (t: string, entries: IndexEntry[], highWater: number) => {
    await this.writeAtomic(this.indexPath(t), indexText(entries, highWater));
    forgetIndex(this.indexPath(t));
  };

  /**
   * Reads and checks one checkpoint file: null if missing, CORRUPT_CHECKPOINT (naming the id) if unreadable.
   * With `index` (the thread's, read before this call), a text cached under it is used and a fresh one kept
   * (file-io.ts `cachedRecordText`).
   */
  private async readRec(id: string, index?: IndexState): Promise<FileRecord | null> {
    const file = this.cpPath(id);
    const stamp = index ? textStamp(index, id) : null;
    let text = stamp ? cachedRecordText(file, stamp) : undefined;
    if (text === undefined) {
      try {
        text = await fs.readFile(file, "utf8");
      } catch (err) {
        if (isCode(err, "ENOENT")) return null;
        throw err;
      }
      const rec = this.parseRec(file, id, text);
      if (stamp) keepRecordText(file, text, stamp);
      return rec;
    }
    return this.parseRec(file, id, text);
  }

  /**
   * `readRec` done synchronously, for many small files at once (see `Reads.prefetch`): a promise-based readFile
   * is four thread-pool hops (open, fstat, read, close), ~0.15 ms each file on this kind of machine, against
   * ~40 µs for a synchronous read of a small cached file. The result is a settled promise, so callers see the
   * same outcome as with `readRec`.
   */
  private readRecSync(id: string, index?: IndexState): Promise<FileRecord | null> {
    try {
      const file = this.cpPath(id);
      const stamp = index ? textStamp(index, id) : null;
      let text = stamp ? cachedRecordText(file, stamp) : undefined;
      if (text === undefined) {
        try {
          text = readFileSync(file, "utf8");
        } catch (err) {
          if (isCode(err, "ENOENT")) return Promise.resolve(null);
          throw err;
        }
        const rec = this.parseRec(file, id, text);
        if (stamp) keepRecordText(file, text, stamp);
        return Promise.resolve(rec);
      }
      return Promise.resolve(this.parseRec(file, id, text));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private parseRec(file: string, id: string, text: string): FileRecord {
    try {
      const rec = JSON.parse(text) as FileRecord;
      const why = invalidRecord(rec, id);
      if (why) throw new Error(why);
      return rec;
    } catch (error) {
      throw new WaypointError(
        "CORRUPT_CHECKPOINT",
        `Checkpoint file ${file} (checkpoint "${id}") is corrupt: ${(error as Error).message}`,
        { path: file, checkpointId: id },
        { cause: error },
      );
    }
  }

  /**
   * A checkpoint's file, only if its thread's index lists it (else null). A file the index does not list is
   * not a checkpoint: an orphan of a save cut short before its index line, or of a delete or prune cut short
   * between its index rewrite and its unlinks, whose base may already be gone.
   */
  private async readIndexedRec(id: string): Promise<FileRecord | null> {
    const rec = await this.readRec(id);
    return rec && (await this.readIndex(rec.threadId)).byId.has(id) ? rec : null;
  }

  private exists = (file: string) =>
    fs.stat(file).then(
      () => true,
      (err) => (isCode(err, "ENOENT") ? false : Promise.reject(err)),
    );

  /** A fresh memo of file reads for one call; with the thread's `index`, cached file texts are used (readRec). */
  private reads(index?: IndexState): Reads {
    const memo = new Map<string, Promise<FileRecord | null>>();
    const settle = (id: string, p: Promise<FileRecord | null>) => {
      p.catch(() => {}); // prefetched reads may never be awaited; a rejection surfaces when one is
      memo.set(id, p);
      return p;
    };
    const reads = ((id: string) => memo.get(id) ?? settle(id, this.readRec(id, index))) as Reads;
    reads.prefetch = async (ids) => {
      let n = 0;
      for (const id of ids) {
        if (memo.has(id)) continue;
        settle(id, this.readRecSync(id, index));
        // Yield now and then, so a long history never blocks the event loop for more than ~a millisecond.
        if (++n % PREFETCH_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    return reads;
  }

  /**
   * The chain of `top` for the codec: top, its base, ... down to a snapshot, read from their files and
   * following the files' own `baseId`. The index, when given, names each row's base (or one since folded into
   * a snapshot), so the chain's files are read in parallel first. A missing base ends the chain early (the
   * codec reports it); an unreadable one rejects CORRUPT_CHECKPOINT.
   */
  private async chainOf(top: FileRecord, reads: Reads, index?: IndexState): Promise<FileRecord[]> {
    if (index && isDelta(top)) {
      const bases: string[] = [];
      for (let b: string | null | undefined = top.baseId, n = 0; b && n < 256; b = index.byId.get(b)?.baseId, n++) bases.push(b);
      await reads.prefetch(bases);
    }
    const chain = [top];
    const seen = new Set([top.id]);
    for (let r = top; isDelta(r);) {
      const base = await reads(r.baseId!);
      if (!base) break;
      if (base.threadId !== top.threadId || seen.has(base.id))
        throw corrupt(r.id, `its base "${base.id}" is not an earlier checkpoint of its thread`);
      seen.add(base.id);
      chain.push((r = base));
    }
    return chain;
  }

  /** The state of a file's checkpoint (rebuilt from its chain for a delta); with `prime`, the codec remembers it. */
  private async stateOf(top: FileRecord, reads: Reads, index: IndexState | undefined, prime: boolean): Promise<Record<string, unknown>> {
    if (!isDelta(top) && !prime) return top.state!;
    try {
      const state = this.codec.rebuildState((await this.chainOf(top, reads, index)).map(deltaRow), top.threadId, prime);
      return isDelta(top) ? state : top.state!;
    } catch (err) {
      throw aboutTop(top.id, err);
    }
  }

  /**
   * States of a page of records of one thread, by id: snapshots as read, deltas through `rebuildManyStates` (each
   * rebuilt once, bases outside the page read by chain). If some chain cannot be rebuilt, each delta is
   * rebuilt on its own and the ones that fail are reported and left out (null).
   */
  private async statesOf(recs: FileRecord[], reads: Reads, index: IndexState): Promise<Map<string, Record<string, unknown> | null>> {
    const out = new Map<string, Record<string, unknown> | null>();
    const deltas: FileRecord[] = [];
    for (const r of recs)
      if (isDelta(r)) deltas.push(r);
      else out.set(r.id, r.state!);
    if (deltas.length === 0) return out;
    const fetchChain = async (id: string) => {
      const top = await reads(id);
      return top ? (await this.chainOf(top, reads, index)).map(deltaRow) : [];
    };
    try {
      // Snapshots go in too, so a delta on one in the page starts from its parsed state.
      const states = await this.codec.rebuildManyStates(recs.map(deltaRow), fetchChain);
      for (const r of deltas) out.set(r.id, states.get(r.id)!);
    } catch (err) {
      if (!isCorruptCheckpoint(err)) throw err;
      for (const r of deltas)
        out.set(
          r.id,
          await this.stateOf(r, reads, index, false).catch((error) => {
            if (!isCorruptCheckpoint(error)) throw error;
            this.onCorrupt({ path: this.cpPath(r.id), error });
            return null;
          }),
        );
    }
    return out;
  }

  private async readRecord(t: string): Promise<ThreadInfo | null> {
    const file = this.recordPath(t);
    try {
      return JSON.parse(await fs.readFile(file, "utf8")) as ThreadInfo;
    } catch (err) {
      if (isCode(err, "ENOENT") || isCode(err, "ENOTDIR")) return null;
      this.onCorrupt({ path: file, error: err });
      return null;
    }
  }

  private newRecord(t: string, now: string): ThreadInfo {
    return {
      threadId: t,
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

  /** Writes the record's own fields (caller holds the thread mutex and has created the thread directory). */
  private async writeRecord(rec: ThreadInfo): Promise<void> {
    const { headCheckpointId: _h, headVersion: _v, checkpointCount: _c, ...own } = rec;
    await this.writeAtomic(this.recordPath(rec.threadId), JSON.stringify(own));
  }

  /** Bumps updatedAt after delete/prune (creating the record if a crash lost it). */
  private async touch(t: string, entries: IndexEntry[]): Promise<void> {
    const now = new Date().toISOString();
    const rec = (await this.readRecord(t)) ?? this.newRecord(t, entries[0]?.savedAt ?? now);
    await this.writeRecord({ ...rec, updatedAt: now });
  }

  /** The thread as callers see it: stored fields plus head/count/updatedAt from the index; null if none. */
  private async threadInfo(t: string): Promise<ThreadInfo | null> {
    const [stored, { entries }] = await Promise.all([this.readRecord(t), this.readIndex(t)]);
    const head = rootHead(entries);
    const last = entries[entries.length - 1]; // any namespace: its save moved updatedAt
    // No record but checkpoints: a crash right after the thread's first save; the index still defines it.
    const rec = stored ?? (last ? this.newRecord(t, entries[0].savedAt ?? entries[0].timestamp) : null);
    if (!rec) return null;
    const saved = last?.savedAt ?? "";
    return {
      ...rec,
      headCheckpointId: head?.id ?? null,
      headVersion: head?.version ?? 0,
      checkpointCount: entries.length,
      updatedAt: saved > rec.updatedAt ? saved : rec.updatedAt,
    };
  }

  private threadMutex<T>(t: string, fn: () => Promise<T>): Promise<T> {
    return withMutex(`${this.dir}\0thread\0${t}`, fn);
  }

  /** The thread of an existing checkpoint (from its file); CHECKPOINT_NOT_FOUND if none. */
  private async threadOf(id: string): Promise<string> {
    const cp = await this.readRec(id);
    if (!cp) throw checkpointNotFound(id);
    return cp.threadId;
  }

  // ---- checkpoints ----------------------------------------------------------------------------------------

  async save(given: NewCheckpoint, options?: SaveOptions): Promise<Checkpoint> {
    validateNewCheckpoint(given);
    const input = withoutRootNamespace(given);
    const { thread: patch, releaseLock, lockOwner } = validateSaveOptions(options);
    const patchCopy = patch && (JSON.parse(toJson(patch, "Thread patch")) as ThreadPatch);
    const t = input.threadId;
    // The fence (SaveOptions.lockOwner) holds the lock file's critical section over the whole write.
    const fenced = <T>(fn: () => Promise<T>) =>
      lockOwner === undefined ? fn() : this.locks.whileHeld(t, lockOwner, (h) => fencedOut(t, lockOwner, h), fn);
    // Files give no multi-file atomicity: the patch follows the index line under the same thread mutex, and the
    // lock's release follows that (a crash in between leaves the lock to expire, as a crashed run's would).
    const saved = await this.threadMutex(t, () =>
      fenced(async () => {
        const index = await this.readIndex(t);
        const entries = index.entries;
        if (index.byId.has(input.id)) throw bad(`Checkpoint "${input.id}" already exists.`);
        if (input.parentId !== null && !index.byId.has(input.parentId)) throw bad(`Parent checkpoint "${input.parentId}" is not in thread "${t}".`);
        const version = Math.max(entries[entries.length - 1]?.version ?? 0, index.highWater) + 1;
        // Each may reject; nothing is written yet. The state is serialised once, by the codec.
        const headJson = toJson(headOf({ ...input, version }), "Checkpoint");
        const metadataJson = toJson(input.metadata, "Checkpoint metadata");
        let row = this.codec.encode(input, metadataJson);
        const file = this.cpPath(input.id);
        // Under the thread mutex, right before the link: a delta whose base file is gone is written whole.
        const baseCheck = async () => {
          if (row.baseId === null || (await this.exists(this.cpPath(row.baseId)))) return null;
          row = this.codec.asSnapshot(row);
          return fileText(headJson, metadataJson, row);
        };
        if (!(await this.createAtomic(file, fileText(headJson, metadataJson, row), baseCheck))) throw bad(`Checkpoint "${input.id}" already exists.`);
        const stored = lazyState(
          toCheckpoint({ ...(JSON.parse(headJson) as FileHead), metadata: parsedMetadata(row, metadataJson) as CheckpointMetadata }, {}),
          row,
        );
        const savedAt = new Date().toISOString();
        const entry: IndexEntry = {
          id: input.id,
          parentId: input.parentId,
          version,
          step: input.step,
          nodeName: input.nodeName,
          timestamp: input.timestamp,
          savedAt,
          next: stored.next,
          summary: summaryExtra(stored),
          baseId: row.baseId,
          depth: row.depth,
          meta: scalarMetadata(input.metadata),
        };
        try {
          await this.appendIndexLine(t, index, entry);
          // The first save of a thread records its creation (createdAt must survive pruning the first checkpoint).
          if (entries.length === 0 && !(await this.readRecord(t))) await this.writeRecord(this.newRecord(t, savedAt));
        } catch (err) {
          await fs.rm(file, { force: true }); // not acknowledged: leave no trace
          throw err;
        }
        this.codec.remember(row.entry);
        if (patch) await this.patchRecord(t, patch, patchCopy!);
        return stored;
      }),
    );
    if (releaseLock !== undefined) await this.locks.release(t, releaseLock);
    return saved;
  }

  /**
   * See types.ts. Under the thread mutex, like `save`: the checkpoint file (whole: import.ts) is linked into
   * place, then its index line appended (the commit point; the index sorts lines by version when read, so an
   * import older than the head is listed in order). A thread with no record gets one; one whose head does not
   * change gets its updatedAt moved forward in the record (the head's line drives it otherwise).
   */
  async importCheckpoint(given: Checkpoint): Promise<boolean> {
    validateImport(given);
    const input = withoutRootNamespace(given);
    const t = input.threadId;
    const headJson = toJson(headOf(input), "Checkpoint");
    const metadataJson = toJson(input.metadata, "Checkpoint metadata");
    return this.threadMutex(t, async () => {
      const index = await this.readIndex(t);
      const indexed = index.byId.get(input.id);
      let existing = indexed ? { threadId: t, version: indexed.version } : null;
      if (!existing) {
        const rec = await this.readRec(input.id);
        if (rec && rec.threadId === t) throw bad(`Checkpoint "${input.id}" already exists (an unindexed file of a crashed save).`);
        if (rec) existing = { threadId: rec.threadId, version: rec.version };
      }
      const holder = index.entries.find((e) => e.version === input.version)?.id ?? null;
      const parentThreadId = input.parentId !== null && index.byId.has(input.parentId) ? t : null;
      if (!importDecision(input, { existing, versionHolder: holder, parentThreadId })) return false;
      const row = importRow(this.codec, input, metadataJson);
      const file = this.cpPath(input.id);
      if (!(await this.createAtomic(file, fileText(headJson, metadataJson, row)))) throw bad(`Checkpoint "${input.id}" already exists.`);
      const stored = toCheckpoint({ ...(JSON.parse(headJson) as FileHead), metadata: JSON.parse(metadataJson) as CheckpointMetadata }, {});
      const savedAt = new Date().toISOString();
      const entry: IndexEntry = {
        id: input.id,
        parentId: input.parentId,
        version: input.version,
        step: input.step,
        nodeName: input.nodeName,
        timestamp: input.timestamp,
        savedAt,
        next: stored.next,
        summary: summaryExtra(stored),
        baseId: null,
        depth: row.depth,
        meta: scalarMetadata(input.metadata),
      };
      const last = index.entries[index.entries.length - 1];
      try {
        await this.appendIndexLine(t, index, entry);
        const rec = await this.readRecord(t);
        if (!rec) await this.writeRecord(this.newRecord(t, savedAt));
        else if (last && last.version > input.version) await this.writeRecord({ ...rec, updatedAt: laterIso(rec.updatedAt, savedAt) });
      } catch (err) {
        await fs.rm(file, { force: true }); // not acknowledged: leave no trace
        throw err;
      }
      this.codec.remember(row.entry);
      return true;
    });
  }

  /**
   * Appends one durable index line (caller holds the thread mutex): the commit point of `save` and
   * `importCheckpoint`. A torn tail (crash mid-append) is terminated first so it stays one ignorable garbage line.
   */
  private async appendIndexLine(t: string, index: IndexState, entry: IndexEntry | { rewrote: string }): Promise<void> {
    await fs.mkdir(this.threadDir(t), { recursive: true });
    const line = (index.fileSize > index.size ? "\n" : "") + JSON.stringify(entry) + "\n";
    const h = await fs.open(this.indexPath(t), "a");
    try {
      await h.writeFile(line);
      await h.sync();
    } finally {
      await h.close();
    }
    if (index.fileSize === 0) await this.fsyncDir(this.threadDir(t));
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const rec = await this.readIndexedRec(checkpointId);
    if (!rec) throw checkpointNotFound(checkpointId);
    // The index is also a hint for a delta's chain (its bases' files are read in parallel).
    const index = await this.readIndex(rec.threadId);
    return toCheckpoint(rec, await this.stateOf(rec, this.reads(index), index, true), index);
  }

  /** The index entries of a thread in `list` order, before the limit (validates first). */
  private async pick(threadId: string, options?: ListOptions): Promise<{ picked: IndexEntry[]; want: number; index: IndexState }> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const index = await this.readIndex(threadId);
    const { entries } = index;
    let picked = entries.filter(
      (e) =>
        (o.after === undefined || e.version > o.after) &&
        (o.before === undefined || e.version < o.before) &&
        (o.namespace === undefined || entryNs(e) === o.namespace),
    );
    if (o.metadata) picked = await this.withMetadata(picked, o.metadata);
    if (o.order === "desc") picked = picked.reverse();
    return { picked, want: o.limit ?? picked.length, index };
  }

  /**
   * The entries whose checkpoint's metadata matches `filter`: from the index line's `meta`, or for lines written
   * before it existed from the checkpoint's file (its metadata; a missing or corrupt file does not match).
   */
  private async withMetadata(entries: IndexEntry[], filter: MetadataFilter): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    for (const e of entries) {
      const md = e.meta ?? (await this.readRec(e.id).catch(() => null))?.metadata;
      if (md && matchesMetadata(md, filter)) out.push(e);
    }
    return out;
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    const { picked, want, index } = await this.pick(threadId, options);
    const reads = this.reads(index);
    const out: Checkpoint[] = [];
    // Read exactly what is still wanted, so a limit does not read every file and skipped (corrupt, missing or
    // unrebuildable) checkpoints are made up for by the next batch.
    for (let i = 0; i < picked.length && out.length < want;) {
      const batch = picked.slice(i, i + (want - out.length));
      i += batch.length;
      await reads.prefetch(batch.map((e) => e.id));
      const read = await Promise.all(
        batch.map((e) =>
          reads(e.id).catch((error) => {
            if (!isCorruptCheckpoint(error)) throw error; // I/O errors are not corruption: surface them
            this.onCorrupt({ path: this.cpPath(e.id), error });
            return null;
          }),
        ),
      );
      const recs = read.filter((r): r is FileRecord => r !== null && r.threadId === threadId);
      const states = await this.statesOf(recs, reads, index);
      for (const r of recs) {
        const state = states.get(r.id);
        if (state && out.length < want) out.push(toCheckpoint(r, state, index));
      }
    }
    return out;
  }

  /**
   * From the index alone. Entries from old index lines without a summary fall back to reading their file
   * (skipped when missing or corrupt, as `list` does); once every line has one, no checkpoint file is opened,
   * so a corrupt file that `list` would skip still shows here until it is deleted.
   */
  async listSummaries(threadId: string, options?: ListOptions): Promise<CheckpointSummary[]> {
    const { picked, want } = await this.pick(threadId, options);
    // Fresh arrays: the parsed index is cached and shared, so callers must not get its objects.
    const fromIndex = (e: IndexEntry) => {
      const x = e.summary!;
      return assembleSummary(
        {
          id: e.id,
          threadId,
          parentId: e.parentId,
          version: e.version,
          step: e.step,
          nodeName: e.nodeName,
          next: [...e.next!],
          timestamp: e.timestamp,
        },
        { ...x, interrupts: x.interrupts.map((i) => ({ ...i })), channels: [...x.channels] },
      );
    };
    const indexed = (e: IndexEntry) => e.summary !== undefined && e.next !== undefined;
    if (picked.every(indexed)) return picked.slice(0, want).map(fromIndex);
    const out: CheckpointSummary[] = [];
    // Same batching as `list`: read only what is still wanted, make up for skipped files with the next batch.
    for (let i = 0; i < picked.length && out.length < want;) {
      const batch = picked.slice(i, i + (want - out.length));
      i += batch.length;
      const got = await Promise.all(
        batch.map((e) =>
          indexed(e)
            ? fromIndex(e)
            : this.readRec(e.id).then(
                (rec) => (rec && rec.threadId === threadId ? assembleSummary({ ...rec, parentId: e.parentId }, summaryExtra(rec)) : null),
                (error) => {
                  if (!isCorruptCheckpoint(error)) throw error;
                  this.onCorrupt({ path: this.cpPath(e.id), error });
                  return null;
                },
              ),
        ),
      );
      for (const sum of got) if (sum && out.length < want) out.push(sum);
    }
    return out;
  }

  /** The newest checkpoint that can be read and rebuilt (corrupt ones are reported and skipped, as in `list`). */
  async latest(threadId: string): Promise<Checkpoint | null> {
    assertSafeId(threadId, "thread");
    const index = await this.readIndex(threadId);
    const reads = this.reads(index);
    for (let i = index.entries.length - 1; i >= 0; i--) {
      if (entryNs(index.entries[i]) !== "") continue; // a subgraph checkpoint is never latest
      const id = index.entries[i].id;
      try {
        const rec = await this.readRec(id); // the head itself from its file, its chain's bases through the cache
        if (rec && rec.threadId === threadId) return toCheckpoint(rec, await this.stateOf(rec, reads, index, true), index);
      } catch (error) {
        if (!isCorruptCheckpoint(error)) throw error;
        this.onCorrupt({ path: this.cpPath(id), error });
      }
    }
    return null;
  }

  async putWrites(checkpointId: string, writes: PendingWrite[]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const copy = JSON.parse(toJson(writes, "Pending writes")) as PendingWrite[];
    await this.rewrite(checkpointId, (rec) => {
      rec.pendingWrites = copy;
      return true;
    });
  }

  /** See types.ts: the merge runs on the file as read inside the checkpoint's cross-process guard (`rewrite`). */
  async appendWrites(checkpointId: string, taskId: string, writes: TaskWrite[]): Promise<void> {
    const adds = validateAppendWrites(checkpointId, taskId, writes);
    await this.rewrite(checkpointId, (rec) => {
      const merged = mergeTaskWrites(rec.pendingWrites, adds);
      if (merged) rec.pendingWrites = merged;
      return merged !== null;
    });
  }

  /**
   * Changes a checkpoint file in place (`change` edits the parsed record and says whether to write it): under the
   * thread mutex (in-process deletes) and the checkpoint's guard file `locks/<id>.writes` (withFileGuard), which
   * every rewrite of a checkpoint file takes, so writers in other processes cannot interleave their read and
   * write with ours and lose an update. The file is replaced atomically; a delta stays a delta.
   */
  private async rewrite(checkpointId: string, change: (rec: FileRecord) => boolean): Promise<void> {
    const t = await this.threadOf(checkpointId);
    await this.threadMutex(t, () =>
      this.guarded(checkpointId, async () => {
        const rec = await this.readIndexedRec(checkpointId); // re-read inside the guard: it may have changed or gone meanwhile
        if (!rec) throw checkpointNotFound(checkpointId);
        if (!change(rec)) return;
        await this.writeAtomic(this.cpPath(checkpointId), JSON.stringify(rec));
        // Tells every process that cached this file's text that it changed (file-io.ts `cachedRecordText`).
        await this.appendIndexLine(t, await this.readIndex(t), { rewrote: checkpointId });
      }),
    );
  }

  /** The cross-process critical section on one checkpoint file's content (see `rewrite`). */
  private guarded<T>(checkpointId: string, fn: () => Promise<T>): Promise<T> {
    return withFileGuard(this.p("locks", `${checkpointId}.writes`), fn);
  }

  /**
   * Deletes `deleted` from thread `t`, in an order where a crash at any point leaves every surviving checkpoint
   * rebuildable and no dangling parent:
   * 1. survivors stored against a deleted base (`foldTargets`, found from the index) get their state rebuilt
   *    while the whole chain still exists, and are rewritten as snapshots (keeping their depth), each atomically;
   * 2. the index is rewritten without the deleted entries, with the new parents and folded bases: the commit
   *    point. Parent links are read from the index only (toCheckpoint), so re-linking writes no file, and a crash
   *    before this point leaves every link as it was (a child re-linked in a file but not in the index would
   *    dangle once a later prune removed that parent but kept the old one);
   * 3. the files are removed (newest first), then the record updated.
   * A crash before 2 leaves extra snapshots; after 2, the deleted ones are unindexed orphan files that no read
   * returns (delete() removes such orphans). A survivor that is already unrebuildable (corrupt chain) is
   * reported and left as it is.
   */
  private async remove(t: string, entries: IndexEntry[], deleted: Set<string>, relink: { id: string; parentId: string | null }[]) {
    const newParent = new Map(relink.map((r) => [r.id, r.parentId]));
    const index = await this.readIndex(t);
    const reads = this.reads();
    const snapshots = new Set<string>(); // fold targets whose file is (now) a snapshot
    // File text of each rewritten fold target, from its pending writes as they are when it is written.
    const folded = new Map<string, (pendingWrites?: PendingWrite[]) => string>();
    for (const id of foldTargets(
      entries.map((e) => ({ id: e.id, baseId: e.baseId ?? null })),
      deleted,
    )) {
      try {
        const rec = await reads(id);
        if (!rec) continue;
        if (!isDelta(rec))
          snapshots.add(id); // folded by an earlier delete/prune that crashed before its index rewrite
        else {
          const state = this.codec.rebuild((await this.chainOf(rec, reads, index)).map(deltaRow), t);
          const { baseId: _b, ops: _o, depth, metadata, ...head } = rec;
          folded.set(id, (pendingWrites = rec.pendingWrites) =>
            fileText(JSON.stringify(headOf({ ...head, pendingWrites })), JSON.stringify(metadata), {
              state,
              baseId: null,
              depth: depth ?? 0,
              ops: null,
            }),
          );
        }
      } catch (error) {
        if (!isCorruptCheckpoint(error)) throw error;
        this.onCorrupt({ path: this.cpPath(id), error: aboutTop(id, error) });
      }
    }
    // Every state is rebuilt before any file changes.
    // Each file is re-read inside its guard so pending writes another process appended meanwhile are kept.
    for (const [id, text] of folded) {
      await this.guarded(id, async () => {
        // Written whatever the re-read finds, as before the guard existed (unreadable now: the writes read earlier).
        const cur = await this.readRec(id).catch(() => null);
        await this.writeAtomic(this.cpPath(id), text(cur?.pendingWrites));
      });
      snapshots.add(id);
    }
    const left = entries
      .filter((e) => !deleted.has(e.id))
      .map((e) => (newParent.has(e.id) ? { ...e, parentId: newParent.get(e.id)! } : e))
      .map((e) => (snapshots.has(e.id) ? { ...e, baseId: null } : e));
    const highWater = Math.max(index.highWater, ...entries.map((e) => e.version));
    await this.writeIndex(t, left, highWater);
    // Newest first: a base is always older than the rows on it, so a crash part-way leaves every remaining
    // (unindexed) file of a deleted checkpoint rebuildable too.
    for (const e of [...entries].reverse()) if (deleted.has(e.id)) await fs.rm(this.cpPath(e.id), { force: true });
    await this.fsyncDir(this.p("checkpoints"));
    this.codec.forget();
    await this.touch(t, left);
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    const t = await this.threadOf(checkpointId); // a corrupt file rejects CORRUPT_CHECKPOINT (prune/clear still remove it)
    await this.threadMutex(t, async () => {
      const { entries, byId } = await this.readIndex(t);
      if (!byId.has(checkpointId)) {
        if (!(await this.readRec(checkpointId).catch(() => null))) throw checkpointNotFound(checkpointId);
        await fs.rm(this.cpPath(checkpointId), { force: true }); // an orphan of a crashed save or delete
        return;
      }
      const deleted = new Set([checkpointId]);
      await this.remove(t, entries, deleted, relinkAfterDelete(entries, deleted));
    });
  }

  async prune(threadId: string, keep: number): Promise<number> {
    assertSafeId(threadId, "thread");
    validateKeep(keep);
    return this.threadMutex(threadId, async () => {
      const { entries } = await this.readIndex(threadId);
      const plan = planPrune(entries, keep);
      if (plan.deleteIds.length === 0) return 0;
      await this.remove(threadId, entries, new Set(plan.deleteIds), plan.relink);
      return plan.deleteIds.length;
    });
  }

  /**
   * Bytes per checkpoint: its file's size (fs.stat: head fields, metadata, pending writes and the full state or
   * the delta) plus the UTF-8 bytes of its index line (ids, version, step, node, times, next, summary, base and
   * depth, and the newline). thread.json, locks and directory entries are not counted. A checkpoint is a
   * snapshot when its file holds a full state: known from the index when its line has no base, else read from
   * the file (deltas are small). Listed checkpoints whose file is missing are left out.
   */
  async storage(threadId: string): Promise<ThreadStorage> {
    assertSafeId(threadId, "thread");
    const [record, index] = await Promise.all([this.readRecord(threadId), this.readIndex(threadId)]);
    const entries = index.entries.slice();
    if (!record && entries.length === 0) throw threadNotFound(threadId);
    const sizes: RowSize[] = [];
    const missing = (err: unknown) => (isCode(err, "ENOENT") ? null : Promise.reject(err));
    for (let i = 0; i < entries.length; i += 64) {
      const batch = await Promise.all(
        entries.slice(i, i + 64).map(async (e): Promise<RowSize | null> => {
          const line = Buffer.byteLength(JSON.stringify(e)) + 1;
          const base = { id: e.id, version: e.version, step: e.step };
          if (!e.baseId) {
            const st = await fs.stat(this.cpPath(e.id)).catch(missing);
            return st && { ...base, bytes: st.size + line, snapshot: true };
          }
          const buf = await fs.readFile(this.cpPath(e.id)).catch(missing);
          if (!buf) return null;
          let snapshot = false;
          try {
            const rec = JSON.parse(buf.toString("utf8")) as FileRecord;
            snapshot = invalidRecord(rec, e.id) === null && !isDelta(rec);
          } catch {
            // corrupt: it holds no full state
          }
          return { ...base, bytes: buf.length + line, snapshot };
        }),
      );
      for (const r of batch) if (r) sizes.push(r);
    }
    return storageReport(threadId, sizes);
  }

  /** Deletes a thread directory already moved to trash/ and the checkpoint files its index names. */
  private async purge(trashed: string): Promise<void> {
    const text = await fs.readFile(path.join(trashed, "index.jsonl"), "utf8").catch(() => "");
    const entries: IndexEntry[] = [];
    parseIndexLines(text, entries);
    for (const e of entries.reverse()) await fs.rm(this.cpPath(e.id), { force: true }); // newest first, as in remove()
    await fs.rm(trashed, { recursive: true, force: true });
  }

  async clear(threadId: string): Promise<void> {
    assertSafeId(threadId, "thread");
    await this.threadMutex(threadId, async () => {
      // Renaming the directory away makes the thread vanish at once; the purge can then take its time.
      const trashed = this.p("trash", `${threadId}.${rand()}`);
      const moved = await fs.rename(this.threadDir(threadId), trashed).then(
        () => true,
        (err) => (isCode(err, "ENOENT") ? false : Promise.reject(err)),
      );
      forgetIndex(this.indexPath(threadId));
      if (moved) await this.purge(trashed);
    });
    await this.locks.remove(threadId);
  }

  // ---- thread records -------------------------------------------------------------------------------------

  async getThread(threadId: string): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    const info = await this.threadInfo(threadId);
    if (!info) throw threadNotFound(threadId);
    return info;
  }

  async updateThread(threadId: string, patch: ThreadPatch): Promise<ThreadInfo> {
    assertSafeId(threadId, "thread");
    validateThreadPatch(patch);
    const p = JSON.parse(toJson(patch, "Thread patch")) as ThreadPatch;
    return this.threadMutex(threadId, () => this.patchRecord(threadId, patch, p));
  }

  /** updateThread's work, under the caller's thread mutex (`copy`: the patch's private JSON copy). */
  private async patchRecord(threadId: string, patch: ThreadPatch, copy: ThreadPatch): Promise<ThreadInfo> {
    const now = new Date().toISOString();
    const rec = (await this.threadInfo(threadId)) ?? this.newRecord(threadId, now);
    if (patch.graphId !== undefined) rec.graphId = patch.graphId;
    if (patch.status !== undefined) rec.status = patch.status;
    if (patch.error !== undefined) rec.error = copy.error ?? null;
    if (patch.metadata !== undefined) rec.metadata = copy.metadata ?? {};
    rec.updatedAt = now;
    await fs.mkdir(this.threadDir(threadId), { recursive: true });
    await this.writeRecord(rec);
    return (await this.threadInfo(threadId))!;
  }

  async listThreads(options?: ListThreadsOptions): Promise<ThreadPage> {
    const o = validateListThreads(options);
    const names = (await fs.readdir(this.p("threads")).catch((err) => (isCode(err, "ENOENT") ? [] : Promise.reject(err)))).filter(isSafeId);
    const records: ThreadInfo[] = [];
    for (let i = 0; i < names.length; i += 64) {
      const batch = await Promise.all(names.slice(i, i + 64).map((n) => this.threadInfo(n)));
      for (const r of batch) if (r) records.push(r);
    }
    return pageThreads(records, o);
  }

  // ---- run lock (see FileLockTable in local-lock.ts) ---------------------------------------------------------------

  async acquireLock(threadId: string, owner: string, ttlMs: number, options?: AcquireOptions): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
    const withLatest = wantsLatest(options);
    const res = await this.locks.acquire(threadId, owner, ttlMs);
    return res.acquired && withLatest ? { ...res, latest: await this.latest(threadId) } : res;
  }

  async stealLock(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    assertSafeId(fromOwner, "owner");
    validateTtl(ttlMs);
    return this.locks.steal(threadId, owner, fromOwner, ttlMs);
  }

  async releaseLock(threadId: string, owner: string): Promise<void> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    await this.locks.release(threadId, owner);
  }
}

export async function createFileStore(config: FileStoreConfig): Promise<FileCheckpointStore> {
  return openStore(new FileCheckpointStore(config));
}
