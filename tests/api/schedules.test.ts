/**
 * Scheduled runs (issue 15), against real servers:
 * - SQLite, embedded (no queue): the web process's own timer fires a six-field (every-second) expression; runs
 *   appear on new threads; pausing stops the fires, resuming starts them again, deleting ends them; a fixed
 *   thread is reused; "run now"; every bad request is refused with its status and changes nothing.
 * - Redis + BullMQ and PostgreSQL + pg-boss with a worker process (web instance WAYPOINT_EXECUTE=off): the
 *   schedule created through the web instance is registered with the queue's scheduler and fires through it;
 *   pausing and deleting take it out of the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { Redis } from "ioredis";
import { client, type Client } from "./helpers/client";
import { createAccount } from "./helpers/accounts";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, sqliteStore, type TestStore } from "./helpers/stores";
import { startWorker, type WorkerProc } from "./helpers/workers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quick = { steps: 1, stepMs: 0, failAt: null };

/** The threads a schedule's fires made (their metadata names it; the thread search covers metadata). */
async function firedThreads(api: Client, scheduleId: string): Promise<any[]> {
  const r = await api.get(`/api/threads?query=${scheduleId}&limit=500`);
  expect(r.status).toBe(200);
  return r.body.threads.filter((t: any) => t.metadata?.scheduleId === scheduleId);
}

async function untilFired(api: Client, scheduleId: string, atLeast: number, timeoutMs = 60_000): Promise<any[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const threads = await firedThreads(api, scheduleId);
    if (threads.length >= atLeast) return threads;
    if (Date.now() > end) throw new Error(`schedule ${scheduleId}: ${threads.length} fire(s), expected ${atLeast}`);
    await sleep(250);
  }
}

/** Fires stopped: none for a few ticks after the last one in flight has been recorded. */
async function quiet(api: Client, scheduleId: string): Promise<number> {
  await sleep(1_500);
  const before = (await firedThreads(api, scheduleId)).length;
  await sleep(3_000);
  expect((await firedThreads(api, scheduleId)).length).toBe(before);
  return before;
}

describe("scheduled runs on SQLite (in-process timer)", () => {
  let store: TestStore;
  let server: Server;
  let api: Client;

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

  it("fires an every-second schedule on new threads; pause stops it, resume restarts it, delete ends it", async () => {
    const r = await api.post("/api/schedules", { graphId: "pipeline", cron: "* * * * * *", input: quick });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const s = r.body;
    expect(s).toMatchObject({ graphId: "pipeline", cron: "* * * * * *", timezone: "UTC", paused: false, threadId: null, firedBy: "in-process" });
    expect(s.input).toMatchObject(quick);
    expect(Date.parse(s.nextRunAt)).toBeGreaterThan(Date.parse(s.createdAt) - 1000);

    const threads = await untilFired(api, s.scheduleId, 2);
    expect(new Set(threads.map((t) => t.threadId)).size).toBe(threads.length);
    for (const t of threads.slice(0, 2)) {
      const done = await api.until(`/api/threads/${t.threadId}`, (x: any) => x.status === "done");
      expect(done.graphId).toBe("pipeline");
    }
    const seen = (await api.get(`/api/schedules/${s.scheduleId}`)).body;
    expect(seen.lastRunAt).not.toBeNull();
    expect(seen.lastError).toBeNull();
    expect(threads.map((t) => t.threadId)).toContain(seen.lastThreadId);

    const p = await api.send("PATCH", `/api/schedules/${s.scheduleId}`, { paused: true });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ paused: true, nextRunAt: null });
    const paused = await quiet(api, s.scheduleId);

    expect((await api.send("PATCH", `/api/schedules/${s.scheduleId}`, { paused: false })).body.paused).toBe(false);
    await untilFired(api, s.scheduleId, paused + 1);

    const d = await api.del(`/api/schedules/${s.scheduleId}`);
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ deleted: true, scheduleId: s.scheduleId });
    expect((await api.get(`/api/schedules/${s.scheduleId}`)).status).toBe(404);
    await quiet(api, s.scheduleId);
    expect((await api.get("/api/schedules")).body.schedules.map((x: any) => x.scheduleId)).not.toContain(s.scheduleId);
  });

  it("runs now on demand, also while paused, and reuses a fixed thread", async () => {
    const threadId = `wtb-sched-${Date.now()}`;
    const r = await api.post("/api/schedules", {
      graphId: "pipeline",
      cron: "0 3 * * *",
      timezone: "Europe/Paris",
      input: quick,
      threadId,
      paused: true,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ paused: true, nextRunAt: null, threadId, timezone: "Europe/Paris" });
    const id = r.body.scheduleId;
    const first = await api.post(`/api/schedules/${id}/run`);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body).toMatchObject({ threadId, error: null });
    await api.until(`/api/threads/${threadId}`, (t: any) => t.status === "done");
    const second = await api.post(`/api/schedules/${id}/run`);
    expect(second.status).toBe(202);
    expect(second.body.threadId).toBe(threadId);
    expect(second.body.runId).not.toBe(first.body.runId);
    expect(second.body.schedule).toMatchObject({ lastThreadId: threadId, lastRunId: second.body.runId });
    await api.until(`/api/threads/${threadId}`, (t: any) => t.status === "done");
    // A resumed schedule's next fire is computed in its own time zone: 03:00 in Paris is 01:00 or 02:00 UTC.
    const resumed = (await api.send("PATCH", `/api/schedules/${id}`, { paused: false })).body;
    expect([1, 2]).toContain(new Date(resumed.nextRunAt).getUTCHours());
    expect((await api.del(`/api/schedules/${id}`)).status).toBe(200);
  });

  it("refuses bad requests with a clear status and changes nothing", async () => {
    const before = (await api.get("/api/schedules")).body.schedules.length;
    const bad = async (body: unknown, status: number, code: string, says?: RegExp) => {
      const r = await api.post("/api/schedules", body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.code).toBe(code);
      if (says) expect(r.body.error.message).toMatch(says);
    };
    await bad({ graphId: "pipeline", cron: "61 * * * *", input: quick }, 400, "INVALID_ARGUMENT", /not valid/);
    await bad({ graphId: "pipeline", cron: "every day", input: quick }, 400, "INVALID_ARGUMENT", /fields/);
    await bad({ graphId: "pipeline", cron: "* * * * *", timezone: "Mars/Olympus", input: quick }, 400, "INVALID_ARGUMENT", /time zone/);
    await bad({ graphId: "nope", cron: "* * * * *", input: quick }, 404, "GRAPH_NOT_FOUND");
    await bad({ graphId: "pipeline", cron: "* * * * *", input: { steps: "many" } }, 422, "INVALID_STATE", /Input rejected/);
    await bad({ graphId: "pipeline", cron: "* * * * *", input: quick, extra: 1 }, 400, "INVALID_BODY");
    await bad({ graphId: "pipeline" }, 400, "INVALID_BODY");
    await bad({ graphId: "pipeline", cron: "* * * * *", input: quick, threadId: "../etc" }, 400, "INVALID_ID");
    expect((await api.get("/api/schedules")).body.schedules).toHaveLength(before);

    const s = (await api.post("/api/schedules", { graphId: "pipeline", cron: "0 0 1 1 *", input: quick })).body;
    const patch = (body: unknown) => api.send("PATCH", `/api/schedules/${s.scheduleId}`, body);
    expect((await patch({ cron: "not a cron" })).status).toBe(400);
    expect((await patch({ input: { steps: 0 } })).status).toBe(422);
    expect((await patch({})).status).toBe(400);
    expect((await api.get(`/api/schedules/${s.scheduleId}`)).body).toMatchObject({ cron: "0 0 1 1 *", input: quick, updatedAt: s.updatedAt });
    expect((await api.send("PATCH", "/api/schedules/nope", { paused: true })).status).toBe(404);
    expect((await api.del("/api/schedules/nope")).status).toBe(404);
    expect((await api.post("/api/schedules/nope/run")).status).toBe(404);
    expect((await api.send("PUT", "/api/schedules")).status).toBe(405);

    // Creating, changing and deleting need the role that starts runs; a viewer reads.
    const viewer = (await createAccount(server.url, "viewer")).api;
    expect((await viewer.get(`/api/schedules/${s.scheduleId}`)).status).toBe(200);
    expect((await viewer.post("/api/schedules", { graphId: "pipeline", cron: "* * * * *", input: quick })).status).toBe(403);
    expect((await viewer.del(`/api/schedules/${s.scheduleId}`)).status).toBe(403);
    expect((await viewer.post(`/api/schedules/${s.scheduleId}/run`)).status).toBe(403);
    expect((await api.del(`/api/schedules/${s.scheduleId}`)).status).toBe(200);
  });
});

/** One web instance handing runs to the queue, one worker executing them. */
function queueMode(name: string, makeStore: () => Promise<TestStore>, body: (ctx: { api: () => Client; store: () => TestStore }) => void) {
  describe(name, () => {
    let store: TestStore;
    let server: Server;
    let worker: WorkerProc;
    let api: Client;
    beforeAll(async () => {
      ensureBuilt();
      store = await makeStore();
      server = await startServer({ ...store.env, WAYPOINT_EXECUTE: "off" });
      worker = await startWorker("wtb-sched-1", store.env);
      api = client(server.url);
    }, 120_000);
    afterAll(async () => {
      await worker?.term();
      await server?.stop();
      await store?.cleanup();
    });
    body({ api: () => api, store: () => store });
  });
}

queueMode("scheduled runs on Redis (BullMQ job schedulers, a worker)", redisStore, ({ api, store }) => {
  it("fires through the queue on every worker tick; pause and delete remove the job scheduler", async () => {
    const r = await api().post("/api/schedules", { graphId: "pipeline", cron: "*/2 * * * * *", input: quick });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.firedBy).toBe("bullmq");
    const id = r.body.scheduleId;
    const redis = new Redis(store().env.REDIS_URL);
    const schedulerKey = `${store().env.REDIS_PREFIX}bull:waypoint-schedules:repeat`;
    try {
      expect(await redis.zscore(schedulerKey, id)).not.toBeNull();
      const threads = await untilFired(api(), id, 2);
      for (const t of threads.slice(0, 2)) await api().until(`/api/threads/${t.threadId}`, (x: any) => x.status === "done");
      // Each fire ran once: one thread per tick, the run on it started by the schedule.
      const state = (await api().get(`/api/threads/${threads[0].threadId}/history?limit=100`)).body.checkpoints;
      expect(new Set(state.map((c: any) => c.metadata?.runId)).size).toBe(1);
      expect(state[0].metadata).toMatchObject({ scheduleId: id, actor: "schedule" });

      await api().send("PATCH", `/api/schedules/${id}`, { paused: true });
      expect(await redis.zscore(schedulerKey, id)).toBeNull();
      const paused = await quiet(api(), id);
      await api().send("PATCH", `/api/schedules/${id}`, { paused: false });
      await untilFired(api(), id, paused + 1);
      expect((await api().del(`/api/schedules/${id}`)).status).toBe(200);
      expect(await redis.zscore(schedulerKey, id)).toBeNull();
      await quiet(api(), id);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});

queueMode("scheduled runs on PostgreSQL (pg-boss schedules, a worker)", postgresStore, ({ api, store }) => {
  it("registers the schedule with pg-boss, which fires it within its minute; run now goes through the queue", async () => {
    const seconds = await api().post("/api/schedules", { graphId: "pipeline", cron: "* * * * * *", input: quick });
    expect(seconds.status).toBe(400);
    expect(seconds.body.error.message).toMatch(/once a minute/);

    const r = await api().post("/api/schedules", { graphId: "pipeline", cron: "* * * * *", input: quick });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.firedBy).toBe("pg-boss");
    const id = r.body.scheduleId;
    const db = new pg.Client({ connectionString: store().env.DATABASE_URL });
    await db.connect();
    const entry = async () =>
      (await db.query("SELECT cron, timezone FROM waypoint_queue.schedule WHERE name = $1", [`waypoint-schedule.${id}`])).rows;
    try {
      expect(await entry()).toEqual([{ cron: "* * * * *", timezone: "UTC" }]);
      // Run now: a run job on the queue, executed by the worker.
      const now = await api().post(`/api/schedules/${id}/run`);
      expect(now.status, JSON.stringify(now.body)).toBe(202);
      const ran = await api().until(`/api/threads/${now.body.threadId}`, (t: any) => t.status === "done");
      expect(ran.graphId).toBe("pipeline");
      // pg-boss's own tick: at the next minute (checked every 5 s), once.
      const threads = await untilFired(api(), id, 2, 90_000);
      const fired = threads.find((t) => t.threadId !== now.body.threadId);
      await api().until(`/api/threads/${fired.threadId}`, (t: any) => t.status === "done");

      expect((await api().send("PATCH", `/api/schedules/${id}`, { paused: true })).status).toBe(200);
      expect(await entry()).toEqual([]);
      expect((await api().send("PATCH", `/api/schedules/${id}`, { paused: false, cron: "*/5 * * * *" })).status).toBe(200);
      expect(await entry()).toEqual([{ cron: "*/5 * * * *", timezone: "UTC" }]);
      expect((await api().del(`/api/schedules/${id}`)).status).toBe(200);
      expect(await entry()).toEqual([]);
    } finally {
      await db.end();
    }
  }, 150_000);
});
