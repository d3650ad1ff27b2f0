import { json, readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { auditList } from "@/lib/server/accounts";
import { AuditQuery } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** Admins: audit entries, newest first, filtered by person, thread, action and time; `nextCursor` pages on. */
export const GET = route(async (rt, req, _p, who) => json(await auditList(rt, who, readQuery(req, AuditQuery))));

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET");
