import "server-only";
import { v7 as uuidv7 } from "uuid";
import { WaypointError, isThreadNotFound } from "../../errors";
import { assertSafeId } from "../../checkpoint/ids";
import type { ApiSchedule, ApiScheduleDeleted, ApiScheduleFire, ApiScheduleList } from "../../api/responses";
import type { CreateScheduleBody, UpdateScheduleBody } from "../../api/requests";
import type { Caller } from "../auth/caller";
import { zodMessage } from "../http";
import type { Runtime } from "../runtime";
import { checkCron, hasSeconds, nextFire } from "./cron";
import { fireSchedule } from "./fire";
import { scheduleNotFound, type ScheduleRow } from "./store";

/**
 * The schedule services behind /api/schedules. Everything is checked before anything is saved (graph, cron
 * expression, time zone, input against the graph's schema), so a refused request changes nothing; the driver
 * (the queue's scheduler, or the in-process timer) is told after the row is saved.
 *
 * Reading needs read access to the schedule's graph; creating, changing, deleting and firing one need the
 * role that starts runs (operator), on that graph.
 */
export async function listSchedules(rt: Runtime, who: Caller): Promise<ApiScheduleList> {
  const rows = await rt.schedules.repo.list();
  return { schedules: rows.filter((s) => who.can("read", s.graphId)).map((s) => view(rt, s)) };
}

export async function getSchedule(rt: Runtime, who: Caller, id: string): Promise<ApiSchedule> {
  return view(rt, await readable(rt, who, id));
}

export async function createSchedule(rt: Runtime, who: Caller, body: CreateScheduleBody): Promise<ApiSchedule> {
  who.authorize("run", body.graphId);
  const timezone = body.timezone ?? "UTC";
  const input = check(rt, body.graphId, body.cron, timezone, body.input ?? {});
  if (body.threadId) await checkThread(rt, body.graphId, body.threadId);
  const paused = body.paused ?? false;
  const row = await rt.schedules.repo.create({
    id: uuidv7(),
    graphId: body.graphId,
    cron: body.cron,
    timezone,
    input,
    threadId: body.threadId ?? null,
    paused,
    createdBy: who.actor,
    nextRunAt: paused ? null : nextFire(body.cron, timezone),
  });
  // Not registered with the queue (it is down): no schedule either, so the refused request changed nothing.
  await rt.schedules.driver.saved(row).catch(async (err: unknown) => {
    await rt.schedules.repo.delete(row.id).catch(() => {});
    throw err;
  });
  await who.audit({ action: "schedule_create", graphId: row.graphId, detail: { scheduleId: row.id, cron: row.cron, timezone, input } });
  return view(rt, row);
}

export async function updateSchedule(rt: Runtime, who: Caller, id: string, body: UpdateScheduleBody): Promise<ApiSchedule> {
  const old = await readable(rt, who, id);
  who.authorize("run", old.graphId);
  const cron = body.cron ?? old.cron;
  const timezone = body.timezone ?? old.timezone;
  const input = check(rt, old.graphId, cron, timezone, body.input ?? JSON.parse(old.input));
  if (body.threadId) await checkThread(rt, old.graphId, body.threadId);
  const paused = body.paused ?? old.paused;
  const row = await rt.schedules.repo.update(id, {
    cron,
    timezone,
    input,
    paused,
    ...(body.threadId !== undefined ? { threadId: body.threadId } : {}),
    // Resumed or re-timed: the next tick counts from now (ticks missed while paused are not made up).
    nextRunAt: paused ? null : nextFire(cron, timezone),
  });
  await rt.schedules.driver.saved(row);
  await who.audit({ action: "schedule_update", graphId: row.graphId, detail: { scheduleId: id, ...body } });
  return view(rt, row);
}

export async function deleteSchedule(rt: Runtime, who: Caller, id: string): Promise<ApiScheduleDeleted> {
  const old = await readable(rt, who, id);
  who.authorize("run", old.graphId);
  await rt.schedules.repo.delete(id);
  await rt.schedules.driver.removed(id);
  await who.audit({ action: "schedule_delete", graphId: old.graphId, detail: { scheduleId: id, cron: old.cron } });
  return { deleted: true, scheduleId: id };
}

/** Fires the schedule now (also a paused one), as a tick would; the answer says which run it started. */
export async function runScheduleNow(rt: Runtime, who: Caller, id: string): Promise<ApiScheduleFire> {
  const s = await readable(rt, who, id);
  who.authorize("run", s.graphId);
  const fired = await fireSchedule({ store: rt.store, graphs: rt.graphs, runs: rt.runs, repo: rt.schedules.repo }, s);
  await who.audit({ action: "schedule_run", threadId: fired.threadId, graphId: s.graphId, detail: { scheduleId: id, ...fired } });
  return { schedule: view(rt, await rt.schedules.repo.get(id)), ...fired };
}

async function readable(rt: Runtime, who: Caller, id: string): Promise<ScheduleRow> {
  const s = await rt.schedules.repo.find(id);
  // A schedule of a graph the caller may not read is "not found" to them, as it is not in their list.
  if (!s || !who.can("read", s.graphId)) throw scheduleNotFound(id);
  return s;
}

/** Graph known, expression and zone valid, input accepted by the graph: the input with its defaults filled in. */
function check(rt: Runtime, graphId: string, cron: string, timezone: string, input: unknown): Record<string, unknown> {
  const def = rt.graphs.definition(graphId);
  checkCron(cron, timezone);
  if (rt.schedules.driver.kind === "pg-boss" && hasSeconds(cron))
    throw new WaypointError(
      "INVALID_ARGUMENT",
      `Cron expression "${cron}" has a seconds field; pg-boss (the PostgreSQL queue) fires schedules at most once a minute. Use five fields.`,
    );
  const parsed = def.input.safeParse(input);
  if (!parsed.success) throw new WaypointError("INVALID_STATE", `Input rejected by graph "${graphId}": ${zodMessage(parsed.error)}`);
  return parsed.data as Record<string, unknown>;
}

/** A fixed thread: a valid id, and (when it exists already) a thread of the schedule's graph. */
async function checkThread(rt: Runtime, graphId: string, threadId: string): Promise<void> {
  assertSafeId(threadId);
  const t = await rt.store.getThread(threadId).catch((err: unknown) => {
    if (isThreadNotFound(err)) return null;
    throw err;
  });
  if (t?.graphId && t.graphId !== graphId)
    throw new WaypointError("INVALID_ARGUMENT", `Thread "${threadId}" belongs to graph "${t.graphId}"; a schedule of "${graphId}" cannot run on it.`);
}

function view(rt: Runtime, s: ScheduleRow): ApiSchedule {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    scheduleId: s.id,
    graphId: s.graphId,
    cron: s.cron,
    timezone: s.timezone,
    input: JSON.parse(s.input) as Record<string, unknown>,
    threadId: s.threadId,
    paused: s.paused,
    createdBy: s.createdBy,
    createdAt: iso(s.createdAt)!,
    updatedAt: iso(s.updatedAt)!,
    nextRunAt: s.paused ? null : nextFire(s.cron, s.timezone).toISOString(),
    lastRunAt: iso(s.lastRunAt),
    lastThreadId: s.lastThreadId,
    lastRunId: s.lastRunId,
    lastError: s.lastError,
    firedBy: rt.schedules.driver.kind,
  };
}
