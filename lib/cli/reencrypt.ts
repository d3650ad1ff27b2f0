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

/** Long enough for any one thread's rewrite; released as soon as the thread is done. */
const LOCK_TTL_MS = 10 * 60_000;

/**
 * Moves every sealed value of the selected threads to the ring's current key, in place (lib/checkpoint/reseal.ts
 * and reseal-rows.ts say how, and why it is safe to interrupt). Each thread is rewritten under its run lock, so
 * no run saves into it meanwhile; a thread whose lock a run holds is skipped and reported (`busy`). A value no
 * configured key opens stops the command with the ENCRYPTION_KEY error, naming the thread: rows already
 * rewritten stay rewritten, and a second run after fixing the key ring carries on.
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
  const owner = `waypoint-reencrypt-${randomBytes(6).toString("hex")}`;
  const backend = await resealBackend(config);
  try {
    for await (const thread of selectThreads(store, sel)) {
      report.threads++;
      options.progress?.total?.(thread.checkpointCount);
      const t = thread.threadId;
      const locked = options.dryRun || (await store.acquireLock(t, owner, LOCK_TTL_MS)).acquired;
      if (!locked) {
        report.busy.push(t);
        options.progress?.tick?.(thread.checkpointCount, t);
        continue;
      }
      try {
        const done = await backend.thread(t, r, !!options.dryRun);
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
