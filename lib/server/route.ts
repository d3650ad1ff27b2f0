import "server-only";
import { WaypointError } from "../errors";
import { Caller } from "./auth/caller";
import { requestInfo } from "./auth/audit";
import { checkContentType, checkOrigin, MUTATING } from "./auth/csrf";
import { handle } from "./http";
import { metrics } from "./metrics";
import { getRuntime, type Runtime } from "./runtime";

/**
 * Route handler plumbing: `route(async (rt, req, params, who) => ...)` gives the handler the runtime, the
 * awaited path params and the authenticated caller, and sends every error through the one error mapper.
 *
 * Every request is authenticated here (401 without a session or token). A mutating request must also pass the
 * cross-site checks (csrf.ts) and come from a role that may change something at all (reviewer or above), so a
 * viewer can never change a thread even where a service forgot its own, finer check (`who.authorize`). The one
 * exception is a person's own account (their API tokens), declared with `{ mutation: "read" }`.
 */
type Ctx<P> = { params: Promise<P> };

/** `handle` (one error mapper) plus the request's count and duration in the metrics, by route pattern and status. */
function timed<P>(fn: (req: Request, ctx: Ctx<P>) => Promise<Response>) {
  const handler = handle(fn);
  return async (req: Request, ctx: Ctx<P>): Promise<Response> => {
    const t0 = performance.now();
    const res = await handler(req, ctx);
    metrics().http(req.method, new URL(req.url).pathname, res.status, performance.now() - t0);
    return res;
  };
}

export function route<P = Record<string, never>>(
  fn: (rt: Runtime, req: Request, params: P, who: Caller) => Promise<Response>,
  /**
   * `mutation`: the least a mutation needs before the service's own checks; only a caller's own account routes
   * lower it. `scope`: "metrics" on the one route a metrics-only token may call (GET /api/metrics).
   */
  opts: { mutation?: "decide" | "read"; scope?: "metrics" } = {},
) {
  return timed(async (req: Request, ctx: Ctx<P>) => {
    const rt = await getRuntime();
    const principal = await rt.access.authn.authenticate(req);
    checkOrigin(req, principal);
    checkContentType(req);
    // A metrics-only token reads the metrics and nothing else, whatever its role.
    if (principal.scope === "metrics" && opts.scope !== "metrics")
      throw new WaypointError("FORBIDDEN", 'This API token may only read GET /api/metrics (its scope is "metrics").', {
        action: "read",
        role: principal.role,
      });
    const who = new Caller(principal, requestInfo(req), rt.access.audit);
    if (MUTATING.has(req.method)) who.authorize(opts.mutation ?? "decide");
    else who.authorize("read");
    return fn(rt, req, await ctx.params, who);
  });
}

/** A route anyone may call (liveness for load balancers, the first-admin set-up): no authentication. */
export function openRoute<P = Record<string, never>>(fn: (rt: Runtime, req: Request, params: P) => Promise<Response>) {
  return timed(async (req: Request, ctx: Ctx<P>) => {
    checkContentType(req);
    return fn(await getRuntime(), req, await ctx.params);
  });
}
