import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { threadStorage } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

/** `{ threadId, backend, bytes, checkpoints, snapshots, deltas, largest }`: what the thread occupies in the store. */
export const GET = route<{ threadId: string }>(async (rt, _req, { threadId }, who) => json(await threadStorage(rt, who, threadId)));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
