/**
 * GET /api/metrics against the real server: Prometheus text with the store's call latencies, checkpoints saved,
 * runs started and ended by outcome, step durations per node, HTTP requests by route pattern and status, lock
 * conflicts, and the interrupts waiting with the age of the oldest. Read by any role with every graph in scope
 * (a scraper's viewer token); 401 without credentials, 403 for a graph-limited token. A token with the
 * "metrics" scope reads the metrics and is refused everywhere else; bytes written count per store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, createToken } from "./helpers/accounts";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

/** The value of one sample line, e.g. `waypoint_runs_started_total{graph="approval"}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe("metrics (SQLite)", () => {
  let store: TestStore;
  let server: Server;
  let api: Client;
  const scrape = async (c: Client = api) => {
    const r = await c.get("/api/metrics");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/plain");
    return r.body as string;
  };

  beforeAll(async () => {
    ensureBuilt();
    store = await sqliteStore();
    server = await startServer(store.env);
    api = client(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  it("counts what a run did: store calls, checkpoints, runs by outcome, steps by node, requests by route", async () => {
    const created = await api.post("/api/threads", { graphId: "approval", input: { topic: "metrics" } });
    const id = created.body.threadId;
    await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");
    const waiting = await scrape();
    expect(sample(waiting, "waypoint_interrupts_waiting")).toBe(1);
    expect(sample(waiting, "waypoint_interrupt_oldest_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(waiting, "waypoint_runs_started_total", { graph: "approval" })).toBe(1);
    expect(sample(waiting, "waypoint_runs_finished_total", { graph: "approval", outcome: "interrupted" })).toBe(1);

    const done = await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } }, wait: true });
    expect(done.body.thread.status).toBe("done");
    const text = await scrape();
    const checkpoints = (await api.get(`/api/threads/${id}`)).body.checkpointCount;
    expect(sample(text, "waypoint_checkpoints_saved_total", { store: "sqlite" })).toBe(checkpoints);
    expect(sample(text, "waypoint_store_call_duration_seconds_count", { store: "sqlite", method: "save" })).toBe(checkpoints);
    expect(sample(text, "waypoint_store_call_duration_seconds_count", { store: "sqlite", method: "load" })).toBeGreaterThan(0);
    expect(sample(text, "waypoint_runs_started_total", { graph: "approval" })).toBe(2);
    expect(sample(text, "waypoint_runs_finished_total", { graph: "approval", outcome: "done" })).toBe(1);
    expect(sample(text, "waypoint_interrupts_waiting")).toBe(0);
    expect(sample(text, "waypoint_runs_active")).toBe(0);
    expect(sample(text, "waypoint_step_duration_seconds_count", { graph: "approval", node: "publish" })).toBe(1);
    expect(sample(text, "waypoint_http_requests_total", { method: "GET", route: "/api/threads/:id", status: "200" })).toBeGreaterThan(0);
    expect(sample(text, "waypoint_http_requests_total", { method: "POST", route: "/api/threads/:id/runs", status: "200" })).toBe(1);
    // Node's own figures come too (prom-client's defaults).
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it("counts errors: a 404 by route and status, a lock conflict when a second run hits a busy thread", async () => {
    expect((await api.get("/api/threads/no-such-thread")).status).toBe(404);
    const long = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 20, stepMs: 200 } });
    await api.until(`/api/threads/${long.body.threadId}`, (t: any) => t.status === "running");
    const busy = await api.post(`/api/threads/${long.body.threadId}/runs`, {});
    expect(busy.status).toBe(409);
    const text = await scrape();
    expect(sample(text, "waypoint_http_requests_total", { method: "GET", route: "/api/threads/:id", status: "404" })).toBe(1);
    expect(sample(text, "waypoint_lock_conflicts_total")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "waypoint_runs_active")).toBe(1);
    await api.del(`/api/threads/${long.body.threadId}`);
  });

  it("is read with any role that sees every graph; 401 without credentials, 403 for a graph-limited token", async () => {
    expect((await client(server.url, null).get("/api/metrics")).status).toBe(401);
    const viewer = await createAccount(server.url, "viewer");
    const wide = await createToken(server.url, { name: "scraper", role: "viewer", userId: viewer.id });
    await scrape(client(server.url, wide.token));
    const narrow = await createToken(server.url, { name: "narrow", role: "viewer", graphs: ["approval"], userId: viewer.id });
    const refused = await client(server.url, narrow.token).get("/api/metrics");
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("FORBIDDEN");
  });

  it("a metrics-scoped token reads /api/metrics and nothing else, whatever its role", async () => {
    const operator = await createAccount(server.url, "operator");
    const made = await createToken(server.url, { name: "prometheus", role: "operator", scope: "metrics", userId: operator.id });
    expect(made.record.scope).toBe("metrics");
    const scraper = client(server.url, made.token);
    expect(await scrape(scraper)).toMatch(/^waypoint_checkpoints_saved_total/m);
    const before = await api.get("/api/threads");
    expect(before.status).toBe(200);
    for (const [method, path, body] of [
      ["GET", "/api/threads", undefined],
      ["GET", "/api/graphs", undefined],
      ["GET", "/api/tokens", undefined],
      ["GET", `/api/threads/${before.body.threads[0].threadId}`, undefined],
      ["POST", "/api/threads", { graphId: "approval", input: { topic: "scraper" } }],
      ["DELETE", `/api/threads/${before.body.threads[0].threadId}`, undefined],
    ] as const) {
      const r = method === "GET" ? await scraper.get(path) : method === "POST" ? await scraper.post(path, body) : await scraper.del(path);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error.code).toBe("FORBIDDEN");
      expect(r.body.error.message).toMatch(/only read GET \/api\/metrics/);
    }
    // Nothing was created or deleted by the refused calls.
    expect((await api.get("/api/threads")).body.threads.map((t: any) => t.threadId)).toEqual(before.body.threads.map((t: any) => t.threadId));
    // The same owner's ordinary token still does what the role allows.
    const full = await createToken(server.url, { name: "cli", role: "operator", userId: operator.id });
    expect(full.record.scope).toBe("all");
    expect((await client(server.url, full.token).get("/api/threads")).status).toBe(200);
    // A scope the API does not know is a 400, and no token is made.
    const bad = await client(server.url).post("/api/tokens", { name: "x", role: "viewer", scope: "everything", userId: operator.id });
    expect(bad.status).toBe(400);
  });

  it("counts the bytes of checkpoint rows written, per store, growing with every save", async () => {
    const first = sample(await scrape(), "waypoint_checkpoint_bytes_written_total", { store: "sqlite" })!;
    expect(first).toBeGreaterThan(0);
    const saved = sample(await scrape(), "waypoint_checkpoints_saved_total", { store: "sqlite" })!;
    const t = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 3, stepMs: 1 } });
    await api.until(`/api/threads/${t.body.threadId}`, (x: any) => x.status === "done");
    const text = await scrape();
    const added = sample(text, "waypoint_checkpoint_bytes_written_total", { store: "sqlite" })! - first;
    const savedNow = sample(text, "waypoint_checkpoints_saved_total", { store: "sqlite" })! - saved;
    expect(savedNow).toBeGreaterThan(3);
    // Each row costs at least its metadata text ({"source":...}), and at most what the thread's storage reports
    // (which also counts ids, next, interrupts, summaries).
    expect(added).toBeGreaterThan(savedNow * 20);
    const storage = await api.get(`/api/threads/${t.body.threadId}/storage`);
    expect(storage.status).toBe(200);
    expect(added).toBeLessThanOrEqual(storage.body.bytes);
  });
});
