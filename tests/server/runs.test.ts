/**
 * The run manager (lib/server/runs.ts) over real stores (memory, SQLite) and the real demo graphs: background
 * runs, their events on the bus, one run per thread (in this process and through the store lock), cancel,
 * settled, and crash recovery (resumeOrphans).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createStore } from "@/lib/checkpoint/factory";
import type { GraphDefinition } from "@/lib/config/graph";
import { loadGraphConfig } from "@/lib/config/load";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { isThreadBusy } from "@/lib/errors";
import { EventBus, type ThreadEvent } from "@/lib/server/events";
import { GraphRegistry } from "@/lib/server/graphs";
import { log } from "@/lib/server/log";
import { RunManager } from "@/lib/server/runs";

const stores: { name: string; open(): Promise<{ store: CheckpointStore; dispose(): Promise<void> }> }[] = [
  {
    name: "memory",
    async open() {
      const store = await createStore({ kind: "memory" });
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: "sqlite",
    async open() {
      const dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-runs-"));
      const store = await createStore({ kind: "sqlite", url: `file:${dir}/waypoint.db` });
      return {
        store,
        dispose: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 10_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
    const value = await fn();
    if (value) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(stores)("RunManager on the $name store", ({ open }) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  let registry: GraphRegistry;
  let bus: EventBus;
  let runs: RunManager;
  let seq = 0;
  const tid = () => `runs-${Date.now().toString(36)}-${++seq}`;

  /** Everything published for the thread, in order. */
  function record(threadId: string): ThreadEvent[] {
    const events: ThreadEvent[] = [];
    bus.subscribe(threadId, (e) => events.push(e));
    return events;
  }

  let demoGraphs: GraphDefinition[];
  beforeAll(async () => {
    demoGraphs = (await loadGraphConfig({ env: {} })).graphs; // the default waypoint.config.ts
  });

  beforeEach(async () => {
    ({ store, dispose } = await open());
    registry = new GraphRegistry(store, demoGraphs);
    bus = new EventBus();
    runs = new RunManager(store, registry, bus);
  });

  afterEach(async () => {
    await dispose();
  });

  it("runs in the background: start resolves with the running run, finished with how it ended", async () => {
    const threadId = tid();
    const events = record(threadId);
    const { run, finished } = await runs.start(threadId, "pipeline", { input: { steps: 3, stepMs: 1 } });
    expect(run).toMatchObject({ threadId, graphId: "pipeline", status: "running", endedAt: null });
    expect(runs.activeRun(threadId)?.runId).toBe(run.runId);
    expect((await store.getThread(threadId)).status).toBe("running");

    const ended = await finished;
    expect(ended).toMatchObject({ runId: run.runId, status: "done" });
    expect(ended.endedAt).not.toBeNull();
    expect(runs.activeRun(threadId)).toBeNull();
    const thread = await store.getThread(threadId);
    expect(thread).toMatchObject({ status: "done", graphId: "pipeline" });

    const types = events.map((e) => e.type);
    expect(types[0]).toBe("run_started");
    expect(types.at(-1)).toBe("run_ended");
    expect(events.at(-1)).toMatchObject({ type: "run_ended", runId: run.runId, status: "done" });
    // One checkpoint event per saved checkpoint: input, prepare, 3 × work, finish.
    expect(types.filter((t) => t === "checkpoint")).toHaveLength(6);
    expect((await store.list(threadId)).map((c) => c.metadata.runId)).toEqual(Array(6).fill(run.runId));
  });

  it("reports an interrupt as the run's end, with an interrupt event", async () => {
    const threadId = tid();
    const events = record(threadId);
    const { finished } = await runs.start(threadId, "approval", { input: { topic: "Checkpoints" } });
    expect((await finished).status).toBe("interrupted");
    expect((await store.getThread(threadId)).status).toBe("interrupted");
    const interrupt = events.find((e) => e.type === "interrupt");
    expect(interrupt).toMatchObject({ type: "interrupt", threadId, interrupts: [expect.objectContaining({ node: "review" })] });

    // Resumed with the reviewer's answer: a new run that publishes the thread.
    const resumed = await runs.start(threadId, "approval", { input: null, command: { resume: { action: "approve" } } });
    expect((await resumed.finished).status).toBe("done");
    expect((await store.latest(threadId))?.state.published).toBeTruthy();
  });

  it("reports a failed node as an error run, with an error event, and records it on the thread", async () => {
    const threadId = tid();
    const events = record(threadId);
    const { finished } = await runs.start(threadId, "pipeline", { input: { steps: 3, stepMs: 1, failAt: 2 } });
    expect((await finished).status).toBe("error");
    const thread = await store.getThread(threadId);
    expect(thread.status).toBe("error");
    expect(thread.error).toMatchObject({ node: "work" });
    expect(events.find((e) => e.type === "error")).toMatchObject({ error: expect.objectContaining({ node: "work" }) });
    expect(events.at(-1)).toMatchObject({ type: "run_ended", status: "error" });
  });

  it("rejects errors in the call itself and keeps no active run", async () => {
    const threadId = tid();
    await expect(runs.start(threadId, "pipeline", { input: null })).rejects.toMatchObject({ code: "THREAD_NOT_FOUND" });
    expect(runs.activeRun(threadId)).toBeNull();
    await expect(runs.start(threadId, "pipeline", { input: null, checkpointId: "no-such-checkpoint" })).rejects.toMatchObject({
      code: "CHECKPOINT_NOT_FOUND",
    });
    await expect(runs.start(threadId, "no-such-graph", { input: {} })).rejects.toMatchObject({ code: "GRAPH_NOT_FOUND" });
    expect(runs.activeRun(threadId)).toBeNull();
  });

  it("allows one run per thread: a second start is THREAD_BUSY; cancel stops the run and leaves the thread cancelled", async () => {
    const threadId = tid();
    const { finished } = await runs.start(threadId, "pipeline", { input: { steps: 50, stepMs: 50 } });
    const second = runs.start(threadId, "pipeline", { input: null });
    await expect(second).rejects.toSatisfy(isThreadBusy);

    expect((await runs.cancel(threadId))?.status).toBe("cancelled");
    expect(runs.activeRun(threadId)).toBeNull();
    expect((await finished).status).toBe("cancelled");
    expect((await store.getThread(threadId)).status).toBe("cancelled");

    // The cancelled run can be continued from its last checkpoint.
    const before = (await store.latest(threadId))!.state.current as number;
    expect(before).toBeLessThan(50);
    const again = await runs.start(threadId, "pipeline", { input: null, command: { update: { stepMs: 0 } } });
    expect((await again.finished).status).toBe("done");
    expect((await store.latest(threadId))!.state.completed).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("settled resolves when the local run has ended (at once when there is none); cancel without a run is a no-op", async () => {
    const threadId = tid();
    await runs.settled(threadId);
    expect(await runs.cancel(threadId)).toBeNull();
    const { finished } = await runs.start(threadId, "pipeline", { input: { steps: 3, stepMs: 20 } });
    await runs.settled(threadId);
    expect(runs.activeRun(threadId)).toBeNull();
    expect((await finished).status).toBe("done");
  });

  it("is THREAD_BUSY while another process holds the thread's lock and the thread is running", async () => {
    const threadId = tid();
    await registry.compile("pipeline").updateState(threadId, { steps: 1, stepMs: 0 }, { asNode: "prepare" });
    await store.updateThread(threadId, { status: "running" });
    expect((await store.acquireLock(threadId, "elsewhere:1:abc", 60_000)).acquired).toBe(true);
    const t0 = Date.now();
    await expect(runs.start(threadId, "pipeline", { input: null })).rejects.toSatisfy(isThreadBusy);
    expect(Date.now() - t0).toBeLessThan(500); // a running thread is refused at once, not retried
    await store.releaseLock(threadId, "elsewhere:1:abc");
  });

  it("retries a THREAD_BUSY for a moment when the thread is not running (a run or an edit releasing the lock)", async () => {
    const threadId = tid();
    await registry.compile("pipeline").updateState(threadId, { steps: 1, stepMs: 0 }, { asNode: "prepare" });
    expect((await store.acquireLock(threadId, "elsewhere:1:abc", 60_000)).acquired).toBe(true);
    setTimeout(() => void store.releaseLock(threadId, "elsewhere:1:abc"), 300);
    const { finished } = await runs.start(threadId, "pipeline", { input: null });
    expect((await finished).status).toBe("done");
  });

  it("resumeOrphans continues threads left running by a dead process, and skips graphs it does not have", async () => {
    const orphan = tid();
    await registry.compile("pipeline").updateState(orphan, { steps: 2, stepMs: 1 }, { asNode: "prepare" });
    await store.updateThread(orphan, { status: "running" }); // as a server killed mid-run leaves it
    const stranger = tid();
    await registry.compile("pipeline").updateState(stranger, { steps: 1, stepMs: 1 }, { asNode: "prepare" });
    await store.updateThread(stranger, { status: "running", graphId: "retired-graph" });
    // What the server logs (pino, lib/server/log.ts) about each: the message and its fields.
    const logs = vi.spyOn(log(), "info").mockImplementation(() => {});
    const errors = vi.spyOn(log(), "error").mockImplementation(() => {});
    const text = (spy: typeof logs) => JSON.stringify(spy.mock.calls);
    try {
      await runs.resumeOrphans();
      await waitFor("the orphan to finish", async () => (await store.getThread(orphan)).status === "done");
      expect((await store.latest(orphan))!.state.completed).toEqual([1, 2]);
      expect(text(logs)).toContain(`resumed thread ${orphan}`);
      expect(text(errors)).toContain("retired-graph");
      expect((await store.getThread(stranger)).status).toBe("running");
    } finally {
      logs.mockRestore();
      errors.mockRestore();
    }
  });
});
