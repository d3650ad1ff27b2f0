import { json, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { diffCheckpoint } from "@/lib/server/diff";
import { DiffQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** The state changes from `against` (default: the parent) to this checkpoint, as paths with before/after. */
export const GET = route<{ threadId: string; checkpointId: string }>(async (rt, req, { threadId, checkpointId }, who) =>
  json(await diffCheckpoint(rt, who, threadId, checkpointId, readQuery(req, DiffQuery).against)),
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
