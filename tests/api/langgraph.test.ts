/**
 * The LangGraph server protocol, driven by the real `@langchain/langgraph-sdk` Client against a real `next start`
 * server on SQLite: assistants, threads, state, history, runs (create, wait, stream in each mode, join, cancel),
 * interrupts (dynamic with a Command, static), edits (with and without as_node, on an old checkpoint), copy,
 * search, count, and the errors as the SDK surfaces them. It also checks that the native API sees the same
 * threads and checkpoints (one store, no second copy).
 */
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client as nativeClient, type Client as Native } from "./helpers/client";
import { ensureBuilt, startServer, TEST_ADMIN_TOKEN, type Server } from "./helpers/server";
import { redisStore, sqliteStore, type TestStore } from "./helpers/stores";

/** The same suite on the default store and on Redis (the run records live in whichever store is configured). */
describe.each([
  ["SQLite", sqliteStore],
  ["Redis", redisStore],
])("LangGraph protocol on %s", (_name, makeStore) => {
  let server: Server;
  let store: TestStore;
  let lg: Client;
  let api: Native;

  beforeAll(async () => {
    ensureBuilt();
    store = await makeStore();
    server = await startServer({ ...store.env, WAYPOINT_CORS_ORIGINS: "http://ui.example" });
    lg = new Client({ apiUrl: `${server.url}/api/langgraph`, apiKey: TEST_ADMIN_TOKEN, callerOptions: { maxRetries: 0 } });
    api = nativeClient(server.url);
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  /** The SDK's HTTP errors read `HTTP <status>: <body>`; `status` is on the error. */
  async function httpError(p: Promise<unknown>): Promise<{ status: number; message: string }> {
    try {
      await p;
    } catch (err) {
      return { status: (err as { status: number }).status, message: (err as Error).message };
    }
    throw new Error("expected the call to fail");
  }

  async function collect(gen: AsyncIterable<{ event: string; data: any }>) {
    const out: { event: string; data: any }[] = [];
    for await (const part of gen) out.push(part);
    return out;
  }

  describe("assistants", () => {
    it("lists one assistant per graph, by graph id or derived UUID, with graph and schemas", async () => {
      const list = await lg.assistants.search({ limit: 100 });
      const ids = list.map((a) => a.graph_id);
      expect(ids).toEqual(expect.arrayContaining(["approval", "research", "pipeline", "chat"]));
      const chat = list.find((a) => a.graph_id === "chat")!;
      expect(chat.assistant_id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await lg.assistants.get(chat.assistant_id)).graph_id).toBe("chat");
      expect((await lg.assistants.get("chat")).assistant_id).toBe(chat.assistant_id);
      const graph = await lg.assistants.getGraph("research");
      expect(graph.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(["__start__", "plan", "merge", "write_report", "__end__"]));
      expect(graph.edges).toContainEqual(expect.objectContaining({ source: "plan", target: "search_web" }));
      const schemas = await lg.assistants.getSchemas("approval");
      expect(schemas.input_schema).toMatchObject({ type: "object", properties: { topic: { type: "string" } } });
      expect(Object.keys((schemas.state_schema as any).properties)).toEqual(expect.arrayContaining(["draft", "feedback"]));
      expect((await httpError(lg.assistants.get("nope"))).status).toBe(404);
    });
  });

  describe("threads", () => {
    it("creates with a chosen id and metadata, refuses a duplicate (409), or returns it with if_exists", async () => {
      const id = `lg-${Date.now()}`;
      const t = await lg.threads.create({ threadId: id, metadata: { owner: "ada" } });
      expect(t).toMatchObject({ thread_id: id, status: "idle", metadata: { owner: "ada" } });
      expect((await httpError(lg.threads.create({ threadId: id }))).status).toBe(409);
      expect((await lg.threads.create({ threadId: id, ifExists: "do_nothing" })).thread_id).toBe(id);
      const patched = await lg.threads.update(id, { metadata: { team: "x" } });
      expect(patched.metadata).toMatchObject({ owner: "ada", team: "x" });
      expect((await lg.threads.get(id)).metadata).toMatchObject({ owner: "ada", team: "x" });
      await lg.threads.delete(id);
      expect((await httpError(lg.threads.get(id))).status).toBe(404);
    });

    it("a thread created before its graph is known is bound by its first run", async () => {
      const t = await lg.threads.create();
      const out: any = await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Binding" } });
      expect(out.__interrupt__[0].value).toMatchObject({ question: expect.any(String) });
      const got = await lg.threads.get(t.thread_id);
      expect(got.status).toBe("interrupted");
      expect(got.metadata).toMatchObject({ graph_id: "approval" });
      // The same thread in the native API and dashboard.
      const native = await api.get(`/api/threads/${t.thread_id}`);
      expect(native.body).toMatchObject({ graphId: "approval", status: "interrupted" });
      // Another graph's assistant cannot run on it.
      expect((await httpError(lg.runs.wait(t.thread_id, "research", { input: { question: "q" } }))).status).toBe(409);
    });

    it("searches by metadata, status and values, pages and sorts, and counts", async () => {
      const tag = `s${Date.now()}`;
      const a = await lg.threads.create({ metadata: { tag, n: 1 } });
      const b = await lg.threads.create({ metadata: { tag, n: 2 } });
      await lg.runs.wait(b.thread_id, "approval", { input: { topic: "Searchable" } });
      const all = await lg.threads.search({ metadata: { tag }, limit: 10 });
      expect(all.map((t) => t.thread_id).sort()).toEqual([a.thread_id, b.thread_id].sort());
      expect((await lg.threads.search({ metadata: { tag }, status: "interrupted" })).map((t) => t.thread_id)).toEqual([b.thread_id]);
      expect((await lg.threads.search({ metadata: { tag }, status: "idle" })).map((t) => t.thread_id)).toEqual([a.thread_id]);
      expect((await lg.threads.search({ metadata: { tag }, values: { topic: "Searchable" } })).map((t) => t.thread_id)).toEqual([b.thread_id]);
      expect((await lg.threads.search({ metadata: { tag, graph_id: "approval" } })).map((t) => t.thread_id)).toEqual([b.thread_id]);
      const asc = await lg.threads.search({ metadata: { tag }, sortBy: "created_at", sortOrder: "asc", limit: 1, offset: 1 });
      expect(asc.map((t) => t.thread_id)).toEqual([b.thread_id]);
      expect(await lg.threads.count({ metadata: { tag } })).toBe(2);
      expect(await lg.threads.count({ metadata: { tag }, status: "interrupted" })).toBe(2 - 1);
    });
  });

  describe("runs on the approval graph (dynamic interrupt)", () => {
    it("wait, resume with a Command, state with tasks and interrupts, history paging, join", async () => {
      const t = await lg.threads.create();
      const paused: any = await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Checkpoints" } });
      expect(paused.draft).toContain("Checkpoints");
      const interruptId = paused.__interrupt__[0].id;
      const state = await lg.threads.getState(t.thread_id);
      expect(state.next).toEqual(["review"]);
      expect(state.tasks[0]).toMatchObject({ name: "review", interrupts: [{ id: interruptId }] });
      expect((state as any).interrupts).toEqual([expect.objectContaining({ id: interruptId })]);
      expect(state.checkpoint).toMatchObject({ thread_id: t.thread_id, checkpoint_ns: "" });
      expect(state.parent_checkpoint?.checkpoint_id).toBeTruthy();
      const thread = await lg.threads.get(t.thread_id);
      expect(Object.values(thread.interrupts)[0]).toEqual([expect.objectContaining({ id: interruptId })]);

      const done: any = await lg.runs.wait(t.thread_id, "approval", { command: { resume: { action: "approve" } } });
      expect(done.published).toBe(true);
      expect((await lg.threads.get(t.thread_id)).status).toBe("idle");

      const page1 = await lg.threads.getHistory(t.thread_id, { limit: 2 });
      expect(page1).toHaveLength(2);
      expect(page1[0].values).toMatchObject({ published: true });
      expect(page1[0].metadata).toMatchObject({ source: "loop", writes: { publish: { published: true } } });
      const page2 = await lg.threads.getHistory(t.thread_id, {
        limit: 100,
        before: { configurable: { checkpoint_id: page1[1].checkpoint.checkpoint_id } } as any,
      });
      expect(page2[0].checkpoint.checkpoint_id).toBe(page1[1].parent_checkpoint?.checkpoint_id);
      const all = await lg.threads.getHistory(t.thread_id, { limit: 100 });
      expect(all.length).toBe(2 + page2.length);
      expect(all[all.length - 1].metadata).toMatchObject({ source: "input" });
      const inputs = await lg.threads.getHistory(t.thread_id, { limit: 100, metadata: { source: "input" } });
      expect(inputs).toHaveLength(1);
      // The same checkpoints in the native API.
      const native = await api.get(`/api/threads/${t.thread_id}/history?limit=100`);
      expect(native.body.checkpoints.map((c: any) => c.checkpointId)).toEqual(all.map((s) => s.checkpoint.checkpoint_id));

      // A background run, its record, join.
      const t2 = await lg.threads.create();
      const run = await lg.runs.create(t2.thread_id, "approval", { input: { topic: "Joined" }, metadata: { who: "test" } });
      expect(run).toMatchObject({ thread_id: t2.thread_id, status: expect.stringMatching(/running|interrupted/), metadata: { who: "test" } });
      const joined: any = await lg.runs.join(t2.thread_id, run.run_id);
      expect(joined.__interrupt__).toHaveLength(1);
      expect(await lg.runs.get(t2.thread_id, run.run_id)).toMatchObject({ status: "interrupted", assistant_id: expect.any(String) });
      expect((await lg.runs.list(t2.thread_id)).map((r) => r.run_id)).toEqual([run.run_id]);
      // 409 while running is covered below; resuming with nothing pending is refused.
      const idle = await lg.threads.create();
      await lg.runs.wait(idle.thread_id, "approval", { input: { topic: "x" } });
      await lg.runs.wait(idle.thread_id, "approval", { command: { resume: { action: "approve" } } });
      expect((await httpError(lg.runs.wait(idle.thread_id, "approval", { command: { resume: { action: "approve" } } }))).status).toBe(409);
    });

    it("update state with and without as_node and on an old checkpoint (a new branch); 422 on a bad value", async () => {
      const t = await lg.threads.create();
      await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Edits" } });
      const before = await lg.threads.getState(t.thread_id);
      const edited = await lg.threads.updateState(t.thread_id, { values: { draft: "Edited by hand" } });
      expect(edited.configurable).toMatchObject({ thread_id: t.thread_id, checkpoint_id: expect.any(String) });
      const after = await lg.threads.getState(t.thread_id);
      expect(after.values).toMatchObject({ draft: "Edited by hand" });
      expect(after.next).toEqual(["review"]);
      const asNode = await lg.threads.updateState(t.thread_id, { values: { draft: "As draft" }, asNode: "draft" });
      const s2 = await lg.threads.getState(t.thread_id, asNode.configurable!.checkpoint_id!);
      expect(s2.next).toEqual(["review"]);
      expect(s2.metadata).toMatchObject({ source: "update" });
      // On an old checkpoint: a branch whose parent is that checkpoint.
      const first = (await lg.threads.getHistory(t.thread_id, { limit: 100 })).at(-1)!;
      const branch = await lg.threads.updateState(t.thread_id, { values: { topic: "Branched" }, checkpointId: first.checkpoint.checkpoint_id! });
      const b = await lg.threads.getState(t.thread_id, { checkpoint_id: branch.configurable!.checkpoint_id } as any);
      expect(b.parent_checkpoint?.checkpoint_id).toBe(first.checkpoint.checkpoint_id);
      expect(b.values).toMatchObject({ topic: "Branched" });
      expect(before.values).toMatchObject({ topic: "Edits" });
      const bad = await httpError(lg.threads.updateState(t.thread_id, { values: { revisions: "many" } }));
      expect(bad.status).toBe(422);
      expect((await httpError(lg.threads.updateState(t.thread_id, { values: {}, asNode: "nope" }))).status).toBe(422);
      expect((await httpError(lg.threads.getState(t.thread_id, "00000000-0000-0000-0000-000000000000"))).status).toBe(404);
    });

    it("copies the whole history into a new thread", async () => {
      const t = await lg.threads.create({ metadata: { src: true } });
      await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Copied" } });
      const copy = await lg.threads.copy(t.thread_id);
      expect(copy.thread_id).not.toBe(t.thread_id);
      expect(copy.status).toBe("interrupted");
      const [h1, h2] = await Promise.all([lg.threads.getHistory(t.thread_id, { limit: 100 }), lg.threads.getHistory(copy.thread_id, { limit: 100 })]);
      expect(h2.map((s) => s.values)).toEqual(h1.map((s) => s.values));
      expect(h2.map((s) => s.next)).toEqual(h1.map((s) => s.next));
      const done: any = await lg.runs.wait(copy.thread_id, "approval", { command: { resume: { action: "reject", feedback: "More" } } });
      expect(done.__interrupt__).toHaveLength(1);
      expect((await lg.threads.getState(t.thread_id)).values).toMatchObject({ revisions: 0 });
    });
  });

  describe("streams", () => {
    it("streams values, updates, debug, checkpoints and tasks on the research graph, and stops at its static interrupt", async () => {
      const t = await lg.threads.create();
      const parts = await collect(
        lg.runs.stream(t.thread_id, "research", {
          input: { question: "Durable runs" },
          streamMode: ["values", "updates", "debug", "checkpoints", "tasks"],
        }),
      );
      const events = parts.map((p) => p.event);
      expect(events[0]).toBe("metadata");
      expect(parts[0].data).toMatchObject({ run_id: expect.any(String) });
      const updates = parts.filter((p) => p.event === "updates").map((p) => Object.keys(p.data)[0]);
      expect(updates).toEqual(expect.arrayContaining(["plan", "search_web", "search_papers", "search_code", "merge"]));
      const values = parts.filter((p) => p.event === "values");
      expect(values.at(-1)!.data.sources).toHaveLength(6);
      expect(parts.find((p) => p.event === "updates" && p.data.__interrupt__)?.data).toEqual({ __interrupt__: [] });
      expect(events).toContain("debug");
      expect(events).toContain("checkpoints");
      expect(events).toContain("tasks");
      const state = await lg.threads.getState(t.thread_id);
      expect(state.next).toEqual(["write_report"]);
      expect((await lg.threads.get(t.thread_id)).status).toBe("interrupted");
      // A static interrupt continues with no input.
      const done: any = await lg.runs.wait(t.thread_id, "research", { input: null });
      expect(done.report).toContain("Durable runs");
    });

    it("streams a chat with messages-tuple, an __interrupt__ update at the tool approval, then resumes with a Command", async () => {
      const t = await lg.threads.create();
      const parts = await collect(
        lg.runs.stream(t.thread_id, "chat", {
          input: { messages: [{ type: "human", content: "what is 6 * 7" }] },
          streamMode: ["messages-tuple", "updates", "values"],
        }),
      );
      const messages = parts.filter((p) => p.event === "messages");
      expect(messages[0].data[0]).toMatchObject({ type: "ai", tool_calls: [{ name: "calculator", args: { expression: "6 * 7" } }] });
      expect(messages[0].data[1]).toMatchObject({ langgraph_node: "agent" });
      const interrupt = parts.find((p) => p.event === "updates" && p.data.__interrupt__);
      expect(interrupt!.data.__interrupt__[0].value).toMatchObject({ action_request: { action: "calculator" } });
      const resumed = await collect(
        lg.runs.stream(t.thread_id, "chat", {
          command: { resume: [{ type: "accept", args: null }] },
          streamMode: ["messages-tuple", "values", "custom"],
        }),
      );
      expect(resumed.find((p) => p.event === "custom")?.data).toMatchObject({ tool: "calculator", status: "running" });
      const texts = resumed.filter((p) => p.event === "messages").map((p) => p.data[0]);
      expect(texts).toContainEqual(expect.objectContaining({ type: "tool", content: "42" }));
      // The answer comes token by token (AIMessageChunk), as a model's would; the chunks add up to the stored message.
      const chunks = texts.filter((m) => m.type === "AIMessageChunk");
      expect(chunks.length).toBeGreaterThan(3);
      expect(new Set(chunks.map((m) => m.id)).size).toBe(1);
      const answer = chunks.map((m) => m.content).join("");
      expect(answer).toBe("The calculator says: 42");
      const final = resumed.filter((p) => p.event === "values").at(-1)!.data;
      expect(final.messages.map((m: any) => m.type)).toEqual(["human", "ai", "tool", "ai"]);
      expect(final.messages.at(-1)).toMatchObject({ id: chunks[0].id, content: answer });
    });

    it("joins a resumable run's stream with Last-Event-ID replay; 409 for a second run; cancel", async () => {
      const t = await lg.threads.create();
      const run = await lg.runs.create(t.thread_id, "pipeline", { input: { steps: 4, stepMs: 300 }, streamResumable: true, streamMode: ["values"] });
      expect((await httpError(lg.runs.create(t.thread_id, "pipeline", { input: { steps: 1, stepMs: 0 } }))).status).toBe(409);
      const all = await collect(lg.runs.joinStream(t.thread_id, run.run_id, { streamMode: ["values"] }));
      expect(all[0].event).toBe("metadata");
      const values = all.filter((p) => p.event === "values");
      expect(values.length).toBeGreaterThanOrEqual(4);
      const replay = await collect(lg.runs.joinStream(t.thread_id, run.run_id, { streamMode: ["values"], lastEventId: String((all[1] as any).id) }));
      expect(replay.filter((p) => p.event === "values").length).toBe(values.length - 1);
      expect((await lg.runs.get(t.thread_id, run.run_id)).status).toBe("success");

      const long = await lg.runs.create(t.thread_id, "pipeline", { input: { steps: 50, stepMs: 200 } });
      await lg.runs.cancel(t.thread_id, long.run_id, true);
      expect(await lg.runs.get(t.thread_id, long.run_id)).toMatchObject({ status: "interrupted" });
      expect((await lg.threads.get(t.thread_id)).status).toBe("idle");
      expect((await httpError(lg.runs.cancel(t.thread_id, long.run_id))).status).toBe(409);
      expect((await httpError(lg.runs.get(t.thread_id, "nope"))).status).toBe(404);

      // Stopped from the dashboard (the native cancel): the protocol's run record ends "interrupted" as well.
      const other = await lg.runs.create(t.thread_id, "pipeline", { input: { steps: 50, stepMs: 200 } });
      expect((await api.post(`/api/threads/${t.thread_id}/runs/cancel`, {})).status).toBe(200);
      await expect.poll(async () => (await lg.runs.get(t.thread_id, other.run_id)).status).toBe("interrupted");
      expect((await lg.threads.get(t.thread_id)).status).toBe("idle");
    });
  });

  describe("stateless runs", () => {
    it("wait and stream without a thread: a thread of their own, deleted afterwards unless on_completion is keep", async () => {
      const out: any = await lg.runs.wait(null, "research", { input: { question: "Stateless" } });
      expect(out.sources).toHaveLength(6);
      const parts = await collect(lg.runs.stream(null, "chat", { input: { messages: [{ type: "human", content: "hi" }] }, streamMode: ["values"] }));
      expect(
        parts
          .filter((p) => p.event === "values")
          .at(-1)!
          .data.messages.at(-1),
      ).toMatchObject({ type: "ai" });
      expect(parts.at(-1)!.event).toBe("end");
      let kept = "";
      await lg.runs.wait(null, "approval", {
        input: { topic: "Kept" },
        onCompletion: "keep",
        onRunCreated: (m: { thread_id?: string }) => (kept = m.thread_id ?? ""),
      } as never);
      expect((await lg.threads.get(kept)).status).toBe("interrupted");
      expect(await lg.threads.count({ values: { question: "Stateless" } })).toBe(0);
    });
  });

  describe("multitask, replay and the thread stream", () => {
    it("multitask_strategy interrupt cancels the active run; the cancel endpoint's rollback removes its checkpoints", async () => {
      const t = await lg.threads.create();
      const first = await lg.runs.create(t.thread_id, "pipeline", { input: { steps: 50, stepMs: 200 } });
      const second: any = await lg.runs.wait(t.thread_id, "pipeline", { input: { steps: 1, stepMs: 0 }, multitaskStrategy: "interrupt" });
      expect(second).toBeTruthy();
      expect(await lg.runs.get(t.thread_id, first.run_id)).toMatchObject({ status: "interrupted" });
      const runs = await lg.runs.list(t.thread_id);
      expect(runs.map((r) => r.status)).toEqual(["success", "interrupted"]);

      const before = (await lg.threads.getHistory(t.thread_id, { limit: 1000 })).length;
      const long = await lg.runs.create(t.thread_id, "pipeline", { input: { steps: 50, stepMs: 150 } });
      await new Promise((r) => setTimeout(r, 700));
      await lg.runs.cancel(t.thread_id, long.run_id, true, "rollback");
      expect((await lg.threads.getHistory(t.thread_id, { limit: 1000 })).length).toBe(before);
      expect((await httpError(lg.runs.get(t.thread_id, long.run_id))).status).toBe(404);
    });

    it("replays from an old checkpoint (checkpoint_id) as a new branch", async () => {
      const t = await lg.threads.create();
      await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Replay" } });
      await lg.runs.wait(t.thread_id, "approval", { command: { resume: { action: "approve" } } });
      const history = await lg.threads.getHistory(t.thread_id, { limit: 100 });
      const atReview = history.find((s) => s.tasks.some((k) => k.interrupts.length))!;
      const again: any = await lg.runs.wait(t.thread_id, "approval", {
        checkpointId: atReview.checkpoint.checkpoint_id!,
        command: { resume: { action: "reject", feedback: "Again" } },
      });
      expect(again.__interrupt__).toHaveLength(1);
      expect(again.revisions).toBe(1);
      const branch = await lg.threads.getHistory(t.thread_id, {
        limit: 100,
        checkpoint: { checkpoint_id: (await lg.threads.getState(t.thread_id)).checkpoint.checkpoint_id } as any,
      });
      expect(branch.map((s) => s.checkpoint.checkpoint_id)).toContain(atReview.checkpoint.checkpoint_id);
      expect(branch.some((s) => (s.values as any).published)).toBe(false);
    });

    it("the thread stream carries the events of runs started after it opened", async () => {
      const t = await lg.threads.create();
      const abort = new AbortController();
      const seen: { event: string; data: any }[] = [];
      const reading = (async () => {
        try {
          for await (const part of lg.threads.joinStream(t.thread_id, { streamMode: ["run_modes"], signal: abort.signal })) {
            seen.push(part);
            if (part.event === "updates" && part.data.__interrupt__) abort.abort();
          }
        } catch {
          /* aborted */
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      const run = await lg.runs.create(t.thread_id, "approval", { input: { topic: "Watched" }, streamMode: ["values", "updates"] });
      await lg.runs.join(t.thread_id, run.run_id);
      await Promise.race([reading, new Promise((r) => setTimeout(r, 5000))]);
      abort.abort();
      expect(seen.some((p) => p.event === "metadata")).toBe(true);
      expect(seen.some((p) => p.event === "updates" && p.data.draft)).toBe(true);
      expect(seen.some((p) => p.event === "values" && p.data.topic === "Watched")).toBe(true);
    });

    it("protocol calls are in the audit trail under the caller's name", async () => {
      const t = await lg.threads.create();
      await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Audited" } });
      await lg.runs.wait(t.thread_id, "approval", { command: { resume: { action: "approve", comment: "ok" } } });
      const audit = await api.get(`/api/audit?threadId=${t.thread_id}`);
      const actions = audit.body.entries.map((e: any) => e.action);
      expect(actions).toEqual(expect.arrayContaining(["thread_create", "run_start", "decide"]));
      expect(audit.body.entries.every((e: any) => e.actorName === "admin token")).toBe(true);
    });
  });

  describe("errors, auth and CORS", () => {
    it("answers the SDK's error shape: 404 unknown thread, 422 input the graph rejects, 401 without a token", async () => {
      const missing = await httpError(lg.threads.get("no-such-thread"));
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.message.replace(/^HTTP 404: /, ""))).toMatchObject({ detail: expect.stringContaining("no-such-thread") });
      const t = await lg.threads.create();
      expect((await httpError(lg.runs.wait(t.thread_id, "approval", { input: { topic: "" } }))).status).toBe(422);
      const anon = new Client({ apiUrl: `${server.url}/api/langgraph`, apiKey: null, callerOptions: { maxRetries: 0 } });
      expect((await httpError(anon.threads.search())).status).toBe(401);
      const bearer = new Client({
        apiUrl: `${server.url}/api/langgraph`,
        apiKey: null,
        defaultHeaders: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect(Array.isArray(await bearer.threads.search())).toBe(true);
    });

    it("a failing node: wait raises the SDK's error, the thread is error, the task carries it; fixing the state and continuing works", async () => {
      const t = await lg.threads.create();
      const err = await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Fails", failDraft: true } }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toContain("draft writer is down");
      expect((await lg.threads.get(t.thread_id)).status).toBe("error");
      const state = await lg.threads.getState(t.thread_id);
      expect(state.tasks[0]).toMatchObject({ name: "draft", error: expect.stringContaining("draft writer is down") });
      const raw: any = await lg.runs.wait(t.thread_id, "approval", { input: null, raiseError: false });
      expect(raw.__error__).toMatchObject({ message: expect.stringContaining("draft writer") });
      await lg.threads.updateState(t.thread_id, { values: { failDraft: false } });
      const ok: any = await lg.runs.wait(t.thread_id, "approval", { input: null });
      expect(ok.__interrupt__).toHaveLength(1);
    });

    it("ignores fields it does not know (as the reference server does), refuses malformed JSON with 400", async () => {
      const t = await lg.threads.create();
      const post = (path: string, body: string) =>
        fetch(`${server.url}/api/langgraph${path}`, {
          method: "POST",
          headers: { "x-api-key": TEST_ADMIN_TOKEN, "content-type": "application/json" },
          body,
        });
      const ok = await post(
        `/threads/${t.thread_id}/runs/wait`,
        JSON.stringify({ assistant_id: "approval", input: { topic: "Extra" }, webhook: null, durability: "async", future_field: { x: 1 } }),
      );
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-location")).toMatch(new RegExp(`^/threads/${t.thread_id}/runs/`));
      expect((await ok.json()).__interrupt__).toHaveLength(1);
      const bad = await post(`/threads/${t.thread_id}/runs/wait`, "{not json");
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ detail: expect.stringContaining("JSON") });
      const missing = await post(`/threads/${t.thread_id}/runs/wait`, JSON.stringify({ input: {} }));
      expect(missing.status).toBe(400);
      expect((await missing.json()).detail).toContain("assistant_id");
    });

    it("API tokens keep their role and graph scope over the protocol, and the audit trail names their owner", async () => {
      const stamp = Date.now();
      const user = await api.post("/api/users", { name: `Vera ${stamp}`, email: `vera${stamp}@lg.test`, password: "password123", role: "operator" });
      expect(user.status).toBe(201);
      const tokenFor = async (role: string, graphs?: string[]) =>
        (await api.post("/api/tokens", { name: `${role} ${stamp}`, role, userId: user.body.id, ...(graphs ? { graphs } : {}) })).body.token as string;
      const sdkWith = (key: string) => new Client({ apiUrl: `${server.url}/api/langgraph`, apiKey: key, callerOptions: { maxRetries: 0 } });
      const viewer = sdkWith(await tokenFor("viewer"));
      const chatOnly = sdkWith(await tokenFor("operator", ["chat"]));
      const t = await lg.threads.create();
      await lg.runs.wait(t.thread_id, "approval", { input: { topic: "Scoped" } });
      expect((await viewer.threads.getState(t.thread_id)).next).toEqual(["review"]);
      expect((await httpError(viewer.threads.create())).status).toBe(403);
      expect((await httpError(viewer.runs.wait(t.thread_id, "approval", { command: { resume: { action: "approve" } } }))).status).toBe(403);
      // A token limited to the chat graph sees neither the approval assistant nor its threads.
      expect((await chatOnly.assistants.search()).map((a) => a.graph_id)).toEqual(["chat"]);
      expect((await httpError(chatOnly.threads.get(t.thread_id))).status).toBe(403);
      const mine = await chatOnly.threads.create(); // bound to its only graph at once
      await chatOnly.runs.wait(mine.thread_id, "chat", { input: { messages: [{ type: "human", content: "hi" }] } });
      expect((await chatOnly.threads.get(mine.thread_id)).metadata).toMatchObject({ graph_id: "chat" });
      const audit = await api.get(`/api/audit?threadId=${mine.thread_id}`);
      expect(audit.body.entries.map((e: any) => e.actorName)).toContain(`Vera ${stamp} (token operator ${stamp})`);
      // A client that goes away cancels its run when it asked for that (on_disconnect: "cancel").
      const t2 = await lg.threads.create();
      const abort = new AbortController();
      let runId = "";
      try {
        for await (const part of lg.runs.stream(t2.thread_id, "pipeline", {
          input: { steps: 50, stepMs: 200 },
          onDisconnect: "cancel",
          signal: abort.signal,
        })) {
          if (part.event === "metadata") runId = (part.data as { run_id: string }).run_id;
          if (part.event === "values") abort.abort();
        }
      } catch {
        /* aborted */
      }
      await expect.poll(async () => (await lg.runs.get(t2.thread_id, runId)).status, { timeout: 10_000 }).toBe("interrupted");
    });

    it("answers preflights for allowed origins only, and adds CORS headers to answers", async () => {
      const pre = await fetch(`${server.url}/api/langgraph/threads/search`, {
        method: "OPTIONS",
        headers: { origin: "http://ui.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-api-key" },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("http://ui.example");
      expect(pre.headers.get("access-control-allow-headers")).toContain("x-api-key");
      const denied = await fetch(`${server.url}/api/langgraph/threads/search`, { method: "OPTIONS", headers: { origin: "http://evil.example" } });
      expect(denied.status).toBe(403);
      const res = await fetch(`${server.url}/api/langgraph/info`, { headers: { origin: "http://ui.example" } });
      expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.example");
      const other = await fetch(`${server.url}/api/langgraph/info`, { headers: { origin: "http://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    });
  });
});
