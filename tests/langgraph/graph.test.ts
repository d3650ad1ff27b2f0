/**
 * A real LangGraph.js `StateGraph` checkpointed by `WaypointSaver` on SQLite: a dynamic `interrupt()` pauses the
 * run and a `Command({ resume })` finishes it; history, forks (updateState on an old checkpoint), LangChain
 * messages, parallel tasks (their pending writes, written concurrently, all survive the interrupt of a sibling)
 * and a subgraph's checkpoints (kept under the parent thread) — all read back through the Waypoint store too.
 */
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { emptyCheckpoint, uuid6 } from "@langchain/langgraph-checkpoint";
import { Annotation, Command, END, INTERRUPT, MessagesAnnotation, START, StateGraph, interrupt } from "@langchain/langgraph";
import { spawn } from "node:child_process";
import path from "node:path";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointMetadata as LgMetadata } from "@langchain/langgraph-checkpoint";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SqliteCheckpointStore } from "@/lib/checkpoint/sqlite";
import { newCheckpointId } from "@/lib/checkpoint/ids";
import { WaypointSaver, langGraphRecord } from "@/lib/langgraph";
import { testStores, type OpenedStore } from "./stores";

/** What `invoke` returns at an interrupt beside the state (LangGraph v1 adds `__interrupt__` to the result). */
const interruptsOf = (out: unknown) => (out as { __interrupt__?: { value: unknown }[] }).__interrupt__;

const sqlite = testStores.find((s) => s.name === "sqlite")!;

const State = Annotation.Root({
  topic: Annotation<string>,
  draft: Annotation<string>,
  log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

function approvalGraph(saver: WaypointSaver) {
  return new StateGraph(State)
    .addNode("write", (s) => ({ draft: `About ${s.topic}`, log: ["write"] }))
    .addNode("review", (s) => {
      const answer = interrupt<{ question: string; draft: string }, { ok: boolean }>({ question: "Publish?", draft: s.draft });
      return { log: [answer.ok ? "approved" : "rejected"] };
    })
    .addEdge(START, "write")
    .addEdge("write", "review")
    .addEdge("review", END)
    .compile({ checkpointer: saver });
}

describe("a LangGraph.js graph on WaypointSaver (SQLite)", () => {
  let opened: OpenedStore;
  let saver: WaypointSaver;
  beforeEach(async () => {
    opened = await sqlite.open();
    saver = new WaypointSaver(opened.store);
  });
  afterEach(() => opened.dispose());

  it("interrupts, resumes with a Command, keeps its history, and its thread is a Waypoint thread", async () => {
    const graph = approvalGraph(saver);
    const config = { configurable: { thread_id: "lg-approval" } };

    const paused = await graph.invoke({ topic: "checkpoints" }, config);
    expect(interruptsOf(paused)?.[0]?.value).toEqual({ question: "Publish?", draft: "About checkpoints" });
    const waiting = await graph.getState(config);
    expect(waiting.next).toEqual(["review"]);
    expect(waiting.tasks[0].interrupts[0].value).toEqual({ question: "Publish?", draft: "About checkpoints" });
    // LangGraph records the interrupt as a pending write on the checkpoint it paused at.
    const head = await opened.store.latest("lg-approval");
    expect(head?.pendingWrites.map((w) => [w.node, w.channel])).toContainEqual([expect.any(String), INTERRUPT]);

    const done = await graph.invoke(new Command({ resume: { ok: true } }), config);
    expect(done.log).toEqual(["write", "approved"]);
    expect(interruptsOf(done)).toBeUndefined();
    expect((await graph.getState(config)).next).toEqual([]);

    const history = [];
    for await (const snap of graph.getStateHistory(config)) history.push(snap);
    expect(history.map((h) => h.metadata?.source)).toEqual(["loop", "loop", "loop", "input"]);
    expect(history[0].values).toEqual({ topic: "checkpoints", draft: "About checkpoints", log: ["write", "approved"] });
    expect(history[history.length - 1].values).toEqual({ log: [] });

    // The same thread, seen through the Waypoint store the dashboard reads.
    const { threads } = await opened.store.listThreads();
    expect(threads.map((t) => t.threadId)).toEqual(["lg-approval"]);
    expect(threads[0].checkpointCount).toBe(history.length);
    const stored = await opened.store.list("lg-approval", { order: "desc" });
    expect(stored.map((c) => c.id)).toEqual(history.map((h) => h.config.configurable?.checkpoint_id));
    expect(stored[0].state).toEqual({ topic: "checkpoints", draft: "About checkpoints", log: ["write", "approved"] });
    expect(stored.map((c) => c.nodeName)).toEqual(["review", "write", expect.any(String), "__input__"]);
    expect(stored.every((c) => langGraphRecord(c) && c.namespace === undefined)).toBe(true);
    expect(stored[1].parentId).toBe(stored[2].id);
  });

  it("forks from an old checkpoint with updateState and runs the branch", async () => {
    const graph = approvalGraph(saver);
    const config = { configurable: { thread_id: "lg-fork" } };
    await graph.invoke({ topic: "one" }, config);
    await graph.invoke(new Command({ resume: { ok: false } }), config);
    const history = [];
    for await (const snap of graph.getStateHistory(config)) history.push(snap);
    const afterWrite = history.find((h) => h.next.includes("review"))!;
    const forked = await graph.updateState(afterWrite.config, { draft: "Edited by a human" });
    const paused = await graph.invoke(null, forked);
    expect(interruptsOf(paused)?.[0]?.value).toEqual({ question: "Publish?", draft: "Edited by a human" });
    const done = await graph.invoke(new Command({ resume: { ok: true } }), config);
    expect(done.log).toEqual(["write", "approved"]);
    const fork = await opened.store.load(forked.configurable!.checkpoint_id as string);
    expect(fork.parentId).toBe(afterWrite.config.configurable?.checkpoint_id);
    expect(fork.metadata.source).toBe("update");
  });

  it("keeps LangChain messages as messages, and as readable JSON in the store", async () => {
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("echo", (s) => ({ messages: [{ role: "assistant", content: `echo: ${String(s.messages.at(-1)?.content)}` }] }))
      .addEdge(START, "echo")
      .compile({ checkpointer: saver });
    const config = { configurable: { thread_id: "lg-chat" } };
    await graph.invoke({ messages: [new HumanMessage("hello")] }, config);
    const out = await graph.invoke({ messages: [new HumanMessage("again")] }, config);
    expect(out.messages.map((m: BaseMessage) => [m.getType(), m.content])).toEqual([
      ["human", "hello"],
      ["ai", "echo: hello"],
      ["human", "again"],
      ["ai", "echo: again"],
    ]);
    const head = await opened.store.latest("lg-chat");
    const stored = head!.state.messages as { id: string[]; kwargs: { content: string } }[];
    expect(stored.map((m) => [m.id.at(-1), m.kwargs.content])).toEqual([
      ["HumanMessage", "hello"],
      ["AIMessage", "echo: hello"],
      ["HumanMessage", "again"],
      ["AIMessage", "echo: again"],
    ]);
  });

  it("keeps every parallel task's writes when a sibling interrupts, so resume runs only the interrupted task", async () => {
    const runs: Record<string, number> = {};
    const Fan = Annotation.Root({ done: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const workers = ["a", "b", "c", "d", "e", "f"];
    let builder = new StateGraph(Fan).addNode("gate", async () => {
      runs.gate = (runs.gate ?? 0) + 1;
      const ok = interrupt<string, boolean>("go?");
      return { done: [ok ? "gate" : "gate-no"] };
    }) as unknown as StateGraph<typeof Fan.spec, unknown, unknown, string>;
    for (const w of workers)
      builder = builder.addNode(w, async () => {
        runs[w] = (runs[w] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 5));
        return { done: [w] };
      });
    builder = builder.addEdge(START, "gate");
    for (const w of workers) builder = builder.addEdge(START, w);
    const graph = builder.compile({ checkpointer: saver });
    const config = { configurable: { thread_id: "lg-fan" } };

    await graph.invoke({ done: [] }, config);
    const head = await opened.store.latest("lg-fan");
    expect(new Set(head!.pendingWrites.filter((w) => w.channel === "done").map((w) => w.value))).toEqual(new Set(workers.map((w) => [w])));
    const out = await graph.invoke(new Command({ resume: true }), config);
    expect([...out.done].sort()).toEqual([...workers, "gate"].sort());
    expect(runs).toEqual({ gate: 2, a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 });
  });

  it("keeps a subgraph's checkpoints under the parent thread, in their namespace, and deletes them with it", async () => {
    const Inner = Annotation.Root({ log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }) });
    const inner = new StateGraph(Inner)
      .addNode("step1", () => ({ log: ["inner-1"] }))
      .addNode("step2", () => {
        const ok = interrupt<string, boolean>("inner?");
        return { log: [ok ? "inner-2" : "inner-no"] };
      })
      .addEdge(START, "step1")
      .addEdge("step1", "step2")
      .compile();
    const graph = new StateGraph(Inner)
      .addNode("before", () => ({ log: ["outer"] }))
      .addNode("sub", inner)
      .addEdge(START, "before")
      .addEdge("before", "sub")
      .compile({ checkpointer: saver });
    const config = { configurable: { thread_id: "lg-sub" } };

    await graph.invoke({ log: [] }, config);
    const out = await graph.invoke(new Command({ resume: true }), config);
    expect(out.log).toEqual(["outer", "outer", "inner-1", "inner-2"]);

    const { threads } = await opened.store.listThreads();
    expect(threads.map((t) => t.threadId)).toEqual(["lg-sub"]);
    const all = await opened.store.list("lg-sub");
    const namespaces = new Set(all.map((c) => c.namespace ?? ""));
    expect(namespaces.has("")).toBe(true);
    expect([...namespaces].some((ns) => ns.startsWith("sub:"))).toBe(true);
    // The store's own view: subgraph checkpoints count in the thread but are never its head or latest.
    const rootIds = all.filter((c) => !c.namespace).map((c) => c.id);
    const thread = await opened.store.getThread("lg-sub");
    expect(thread.checkpointCount).toBe(all.length);
    expect(thread.headCheckpointId).toBe(rootIds[rootIds.length - 1]);
    expect((await opened.store.latest("lg-sub"))?.namespace).toBeUndefined();
    // The saver still reads each namespace on its own: the root's latest is the root's.
    const root = await saver.getTuple(config);
    expect(root?.config.configurable?.checkpoint_ns).toBe("");
    expect(root?.checkpoint.channel_values.log).toEqual(["outer", "outer", "inner-1", "inner-2"]);
    const subNs = [...namespaces].find((ns) => ns !== "")!;
    const sub = [];
    for await (const t of saver.list({ configurable: { thread_id: "lg-sub", checkpoint_ns: subNs } })) sub.push(t);
    expect(sub.length).toBeGreaterThan(1);
    expect(sub.every((t) => t.config.configurable?.checkpoint_ns === subNs)).toBe(true);

    await saver.deleteThread("lg-sub");
    expect(await opened.store.list("lg-sub")).toEqual([]);
    expect((await opened.store.listThreads()).threads).toEqual([]);
  });

  it("merges concurrent putWrites on one checkpoint without losing any (one process), special writes replacing", async () => {
    const config = await saver.put(
      { configurable: { thread_id: "lg-writes" } },
      { ...emptyCheckpoint(), id: uuid6(-1) },
      { source: "input", step: -1, parents: {} },
      {},
    );
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        saver.putWrites(
          config,
          [
            ["items", i],
            ["more", `m${i}`],
          ],
          `task-${String(i).padStart(2, "0")}`,
        ),
      ),
    );
    // A retried regular write is not stored twice; an INTERRUPT write replaces the task's previous one.
    await saver.putWrites(config, [["items", "retry"]], "task-00");
    await saver.putWrites(config, [[INTERRUPT, "first"]], "task-05");
    await saver.putWrites(config, [[INTERRUPT, "second"]], "task-05");
    const writes = (await saver.getTuple(config))!.pendingWrites!;
    expect(writes.filter(([, ch]) => ch === "items").map(([, , v]) => v)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(writes.filter(([, ch]) => ch === "more")).toHaveLength(20);
    expect(writes.filter(([, ch]) => ch === INTERRUPT)).toEqual([["task-05", INTERRUPT, "second"]]);
  });

  it("several savers over one store in a process queue their writes too", async () => {
    const other = new WaypointSaver(opened.store);
    const config = await saver.put(
      { configurable: { thread_id: "lg-two" } },
      { ...emptyCheckpoint(), id: uuid6(-1) },
      { source: "input", step: -1, parents: {} },
      {},
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? saver : other).putWrites(config, [["items", i]], `task-${i}`)));
    expect((await saver.getTuple(config))!.pendingWrites).toHaveLength(10);
  });

  it("two real processes × 20 concurrent putWrites on one checkpoint: all 40 survive (the store's atomic append)", async () => {
    const config = await saver.put(
      { configurable: { thread_id: "lg-procs" } },
      { ...emptyCheckpoint(), id: uuid6(-1) },
      { source: "input", step: -1, parents: {} },
      {},
    );
    const file = (opened.store as SqliteCheckpointStore).file;
    const startAt = Date.now() + 4000; // both children are loaded by then and start together
    const child = (label: string) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const script = `
          const { createSqliteStore } = await import(${JSON.stringify(path.resolve("lib/checkpoint/sqlite.ts"))});
          const { WaypointSaver } = await import(${JSON.stringify(path.resolve("lib/langgraph/saver.ts"))});
          const store = await createSqliteStore({ url: ${JSON.stringify(`file:${file}`)} });
          const saver = new WaypointSaver(store);
          const config = ${JSON.stringify(config)};
          while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 1));
          await Promise.all(Array.from({ length: 20 }, (_, i) => saver.putWrites(config, [["items", "${label}" + i]], "${label}-task-" + i)));
          await store.close();
          console.log("ok");`;
        const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() });
        let out = "";
        proc.stdout.on("data", (d) => (out += d));
        proc.stderr.on("data", (d) => (out += d));
        proc.on("close", (code) => resolve({ code, out }));
      });
    for (const r of await Promise.all([child("a"), child("b")])) expect(r, r.out).toMatchObject({ code: 0 });
    const writes = (await saver.getTuple(config))!.pendingWrites!;
    expect(writes).toHaveLength(40);
    expect(new Set(writes.map(([, , v]) => v))).toEqual(new Set(["a", "b"].flatMap((l) => Array.from({ length: 20 }, (_, i) => l + i))));
  }, 60_000);

  it("filters list by metadata in the store, on copies of LangGraph's scalar metadata", async () => {
    let config: RunnableConfig = { configurable: { thread_id: "lg-filter" } };
    for (let step = -1; step < 5; step++) {
      const metadata = { source: step < 0 ? "input" : "loop", step, parents: {}, owner: step % 2 ? "ann" : "bob", flag: step === 3 } as LgMetadata;
      config = await saver.put(config, { ...emptyCheckpoint(), id: uuid6(step) }, metadata, {});
    }
    const steps = async (filter: Record<string, unknown>) => {
      const out = [];
      for await (const t of saver.list({ configurable: { thread_id: "lg-filter" } }, { filter })) out.push(t.metadata?.step);
      return out;
    };
    expect(await steps({ owner: "ann" })).toEqual([3, 1, -1]);
    expect(await steps({ owner: "ann", flag: true })).toEqual([3]);
    expect(await steps({ source: "input" })).toEqual([-1]);
    expect(await steps({ step: "3" })).toEqual([]);
    expect(await steps({ parents: {} })).toEqual([]); // compared after loading, with ===, as LangGraph's MemorySaver does
    // What the store matched on: the copies beside the record.
    const stored = await opened.store.list("lg-filter", { metadata: { "langgraph.owner": "bob" } });
    expect(stored.map((c) => c.metadata["langgraph.step"])).toEqual([0, 2, 4]);
  });

  it("does not continue a thread written by Waypoint's own engine", async () => {
    const engine = await opened.store.save({
      id: newCheckpointId(),
      threadId: "wp-thread",
      parentId: null,
      step: -1,
      nodeName: "__input__",
      state: { topic: "x" },
      next: ["write"],
      interrupts: [],
      pendingWrites: [],
      metadata: { source: "input", writes: [] },
      timestamp: new Date().toISOString(),
    });
    const graph = approvalGraph(saver);
    const config = { configurable: { thread_id: "wp-thread" } };
    expect(await saver.getTuple(config)).toBeUndefined();
    await expect(graph.invoke({ topic: "y" }, config)).rejects.toThrow(/holds checkpoints of a Waypoint graph/);
    expect((await opened.store.list("wp-thread")).map((c) => c.id)).toEqual([engine.id]);
  });

  it("refuses a thread id the store cannot hold, naming the rule", async () => {
    const graph = approvalGraph(saver);
    await expect(graph.invoke({ topic: "x" }, { configurable: { thread_id: "a/b" } })).rejects.toThrow(/Invalid thread id "a\/b"/);
    expect((await opened.store.listThreads()).threads).toEqual([]);
  });
});
