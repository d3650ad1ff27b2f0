import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { graphSummary } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

export const GET = route<{ graphId: string }>(async (rt, _req, { graphId }) => json(graphSummary(rt, graphId)));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
