import { json, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { me } from "@/lib/server/accounts";

export const dynamic = "force-dynamic";

/** Who the caller is, their role, graphs and the actions they may take (the dashboard hides the rest). */
export const GET = route(async (rt, _req, _p, who) => json(me(rt, who)));

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET");
