import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { END, START, StateGraph, appendReducer, interrupt, isDecisionRequired, isNoPendingInterrupt, isWaypointError } from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { engineStores } from "./stores";

const schema = () => ({
  log: { reducer: appendReducer, default: () => [] as unknown[] },
  draft: {},
  decision: {},
  answers: { reducer: appendReducer, default: () => [] as unknown[] },
});

describe.each(engineStores)("interrupts on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  const approval = () => {
    const calls = { review: 0, publish: 0 };
    const app = new StateGraph(schema())
      .addNode("write", () => ({ draft: "v1", log: "write" }))
      .addNode("review", (s) => {
        calls.review++;
        const answer = interrupt<{ action: string }>({ question: "approve?", draft: s.draft });
        return { decision: answer.action, log: `review:${answer.action}` };
      })
      .addNode("publish", () => (calls.publish++, { log: "publish" }))
      .addEdge(START, "write")
      .addEdge("write", "review")
      .addConditionalEdges("review", (s) => (s.decision === "approve" ? "publish" : "write"), ["publish", "write"])
      .addEdge("publish", END)
      .compile({ store });
    return { app, calls };
  };

  it("a node's interrupt() stops the run with the interrupt saved, and command.resume re-runs it with the answer", async () => {
    const { app, calls } = approval();
    const first = await app.invoke({}, { threadId: "a1" });
    expect(first.status).toBe("interrupted");
    expect(first.interrupts).toHaveLength(1);
    expect(first.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic", value: { question: "approve?", draft: "v1" } });
    expect(first.next).toEqual(["review"]);
    expect((await store.getThread("a1")).status).toBe("interrupted");
    const saved = (await store.latest("a1"))!;
    expect(saved.interrupts).toEqual(first.interrupts);
    expect(saved.state.decision).toBeUndefined();

    // Continuing without an answer is refused and changes nothing.
    const refused = await app.invoke(null, { threadId: "a1" }).catch((e) => e);
    expect(isDecisionRequired(refused)).toBe(true);
    expect((await store.latest("a1"))!.id).toBe(saved.id);

    const done = await app.invoke(null, { threadId: "a1", command: { resume: { action: "approve" } } });
    expect(done.status).toBe("done");
    expect(done.values.log).toEqual(["write", "review:approve", "publish"]);
    expect(calls).toEqual({ review: 2, publish: 1 });
    expect((await store.getThread("a1")).status).toBe("done");
  });

  it("several interrupts in one node resume in order", async () => {
    const app = new StateGraph(schema())
      .addNode("ask", () => {
        const a = interrupt("first?");
        const b = interrupt("second?");
        const c = interrupt("third?");
        return { answers: [a, b, c] };
      })
      .addEdge(START, "ask")
      .compile({ store });
    let res = await app.invoke({}, { threadId: "multi" });
    expect(res.interrupts.map((i) => i.value)).toEqual(["first?"]);
    res = await app.invoke(null, { threadId: "multi", command: { resume: "A" } });
    expect(res.interrupts.map((i) => i.value)).toEqual(["second?"]);
    res = await app.invoke(null, { threadId: "multi", command: { resume: "B" } });
    expect(res.interrupts.map((i) => i.value)).toEqual(["third?"]);
    res = await app.invoke(null, { threadId: "multi", command: { resume: "C" } });
    expect(res.status).toBe("done");
    expect(res.values.answers).toEqual(["A", "B", "C"]);
  });

  it("resuming a thread with no pending interrupt is a typed error that changes nothing", async () => {
    const { app } = approval();
    await app.invoke({}, { threadId: "np" });
    await app.invoke(null, { threadId: "np", command: { resume: { action: "approve" } } });
    const before = await store.list("np");
    const err = await app.invoke(null, { threadId: "np", command: { resume: "again" } }).catch((e) => e);
    expect(isNoPendingInterrupt(err)).toBe(true);
    expect(await store.list("np")).toEqual(before);
  });

  it("command.update and command.goto steer a resumed run, recorded as an update checkpoint", async () => {
    const { app, calls } = approval();
    await app.invoke({}, { threadId: "steer" });
    const res = await app.invoke(null, { threadId: "steer", command: { update: { draft: "edited" }, goto: "publish" } });
    expect(res.status).toBe("done");
    expect(res.values.draft).toBe("edited");
    expect(calls.review).toBe(1);
    const cps = await store.list("steer");
    expect(cps.map((c) => c.nodeName)).toEqual(["__input__", "write", "review", "__update__", "publish"]);
    expect(cps[3].metadata.source).toBe("update");
  });

  it("interruptBefore and interruptAfter stop the run; continuing passes them", async () => {
    const calls: string[] = [];
    const build = () =>
      new StateGraph(schema())
        .addNode("a", () => (calls.push("a"), { log: "a" }))
        .addNode("b", () => (calls.push("b"), { log: "b" }))
        .addNode("c", () => (calls.push("c"), { log: "c" }))
        .addSequence([START, "a", "b", "c", END]);
    const app = build().compile({ store, interruptBefore: ["b"], interruptAfter: ["c"] });
    let res = await app.invoke({}, { threadId: "static" });
    expect(res.status).toBe("interrupted");
    expect(res.next).toEqual(["b"]);
    expect(res.interrupts).toMatchObject([{ node: "b", kind: "before" }]);
    expect(calls).toEqual(["a"]);
    res = await app.invoke(null, { threadId: "static" });
    expect(res.status).toBe("interrupted");
    expect(res.interrupts).toMatchObject([{ node: "c", kind: "after" }]);
    expect(res.next).toEqual([]);
    expect(calls).toEqual(["a", "b", "c"]);
    res = await app.invoke(null, { threadId: "static" });
    expect(res.status).toBe("done");
    expect(calls).toEqual(["a", "b", "c"]);
    // interruptBefore on the entry node stops at the input checkpoint.
    const entry = build().compile({ store, interruptBefore: ["a"] });
    res = await entry.invoke({}, { threadId: "entry" });
    expect(res.status).toBe("interrupted");
    expect(res.checkpoint.nodeName).toBe("__input__");
  });

  it("a sibling that completed in an interrupted step is not run again on resume", async () => {
    const runs = { fast: 0, ask: 0 };
    const app = new StateGraph(schema())
      .addNode("fast", () => (runs.fast++, { log: "fast" }))
      .addNode("ask", () => (runs.ask++, { answers: interrupt("ok?") }))
      .addNode("join", (s) => ({ draft: `${(s.log as string[]).join("+")}|${(s.answers as string[]).join()}` }))
      .addEdge(START, "fast")
      .addEdge(START, "ask")
      .addEdge("fast", "join")
      .addEdge("ask", "join")
      .compile({ store });
    const first = await app.invoke({}, { threadId: "sib" });
    expect(first.status).toBe("interrupted");
    expect(first.checkpoint.pendingWrites).toContainEqual({ node: "fast", channel: "log", value: "fast" });
    const res = await app.invoke(null, { threadId: "sib", command: { resume: "yes" } });
    expect(res.values.draft).toBe("fast|yes");
    expect(runs).toEqual({ fast: 1, ask: 2 });
  });

  it("interrupt() outside a node is a clear error", () => {
    let err: unknown;
    try {
      interrupt("x");
    } catch (e) {
      err = e;
    }
    expect(isWaypointError(err)).toBe(true);
    expect((err as Error).message).toMatch(/only be called while a graph node runs/);
  });
});
