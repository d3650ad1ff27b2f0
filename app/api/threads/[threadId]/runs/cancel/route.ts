import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { cancelThreadRun } from "@/lib/server/cancel";
import { CancelRunBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** Stops the thread's active run: 200 once it ended (cancelled at its last checkpoint); 409 when nothing runs. */
export const POST = route<{ threadId: string }>(async (rt, req, { threadId }, who) =>
  json(await cancelThreadRun(rt, who, threadId, await readBody(req, CancelRunBody))),
);

export const { GET, PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST");
