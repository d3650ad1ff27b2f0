import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { startRun } from "@/lib/server/threads";
import { RunBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/**
 * Starts a run: 202 at once (it goes on in the background), or with `wait: true` 200 once it is interrupted,
 * done or failed, with the thread and its state.
 */
export const POST = route<{ threadId: string }>(async (rt, req, { threadId }, who) => {
  const res = await startRun(rt, who, threadId, await readBody(req, RunBody));
  return json(res.body, res.status);
});

export const { GET, PUT, PATCH, DELETE } = otherMethods("POST");
