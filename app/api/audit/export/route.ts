import { readQuery, otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { auditExport } from "@/lib/server/accounts";
import { AuditFilter } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** Admins: every matching entry as JSON Lines (one entry per line, newest first), streamed. */
export const GET = route(async (rt, req, _p, who) => {
  const body = auditExport(rt, who, readQuery(req, AuditFilter));
  return new Response(body, {
    headers: {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="waypoint-audit-${new Date().toISOString().slice(0, 10)}.jsonl"`,
      "cache-control": "no-store",
    },
  });
});

export const { POST, PUT, PATCH, DELETE } = otherMethods("GET");
