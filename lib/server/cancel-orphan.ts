import "server-only";
import { WaypointError, isThreadBusy } from "../errors";
import { withThreadLock } from "../engine/thread-lock";
import type { Runtime } from "./runtime";

/** A "running" thread no server runs here: cancelled under its lock, or 409 when a live process holds the lock. */
export async function cancelOrphan(rt: Runtime, threadId: string): Promise<void> {
  try {
    await withThreadLock(rt.store, threadId, rt.graphs.lockTtlMs, async () => {
      // Re-read under the lock: the run may have ended between the first read and taking the lock.
      const t = await rt.store.getThread(threadId);
      if (t.status !== "running")
        throw new WaypointError("NO_ACTIVE_RUN", `Thread "${threadId}" has no run to stop: it is ${t.status}.`, { threadId });
      await rt.store.updateThread(threadId, { status: "cancelled", error: null });
    });
  } catch (err) {
    if (!isThreadBusy(err)) throw err;
    throw new WaypointError(
      "CONFLICT",
      `Thread "${threadId}" is being run by another server; this one cannot stop it. Try again on the server that runs it, or once the run ends.`,
      { threadId },
    );
  }
}
