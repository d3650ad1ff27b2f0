/**
 * Live events across two web instances sharing PostgreSQL (LISTEN/NOTIFY) and Redis (pub/sub): an SSE client on
 * instance A sees, as `checkpoint` events, every checkpoint a run on instance B makes (without the pub/sub A would
 * only poll the thread record every 2 s and send `thread` events). The delay from a checkpoint's timestamp to its
 * arrival on A is printed (p50 / p95), not asserted. Then the pub/sub connection is killed from the database
 * side: the servers keep serving, the stream falls back to polling and the connection comes back by itself.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, type TestStore } from "./helpers/stores";
import { openSse, percentile } from "./helpers/sse";

const REDIS_URL = process.env.WAYPOINT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Kills the instances' pub/sub listening connections from the server side; resolves with how many it killed. */
async function killListeners(store: TestStore): Promise<number> {
  if (store.name === "postgres") {
    const c = new pg.Client({ connectionString: store.env.DATABASE_URL });
    await c.connect();
    const r = await c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'waypoint-listen'",
    );
    await c.end();
    return r.rowCount ?? 0;
  }
  const { default: Redis } = await import("ioredis");
  const r = new Redis(REDIS_URL);
  const list = (await r.client("LIST")) as string;
  const ids = list
    .split("\n")
    .filter((l) => l.includes(` name=waypoint-listen:${store.env.REDIS_PREFIX} `))
    .map((l) => /\bid=(\d+)/.exec(l)![1]);
  for (const id of ids) await r.client("KILL", "ID", id);
  r.disconnect();
  return ids.length;
}

describe.each([
  ["postgres", postgresStore],
  ["redis", redisStore],
] as const)("live events across two servers on %s", (name, makeStore) => {
  let store: TestStore;
  let a: Server;
  let b: Server;

  beforeAll(async () => {
    ensureBuilt();
    store = await makeStore();
    [a, b] = await Promise.all([startServer(store.env), startServer(store.env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.cleanup();
  });

  it("a stream on A gets every checkpoint of a run on B as it is made; the delay is reported", async () => {
    const onA = client(a.url);
    const onB = client(b.url);
    const id = (await onA.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    // The same run watched from A (through the pub/sub) and from B (its own bus), for comparison.
    const [sse, local] = await Promise.all([openSse(a.url, `/api/threads/${id}/events`), openSse(b.url, `/api/threads/${id}/events`)]);
    try {
      await Promise.all([sse.next((e) => e.event === "thread"), local.next((e) => e.event === "thread")]);
      await new Promise((r) => setTimeout(r, 500)); // the streams' subscriptions are in place
      const run = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 50, stepMs: 40 }, wait: true });
      expect(run.status).toBe(200);
      expect(run.body.thread.status).toBe("done");
      const ended = await sse.next((e) => e.event === "run_ended" && e.data.runId === run.body.run.runId);
      expect(ended.data.status).toBe("done");
      await sse.next((e) => e.event === "thread" && e.data.status === "done");

      const history = (await onA.get(`/api/threads/${id}/history?limit=200&fields=summary`)).body.checkpoints as any[];
      const delays = (stream: typeof sse) => {
        const got = new Map(stream.events.filter((e) => e.event === "checkpoint").map((e) => [e.data.checkpoint.checkpointId, e]));
        for (const cp of history) expect(got.has(cp.checkpointId), `checkpoint v${cp.version} reached the stream`).toBe(true);
        return history.map((cp) => got.get(cp.checkpointId)!.at - Date.parse(cp.createdAt));
      };
      const figures = (d: number[]) => `p50 ${percentile(d, 50)} ms, p95 ${percentile(d, 95)} ms, max ${Math.max(...d)} ms`;
      const remote = delays(sse);
      const same = delays(local);
      console.log(
        `cross-instance SSE delay on ${name}, ${remote.length} checkpoints (saved on B → event): on A ${figures(remote)}; on B itself ${figures(same)}`,
      );
    } finally {
      sse.close();
      local.close();
    }
  });

  it("survives losing the pub/sub connection: polls meanwhile, reconnects, and live checkpoints come back", async () => {
    const onA = client(a.url);
    const onB = client(b.url);
    const id = (await onA.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    const sse = await openSse(a.url, `/api/threads/${id}/events`);
    try {
      await sse.next((e) => e.event === "thread");
      expect(await killListeners(store)).toBeGreaterThanOrEqual(2);
      // The servers still answer and still run; A's stream still learns that B's run ended (by polling, or by the
      // pub/sub once it is back).
      const run = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 3, stepMs: 10 }, wait: true });
      expect(run.status).toBe(200);
      expect((await onA.get(`/api/threads/${id}`)).body.status).toBe("done");
      await sse.next((e) => e.event === "thread" && e.data.status === "done", 30_000);

      // Reconnected: a later run's checkpoints arrive as checkpoint events again.
      const deadline = Date.now() + 30_000;
      let seenLive = false;
      while (!seenLive && Date.now() < deadline) {
        const again = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 2, stepMs: 10 }, wait: true });
        expect(again.status).toBe(200);
        const head = again.body.thread.headCheckpointId;
        seenLive = await sse
          .next((e) => e.event === "checkpoint" && e.data.checkpoint.checkpointId === head, 3_000)
          .then(
            () => true,
            () => false,
          );
      }
      expect(seenLive).toBe(true);
      expect(a.output()).toMatch(/live events: the (LISTEN connection|Redis subscription) was lost/);
    } finally {
      sse.close();
    }
  });
});
