import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { runScheduleNow } from "@/lib/server/schedules/service";

export const dynamic = "force-dynamic";

/** Fires the schedule now (paused or not), as a tick would: 202 with the run it started, or 200 with `error` saying why it started none. */
export const POST = route<{ scheduleId: string }>(async (rt, _req, { scheduleId }, who) => {
  const fired = await runScheduleNow(rt, who, scheduleId);
  return json(fired, fired.runId ? 202 : 200);
});

export const { GET, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
