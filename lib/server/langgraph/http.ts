import "server-only";
import { NextResponse } from "next/server";
import { HttpError, handle } from "../http";
import { openRoute, route } from "../route";
import type { Runtime } from "../runtime";
import type { Caller } from "../auth/caller";
import { preflight, withCors } from "./cors";

/**
 * Plumbing of the protocol routes: every request but `GET /info` goes through the native `route()` (the same
 * authentication, cross-site checks, reviewer-or-above for changes, and `Caller` for actors and the audit trail);
 * its error answers are reshaped into the reference server's `{ "detail": message }` (the SDK shows the body in
 * its `HTTP <status>: <body>` errors; `code` keeps Waypoint's code), and CORS headers are added (cors.ts).
 */
export type LgHandler = (rt: Runtime, req: Request, params: Record<string, string>, who: Caller) => Promise<Response>;
export type LgOpenHandler = (rt: Runtime, req: Request) => Promise<Response>;

export const lgJson = (data: unknown, status = 200, headers: Record<string, string> = {}) =>
  NextResponse.json(data, { status, headers: { "cache-control": "no-store", ...headers } });

/** Protocol-shaped errors thrown by the protocol services: `{ detail }` with the status. */
export const lgError = (status: 400 | 404 | 409 | 422, message: string) =>
  new HttpError(status, status === 404 ? "NOT_FOUND" : status === 409 ? "CONFLICT" : "INVALID_BODY", message);

async function reshape(res: Response): Promise<Response> {
  if (res.status < 400 || !(res.headers.get("content-type") ?? "").includes("application/json")) return res;
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; [k: string]: unknown } } | null;
  if (!body?.error) return lgJson(body, res.status);
  const { code, message, ...extra } = body.error;
  const out = lgJson({ detail: message ?? "Error", code, ...extra }, res.status);
  for (const h of ["www-authenticate", "allow"]) {
    const v = res.headers.get(h);
    if (v) out.headers.set(h, v);
  }
  return out;
}

type Ctx = { params: Promise<{ path?: string[] }> };

/**
 * The catch-all's handler: `resolve(method, segments)` finds the endpoint (or null: 404). `open` endpoints skip
 * authentication (only `/info`, which says nothing about threads).
 */
export function lgEntry(
  resolve: (method: string, segments: string[]) => { fn: LgHandler | LgOpenHandler; params: Record<string, string>; open?: boolean } | null,
) {
  const authed = route<{ path?: string[] }>(async (rt, req, p, who) => {
    const hit = resolve(req.method, p.path ?? []);
    if (!hit || hit.open) throw notFound(req);
    return (hit.fn as LgHandler)(rt, req, hit.params, who);
  });
  const open = openRoute<{ path?: string[] }>(async (rt, req, p) => {
    const hit = resolve(req.method, p.path ?? []);
    return (hit!.fn as LgOpenHandler)(rt, req);
  });
  return async (req: Request, ctx: Ctx): Promise<Response> => {
    const segments = (await ctx.params).path ?? [];
    const hit = resolve(req.method, segments);
    const res = hit?.open ? await open(req, ctx) : hit ? await authed(req, ctx) : await handle(async () => Promise.reject(notFound(req)))();
    return withCors(req, await reshape(res));
  };
}

const notFound = (req: Request) => new HttpError(404, "NOT_FOUND", `No LangGraph API route ${req.method} ${new URL(req.url).pathname}.`);

export const lgPreflight = async (req: Request) => preflight(req);

/** Matches `/threads/:thread_id/runs` style patterns against path segments. */
export function matcher<T>(table: [string, T][]) {
  const compiled = table.map(([spec, value]) => {
    const [method, path] = spec.split(" ");
    return { method, parts: path.split("/").filter(Boolean), value };
  });
  return (method: string, segments: string[]): { value: T; params: Record<string, string> } | null => {
    for (const r of compiled) {
      if (r.method !== method || r.parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      if (r.parts.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = segments[i]), true) : p === segments[i])))
        return { value: r.value, params };
    }
    return null;
  };
}
