/**
 * JSON-file checkpoint store. Layout under `dir`:
 *   checkpoints/<id>.json           one file per checkpoint, the source of truth for its content; `load(id)` is
 *                                   one read. Created with link(2) from a complete temp file: atomic, and it fails
 *                                   if the id exists, so duplicate ids are rejected across threads and processes.
 *   threads/<threadId>/index.jsonl  append-only {id,parentId,version,step,nodeName,timestamp,next,summary} lines
 *                                   so list/latest never parse every checkpoint and listSummaries reads no
 *                                   checkpoint file at all (lines written before summaries existed lack `next`/
 *                                   `summary`: those checkpoints are read from their files); a torn last line
 *                                   (crash mid-append) is ignored; rewritten atomically on delete/prune.
 *   threads/<threadId>/thread.json  the thread record's own fields (graphId, status, error, metadata, createdAt,
 *                                   updatedAt), written atomically on the first save, updateThread, delete and
 *                                   prune. Head, count and the save-driven updatedAt are derived from the index
 *                                   when read, so a save costs one checkpoint file and one index line.
 *   locks/<threadId>.lock           the run lock {owner, expiresAt} (see FileLockTable in local-lock.ts), and its
 *   locks/<threadId>.lock.guard     cross-process critical-section file (exists only for milliseconds).
 *   tmp/, trash/                    temp files (same filesystem, so rename/link are atomic), threads being cleared.
 * Every write is: temp file, fsync, rename (or link), fsync of the directory. Ids are validated before any path
 * is built, and every path is checked to stay inside `dir`.
 *
 * Concurrency: versions are assigned under a per-thread mutex shared by every instance in this process (keyed
 * by absolute path). Writers to one thread from different processes are NOT serialised here: the engine's run
 * lock guarantees one writer per thread. Readers in other processes are always safe (atomic files, tolerant
 * index). A save that crashes after writing its checkpoint file but before its index line leaves an orphan file
 * that `load` finds and `list` does not; the save never returned, so nothing acknowledged is lost.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { checkpointNotFound, isCorruptCheckpoint, threadNotFound, WaypointError } from "../errors";
import { assertSafeId, isSafeId } from "./ids";
import { openStore } from "./open";
import { createAtomic, forgetIndex, fsyncDir, indexText, isCode, parseIndexLines, readIndexFile, writeAtomic, type IndexEntry } from "./file-io";
import { FileLockTable, withMutex } from "./local-lock";
import { planPrune, relinkAfterDelete } from "./prune";
import { assembleSummary, summaryExtra, toSummary } from "./summary";
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
} from "./types";
import {
  pageThreads,
  toJson,
  validateKeep,
  validateListOptions,
  validateListThreads,
  validateNewCheckpoint,
  validateThreadPatch,
  validateTtl,
  validateWrites,
} from "./validate";

export interface FileStoreConfig {
  dir: string;
  /** Called for every corrupt checkpoint file skipped by `list`/`latest` (default: console.warn). */
  onCorrupt?: (info: { path: string; error: unknown }) => void;
}

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);
const rand = () => `${Date.now()}-${randomBytes(6).toString("hex")}`;

export class FileCheckpointStore implements CheckpointStore {
  readonly kind = "file";
  /** Absolute; after setup() also free of symlinks, so every instance on one directory shares mutexes. */
  dir: string;
  private readonly onCorrupt: (info: { path: string; error: unknown }) => void;

  constructor(config: FileStoreConfig) {
    if (!config || typeof config.dir !== "string" || !config.dir)
      throw new WaypointError("STORE_CONFIG", "CHECKPOINT_DIR: a directory is required for the file store.");
    // The store's paths are runtime data, not app files: keep Next's output tracing from following them.
    this.dir = path.resolve(/*turbopackIgnore: true*/ config.dir);
    this.onCorrupt =
      config.onCorrupt ??
      (({ path: p, error }) => console.warn(`[waypoint] skipping corrupt checkpoint file ${p}: ${(error as Error)?.message ?? error}`));
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
  private createAtomic = (file: string, data: string) => createAtomic(this.tmpPath(), file, data);
  private fsyncDir = fsyncDir;
  private readIndex = (t: string) => readIndexFile(this.indexPath(t));
  private writeIndex = (t: string, entries: IndexEntry[], highWater: number) => this.writeAtomic(this.indexPath(t), indexText(entries, highWater));

  /** Reads and checks one checkpoint file: null if missing, CORRUPT_CHECKPOINT if unreadable. */
  private async readCp(id: string): Promise<Checkpoint | null> {
    const file = this.cpPath(id);
    let text: string;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (err) {
      if (isCode(err, "ENOENT")) return null;
      throw err;
    }
    try {
      const cp = JSON.parse(text) as Checkpoint;
      if (cp?.id !== id || !isSafeId(cp.threadId) || !Number.isInteger(cp.version)) throw new Error("not a checkpoint of this id");
      return cp;
    } catch (error) {
      throw new WaypointError(
        "CORRUPT_CHECKPOINT",
        `Checkpoint file ${file} is corrupt: ${(error as Error).message}`,
        { path: file, checkpointId: id },
        { cause: error },
      );
    }
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
    const head = entries[entries.length - 1];
    // No record but checkpoints: a crash right after the thread's first save; the index still defines it.
    const rec = stored ?? (head ? this.newRecord(t, entries[0].savedAt ?? entries[0].timestamp) : null);
    if (!rec) return null;
    const saved = head?.savedAt ?? "";
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
    const cp = await this.readCp(id);
    if (!cp) throw checkpointNotFound(id);
    return cp.threadId;
  }

  // ---- checkpoints ----------------------------------------------------------------------------------------

  async save(input: NewCheckpoint): Promise<Checkpoint> {
    validateNewCheckpoint(input);
    const { version: _ignored, ...rest } = input as NewCheckpoint & { version?: unknown };
    const t = input.threadId;
    return this.threadMutex(t, async () => {
      const index = await this.readIndex(t);
      const entries = index.entries;
      if (index.byId.has(input.id)) throw bad(`Checkpoint "${input.id}" already exists.`);
      if (input.parentId !== null && !index.byId.has(input.parentId)) throw bad(`Parent checkpoint "${input.parentId}" is not in thread "${t}".`);
      const version = Math.max(entries[entries.length - 1]?.version ?? 0, index.highWater) + 1;
      const json = toJson({ ...rest, version }, "Checkpoint"); // may reject; nothing is written yet
      const stored = JSON.parse(json) as Checkpoint;
      if (!(await this.createAtomic(this.cpPath(input.id), json))) throw bad(`Checkpoint "${input.id}" already exists.`);
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
      };
      try {
        await fs.mkdir(this.threadDir(t), { recursive: true });
        // A torn tail (crash mid-append) is terminated first so it stays one ignorable garbage line.
        const line = (index.fileSize > index.size ? "\n" : "") + JSON.stringify(entry) + "\n";
        const h = await fs.open(this.indexPath(t), "a");
        try {
          await h.writeFile(line);
          await h.sync();
        } finally {
          await h.close();
        }
        if (index.fileSize === 0) await this.fsyncDir(this.threadDir(t));
        // The first save of a thread records its creation (createdAt must survive pruning the first checkpoint).
        if (entries.length === 0 && !(await this.readRecord(t))) await this.writeRecord(this.newRecord(t, savedAt));
      } catch (err) {
        await fs.rm(this.cpPath(input.id), { force: true }); // not acknowledged: leave no trace
        throw err;
      }
      return stored;
    });
  }

  async load(checkpointId: string): Promise<Checkpoint> {
    assertSafeId(checkpointId, "checkpoint");
    const cp = await this.readCp(checkpointId);
    if (!cp) throw checkpointNotFound(checkpointId);
    return cp;
  }

  /** The index entries of a thread in `list` order, before the limit (validates first). */
  private async pick(threadId: string, options?: ListOptions): Promise<{ picked: IndexEntry[]; want: number }> {
    assertSafeId(threadId, "thread");
    const o = validateListOptions(options);
    const { entries } = await this.readIndex(threadId);
    let picked = entries.filter((e) => (o.after === undefined || e.version > o.after) && (o.before === undefined || e.version < o.before));
    if (o.order === "desc") picked = picked.reverse();
    return { picked, want: o.limit ?? picked.length };
  }

  async list(threadId: string, options?: ListOptions): Promise<Checkpoint[]> {
    const { picked, want } = await this.pick(threadId, options);
    const out: Checkpoint[] = [];
    // Read exactly what is still wanted, so a limit does not read every file and skipped (corrupt or missing)
    // files are made up for by the next batch.
    for (let i = 0; i < picked.length && out.length < want;) {
      const batch = picked.slice(i, i + (want - out.length));
      i += batch.length;
      const read = await Promise.all(
        batch.map((e) =>
          this.readCp(e.id).catch((error) => {
            if (!isCorruptCheckpoint(error)) throw error; // I/O errors are not corruption: surface them
            this.onCorrupt({ path: this.cpPath(e.id), error });
            return null;
          }),
        ),
      );
      for (const cp of read) if (cp && cp.threadId === threadId && out.length < want) out.push(cp);
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
            : this.readCp(e.id).then(
                (cp) => (cp && cp.threadId === threadId ? toSummary(cp) : null),
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

  async latest(threadId: string): Promise<Checkpoint | null> {
    return (await this.list(threadId, { order: "desc", limit: 1 }))[0] ?? null;
  }

  async putWrites(checkpointId: string, writes: PendingWrite[]): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    validateWrites(writes);
    const copy = JSON.parse(toJson(writes, "Pending writes")) as PendingWrite[];
    const t = await this.threadOf(checkpointId);
    await this.threadMutex(t, async () => {
      const cp = await this.readCp(checkpointId); // re-read under the mutex: it may have been deleted meanwhile
      if (!cp) throw checkpointNotFound(checkpointId);
      cp.pendingWrites = copy;
      await this.writeAtomic(this.cpPath(checkpointId), JSON.stringify(cp));
    });
  }

  /**
   * Deletes `deleted` from thread `t`: children re-linked first (their files), then the index rewritten without
   * the deleted entries and with the new parents (summaries read only the index), then the files removed, then
   * the record updated. A crash part-way leaves no dangling parent: before the index rewrite nothing is
   * deleted (re-linked children skip over a checkpoint that still exists); after it, the deleted ones are
   * unindexed orphan files that neither list nor listSummaries shows (delete() removes such orphans).
   */
  private async remove(t: string, entries: IndexEntry[], deleted: Set<string>, relink: { id: string; parentId: string | null }[]) {
    const newParent = new Map(relink.map((r) => [r.id, r.parentId]));
    for (const { id, parentId } of relink) {
      const cp = await this.readCp(id).catch(() => null);
      if (cp) await this.writeAtomic(this.cpPath(id), JSON.stringify({ ...cp, parentId }));
    }
    const left = entries.filter((e) => !deleted.has(e.id)).map((e) => (newParent.has(e.id) ? { ...e, parentId: newParent.get(e.id)! } : e));
    const highWater = Math.max((await this.readIndex(t)).highWater, ...entries.map((e) => e.version));
    await this.writeIndex(t, left, highWater);
    for (const id of deleted) await fs.rm(this.cpPath(id), { force: true });
    await this.fsyncDir(this.p("checkpoints"));
    await this.touch(t, left);
  }

  async delete(checkpointId: string): Promise<void> {
    assertSafeId(checkpointId, "checkpoint");
    const t = await this.threadOf(checkpointId); // a corrupt file rejects CORRUPT_CHECKPOINT (prune/clear still remove it)
    await this.threadMutex(t, async () => {
      const { entries, byId } = await this.readIndex(t);
      if (!byId.has(checkpointId)) {
        if (!(await this.readCp(checkpointId).catch(() => null))) throw checkpointNotFound(checkpointId);
        await fs.rm(this.cpPath(checkpointId), { force: true }); // an orphan of a crashed save
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

  /** Deletes a thread directory already moved to trash/ and the checkpoint files its index names. */
  private async purge(trashed: string): Promise<void> {
    const text = await fs.readFile(path.join(trashed, "index.jsonl"), "utf8").catch(() => "");
    const entries: IndexEntry[] = [];
    parseIndexLines(text, entries);
    for (const e of entries) await fs.rm(this.cpPath(e.id), { force: true });
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
    return this.threadMutex(threadId, async () => {
      const now = new Date().toISOString();
      const rec = (await this.threadInfo(threadId)) ?? this.newRecord(threadId, now);
      if (patch.graphId !== undefined) rec.graphId = patch.graphId;
      if (patch.status !== undefined) rec.status = patch.status;
      if (patch.error !== undefined) rec.error = p.error ?? null;
      if (patch.metadata !== undefined) rec.metadata = p.metadata ?? {};
      rec.updatedAt = now;
      await fs.mkdir(this.threadDir(threadId), { recursive: true });
      await this.writeRecord(rec);
      return (await this.threadInfo(threadId))!;
    });
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

  async acquireLock(threadId: string, owner: string, ttlMs: number): Promise<LockResult> {
    assertSafeId(threadId, "thread");
    assertSafeId(owner, "owner");
    validateTtl(ttlMs);
    return this.locks.acquire(threadId, owner, ttlMs);
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
