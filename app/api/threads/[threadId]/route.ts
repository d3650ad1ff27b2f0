import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { deleteThread, threadView } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

type P = { threadId: string };

export const GET = route<P>(async (rt, _req, { threadId }) => json(await threadView(rt, threadId)));

export const DELETE = route<P>(async (rt, _req, { threadId }) => {
  await deleteThread(rt, threadId);
  return json({ deleted: true, threadId });
});

export const { POST, PUT, PATCH, OPTIONS } = otherMethods("GET", "DELETE");
