/**
 * Retention as a queue job (issue 14), against real processes: a web instance with WAYPOINT_EXECUTE=off and two
 * `npm run worker` processes on a private PostgreSQL database (pg-boss) and on a private Redis prefix (BullMQ),
 * with tests/fixtures/retention's config (the pipeline with `deleteAfter: "1s"`, and a copy without a policy).
 *
 * - The workers register one cron entry for the job (a second worker's start leaves one), take its ticks, and
 *   delete the old finished threads of the graph with a policy; the other graph's threads stay.
 * - Each deletion is counted in the metrics of the worker that made it (WAYPOINT_WORKER_METRICS, GET /metrics).
 * - The web instance runs no retention timer: its log says the workers run the job and has no "retention
 *   policies active" line, and its metrics count no retention pass.
 *
 * Time: BullMQ fires a six-field cron ("every 2 s", WAYPOINT_RETENTION_CRON) — the same path as an hourly one,
 * only sooner. pg-boss fires at most once a minute (its timekeeper, on the workers, checks every 5 s and sends an
 * entry whose minute began less than 60 s ago, once per minute), so its case waits for pg-boss's own tick: the
 * current minute's if it was not sent yet, else the next one — at most about 70 s after the threads end.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { Redis } from "ioredis";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, type TestStore } from "./helpers/stores";
import { startWorker, type WorkerProc } from "./helpers/workers";

const CONFIG = "tests/fixtures/retention/waypoint.config.ts";
const quick = { steps: 2, stepMs: 0, failAt: null };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cases = [
  {
    name: "Redis + BullMQ",
    make: () => redisStore("wta-ret"),
    port: 3410,
    metricsPorts: [3420, 3421],
    cron: "*/2 * * * * *",
    waitMs: 30_000,
    /** The job scheduler entries of the maintenance queue (a sorted set of scheduler ids). */
    entries: async (store: TestStore) => {
      const redis = new Redis(store.env.REDIS_URL);
      try {
        return await redis.zrange(`${store.env.REDIS_PREFIX}bull:waypoint-maintenance:repeat`, 0, -1);
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: "PostgreSQL + pg-boss",
    make: () => postgresStore("wta_ret"),
    port: 3411,
    metricsPorts: [3430, 3431],
    cron: "* * * * *",
    waitMs: 100_000,
    entries: async (store: TestStore) => {
      const db = new pg.Client({ connectionString: store.env.DATABASE_URL });
      await db.connect();
      try {
        const { rows } = await db.query("SELECT name, cron, timezone FROM waypoint_queue.schedule WHERE name LIKE 'waypoint-retention%'");
        return rows.map((r) => `${r.name} ${r.cron} ${r.timezone}`);
      } finally {
        await db.end();
      }
    },
  },
];

for (const c of cases) {
  describe(`retention on the queue: ${c.name}`, () => {
    let store: TestStore;
    let server: Server;
    const workers: WorkerProc[] = [];
    let api: Client;

    beforeAll(async () => {
      ensureBuilt();
      store = await c.make();
      const env = { ...store.env, WAYPOINT_CONFIG: CONFIG };
      server = await startServer({ ...env, WAYPOINT_EXECUTE: "off" }, { port: c.port });
      for (const [i, port] of c.metricsPorts.entries())
        workers.push(await startWorker(`wta-ret-${i + 1}`, { ...env, WAYPOINT_RETENTION_CRON: c.cron, WAYPOINT_WORKER_METRICS: String(port) }));
      api = client(server.url);
    }, 120_000);
    afterAll(async () => {
      for (const w of workers) await w.term();
      await server?.stop();
      await store?.cleanup();
    });

    it(
      "one cron entry; a worker's tick deletes the old finished threads of the graph with a policy; the web runs no timer",
      async () => {
        // Both workers registered it at start: still one entry.
        const entries = await c.entries(store);
        expect(entries).toHaveLength(1);
        if (c.name.startsWith("PostgreSQL")) expect(entries[0]).toBe("waypoint-retention * * * * * UTC");
        else expect(entries[0]).toBe("retention");

        const start = async (graphId: string) => {
          const r = await api.post("/api/threads", { graphId, input: quick });
          expect(r.status, JSON.stringify(r.body)).toBe(201);
          return r.body.threadId as string;
        };
        const doomed = [await start("pipeline"), await start("pipeline"), await start("pipeline")];
        const kept = await start("pipeline-kept");
        await api.until(`/api/threads/${kept}`, (t: any) => t.status === "done", 60_000);

        // Gone once a tick after their end + 1 s has run (not checked for "done" first: a tick may take them at once).
        const end = Date.now() + c.waitMs;
        for (;;) {
          const statuses = await Promise.all(doomed.map(async (id) => (await api.get(`/api/threads/${id}`)).status));
          if (statuses.every((s) => s === 404)) break;
          if (Date.now() > end)
            throw new Error(`threads still there after ${c.waitMs} ms: ${statuses.join(", ")}\n${workers.map((w) => w.output()).join("\n")}`);
          await sleep(500);
        }
        expect((await api.get(`/api/threads/${kept}`)).body.status).toBe("done");

        // A worker ran the passes, on the queue's ticks; the deletions are in its log.
        const logs = workers.map((w) => w.output()).join("\n");
        expect(logs).toMatch(/retention policies run on the workers through (pg-boss|bullmq)/);
        expect(logs).toMatch(/retention tick \S+ on worker wta-ret-[12]: /);
        const deleted = [...logs.matchAll(/retention on pipeline: (\d+) threads deleted/g)].reduce((n, m) => n + Number(m[1]), 0);
        expect(deleted).toBeGreaterThanOrEqual(3);
        expect(logs).not.toMatch(/retention on pipeline-kept/);
        // Each tick once across the workers (no tick in both logs).
        const ticks = [...logs.matchAll(/retention tick (\S+) on worker/g)].map((m) => m[1]);
        expect(new Set(ticks).size).toBe(ticks.length);

        // Counted in the metrics of the workers that ran the passes (WAYPOINT_WORKER_METRICS).
        const counted = await Promise.all(
          c.metricsPorts.map(async (port) => {
            const res = await fetch(`http://127.0.0.1:${port}/metrics`);
            expect(res.status).toBe(200);
            const line = (await res.text()).split("\n").find((l) => l.startsWith('waypoint_retention_threads_deleted_total{graph="pipeline"}'));
            return line ? Number(line.split(" ").at(-1)) : 0;
          }),
        );
        expect(counted.reduce((a, b) => a + b, 0)).toBe(deleted);
        expect((await fetch(`http://127.0.0.1:${c.metricsPorts[0]}/other`)).status).toBe(404);

        // The web instance: no timer, and no pass counted in its metrics.
        expect(server.output()).toContain("retention policies run on the workers");
        expect(server.output()).not.toContain("retention policies active");
        const metrics = await api.get("/api/metrics");
        expect(metrics.status).toBe(200);
        const text = String(metrics.body);
        expect(text).not.toMatch(/waypoint_retention_threads_deleted_total\{graph="pipeline"\}/);

        // pg-boss fires at most once a minute: a worker given a seconds field refuses to start, in one sentence.
        if (c.name.startsWith("PostgreSQL"))
          await expect(startWorker("wta-ret-3", { ...store.env, WAYPOINT_CONFIG: CONFIG, WAYPOINT_RETENTION_CRON: "*/2 * * * * *" })).rejects.toThrow(
            /WAYPOINT_RETENTION_CRON .{1,40} has a seconds field, but pg-boss fires at most once a minute: use five fields/,
          );
      },
      c.waitMs + 90_000,
    );
  });
}
