/**
 * multitaskStrategy "enqueue" with workers (WAYPOINT_EXECUTE=off), on PostgreSQL (pg-boss) and Redis (BullMQ): the
 * queued runs are kept in the queue's store, not in the web instance that accepted them. Two web instances, two
 * `npm run worker` processes, all real: a long run goes on on a worker, instance B queues two more runs behind it,
 * then B is SIGKILLed. The queued runs still run, after the first one and in the order they were asked for.
 * And a cancel asked of a web instance (which executes nothing) stops the run on its worker.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, type TestStore } from "./helpers/stores";
import { startWorker, type WorkerProc } from "./helpers/workers";

for (const make of [postgresStore, redisStore]) {
  const name = make.name.replace("Store", "");
  describe(`queued runs outlive the web instance that accepted them (${name})`, () => {
    let store: TestStore | undefined;
    let a: Server;
    let b: Server;
    let onA: Client;
    let onB: Client;
    const workers: WorkerProc[] = [];

    beforeAll(async () => {
      ensureBuilt();
      store = await make();
      const env = { ...store.env, WAYPOINT_LOCK_TTL_MS: "3000", WAYPOINT_JOB_EXPIRE_SECONDS: "60", WAYPOINT_WORKER_CONCURRENCY: "2" };
      [a, b] = await Promise.all([startServer({ ...env, WAYPOINT_EXECUTE: "off" }), startServer({ ...env, WAYPOINT_EXECUTE: "off" })]);
      onA = client(a.url);
      onB = client(b.url);
      workers.push(...(await Promise.all([startWorker(`${name}-q1`, env), startWorker(`${name}-q2`, env)])));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(workers.map((w) => w.kill()));
      await Promise.all([a?.stop(), b?.stop()]);
      await store?.cleanup();
    });

    it("two runs queued on B behind a worker's run, B SIGKILLed: both run after it, in order", async () => {
      const id = (await onA.post("/api/threads", { graphId: "pipeline", input: { steps: 12, stepMs: 150, label: "first" } })).body.threadId;
      await onA.until(`/api/threads/${id}`, (t: any) => t.status === "running" && t.checkpointCount >= 2);
      const queued: string[] = [];
      for (const label of ["second", "third"]) {
        const r = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 2, stepMs: 0, label }, multitaskStrategy: "enqueue" });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        expect(r.body.run.status).toBe("pending");
        queued.push(r.body.run.runId);
      }
      // A run that could never start is refused now, and not queued.
      const unknown = await onB.post(`/api/threads/${id}/runs`, { checkpointId: randomUUID(), multitaskStrategy: "enqueue" });
      expect(unknown.status, JSON.stringify(unknown.body)).toBe(404);
      // Every instance sees them (they are in the store), and a plain run is refused while they wait.
      const seen = (await onA.get(`/api/threads/${id}`)).body;
      expect(seen.status).toBe("running");
      expect(seen.queuedRuns).toBe(2);
      const refused = await onA.post(`/api/threads/${id}/runs`, { input: { steps: 1, stepMs: 0 } });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe("THREAD_BUSY");

      await b.kill();

      // Queued on A after B's: with `wait`, answered once it ran (after the two B accepted).
      const fourth = await onA.post(`/api/threads/${id}/runs`, {
        input: { steps: 1, stepMs: 0, label: "fourth" },
        multitaskStrategy: "enqueue",
        wait: true,
      });
      expect(fourth.status, JSON.stringify(fourth.body)).toBe(200);
      expect(fourth.body.run.status).toBe("done");
      expect(fourth.body.state.values.label).toBe("fourth");
      // The first run's 12 steps, then the queued runs' 2, 2 and 1, in the order they were asked for.
      expect(fourth.body.state.values.completed).toEqual([...Array.from({ length: 12 }, (_, i) => i + 1), 1, 2, 1, 2, 1]);
      const cps = (await onA.get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints as any[];
      const span = (runId: string) => {
        const v = cps.filter((c) => c.metadata.runId === runId).map((c) => c.version);
        expect(v.length, `run ${runId} saved nothing`).toBeGreaterThan(0);
        return [Math.min(...v), Math.max(...v)];
      };
      const order = [...queued, fourth.body.run.runId].map(span);
      for (let i = 1; i < order.length; i++) expect(order[i][0]).toBeGreaterThan(order[i - 1][1]);
      const after = (await onA.get(`/api/threads/${id}`)).body;
      expect(after.status).toBe("done");
      expect(after.queuedRuns).toBeUndefined();
    }, 180_000);

    it("a cancel asked of a web instance reaches the worker that runs the run (pub/sub)", async () => {
      const id = (await onA.post("/api/threads", { graphId: "pipeline", input: { steps: 100, stepMs: 100 } })).body.threadId;
      await onA.until(`/api/threads/${id}`, (t: any) => t.status === "running" && t.checkpointCount >= 3);
      const r = await onA.post(`/api/threads/${id}/runs/cancel`, { reason: "bench over" });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.thread.status).toBe("cancelled");
    }, 60_000);
  });
}
