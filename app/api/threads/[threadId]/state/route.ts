import { json, readBody, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { editState, stateOf } from "@/lib/server/threads";
import { EditStateBody, StateQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

type P = { threadId: string };

export const GET = route<P>(async (rt, req, { threadId }, who) => json(await stateOf(rt, who, threadId, readQuery(req, StateQuery).checkpointId)));

/** A human edit: a new checkpoint (a branch when made on an old one). 422 when the state schema rejects it. */
export const POST = route<P>(async (rt, req, { threadId }, who) => json(await editState(rt, who, threadId, await readBody(req, EditStateBody)), 201));

export const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");
