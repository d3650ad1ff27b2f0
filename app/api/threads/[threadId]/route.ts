import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { deleteThread, threadFor } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

type P = { threadId: string };

export const GET = route<P>(async (rt, _req, { threadId }, who) => json(await threadFor(rt, who, threadId)));

export const DELETE = route<P>(async (rt, _req, { threadId }, who) => json(await deleteThread(rt, who, threadId)));

export const { POST, PUT, PATCH, OPTIONS } = otherMethods("GET", "DELETE");
