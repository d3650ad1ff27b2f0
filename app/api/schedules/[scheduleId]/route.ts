import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { deleteSchedule, getSchedule, updateSchedule } from "@/lib/server/schedules/service";
import { UpdateScheduleBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

export const GET = route<{ scheduleId: string }>(async (rt, _req, { scheduleId }, who) => json(await getSchedule(rt, who, scheduleId)));

/** Pause / resume (`paused`), or change its cron, time zone, input or thread (operator). */
export const PATCH = route<{ scheduleId: string }>(async (rt, req, { scheduleId }, who) =>
  json(await updateSchedule(rt, who, scheduleId, await readBody(req, UpdateScheduleBody))),
);

/** Removes it and its entry in the queue's scheduler; runs it started are left as they are. */
export const DELETE = route<{ scheduleId: string }>(async (rt, _req, { scheduleId }, who) => json(await deleteSchedule(rt, who, scheduleId)));

export const { POST, PUT, OPTIONS } = otherMethods("GET", "PATCH", "DELETE");
