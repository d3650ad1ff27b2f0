import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Command, END, START, StateGraph, appendReducer, isNodeFailed, isThreadBusy, isRecursionLimit } from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { engineStores } from "./stores";

const listSchema = () => ({
  log: { reducer: appendReducer, default: () => [] as string[] },
  counter: { default: () => 0 },
  pad: {},
});

describe.each(engineStores)("engine runs on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  const chain = (n: number) => {
    const g = new StateGraph(listSchema());
    for (let i = 0; i < n; i++) g.addNode(`n${i}`, (s) => ({ log: `n${i}`, counter: (s.counter as number) + 1, pad: `p${i}` }));
    g.addEdge(START, "n0");
    for (let i = 1; i < n; i++) g.addEdge(`n${i - 1}`, `n${i}`);
    g.addEdge(`n${n - 1}`, END);
    return g;
  };

  it("runs a linear chain, saving an input checkpoint and one per step, linked and versioned", async () => {
    const app = chain(3).compile({ store, graphId: "chain" });
    const res = await app.invoke({ pad: "start" }, { threadId: "t1" });
    expect(res.status).toBe("done");
    expect(res.values).toEqual({ log: ["n0", "n1", "n2"], counter: 3, pad: "p2" });
    const cps = await store.list("t1");
    expect(cps.map((c) => [c.version, c.step, c.nodeName, c.metadata.source])).toEqual([
      [1, -1, "__input__", "input"],
      [2, 0, "n0", "loop"],
      [3, 1, "n1", "loop"],
      [4, 2, "n2", "loop"],
    ]);
    expect(cps.map((c) => c.next)).toEqual([["n0"], ["n1"], ["n2"], []]);
    for (let i = 1; i < cps.length; i++) expect(cps[i].parentId).toBe(cps[i - 1].id);
    expect(cps[0].parentId).toBeNull();
    expect(cps[2].metadata.writes).toEqual([
      { node: "n1", channel: "log", value: "n1" },
      { node: "n1", channel: "counter", value: 2 },
      { node: "n1", channel: "pad", value: "p1" },
    ]);
    const thread = await store.getThread("t1");
    expect(thread).toMatchObject({ status: "done", graphId: "chain", headCheckpointId: cps[3].id, checkpointCount: 4, error: null });
  });

  it("a second input on a finished thread continues from its state", async () => {
    const app = chain(2).compile({ store });
    await app.invoke({}, { threadId: "again" });
    const res = await app.invoke({ log: "more" }, { threadId: "again" });
    expect(res.values.log).toEqual(["n0", "n1", "more", "n0", "n1"]);
    expect(res.values.counter).toBe(4);
  });

  it("follows conditional edges with a path map, looping until the router ends", async () => {
    const app = new StateGraph(listSchema())
      .addNode("work", (s) => ({ counter: (s.counter as number) + 1 }))
      .addNode("finish", () => ({ log: "finished" }))
      .addEdge(START, "work")
      .addConditionalEdges("work", (s) => ((s.counter as number) < 5 ? "again" : "stop"), { again: "work", stop: "finish" })
      .addEdge("finish", END)
      .compile({ store });
    const res = await app.invoke({}, { threadId: "loop" });
    expect(res.values).toMatchObject({ counter: 5, log: ["finished"] });
    expect((await store.list("loop")).length).toBe(1 + 5 + 1);
  });

  it("runs a super-step's nodes concurrently and merges their writes in node-name order", async () => {
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((r) => (release = r));
    const branch = (name: string, delay: number) => async () => {
      if (++started === 3) release();
      await bothStarted; // deadlocks (and times out) unless all three run at once
      await new Promise((r) => setTimeout(r, delay));
      return { log: name };
    };
    const app = new StateGraph(listSchema())
      .addNode("plan", () => ({ log: "plan" }))
      .addNode("c", branch("c", 1))
      .addNode("a", branch("a", 30))
      .addNode("b", branch("b", 10))
      .addNode("merge", (s) => ({ counter: (s.log as string[]).length }))
      .addEdge(START, "plan")
      .addEdge("plan", "c")
      .addEdge("plan", "a")
      .addEdge("plan", "b")
      .addEdge("a", "merge")
      .addEdge("b", "merge")
      .addEdge("c", "merge")
      .compile({ store });
    const res = await app.invoke({}, { threadId: "par" });
    expect(res.values.log).toEqual(["plan", "a", "b", "c"]);
    expect(res.values.counter).toBe(4);
    const cps = await store.list("par");
    expect(cps.map((c) => c.nodeName)).toEqual(["__input__", "plan", "a,b,c", "merge"]);
    expect(cps.filter((c) => c.nodeName === "merge")).toHaveLength(1); // fan-in runs once
  });

  it("rejects two writes to a last-value channel in one step, recording the error and keeping the last good checkpoint", async () => {
    const app = new StateGraph(listSchema())
      .addNode("s", () => ({}))
      .addNode("x", () => ({ pad: "x" }))
      .addNode("y", () => ({ pad: "y" }))
      .addEdge(START, "s")
      .addEdge("s", "x")
      .addEdge("s", "y")
      .compile({ store });
    const err = await app.invoke({}, { threadId: "clash" }).catch((e) => e);
    expect(isNodeFailed(err)).toBe(true);
    expect(err.message).toMatch(/Channel "pad" was written by both "x" and "y"/);
    const thread = await store.getThread("clash");
    expect(thread.status).toBe("error");
    const latest = (await store.latest("clash"))!;
    expect(latest.nodeName).toBe("s");
    expect(latest.state.pad).toBeUndefined();
    expect(thread.error).toMatchObject({ checkpointId: latest.id });
  });

  it("supports custom reducers and Command goto from a node", async () => {
    const app = new StateGraph({
      total: { reducer: (a: number, b: number) => a + b, default: () => 0 },
      path: { reducer: appendReducer, default: () => [] },
    })
      .addNode("start", () => new Command({ update: { total: 5, path: "start" }, goto: "jump" }), { ends: ["jump"] })
      .addNode("skipped", () => ({ path: "skipped" }))
      .addNode("jump", () => ({ total: 10, path: "jump" }))
      .addEdge(START, "start")
      .addEdge("start", "skipped")
      .compile({ store });
    const res = await app.invoke({ total: 1 }, { threadId: "cmd" });
    expect(res.values).toEqual({ total: 16, path: ["start", "jump"] });
  });

  it("streams step, checkpoint and done events in order", async () => {
    const app = chain(2).compile({ store });
    const types: string[] = [];
    for await (const ev of app.stream({}, { threadId: "s1" })) types.push(ev.type);
    expect(types).toEqual(["start", "checkpoint", "step", "checkpoint", "step", "checkpoint", "done"]);
  });

  it("stops a runaway loop at the recursion limit and records it", async () => {
    const app = new StateGraph(listSchema())
      .addNode("spin", (s) => ({ counter: (s.counter as number) + 1 }))
      .addEdge(START, "spin")
      .addEdge("spin", "spin")
      .compile({ store, recursionLimit: 7 });
    const err = await app.invoke({}, { threadId: "spin" }).catch((e) => e);
    expect(isNodeFailed(err)).toBe(true);
    expect((await store.getThread("spin")).error?.message).toMatch(/more than 7 steps/);
    expect((await store.latest("spin"))!.state.counter).toBe(7);
    void isRecursionLimit;
  });

  it("refuses a second concurrent run on the same thread with THREAD_BUSY, without forking the chain", async () => {
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    const app = new StateGraph(listSchema())
      .addNode("slow", async () => (await gate, { log: "slow" }))
      .addEdge(START, "slow")
      .compile({ store });
    const first = app.invoke({}, { threadId: "busy" });
    await new Promise((r) => setTimeout(r, 50));
    const second = await app.invoke({}, { threadId: "busy" }).catch((e) => e);
    expect(isThreadBusy(second)).toBe(true);
    const edit = await app.updateState("busy", { pad: "no" }).catch((e) => e);
    expect(isThreadBusy(edit)).toBe(true);
    go();
    expect((await first).status).toBe("done");
    const cps = await store.list("busy");
    expect(cps.map((c) => c.nodeName)).toEqual(["__input__", "slow"]);
    // After the run, the thread is free again.
    expect((await app.invoke({}, { threadId: "busy" })).status).toBe("done");
  });

  it("a run whose lock another process took over (it stalled past its lease) writes nothing more", async () => {
    let go!: () => void;
    const gate = new Promise<void>((r) => (go = r));
    const app = new StateGraph(listSchema())
      .addNode("stalls", async () => (await gate, { log: "stalls" }))
      .addNode("after", () => ({ log: "after" }))
      .addEdge(START, "stalls")
      .addEdge("stalls", "after")
      .compile({ store });
    const run = app.invoke({}, { threadId: "taken" }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 50));
    // The takeover a worker makes once the stalled run's lease ran out: compare-and-swap on the holder's name.
    const held = await store.acquireLock("taken", "probe", 60_000);
    expect(held.acquired).toBe(false);
    expect(await store.stealLock("taken", "other-process", held.acquired ? "" : held.owner, 60_000)).toBe(true);
    const before = await store.list("taken");
    go();
    const err = await run;
    expect(isThreadBusy(err)).toBe(true);
    expect(await store.list("taken")).toEqual(before); // the step in flight was not saved
    // The run did not record an error or an end: the thread is the other process's to finish.
    expect((await store.getThread("taken")).status).toBe("running");
    expect(await store.acquireLock("taken", "probe", 60_000)).toMatchObject({ acquired: false, owner: "other-process" });
  });

  it("enforces maxCheckpoints, keeping the newest and every branch tip", async () => {
    const app = chain(10).compile({ store, maxCheckpoints: 4 });
    await app.invoke({}, { threadId: "ret" });
    let cps = await store.list("ret");
    expect(cps.map((c) => c.version)).toEqual([8, 9, 10, 11]);
    expect(cps[0].parentId).toBeNull(); // re-linked: no dangling parent
    // A branch off an old checkpoint keeps its tip even when older than the newest N.
    await app.updateState("ret", { pad: "edit" }, { checkpointId: cps[0].id });
    await app.invoke(null, { threadId: "ret" });
    cps = await store.list("ret");
    expect(cps.some((c) => c.version === 11)).toBe(true); // the original branch's tip survives
    expect(cps.length).toBeLessThanOrEqual(5);
    // Edits are checkpoints too: retention applies to them as well.
    for (let i = 0; i < 6; i++) await app.updateState("ret", { pad: `e${i}` });
    cps = await store.list("ret");
    expect(cps.length).toBeLessThanOrEqual(5);
    expect(cps.at(-1)!.state.pad).toBe("e5");
  });

  it("with autoSave off saves at the saveInterval, at the end, and not every step", async () => {
    const app = chain(6).compile({ store, autoSave: false });
    await app.invoke({}, { threadId: "nosave" });
    const cps = await store.list("nosave");
    expect(cps.map((c) => c.nodeName)).toEqual(["__input__", "n5"]);
    expect(cps[1].parentId).toBe(cps[0].id);
    expect(cps[1].state.counter).toBe(6);
    const every = chain(3).compile({ store, autoSave: false, saveInterval: 0 });
    await every.invoke({}, { threadId: "interval" });
    expect((await store.list("interval")).length).toBe(4);
  });
});
