import { otherMethods } from "@/lib/server/http";
import { route } from "@/lib/server/route";
import { scrape } from "@/lib/server/metrics";

export const dynamic = "force-dynamic";

/** Prometheus text format (prom-client): store, run, step, HTTP and interrupt figures; see README "Monitoring". */
export const GET = route(async (_rt, _req, _p, who) => scrape(who), { scope: "metrics" });

export const { POST, PUT, PATCH, DELETE, OPTIONS } = otherMethods("GET");
