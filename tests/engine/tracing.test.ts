/**
 * OpenTelemetry spans of a run (lib/engine/tracing.ts, the store guard in lib/checkpoint/timeouts.ts), collected
 * with the SDK's in-memory exporter over a real SQLite store: run → step → node, every store call the run makes
 * under the step (or run) that made it, failures and retries marked, the run's outcome recorded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStore } from "@/lib/checkpoint/factory";
import { guardStore } from "@/lib/checkpoint/timeouts";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { END, START, StateGraph, appendReducer, interrupt } from "@/lib/engine";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId ?? null;
const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

describe("traces of a run", () => {
  let dir: string;
  let store: CheckpointStore;
  let raw: CheckpointStore;

  beforeAll(async () => {
    provider.register();
    dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-trace-"));
    raw = await createStore({ kind: "sqlite", url: `file:${dir}/waypoint.db` });
    store = guardStore(raw, { deadlineMs: 10_000, label: "sqlite" });
  });
  afterAll(async () => {
    await raw.close();
    await rm(dir, { recursive: true, force: true });
    trace.disable();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  it("a run is one tree: run → each step → each node, with every store call of the run inside it", async () => {
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode("a", () => ({ log: "a" }))
      .addNode("b", () => ({ log: "b" }))
      .addNode("c", () => ({ log: "c" }))
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("a", "c")
      .addEdge("b", END)
      .addEdge("c", END)
      .compile({ store, graphId: "fan" });
    const res = await app.invoke({}, { threadId: "trace-1" });
    expect(res.status).toBe("done");

    const spans = exporter.getFinishedSpans();
    const [run] = byName(spans, "waypoint.run");
    expect(run.attributes).toMatchObject({
      "waypoint.thread_id": "trace-1",
      "waypoint.graph_id": "fan",
      "waypoint.run.status": "done",
      "waypoint.run.steps": 2,
    });
    expect(parentOf(run)).toBeNull();
    const traceId = run.spanContext().traceId;
    expect(spans.every((s) => s.spanContext().traceId === traceId)).toBe(true);

    const steps = byName(spans, "waypoint.step");
    // Numbered as the checkpoints they save are (the input is step -1).
    expect(steps.map((s) => s.attributes["waypoint.step"])).toEqual([0, 1]);
    expect(steps.map((s) => s.attributes["waypoint.nodes"])).toEqual(["a", "b,c"]);
    for (const s of steps) expect(parentOf(s)).toBe(run.spanContext().spanId);

    const nodes = byName(spans, "waypoint.node");
    expect(nodes.map((n) => n.attributes["waypoint.node"]).sort()).toEqual(["a", "b", "c"]);
    const stepOf = (node: string) =>
      steps.find((s) => s.spanContext().spanId === parentOf(nodes.find((n) => n.attributes["waypoint.node"] === node)!));
    expect(stepOf("a")?.attributes["waypoint.step"]).toBe(0);
    expect(stepOf("b")?.attributes["waypoint.step"]).toBe(1);
    expect(stepOf("c")?.attributes["waypoint.step"]).toBe(1);
    for (const n of nodes) expect(n.attributes["waypoint.node.outcome"]).toBe("ok");

    // Every store call is a client span of the run's tree: the lock (with the head), each save (the first marks the
    // thread running, the last marks it done and releases the lock).
    const calls = spans.filter((s) => s.name.startsWith("waypoint.store."));
    const inTree = new Set([run, ...steps].map((s) => s.spanContext().spanId));
    expect(calls.map((c) => c.name).sort()).toEqual(["waypoint.store.acquireLock", ...Array(3).fill("waypoint.store.save")]);
    for (const c of calls) {
      expect(inTree.has(parentOf(c)!), `${c.name} is parented in the run`).toBe(true);
      expect(c.attributes["db.system.name"]).toBe("sqlite");
    }
    const saves = byName(calls, "waypoint.store.save");
    expect(saves).toHaveLength(3); // the input, then one per step
    expect(saves.filter((s) => steps.some((st) => st.spanContext().spanId === parentOf(s)))).toHaveLength(2);
    expect(byName(calls, "waypoint.store.acquireLock")).toHaveLength(1);
  });

  it("a node that fails after its retries marks its span and the run's as errors; an interrupt ends the run 'interrupted'", async () => {
    let tries = 0;
    const failing = new StateGraph({ n: { default: () => 0 } })
      .addNode(
        "flaky",
        () => {
          tries++;
          throw new Error(`boom ${tries}`);
        },
        { retry: { maxAttempts: 3, initialDelayMs: 1 } },
      )
      .addEdge(START, "flaky")
      .addEdge("flaky", END)
      .compile({ store, graphId: "flaky" });
    await expect(failing.invoke({}, { threadId: "trace-2" })).rejects.toThrow(/boom 3/);
    const spans = exporter.getFinishedSpans();
    const [node] = byName(spans, "waypoint.node");
    expect(node.attributes).toMatchObject({ "waypoint.node": "flaky", "waypoint.node.outcome": "error", "waypoint.node.attempts": 3 });
    expect(node.status).toMatchObject({ code: 2, message: "boom 3" });
    expect(node.events.map((e) => e.name)).toContain("exception");
    expect(byName(spans, "waypoint.run")[0].attributes["waypoint.run.status"]).toBe("error");

    exporter.reset();
    const asking = new StateGraph({ answer: { default: () => "" } })
      .addNode("ask", () => ({ answer: interrupt({ question: "ok?" }) as string }))
      .addEdge(START, "ask")
      .addEdge("ask", END)
      .compile({ store, graphId: "ask" });
    expect((await asking.invoke({}, { threadId: "trace-3" })).status).toBe("interrupted");
    const asked = exporter.getFinishedSpans();
    expect(byName(asked, "waypoint.node")[0].attributes["waypoint.node.outcome"]).toBe("interrupt");
    expect(byName(asked, "waypoint.run")[0].attributes["waypoint.run.status"]).toBe("interrupted");
  });

  it("a store call that fails is an error span carrying the error code", async () => {
    await expect(store.load("no-such-checkpoint")).rejects.toThrow();
    const [load] = byName(exporter.getFinishedSpans(), "waypoint.store.load");
    expect(load.status.code).toBe(2);
    expect(load.attributes["error.type"]).toBe("CHECKPOINT_NOT_FOUND");
  });
});
