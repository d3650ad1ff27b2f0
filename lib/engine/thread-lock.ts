import { WaypointError } from "../errors";
import { isOwnerDeadLocally, newLockOwner } from "../checkpoint/local-lock";
import type { CheckpointStore } from "../checkpoint/types";

/**
 * The one-active-run-per-thread guarantee, held through the store so it spans processes. The lease is
 * renewed every third of its TTL while the run goes on; a process killed with SIGKILL stops renewing, and its
 * lock is taken over either when the lease expires or at once if its owner is a dead process on this host.
 */
export class ThreadLock {
  lost = false;
  onLost: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private released = false;

  private constructor(
    private readonly store: CheckpointStore,
    readonly threadId: string,
    readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  static async acquire(store: CheckpointStore, threadId: string, ttlMs: number): Promise<ThreadLock> {
    const owner = newLockOwner();
    let res = await store.acquireLock(threadId, owner, ttlMs);
    if (!res.acquired && isOwnerDeadLocally(res.owner)) {
      // The holder died without releasing (SIGKILL): take it over, or acquire if it vanished meanwhile.
      res = (await store.stealLock(threadId, owner, res.owner, ttlMs)) ? { acquired: true } : await store.acquireLock(threadId, owner, ttlMs);
    }
    if (!res.acquired)
      throw new WaypointError("THREAD_BUSY", `Thread "${threadId}" already has an active run.`, {
        threadId,
        owner: res.owner,
        expiresAt: res.expiresAt,
      });
    const lock = new ThreadLock(store, threadId, owner, ttlMs);
    lock.timer = setInterval(() => void lock.renew(), Math.max(50, Math.floor(ttlMs / 3)));
    lock.timer.unref();
    return lock;
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost) return;
    try {
      const res = await this.store.acquireLock(this.threadId, this.owner, this.ttlMs);
      if (!res.acquired && !this.released) {
        this.lost = true;
        this.onLost?.();
      }
    } catch {
      // A transient store error: the next renewal tries again before the lease runs out.
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    if (!this.lost) await this.store.releaseLock(this.threadId, this.owner).catch(() => {});
  }
}

/** Runs `fn` holding the thread's lock (for edits and forks, which must not race a run). */
export async function withThreadLock<T>(store: CheckpointStore, threadId: string, ttlMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = await ThreadLock.acquire(store, threadId, ttlMs);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
