/**
 * Fuzzes every API route with a fixed seed (so a failure replays): methods, percent-encodings, ids, query
 * strings, content types, nesting, sizes. On SQLite and PostgreSQL. Asserts for every request:
 * - never a 5xx and never a dropped connection;
 * - every 4xx (but HEAD's) is the API's JSON error `{ error: { code, message } }`;
 * - a rejected (4xx) mutating request changed nothing (the fixture threads and the thread count are as before).
 * Bounded: FUZZ_COUNT requests per store, and at most FUZZ_BUDGET_MS of them.
 */
import { afterAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { raw, type RawResult } from "./helpers/raw";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, sqliteStore, type TestStore } from "./helpers/stores";

const SEED = 0x5eed_0009;
const FUZZ_COUNT = Number(process.env.FUZZ_COUNT) || 500;
const FUZZ_BUDGET_MS = 75_000;

/** mulberry32: a small seeded PRNG. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}

const nested = (depth: number, leaf = "1") => "[".repeat(depth) + leaf + "]".repeat(depth);
const nestedObj = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

const METHODS = ["GET", "GET", "POST", "POST", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO"] as const;
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CONTENT_TYPES = [
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/xml",
  "application/json; charset=latin1",
  "",
] as const;
const BAD_IDS = [
  "%ff%fe",
  "%",
  "%zz",
  "%2e%2e",
  "..",
  "a%2fb",
  "%00",
  "a%00b",
  "%F0%9F%92%A5",
  "%ed%a0%80",
  "x".repeat(300),
  "__proto__",
  "constructor",
  "null",
  "%27%3B%20DROP%20TABLE%20threads%3B--",
  "0",
  "-",
  "a:b",
  "%20",
  "%E2%80%AE",
];
const QUERIES = [
  "",
  "",
  "?limit=1e9",
  "?limit=-1",
  "?limit=0",
  "?limit=%ff",
  "?limit=1.5",
  "?status=bogus",
  "?status=running",
  "?cursor=%00",
  "?cursor=abc",
  "?before=..",
  "?checkpointId=%ff",
  "?fields=summary",
  "?fields=%00",
  "?a=%",
  "?limit=10&limit=20",
  "?graphId=%ed%a0%80",
  "?against=zzz",
  "?checkpointId=" + "y".repeat(500),
  "?%ff=1",
];

function bodies(valid: unknown[]): string[] {
  const lone = JSON.stringify({ graphId: "approval", metadata: { note: "\ud800" } });
  return [
    ...valid.map((v) => JSON.stringify(v)),
    ...valid.map((v) => JSON.stringify(v)),
    "",
    "{",
    "}",
    "null",
    "[]",
    "1",
    '"text"',
    "true",
    "a=b&c=d",
    "<xml/>",
    '{"graphId":',
    "\u0000",
    '{"graphId":"approval","input":{"topic":"\\u0000"}}',
    '{"graphId":"approval","metadata":{"k":"\\u0000"}}',
    lone.replace("\\ud800", "\\udfff"),
    lone,
    '{"graphId":"approval","metadata":{"\\ud800":1}}',
    '{"command":{"resume":"\\u0000"}}',
    '{"command":{"resume":"\\ud800"}}',
    `{"command":{"resume":${nested(50_000)}}}`,
    `{"command":{"resume":${nested(100)}}}`,
    `{"input":${nestedObj(70)}}`,
    `{"graphId":"approval","input":{"topic":${nested(10_000)}}}`,
    `{"graphId":"approval","metadata":${nestedObj(40)}}`,
    `{"values":{"draft":${nested(5000)}}}`,
    '{"values":{"draft":1e400}}',
    '{"__proto__":{"polluted":true},"graphId":"approval"}',
    '{"graphId":"approval","input":{"topic":"x"},"command":{"resume":1}}',
    '{"checkpointId":"%ff","newThread":true}',
    '{"checkpointId":"..","values":{}}',
    '{"wait":"yes"}',
    '{"graphId":"' + "g".repeat(5000) + '"}',
    JSON.stringify({ graphId: "approval", metadata: { big: "m".repeat(1_100_000) } }),
    JSON.stringify({ graphId: "approval", metadata: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])) }),
  ];
}

interface Fixtures {
  /** An approval thread waiting at its review interrupt. */
  waiting: string;
  waitingCheckpoint: string;
  /** A thread created without input (idle, no checkpoint). */
  idle: string;
}

async function makeFixtures(api: Client): Promise<Fixtures> {
  const a = await api.post("/api/threads", { graphId: "approval", input: { topic: "fuzz" } });
  expect(a.status).toBe(201);
  const t = await api.until(`/api/threads/${a.body.threadId}`, (t: any) => t.status === "interrupted");
  const b = await api.post("/api/threads", { graphId: "pipeline" });
  expect(b.status).toBe(201);
  return { waiting: a.body.threadId, waitingCheckpoint: t.headCheckpointId, idle: b.body.threadId };
}

/** What a write would change: the fixture threads' records and how many threads exist. */
async function fingerprint(api: Client, f: Fixtures): Promise<string> {
  const parts: unknown[] = [];
  for (const id of [f.waiting, f.idle]) {
    const t = await api.get(`/api/threads/${id}`);
    parts.push(
      t.status === 200 ? [t.body.status, t.body.headCheckpointId, t.body.checkpointCount, t.body.updatedAt, t.body.metadata, t.body.error] : t.status,
    );
  }
  let count = 0;
  let cursor: string | null = null;
  do {
    const page: any = (await api.get(`/api/threads?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)).body;
    count += page.threads.length;
    cursor = page.nextCursor;
  } while (cursor);
  parts.push(count);
  return JSON.stringify(parts);
}

async function settle(api: Client): Promise<void> {
  await api.until("/api/threads?status=running&limit=1", (b: any) => b.threads.length === 0, 60_000);
}

for (const make of [sqliteStore, postgresStore]) {
  describe(`fuzz every route (${make.name.replace("Store", "")})`, () => {
    let store: TestStore | undefined;
    let server: Server | undefined;
    afterAll(async () => {
      await server?.stop();
      await store?.cleanup();
    });

    it(`${FUZZ_COUNT} seeded requests: no 5xx, no dropped connection, JSON 4xx, no write from a rejected request`, async () => {
      ensureBuilt();
      store = await make();
      server = await startServer(store.env);
      const api = client(server.url);
      let f = await makeFixtures(api);
      const r = rng(SEED);
      const failures: string[] = [];
      let before = await fingerprint(api, f);
      const started = Date.now();
      let sent = 0;
      const statuses: Record<number, number> = {};

      for (let i = 0; i < FUZZ_COUNT && Date.now() - started < FUZZ_BUDGET_MS; i++) {
        const id = r.chance(0.55) ? r.pick([f.waiting, f.idle]) : r.pick(BAD_IDS);
        const cid = r.chance(0.5) ? f.waitingCheckpoint : r.pick(BAD_IDS);
        const graph = r.chance(0.5) ? r.pick(["approval", "pipeline", "research"]) : r.pick(BAD_IDS);
        // [path, the methods it serves, bodies it would accept]
        const routes: [string, string[], unknown[]][] = [
          ["/api/health", ["GET"], []],
          ["/api/graphs", ["GET"], []],
          [`/api/graphs/${graph}`, ["GET"], []],
          [
            "/api/threads",
            ["GET", "POST"],
            [{ graphId: "approval" }, { graphId: "approval", input: { topic: "t" }, metadata: { a: 1 } }, { graphId: graph }],
          ],
          [`/api/threads/${id}`, ["GET", "DELETE"], []],
          [
            `/api/threads/${id}/runs`,
            ["POST"],
            [{ command: { resume: { action: "approve" } } }, { input: { topic: "again" } }, { checkpointId: cid }],
          ],
          [`/api/threads/${id}/runs/cancel`, ["POST"], [{}, { reason: "fuzz" }]],
          [
            `/api/threads/${id}/state`,
            ["GET", "POST"],
            [{ values: { draft: "edited" } }, { values: { revisions: "not a number" } }, { values: {}, checkpointId: cid }],
          ],
          [
            `/api/threads/${id}/fork`,
            ["POST"],
            [{ checkpointId: cid }, { checkpointId: cid, newThread: true }, { checkpointId: cid, values: { draft: 1 } }],
          ],
          [`/api/threads/${id}/history`, ["GET"], []],
          [`/api/threads/${id}/storage`, ["GET"], []],
          ["/api/metrics", ["GET"], []],
          ["/api/thread-counts", ["GET"], []],
          [`/api/threads/${id}/checkpoints/${cid}`, ["GET"], []],
          [`/api/threads/${id}/checkpoints/${cid}/diff`, ["GET"], []],
          [`/api/threads/${id}/events`, ["GET"], []],
          [`/api/nothing/${id}`, ["GET"], []],
          [`/api/%ff%fe/${id}`, ["GET"], []],
        ];
        const [path, served, valid] = r.pick(routes);
        // Half the requests use a method the route serves (so bodies and queries reach its validation).
        const method = r.chance(0.5) ? r.pick(served) : r.pick(METHODS);
        const query = r.pick(QUERIES);
        // An event stream on a real thread stays open: only its error cases are fuzzed.
        if (path.endsWith("/events") && (id === f.waiting || id === f.idle) && (method === "GET" || method === "HEAD")) continue;
        const headers: Record<string, string> = {};
        let body: string | undefined;
        if (method !== "GET" && method !== "HEAD" && method !== "CONNECT" && (MUTATING.has(method) || r.chance(0.3))) {
          const ct = r.chance(0.5) ? "application/json" : r.pick(CONTENT_TYPES);
          if (ct) headers["content-type"] = ct;
          body = valid.length && r.chance(0.25) ? JSON.stringify(r.pick(valid)) : r.pick(bodies(valid.length ? valid : [{}]));
          if (r.chance(0.05)) headers["content-length"] = String(Buffer.byteLength(body) + 10_000_000); // a lying header
        }
        const mutating = MUTATING.has(method);
        if (mutating) before = await fingerprint(api, f);
        const res: RawResult = await raw(server, method, path + query, { headers, body, timeoutMs: 30_000 });
        sent++;
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        const what = `#${i} ${method} ${path + query} [${headers["content-type"] ?? "-"}] ${body === undefined ? "" : body.slice(0, 80)}`;
        if (res.dropped || res.status === 0) {
          failures.push(`${what} → dropped (${res.error})`);
          continue;
        }
        if (res.status >= 500) failures.push(`${what} → ${res.status} ${res.text.slice(0, 200)}`);
        else if (res.status >= 400 && method !== "HEAD" && !(res.json?.error?.code && res.json?.error?.message))
          failures.push(`${what} → ${res.status} without the JSON error: ${res.text.slice(0, 200)}`);
        if (!mutating) continue;
        if (res.status >= 400 && res.status < 500) {
          const after = await fingerprint(api, f);
          if (after !== before) failures.push(`${what} → ${res.status} but something changed:\n  before ${before}\n  after  ${after}`);
        } else if (res.status < 300) {
          // Accepted: let any run it started end, and renew the fixtures it may have used up.
          await settle(api);
          const w = await api.get(`/api/threads/${f.waiting}`);
          const idle = await api.get(`/api/threads/${f.idle}`);
          if (w.status !== 200 || w.body.status !== "interrupted" || idle.status !== 200 || idle.body.headCheckpointId !== null)
            f = await makeFixtures(api);
        }
      }
      if (process.env.FUZZ_VERBOSE)
        console.log(`fuzz ${store.name}: ${sent} requests in ${Date.now() - started} ms, statuses ${JSON.stringify(statuses)}`);
      expect(failures, failures.slice(0, 15).join("\n")).toEqual([]);
      expect(sent).toBeGreaterThan(Math.min(FUZZ_COUNT, 200));
      expect((await api.get("/api/health")).status).toBe(200);
    }, 240_000);
  });
}
