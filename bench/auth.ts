/**
 * `npx tsx bench/auth.ts` — what authentication costs per API request. See docs/benchmarks.md, "Cost of
 * authentication".
 *
 *   npx tsx bench/auth.ts [--n 2000] [--rounds 20] [--json out.json]
 *
 * Two measurements:
 *
 * 1. Over HTTP, against one `next start` server of the current build (.next; `npx next build` first) on a fresh
 *    SQLite file: `--n` sequential GET /api/threads/:id per credential — the admin token (a constant-time compare,
 *    no database), an API token, a session whose signed cookie cache is fresh, a session whose cookie cache has
 *    expired (the session token alone) — and as many GET /api/health (no authentication, one cheap store call). The kinds alternate in `--rounds` blocks, so drift in the machine's load hits them all alike.
 *    The auth cost of a credential is its p50 minus the admin token's p50 on the same route.
 * 2. In process: `Authenticator.authenticate` (lib/server/auth/principal.ts) alone, on the same kinds of request,
 *    warm (the per-process caches hit, as they do for a client making requests in a row) and cold (every cache
 *    dropped first, so each call reads the database: the token row and its owner, or the session row and user).
 *    This part runs in a child process with the `react-server` condition (the modules import "server-only").
 *
 * No assertion: it prints a markdown table (stdout) and progress (stderr).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, log, markdownTable, pct } from "./stats";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? def : argv[i + 1];
};
const N = Number(arg("n", "2000"));
const ROUNDS = Number(arg("rounds", "20"));
const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef0123456789abcdef";
const PASSWORD = "bench password 123";

interface Row {
  name: string;
  samples: number[]; // ms
}

const summary = (r: Row) => ({
  name: r.name,
  n: r.samples.length,
  p50: pct(r.samples, 50),
  p90: pct(r.samples, 90),
  p99: pct(r.samples, 99),
  mean: r.samples.reduce((a, b) => a + b, 0) / r.samples.length,
});

if (argv.includes("--in-process")) await inProcess(argv[argv.indexOf("--in-process") + 1]);
else await main();

async function main() {
  if (!existsSync(path.join(ROOT, ".next", "BUILD_ID"))) throw new Error("No build in .next: run `npx next build` first.");
  const dir = mkdtempSync(path.join(os.tmpdir(), "waypoint-bench-auth-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  log(`starting next on ${base} (SQLite in ${dir})`);
  // Sign-ins name their own client address (rate limits are per client), as behind a proxy.
  const env = {
    CHECKPOINT_STORE: "sqlite",
    DATABASE_URL: `file:${dir}/waypoint.db`,
    CHECKPOINT_DIR: dir,
    WAYPOINT_ADMIN_TOKEN: ADMIN_TOKEN,
    WAYPOINT_TRUST_PROXY: "1",
  };
  const proc = spawn(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", ...env },
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  try {
    await waitHealthy(base, proc, () => out);
    const http = await overHttp(base);
    log("in-process measurement (child process, --conditions=react-server)");
    const child = spawnSync(
      process.execPath,
      ["--conditions=react-server", "--import", "tsx", fileURLToPath(import.meta.url), "--in-process", dir, "--n", String(N)],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NODE_ENV: "production" },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (child.status !== 0) throw new Error(`in-process part failed:\n${child.stderr}`);
    const inproc = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as ReturnType<typeof summary>[];
    print(http, inproc);
    const json = arg("json", "");
    if (json)
      writeFileSync(json, JSON.stringify({ at: new Date().toISOString(), n: N, rounds: ROUNDS, loadavg: os.loadavg(), http, inproc }, null, 2));
  } finally {
    try {
      process.kill(-proc.pid!, "SIGTERM");
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overHttp(base: string) {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = admin) => {
    const res = await fetch(base + p, {
      method,
      headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return { res, body: text ? JSON.parse(text) : null };
  };
  const user = (await call("POST", "/api/users", { name: "Bench Viewer", email: "bench@example.test", password: PASSWORD, role: "viewer" })).body;
  let signIns = 0;
  const signIn = async () => {
    const res = await fetch(`${base}/api/auth/sign-in/email`, {
      method: "POST",
      // Its own address each time: Better Auth allows 20 password sign-ins a minute per client.
      headers: { "content-type": "application/json", origin: base, "x-forwarded-for": `10.9.${signIns >> 8}.${signIns++ & 255}` },
      body: JSON.stringify({ email: "bench@example.test", password: PASSWORD }),
    });
    if (res.status !== 200) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  };
  // Better Auth's signed cookie cache (`waypoint.session_data`) is valid for 30 s after sign-in, and API answers
  // never renew it: so a browser's API calls check the session row in the database except in the first 30 s.
  // Both cases are measured: a fresh cookie (signed in again before every block) and the session token alone.
  const fresh = { cookie: await signIn() };
  const tokenOnly = fresh.cookie
    .split("; ")
    .filter((c) => c.startsWith("waypoint.session_token="))
    .join("; ");
  const token = (await call("POST", "/api/tokens", { name: "bench", role: "viewer", userId: user.id })).body.token as string;
  const thread = (await call("POST", "/api/threads", { graphId: "approval", input: { topic: "Bench" } })).body.threadId as string;
  for (let i = 0; i < 200; i++) {
    const t = (await call("GET", `/api/threads/${thread}`)).body;
    if (t.status === "interrupted") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const kinds: { name: string; path: string; headers: Record<string, string> }[] = [
    { name: "GET /api/health — no authentication", path: "/api/health", headers: {} },
    { name: "GET /api/threads/:id — admin token", path: `/api/threads/${thread}`, headers: admin },
    { name: "GET /api/threads/:id — API token (wpt_…)", path: `/api/threads/${thread}`, headers: { authorization: `Bearer ${token}` } },
    { name: "GET /api/threads/:id — session, cookie cache fresh (< 30 s)", path: `/api/threads/${thread}`, headers: fresh },
    { name: "GET /api/threads/:id — session, cookie cache expired (> 30 s)", path: `/api/threads/${thread}`, headers: { cookie: tokenOnly } },
  ];
  const rows: Row[] = kinds.map((k) => ({ name: k.name, samples: [] }));
  log(`warm-up, then ${N} requests per kind in ${ROUNDS} alternating blocks`);
  for (const k of kinds) for (let i = 0; i < 100; i++) await timed(base + k.path, k.headers);
  const block = Math.ceil(N / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    fresh.cookie = await signIn();
    for (const [i, k] of kinds.entries())
      for (let j = 0; j < block && rows[i].samples.length < N; j++) rows[i].samples.push(await timed(base + k.path, k.headers));
    if ((r + 1) % 5 === 0) log(`  round ${r + 1}/${ROUNDS}`);
  }
  return rows.map(summary);
}

async function timed(url: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return ms;
}

/** The child: Authenticator.authenticate on its own, against a fresh SQLite accounts database. */
async function inProcess(dir: string) {
  const { createStore } = await import("../lib/checkpoint/factory");
  const { createAccess } = await import("../lib/server/auth/index");
  const url = `file:${dir}/inproc.db`;
  const store = await createStore({ kind: "sqlite", url });
  await store.setup();
  const env = { ...process.env, DATABASE_URL: url, WAYPOINT_ADMIN_TOKEN: ADMIN_TOKEN, BETTER_AUTH_URL: "http://localhost:3000" };
  const access = await createAccess(store, env);
  const user = await access.users.create({ name: "Bench", email: "inproc@example.test", password: PASSWORD, role: "viewer", graphs: null });
  const signInCookie = async () => {
    const signed = await access.auth.api.signInEmail({
      body: { email: "inproc@example.test", password: PASSWORD },
      headers: new Headers({ origin: "http://localhost:3000" }),
      asResponse: true,
    });
    return signed.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
  };
  const session: Record<string, string> = { cookie: await signInCookie() };
  const tokenOnly = session.cookie
    .split("; ")
    .filter((c) => c.startsWith("waypoint.session_token="))
    .join("; ");
  const { token } = await access.tokens.create(user.id, { name: "bench", role: "viewer", graphs: null });
  const req = (headers: Record<string, string>) => new Request("http://localhost:3000/api/threads/x", { headers });
  const tokenCache = (access.tokens as unknown as { cache: Map<string, unknown> }).cache;
  const cases: { name: string; headers: Record<string, string>; before?: () => void; prepare?: () => Promise<void> }[] = [
    { name: "admin token", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    { name: "API token, warm (token + owner cached)", headers: { authorization: `Bearer ${token}` } },
    {
      name: "API token, cold (reads token row + owner)",
      headers: { authorization: `Bearer ${token}` },
      before: () => (tokenCache.clear(), access.authn.forgetUser(user.id)),
    },
    // A fresh sign-in before each: the signed cookie cache lasts 30 s.
    { name: "session, cookie cache fresh, user cached", headers: session, prepare: async () => void (session.cookie = await signInCookie()) },
    {
      name: "session, cookie cache fresh, user row read",
      headers: session,
      prepare: async () => void (session.cookie = await signInCookie()),
      before: () => access.authn.forgetUser(user.id),
    },
    { name: "session, cookie cache expired, user cached (session row read)", headers: { cookie: tokenOnly } },
    {
      name: "session, cookie cache expired, user row read (session + user rows read)",
      headers: { cookie: tokenOnly },
      before: () => access.authn.forgetUser(user.id),
    },
  ];
  const rows: Row[] = [];
  for (const c of cases) {
    await c.prepare?.();
    for (let i = 0; i < 200; i++) {
      c.before?.();
      await access.authn.authenticate(req(c.headers));
    }
    const samples: number[] = [];
    for (let i = 0; i < N; i++) {
      c.before?.();
      const r = req(c.headers);
      const t0 = performance.now();
      const p = await access.authn.authenticate(r);
      samples.push(performance.now() - t0);
      if (p.role !== (c.name === "admin token" ? "admin" : "viewer")) throw new Error(`unexpected principal for ${c.name}`);
    }
    rows.push({ name: c.name, samples });
  }
  await access.db.close();
  await store.close();
  process.stdout.write(JSON.stringify(rows.map(summary)) + "\n");
}

function print(http: ReturnType<typeof summary>[], inproc: ReturnType<typeof summary>[]) {
  const adminP50 = http[1].p50;
  console.log(`\n### Over HTTP (${N} sequential requests each, ${ROUNDS} alternating blocks; ms)\n`);
  console.log(
    markdownTable([
      ["request", "n", "p50", "p90", "p99", "mean", "p50 − admin token p50"],
      ...http.map((r, i) => [
        r.name,
        String(r.n),
        fmt(r.p50, 2),
        fmt(r.p90, 2),
        fmt(r.p99, 2),
        fmt(r.mean, 2),
        i === 0 ? "—" : fmt(r.p50 - adminP50, 2),
      ]),
    ]),
  );
  console.log(`\n### In process: Authenticator.authenticate (${N} calls each; µs)\n`);
  console.log(
    markdownTable([
      ["credential", "n", "p50", "p90", "p99", "mean"],
      ...inproc.map((r) => [r.name, String(r.n), fmt(r.p50 * 1000, 0), fmt(r.p90 * 1000, 0), fmt(r.p99 * 1000, 0), fmt(r.mean * 1000, 0)]),
    ]),
  );
  console.log(
    `\nNode ${process.version}, ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" / ")} (1/5/15 min) at the end.`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base: string, proc: ChildProcess, output: () => string) {
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited:\n${output()}`);
    const ok = await fetch(`${base}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > end) throw new Error(`server not healthy:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
