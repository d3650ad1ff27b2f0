/**
 * Sign-in and authorization flows on a real `next start` server on SQLite: the first-admin link, a too-short
 * WAYPOINT_ADMIN_TOKEN, API tokens (hash only at rest, revocation, never above the owner), disabled users,
 * cross-site requests, the actor on checkpoints, the audit trail (every action, filters, paging, export,
 * append-only, kept after a thread is deleted), the stale-decision guard and two-person approval.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, freePort, ROOT, startServer, TEST_ADMIN_TOKEN, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";
import { cookieOf, createAccount, createToken, dbProbe, PASSWORD, settled, signIn, signInRaw, type Account, type DbProbe } from "./helpers/accounts";

/**
 * Vitest sets TEST=true, which the server inherits, and Better Auth then skips its own origin / CSRF checks
 * (isTest()). These servers run as in production.
 */
// Deployed as behind a reverse proxy: X-Forwarded-For names the client (each test uses its own addresses, so
// sign-in rate limits of one test never touch another's). Without WAYPOINT_TRUST_PROXY it is ignored (last test).
const PRODUCTION = { TEST: "false", WAYPOINT_TRUST_PROXY: "1" };

let store: TestStore;
let server: Server;
let admin: Client; // the admin token
let db: DbProbe;
let dbFile: string;

beforeAll(async () => {
  ensureBuilt();
  store = await sqliteStore();
  dbFile = store.env.DATABASE_URL.slice("file:".length);
  server = await startServer({ ...store.env, ...PRODUCTION });
  admin = client(server.url);
  db = await dbProbe(store.env);
});
afterAll(async () => {
  await db?.close();
  await server?.stop();
  await store?.cleanup();
});

const waitStatus = (api: Client, id: string, statuses: string[]) => api.until(`/api/threads/${id}`, (t: any) => statuses.includes(t.status));

/** Runs `fn` and asserts it left every count unchanged. */
async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
  await settled(db);
  const before = await db.counts();
  const out = await fn();
  await settled(db);
  expect(await db.counts()).toEqual(before);
  return out;
}

async function interruptedThread(api: Client, graphId = "approval", topic = "Flows") {
  const r = await api.post("/api/threads", { graphId, input: { topic } });
  expect(r.status).toBe(201);
  const t = await waitStatus(api, r.body.threadId, ["interrupted"]);
  await settled(db);
  return t as { threadId: string; headCheckpointId: string; quorum?: any };
}

describe("first admin", () => {
  it("the printed link creates the first admin once, signed in; it is refused afterwards", async () => {
    expect((await client(server.url, null).get("/api/setup")).body).toEqual({ needed: true, sso: null });
    // The first-admin line of the server log (JSON from pino: the link is in its message and in setupUrl).
    const m = /http:\/\/localhost:\d+\/setup\?token=([\w-]+)/.exec(server.output());
    expect(m, server.output()).toBeTruthy();
    const token = m![1];
    const body = { token, name: "First Admin", email: "first@example.test", password: PASSWORD };
    const post = (b: unknown) =>
      fetch(`${server.url}/api/setup`, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "setup-test" },
        body: JSON.stringify(b),
      });

    const wrong = await unchanged(() => post({ ...body, token: token.slice(0, -2) + "xx" }));
    expect(wrong.status).toBe(403);

    const ok = await post(body);
    expect(ok.status).toBe(201);
    const cookie = cookieOf(ok);
    expect(cookie).toMatch(/waypoint\.session_token=/);
    expect(ok.headers.getSetCookie().join("\n")).toMatch(/HttpOnly/i);
    expect(ok.headers.getSetCookie().join("\n")).toMatch(/SameSite=Lax/i);
    const me = await client(server.url, { cookie }).get("/api/me");
    expect(me.body).toMatchObject({ kind: "user", role: "admin", email: "first@example.test", name: "First Admin" });

    // Once: the same link (and a second person racing for it) is refused, and nothing is created.
    const again = await unchanged(() => post({ ...body, email: "second@example.test" }));
    expect(again.status).toBe(403);
    expect((await client(server.url, null).get("/api/setup")).body.needed).toBe(false);
    const entry = (await admin.get("/api/audit?action=first_admin")).body.entries;
    expect(entry).toHaveLength(1);
    expect(entry[0]).toMatchObject({ actorId: `user:${me.body.userId}`, actorName: "First Admin", actorKind: "user", userAgent: "setup-test" });
  });

  it("a WAYPOINT_ADMIN_TOKEN shorter than 32 characters is refused: the server answers 503, the set-up script exits 1", async () => {
    const short = "short-token-31-characters-long!";
    expect(short).toHaveLength(31);
    const s2 = await sqliteStore();
    const port = await freePort();
    const proc = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...s2.env, WAYPOINT_ADMIN_TOKEN: short },
    });
    let out = "";
    proc.stdout!.on("data", (d) => (out += d));
    proc.stderr!.on("data", (d) => (out += d));
    try {
      let health: Response | null = null;
      for (let i = 0; i < 300 && !health; i++) {
        health = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null);
        if (!health) await new Promise((r) => setTimeout(r, 200));
      }
      expect(health!.status).toBe(503);
      expect((await health!.json()).error.message).toMatch(/WAYPOINT_ADMIN_TOKEN must be at least 32 characters/);
      // Not even the short token itself gets in.
      const me = await fetch(`http://127.0.0.1:${port}/api/me`, { headers: { authorization: `Bearer ${short}` } });
      expect(me.status).toBe(503);
      expect(out).toMatch(/WAYPOINT_ADMIN_TOKEN must be at least 32 characters/);
    } finally {
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {
        /* gone */
      }
      await s2.cleanup();
    }
    const tsx = ["--import", "tsx", "scripts/lib-store-setup.mjs"];
    const bad = spawnSync(process.execPath, tsx, { cwd: ROOT, env: { ...process.env, ...s2.env, WAYPOINT_ADMIN_TOKEN: short }, encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/at least 32 characters \(it has 31\)/);
    const s3 = await sqliteStore();
    try {
      const good = spawnSync(process.execPath, tsx, {
        cwd: ROOT,
        env: { ...process.env, ...s3.env, WAYPOINT_ADMIN_TOKEN: short + "x" },
        encoding: "utf8",
      });
      expect(good.status, good.stderr).toBe(0);
    } finally {
      await s3.cleanup();
    }
  });
});

describe("accounts and tokens", () => {
  let reviewer: Account;
  beforeAll(async () => {
    reviewer = await createAccount(server.url, "reviewer");
  });

  it("stores only the SHA-256 of an API token: the secret is in no row of the database", async () => {
    const { token, record } = await createToken(server.url, { name: "at-rest", role: "reviewer" }, reviewer.api);
    expect(token).toMatch(/^wpt_[\w-]{40,}$/);
    expect(record.userId).toBe(reviewer.id);
    const raw = new Database(dbFile, { readonly: true });
    try {
      const row = raw.prepare("SELECT * FROM api_tokens WHERE id = ?").get(record.id) as Record<string, unknown>;
      expect(row.token_hash).toBe(createHash("sha256").update(token).digest("hex"));
      // Every text value of every table: the secret (or its random part) appears nowhere.
      const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      expect(tables).toContain("audit_entries");
      const secretPart = token.slice(10);
      for (const t of tables) {
        for (const r of raw.prepare(`SELECT * FROM "${t}"`).all() as Record<string, unknown>[]) {
          for (const v of Object.values(r)) if (typeof v === "string") expect(v.includes(secretPart), `${t}: ${v.slice(0, 80)}`).toBe(false);
        }
      }
    } finally {
      raw.close();
    }
    // Listing never shows it either.
    const listed = JSON.stringify((await reviewer.api.get("/api/tokens")).body);
    expect(listed).toContain(record.id);
    expect(listed).not.toContain(token.slice(10));
    expect(JSON.stringify((await admin.get("/api/tokens?all=1")).body)).not.toContain(token.slice(10));
  });

  it("a revoked token is refused at once", async () => {
    const { token, record } = await createToken(server.url, { name: "to-revoke", role: "reviewer" }, reviewer.api);
    const tok = client(server.url, token);
    expect((await tok.get("/api/me")).status).toBe(200);
    const r = await reviewer.api.del(`/api/tokens/${record.id}`);
    expect(r.status).toBe(200);
    expect(r.body.revokedAt).toBeTruthy();
    const after = await tok.get("/api/me");
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("UNAUTHENTICATED");
    // Revoking it did not revoke the owner's session.
    expect((await reviewer.api.get("/api/me")).status).toBe(200);
  });

  it("a token never has more rights than its owner, and lowering the owner lowers the token at once", async () => {
    const owner = await createAccount(server.url, "reviewer");
    // Asked for more than the owner has: refused, by the owner and by an admin acting for them.
    const tooHigh = await unchanged(() => owner.api.post("/api/tokens", { name: "high", role: "operator" }));
    expect(tooHigh.status).toBe(403);
    const tooHighAdmin = await unchanged(() => admin.post("/api/tokens", { name: "high", role: "admin", userId: owner.id }));
    expect(tooHighAdmin.status).toBe(403);

    const { token } = await createToken(server.url, { name: "rev", role: "reviewer" }, owner.api);
    const tok = client(server.url, token);
    const t = await interruptedThread(admin);
    expect((await tok.get("/api/me")).body.role).toBe("reviewer");

    expect((await admin.send("PATCH", `/api/users/${owner.id}`, { role: "viewer" })).status).toBe(200);
    expect((await tok.get("/api/me")).body.role).toBe("viewer");
    expect((await owner.api.get("/api/me")).body.role).toBe("viewer");
    const refused = await unchanged(() => tok.post(`/api/threads/${t.threadId}/state`, { values: { draft: "lowered" } }));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "FORBIDDEN", role: "viewer" });

    // Raising the owner above the token's role does not raise the token: min(token, owner).
    expect((await admin.send("PATCH", `/api/users/${owner.id}`, { role: "operator" })).status).toBe(200);
    expect((await tok.get("/api/me")).body.role).toBe("reviewer");
    const idle = (await admin.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    const run = await unchanged(() => tok.post(`/api/threads/${idle}/runs`, { input: {} }));
    expect(run.status).toBe(403);
  });

  it("a disabled user is refused at once (session and tokens), cannot sign in, and the refusal is recorded", async () => {
    const u = await createAccount(server.url, "reviewer");
    const { token } = await createToken(server.url, { name: "dis", role: "reviewer" }, u.api);
    expect((await u.api.get("/api/me")).status).toBe(200);
    expect((await admin.send("PATCH", `/api/users/${u.id}`, { disabled: true })).status).toBe(200);
    expect((await u.api.get("/api/me")).status).toBe(401);
    expect((await client(server.url, token).get("/api/me")).status).toBe(401);
    expect((await db.query("SELECT COUNT(*) AS n FROM auth_sessions WHERE userId = ?", [u.id]))[0].n).toBe(0);

    const res = await signInRaw(server.url, u.email, PASSWORD, { "x-forwarded-for": "198.51.100.21" });
    expect(res.status).toBe(401);
    expect(cookieOf(res)).not.toMatch(/session_token=/);
    const failed = (await admin.get("/api/audit?action=sign_in_failed")).body.entries.find((e: any) => e.ip === "198.51.100.21");
    expect(failed).toMatchObject({ actorId: null, actorKind: "anonymous", outcome: "failed", detail: { method: "password", email: u.email } });

    // Enabled again: signs in and works.
    expect((await admin.send("PATCH", `/api/users/${u.id}`, { disabled: false })).status).toBe(200);
    expect((await client(server.url, { cookie: await signIn(server.url, u.email) }).get("/api/me")).status).toBe(200);
    expect((await client(server.url, token).get("/api/me")).status).toBe(200);
  });

  it("the last active admin can be neither demoted nor disabled", async () => {
    const admins = (await admin.get("/api/users")).body.users.filter((u: any) => u.role === "admin" && !u.disabled);
    expect(admins).toHaveLength(1); // the first admin
    const r = await unchanged(() => admin.send("PATCH", `/api/users/${admins[0].id}`, { role: "viewer" }));
    expect(r.status).toBe(409);
    const d = await unchanged(() => admin.send("PATCH", `/api/users/${admins[0].id}`, { disabled: true }));
    expect(d.status).toBe(409);
  });
});

describe("cross-site requests with a session cookie", () => {
  let reviewer: Account;
  let t: { threadId: string; headCheckpointId: string };
  beforeAll(async () => {
    reviewer = await createAccount(server.url, "operator");
    t = await interruptedThread(admin);
  });

  const foreign = async () => `http://127.0.0.1:${await freePort()}`;
  const raw = (method: string, p: string, headers: Record<string, string>, body?: BodyInit) =>
    fetch(server.url + p, { method, headers: { cookie: reviewer.cookie, ...headers }, body, redirect: "manual" });

  it("refuses every cross-site or non-JSON attempt, and nothing changes", async () => {
    const other = await foreign();
    const statePath = `/api/threads/${t.threadId}/state`;
    const json = JSON.stringify({ values: { draft: "csrf" } });
    const form = new URLSearchParams({ values: "x" });
    const multipart = new FormData();
    multipart.set("values", "x");
    const attempts: [string, () => Promise<Response>, number, string][] = [
      [
        "JSON, Origin of another port, Sec-Fetch-Site same-site",
        () => raw("POST", statePath, { "content-type": "application/json", origin: other, "sec-fetch-site": "same-site" }, json),
        403,
        "CROSS_SITE",
      ],
      [
        "JSON, Origin of another port, no Sec-Fetch-Site",
        () => raw("POST", statePath, { "content-type": "application/json", origin: other }, json),
        403,
        "CROSS_SITE",
      ],
      [
        "JSON, Origin localhost instead of 127.0.0.1",
        () => raw("POST", statePath, { "content-type": "application/json", origin: server.url.replace("127.0.0.1", "localhost") }, json),
        403,
        "CROSS_SITE",
      ],
      ["JSON, Origin null", () => raw("POST", statePath, { "content-type": "application/json", origin: "null" }, json), 403, "CROSS_SITE"],
      [
        "JSON, Sec-Fetch-Site cross-site, no Origin",
        () => raw("POST", statePath, { "content-type": "application/json", "sec-fetch-site": "cross-site" }, json),
        403,
        "CROSS_SITE",
      ],
      [
        "text/plain, cross-site",
        () => raw("POST", statePath, { "content-type": "text/plain", origin: other, "sec-fetch-site": "same-site" }, json),
        403,
        "CROSS_SITE",
      ],
      ["form-urlencoded, cross-site", () => raw("POST", statePath, { origin: other, "sec-fetch-site": "cross-site" }, form), 403, "CROSS_SITE"],
      ["multipart, cross-site", () => raw("POST", statePath, { origin: other, "sec-fetch-site": "same-site" }, multipart), 403, "CROSS_SITE"],
      [
        "text/plain, same origin",
        () => raw("POST", statePath, { "content-type": "text/plain", origin: server.url }, json),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      [
        "form-urlencoded, same origin",
        () => raw("POST", statePath, { origin: server.url, "sec-fetch-site": "same-origin" }, form),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      ["multipart, same origin", () => raw("POST", statePath, { origin: server.url }, multipart), 415, "UNSUPPORTED_MEDIA_TYPE"],
      [
        "DELETE thread, cross-site",
        () => raw("DELETE", `/api/threads/${t.threadId}`, { origin: other, "sec-fetch-site": "same-site" }),
        403,
        "CROSS_SITE",
      ],
      [
        "new thread, cross-site",
        () =>
          raw(
            "POST",
            "/api/threads",
            { "content-type": "application/json", origin: other, "sec-fetch-site": "same-site" },
            JSON.stringify({ graphId: "approval", input: { topic: "x" } }),
          ),
        403,
        "CROSS_SITE",
      ],
      [
        "decide, cross-site",
        () =>
          raw(
            "POST",
            `/api/threads/${t.threadId}/runs`,
            { "content-type": "application/json", origin: other },
            JSON.stringify({ command: { resume: { action: "approve" } } }),
          ),
        403,
        "CROSS_SITE",
      ],
      [
        "token, cross-site",
        () =>
          raw(
            "POST",
            "/api/tokens",
            { "content-type": "application/json", origin: other, "sec-fetch-site": "same-site" },
            JSON.stringify({ name: "csrf", role: "viewer" }),
          ),
        403,
        "CROSS_SITE",
      ],
    ];
    for (const [name, attempt, status, code] of attempts) {
      const res = await unchanged(attempt);
      expect(res.status, name).toBe(status);
      expect((await res.json()).error.code, name).toBe(code);
    }
    // A sign-in posted from another origin (login CSRF) and a sign-in posted as text/plain are refused too.
    const xs = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: other, "x-forwarded-for": "198.51.100.50" },
      body: JSON.stringify({ email: reviewer.email, password: PASSWORD }),
    });
    expect(xs.status).toBeGreaterThanOrEqual(400);
    expect(cookieOf(xs)).not.toMatch(/session_token=/);
    const plain = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: server.url, "x-forwarded-for": "198.51.100.51" },
      body: JSON.stringify({ email: reviewer.email, password: PASSWORD }),
    });
    expect(plain.status).toBe(415);
    expect(cookieOf(plain)).not.toMatch(/session_token=/);
  });

  it("the same requests from the server's own origin (or Sec-Fetch-Site same-origin), or with a bearer token from anywhere, work", async () => {
    const statePath = `/api/threads/${t.threadId}/state`;
    const a = await raw(
      "POST",
      statePath,
      { "content-type": "application/json", origin: server.url },
      JSON.stringify({ values: { draft: "same origin" } }),
    );
    expect(a.status).toBe(201);
    const b = await raw(
      "POST",
      statePath,
      { "content-type": "application/json", "sec-fetch-site": "same-origin" },
      JSON.stringify({ values: { draft: "fetch metadata" } }),
    );
    expect(b.status).toBe(201);
    const c = await fetch(server.url + statePath, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        "content-type": "application/json",
        origin: await foreign(),
        "sec-fetch-site": "cross-site",
      },
      body: JSON.stringify({ values: { draft: "bearer" } }),
    });
    expect(c.status).toBe(201);
  });
});

describe("the actor comes from the identity", () => {
  it("checkpoints carry the caller's name and id (never the body's), for a session, an API token and the admin token", async () => {
    const rev = await createAccount(server.url, "reviewer", { name: "Rita Reviewer" });
    const { token, record } = await createToken(server.url, { name: "ci", role: "reviewer" }, rev.api);
    const t = await interruptedThread(admin);
    const base = `/api/threads/${t.threadId}`;

    // A body naming an actor is refused (400) everywhere, and writes nothing.
    for (const [p, body] of [
      [`${base}/state`, { values: { draft: "x" }, actor: "Mallory" }],
      [`${base}/runs`, { command: { resume: { action: "approve" } }, actor: "Mallory" }],
      [`${base}/fork`, { checkpointId: t.headCheckpointId, actor: "Mallory" }],
    ] as const) {
      const r = await unchanged(() => rev.api.post(p, body));
      expect(r.status, p).toBe(400);
    }

    const bySession = await rev.api.post(`${base}/state`, { values: { draft: "by session" }, reason: "typo" });
    expect(bySession.status).toBe(201);
    expect(bySession.body.checkpoint.metadata).toMatchObject({ actor: "Rita Reviewer", actorId: `user:${rev.id}`, reason: "typo" });
    expect(bySession.body.checkpoint.metadata.tokenId).toBeUndefined();

    const byToken = await client(server.url, token).post(`${base}/state`, { values: { draft: "by token" } });
    expect(byToken.status).toBe(201);
    expect(byToken.body.checkpoint.metadata).toMatchObject({ actor: "Rita Reviewer (token ci)", actorId: `user:${rev.id}`, tokenId: record.id });

    const decided = await rev.api.post(`${base}/runs`, { command: { resume: { action: "reject", feedback: "shorter" } }, wait: true });
    expect(decided.status).toBe(200);
    const hist = (await admin.get(`${base}/history?limit=100`)).body.checkpoints;
    const runCps = hist.filter((c: any) => c.metadata.runId === decided.body.run.runId);
    expect(runCps.length).toBeGreaterThan(0);
    for (const c of runCps) expect(c.metadata).toMatchObject({ actor: "Rita Reviewer", actorId: `user:${rev.id}`, reason: "shorter" });
    expect(runCps.some((c: any) => c.metadata.decision?.action === "reject")).toBe(true);
  });
});

describe("stale-decision guard", () => {
  it("a decision, a run or an edit on a checkpoint that is no longer the head is 409 with the head, and writes nothing", async () => {
    const rev = await createAccount(server.url, "operator");
    const t = await interruptedThread(admin);
    const base = `/api/threads/${t.threadId}`;
    const seen = t.headCheckpointId;
    // Someone else edits first: the head moves on.
    const edit = await admin.post(`${base}/state`, { values: { draft: "moved on" }, expectedCheckpointId: seen });
    expect(edit.status).toBe(201);
    const head = edit.body.checkpoint.checkpointId;

    for (const [p, body] of [
      [`${base}/runs`, { command: { resume: { action: "approve" } }, expectedCheckpointId: seen, wait: true }],
      [`${base}/runs`, { expectedCheckpointId: seen, wait: true }],
      [`${base}/state`, { values: { draft: "stale edit" }, expectedCheckpointId: seen }],
    ] as const) {
      const r = await unchanged(() => rev.api.post(p, body));
      expect(r.status, `${p} ${JSON.stringify(body)}`).toBe(409);
      expect(r.body.error).toMatchObject({ code: "STALE_CHECKPOINT", headCheckpointId: head, expectedCheckpointId: seen });
    }
    const now = (await admin.get(base)).body;
    expect(now).toMatchObject({ status: "interrupted", headCheckpointId: head });
    expect((await admin.get(`${base}/state`)).body.values.draft).toBe("moved on");

    // With the current head it goes through.
    const ok = await rev.api.post(`${base}/runs`, { command: { resume: { action: "approve" } }, expectedCheckpointId: head, wait: true });
    expect(ok.status).toBe(200);
    expect(ok.body.state.values.published).toBe(true);
  });
});

describe("two-person approval (approval-2p)", () => {
  let operator: Account, rev1: Account, rev2: Account, adminUser: Account;
  beforeAll(async () => {
    operator = await createAccount(server.url, "operator", { name: "Olga Operator" });
    rev1 = await createAccount(server.url, "reviewer", { name: "Rita One" });
    rev2 = await createAccount(server.url, "reviewer", { name: "Rob Two" });
    adminUser = await createAccount(server.url, "admin", { name: "Ada Admin" });
  });

  it("needs two distinct approvals, never the requester's; the same person twice is refused", async () => {
    const t = await interruptedThread(operator.api, "approval-2p", "Two people");
    const base = `/api/threads/${t.threadId}`;
    expect(t.quorum).toMatchObject({ node: "review", required: 2, excludeInitiator: true, approvals: [], checkpointId: t.headCheckpointId });
    expect(t.quorum.initiators).toContain(`user:${operator.id}`);

    const approve = { command: { resume: { action: "approve", comment: "fine" } }, wait: true };
    // The requester may decide in general (operator), but not approve their own request.
    const self = await unchanged(() => operator.api.post(`${base}/runs`, approve));
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe("FORBIDDEN");

    const first = await rev1.api.post(`${base}/runs`, approve);
    expect(first.status).toBe(202);
    expect(first.body.run).toBeNull();
    expect(first.body.quorum).toMatchObject({ required: 2, approvals: [{ actorId: `user:${rev1.id}`, name: "Rita One" }] });
    expect(first.body.thread).toMatchObject({ status: "interrupted", headCheckpointId: t.headCheckpointId });

    // Again, by session or by the same person's API token: 409, nothing recorded.
    const again = await unchanged(() => rev1.api.post(`${base}/runs`, approve));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("ALREADY_APPROVED");
    const { token } = await createToken(server.url, { name: "rita-ci", role: "reviewer" }, rev1.api);
    const viaToken = await unchanged(() => client(server.url, token).post(`${base}/runs`, approve));
    expect(viaToken.status).toBe(409);

    const waiting = (await admin.get(base)).body;
    expect(waiting.status).toBe("interrupted");
    expect(waiting.quorum.approvals.map((a: any) => a.name)).toEqual(["Rita One"]);

    const second = await rev2.api.post(`${base}/runs`, approve);
    expect(second.status).toBe(200);
    expect(second.body.thread.status).toBe("done");
    expect(second.body.state.values.published).toBe(true);
    const entries = (await admin.get(`/api/audit?threadId=${t.threadId}`)).body.entries;
    expect(entries.find((e: any) => e.action === "approve_partial")).toMatchObject({
      actorId: `user:${rev1.id}`,
      checkpointBefore: t.headCheckpointId,
      detail: { approvals: 1, required: 2 },
    });
    expect(entries.find((e: any) => e.action === "decide")).toMatchObject({
      actorId: `user:${rev2.id}`,
      checkpointBefore: t.headCheckpointId,
      reason: "fine",
      detail: { resume: { action: "approve", approvedBy: ["Rita One", "Rob Two"] } },
    });
    // The run's checkpoints record the completed decision with both approvers…
    const hist = (await admin.get(`${base}/history?limit=100`)).body.checkpoints;
    const decided = hist.filter((c: any) => c.metadata.runId === second.body.run.runId);
    expect(decided[0].metadata.decision).toEqual({ action: "approve", comment: "fine", approvedBy: ["Rita One", "Rob Two"] });
    // …and so does the state.
    expect(second.body.state.values.decision).toMatchObject({ action: "approve", approvedBy: ["Rita One", "Rob Two"] });
  });

  it("a reject decides at once; the approvals start over on the next draft", async () => {
    const t = await interruptedThread(operator.api, "approval-2p", "Reject");
    const base = `/api/threads/${t.threadId}`;
    expect((await rev1.api.post(`${base}/runs`, { command: { resume: { action: "approve" } } })).status).toBe(202);
    const rej = await rev2.api.post(`${base}/runs`, { command: { resume: { action: "reject", feedback: "no" } }, wait: true });
    expect(rej.status).toBe(200);
    expect(rej.body.thread.status).toBe("interrupted");
    expect(rej.body.state.values.revisions).toBe(1);
    const next = (await admin.get(base)).body;
    expect(next.headCheckpointId).not.toBe(t.headCheckpointId);
    expect(next.quorum.approvals).toEqual([]);
    // Rob caused the new draft (his reject ran it), so now he may not approve it; Rita and Ada may.
    expect((await rev2.api.post(`${base}/runs`, { command: { resume: { action: "approve" } } })).status).toBe(403);
    expect((await rev1.api.post(`${base}/runs`, { command: { resume: { action: "approve" } } })).status).toBe(202);
    const done = await adminUser.api.post(`${base}/runs`, { command: { resume: { action: "approve" } }, wait: true });
    expect(done.status).toBe(200);
    expect(done.body.state.values.decision.approvedBy).toEqual(["Rita One", "Ada Admin"]);
  });

  it("an approval aimed at a checkpoint the thread moved past (stale) counts for nothing", async () => {
    const t = await interruptedThread(operator.api, "approval-2p", "Stale quorum");
    const base = `/api/threads/${t.threadId}`;
    const edited = await adminUser.api.post(`${base}/state`, { values: { draft: "changed under review" } });
    expect(edited.status).toBe(201);
    const r = await unchanged(() =>
      rev1.api.post(`${base}/runs`, { command: { resume: { action: "approve" } }, expectedCheckpointId: t.headCheckpointId }),
    );
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "STALE_CHECKPOINT", headCheckpointId: edited.body.checkpoint.checkpointId });
  });

  it("one person cannot publish alone by another way in: naming the checkpoint, `goto`, or an edit as the review node", async () => {
    // Each attempt on a fresh thread started by Olga; every one of them is one person acting alone.
    const attempts: [string, (threadId: string, head: string) => Promise<unknown>][] = [
      [
        "the requester approves naming the head (checkpointId)",
        (id, head) => operator.api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } }, checkpointId: head, wait: true }),
      ],
      [
        "one reviewer approves naming the head (checkpointId)",
        (id, head) => rev1.api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } }, checkpointId: head, wait: true }),
      ],
      [
        "the requester jumps to publish (command.goto)",
        (id) => operator.api.post(`/api/threads/${id}/runs`, { command: { goto: "publish" }, wait: true }),
      ],
      [
        "an admin edits the state as the review node, then continues the run",
        async (id) => {
          await adminUser.api.post(`/api/threads/${id}/state`, { values: { decision: { action: "approve" } }, asNode: "review" });
          return adminUser.api.post(`/api/threads/${id}/runs`, { wait: true });
        },
      ],
    ];
    const published: string[] = [];
    for (const [name, attempt] of attempts) {
      const t = await interruptedThread(operator.api, "approval-2p", "Bypass");
      await attempt(t.threadId, t.headCheckpointId);
      await settled(db);
      if ((await admin.get(`/api/threads/${t.threadId}/state`)).body.values.published) published.push(name);
    }
    expect(published, "ways one person published a two-person thread").toEqual([]);
  });
});

describe("audit trail", () => {
  const ip = "192.0.2.44";
  const ua = "waypoint-audit-test/1.0";
  let actor: Account;
  let actorApi: Client;
  let firstEntryId: string;

  beforeAll(async () => {
    firstEntryId = (await admin.get("/api/audit?limit=1")).body.entries[0].id;
    actor = await createAccount(server.url, "admin", { name: "Audra Auditor", signInHeaders: { "x-forwarded-for": ip, "user-agent": ua } });
    // Every call of this actor comes with a recognisable IP and user agent (as a browser behind a proxy would).
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(server.url + p, {
        method,
        headers: {
          cookie: actor.cookie,
          origin: server.url,
          "x-forwarded-for": ip,
          "user-agent": ua,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    };
    actorApi = {
      ...client(server.url, { cookie: actor.cookie }),
      get: (p: string) => call("GET", p),
      post: (p: string, b?: unknown) => call("POST", p, b),
      del: (p: string) => call("DELETE", p),
      send: call,
    };
  });

  it("records every action with who, what, which thread and checkpoints, the reason, the IP and the user agent", async () => {
    const api = actorApi;
    const me = `user:${actor.id}`;
    // thread_create (+ its first run), decide, edit_state, fork, run_start, run_retry, run_resume, thread_delete
    const created = await api.post("/api/threads", { graphId: "approval", input: { topic: "Audit" } });
    expect(created.status).toBe(201);
    const id = created.body.threadId;
    const interrupted = await waitStatus(admin, id, ["interrupted"]);
    const edit = await api.post(`/api/threads/${id}/state`, { values: { draft: "edited" }, reason: "fix wording" });
    expect(edit.status).toBe(201);
    const fork = await api.post(`/api/threads/${id}/fork`, { checkpointId: interrupted.headCheckpointId, newThread: true, reason: "try another" });
    expect(fork.status).toBe(201);
    const decide = await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "reject", feedback: "too long" } }, wait: true });
    expect(decide.status).toBe(200);
    const idle = (await api.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    const start = await api.post(`/api/threads/${idle}/runs`, { input: { steps: 2, stepMs: 0, failAt: 2 }, wait: true });
    expect(start.body.thread.status).toBe("error");
    const retry = await api.post(`/api/threads/${idle}/runs`, { wait: true, reason: "try again" });
    expect(retry.body.thread.status).toBe("error");
    await api.post(`/api/threads/${idle}/state`, { values: { failAt: null } });
    const fixed = await api.post(`/api/threads/${idle}/runs`, { wait: true });
    expect(fixed.body.thread.status).toBe("done");
    const research = (await api.post("/api/threads", { graphId: "research", input: { question: "audit" } })).body.threadId;
    await waitStatus(admin, research, ["interrupted"]);
    const resume = await api.post(`/api/threads/${research}/runs`, { wait: true });
    expect(resume.body.thread.status).toBe("done");
    const del = await api.del(`/api/threads/${idle}`);
    expect(del.status).toBe(200);
    // token_create, token_revoke, user_create, user_update
    const tok = await api.post("/api/tokens", { name: "audited", role: "viewer" });
    expect(tok.status).toBe(201);
    expect((await api.del(`/api/tokens/${tok.body.record.id}`)).status).toBe(200);
    const nu = await api.post("/api/users", { name: "Newbie", email: "newbie@example.test", password: PASSWORD, role: "viewer" });
    expect(nu.status).toBe(201);
    expect((await api.send("PATCH", `/api/users/${nu.body.id}`, { role: "reviewer", password: "another password" })).status).toBe(200);
    // sign_in_failed, sign_out
    const failed = await signInRaw(server.url, "newbie@example.test", "wrong password", { "x-forwarded-for": ip, "user-agent": ua });
    expect(failed.status).toBe(401);
    const newbieCookie = await signIn(server.url, "newbie@example.test", "another password", { "x-forwarded-for": ip, "user-agent": ua });
    const out = await fetch(`${server.url}/api/auth/sign-out`, {
      method: "POST",
      headers: { cookie: newbieCookie, origin: server.url, "content-type": "application/json", "x-forwarded-for": ip, "user-agent": ua },
      body: "{}",
    });
    expect(out.status).toBe(200);

    const all = await auditSince(firstEntryId);
    const find = (action: string, pred: (e: any) => boolean = () => true) => {
      const e = all.find((x) => x.action === action && pred(x));
      expect(e, `an audit entry for ${action}`).toBeTruthy();
      expect(e).toMatchObject({ ip, userAgent: ua });
      expect(Date.parse(e.at)).toBeGreaterThan(0);
      return e;
    };
    const who = { actorId: me, actorName: "Audra Auditor", actorKind: "user", outcome: "ok" };
    expect(find("sign_in", (e) => e.actorId === me)).toMatchObject({ ...who, detail: { method: "password", email: actor.email } });
    expect(find("thread_create", (e) => e.threadId === id)).toMatchObject({ ...who, graphId: "approval", detail: { input: { topic: "Audit" } } });
    expect(find("edit_state", (e) => e.threadId === id)).toMatchObject({
      ...who,
      threadId: id,
      graphId: "approval",
      checkpointBefore: interrupted.headCheckpointId,
      checkpointAfter: edit.body.checkpoint.checkpointId,
      reason: "fix wording",
      detail: { values: { draft: "edited" } },
    });
    expect(find("fork", (e) => e.actorId === me)).toMatchObject({
      ...who,
      threadId: fork.body.thread.threadId,
      checkpointBefore: interrupted.headCheckpointId,
      checkpointAfter: fork.body.checkpoint.checkpointId,
      reason: "try another",
      detail: { fromThread: id },
    });
    expect(find("decide", (e) => e.threadId === id)).toMatchObject({
      ...who,
      graphId: "approval",
      checkpointBefore: edit.body.checkpoint.checkpointId,
      reason: "too long",
      detail: { runId: decide.body.run.runId, resume: { action: "reject", feedback: "too long" } },
    });
    expect(find("run_start", (e) => e.threadId === idle)).toMatchObject({
      ...who,
      graphId: "pipeline",
      detail: { runId: start.body.run.runId, input: { failAt: 2 } },
    });
    expect(find("run_retry", (e) => e.threadId === idle)).toMatchObject({
      ...who,
      reason: "try again",
      checkpointBefore: start.body.thread.headCheckpointId,
      detail: { runId: retry.body.run.runId },
    });
    expect(find("run_resume", (e) => e.threadId === research)).toMatchObject({
      ...who,
      graphId: "research",
      detail: { runId: resume.body.run.runId },
    });
    expect(find("thread_delete", (e) => e.threadId === idle)).toMatchObject({
      ...who,
      graphId: "pipeline",
      checkpointBefore: fixed.body.thread.headCheckpointId,
    });
    expect(find("token_create", (e) => e.actorId === me)).toMatchObject({
      ...who,
      detail: { tokenId: tok.body.record.id, name: "audited", role: "viewer", owner: actor.email },
    });
    expect(find("token_revoke", (e) => e.actorId === me)).toMatchObject({ ...who, detail: { tokenId: tok.body.record.id } });
    expect(find("user_create", (e) => e.actorId === me)).toMatchObject({
      ...who,
      detail: { userId: nu.body.id, email: "newbie@example.test", role: "viewer" },
    });
    const upd = find("user_update", (e) => e.actorId === me);
    expect(upd).toMatchObject({
      ...who,
      detail: { userId: nu.body.id, before: { role: "viewer" }, change: { role: "reviewer", password: "(changed)" } },
    });
    expect(JSON.stringify(upd)).not.toContain("another password");
    expect(find("sign_in_failed", (e) => e.detail?.email === "newbie@example.test")).toMatchObject({
      actorId: null,
      actorKind: "anonymous",
      outcome: "failed",
      detail: { method: "password", status: 401 },
    });
    expect(JSON.stringify(all)).not.toContain("wrong password");
    expect(find("sign_out", (e) => e.actorName === "Newbie")).toMatchObject({ actorKind: "user", actorId: `user:${nu.body.id}` });
    // The signed-out session is gone from the database, and its cookies are cleared in the answer.
    expect(out.headers.getSetCookie().some((c) => /^waypoint\.session_token=;/.test(c) || /waypoint\.session_token=[^;]*;.*Max-Age=0/i.test(c))).toBe(
      true,
    );
    const tokenPart = decodeURIComponent(/waypoint\.session_token=([^;.]+)/.exec(newbieCookie)![1]);
    expect((await db.query("SELECT COUNT(*) AS n FROM auth_sessions WHERE token = ?", [tokenPart]))[0].n).toBe(0);
    const sessionOnly = newbieCookie.replace(/;?\s*waypoint\.session_data=[^;]+/, "");
    expect((await client(server.url, { cookie: sessionOnly }).get("/api/me")).status).toBe(401);
    // A copy of the whole cookie (with its signed 30-second session cache) is refused at once on this server too.
    expect((await client(server.url, { cookie: newbieCookie }).get("/api/me")).status).toBe(401);

    // All actions of the list appear in this trail (first_admin and approve_partial came from earlier tests).
    const actions = new Set((await auditSince(null)).map((e) => e.action));
    for (const a of [
      "sign_in",
      "sign_in_failed",
      "sign_out",
      "first_admin",
      "decide",
      "approve_partial",
      "edit_state",
      "fork",
      "run_start",
      "run_resume",
      "run_retry",
      "thread_create",
      "thread_delete",
      "token_create",
      "token_revoke",
      "user_create",
      "user_update",
    ])
      expect(actions.has(a), a).toBe(true);

    // A deleted thread keeps its entries.
    const ofDeleted = (await admin.get(`/api/audit?threadId=${idle}`)).body.entries.map((e: any) => e.action);
    expect(ofDeleted).toEqual(expect.arrayContaining(["thread_create", "run_start", "run_retry", "edit_state", "run_resume", "thread_delete"]));
    expect((await admin.get(`/api/threads/${idle}`)).status).toBe(404);
  });

  it("filters by person, thread, action and time; pages without gaps or repeats; the export matches the list", async () => {
    const all = await auditSince(null);
    expect(all.length).toBeGreaterThan(30);
    // Paging: 7 at a time, newest first, the union is the whole trail once.
    const paged: any[] = [];
    let cursor: string | null = null;
    do {
      const r: any = (await admin.get(`/api/audit?limit=7${cursor ? `&cursor=${cursor}` : ""}`)).body;
      expect(r.entries.length).toBeLessThanOrEqual(7);
      paged.push(...r.entries);
      cursor = r.nextCursor;
    } while (cursor);
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    expect(new Set(paged.map((e) => e.id)).size).toBe(paged.length);
    const ids = paged.map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());

    const me = `user:${actor.id}`;
    const mine = (await admin.get(`/api/audit?actorId=${encodeURIComponent(me)}&limit=1000`)).body.entries;
    expect(mine.length).toBeGreaterThan(5);
    expect(mine).toEqual(all.filter((e) => e.actorId === me));
    const decides = (await admin.get("/api/audit?action=decide&limit=1000")).body.entries;
    expect(decides).toEqual(all.filter((e) => e.action === "decide"));
    const tid = all.find((e) => e.action === "edit_state")!.threadId;
    expect((await admin.get(`/api/audit?threadId=${tid}&limit=1000`)).body.entries).toEqual(all.filter((e) => e.threadId === tid));
    // Time window: between two entries' times (inclusive), only entries in it.
    const mid = all[Math.floor(all.length / 2)];
    const from = all[all.length - 3].at;
    const windowed = (await admin.get(`/api/audit?from=${from}&to=${mid.at}&limit=1000`)).body.entries;
    expect(windowed.length).toBeGreaterThan(0);
    expect(windowed).toEqual(all.filter((e) => e.at >= from && e.at <= mid.at));
    expect((await admin.get("/api/audit?from=not-a-date")).status).toBe(400);

    // Export: JSON lines, each a parseable entry, equal to the list; with the same filters.
    const res = await fetch(`${server.url}/api/audit/export`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="waypoint-audit-\d{4}-\d{2}-\d{2}\.jsonl"/);
    const text = await res.text();
    expect(text.endsWith("\n")).toBe(true);
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(all);
    const expAction = await (
      await fetch(`${server.url}/api/audit/export?action=decide`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
    ).text();
    expect(
      expAction
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(decides);
  });

  it("is append-only in the database: a raw UPDATE or DELETE fails", async () => {
    const raw = new Database(dbFile, { timeout: 10_000 });
    try {
      const n = (raw.prepare("SELECT COUNT(*) AS n FROM audit_entries").get() as { n: number }).n;
      expect(() => raw.prepare("UPDATE audit_entries SET actor_name = 'someone else'").run()).toThrow(/append-only/);
      expect(() => raw.prepare("DELETE FROM audit_entries").run()).toThrow(/append-only/);
      expect(() => raw.prepare("DELETE FROM audit_entries WHERE action = 'sign_in'").run()).toThrow(/append-only/);
      expect((raw.prepare("SELECT COUNT(*) AS n FROM audit_entries").get() as { n: number }).n).toBe(n);
      expect((raw.prepare("SELECT COUNT(*) AS n FROM audit_entries WHERE actor_name = 'someone else'").get() as { n: number }).n).toBe(0);
    } finally {
      raw.close();
    }
  });

  it("sign-in attempts are rate limited per client: the 21st in a minute is refused (429), and recorded", async () => {
    const from = "203.0.113.99";
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await signInRaw(server.url, "nobody@example.test", `wrong-${i}-password`, { "x-forwarded-for": from })).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    const recorded = (await admin.get("/api/audit?action=sign_in_failed&limit=1000")).body.entries.filter((e: any) => e.ip === from);
    expect(recorded).toHaveLength(21);
    expect(recorded[0].detail).toMatchObject({ email: "nobody@example.test", status: 429 });
  });
});

describe("without a trusted proxy", () => {
  it("a forged X-Forwarded-For is neither recorded as the client's address nor a way around the sign-in limit", async () => {
    const tmp = await sqliteStore();
    const direct = await startServer({ ...tmp.env, TEST: "false" });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 21; i++)
        statuses.push(
          (await signInRaw(direct.url, "nobody@example.test", `wrong-${i}-password`, { "x-forwarded-for": `198.51.100.${i + 1}` })).status,
        );
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses[20], "the 21st attempt from one socket address is limited, whatever the header says").toBe(429);
      const entries = (await client(direct.url).get("/api/audit?action=sign_in_failed&limit=100")).body.entries;
      expect(entries.length).toBe(21);
      for (const e of entries) expect(e.ip).not.toMatch(/^198\.51\.100\./);
    } finally {
      await direct.stop();
      await tmp.cleanup();
    }
    // A server start and 21 password checks (each hashes, even for an unknown user): seen over 30 s on a busy machine.
  }, 120_000);
});

/** Every audit entry newer than `afterId` (all when null), newest first, through the API's paging. */
async function auditSince(afterId: string | null): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const r: any = (await admin.get(`/api/audit?limit=1000${cursor ? `&cursor=${cursor}` : ""}`)).body;
    out.push(...r.entries);
    cursor = r.nextCursor;
  } while (cursor);
  return afterId ? out.filter((e) => e.id > afterId) : out;
}
