import { json, readBody, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { createThread, listThreads } from "@/lib/server/threads";
import { CreateThreadBody, ListThreadsQuery } from "./schema";

export const dynamic = "force-dynamic";

/** `{ graphId, input?, metadata? }` → 201 with the thread; with an input its first run starts in the background. */
export const POST = route(async (rt, req) => json(await createThread(rt, await readBody(req, CreateThreadBody)), 201));

export const GET = route(async (rt, req) => json(await listThreads(rt, readQuery(req, ListThreadsQuery))));

export const { PUT, PATCH, DELETE, OPTIONS } = otherMethods("POST", "GET");
