import { WaypointError } from "../errors";
import { isOwnerDeadLocally, newLockOwner } from "../checkpoint/local-lock";
import type { Checkpoint, CheckpointStore } from "../checkpoint/types";

/**
 * The one-active-run-per-thread guarantee, held through the store so it spans processes. The lease is
 * renewed every third of its TTL while the run goes on; a process killed with SIGKILL stops renewing, and its
 * lock is taken over either when the lease expires or at once if its owner is a dead process on this host.
 */
export class ThreadLock {
  lost = false;
  onLost: (() => void) | null = null;
  /** The thread's latest checkpoint, read with the lock when `acquire` was asked to (undefined otherwise). */
  latest: Checkpoint | null | undefined;
  private timer: NodeJS.Timeout | null = null;
  private released = false;
  /** The renewal in flight, if any: a hand-off waits for it so it cannot re-create the lock after the release. */
  private renewing: Promise<void> | null = null;

  private constructor(
    private readonly store: CheckpointStore,
    readonly threadId: string,
    readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  /** `withLatest`: also read the thread's latest checkpoint (`latest`), in the lock's round trip where the store can. */
  static async acquire(store: CheckpointStore, threadId: string, ttlMs: number, withLatest = false): Promise<ThreadLock> {
    const owner = newLockOwner();
    const options = withLatest ? { latest: true } : undefined;
    let res = await store.acquireLock(threadId, owner, ttlMs, options);
    if (!res.acquired && isOwnerDeadLocally(res.owner)) {
      // The holder died without releasing (SIGKILL): take it over, or acquire if it vanished meanwhile.
      res = (await store.stealLock(threadId, owner, res.owner, ttlMs))
        ? { acquired: true }
        : await store.acquireLock(threadId, owner, ttlMs, options);
    }
    if (!res.acquired)
      throw new WaypointError("THREAD_BUSY", `Thread "${threadId}" already has an active run.`, {
        threadId,
        owner: res.owner,
        expiresAt: res.expiresAt,
      });
    const lock = new ThreadLock(store, threadId, owner, ttlMs);
    lock.latest = res.latest;
    lock.timer = setInterval(
      () => {
        if (!lock.renewing) lock.renewing = lock.renew().finally(() => (lock.renewing = null));
      },
      Math.max(50, Math.floor(ttlMs / 3)),
    );
    lock.timer.unref();
    return lock;
  }

  private async renew(): Promise<void> {
    if (this.released || this.lost) return;
    try {
      // A compare-and-swap on our own name, never an acquire: a lock that another process took over — and may
      // even have released since — must not come back to this run (its saves are fenced by the owner too).
      const held = await this.store.stealLock(this.threadId, this.owner, this.owner, this.ttlMs);
      if (!held && !this.released) this.markLost();
    } catch {
      // A transient store error: the next renewal tries again before the lease runs out.
    }
  }

  /** The lock is not ours any more (a renewal or a fenced save found another owner, or none): stop renewing. */
  markLost(): void {
    if (this.lost || this.released) return;
    this.lost = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.onLost?.();
  }

  /**
   * Prepares to release the lock through the run's last save (SaveOptions.releaseLock, one round trip for both):
   * stops renewing and waits out a renewal in flight, so none can land after the save released the lock.
   * Returns the owner to pass to `save`, or null when the lock was lost. Then `handedOff()` once the save
   * succeeded; if it failed, `release()` still releases as usual.
   */
  async handOff(): Promise<string | null> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.renewing;
    return this.lost || this.released ? null : this.owner;
  }

  /** The save given `handOff()`'s owner succeeded: the store has released the lock. */
  handedOff(): void {
    this.released = true;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    if (!this.lost) await this.store.releaseLock(this.threadId, this.owner).catch(() => this.releaseLater());
  }

  /**
   * The store could not be reached to release the lock (an outage): keep trying in the background until the
   * lease would have run out anyway, so that once the store is back the thread is free at once rather than
   * after the lease. Only our own lock is ever deleted (releaseLock matches the owner).
   */
  private releaseLater(): void {
    const until = Date.now() + this.ttlMs;
    const attempt = () => {
      if (Date.now() > until) return;
      this.store.releaseLock(this.threadId, this.owner).catch(() => {
        setTimeout(attempt, Math.min(1000, Math.max(50, this.ttlMs / 10))).unref?.();
      });
    };
    setTimeout(attempt, Math.min(1000, Math.max(50, this.ttlMs / 10))).unref?.();
  }
}

/**
 * Runs `fn` holding the thread's lock (for edits and forks, which must not race a run). `fn` gets the lock's
 * owner, to fence its saves with (SaveOptions.lockOwner).
 */
export async function withThreadLock<T>(store: CheckpointStore, threadId: string, ttlMs: number, fn: (owner: string) => Promise<T>): Promise<T> {
  const lock = await ThreadLock.acquire(store, threadId, ttlMs);
  try {
    return await fn(lock.owner);
  } finally {
    await lock.release();
  }
}
