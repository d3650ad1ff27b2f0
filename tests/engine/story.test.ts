import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { END, START, StateGraph, appendReducer, interrupt, isNodeFailed } from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { toSummary } from "@/lib/checkpoint/summary";
import { engineStores } from "./stores";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Issue 11: the history tells the whole story — each step's duration, and every failed try of a node. */
describe.each(engineStores)("step durations and failed attempts on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  it("every checkpoint a step produced carries how long the step took, so a slow step stands out", async () => {
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode("fast", () => ({ log: "fast" }))
      .addNode("slow", async () => (await sleep(120), { log: "slow" }))
      .addEdge(START, "fast")
      .addEdge("fast", "slow")
      .addEdge("slow", END)
      .compile({ store });
    await app.invoke({}, { threadId: "d1" });
    const cps = await store.list("d1");
    expect(cps.map((c) => c.nodeName)).toEqual(["__input__", "fast", "slow"]);
    expect(cps[0].metadata.durationMs).toBeUndefined();
    const [fast, slow] = [cps[1].metadata.durationMs!, cps[2].metadata.durationMs!];
    expect(Number.isInteger(fast)).toBe(true);
    expect(slow).toBeGreaterThanOrEqual(100);
    expect(slow).toBeGreaterThan(fast);
    // The timeline's summaries carry it too, without reading the state.
    const summaries = await store.listSummaries("d1");
    expect(summaries.map((s) => s.durationMs)).toEqual([null, fast, slow]);
    expect(summaries).toEqual(cps.map(toSummary));
  });

  it("failed tries are kept on the checkpoint of the step that then succeeded, attempt n of m", async () => {
    let failures = 2;
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode(
        "net",
        (_s, ctx) => {
          if (failures-- > 0) throw new Error(`flaky network (try ${ctx.attempt})`);
          return { log: "ok" };
        },
        { retry: { maxAttempts: 3, initialDelayMs: 5 } },
      )
      .addEdge(START, "net")
      .compile({ store });
    await app.invoke({}, { threadId: "f1" });
    const head = (await store.latest("f1"))!;
    const tries = head.metadata.failedAttempts!;
    expect(tries.map((a) => [a.node, a.attempt, a.maxAttempts, a.run, a.message])).toEqual([
      ["net", 1, 3, 1, "flaky network (try 1)"],
      ["net", 2, 3, 1, "flaky network (try 2)"],
    ]);
    for (const a of tries) {
      expect(Number.isNaN(Date.parse(a.startedAt))).toBe(false);
      expect(a.durationMs).toBeGreaterThanOrEqual(0);
    }
    const [summary] = await store.listSummaries("f1", { order: "desc", limit: 1 });
    expect(summary.failedAttempts).toEqual([
      { node: "net", attempt: 1, maxAttempts: 3, run: 1 },
      { node: "net", attempt: 2, maxAttempts: 3, run: 1 },
    ]);
  });

  it("a Retry with no change that fails again keeps the first run's tries; a later success shows them all", async () => {
    let broken = true;
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode("a", () => ({ log: "a" }))
      .addNode(
        "b",
        (_s, ctx) => {
          if (broken) throw new Error(`down (try ${ctx.attempt})`);
          return { log: "b" };
        },
        { retry: { maxAttempts: 2, initialDelayMs: 1 } },
      )
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addEdge("b", END)
      .compile({ store });
    expect(isNodeFailed(await app.invoke({}, { threadId: "r1" }).catch((e) => e))).toBe(true);
    const first = (await store.getThread("r1")).error!;
    expect(first.attempts!.map((a) => [a.attempt, a.maxAttempts, a.run])).toEqual([
      [1, 2, 1],
      [2, 2, 1],
    ]);

    // Retry (continue, nothing changed): fails again; the record keeps run 1 and adds run 2.
    expect(isNodeFailed(await app.invoke(null, { threadId: "r1" }).catch((e) => e))).toBe(true);
    const second = (await store.getThread("r1")).error!;
    expect(second.checkpointId).toBe(first.checkpointId);
    expect(second.attempts!.map((a) => [a.attempt, a.run, a.message])).toEqual([
      [1, 1, "down (try 1)"],
      [2, 1, "down (try 2)"],
      [1, 2, "down (try 1)"],
      [2, 2, "down (try 2)"],
    ]);

    // Then it works: the thread's error is cleared, and the checkpoint b produced keeps all four tries.
    broken = false;
    const res = await app.invoke(null, { threadId: "r1" });
    expect(res.status).toBe("done");
    expect((await store.getThread("r1")).error).toBeNull();
    expect(res.checkpoint.metadata.failedAttempts!.map((a) => a.run)).toEqual([1, 1, 2, 2]);
    expect(typeof res.checkpoint.metadata.durationMs).toBe("number");
  });

  it("a checkpoint where a node interrupted carries the step's duration", async () => {
    const app = new StateGraph({ answer: { default: () => null as unknown } })
      .addNode("ask", () => ({ answer: interrupt({ q: "ok?" }) }))
      .addEdge(START, "ask")
      .addEdge("ask", END)
      .compile({ store });
    const res = await app.invoke({}, { threadId: "i1" });
    expect(res.status).toBe("interrupted");
    expect(typeof res.checkpoint.metadata.durationMs).toBe("number");
    expect(res.checkpoint.metadata.failedAttempts).toBeUndefined();
  });
});
