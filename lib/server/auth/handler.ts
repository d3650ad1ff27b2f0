import "server-only";
import { getRuntime, type Runtime } from "../runtime";
import { requestInfo } from "./audit";
import { checkContentType } from "./csrf";
import { json } from "../http";

/**
 * Better Auth's request handler, wrapped to keep the audit trail: every email sign-in (and every refused one,
 * with the email tried), SSO sign-ins on their callback, and sign-outs.
 */
export async function authHandler(req: Request): Promise<Response> {
  const rt = await getRuntime();
  const path = new URL(req.url).pathname;
  const isPost = req.method === "POST";
  if (isPost) checkContentType(req);
  const signIn = isPost && path.endsWith("/sign-in/email");
  const tried = signIn ? await req.clone().json().then((b: { email?: unknown }) => (typeof b?.email === "string" ? b.email.slice(0, 320) : null), () => null) : null;
  const before = isPost && path.endsWith("/sign-out") ? await rt.access.auth.api.getSession({ headers: req.headers }).catch(() => null) : null;
  const res = await rt.access.auth.handler(req);
  const info = requestInfo(req);
  try {
    if (signIn) {
      const body = res.ok ? await res.clone().json().catch(() => null) : null;
      const user = body?.user as { id: string; name: string; email: string } | undefined;
      if (user) await rt.access.audit.record({ actorId: `user:${user.id}`, name: user.name || user.email, kind: "user" }, info, { action: "sign_in", detail: { method: "password", email: user.email } });
      else await rt.access.audit.record({ actorId: null, name: tried ?? "(unknown)", kind: "anonymous" }, info, { action: "sign_in_failed", outcome: "failed", detail: { method: "password", email: tried, status: res.status } });
    } else if (path.includes("/oauth2/callback/")) {
      const cookie = setCookiesAsHeader(res);
      const session = cookie ? await rt.access.auth.api.getSession({ headers: new Headers({ cookie }) }).catch(() => null) : null;
      if (session?.user)
        await rt.access.audit.record({ actorId: `user:${session.user.id}`, name: session.user.name || session.user.email, kind: "user" }, info, { action: "sign_in", detail: { method: "sso", email: session.user.email } });
      else await rt.access.audit.record({ actorId: null, name: "(sso)", kind: "anonymous" }, info, { action: "sign_in_failed", outcome: "failed", detail: { method: "sso", status: res.status, location: res.headers.get("location") } });
    } else if (before?.user) {
      await rt.access.audit.record({ actorId: `user:${before.user.id}`, name: before.user.name || before.user.email, kind: "user" }, info, { action: "sign_out" });
    }
  } catch (err) {
    console.error("[waypoint] could not write the sign-in audit entry:", err);
  }
  return res;
}

/** The cookies a response sets, as a Cookie request header (name=value pairs). */
function setCookiesAsHeader(res: Response): string {
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

export async function claimFirstAdmin(rt: Runtime, req: Request, body: { token: string; name: string; email: string; password: string }): Promise<Response> {
  const user = await rt.access.users.claimFirstAdmin(body.token, body);
  await rt.access.audit.record({ actorId: `user:${user.id}`, name: user.name, kind: "user" }, requestInfo(req), { action: "first_admin", detail: { email: user.email } });
  const signedIn = await rt.access.auth.api.signInEmail({ body: { email: user.email, password: body.password }, headers: req.headers, asResponse: true });
  const res = json({ user }, 201);
  for (const c of signedIn.headers.getSetCookie()) res.headers.append("set-cookie", c);
  return res;
}
