import "server-only";
import { settings } from "../config";

/**
 * CORS for the LangGraph protocol routes, so a UI served from another origin (agent-chat-ui on :3001, Agent
 * Inbox, a page of your own) can call them. Only origins listed in `WAYPOINT_CORS_ORIGINS` (comma-separated,
 * exact `scheme://host[:port]`, or `*` for any) get CORS headers; everyone else gets none, so the browser
 * blocks the answer. Credentials (cookies) are never allowed cross-origin: a cross-origin client authenticates
 * with an API token (`Authorization: Bearer` or `x-api-key`), which route()'s cross-site check accepts.
 */
export const allowedOrigins = (): string[] => settings().corsOrigins;

function allowed(origin: string | null): boolean {
  if (!origin) return false;
  const list = allowedOrigins();
  return list.includes("*") || list.includes(origin);
}

const EXPOSED = "Content-Location, Location, X-Pagination-Next, X-Pagination-Total";
const ALLOWED_HEADERS = "authorization, x-api-key, content-type, last-event-id, x-auth-scheme, x-request-id, prefer";
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/** Adds the CORS headers an allowed origin needs to a response (in place; returns it). */
export function withCors(req: Request, res: Response): Response {
  const origin = req.headers.get("origin");
  res.headers.append("Vary", "Origin");
  if (!allowed(origin)) return res;
  res.headers.set("Access-Control-Allow-Origin", origin!);
  res.headers.set("Access-Control-Expose-Headers", EXPOSED);
  return res;
}

/** The answer to a preflight: 204 with the allowed methods and headers, or 403 for an origin not on the list. */
export function preflight(req: Request): Response {
  const origin = req.headers.get("origin");
  if (!allowed(origin))
    return new Response(JSON.stringify({ detail: `Origin ${origin ?? "(none)"} is not allowed; add it to WAYPOINT_CORS_ORIGINS.` }), {
      status: 403,
      headers: { "content-type": "application/json", Vary: "Origin" },
    });
  return new Response(null, {
    status: 204,
    headers: {
      "Access-Control-Allow-Origin": origin!,
      "Access-Control-Allow-Methods": ALLOWED_METHODS,
      "Access-Control-Allow-Headers": req.headers.get("access-control-request-headers") ?? ALLOWED_HEADERS,
      "Access-Control-Max-Age": "600",
      Vary: "Origin",
    },
  });
}
