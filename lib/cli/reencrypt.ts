import { randomBytes } from "node:crypto";
import { WaypointError, isWaypointError } from "../errors";
import type { Keyring } from "../checkpoint/crypto";
import type { StoreConfig } from "../checkpoint/factory";
import { Resealer, type ResealCounts } from "../checkpoint/reseal";
import { resealBackend } from "../checkpoint/reseal-rows";
import type { CheckpointStore } from "../checkpoint/types";
import { selectThreads, type ThreadSelection } from "./archive";
import type { Progress } from "./transfer";

export interface ReencryptReport extends ResealCounts {
  threads: number;
  checkpoints: number;
  /** Checkpoints rewritten (a dry run: that would be). */
  rewritten: number;
  /** Threads skipped because a run held their lock: run the command again later. */
  busy: string[];
  keyId: string;
  dryRun: boolean;
  ms: number;
}

/**
 * The thread's run lock while it is rewritten: a short lease, renewed every third of it while the rewrite goes on
 * and released when the thread is done. Short so that the lock of a reencrypt that was killed (SIGKILL, a lost
 * machine) lapses soon: the next reencrypt waits for it and finishes that thread, instead of leaving it behind
 * as "busy" for as long as a long lease would.
 */
const LOCK_TTL_MS = 30_000;
/** Every reencrypt's lock owner starts so: another reencrypt's lock is waited for, a run's is skipped. */
const OWNER_PREFIX = "waypoint-reencrypt-";
/** How long to wait for another reencrypt's lock on one thread before reporting the thread busy. */
const WAIT_OTHER_MS = 5 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the thread's lock for this reencrypt. A run's lock: false (the thread is reported busy, a later run of
 * the command does it). Another reencrypt's: waited for — a killed one's lapses within LOCK_TTL_MS, a live one
 * releases it when the thread is done (and then every value is current: this pass finds nothing to rewrite).
 */
async function lockThread(store: CheckpointStore, threadId: string, owner: string, progress?: Progress): Promise<boolean> {
  const giveUp = Date.now() + WAIT_OTHER_MS;
  for (let said = false; ; said = true) {
    const got = await store.acquireLock(threadId, owner, LOCK_TTL_MS);
    if (got.acquired) return true;
    if (!got.owner.startsWith(OWNER_PREFIX) || Date.now() > giveUp) return false;
    // Said once per thread, so a wait of up to LOCK_TTL_MS does not look like a hang.
    if (!said)
      progress?.note?.(
        `Thread ${threadId} is being re-encrypted by another reencrypt (${got.owner}): waiting for it to finish, or for its lock to lapse within ${LOCK_TTL_MS / 1000} s if it was stopped.`,
      );
    await sleep(1_000);
  }
}

/** Renews the lock while `work` goes on (acquireLock by the same owner renews it). */
async function holdingLock<T>(store: CheckpointStore, threadId: string, owner: string, work: () => Promise<T>): Promise<T> {
  const renew = setInterval(() => {
    // A failed renewal (the store down a moment) is not fatal: each checkpoint is still rewritten atomically and
    // checked against its pending writes; only a run could then save into the thread meanwhile, adding new rows.
    store.acquireLock(threadId, owner, LOCK_TTL_MS).catch(() => {});
  }, LOCK_TTL_MS / 3);
  try {
    return await work();
  } finally {
    clearInterval(renew);
  }
}

/**
 * Moves every sealed value of the selected threads to the ring's current key, in place (lib/checkpoint/reseal.ts
 * and reseal-rows.ts say how, and why it is safe to interrupt). Each thread is rewritten under its run lock, so
 * no run saves into it meanwhile; a thread whose lock a run holds is skipped and reported (`busy`). A value no
 * configured key opens stops the command with the ENCRYPTION_KEY error, naming the thread: rows already
 * rewritten stay rewritten, and a second run after fixing the key ring carries on. So does a second run after
 * the command was killed: every checkpoint is wholly old or wholly new (both readable while the old key is
 * configured), and the killed run's lock on its last thread lapses within LOCK_TTL_MS, which the second waits out.
 */
export async function reencrypt(
  store: CheckpointStore,
  config: StoreConfig,
  ring: Keyring | null,
  sel: ThreadSelection,
  options: { dryRun?: boolean; progress?: Progress } = {},
): Promise<ReencryptReport> {
  const t0 = Date.now();
  if (!ring?.current)
    throw new WaypointError(
      "ENCRYPTION_KEY",
      "reencrypt needs the key to encrypt with: set WAYPOINT_ENCRYPTION_KEY to it, and WAYPOINT_ENCRYPTION_KEYS_OLD to the old key(s) (comma-separated).",
    );
  const r = new Resealer(ring);
  const report: ReencryptReport = {
    threads: 0,
    checkpoints: 0,
    rewritten: 0,
    busy: [],
    keyId: ring.current.id,
    dryRun: !!options.dryRun,
    ms: 0,
    ...r.counts,
  };
  const owner = `${OWNER_PREFIX}${randomBytes(6).toString("hex")}`;
  const backend = await resealBackend(config);
  try {
    for await (const thread of selectThreads(store, sel)) {
      report.threads++;
      options.progress?.total?.(thread.checkpointCount);
      const t = thread.threadId;
      const locked = options.dryRun || (await lockThread(store, t, owner, options.progress));
      if (!locked) {
        report.busy.push(t);
        options.progress?.tick?.(thread.checkpointCount, t);
        continue;
      }
      try {
        const done = options.dryRun ? await backend.thread(t, r, true) : await holdingLock(store, t, owner, () => backend.thread(t, r, false));
        report.checkpoints += done.checkpoints;
        report.rewritten += done.rewritten;
        options.progress?.tick?.(done.checkpoints, t);
      } catch (e) {
        if (isWaypointError(e)) throw new WaypointError(e.code, `Thread ${t}: ${e.message}`, { ...e.details, threadId: t }, { cause: e });
        throw e;
      } finally {
        if (!options.dryRun) await store.releaseLock(t, owner);
      }
    }
  } finally {
    await backend.close();
  }
  Object.assign(report, r.counts);
  report.ms = Date.now() - t0;
  return report;
}
