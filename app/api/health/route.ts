import { json, otherMethods } from "@/lib/server/http";
import { openRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Liveness plus the store in use (503 with the store's one-sentence error when it cannot be reached). */
export const GET = openRoute(async (rt) => {
  await rt.store.listThreads({ limit: 1 });
  return json({ ok: true, store: rt.store.kind });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET");
