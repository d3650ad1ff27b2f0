import "server-only";
import { getRuntime, type Runtime } from "../runtime";
import { requestInfo } from "./audit";
import { checkContentType } from "./csrf";
import { json } from "../http";
import type { ApiSetupClaim } from "../../api/responses";
import { errFields, log } from "../log";

/**
 * Better Auth's request handler, wrapped to keep the audit trail: every email sign-in (and every refused one,
 * with the email tried), SSO sign-ins on their callback, and sign-outs.
 */
export async function authHandler(incoming: Request): Promise<Response> {
  const rt = await getRuntime();
  const isPost = incoming.method === "POST";
  if (isPost) checkContentType(incoming);
  const req = await toBetterAuthPaths(incoming);
  const path = new URL(req.url).pathname;
  const signIn = isPost && path.endsWith("/sign-in/email");
  const tried = signIn
    ? await req
        .clone()
        .json()
        .then(
          (b: { email?: unknown }) => (typeof b?.email === "string" ? b.email.slice(0, 320) : null),
          () => null,
        )
    : null;
  const before = isPost && path.endsWith("/sign-out") ? await rt.access.auth.api.getSession({ headers: req.headers }).catch(() => null) : null;
  const res = await rt.access.auth.handler(req);
  const info = requestInfo(req);
  try {
    if (signIn) {
      const body = res.ok
        ? await res
            .clone()
            .json()
            .catch(() => null)
        : null;
      const user = body?.user as { id: string; name: string; email: string } | undefined;
      if (user)
        await rt.access.audit.record({ actorId: `user:${user.id}`, name: user.name || user.email, kind: "user" }, info, {
          action: "sign_in",
          detail: { method: "password", email: user.email },
        });
      else
        await rt.access.audit.record({ actorId: null, name: tried ?? "(unknown)", kind: "anonymous" }, info, {
          action: "sign_in_failed",
          outcome: "failed",
          detail: { method: "password", email: tried, status: res.status },
        });
    } else if (/\/callback\/[^/]+$/.test(path)) {
      const cookie = setCookiesAsHeader(res);
      const session = cookie ? await rt.access.auth.api.getSession({ headers: new Headers({ cookie }) }).catch(() => null) : null;
      if (session?.user)
        await rt.access.audit.record({ actorId: `user:${session.user.id}`, name: session.user.name || session.user.email, kind: "user" }, info, {
          action: "sign_in",
          detail: { method: "sso", email: session.user.email },
        });
      else
        await rt.access.audit.record({ actorId: null, name: "(sso)", kind: "anonymous" }, info, {
          action: "sign_in_failed",
          outcome: "failed",
          detail: { method: "sso", status: res.status, location: res.headers.get("location") },
        });
    } else if (isPost && path.endsWith("/change-password") && res.ok) {
      // revokeOtherSessions replaces the session: read the person from the new cookie when one was set.
      const cookie = setCookiesAsHeader(res);
      const session = await rt.access.auth.api.getSession({ headers: cookie ? new Headers({ cookie }) : req.headers }).catch(() => null);
      if (session?.user)
        await rt.access.audit.record({ actorId: `user:${session.user.id}`, name: session.user.name || session.user.email, kind: "user" }, info, {
          action: "password_change",
        });
    } else if (before?.user) {
      if (res.ok) rt.access.authn.forgetSession(before.session.token);
      await rt.access.audit.record({ actorId: `user:${before.user.id}`, name: before.user.name || before.user.email, kind: "user" }, info, {
        action: "sign_out",
      });
    }
  } catch (err) {
    log().error(errFields(err), "could not write the sign-in audit entry");
  }
  return res;
}

/**
 * Waypoint's SSO paths, as documented and used by the dashboard — `POST /api/auth/sign-in/oauth2 { providerId }` and
 * the redirect URI `/api/auth/oauth2/callback/:id` — mapped onto Better Auth's. Since Better Auth 1.7 the generic
 * OAuth plugin registers its providers as social providers and has no endpoints of its own: sign-in is
 * `POST /sign-in/social { provider }` and the callback is `/callback/:id` (those paths keep working too).
 */
async function toBetterAuthPaths(req: Request): Promise<Request> {
  const url = new URL(req.url);
  const base = url.pathname.slice(0, url.pathname.indexOf("/api/auth") + "/api/auth".length);
  const rest = url.pathname.slice(base.length);
  const callback = /^\/oauth2\/callback\/([^/]+)$/.exec(rest);
  if (callback) {
    url.pathname = `${base}/callback/${callback[1]}`;
    const bodyless = req.method === "GET" || req.method === "HEAD";
    return new Request(url, { method: req.method, headers: req.headers, body: bodyless ? undefined : await req.arrayBuffer() });
  }
  if (rest === "/sign-in/oauth2" && req.method === "POST") {
    const body = await req
      .clone()
      .json()
      .catch(() => null);
    if (!body || typeof body !== "object" || Array.isArray(body)) return req;
    const { providerId, ...others } = body as Record<string, unknown>;
    url.pathname = `${base}/sign-in/social`;
    const headers = new Headers(req.headers);
    headers.delete("content-length");
    return new Request(url, { method: "POST", headers, body: JSON.stringify({ ...others, provider: providerId }) });
  }
  return req;
}

/** The cookies a response sets, as a Cookie request header (name=value pairs). */
function setCookiesAsHeader(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

export async function claimFirstAdmin(
  rt: Runtime,
  req: Request,
  body: { token: string; name: string; email: string; password: string },
): Promise<Response> {
  const user = await rt.access.users.claimFirstAdmin(body.token, body);
  await rt.access.audit.record({ actorId: `user:${user.id}`, name: user.name, kind: "user" }, requestInfo(req), {
    action: "first_admin",
    detail: { email: user.email },
  });
  const signedIn = await rt.access.auth.api.signInEmail({
    body: { email: user.email, password: body.password },
    headers: req.headers,
    asResponse: true,
  });
  const answer: ApiSetupClaim = { user };
  const res = json(answer, 201);
  for (const c of signedIn.headers.getSetCookie()) res.headers.append("set-cookie", c);
  return res;
}
