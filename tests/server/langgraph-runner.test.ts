/**
 * A LangGraph.js graph behind the run manager (lib/server/runnable/langgraph.ts through lib/server/runs.ts), on
 * real stores (memory, SQLite) with the default config's `expense` graph: the same events, statuses and refusals
 * as Waypoint's engine gives — checkpoint events as LangGraph saves, interrupt and error events, one run per
 * thread through the store lock, crash recovery of a thread left "running" — and the checkpoint view the API
 * serves (next nodes, interrupts from the pending writes, readable messages, no trigger channels).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStore } from "@/lib/checkpoint/factory";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import type { GraphDefinition } from "@/lib/config/graph";
import { loadGraphConfig } from "@/lib/config/load";
import { isFencedOut, isThreadBusy, isWaypointError } from "@/lib/errors";
import { EventBus, type ThreadEvent } from "@/lib/server/events";
import { GraphRegistry } from "@/lib/server/graphs";
import { RunManager } from "@/lib/server/runs";
import { langGraphView } from "@/lib/server/runnable/lg-view";

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
      const dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-lgrun-"));
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

const claim = (over: Record<string, unknown> = {}) => ({
  employee: "Ada",
  amount: 240,
  purpose: "Hotel in Berlin",
  delayMs: 0,
  failPayment: false,
  ...over,
});

describe.each(stores)("a LangGraph.js graph in the run manager ($name)", ({ open }) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  let registry: GraphRegistry;
  let bus: EventBus;
  let runs: RunManager;
  let seq = 0;
  const tid = () => `lg-${Date.now().toString(36)}-${++seq}`;
  let graphs: GraphDefinition[];

  beforeAll(async () => {
    graphs = (await loadGraphConfig({ env: {} })).graphs;
  });
  beforeEach(async () => {
    ({ store, dispose } = await open());
    registry = new GraphRegistry(store, graphs);
    bus = new EventBus();
    runs = new RunManager(store, registry, bus);
  });
  afterEach(() => dispose());

  function record(threadId: string): ThreadEvent[] {
    const events: ThreadEvent[] = [];
    bus.subscribe(threadId, (e) => events.push(e));
    return events;
  }

  it("runs to its interrupt with the engine's events; the head's view has next, the interrupt and readable messages", async () => {
    const threadId = tid();
    const events = record(threadId);
    const { run, finished } = await runs.start(threadId, "expense", { input: claim(), metadata: { actor: "Ada" } });
    expect(run.status).toBe("running");
    expect((await finished).status).toBe("interrupted");
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("run_started");
    expect(types.filter((t) => t === "checkpoint")).toHaveLength(3); // input, __start__, triage
    expect(events.find((e) => e.type === "interrupt")).toMatchObject({ interrupts: [expect.objectContaining({ node: "review", kind: "dynamic" })] });
    expect(await store.getThread(threadId)).toMatchObject({ status: "interrupted", graphId: "expense", error: null });

    const head = langGraphView((await store.latest(threadId))!);
    expect(head.next).toEqual(["review"]);
    expect(head.interrupts[0]).toMatchObject({ node: "review", value: { amount: 240 }, responseSchema: expect.any(Object) });
    expect(head.state.messages).toEqual([expect.objectContaining({ type: "ai", content: expect.stringContaining("needs a person's approval") })]);
    expect(Object.keys(head.state).filter((k) => k.startsWith("branch:") || k.startsWith("__"))).toEqual([]);
    expect(head.metadata.actor).toBe("Ada");
  });

  it("refuses a second run on a running thread, a resume with nothing waiting, and a Waypoint engine thread", async () => {
    const threadId = tid();
    const { finished } = await runs.start(threadId, "expense", { input: claim({ delayMs: 300 }) });
    const busy = await runs.start(threadId, "expense", { input: null }).catch((e: unknown) => e);
    expect(isThreadBusy(busy)).toBe(true);
    await finished;
    await runs.start(threadId, "expense", { input: null, command: { resume: { action: "approve" } } }).then((r) => r.finished);
    // Now paused before pay (static): a resume value has nothing to answer.
    const none = await runs.start(threadId, "expense", { input: null, command: { resume: { action: "approve" } } }).catch((e: unknown) => e);
    expect(isWaypointError(none, "NO_PENDING_INTERRUPT")).toBe(true);
    expect((await store.getThread(threadId)).status).toBe("interrupted");

    const engineThread = tid();
    await runs.start(engineThread, "pipeline", { input: { steps: 1, stepMs: 1 } }).then((r) => r.finished);
    const mixed = await runs.start(engineThread, "expense", { input: claim() }).catch((e: unknown) => e);
    expect(isWaypointError(mixed, "CONFLICT")).toBe(true);
    expect((await store.getThread(engineThread)).status).toBe("done");
  });

  it("a run whose lock was taken over saves nothing more; once the thread is free it is continued from its last checkpoint", async () => {
    const threadId = tid();
    const { finished } = await runs.start(threadId, "expense", { input: claim({ delayMs: 1500 }) });
    // Triage sleeps: take the lock over as a worker would once the run's lease ran out (the run "stalled").
    for (let i = 0; i < 50 && (await store.list(threadId)).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const held = await store.acquireLock(threadId, "probe", 60_000);
    expect(held.acquired).toBe(false);
    expect(await store.stealLock(threadId, "other-process", held.acquired ? "" : held.owner, 60_000)).toBe(true);
    const before = (await store.list(threadId)).map((c) => c.id);
    expect((await finished).status).toBe("error"); // this run ended; the thread is not recorded as failed
    expect((await store.list(threadId)).map((c) => c.id)).toEqual(before);
    expect((await store.getThread(threadId)).status).toBe("running");
    // The other process goes away without finishing: the run manager continues the thread itself.
    await store.releaseLock(threadId, "other-process");
    for (let i = 0; i < 150 && (await store.getThread(threadId)).status === "running"; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await store.getThread(threadId)).status).toBe("interrupted");
    expect(langGraphView((await store.latest(threadId))!).next).toEqual(["review"]);
  });

  it("a fork whose lock is taken over before it saves writes nothing (the copy is fenced like the run's saves)", async () => {
    const threadId = tid();
    await runs.start(threadId, "expense", { input: claim() }).then((r) => r.finished);
    const before = (await store.list(threadId)).map((c) => c.id);
    const graph = registry.compile("expense");
    // Another process takes the thread over between the fork's lock and its first save.
    const realSave = store.save.bind(store);
    store.save = async (cp, options) => {
      store.save = realSave;
      const held = await store.acquireLock(threadId, "probe", 60_000);
      expect(held.acquired).toBe(false);
      expect(await store.stealLock(threadId, "other-process", held.acquired ? "" : held.owner, 60_000)).toBe(true);
      return realSave(cp, options);
    };
    const err = await graph.fork(threadId, before[1], {}).catch((e: unknown) => e);
    store.save = realSave;
    expect(isFencedOut(err)).toBe(true);
    expect((await store.list(threadId)).map((c) => c.id)).toEqual(before);
    await store.releaseLock(threadId, "other-process");
    // Free again: the same fork is saved.
    const fork = await graph.fork(threadId, before[1], {});
    expect((await store.list(threadId)).map((c) => c.id)).toContain(fork.id);
  });

  it("a failing node ends the run in error (node, message, checkpoint); an edit and a retry finish it", async () => {
    const threadId = tid();
    const events = record(threadId);
    await runs.start(threadId, "expense", { input: claim({ amount: 20, failPayment: true }) }).then((r) => r.finished);
    const failed = await runs.start(threadId, "expense", { input: null }).then((r) => r.finished);
    expect(failed.status).toBe("error");
    const t = await store.getThread(threadId);
    expect(t.status).toBe("error");
    expect(t.error).toMatchObject({ node: "pay", message: expect.stringContaining("refused"), checkpointId: t.headCheckpointId });
    expect(events.some((e) => e.type === "error")).toBe(true);

    const edited = await registry.compile("expense").updateState(threadId, { failPayment: false }, { reason: "fixed" });
    expect(edited.metadata.reason).toBe("fixed");
    expect(await store.getThread(threadId)).toMatchObject({ status: "idle", error: null });
    expect((await runs.start(threadId, "expense", { input: null }).then((r) => r.finished)).status).toBe("done");
    expect(langGraphView((await store.latest(threadId))!).state).toMatchObject({ paid: true, log: ["triage: travel", "pay"] });
  });

  it("resumeOrphans continues a thread a dead process left running, from its last checkpoint", async () => {
    const threadId = tid();
    await runs.start(threadId, "expense", { input: claim() }).then((r) => r.finished);
    // As a server killed while `review`'s answer was being run leaves it: running, the lock free.
    await store.updateThread(threadId, { status: "running" });
    await runs.resumeOrphans();
    for (let i = 0; i < 200 && (await store.getThread(threadId)).status === "running"; i++) await new Promise((r) => setTimeout(r, 25));
    await runs.settled(threadId);
    const t = await store.getThread(threadId);
    expect(t.status).toBe("interrupted");
    expect((await store.list(threadId)).filter((c) => c.nodeName === "triage")).toHaveLength(1);
  });
});
