import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { listForks } from "@/lib/server/forks";

export const dynamic = "force-dynamic";

/** `{ threadId, forks: [{ threadId, status, checkpointId, version, createdAt }], capped }`: threads forked from this one. */
export const GET = route<{ threadId: string }>(async (rt, _req, { threadId }, who) => json(await listForks(rt, who, threadId)));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
