/**
 * LangGraph.js graphs as first-class graphs: the default config's `expense` graph (a LangGraph.js `StateGraph`,
 * lib/graphs/expense.ts) run by the real built server through every dashboard action — start, its dynamic
 * interrupt answered with a Command, its static interruptBefore continued, an error retried after a state edit,
 * an edit, a fork of an old checkpoint (run to a different end), a SIGKILL mid-run resumed by the next server —
 * and a thread a LangGraph.js process wrote with a graph this server does not have, shown read-only.
 */
import { Annotation, END, START, StateGraph, interrupt } from "@langchain/langgraph";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore, storeConfigFromEnv } from "@/lib/checkpoint/factory";
import { WaypointSaver } from "@/lib/langgraph";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, sqliteStore, type TestStore } from "./helpers/stores";

const claim = (over: Record<string, unknown> = {}) => ({
  employee: "Ada",
  amount: 240,
  purpose: "Train to Berlin",
  delayMs: 0,
  failPayment: false,
  ...over,
});

describe("a LangGraph.js graph run by the server (SQLite)", () => {
  let store: TestStore;
  let server: Server;
  let api: Client;
  const settled = (id: string) => api.until(`/api/threads/${id}`, (t: any) => t.status !== "running" && t.activeRun === null);

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

  it("is listed with the graph LangGraph draws, its static interrupt and its channels", async () => {
    const g = (await api.get("/api/graphs/expense")).body;
    expect(g.title).toBe("Expense claim (LangGraph.js)");
    expect(g.structure.nodes.map((n: any) => n.id)).toEqual(["triage", "review", "pay", "reject"]);
    expect(g.structure.edges).toContainEqual({ source: "triage", target: "review", conditional: true });
    expect(g.structure.interruptBefore).toEqual(["pay"]);
    expect(g.structure.channels.map((c: any) => c.name)).toEqual(expect.arrayContaining(["messages", "amount", "decision"]));
    expect(g.structure.channels.some((c: any) => c.name.startsWith("branch:"))).toBe(false);
  });

  it("start → dynamic interrupt → resume with a Command → static interrupt → continue → done", async () => {
    const created = await api.post("/api/threads", { graphId: "expense", input: claim() });
    expect(created.status).toBe(201);
    const id = created.body.threadId;
    const paused = await settled(id);
    expect(paused.status).toBe("interrupted");
    expect(paused.interrupts).toEqual([
      expect.objectContaining({
        node: "review",
        kind: "dynamic",
        value: expect.objectContaining({ question: "Approve Ada's travel claim of 240?" }),
      }),
    ]);
    // The list shows the same interrupt (not only the thread page).
    const listed = (await api.get(`/api/threads?graphId=expense`)).body.threads.find((t: any) => t.threadId === id);
    expect(listed.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic" });
    const state = (await api.get(`/api/threads/${id}/state`)).body;
    expect(state.next).toEqual(["review"]);
    // LangChain messages readably, LangGraph's trigger channels hidden.
    expect(state.values.messages).toEqual([expect.objectContaining({ type: "ai", content: expect.stringContaining("over the 100 limit") })]);
    expect(Object.keys(state.values).some((k) => k.startsWith("branch:"))).toBe(false);

    // An answer that does not fit the interrupt's responseSchema is refused (400, by field) and changes nothing.
    const before = (await api.get(`/api/threads/${id}`)).body;
    for (const resume of [{ action: "maybe" }, { action: "reject" }, "yes"]) {
      const bad = await api.post(`/api/threads/${id}/runs`, { command: { resume } });
      expect(bad.status, JSON.stringify(resume)).toBe(400);
      expect(bad.body.error).toMatchObject({ code: "INVALID_RESUME", node: "review" });
      expect(bad.body.error.issues.length).toBeGreaterThan(0);
    }
    const after = (await api.get(`/api/threads/${id}`)).body;
    expect([after.status, after.checkpointCount, after.headCheckpointId]).toEqual([before.status, before.checkpointCount, before.headCheckpointId]);

    // A resume where nothing waits is refused before anything runs; so is a malformed body.
    const approved = await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve", comment: "ok" } }, wait: true });
    expect(approved.status).toBe(200);
    expect(approved.body.run.status).toBe("interrupted");
    expect(approved.body.thread.interrupts).toEqual([expect.objectContaining({ node: "pay", kind: "before" })]);
    const again = await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("NO_PENDING_INTERRUPT");

    const paid = await api.post(`/api/threads/${id}/runs`, { wait: true });
    expect(paid.status).toBe(200);
    expect(paid.body.thread.status).toBe("done");
    expect(paid.body.state.values).toMatchObject({ decision: "approved", paid: true, log: ["triage: travel", "review: approved", "pay"] });
    expect(paid.body.state.values.messages.map((m: any) => m.type)).toEqual(["ai", "human", "ai"]);

    // History, newest first, with who decided on the checkpoints of that run, and a readable diff.
    const history = (await api.get(`/api/threads/${id}/history?limit=100`)).body.checkpoints;
    expect(history.map((c: any) => c.nodeName)).toEqual(["pay", "review", "triage", "__start__", "__input__"]);
    expect(history[1].metadata.actor).toBeTruthy();
    const diff = (await api.get(`/api/threads/${id}/checkpoints/${history[0].checkpointId}/diff`)).body;
    expect(JSON.stringify(diff.changes)).toContain("Paid 240 to Ada.");
  });

  it("an error, then an edit of the state and a retry, finishes", async () => {
    const id = (await api.post("/api/threads", { graphId: "expense", input: claim({ amount: 40, failPayment: true }) })).body.threadId;
    // Within the limit: no review; the static interrupt before pay, then pay fails.
    expect((await settled(id)).interrupts[0]).toMatchObject({ node: "pay", kind: "before" });
    const failed = await api.post(`/api/threads/${id}/runs`, { wait: true });
    expect(failed.body.thread.status).toBe("error");
    expect(failed.body.thread.error).toMatchObject({ node: "pay", message: expect.stringContaining("refused") });

    const bad = await api.post(`/api/threads/${id}/state`, { values: { failPayment: false }, asNode: "nope" });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("UNKNOWN_NODE");
    const edit = await api.post(`/api/threads/${id}/state`, { values: { failPayment: false }, reason: "payment system fixed" });
    expect(edit.status).toBe(201);
    expect(edit.body.checkpoint).toMatchObject({ nodeName: "__update__", next: ["pay"], metadata: { reason: "payment system fixed" } });
    expect(edit.body.thread).toMatchObject({ status: "idle", error: null });

    const retried = await api.post(`/api/threads/${id}/runs`, { wait: true });
    expect(retried.body.thread.status).toBe("done");
    expect(retried.body.state.values).toMatchObject({ paid: true, failPayment: false });
  });

  it("a fork of an old checkpoint, with other values, runs to its own end; the old branch stays", async () => {
    const id = (await api.post("/api/threads", { graphId: "expense", input: claim() })).body.threadId;
    await settled(id);
    await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "reject", comment: "not this trip" } }, wait: true });
    const done = await settled(id);
    expect(done.status).toBe("done");
    const history = (await api.get(`/api/threads/${id}/history?limit=100`)).body.checkpoints;
    const input = history.find((c: any) => c.nodeName === "__start__");

    // In the same thread: a branch from before triage with a small amount, which is approved automatically.
    const fork = await api.post(`/api/threads/${id}/fork`, { checkpointId: input.checkpointId, values: { amount: 30 }, reason: "smaller claim" });
    expect(fork.status).toBe(201);
    expect(fork.body.checkpoint.parentId).not.toBeNull();
    const run = await api.post(`/api/threads/${id}/runs`, { checkpointId: fork.body.checkpoint.checkpointId, wait: true });
    expect(run.status).toBe(200);
    expect(run.body.thread.interrupts[0]).toMatchObject({ node: "pay", kind: "before" });
    expect(run.body.state.values).toMatchObject({ amount: 30, decision: "auto-approved" });
    // The rejected branch is still there.
    const all = (await api.get(`/api/threads/${id}/history?limit=100`)).body.checkpoints;
    expect(all.some((c: any) => c.nodeName === "reject")).toBe(true);

    // Into a new thread, run at once.
    const copy = await api.post(`/api/threads/${id}/fork`, { checkpointId: input.checkpointId, newThread: true, run: true });
    expect(copy.status).toBe(201);
    const other = await settled(copy.body.thread.threadId);
    expect(other).toMatchObject({ graphId: "expense", status: "interrupted", metadata: { forkedFrom: { threadId: id } } });
    expect(other.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic" });
  });

  it("a run stopped mid-step ends cancelled at its last checkpoint, and continues from there", async () => {
    const id = (await api.post("/api/threads", { graphId: "expense", input: claim({ delayMs: 3000 }) })).body.threadId;
    await api.until(`/api/threads/${id}`, (t: any) => t.status === "running" && t.checkpointCount >= 2);
    const stop = await api.post(`/api/threads/${id}/runs/cancel`, { reason: "wrong claim" });
    expect(stop.status).toBe(200);
    expect(stop.body.thread.status).toBe("cancelled");
    const history = (await api.get(`/api/threads/${id}/history?limit=100`)).body.checkpoints;
    expect(history.map((c: any) => c.nodeName)).toEqual(["__start__", "__input__"]);
    const again = await api.post(`/api/threads/${id}/runs`, { wait: true });
    expect(again.body.thread.status).toBe("interrupted");
    expect(again.body.thread.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic" });
  });

  it("a thread a LangGraph.js process wrote with a graph the server does not have is read-only, with a note", async () => {
    const raw = await createStore(storeConfigFromEnv(store.env));
    try {
      const S = Annotation.Root({ q: Annotation<string>, a: Annotation<string> });
      const foreign = new StateGraph(S)
        .addNode("ask", (s) => ({ a: String(interrupt({ question: s.q })) }))
        .addEdge(START, "ask")
        .addEdge("ask", END)
        .compile({ checkpointer: new WaypointSaver(raw) });
      await foreign.invoke({ q: "Ship it?" }, { configurable: { thread_id: "lg-foreign-1" } });
    } finally {
      await raw.close();
    }
    const t = (await api.get("/api/threads/lg-foreign-1")).body;
    expect(t.status).toBe("interrupted");
    expect(t.readOnly).toMatch(/LangGraph\.js process whose graph this server does not have/);
    expect(t.interrupts[0]).toMatchObject({ node: "ask", kind: "dynamic", value: { question: "Ship it?" } });
    const run = await api.post("/api/threads/lg-foreign-1/runs", { command: { resume: "yes" } });
    expect(run.status).toBe(409);
    expect(run.body.error.message).toMatch(/read-only here/);
    const edit = await api.post("/api/threads/lg-foreign-1/state", { values: { q: "x" } });
    expect(edit.status).toBe(409);
    // Nothing was written by the refusals.
    expect((await api.get("/api/threads/lg-foreign-1")).body.checkpointCount).toBe(t.checkpointCount);
  });
});

describe("a LangGraph.js run survives a SIGKILL of the server (PostgreSQL)", () => {
  const servers: Server[] = [];
  let store: TestStore | undefined;
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await store?.cleanup();
  });

  it("continues from its last checkpoint on the next server, to its interrupt, then to the end", async () => {
    ensureBuilt();
    store = await postgresStore();
    const first = await startServer(store.env);
    servers.push(first);
    let api = client(first.url);
    const id = (await api.post("/api/threads", { graphId: "expense", input: claim({ delayMs: 4000 }) })).body.threadId;
    // Mid-run: the input is saved and triage (slow) is running.
    await api.until(`/api/threads/${id}`, (t: any) => t.status === "running" && t.checkpointCount >= 2);
    await first.kill();

    const second = await startServer(store.env);
    servers.push(second);
    api = client(second.url);
    const t = await api.until(`/api/threads/${id}`, (t: any) => t.status !== "running", 90_000);
    expect({ status: t.status, error: t.error }).toEqual({ status: "interrupted", error: null });
    expect(t.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic" });
    expect(second.output()).toContain(`resumed thread ${id}`);
    const history = (await api.get(`/api/threads/${id}/history?limit=100`)).body.checkpoints;
    expect(history.filter((c: any) => c.nodeName === "triage")).toHaveLength(1);

    await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } }, wait: true });
    const done = await api.post(`/api/threads/${id}/runs`, { wait: true });
    expect(done.body.thread.status).toBe("done");
    expect(done.body.state.values.log).toEqual(["triage: travel", "review: approved", "pay"]);
  }, 120_000); // two server starts and a 4 s step, on a shared machine
});
