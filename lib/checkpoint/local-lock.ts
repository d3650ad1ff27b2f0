/**
 * Machine-local lock helpers (the store-held thread lock is lib/engine/thread-lock.ts):
 * - Owner ids: `${hostname}:${pid}:${random}`, so a process can tell whether a lock holder on the same machine
 *   is still alive (and steal its lock with `stealLock` when it is not). Owners are used as ids (keys, file
 *   contents, SQL parameters), so they must pass `assertSafeId(…, "owner")`.
 * - `withMutex`: an in-process async mutex by key.
 * - `FileLockTable`: lock files for the file store, correct across processes.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { assertSafeId } from "./ids";
import type { LockResult } from "./types";

/** The hostname reduced to id-safe characters (letters, digits, `-`, `_`, `.`; no `..`, no leading dot). */
export function safeHostname(name: string = os.hostname()): string {
  const cleaned = name
    .replace(/[^A-Za-z0-9_.-]/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 64);
  return cleaned || "host";
}

export function newLockOwner(): string {
  const owner = `${safeHostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;
  assertSafeId(owner, "owner");
  return owner;
}

/** Splits an owner made by `newLockOwner`; null for owners of another shape. */
export function parseLockOwner(owner: string): { host: string; pid: number; nonce: string } | null {
  const m = /^(.+):(\d+):([A-Za-z0-9]+)$/.exec(owner);
  if (!m) return null;
  const pid = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: m[1], pid, nonce: m[3] } : null;
}

/**
 * True only when the owner ran on this machine and its process no longer exists (`kill(pid, 0)` fails with
 * ESRCH). Anything uncertain (another host, EPERM, unparsable owner) is false: never steal a live lock.
 */
export function isOwnerDeadLocally(owner: string): boolean {
  const parsed = parseLockOwner(owner);
  if (!parsed || parsed.host !== safeHostname()) return false;
  if (parsed.pid === process.pid) return false;
  try {
    process.kill(parsed.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

const tails = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier call with the same key has finished (process-wide). */
export async function withMutex<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const tail = prev.then(() => new Promise<void>((r) => (release = r)));
  tails.set(key, tail);
  await prev;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** A guard older than this belongs to a process that died inside the (millisecond-long) critical section. */
const GUARD_STALE_MS = 5_000;
const isCode = (err: unknown, code: string) => (err as NodeJS.ErrnoException)?.code === code;

/**
 * Runs `fn` inside a critical section on `file` that holds across processes: the in-process mutex on the path,
 * then a guard file `<file>.guard` created with O_EXCL ("wx"). A guard left by a process killed inside the
 * section is removed once older than GUARD_STALE_MS, so sections must stay short (milliseconds of file io).
 * The caller makes sure `file` is inside its own directory.
 */
export async function withFileGuard<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const guard = `${file}.guard`;
  // The guard's own calls are synchronous: each is one short system call, where the promise API costs a thread-pool
  // hop apiece — and every fenced save of the file store takes this section (SaveOptions.lockOwner).
  return withMutex(file, async () => {
    for (;;) {
      try {
        writeFileSync(guard, String(process.pid), { flag: "wx" });
        break;
      } catch (err) {
        if (!isCode(err, "EEXIST")) throw err;
      }
      const st = statOrNull(guard);
      if (st && Date.now() - st.mtimeMs > GUARD_STALE_MS) rmSync(guard, { force: true });
      else await new Promise((r) => setTimeout(r, 2 + Math.random() * 5));
    }
    try {
      return await fn();
    } finally {
      rmSync(guard, { force: true });
    }
  });
}

function statOrNull(file: string): { mtimeMs: number } | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/**
 * Run locks as files `<dir>/<threadId>.lock` holding {owner, expiresAt}. Every change happens inside a
 * critical section: the in-process mutex on the lock path, then a guard file `<threadId>.lock.guard` created
 * with O_EXCL ("wx") across processes. Inside it a plain read, compare and atomic replace (temp file in
 * `tmpDir` + rename) is a true compare-and-swap. A guard left by a process killed inside the section is removed
 * once older than GUARD_STALE_MS. Lock files are not fsynced: after a machine crash every lock has expired.
 * Thread ids must be validated by the caller.
 */
export class FileLockTable {
  constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  private async critical<T>(threadId: string, fn: (file: string) => Promise<T>): Promise<T> {
    const file = path.join(this.dir, `${threadId}.lock`);
    if (path.dirname(file) !== this.dir) throw new Error(`lock path escapes ${this.dir}`);
    return withFileGuard(file, () => fn(file));
  }

  private async read(file: string): Promise<{ owner: string; expiresAt: number } | null> {
    let text: string;
    try {
      text = readFileSync(file, "utf8"); // a few bytes: one system call, no thread-pool hop (see withFileGuard)
    } catch (err) {
      if (isCode(err, "ENOENT")) return null;
      throw err;
    }
    try {
      const v = JSON.parse(text);
      if (typeof v?.owner === "string" && typeof v?.expiresAt === "number") return v;
    } catch {
      // fall through: an unreadable lock file counts as expired
    }
    return { owner: "", expiresAt: 0 };
  }

  private async write(file: string, owner: string, ttlMs: number): Promise<void> {
    const tmp = path.join(this.tmpDir, `${Date.now()}-${randomBytes(6).toString("hex")}.lock`);
    await fs.writeFile(tmp, JSON.stringify({ owner, expiresAt: Date.now() + ttlMs }), { flag: "wx" });
    await fs.rename(tmp, file);
  }

  acquire(threadId: string, owner: string, ttlMs: number): Promise<LockResult> {
    return this.critical(threadId, async (file) => {
      const cur = await this.read(file);
      if (cur && cur.owner !== owner && cur.expiresAt > Date.now()) return { acquired: false, owner: cur.owner, expiresAt: cur.expiresAt };
      await this.write(file, owner, ttlMs);
      return { acquired: true };
    });
  }

  steal(threadId: string, owner: string, fromOwner: string, ttlMs: number): Promise<boolean> {
    return this.critical(threadId, async (file) => {
      if ((await this.read(file))?.owner !== fromOwner) return false;
      await this.write(file, owner, ttlMs);
      return true;
    });
  }

  release(threadId: string, owner: string): Promise<void> {
    return this.critical(threadId, async (file) => {
      if ((await this.read(file))?.owner === owner) await fs.rm(file, { force: true });
    });
  }

  /**
   * Runs `fn` only if `owner` holds the lock (expired or not), inside the lock's critical section, so no
   * acquire or steal can change hands meanwhile; otherwise rejects with `refuse(holder)` and runs nothing.
   * `fn` must stay short (a save's few file writes): the section's guard counts as stale after GUARD_STALE_MS.
   */
  whileHeld<T>(threadId: string, owner: string, refuse: (holder: string | null) => Error, fn: () => Promise<T>): Promise<T> {
    return this.critical(threadId, async (file) => {
      const holder = (await this.read(file))?.owner ?? null;
      if (holder !== owner) throw refuse(holder);
      return fn();
    });
  }

  /** Removes the lock whoever holds it (clearing a thread). */
  remove(threadId: string): Promise<void> {
    return this.critical(threadId, (file) => fs.rm(file, { force: true }));
  }
}
