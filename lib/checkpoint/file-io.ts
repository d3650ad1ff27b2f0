/**
 * Low-level file work for the JSON-file store (file.ts): atomic writes (temp file, fsync, rename or link, fsync
 * of the directory) and the per-thread index.jsonl (parsed incrementally and cached). See file.ts for the layout.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { isSafeId } from "./ids";
import type { SummaryExtra } from "./summary";

/**
 * One index line; `savedAt` is when the store saved it (drives the thread's `updatedAt`). `next` and `summary`
 * (the rest of the checkpoint's summary) are absent from lines written before summaries existed. `baseId` and
 * `depth` (delta layout, see file.ts) are absent from lines written before it: those checkpoints' files are
 * snapshots. A null `baseId` means the file is a snapshot; a non-null one that it is a delta against that
 * base, or a snapshot folded from one by a delete/prune that crashed before rewriting the index.
 */
export interface IndexEntry {
  id: string;
  parentId: string | null;
  version: number;
  step: number;
  nodeName: string;
  timestamp: string;
  savedAt: string;
  next?: string[];
  summary?: SummaryExtra;
  baseId?: string | null;
  depth?: number;
  /**
   * The metadata's scalar top-level entries (list-filter.ts `scalarMetadata`), what the metadata filter reads;
   * absent from lines written before issue 12 (those checkpoints' files are read to filter). The namespace
   * rides in `summary` (absent = root).
   */
  meta?: Record<string, string | number | boolean>;
}
/**
 * A parsed index.jsonl: `size` is the byte offset after the last complete line, `fileSize` the file's length
 * (larger when it ends in a torn line); entries sorted by version, one per id.
 */
export interface IndexState {
  ino: number;
  /** The file's birth time (0 where the file system keeps none). */
  born: number;
  /**
   * Unique per parse from scratch in this process: a new one whenever the file is found replaced (another inode,
   * or shorter) or forgotten after this process rewrote it. Inode numbers alone are reused by the file system.
   */
  serial: number;
  size: number;
  fileSize: number;
  entries: IndexEntry[];
  byId: Map<string, IndexEntry>;
  highWater: number;
  /**
   * How many `{"rewrote": id}` lines name each checkpoint: one is appended after every in-place rewrite of its
   * file (pending writes), so a process that cached the file's text (`cachedRecordText`) sees it changed
   * without opening the file. Older readers ignore these lines (no `id`).
   */
  rewrites: Map<string, number>;
}

let serials = 0;

/** Parsed index files by absolute path, revalidated by inode, birth time and size on every use (appends are read incrementally). */
const indexCache = new Map<string, IndexState>();

/** Forgets a cached index (its thread directory was moved away). */
export const forgetIndex = (file: string) => void indexCache.delete(file);

export const isCode = (err: unknown, code: string) => (err as NodeJS.ErrnoException)?.code === code;

/**
 * Parses index lines into `into`; returns the highest `{"highWater": N}` line seen (written when a rewrite drops
 * the newest versions, so that a deleted version is never handed out again).
 */
export function parseIndexLines(text: string, into: IndexEntry[], rewrites?: Map<string, number>): number {
  let highWater = 0;
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as IndexEntry & { highWater?: unknown; rewrote?: unknown };
      if (Number.isInteger(e.highWater)) highWater = Math.max(highWater, e.highWater as number);
      else if (typeof e.rewrote === "string") rewrites?.set(e.rewrote, (rewrites.get(e.rewrote) ?? 0) + 1);
      else if (isSafeId(e.id) && Number.isInteger(e.version)) into.push(e);
    } catch {
      // A torn line from a crash mid-append: the checkpoint it described was never acknowledged.
    }
  }
  return highWater;
}

/** Adds parsed entries to `state` in place; the rare duplicate or out-of-order line forces a rebuild. */
function addEntries(state: IndexState, added: IndexEntry[]): void {
  let clean = true;
  for (const e of added) {
    const last = state.entries[state.entries.length - 1];
    if (state.byId.has(e.id) || (last && last.version >= e.version)) clean = false;
    if (clean) state.entries.push(e);
    state.byId.set(e.id, e);
  }
  if (!clean) state.entries = [...state.byId.values()].sort((a, b) => a.version - b.version);
}

export async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

async function writeTemp(tmp: string, data: string): Promise<string> {
  const h = await fs.open(tmp, "wx");
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
  return tmp;
}

/** Replaces `file` atomically with `data`, through the temp file `tmp` (same filesystem). */
export async function writeAtomic(tmp: string, file: string, data: string): Promise<void> {
  await writeTemp(tmp, data);
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(path.dirname(file));
}

/**
 * Creates `file` atomically with `data` (through `tmp`); false if it already exists. `beforeLink`, when given,
 * runs once the temp file is durable, right before the link: if it returns text, that is written instead.
 */
export async function createAtomic(tmp: string, file: string, data: string, beforeLink?: () => Promise<string | null>): Promise<boolean> {
  await writeTemp(tmp, data);
  try {
    const instead = beforeLink ? await beforeLink() : null;
    if (instead !== null) {
      await fs.rm(tmp, { force: true });
      await writeTemp(tmp, instead);
    }
    await fs.link(tmp, file);
  } catch (err) {
    if (isCode(err, "EEXIST")) return false;
    throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await fsyncDir(path.dirname(file));
  return true;
}

/** The index at `file`, parsed incrementally: cached by path, revalidated by inode, birth time and size on every call. */
export async function readIndexFile(file: string): Promise<IndexState> {
  const st = await fs.stat(file).catch((err) => (isCode(err, "ENOENT") ? null : Promise.reject(err)));
  if (!st) {
    indexCache.delete(file);
    return { ino: 0, born: 0, serial: ++serials, size: 0, fileSize: 0, entries: [], byId: new Map(), highWater: 0, rewrites: new Map() };
  }
  let state = indexCache.get(file);
  // Birth time too, where the file system keeps one: a replaced index can get a freed inode number back. Where
  // it keeps none, Node reports 0 or the change time (which every append moves): equal to ctime, it is ignored.
  const reborn = state !== undefined && state.born !== st.birthtimeMs && st.birthtimeMs !== st.ctimeMs && st.birthtimeMs !== 0;
  if (!state || state.ino !== st.ino || reborn || st.size < state.size)
    state = {
      ino: st.ino,
      born: st.birthtimeMs,
      serial: ++serials,
      size: 0,
      fileSize: 0,
      entries: [],
      byId: new Map(),
      highWater: 0,
      rewrites: new Map(),
    };
  if (st.size > state.size) {
    const from = state.size;
    const h = await fs.open(file, "r");
    let buf: Buffer;
    try {
      buf = Buffer.alloc(st.size - state.size);
      const { bytesRead } = await h.read(buf, 0, buf.length, state.size);
      buf = buf.subarray(0, bytesRead);
    } finally {
      await h.close();
    }
    // A concurrent reader advanced the shared state while we read: start over from its new offset.
    if (state.size !== from) return readIndexFile(file);
    const end = buf.lastIndexOf(0x0a) + 1; // only complete lines; a torn tail is left for later or ignored
    const added: IndexEntry[] = [];
    state.highWater = Math.max(state.highWater, parseIndexLines(buf.subarray(0, end).toString("utf8"), added, state.rewrites));
    addEntries(state, added);
    state.fileSize = state.size + buf.length;
    state.size += end;
  }
  state.fileSize = Math.max(state.fileSize, st.size);
  if (indexCache.size > 5000) indexCache.clear();
  indexCache.set(file, state);
  return state;
}

/** The text of a rewritten index; a `{"highWater": N}` line first when the newest versions were deleted. */
export function indexText(entries: IndexEntry[], highWater: number): string {
  const mark = highWater > (entries[entries.length - 1]?.version ?? 0) ? JSON.stringify({ highWater }) + "\n" : "";
  return mark + entries.map((e) => JSON.stringify(e) + "\n").join("");
}

/**
 * Checkpoint file texts read before, by absolute path, for reads that know the thread's index (history, latest,
 * chains): reading a thousand small files costs a syscall-bound ~40 µs each here, which made a 1,000-checkpoint
 * history 150+ ms. An entry is used only while the index vouches that the file is unchanged: the same parse of
 * the same index file (`serial`: delete/prune rewrite the index after folding files), the same line for the
 * checkpoint (`savedAt`: a
 * cleared and re-imported thread writes new lines), and no `{"rewrote"}` line since (pending writes rewrite a
 * file in place and then append one, in every process). The text is parsed afresh on every use, so callers
 * never share objects. A file edited by hand, outside the store, is seen once the thread's index changes.
 */
interface CachedText {
  text: string;
  serial: number;
  savedAt: string;
  rewrites: number;
}
const textCache = new Map<string, CachedText>();
let textCacheChars = 0;
const MAX_TEXT_CACHE_CHARS = 32 * 1024 * 1024;

/** What must hold for a cached text of checkpoint `id` to be used under `index` (null: not cacheable). */
export function textStamp(index: IndexState, id: string): Omit<CachedText, "text"> | null {
  const e = index.byId.get(id);
  return e && index.ino !== 0 ? { serial: index.serial, savedAt: e.savedAt, rewrites: index.rewrites.get(id) ?? 0 } : null;
}

export function cachedRecordText(file: string, stamp: Omit<CachedText, "text">): string | undefined {
  const c = textCache.get(file);
  if (!c) return undefined;
  if (c.serial === stamp.serial && c.savedAt === stamp.savedAt && c.rewrites === stamp.rewrites) {
    textCache.delete(file); // most recently used last
    textCache.set(file, c);
    return c.text;
  }
  dropRecordText(file);
  return undefined;
}

/** Keeps a file's text read under `stamp` (taken before the read began). */
export function keepRecordText(file: string, text: string, stamp: Omit<CachedText, "text">): void {
  if (text.length > MAX_TEXT_CACHE_CHARS / 8) return;
  dropRecordText(file);
  textCache.set(file, { text, ...stamp });
  textCacheChars += text.length;
  for (const [k] of textCache) {
    if (textCacheChars <= MAX_TEXT_CACHE_CHARS) break;
    dropRecordText(k);
  }
}

export function dropRecordText(file: string): void {
  const c = textCache.get(file);
  if (!c) return;
  textCache.delete(file);
  textCacheChars -= c.text.length;
}
