import { json, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { history } from "@/lib/server/threads";
import { HistoryQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** `{ checkpoints, nextCursor }`, newest first; pass `nextCursor` back as `before` for the next page. */
export const GET = route<{ threadId: string }>(async (rt, req, { threadId }, who) =>
  json(await history(rt, who, threadId, readQuery(req, HistoryQuery))),
);

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET");
