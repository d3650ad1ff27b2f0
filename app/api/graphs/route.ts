import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { graphSummary } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

export const GET = route(async (rt) => json({ graphs: rt.graphs.list().map((g) => graphSummary(rt, g.id)) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
