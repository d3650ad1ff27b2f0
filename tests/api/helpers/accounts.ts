/**
 * Accounts for the auth tests: users of each role created through the API (with the admin token), signed in
 * through Better Auth's email endpoint (a real session cookie), API tokens, and direct row counts of the
 * server's database — so a test can say "this refused request wrote nothing" without trusting the API.
 */
import Database from "better-sqlite3";
import pg from "pg";
import { client, type Client } from "./client";
import { TEST_ADMIN_TOKEN } from "./server";

export type Role = "viewer" | "reviewer" | "operator" | "admin";
export const ROLES: Role[] = ["viewer", "reviewer", "operator", "admin"];
export const PASSWORD = "correct horse battery staple";

/** The cookies a response sets, as one Cookie request header (`name=value; name=value`). */
export function cookieOf(res: Response | Headers): string {
  const headers = res instanceof Headers ? res : res.headers;
  return headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .filter((c) => !/=$/.test(c)) // a cookie being cleared
    .join("; ");
}

/** Signs in with email + password as a browser on the server's own origin would; throws unless it works. */
export async function signIn(base: string, email: string, password = PASSWORD, extra: Record<string, string> = {}): Promise<string> {
  const res = await signInRaw(base, email, password, extra);
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${await res.text()}`);
  const cookie = cookieOf(res);
  if (!/waypoint\.session_token=/.test(cookie)) throw new Error(`sign-in of ${email} set no session cookie: ${cookie}`);
  return cookie;
}

export function signInRaw(base: string, email: string, password: string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: new URL(base).origin, ...extra },
    body: JSON.stringify({ email, password }),
    redirect: "manual",
  });
}

export interface Account {
  id: string;
  name: string;
  email: string;
  role: Role;
  cookie: string;
  api: Client;
}

/** Creates a user with the admin token and signs them in. */
export async function createAccount(
  base: string,
  role: Role,
  opts: { name?: string; email?: string; graphs?: string[] | null; signInHeaders?: Record<string, string> } = {},
): Promise<Account> {
  const admin = client(base);
  const tag = Math.random().toString(36).slice(2, 8);
  const name = opts.name ?? `${role[0].toUpperCase()}${role.slice(1)} ${tag}`;
  const email = opts.email ?? `${role}-${tag}@example.test`;
  const r = await admin.post("/api/users", { name, email, password: PASSWORD, role, ...(opts.graphs !== undefined ? { graphs: opts.graphs } : {}) });
  if (r.status !== 201) throw new Error(`creating ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  const cookie = await signIn(base, email, PASSWORD, opts.signInHeaders);
  return { id: r.body.id, name, email, role, cookie, api: client(base, { cookie }) };
}

/** An API token (through the API, as `as` — default the admin token); returns the secret and its record. */
export async function createToken(
  base: string,
  body: { name: string; role: Role; graphs?: string[] | null; scope?: "all" | "metrics"; userId?: string; expiresInDays?: number },
  as: Client = client(base, TEST_ADMIN_TOKEN),
): Promise<{ token: string; record: any }> {
  const r = await as.post("/api/tokens", body);
  if (r.status !== 201) throw new Error(`creating token ${body.name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Row counts straight from the server's database (SQLite file or PostgreSQL), read-only. */
export interface Counts {
  threads: number;
  checkpoints: number;
  audit: number;
  tokens: number;
  users: number;
  approvals: number;
  running: number;
}

export interface DbProbe {
  counts(): Promise<Counts>;
  /** One query, for the tests that look at raw rows. */
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const COUNT_SQL = `SELECT
  (SELECT COUNT(*) FROM threads) AS threads,
  (SELECT COUNT(*) FROM checkpoints) AS checkpoints,
  (SELECT COUNT(*) FROM audit_entries) AS audit,
  (SELECT COUNT(*) FROM api_tokens) AS tokens,
  (SELECT COUNT(*) FROM auth_users) AS users,
  (SELECT COUNT(*) FROM approvals) AS approvals,
  (SELECT COUNT(*) FROM threads WHERE status = 'running') AS running`;

const toCounts = (row: Record<string, unknown>): Counts =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as Counts;

/** Opens the database a test server uses (its DATABASE_URL). */
export async function dbProbe(env: Record<string, string>): Promise<DbProbe> {
  const url = env.DATABASE_URL;
  if (url.startsWith("file:")) {
    const db = new Database(url.slice("file:".length), { readonly: true, fileMustExist: true });
    return {
      counts: async () => toCounts(db.prepare(COUNT_SQL).get() as Record<string, unknown>),
      query: async (sql, params = []) => db.prepare(sql).all(...(params as unknown[])) as any[],
      close: async () => {
        db.close();
      },
    };
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    counts: async () => toCounts((await c.query(COUNT_SQL)).rows[0]),
    query: async (sql, params = []) => (await c.query(sql, params as unknown[])).rows,
    close: () => c.end(),
  };
}

/** Waits until no thread of the store is running (a run started in the background has settled). */
export async function settled(db: DbProbe, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await db.counts()).running > 0) {
    if (Date.now() > end) throw new Error("a run did not settle");
    await new Promise((r) => setTimeout(r, 100));
  }
}
