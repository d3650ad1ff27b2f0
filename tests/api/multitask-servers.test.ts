/**
 * Multitask strategies for a second run on a busy thread, across two web instances sharing PostgreSQL and Redis:
 * the first run goes on in instance A, the second is asked of instance B with `multitaskStrategy`.
 * - reject (and no strategy): 409, the first run goes on.
 * - enqueue: 202 "pending" at once; it starts once A's run has ended, and A's run ends "done".
 * - interrupt: A's run is stopped at its last checkpoint (the cancel reaches A through the pub/sub), B's run
 *   continues from there.
 * - rollback: as interrupt, but B's run branches from the checkpoint A's run started at; A's checkpoints stay in
 *   the history on their own branch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, type TestStore } from "./helpers/stores";

const LONG = { steps: 300, stepMs: 100 };

async function history(c: Client, id: string): Promise<any[]> {
  return (await c.get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints;
}

describe.each([
  ["postgres", postgresStore],
  ["redis", redisStore],
] as const)("multitask strategies across two servers on %s", (_name, makeStore) => {
  let store: TestStore;
  let a: Server;
  let b: Server;
  let onA: Client;
  let onB: Client;

  beforeAll(async () => {
    ensureBuilt();
    store = await makeStore();
    [a, b] = await Promise.all([startServer(store.env), startServer(store.env)]);
    onA = client(a.url);
    onB = client(b.url);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.cleanup();
  });

  /** A thread with one finished short run, then a long run going on in A; resolves with ids to check against. */
  async function busyOnA(label: string) {
    const id = (await onA.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    const first = await onA.post(`/api/threads/${id}/runs`, { input: { steps: 1, stepMs: 0, label: `${label}-first` }, wait: true });
    expect(first.status).toBe(200);
    const startHead = first.body.thread.headCheckpointId as string;
    const long = await onA.post(`/api/threads/${id}/runs`, { input: { ...LONG, label: `${label}-long` } });
    expect(long.status).toBe(202);
    await onA.until(`/api/threads/${id}`, (t: any) => t.checkpointCount >= first.body.thread.checkpointCount + 4);
    return { id, startHead, longRunId: long.body.run.runId as string };
  }

  it("reject (the default): 409 from the other server, and the run goes on", async () => {
    const { id, longRunId } = await busyOnA("reject");
    for (const body of [{ input: { steps: 1 } }, { input: { steps: 1 }, multitaskStrategy: "reject" }]) {
      const r = await onB.post(`/api/threads/${id}/runs`, body);
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("THREAD_BUSY");
    }
    expect((await onA.get(`/api/threads/${id}`)).body.activeRun.runId).toBe(longRunId);
    await onA.post(`/api/threads/${id}/runs/cancel`, {});
  });

  it("refuses an unknown strategy with 400 and changes nothing", async () => {
    const { id, longRunId } = await busyOnA("bad");
    const r = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 1 }, multitaskStrategy: "shove" });
    expect(r.status).toBe(400);
    expect((await onA.get(`/api/threads/${id}`)).body.activeRun.runId).toBe(longRunId);
    await onA.post(`/api/threads/${id}/runs/cancel`, {});
  });

  it("enqueue: pending at once, runs after the current run, which finishes undisturbed", async () => {
    const id = (await onA.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    const long = await onA.post(`/api/threads/${id}/runs`, { input: { steps: 15, stepMs: 100, label: "enq-long" } });
    await onA.until(`/api/threads/${id}`, (t: any) => t.checkpointCount >= 3);
    const queued = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 2, stepMs: 0, label: "enq-second" }, multitaskStrategy: "enqueue" });
    expect(queued.status).toBe(202);
    expect(queued.body.run.status).toBe("pending");
    expect(queued.body.multitask).toMatchObject({ strategy: "enqueue", stoppedRunId: null });
    const t = await onB.until(`/api/threads/${id}`, (x: any) => x.status === "done" && x.checkpointCount > 19, 60_000);
    const state = (await onB.get(`/api/threads/${id}/state`)).body.values;
    expect(state.label).toBe("enq-second");
    // The long run did all its 15 steps, then the queued one its 2.
    expect(state.completed).toEqual([...Array.from({ length: 15 }, (_, i) => i + 1), 1, 2]);
    const cps = await history(onB, id);
    const byRun = (runId: string) => cps.filter((c) => c.metadata.runId === runId);
    expect(byRun(queued.body.run.runId).length).toBeGreaterThan(0);
    expect(Math.min(...byRun(queued.body.run.runId).map((c) => c.version))).toBeGreaterThan(
      Math.max(...byRun(long.body.run.runId).map((c) => c.version)),
    );
    expect(t.headCheckpointId).toBe(cps[0].checkpointId);
  });

  it("enqueue with wait: answers once the queued run has ended", async () => {
    const id = (await onA.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    await onA.post(`/api/threads/${id}/runs`, { input: { steps: 8, stepMs: 100 } });
    await onA.until(`/api/threads/${id}`, (t: any) => t.checkpointCount >= 2);
    const r = await onB.post(`/api/threads/${id}/runs`, {
      input: { steps: 1, stepMs: 0, label: "waited" },
      multitaskStrategy: "enqueue",
      wait: true,
    });
    expect(r.status).toBe(200);
    expect(r.body.run.status).toBe("done");
    expect(r.body.state.values.label).toBe("waited");
  });

  it("interrupt: the run on the other server stops at its last checkpoint; the new run continues from there", async () => {
    const { id, longRunId } = await busyOnA("int");
    const r = await onB.post(`/api/threads/${id}/runs`, {
      input: { steps: 2, stepMs: 0, label: "int-new" },
      multitaskStrategy: "interrupt",
      wait: true,
    });
    expect(r.status).toBe(200);
    expect(r.body.multitask).toMatchObject({ strategy: "interrupt", stoppedRunId: longRunId });
    expect(r.body.run.status).toBe("done");
    const cps = await history(onB, id);
    const stopped = cps.filter((c) => c.metadata.runId === longRunId);
    const mine = cps.filter((c) => c.metadata.runId === r.body.run.runId).sort((x, y) => x.version - y.version);
    expect(stopped.length).toBeGreaterThan(2);
    // Continued from the stopped run's last checkpoint (same line of history, nothing discarded).
    const lastStopped = stopped.reduce((x, y) => (x.version > y.version ? x : y));
    expect(mine[0].parentId).toBe(lastStopped.checkpointId);
    const done = r.body.state.values.completed as number[];
    expect(done.slice(-2)).toEqual([1, 2]);
    expect(done.length).toBeGreaterThan(3); // the first run's step, the stopped run's steps, then ours
    const audit = (await onB.get(`/api/audit?threadId=${id}&action=run_cancel`)).body.entries;
    expect(audit).toHaveLength(1);
    expect(audit[0].detail).toMatchObject({ runId: longRunId, multitask: "interrupt" });
    // A no longer runs anything on the thread.
    expect((await onA.get(`/api/threads/${id}`)).body.activeRun).toBeNull();
  });

  it("rollback: the new run branches from where the stopped run started; its checkpoints stay in the history", async () => {
    const { id, startHead, longRunId } = await busyOnA("rb");
    const r = await onB.post(`/api/threads/${id}/runs`, {
      input: { steps: 1, stepMs: 0, label: "rb-new" },
      multitaskStrategy: "rollback",
      wait: true,
    });
    expect(r.status).toBe(200);
    expect(r.body.multitask).toEqual({ strategy: "rollback", stoppedRunId: longRunId, rolledBackTo: startHead });
    const cps = await history(onB, id);
    const stopped = cps.filter((c) => c.metadata.runId === longRunId);
    const mine = cps.filter((c) => c.metadata.runId === r.body.run.runId).sort((x, y) => x.version - y.version);
    expect(stopped.length).toBeGreaterThan(2); // never deleted
    expect(mine[0].parentId).toBe(startHead); // a new branch from the start of the stopped run
    // The state knows nothing of the stopped run: the first run's step 1, then ours.
    expect(r.body.state.values).toMatchObject({ label: "rb-new", completed: [1, 1] });
    // The head's branch does not pass through the stopped run's checkpoints.
    const branch = (await onB.get(`/api/threads/${id}/history?checkpointId=${r.body.thread.headCheckpointId}&limit=1000&fields=summary`)).body
      .checkpoints as any[];
    const stoppedIds = new Set(stopped.map((c) => c.checkpointId));
    expect(branch.some((c) => stoppedIds.has(c.checkpointId))).toBe(false);
    expect(branch.map((c) => c.checkpointId)).toContain(startHead);
  });

  it("interrupt when nothing runs just starts the run", async () => {
    const id = (await onA.post("/api/threads", { graphId: "pipeline" })).body.threadId;
    const r = await onB.post(`/api/threads/${id}/runs`, { input: { steps: 1, stepMs: 0 }, multitaskStrategy: "rollback", wait: true });
    expect(r.status).toBe(200);
    expect(r.body.multitask).toBeUndefined();
    expect(r.body.run.status).toBe("done");
  });
});
