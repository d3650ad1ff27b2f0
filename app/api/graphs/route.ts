import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { listGraphs } from "@/lib/server/threads";

export const dynamic = "force-dynamic";

export const GET = route(async (rt) => json(listGraphs(rt)));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
