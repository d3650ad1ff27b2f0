import "server-only";
import { v5 as uuidv5, v7 as uuidv7 } from "uuid";
import { isThreadNotFound, isWaypointError } from "../../errors";
import type { CheckpointStore } from "../../checkpoint/types";
import type { GraphRegistry } from "../graphs";
import type { RunManager } from "../runs";
import { zodMessage } from "../http";
import { errFields, log } from "../log";
import type { ScheduleRepo, ScheduleRow } from "./store";

export interface FireDeps {
  store: CheckpointStore;
  graphs: GraphRegistry;
  /**
   * Starts the run as POST /runs does: here (the run manager), or with workers as a run job on the queue
   * (QueueDispatch — also in a worker, so a fired run is an ordinary run job any worker may take).
   */
  runs: Pick<RunManager, "start">;
  repo: ScheduleRepo;
}

export interface FireResult {
  threadId: string | null;
  runId: string | null;
  error: string | null;
}

/** Namespace of the ids derived from a queue job's id (any fixed UUID; changing it changes nothing stored). */
const FIRE_NS = "3f0c6a52-8a7e-4d5b-9a43-5a1f0e2b7c11";

/**
 * One fire of a schedule: the run POST /api/threads (new thread) or POST /api/threads/:id/runs (a fixed thread)
 * would start, with the schedule's input checked again against the graph (the config may have changed since it
 * was saved). What happened is recorded on the schedule; a fire that cannot start a run (input refused, the
 * fixed thread still busy with the last one) records why and starts nothing — the next tick tries again.
 *
 * `fireId`: the queue job's id. Queues deliver at least once, so the thread and run ids of a queued fire are
 * derived from it: a second delivery finds its run already on the thread and does nothing.
 */
export async function fireSchedule(deps: FireDeps, s: ScheduleRow, fireId?: string): Promise<FireResult> {
  const runId = fireId ? uuidv5(`run:${fireId}`, FIRE_NS) : uuidv7();
  const threadId = s.threadId ?? (fireId ? uuidv5(`thread:${fireId}`, FIRE_NS) : uuidv7());
  const result = await start(deps, s, threadId, runId).catch((err: unknown): FireResult | null => {
    const message = isWaypointError(err) || err instanceof Error ? err.message : String(err);
    log().warn({ scheduleId: s.id, graph: s.graphId, ...errFields(err) }, `schedule ${s.id} fired no run: ${message}`);
    return { threadId: s.threadId, runId: null, error: message };
  });
  if (!result) return { threadId, runId, error: null };
  await deps.repo.recordFire(s.id, result);
  if (result.runId)
    log().info({ scheduleId: s.id, graph: s.graphId, threadId, runId }, `schedule ${s.id} started run ${runId} on thread ${threadId}`);
  return result;
}

/** null: this fire's run is on the thread already (a queued fire delivered again). */
async function start(deps: FireDeps, s: ScheduleRow, threadId: string, runId: string): Promise<FireResult | null> {
  const def = deps.graphs.definition(s.graphId);
  const parsed = def.input.safeParse(JSON.parse(s.input));
  if (!parsed.success) return { threadId: s.threadId, runId: null, error: `Input rejected by graph "${s.graphId}": ${zodMessage(parsed.error)}` };
  const existing = await deps.store.getThread(threadId).catch((err: unknown) => {
    if (isThreadNotFound(err)) return null;
    throw err;
  });
  if (existing && (await deps.store.latest(threadId))?.metadata.runId === runId) return null;
  if (existing && existing.graphId && existing.graphId !== s.graphId)
    return { threadId, runId: null, error: `Thread "${threadId}" belongs to graph "${existing.graphId}", not "${s.graphId}".` };
  if (!existing) await deps.store.updateThread(threadId, { graphId: s.graphId, status: "idle", metadata: { scheduleId: s.id } });
  const { run } = await deps.runs.start(threadId, s.graphId, {
    input: parsed.data,
    runId,
    metadata: { actor: "schedule", actorId: s.createdBy, scheduleId: s.id },
  });
  return { threadId, runId: run.runId, error: null };
}
