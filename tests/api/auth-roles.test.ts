/**
 * Authorization matrix: every API route × every kind of caller, against a real `next start` server, on SQLite
 * and on PostgreSQL. Each cell is the expected status; every refusal (401 / 403 / 400) must leave the database
 * exactly as it was (threads, checkpoints, audit entries, tokens, users, approvals, counted in the database
 * itself), and no read writes anything either. Users and tokens are set up once per server.
 *
 * Callers (columns, in this order):
 *   anon      no credentials
 *   viewer    a viewer's session cookie        reviewer   a reviewer's session
 *   operator  an operator's session            admin      an admin's session
 *   adminTok  WAYPOINT_ADMIN_TOKEN             revTok     an API token (role reviewer) of the reviewer
 *   otherTok  an API token of the operator, role operator, limited to graph "pipeline" (the fixtures are "approval")
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHeaders, client, type Auth, type Client } from "./helpers/client";
import { ensureBuilt, startServer, TEST_ADMIN_TOKEN, type Server } from "./helpers/server";
import { postgresStore, sqliteStore, type TestStore } from "./helpers/stores";
import { createAccount, createToken, dbProbe, PASSWORD, settled, type Account, type Counts, type DbProbe } from "./helpers/accounts";

const CALLERS = ["anon", "viewer", "reviewer", "operator", "admin", "adminTok", "revTok", "otherTok"] as const;
type Caller = (typeof CALLERS)[number];

interface Fixture {
  api: Client;
  db: DbProbe;
  users: Record<"viewer" | "reviewer" | "operator" | "admin", Account>;
  /** An approval thread paused at its review interrupt, read by every read case (never changed). */
  thread: { threadId: string; head: string; parent: string };
  /** A fresh approval thread paused at review (for the cases that change one). */
  interrupted(): Promise<{ threadId: string; head: string }>;
  idle(graphId?: string): Promise<string>;
}

interface Case {
  name: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The path and body for one attempt; may create a fresh target (called once per caller). */
  target(f: Fixture): Promise<{ path: string; body?: unknown }> | { path: string; body?: unknown };
  /** One status per caller, in CALLERS order. */
  expect: string;
}

const T = (f: Fixture) => `/api/threads/${f.thread.threadId}`;

// prettier-ignore
const CASES: Case[] = [
  //                                                                                                        anon vie rev ope adm aTk rTk oTk
  { name: "GET /api/health (open)", method: "GET", target: () => ({ path: "/api/health" }),                expect: "200 200 200 200 200 200 200 200" },
  { name: "GET /api/setup (open)", method: "GET", target: () => ({ path: "/api/setup" }),                  expect: "200 200 200 200 200 200 200 200" },
  { name: "GET /api/me", method: "GET", target: () => ({ path: "/api/me" }),                               expect: "401 200 200 200 200 200 200 200" },
  { name: "GET /api/graphs", method: "GET", target: () => ({ path: "/api/graphs" }),                       expect: "401 200 200 200 200 200 200 200" },
  { name: "GET /api/graphs/:id", method: "GET", target: () => ({ path: "/api/graphs/approval" }),          expect: "401 200 200 200 200 200 200 200" },
  { name: "GET /api/threads", method: "GET", target: () => ({ path: "/api/threads" }),                     expect: "401 200 200 200 200 200 200 200" },
  { name: "GET /api/threads/:id", method: "GET", target: (f) => ({ path: T(f) }),                          expect: "401 200 200 200 200 200 200 403" },
  { name: "GET …/state", method: "GET", target: (f) => ({ path: `${T(f)}/state` }),                        expect: "401 200 200 200 200 200 200 403" },
  { name: "GET …/history", method: "GET", target: (f) => ({ path: `${T(f)}/history` }),                    expect: "401 200 200 200 200 200 200 403" },
  { name: "GET …/storage", method: "GET", target: (f) => ({ path: `${T(f)}/storage` }),                    expect: "401 200 200 200 200 200 200 403" },
  { name: "GET …/checkpoints/:cp", method: "GET", target: (f) => ({ path: `${T(f)}/checkpoints/${f.thread.head}` }), expect: "401 200 200 200 200 200 200 403" },
  { name: "GET …/checkpoints/:cp/diff", method: "GET", target: (f) => ({ path: `${T(f)}/checkpoints/${f.thread.head}/diff?against=${f.thread.parent}` }), expect: "401 200 200 200 200 200 200 403" },
  { name: "GET …/events (SSE)", method: "GET", target: (f) => ({ path: `${T(f)}/events` }),                expect: "401 200 200 200 200 200 200 403" },
  { name: "POST /api/threads (approval)", method: "POST", target: () => ({ path: "/api/threads", body: { graphId: "approval" } }), expect: "401 403 403 201 201 201 403 403" },
  { name: "POST /api/threads (pipeline)", method: "POST", target: () => ({ path: "/api/threads", body: { graphId: "pipeline" } }), expect: "401 403 403 201 201 201 403 201" },
  {
    name: "POST …/runs: decide at an interrupt", method: "POST",
    target: async (f) => { const t = await f.interrupted(); return { path: `/api/threads/${t.threadId}/runs`, body: { command: { resume: { action: "approve" } }, wait: true } }; },
    expect: "401 403 200 200 200 200 200 403",
  },
  {
    name: "POST …/runs: start a run", method: "POST",
    target: async (f) => ({ path: `/api/threads/${await f.idle()}/runs`, body: { input: { topic: "Roles" }, wait: true } }),
    expect: "401 403 403 200 200 200 403 403",
  },
  {
    name: "POST …/state: edit", method: "POST",
    target: async (f) => { const t = await f.interrupted(); return { path: `/api/threads/${t.threadId}/state`, body: { values: { draft: "Edited" }, reason: "roles" } }; },
    expect: "401 403 201 201 201 201 201 403",
  },
  {
    name: "POST …/fork", method: "POST",
    target: async (f) => { const t = await f.interrupted(); return { path: `/api/threads/${t.threadId}/fork`, body: { checkpointId: t.head, newThread: true } }; },
    expect: "401 403 201 201 201 201 201 403",
  },
  {
    // Stopping a run is the `run` permission (operators and up); with nothing running, the allowed callers get 409.
    name: "POST …/runs/cancel (nothing runs)", method: "POST",
    target: async (f) => ({ path: `/api/threads/${(await f.interrupted()).threadId}/runs/cancel`, body: {} }),
    expect: "401 403 403 409 409 409 403 403",
  },
  {
    name: "DELETE /api/threads/:id", method: "DELETE",
    target: async (f) => ({ path: `/api/threads/${(await f.interrupted()).threadId}` }),
    expect: "401 403 403 200 200 200 403 403",
  },
  { name: "GET /api/tokens (own)", method: "GET", target: () => ({ path: "/api/tokens" }),                 expect: "401 200 200 200 200 200 200 200" },
  { name: "GET /api/tokens?all=1", method: "GET", target: () => ({ path: "/api/tokens?all=1" }),           expect: "401 403 403 403 200 200 403 403" },
  // Anyone signed in may make themselves a token (a viewer, a read-only one); the admin token owns none, so
  // without `userId` it is told to name one (400); a token never makes tokens (403).
  { name: "POST /api/tokens (own, viewer)", method: "POST", target: () => ({ path: "/api/tokens", body: { name: "matrix", role: "viewer" } }), expect: "401 201 201 201 201 400 403 403" },
  {
    name: "POST /api/tokens for another user", method: "POST",
    // For the viewer column that user is the caller itself, which is allowed.
    target: (f) => ({ path: "/api/tokens", body: { name: "for-viewer", role: "viewer", userId: f.users.viewer.id } }),
    expect: "401 201 403 403 201 201 403 403",
  },
  {
    name: "DELETE /api/tokens/:id (the reviewer's)", method: "DELETE",
    target: async (f) => ({ path: `/api/tokens/${(await createToken("", { name: "victim", role: "viewer", userId: f.users.reviewer.id }, f.api)).record.id}` }),
    expect: "401 403 200 403 200 200 200 403",
  },
  { name: "GET /api/users", method: "GET", target: () => ({ path: "/api/users" }),                         expect: "401 403 403 403 200 200 403 403" },
  {
    name: "POST /api/users", method: "POST",
    target: () => ({ path: "/api/users", body: { name: "New", email: `new-${Math.random().toString(36).slice(2)}@example.test`, password: PASSWORD, role: "viewer" } }),
    expect: "401 403 403 403 201 201 403 403",
  },
  {
    name: "PATCH /api/users/:id", method: "PATCH",
    target: (f) => ({ path: `/api/users/${f.users.viewer.id}`, body: { name: `Viewer ${Math.random().toString(36).slice(2, 6)}` } }),
    expect: "401 403 403 403 200 200 403 403",
  },
  {
    name: "PATCH /api/users/:id (raise own role)", method: "PATCH",
    target: (f) => ({ path: `/api/users/${f.users.reviewer.id}`, body: { role: "reviewer" } }),
    expect: "401 403 403 403 200 200 403 403",
  },
  { name: "GET /api/audit", method: "GET", target: () => ({ path: "/api/audit" }),                         expect: "401 403 403 403 200 200 403 403" },
  { name: "GET /api/audit/export", method: "GET", target: () => ({ path: "/api/audit/export" }),           expect: "401 403 403 403 200 200 403 403" },
];

const CODES: Record<number, string> = { 401: "UNAUTHENTICATED", 403: "FORBIDDEN" };

function rolesSuite(makeStore: () => Promise<TestStore>) {
  let store: TestStore;
  let server: Server;
  let f: Fixture;
  const auth: Partial<Record<Caller, Auth>> = {};

  beforeAll(async () => {
    ensureBuilt();
    store = await makeStore();
    // TEST=false: vitest sets TEST=true, and Better Auth skips its origin checks when TEST is set; run as in production.
    server = await startServer({ ...store.env, TEST: "false" });
    const api = client(server.url);
    const db = await dbProbe(store.env);
    const users = {
      viewer: await createAccount(server.url, "viewer"),
      reviewer: await createAccount(server.url, "reviewer"),
      operator: await createAccount(server.url, "operator"),
      admin: await createAccount(server.url, "admin"),
    };
    const revTok = await createToken(server.url, { name: "reviewer-token", role: "reviewer", userId: users.reviewer.id });
    const otherTok = await createToken(server.url, { name: "pipeline-only", role: "operator", graphs: ["pipeline"], userId: users.operator.id });
    Object.assign(auth, {
      anon: null,
      viewer: { cookie: users.viewer.cookie },
      reviewer: { cookie: users.reviewer.cookie },
      operator: { cookie: users.operator.cookie },
      admin: { cookie: users.admin.cookie },
      adminTok: TEST_ADMIN_TOKEN,
      revTok: revTok.token,
      otherTok: otherTok.token,
    });
    const interrupted = async () => {
      const r = await api.post("/api/threads", { graphId: "approval", input: { topic: "Matrix" } });
      const t = await api.until(`/api/threads/${r.body.threadId}`, (t: any) => t.status === "interrupted");
      await settled(db);
      return { threadId: t.threadId as string, head: t.headCheckpointId as string };
    };
    const idle = async (graphId = "approval") => (await api.post("/api/threads", { graphId })).body.threadId as string;
    const main = await interrupted();
    const parent = (await api.get(`/api/threads/${main.threadId}/checkpoints/${main.head}`)).body.parentId;
    await api.post("/api/threads", { graphId: "pipeline", input: { steps: 1, stepMs: 0 } });
    await settled(db);
    f = { api, db, users, thread: { ...main, parent }, interrupted, idle };
  });

  afterAll(async () => {
    await f?.db.close();
    await server?.stop();
    await store?.cleanup();
  });

  /** One request as a caller; an event stream is closed as soon as its status is known. */
  async function send(who: Caller, method: string, path: string, body?: unknown) {
    const ac = new AbortController();
    const res = await fetch(server.url + path, {
      method,
      signal: ac.signal,
      headers: { ...authHeaders(server.url, auth[who]!), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (res.headers.get("content-type")?.includes("text/event-stream")) {
      const first = await res.body!.getReader().read();
      ac.abort();
      return { status: res.status, body: new TextDecoder().decode(first.value) };
    }
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* JSON lines (the audit export) or empty */
    }
    return { status: res.status, body: parsed };
  }

  for (const c of CASES) {
    it(`${c.name}: ${c.expect}`, async () => {
      const want = c.expect.split(/\s+/).map(Number);
      expect(want).toHaveLength(CALLERS.length);
      const got: string[] = [];
      const problems: string[] = [];
      for (const [i, who] of CALLERS.entries()) {
        const { path, body } = await c.target(f);
        await settled(f.db);
        const before = await f.db.counts();
        const r = await send(who, c.method, path, body);
        await settled(f.db);
        const after = await f.db.counts();
        got.push(String(r.status));
        if (r.status !== want[i]) problems.push(`${who}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        if (r.status >= 400) {
          if (CODES[r.status] && r.body?.error?.code !== CODES[r.status]) problems.push(`${who}: code ${r.body?.error?.code} for ${r.status}`);
          if (r.status === 401 && !/Bearer/.test(JSON.stringify(r.body)) && r.body?.error?.message === undefined) problems.push(`${who}: no message`);
          if (!sameCounts(before, after)) problems.push(`${who}: refused (${r.status}) but wrote: ${diffCounts(before, after)}`);
        } else if (c.method === "GET") {
          if (!sameCounts(before, after)) problems.push(`${who}: a read wrote: ${diffCounts(before, after)}`);
        } else if (after.audit <= before.audit) {
          problems.push(`${who}: a change (${c.name}) left no audit entry`);
        }
      }
      expect({ got: got.join(" "), problems }).toEqual({ got: c.expect, problems: [] });
    });
  }

  describe("scoping and credentials, beyond the matrix", () => {
    it("a graph-limited token lists only its graphs' threads, and an explicit other graph gives an empty page", async () => {
      const tok = auth.otherTok as string;
      const all = (await client(server.url, tok).get("/api/threads?limit=500")).body.threads;
      expect(all.length).toBeGreaterThan(0);
      expect(all.every((t: any) => t.graphId === "pipeline")).toBe(true);
      expect((await client(server.url, tok).get("/api/threads?graphId=approval")).body).toEqual({ threads: [], nextCursor: null });
      const admin = (await f.api.get("/api/threads?limit=500")).body.threads;
      expect(admin.some((t: any) => t.graphId === "approval")).toBe(true);
    });

    it("a graph-limited user: 403 on other graphs' threads, and their tokens never see more (scope intersection)", async () => {
      const u = await createAccount(server.url, "operator", { graphs: ["pipeline"] });
      expect((await u.api.get(T(f))).status).toBe(403);
      const me = (await u.api.get("/api/me")).body;
      expect(me).toMatchObject({ role: "operator", graphs: ["pipeline"] });
      // A token asked for every graph (null) or for another graph: still limited to the owner's graphs.
      const wide = await createToken(server.url, { name: "wide", role: "operator", userId: u.id });
      expect((await client(server.url, wide.token).get(T(f))).status).toBe(403);
      expect((await client(server.url, wide.token).get("/api/me")).body.graphs).toEqual(["pipeline"]);
      const other = await createToken(server.url, { name: "other", role: "operator", graphs: ["approval"], userId: u.id });
      expect((await client(server.url, other.token).get("/api/me")).body.graphs).toEqual([]);
      expect((await client(server.url, other.token).get(T(f))).status).toBe(403);
    });

    it("a graph-limited token cannot mint itself an unlimited token", async () => {
      const before = await f.db.counts();
      const r = await client(server.url, auth.otherTok as string).post("/api/tokens", { name: "escape", role: "operator" });
      if (r.status === 201) {
        // Allowed to create one: then the new token must be at most as wide as the one that made it.
        const minted = client(server.url, r.body.token);
        expect((await minted.get("/api/me")).body.graphs, "the minted token's graphs").toEqual(["pipeline"]);
        expect((await minted.get(T(f))).status, "the minted token reads a thread of another graph").toBe(403);
      } else {
        expect(r.status).toBe(403);
        expect(sameCounts(before, await f.db.counts())).toBe(true);
      }
    });

    it("x-api-key works like a bearer token; a bad or malformed token is 401 even with a valid session cookie", async () => {
      const viaKey = await fetch(`${server.url}/api/me`, { headers: { "x-api-key": auth.revTok as string } });
      expect(viaKey.status).toBe(200);
      expect((await viaKey.json()).role).toBe("reviewer");
      const cookie = f.users.admin.cookie;
      for (const authorization of [
        "Bearer wpt_not-a-real-token",
        "Bearer " + TEST_ADMIN_TOKEN.slice(0, -1) + "X",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer",
      ]) {
        const r = await fetch(`${server.url}/api/me`, { headers: { authorization, cookie } });
        expect(r.status, authorization).toBe(401);
        expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect((await r.json()).error.code).toBe("UNAUTHENTICATED");
      }
      // A forged session cookie is no session.
      const forged = cookie.replace(/waypoint\.session_token=[^;.]+/, "waypoint.session_token=forgedforgedforgedforgedforged12");
      const noData = forged.replace(/;?\s*waypoint\.session_data=[^;]+/, "");
      expect((await fetch(`${server.url}/api/me`, { headers: { cookie: noData } })).status).toBe(401);
    });

    it("every role sees its own actions in /api/me", async () => {
      const actions = async (a: Auth) => (await client(server.url, a).get("/api/me")).body.actions;
      expect(await actions(auth.viewer!)).toEqual(["read"]);
      expect(await actions(auth.reviewer!)).toEqual(["read", "decide", "edit", "fork"]);
      expect(await actions(auth.operator!)).toEqual(["read", "decide", "edit", "fork", "run", "delete"]);
      expect(await actions(auth.admin!)).toEqual(expect.arrayContaining(["admin", "run", "delete"]));
      expect((await client(server.url).get("/api/me")).body).toMatchObject({ kind: "admin-token", role: "admin", userId: null });
    });
  });
}

const sameCounts = (a: Counts, b: Counts) =>
  a.threads === b.threads &&
  a.checkpoints === b.checkpoints &&
  a.audit === b.audit &&
  a.tokens === b.tokens &&
  a.users === b.users &&
  a.approvals === b.approvals;
const diffCounts = (a: Counts, b: Counts) =>
  (Object.keys(a) as (keyof Counts)[])
    .filter((k) => a[k] !== b[k])
    .map((k) => `${k} ${a[k]}→${b[k]}`)
    .join(", ");

describe("authorization matrix on SQLite", () => rolesSuite(sqliteStore));
describe("authorization matrix on PostgreSQL", () => rolesSuite(postgresStore));
