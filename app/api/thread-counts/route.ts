import { json, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { threadCounts } from "@/lib/server/thread-counts";
import { ThreadCountsQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** `{ waiting, capped, oldestWaitingSince, matching }`: waiting threads, and the list filter's count, that the caller may read. */
export const GET = route(async (rt, req, _p, who) => json(await threadCounts(rt, who, readQuery(req, ThreadCountsQuery))));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
