/**
 * Single sign-on against a real OpenID Connect provider (`oidc-provider` 9, started here on a local port with
 * one confidential client registered for Waypoint's redirect URI). The test is the browser: it starts the
 * sign-in at Waypoint, follows every redirect by hand with its own cookie jar, fills in the provider's sign-in
 * and consent forms, and ends at Waypoint's callback, which exchanges the code (with the PKCE verifier) at the
 * provider's token endpoint, reads the user, and signs them in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { ensureBuilt, freePort, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";
import { browse, CookieJar, follow, formOf, startOidcProvider, type SsoUser, type TestProvider } from "./helpers/oidc";

const SAM: SsoUser = { sub: "sam-0001", email: "sam.sso@example.test", name: "Sam Single-Sign-On" };
const RAY: SsoUser = { sub: "ray-0002", email: "ray.sso@example.test", name: "Ray Reviewer" };

let idp: TestProvider;
const servers: { server: Server; store: TestStore }[] = [];
let ports: [number, number];
const callbackOf = (base: string) => `${base}/api/auth/oauth2/callback/oidc`;

beforeAll(async () => {
  ensureBuilt();
  ports = [await freePort(), await freePort()];
  idp = await startOidcProvider({
    port: await freePort(),
    redirectUris: ports.map((p) => callbackOf(`http://127.0.0.1:${p}`)),
    users: [SAM, RAY],
  });
});
afterAll(async () => {
  for (const s of servers) {
    await s.server.stop();
    await s.store.cleanup();
  }
  await idp?.close();
});

async function waypoint(port: number, env: Record<string, string> = {}) {
  const store = await sqliteStore();
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(
    {
      ...store.env,
      TEST: "false", // Better Auth skips its origin checks when TEST is set (vitest sets it)
      WAYPOINT_URL: base,
      WAYPOINT_OIDC_ISSUER: idp.issuer,
      WAYPOINT_OIDC_CLIENT_ID: idp.clientId,
      WAYPOINT_OIDC_CLIENT_SECRET: idp.clientSecret,
      WAYPOINT_OIDC_NAME: "Test IdP",
      ...env,
    },
    { port },
  );
  servers.push({ server, store });
  return server;
}

let clients = 0;

/** One whole browser sign-in through the provider; returns the Waypoint cookies, the callback URL and the hops. */
async function ssoSignIn(base: string, user: SsoUser) {
  const jar = new CookieJar();
  const start = await browse(jar, `${base}/api/auth/sign-in/oauth2`, {
    method: "POST",
    // Each sign-in from its own address: Better Auth allows 3 sign-in starts per 10 s per client.
    headers: { "content-type": "application/json", origin: base, "user-agent": "sso-test-browser", "x-forwarded-for": `198.51.100.${++clients}` },
    body: JSON.stringify({ providerId: "oidc", callbackURL: "/" }),
  });
  const startBody = await start.text();
  expect(start.status, startBody).toBe(200);
  const { url, redirect } = JSON.parse(startBody);
  expect(redirect).toBe(true);
  const authz = new URL(url);
  expect(authz.origin).toBe(idp.issuer);
  expect(authz.searchParams.get("client_id")).toBe(idp.clientId);
  expect(authz.searchParams.get("response_type")).toBe("code");
  expect(authz.searchParams.get("redirect_uri")).toBe(callbackOf(base));
  expect(authz.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authz.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
  expect(authz.searchParams.get("scope")!.split(" ")).toEqual(expect.arrayContaining(["openid", "email", "profile"]));
  expect(authz.searchParams.get("state")).toBeTruthy();

  let cur = url;
  let res = await browse(jar, url);
  const forms: string[] = [];
  for (let step = 0; step < 6; step++) {
    ({ res, url: cur } = await follow(jar, res, cur, (u) => u.startsWith(base)));
    if (cur.startsWith(base)) break;
    expect(res.status, `${cur}: ${res.status}`).toBe(200);
    const form = formOf(await res.text(), cur);
    forms.push(form.fields.prompt);
    const fields = { ...form.fields, ...(form.fields.prompt === "login" ? { login: user.sub, password: "anything" } : {}) };
    res = await browse(jar, form.action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
    cur = form.action;
  }
  // The provider sends the browser back to Waypoint's callback with a code and the state.
  const cb = new URL(cur);
  expect(cb.origin + cb.pathname).toBe(callbackOf(base));
  expect(cb.searchParams.get("code")).toBeTruthy();
  expect(cb.searchParams.get("state")).toBe(authz.searchParams.get("state"));
  expect(forms).toEqual(["login", "consent"]);
  const done = await browse(jar, cur, { headers: { "user-agent": "sso-test-browser" } });
  expect(done.status, await done.clone().text()).toBeGreaterThanOrEqual(300);
  expect(done.status).toBeLessThan(400);
  const landing = new URL(done.headers.get("location")!, base);
  const cookie = jar.header(new URL(base));
  return { cookie, landing, callbackUrl: cur, jar };
}

describe("single sign-on with a real OpenID Connect provider", () => {
  let base: string;
  let samId: string;

  it("the whole authorization-code + PKCE flow ends signed in at Waypoint as a viewer, and is audited", async () => {
    const server = await waypoint(ports[0]);
    base = server.url;
    expect((await client(base, null).get("/api/setup")).body.sso).toEqual({ name: "Test IdP" });
    const tokenCallsBefore = idp.seen.filter((r) => r.method === "POST" && r.path === "/token").length;

    const { cookie, landing } = await ssoSignIn(base, SAM);
    expect(landing.toString()).toBe(`${base}/`);
    expect(cookie).toMatch(/waypoint\.session_token=/);
    // Waypoint exchanged the code at the provider's token endpoint itself (server to server).
    expect(idp.seen.filter((r) => r.method === "POST" && r.path === "/token").length).toBe(tokenCallsBefore + 1);

    const me = await client(base, { cookie }).get("/api/me");
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      kind: "user",
      email: SAM.email,
      name: SAM.name,
      role: "viewer",
      graphs: null,
      actions: ["read"],
      sso: { name: "Test IdP" },
    });
    samId = me.body.userId;
    // A viewer: reads, changes nothing.
    expect((await client(base, { cookie }).get("/api/threads")).status).toBe(200);
    expect((await client(base, { cookie }).post("/api/threads", { graphId: "approval" })).status).toBe(403);

    const users = (await client(base).get("/api/users")).body.users;
    expect(users).toEqual([expect.objectContaining({ id: samId, email: SAM.email, role: "viewer", sso: true })]);
    const signIns = (await client(base).get("/api/audit?action=sign_in")).body.entries;
    expect(signIns).toHaveLength(1);
    expect(signIns[0]).toMatchObject({
      actorId: `user:${samId}`,
      actorName: SAM.name,
      actorKind: "user",
      outcome: "ok",
      detail: { method: "sso", email: SAM.email },
      userAgent: "sso-test-browser",
    });
  });

  it("a second sign-in (a new browser) is the same user, with the role an admin gave them", async () => {
    expect((await client(base).send("PATCH", `/api/users/${samId}`, { role: "reviewer" })).status).toBe(200);
    const { cookie } = await ssoSignIn(base, SAM);
    const me = (await client(base, { cookie }).get("/api/me")).body;
    expect(me).toMatchObject({ userId: samId, role: "reviewer", email: SAM.email });
    const users = (await client(base).get("/api/users")).body.users;
    expect(users.filter((u: any) => u.email === SAM.email)).toHaveLength(1);
    expect(users).toHaveLength(1);
    expect((await client(base).get("/api/audit?action=sign_in")).body.entries.filter((e: any) => e.actorId === `user:${samId}`)).toHaveLength(2);
  });

  it("a replayed callback (code and state already used) signs nobody in, and is recorded as a failed sign-in", async () => {
    const { callbackUrl } = await ssoSignIn(base, SAM);
    const jar = new CookieJar();
    const replay = await browse(jar, callbackUrl);
    expect(jar.get("waypoint.session_token")).toBeUndefined();
    expect(replay.status).toBeLessThan(500);
    const failed = (await client(base).get("/api/audit?action=sign_in_failed")).body.entries;
    expect(failed[0]).toMatchObject({ actorId: null, actorKind: "anonymous", outcome: "failed", detail: { method: "sso" } });
  });

  it("a disabled SSO user gets through the provider but not into Waypoint, and the refusal is recorded", async () => {
    expect((await client(base).send("PATCH", `/api/users/${samId}`, { disabled: true })).status).toBe(200);
    const { jar, landing } = await ssoSignIn(base, SAM);
    expect(jar.get("waypoint.session_token")).toBeUndefined();
    expect(landing.toString()).not.toBe(`${base}/`);
    const last = (await client(base).get("/api/audit?limit=1")).body.entries[0];
    expect(last).toMatchObject({ action: "sign_in_failed", outcome: "failed", detail: { method: "sso" } });
    expect((await client(base).send("PATCH", `/api/users/${samId}`, { disabled: false })).status).toBe(200);
    const again = await ssoSignIn(base, SAM);
    expect((await client(base, { cookie: again.cookie }).get("/api/me")).body.userId).toBe(samId);
  });

  it("WAYPOINT_OIDC_DEFAULT_ROLE sets the role of a user created by SSO", async () => {
    const server = await waypoint(ports[1], { WAYPOINT_OIDC_DEFAULT_ROLE: "reviewer" });
    const { cookie } = await ssoSignIn(server.url, RAY);
    expect((await client(server.url, { cookie }).get("/api/me")).body).toMatchObject({ email: RAY.email, role: "reviewer" });
  });
});
