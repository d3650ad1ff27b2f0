/**
 * The reviewer's controls over a real `next start` server on SQLite: stopping a running run
 * (`POST /api/threads/:id/runs/cancel`) on the long pipeline and resuming it, and the actions at a dynamic
 * interrupt — fork-and-run as one request that leaves nothing when refused, Resume refused in plain words,
 * "Re-run <node>" from the checkpoint before the interrupt asking afresh.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount, type Account } from "./helpers/accounts";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

describe("run control on SQLite", () => {
  let store: TestStore;
  let server: Server;
  let api: Client;
  let reviewer: Account;
  let operator: Account;

  beforeAll(async () => {
    ensureBuilt();
    store = await sqliteStore();
    server = await startServer(store.env);
    api = client(server.url);
    reviewer = await createAccount(server.url, "reviewer", { name: "Rae Viewer" });
    operator = await createAccount(server.url, "operator", { name: "Otto Operator" });
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  const thread = async (id: string) => (await api.get(`/api/threads/${id}`)).body;
  const history = async (id: string) => (await api.get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints as any[];

  describe("stop a running run", () => {
    it("cancels the long pipeline mid-run at its last checkpoint, refuses what it must, and resumes to done", async () => {
      const created = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 40, stepMs: 150 } });
      expect(created.status).toBe(201);
      const id = created.body.threadId;
      await api.until(`/api/threads/${id}`, (t: any) => t.status === "running" && t.checkpointCount >= 5);

      // A reviewer may not stop runs (operators and up): 403, and the run goes on.
      const denied = await reviewer.api.post(`/api/threads/${id}/runs/cancel`, {});
      expect(denied.status).toBe(403);
      expect((await thread(id)).status).toBe("running");
      // A malformed body is a 400 and stops nothing.
      expect((await operator.api.post(`/api/threads/${id}/runs/cancel`, { why: "x" })).status).toBe(400);
      expect((await thread(id)).status).toBe("running");

      const res = await operator.api.post(`/api/threads/${id}/runs/cancel`, { reason: "wrong input" });
      expect(res.status).toBe(200);
      expect(res.body.run).toMatchObject({ status: "cancelled" });
      expect(res.body.thread).toMatchObject({ status: "cancelled", activeRun: null });
      const head = res.body.thread.headCheckpointId;

      // Nothing more is written after the cancel; the head's state is whole (each finished step once).
      await new Promise((r) => setTimeout(r, 600));
      const after = await thread(id);
      expect(after).toMatchObject({ status: "cancelled", headCheckpointId: head, error: null });
      const state = (await api.get(`/api/threads/${id}/state`)).body;
      const current = state.values.current as number;
      expect(current).toBeGreaterThanOrEqual(3);
      expect(current).toBeLessThan(40);
      expect(state.values.completed).toEqual(Array.from({ length: current }, (_, i) => i + 1));
      expect(state.checkpoint.pendingWrites ?? []).toEqual([]);

      // Listed under its own status.
      const listed = (await api.get("/api/threads?status=cancelled&graphId=pipeline")).body.threads.map((t: any) => t.threadId);
      expect(listed).toContain(id);

      // Who stopped it is in the audit trail.
      const entries = (await api.get(`/api/audit?threadId=${id}&action=run_cancel`)).body.entries;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actorName: "Otto Operator", reason: "wrong input", checkpointAfter: head });

      // A second cancel: nothing runs, a clear 409.
      const again = await operator.api.post(`/api/threads/${id}/runs/cancel`, {});
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("NO_ACTIVE_RUN");
      expect(again.body.error.message).toContain("cancelled");

      // Resume continues from the last checkpoint and finishes: every step exactly once.
      const resumed = await operator.api.post(`/api/threads/${id}/runs`, { command: { update: { stepMs: 0 } }, wait: true });
      expect(resumed.status).toBe(200);
      expect(resumed.body.thread.status).toBe("done");
      expect(resumed.body.state.values.completed).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it("answers 404 for an unknown thread and 409 for a thread that never ran", async () => {
      expect((await api.post("/api/threads/no-such-thread/runs/cancel", {})).status).toBe(404);
      const idle = (await api.post("/api/threads", { graphId: "pipeline" })).body.threadId;
      const r = await api.post(`/api/threads/${idle}/runs/cancel`, {});
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe("NO_ACTIVE_RUN");
      expect((await thread(idle)).status).toBe("idle");
    });
  });

  describe("at a dynamic interrupt", () => {
    let id: string;
    let head: any;
    beforeAll(async () => {
      id = (await api.post("/api/threads", { graphId: "approval", input: { topic: "Interrupts" } })).body.threadId;
      const t = await api.until(`/api/threads/${id}`, (b: any) => b.status === "interrupted");
      head = (await api.get(`/api/threads/${id}/checkpoints/${t.headCheckpointId}`)).body;
    });

    it("fork-and-run is refused in plain words before anything is written, in place and into a new thread", async () => {
      const before = (await history(id)).length;
      const threadsBefore = (await api.get("/api/threads?graphId=approval&limit=500")).body.threads.length;
      for (const newThread of [undefined, true]) {
        const r = await operator.api.post(`/api/threads/${id}/fork`, { checkpointId: head.checkpointId, run: true, newThread });
        expect(r.status).toBe(409);
        expect(r.body.error.code).toBe("DECISION_REQUIRED");
        expect(r.body.error.message).toContain(`v${head.version} is waiting for a decision at "review"`);
      }
      expect((await history(id)).length).toBe(before);
      expect((await api.get("/api/threads?graphId=approval&limit=500")).body.threads.length).toBe(threadsBefore);
      expect((await thread(id)).status).toBe("interrupted");
      // A reviewer may fork but not run: asking for the run is a 403, and nothing is forked either.
      expect((await reviewer.api.post(`/api/threads/${id}/fork`, { checkpointId: head.checkpointId, run: true })).status).toBe(403);
      expect((await history(id)).length).toBe(before);
    });

    it("a fork without run waits at its own interrupt, where the reviewer decides", async () => {
      const r = await reviewer.api.post(`/api/threads/${id}/fork`, { checkpointId: head.checkpointId, newThread: true });
      expect(r.status).toBe(201);
      expect(r.body.thread).toMatchObject({ status: "interrupted" });
      expect(r.body.thread.interrupts).toEqual([expect.objectContaining({ node: "review", kind: "dynamic" })]);
      const fork = r.body.thread.threadId;
      const decided = await reviewer.api.post(`/api/threads/${fork}/runs`, { command: { resume: { action: "approve" } }, wait: true });
      expect(decided.status).toBe(200);
      expect(decided.body.thread.status).toBe("done");
      expect((await thread(id)).status).toBe("interrupted");
    });

    it("Resume at the interrupt is refused in plain words; Re-run from the checkpoint before it asks afresh", async () => {
      const before = (await history(id)).length;
      const refused = await operator.api.post(`/api/threads/${id}/runs`, { checkpointId: head.checkpointId });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: "DECISION_REQUIRED", node: "review", checkpointId: head.checkpointId });
      expect(refused.body.error.message).not.toContain("INVALID_ARGUMENT");
      expect((await history(id)).length).toBe(before);

      const rerun = await operator.api.post(`/api/threads/${id}/runs`, { checkpointId: head.parentId, wait: true });
      expect(rerun.status).toBe(200);
      expect(rerun.body.thread.status).toBe("interrupted");
      const fresh = rerun.body.state.checkpoint;
      expect(fresh.checkpointId).not.toBe(head.checkpointId);
      expect(fresh.parentId).toBe(head.parentId);
      expect(fresh.interrupts).toHaveLength(1);
      expect(fresh.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic" });
      expect(fresh.interrupts[0].id).not.toBe(head.interrupts[0].id);
    });

    it("fork-and-run from a checkpoint that can run is one request: the fork and its run", async () => {
      const start = (await history(id)).find((c) => c.nodeName === "__input__");
      const r = await operator.api.post(`/api/threads/${id}/fork`, {
        checkpointId: start.checkpointId,
        run: true,
        newThread: true,
        values: { topic: "Forked" },
      });
      expect(r.status).toBe(201);
      expect(r.body.run).toMatchObject({ status: "running" });
      const t = await api.until(`/api/threads/${r.body.thread.threadId}`, (b: any) => b.status === "interrupted");
      expect(t.interrupts[0].value.draft).toContain("Forked");
      const actions = (await api.get(`/api/audit?threadId=${t.threadId}`)).body.entries.map((e: any) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["fork", "run_resume"]));
    });
  });
});
