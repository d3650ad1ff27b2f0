import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { getCheckpoint } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

export const GET = route<{ threadId: string; checkpointId: string }>(async (rt, _req, { threadId, checkpointId }, who) =>
  json(await getCheckpoint(rt, who, threadId, checkpointId)),
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
