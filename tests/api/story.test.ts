/**
 * Issue 11, "history that tells the whole story" and "a diff that answers what changed since the last draft":
 * failed tries kept across a Retry, step durations, forks listed on their source, the diff's default at an
 * interrupt, word-level before/after strings and long appends summarised.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

describe("the whole story (SQLite)", () => {
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

  const start = async (graphId: string, input: unknown, until: string) => {
    const threadId = (await api.post("/api/threads", { graphId, input })).body.threadId as string;
    return { threadId, thread: await api.until(`/api/threads/${threadId}`, (t: any) => t.status === until) };
  };

  it("keeps every failed try of a step, across a Retry that failed again, and through the edit that fixed it", async () => {
    const { threadId, thread } = await start("pipeline", { steps: 3, stepMs: 0, failAt: 2 }, "error");
    expect(thread.error.node).toBe("work");
    expect(thread.error.attempts.map((a: any) => [a.node, a.attempt, a.maxAttempts, a.run])).toEqual([
      ["work", 1, 3, 1],
      ["work", 2, 3, 1],
      ["work", 3, 3, 1],
    ]);
    for (const a of thread.error.attempts) {
      expect(a.message).toContain("Step 2 failed on purpose");
      expect(typeof a.durationMs).toBe("number");
      expect(Number.isNaN(Date.parse(a.startedAt))).toBe(false);
    }

    // Retry with no change: its outcome (failed again) is shown with the first run's tries.
    const retry = await api.post(`/api/threads/${threadId}/runs`, { wait: true });
    expect(retry.status).toBe(200);
    const again = retry.body.thread.error;
    expect(again.checkpointId).toBe(thread.error.checkpointId);
    expect(again.attempts.map((a: any) => `${a.run}.${a.attempt}`)).toEqual(["1.1", "1.2", "1.3", "2.1", "2.2", "2.3"]);

    // The edit that removes the cause keeps the six tries in the history; the run then finishes.
    const edit = await api.post(`/api/threads/${threadId}/state`, { values: { failAt: null } });
    expect(edit.status).toBe(201);
    expect(edit.body.checkpoint.metadata.failedAttempts).toHaveLength(6);
    const done = await api.post(`/api/threads/${threadId}/runs`, { wait: true });
    expect(done.body.thread).toMatchObject({ status: "done", error: null });

    // Every step's checkpoint carries its duration, in full and in the timeline's summaries.
    const full = (await api.get(`/api/threads/${threadId}/history?limit=100`)).body.checkpoints;
    const steps = full.filter((c: any) => c.metadata.source === "loop");
    expect(steps.length).toBeGreaterThan(3);
    for (const c of steps) expect(typeof c.metadata.durationMs).toBe("number");
    const summaries = (await api.get(`/api/threads/${threadId}/history?limit=100&fields=summary`)).body.checkpoints;
    expect(summaries.map((c: any) => c.metadata.durationMs)).toEqual(full.map((c: any) => c.metadata.durationMs));
    const editSummary = summaries.find((c: any) => c.checkpointId === edit.body.checkpoint.checkpointId);
    expect(editSummary.metadata.failedAttempts).toEqual(
      edit.body.checkpoint.metadata.failedAttempts.map(({ node, attempt, maxAttempts, run }: any) => ({ node, attempt, maxAttempts, run })),
    );
  }, 60_000);

  it("lists a thread's forks into other threads, and each fork names its source @ version", async () => {
    const { threadId } = await start("approval", { topic: "Forks both ways" }, "interrupted");
    const atReview = (await api.get(`/api/threads/${threadId}/state`)).body.checkpoint;
    expect((await api.get(`/api/threads/${threadId}/forks`)).body).toEqual({ threadId, forks: [], capped: false });

    const a = (await api.post(`/api/threads/${threadId}/fork`, { checkpointId: atReview.checkpointId, newThread: true })).body;
    const first = (await api.get(`/api/threads/${threadId}/history?limit=100`)).body.checkpoints.at(-1);
    const b = (await api.post(`/api/threads/${threadId}/fork`, { checkpointId: first.checkpointId, newThread: true })).body;
    // A fork inside the thread itself is a branch, not a fork into another thread.
    await api.post(`/api/threads/${threadId}/fork`, { checkpointId: first.checkpointId });
    // A fork of the fork belongs to the fork's list, not the source's.
    const c = (await api.post(`/api/threads/${a.thread.threadId}/fork`, { checkpointId: a.checkpoint.checkpointId, newThread: true })).body;

    expect(a.thread.metadata.forkedFrom).toEqual({ threadId, checkpointId: atReview.checkpointId, version: atReview.version });
    expect(a.checkpoint.metadata.forkedFrom).toEqual({ threadId, checkpointId: atReview.checkpointId, version: atReview.version });
    const forks = (await api.get(`/api/threads/${threadId}/forks`)).body;
    expect(forks.capped).toBe(false);
    expect(forks.forks.map((f: any) => [f.threadId, f.checkpointId, f.version])).toEqual([
      [b.thread.threadId, first.checkpointId, first.version],
      [a.thread.threadId, atReview.checkpointId, atReview.version],
    ]);
    expect((await api.get(`/api/threads/${a.thread.threadId}/forks`)).body.forks.map((f: any) => f.threadId)).toEqual([c.thread.threadId]);
    expect((await api.get(`/api/threads/0190a0a0-0000-7000-8000-000000000000/forks`)).status).toBe(404);
  }, 60_000);

  it("at an interrupt, diffs against the previous time the node waited: the draft's before and after", async () => {
    const { threadId } = await start("approval", { topic: "Diff since the last draft" }, "interrupted");
    const firstReview = (await api.get(`/api/threads/${threadId}/state`)).body.checkpoint;
    const first = (await api.get(`/api/threads/${threadId}/checkpoints/${firstReview.checkpointId}/diff`)).body;
    expect(first).toMatchObject({ basis: "parent", againstId: firstReview.parentId });

    await api.post(`/api/threads/${threadId}/runs`, { command: { resume: { action: "reject", feedback: "shorter please" } }, wait: true });
    const secondReview = (await api.get(`/api/threads/${threadId}/state`)).body.checkpoint;
    expect(secondReview.interrupts).toHaveLength(1);
    const d = (await api.get(`/api/threads/${threadId}/checkpoints/${secondReview.checkpointId}/diff`)).body;
    expect(d).toMatchObject({ basis: "interrupt", againstId: firstReview.checkpointId, againstVersion: firstReview.version });
    const draft = d.changes.find((c: any) => c.path.join(".") === "draft");
    expect(draft).toMatchObject({ type: "change" });
    expect(draft.before).toContain("Draft 1");
    expect(draft.after).toContain("Draft 2");

    // `against` still picks any checkpoint ("chosen").
    const chosen = (await api.get(`/api/threads/${threadId}/checkpoints/${secondReview.checkpointId}/diff?against=${secondReview.parentId}`)).body;
    expect(chosen).toMatchObject({ basis: "chosen", againstId: secondReview.parentId });
  }, 60_000);

  it("summarises a long append as one entry (+N items from index k), short ones item by item", async () => {
    const { threadId } = await start("pipeline", { steps: 40, stepMs: 0 }, "done");
    const all = (await api.get(`/api/threads/${threadId}/history?limit=100&fields=summary`)).body.checkpoints;
    const v2 = all.find((c: any) => c.version === 2);
    const head = all[0];
    const d = (await api.get(`/api/threads/${threadId}/checkpoints/${head.checkpointId}/diff?against=${v2.checkpointId}`)).body;
    expect(d).toMatchObject({ basis: "chosen", againstVersion: 2 });
    expect(d.changes).toContainEqual({ path: ["completed"], type: "append", count: 40, from: 0 });
    expect(d.changes).toContainEqual({ path: ["log"], type: "append", count: 41, from: 1 });
    expect(d.changes.length).toBeLessThan(10);
    // The other way round, the items are removed: one "truncate" entry.
    const back = (await api.get(`/api/threads/${threadId}/checkpoints/${v2.checkpointId}/diff?against=${head.checkpointId}`)).body;
    expect(back.changes).toContainEqual({ path: ["completed"], type: "truncate", count: 40, from: 0 });
    // One step appends one item: listed as such.
    const step = (await api.get(`/api/threads/${threadId}/checkpoints/${all[2].checkpointId}/diff`)).body;
    expect(step.basis).toBe("parent");
    expect(step.changes.filter((c: any) => c.path[0] === "completed")).toEqual([{ path: ["completed", 38], type: "create", after: 39 }]);
  }, 60_000);
});
