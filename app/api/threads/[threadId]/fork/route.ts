import { json, readBody, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { forkThread } from "@/lib/server/threads";
import { ForkBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** 201 with the `__fork__` checkpoint and its thread (this one, or the new copy). */
export const POST = route<{ threadId: string }>(async (rt, req, { threadId }, who) =>
  json(await forkThread(rt, who, threadId, await readBody(req, ForkBody)), 201),
);

export const { GET, PUT, PATCH, DELETE } = otherMethods("POST");
