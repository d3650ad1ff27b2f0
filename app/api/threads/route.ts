import { json, readBody, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { createThread, listThreads } from "@/lib/server/threads";
import { CreateThreadBody, ListThreadsQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** `{ graphId, input?, metadata? }` → 201 with the thread; with an input its first run starts in the background. */
export const POST = route(async (rt, req, _p, who) => json(await createThread(rt, who, await readBody(req, CreateThreadBody)), 201));

export const GET = route(async (rt, req, _p, who) => json(await listThreads(rt, who, readQuery(req, ListThreadsQuery))));

export const { PUT, PATCH, DELETE } = otherMethods("POST", "GET");
