/**
 * Cancel across servers sharing one Redis store: a run going on in another live server is stopped through the
 * store's pub/sub (with the pub/sub off, it is not, and the answer says so: 409); a run whose server died
 * (SIGKILL, its lock held by a dead process) is cancelled from any server, and recovery then leaves it alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { redisStore, type TestStore } from "./helpers/stores";

describe("cancel across two servers on Redis", () => {
  let store: TestStore;
  let a: Server;
  let b: Server;

  beforeAll(async () => {
    ensureBuilt();
    store = await redisStore();
    [a, b] = await Promise.all([startServer(store.env), startServer(store.env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.cleanup();
  });

  it("stops a run another live server runs: the cancel reaches it through the store's pub/sub", async () => {
    const onA = client(a.url);
    const onB = client(b.url);
    const id = (await onA.post("/api/threads", { graphId: "pipeline", input: { steps: 200, stepMs: 100 } })).body.threadId;
    const runId = (await onA.until(`/api/threads/${id}`, (t: any) => t.checkpointCount >= 3)).activeRun.runId;

    const elsewhere = await onB.post(`/api/threads/${id}/runs/cancel`, { reason: "from the other server" });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.run).toMatchObject({ runId, status: "cancelled" });
    expect(elsewhere.body.thread.status).toBe("cancelled");
    const head = elsewhere.body.thread.headCheckpointId;
    expect((await onA.get(`/api/threads/${id}`)).body).toMatchObject({ status: "cancelled", activeRun: null, headCheckpointId: head });
    const audit = (await onB.get(`/api/audit?threadId=${id}&action=run_cancel`)).body.entries;
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({ runId, ended: "cancelled" });
  });

  it("cancels from any server a run whose server died; it stays cancelled", async () => {
    const onA = client(a.url);
    const onB = client(b.url);
    const id = (await onA.post("/api/threads", { graphId: "pipeline", input: { steps: 200, stepMs: 100 } })).body.threadId;
    await onA.until(`/api/threads/${id}`, (t: any) => t.checkpointCount >= 3);
    await a.kill();

    const r = await onB.post(`/api/threads/${id}/runs/cancel`, { reason: "its server died" });
    expect(r.status).toBe(200);
    expect(r.body.thread.status).toBe("cancelled");
    const head = r.body.thread.headCheckpointId;
    await new Promise((res) => setTimeout(res, 1500));
    expect((await onB.get(`/api/threads/${id}`)).body).toMatchObject({ status: "cancelled", headCheckpointId: head });

    // And it resumes from there, on the surviving server.
    const resumed = await onB.post(`/api/threads/${id}/runs`, { command: { update: { stepMs: 0 } }, wait: true });
    expect(resumed.status).toBe(200);
    expect(resumed.body.thread.status).toBe("done");
    expect(resumed.body.state.values.completed).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });
});

describe("cancel across two servers on Redis with the pub/sub off (WAYPOINT_PUBSUB=0)", () => {
  let store: TestStore;
  let a: Server;
  let b: Server;

  beforeAll(async () => {
    ensureBuilt();
    store = await redisStore();
    const env = { ...store.env, WAYPOINT_PUBSUB: "0" };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.cleanup();
  });

  it("answers 409 for a run another live server runs, and the run goes on; its own server stops it", async () => {
    const onA = client(a.url);
    const onB = client(b.url);
    const id = (await onA.post("/api/threads", { graphId: "pipeline", input: { steps: 200, stepMs: 100 } })).body.threadId;
    await onA.until(`/api/threads/${id}`, (t: any) => t.checkpointCount >= 3);

    const elsewhere = await onB.post(`/api/threads/${id}/runs/cancel`, {});
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.error).toMatchObject({ code: "CONFLICT" });
    expect(elsewhere.body.error.message).toContain("another server");
    const count = (await onB.get(`/api/threads/${id}`)).body.checkpointCount;
    await onB.until(`/api/threads/${id}`, (t: any) => t.status === "running" && t.checkpointCount > count + 2);
    expect((await onB.get(`/api/audit?threadId=${id}&action=run_cancel`)).body.entries).toHaveLength(0);

    const here = await onA.post(`/api/threads/${id}/runs/cancel`, {});
    expect(here.status).toBe(200);
    expect(here.body.thread.status).toBe("cancelled");
  });
});
