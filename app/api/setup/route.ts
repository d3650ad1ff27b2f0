import { json, readBody, otherMethods } from "@/lib/server/http";
import { openRoute } from "@/lib/server/route";
import { claimFirstAdmin } from "@/lib/server/auth/handler";
import { setupStatus } from "@/lib/server/accounts";
import { SetupBody } from "@/lib/api/requests";

export const dynamic = "force-dynamic";

/** Whether this instance still needs its first admin (no accounts yet), and whether SSO is configured. */
export const GET = openRoute(async (rt) => json(await setupStatus(rt)));

/** Uses the one-time link printed at start-up: creates the first admin and signs them in (session cookie). */
export const POST = openRoute(async (rt, req) => claimFirstAdmin(rt, req, await readBody(req, SetupBody)));

export const { PUT, PATCH, DELETE } = otherMethods("GET", "POST");
