import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { createSchedule, listSchedules } from "@/lib/server/schedules/service";
import { CreateScheduleBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** The schedules of the graphs the caller may read. */
export const GET = route(async (rt, _req, _p, who) => json(await listSchedules(rt, who)));

/** `{ graphId, cron, timezone?, input?, threadId?, paused? }` → 201 with the schedule (operator). */
export const POST = route(async (rt, req, _p, who) => json(await createSchedule(rt, who, await readBody(req, CreateScheduleBody)), 201));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET", "POST");
