import "server-only";
import { handle } from "./http";
import { getRuntime, type Runtime } from "./runtime";

/**
 * Route handler plumbing: `route(async (rt, req, params) => ...)` gives the handler the runtime and the
 * awaited path params, and sends every error through the one error mapper.
 */
type Ctx<P> = { params: Promise<P> };

export function route<P = Record<string, never>>(fn: (rt: Runtime, req: Request, params: P) => Promise<Response>) {
  return handle(async (req: Request, ctx: Ctx<P>) => fn(await getRuntime(), req, await ctx.params));
}
