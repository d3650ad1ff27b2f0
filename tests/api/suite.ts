/**
 * The HTTP API suite, run against a real `next start` server on each store (see sqlite.test.ts,
 * postgres.test.ts). Every route, every error status, and "bad input changes nothing".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authHeaders, client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, TEST_ADMIN_TOKEN, type Server } from "./helpers/server";
import type { TestStore } from "./helpers/stores";

export function apiSuite(makeStore: () => Promise<TestStore>) {
  let store: TestStore;
  let server: Server;
  let api: Client;

  beforeAll(async () => {
    ensureBuilt();
    store = await makeStore();
    server = await startServer(store.env);
    api = client(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  const waitStatus = (threadId: string, statuses: string[]) => api.until(`/api/threads/${threadId}`, (t: any) => statuses.includes(t.status));
  const checkpointCount = async (threadId: string) => (await api.get(`/api/threads/${threadId}`)).body.checkpointCount;

  describe("health and graphs", () => {
    it("reports health and the store in use", async () => {
      const r = await api.get("/api/health");
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ok: true, store: store.name });
    });

    it("lists the three demo graphs with their structure and example input", async () => {
      const r = await api.get("/api/graphs");
      expect(r.status).toBe(200);
      const ids = r.body.graphs.map((g: any) => g.graphId);
      expect(ids).toEqual(expect.arrayContaining(["approval", "research", "pipeline"]));
      for (const g of r.body.graphs) {
        expect(g.exampleInput).toBeTypeOf("object");
        expect(g.structure.nodes.length).toBeGreaterThan(0);
      }
    });

    it("describes one graph: conditional edges and static interrupts", async () => {
      const approval = (await api.get("/api/graphs/approval")).body;
      expect(approval.structure.edges).toContainEqual(expect.objectContaining({ source: "review", target: "revise", conditional: true }));
      const research = (await api.get("/api/graphs/research")).body;
      expect(research.structure.interruptBefore).toEqual(["write_report"]);
      expect(research.structure.edges.filter((e: any) => e.source === "plan")).toHaveLength(3);
    });

    it("404s an unknown graph and an unknown API path, as JSON", async () => {
      const r = await api.get("/api/graphs/nope");
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("GRAPH_NOT_FOUND");
      const u = await api.get("/api/nothing-here");
      expect(u.status).toBe(404);
      expect(u.body.error).toMatchObject({ code: "NOT_FOUND" });
    });
  });

  describe("approval journey", () => {
    let threadId: string;

    it("creates a thread and runs it to the review interrupt", async () => {
      const r = await api.post("/api/threads", { graphId: "approval", input: { topic: "Checkpoints" }, metadata: { owner: "test" } });
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ graphId: "approval", metadata: { owner: "test" } });
      threadId = r.body.threadId;
      const t = await waitStatus(threadId, ["interrupted"]);
      expect(t.interrupts).toHaveLength(1);
      expect(t.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic" });
      expect(t.interrupts[0].value.draft).toContain("Checkpoints");
      expect(t.headCheckpointId).toBeTruthy();
    });

    it("rejects with feedback (wait: true) and loops back to review", async () => {
      const r = await api.post(`/api/threads/${threadId}/runs`, { command: { resume: { action: "reject", feedback: "More detail" } }, wait: true });
      expect(r.status).toBe(200);
      expect(r.body.thread.status).toBe("interrupted");
      expect(r.body.state.values).toMatchObject({ revisions: 1, feedback: ["More detail"] });
      expect(r.body.state.values.draft).toContain("More detail");
      expect(r.body.state.next).toEqual(["review"]);
    });

    it("approves and publishes", async () => {
      const r = await api.post(`/api/threads/${threadId}/runs`, { command: { resume: { action: "approve" } }, wait: true });
      expect(r.status).toBe(200);
      expect(r.body.run.status).toBe("done");
      expect(r.body.thread.status).toBe("done");
      expect(r.body.state.values.published).toBe(true);
      expect(r.body.state.values.log.at(-1)).toMatch(/^publish/);
    });

    it("serves the state, a checkpoint and the diff against its parent", async () => {
      const s = await api.get(`/api/threads/${threadId}/state`);
      expect(s.status).toBe(200);
      const cp = s.body.checkpoint;
      expect(cp).toMatchObject({ threadId, nodeName: "publish", next: [] });
      for (const k of ["checkpointId", "parentId", "version", "step", "values", "interrupts", "metadata", "createdAt"]) expect(cp).toHaveProperty(k);
      const one = await api.get(`/api/threads/${threadId}/checkpoints/${cp.checkpointId}`);
      expect(one.body).toEqual(cp);
      const d = await api.get(`/api/threads/${threadId}/checkpoints/${cp.checkpointId}/diff`);
      expect(d.status).toBe(200);
      expect(d.body.againstId).toBe(cp.parentId);
      expect(d.body.changes).toContainEqual({ path: ["published"], type: "change", before: false, after: true });
      const first = (await api.get(`/api/threads/${threadId}/history?limit=1000`)).body.checkpoints.at(-1);
      const d2 = await api.get(`/api/threads/${threadId}/checkpoints/${cp.checkpointId}/diff?against=${first.checkpointId}`);
      expect(d2.body.changes.map((c: any) => c.path[0])).toEqual(expect.arrayContaining(["draft", "published", "revisions"]));
    });

    it("pages history newest first, with a summary form and a branch filter", async () => {
      const all = (await api.get(`/api/threads/${threadId}/history?limit=1000`)).body;
      const versions = all.checkpoints.map((c: any) => c.version);
      expect(versions).toEqual([...versions].sort((a, b) => b - a));
      expect(all.nextCursor).toBeNull();
      const p1 = (await api.get(`/api/threads/${threadId}/history?limit=3&fields=summary`)).body;
      expect(p1.checkpoints).toHaveLength(3);
      expect(p1.checkpoints[0]).not.toHaveProperty("values");
      expect(p1.checkpoints[0].metadata.writes.every((w: any) => !("value" in w))).toBe(true);
      const p2 = (await api.get(`/api/threads/${threadId}/history?limit=3&before=${p1.nextCursor}`)).body;
      expect(p2.checkpoints.map((c: any) => c.version)).toEqual(versions.slice(3, 6));
      // Branch filter: from a middle checkpoint, only it and its ancestors.
      const mid = all.checkpoints[4];
      const branch = (await api.get(`/api/threads/${threadId}/history?checkpointId=${mid.checkpointId}&limit=1000`)).body.checkpoints;
      expect(branch[0].checkpointId).toBe(mid.checkpointId);
      expect(branch.at(-1).parentId).toBeNull();
      for (let i = 0; i + 1 < branch.length; i++) expect(branch[i].parentId).toBe(branch[i + 1].checkpointId);
      const b1 = (await api.get(`/api/threads/${threadId}/history?checkpointId=${mid.checkpointId}&limit=2&fields=summary`)).body;
      const b2 = (await api.get(`/api/threads/${threadId}/history?checkpointId=${mid.checkpointId}&limit=2&before=${b1.nextCursor}`)).body;
      expect([...b1.checkpoints, ...b2.checkpoints].map((c: any) => c.checkpointId)).toEqual(branch.slice(0, 4).map((c: any) => c.checkpointId));
    });

    it("edits an old checkpoint as a new branch, and forks in place and into a new thread", async () => {
      const all = (await api.get(`/api/threads/${threadId}/history?limit=1000`)).body.checkpoints;
      const atReview = all.find((c: any) => c.interrupts.length > 0);
      const edit = await api.post(`/api/threads/${threadId}/state`, {
        values: { topic: "Branches" },
        checkpointId: atReview.checkpointId,
        reason: "new angle",
      });
      expect(edit.status).toBe(201);
      // The actor is the authenticated caller (here the admin token), never a name from the body.
      expect(edit.body.checkpoint).toMatchObject({
        parentId: atReview.checkpointId,
        nodeName: "__update__",
        metadata: { actor: "admin token", actorId: "admin-token", reason: "new angle" },
      });
      expect(edit.body.checkpoint.values.topic).toBe("Branches");

      const inPlace = await api.post(`/api/threads/${threadId}/fork`, { checkpointId: atReview.checkpointId });
      expect(inPlace.status).toBe(201);
      expect(inPlace.body.checkpoint).toMatchObject({ threadId, parentId: atReview.checkpointId, nodeName: "__fork__" });

      const copy = await api.post(`/api/threads/${threadId}/fork`, {
        checkpointId: atReview.checkpointId,
        newThread: true,
        values: { topic: "Copied" },
      });
      expect(copy.status).toBe(201);
      const newId = copy.body.thread.threadId;
      expect(newId).not.toBe(threadId);
      expect(copy.body.checkpoint).toMatchObject({ threadId: newId, parentId: null });
      expect(copy.body.thread.metadata.forkedFrom).toEqual({ threadId, checkpointId: atReview.checkpointId, version: atReview.version });
      // The copy continues on its own: answer its pending review.
      const run = await api.post(`/api/threads/${newId}/runs`, { command: { resume: { action: "edit", draft: "Edited text" } }, wait: true });
      expect(run.status).toBe(200);
      expect(run.body.state.values).toMatchObject({ draft: "Edited text", published: true, topic: "Copied" });
      expect((await api.get(`/api/threads/${newId}/history`)).body.checkpoints.at(-1).parentId).toBeNull();
    });
  });

  describe("research fan-out and static interrupt", () => {
    it("runs three searches in one step, stops before write_report, then finishes", async () => {
      const r = await api.post("/api/threads", { graphId: "research", input: { question: "durable workflows" } });
      const t = await waitStatus(r.body.threadId, ["interrupted"]);
      expect(t.interrupts[0]).toMatchObject({ node: "write_report", kind: "before" });
      const state = (await api.get(`/api/threads/${t.threadId}/state`)).body;
      expect(state.values.findings).toHaveLength(6);
      const hist = (await api.get(`/api/threads/${t.threadId}/history?limit=100`)).body.checkpoints;
      expect(hist.some((c: any) => c.nodeName.split(",").length === 3)).toBe(true);
      const done = await api.post(`/api/threads/${t.threadId}/runs`, { wait: true });
      expect(done.body.thread.status).toBe("done");
      expect(done.body.state.values.report).toContain("durable workflows");
    });
  });

  describe("failure and retry", () => {
    it("records a failing step on the thread; an edit then a retry finishes it", async () => {
      const r = await api.post("/api/threads", { graphId: "pipeline" });
      expect(r.body.status).toBe("idle");
      const id = r.body.threadId;
      const noInput = await api.post(`/api/threads/${id}/runs`, {});
      expect(noInput.status).toBe(400);
      const failed = await api.post(`/api/threads/${id}/runs`, { input: { steps: 3, stepMs: 0, failAt: 2 }, wait: true });
      expect(failed.status).toBe(200);
      expect(failed.body.run.status).toBe("error");
      expect(failed.body.thread.status).toBe("error");
      expect(failed.body.thread.error).toMatchObject({ node: "work" });
      expect(failed.body.thread.error.message).toContain("failAt");
      const again = await api.post(`/api/threads/${id}/runs`, { wait: true });
      expect(again.body.thread.status).toBe("error");
      const edit = await api.post(`/api/threads/${id}/state`, { values: { failAt: null }, reason: "fixed" });
      expect(edit.status).toBe(201);
      const ok = await api.post(`/api/threads/${id}/runs`, { wait: true });
      expect(ok.body.thread).toMatchObject({ status: "done", error: null });
      expect(ok.body.state.values.completed).toEqual([1, 2, 3]);
    });

    it("a failed search in a fan-out is retried alone: the siblings' results are kept, not redone", async () => {
      const r = await api.post("/api/threads", { graphId: "research", input: { question: "retry", failSearch: "papers" } });
      const failed = await waitStatus(r.body.threadId, ["error"]);
      expect(failed.error.node).toBe("search_papers");
      await api.post(`/api/threads/${failed.threadId}/state`, { values: { failSearch: null } });
      const ok = await api.post(`/api/threads/${failed.threadId}/runs`, { wait: true });
      expect(ok.body.thread.status).toBe("interrupted");
      const sources = ok.body.state.values.findings.map((f: any) => f.source).sort();
      expect(sources).toEqual(["code", "code", "papers", "papers", "web", "web"]);
    });
  });

  describe("threads listing, events and deletion", () => {
    it("filters and pages threads", async () => {
      for (let i = 0; i < 3; i++) await api.post("/api/threads", { graphId: "pipeline", metadata: { i } });
      const idle = (await api.get("/api/threads?graphId=pipeline&status=idle")).body.threads;
      expect(idle.length).toBeGreaterThanOrEqual(3);
      expect(idle.every((t: any) => t.graphId === "pipeline" && t.status === "idle")).toBe(true);
      const p1 = (await api.get("/api/threads?limit=2")).body;
      expect(p1.threads).toHaveLength(2);
      expect(p1.nextCursor).toBeTruthy();
      const p2 = (await api.get(`/api/threads?limit=2&cursor=${encodeURIComponent(p1.nextCursor)}`)).body;
      const ids1 = p1.threads.map((t: any) => t.threadId);
      expect(p2.threads.every((t: any) => !ids1.includes(t.threadId))).toBe(true);
    });

    it("streams server-sent events for checkpoints, interrupts and the run's end", async () => {
      const r = await api.post("/api/threads", { graphId: "approval" });
      const id = r.body.threadId;
      const ac = new AbortController();
      const res = await fetch(`${server.url}/api/threads/${id}/events`, { signal: ac.signal, headers: authHeaders(server.url, TEST_ADMIN_TOKEN) });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = res.body!.getReader();
      const seen: string[] = [];
      let text = "";
      const reading = (async () => {
        const dec = new TextDecoder();
        while (!seen.includes("run_ended")) {
          const { value, done } = await reader.read();
          if (done) break;
          text += dec.decode(value, { stream: true });
          for (const m of text.matchAll(/^event: (\w+)$/gm)) if (!seen.includes(m[1]) || m[1] === "checkpoint") seen.push(m[1]);
          text = text.slice(text.lastIndexOf("\n\n") + 2);
        }
      })();
      await new Promise((r) => setTimeout(r, 200));
      await api.post(`/api/threads/${id}/runs`, { input: { topic: "Live" } });
      await Promise.race([reading, new Promise((_, rej) => setTimeout(() => rej(new Error(`events seen: ${seen}`)), 20_000))]);
      ac.abort();
      expect(seen[0]).toBe("thread");
      expect(seen).toEqual(expect.arrayContaining(["run_started", "checkpoint", "interrupt", "run_ended"]));
    });

    it("deletes a thread while its run is going on", async () => {
      const r = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 50, stepMs: 200 } });
      await api.until(`/api/threads/${r.body.threadId}/state`, (s: any) => s.values.current >= 1);
      expect((await api.del(`/api/threads/${r.body.threadId}`)).status).toBe(200);
      await new Promise((res) => setTimeout(res, 500));
      expect((await api.get(`/api/threads/${r.body.threadId}`)).status).toBe(404);
    });

    it("deletes a thread", async () => {
      const r = await api.post("/api/threads", { graphId: "approval", input: { topic: "bye" } });
      await waitStatus(r.body.threadId, ["interrupted"]);
      const d = await api.del(`/api/threads/${r.body.threadId}`);
      expect(d.status).toBe(200);
      expect((await api.get(`/api/threads/${r.body.threadId}`)).status).toBe(404);
      expect((await api.get(`/api/threads/${r.body.threadId}/history`)).status).toBe(404);
    });
  });

  describe("storage accounting", () => {
    it("reports a finished thread's checkpoints: counts match its history, largest first", async () => {
      const r = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 30, stepMs: 0 } });
      const id = r.body.threadId;
      await waitStatus(id, ["done"]);
      const history = (await api.get(`/api/threads/${id}/history?limit=1000&fields=summary`)).body.checkpoints;
      const s = await api.get(`/api/threads/${id}/storage`);
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ threadId: id, backend: store.name, checkpoints: history.length });
      expect(s.body.checkpoints).toBe(await checkpointCount(id));
      expect(s.body.snapshots + s.body.deltas).toBe(s.body.checkpoints);
      expect(s.body.snapshots).toBeGreaterThanOrEqual(1);
      // A long run that appends to lists is stored mostly as deltas.
      expect(s.body.deltas).toBeGreaterThan(s.body.snapshots);
      expect(s.body.bytes).toBeGreaterThan(0);
      const largest = s.body.largest as { checkpointId: string; version: number; step: number; bytes: number; snapshot: boolean }[];
      expect(largest).toHaveLength(Math.min(10, history.length));
      const bytes = largest.map((l) => l.bytes);
      expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
      expect(bytes.every((b) => b > 0)).toBe(true);
      expect(bytes.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(s.body.bytes);
      const byId = new Map(history.map((c: any) => [c.checkpointId, c]));
      for (const l of largest) {
        expect(byId.get(l.checkpointId), l.checkpointId).toMatchObject({ version: l.version, step: l.step });
        expect(typeof l.snapshot).toBe("boolean");
      }
    });

    it("counts a thread without checkpoints as empty", async () => {
      const r = await api.post("/api/threads", { graphId: "pipeline" });
      const s = await api.get(`/api/threads/${r.body.threadId}/storage`);
      expect(s.status).toBe(200);
      expect(s.body).toMatchObject({ bytes: 0, checkpoints: 0, snapshots: 0, deltas: 0, largest: [] });
    });

    it("404s an unknown thread, 400s a bad id, 401s without credentials, 405s a write", async () => {
      const unknown = await api.get("/api/threads/no-such-thread/storage");
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe("THREAD_NOT_FOUND");
      for (const bad of ["x".repeat(300), "-leading-dash", "a..b"]) {
        const r = await api.get(`/api/threads/${bad}/storage`);
        expect(r.status, bad).toBe(400);
        expect(r.body.error.code, bad).toBe("INVALID_ID");
      }
      const anon = await client(server.url, null).get("/api/threads/no-such-thread/storage");
      expect(anon.status).toBe(401);
      const post = await api.post("/api/threads/no-such-thread/storage", {});
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET");
    });
  });

  describe("bad input gets a clear error and changes nothing", () => {
    let id: string;
    beforeAll(async () => {
      const r = await api.post("/api/threads", { graphId: "approval", input: { topic: "Errors" } });
      id = r.body.threadId;
      await waitStatus(id, ["interrupted"]);
    });

    const expectError = (r: { status: number; body: any }, status: number, code?: string) => {
      expect(r.status).toBe(status);
      expect(r.body.error.message).toBeTypeOf("string");
      expect(r.body.error.message.length).toBeGreaterThan(5);
      if (code) expect(r.body.error.code).toBe(code);
    };

    it("400: malformed JSON and bodies that fail validation", async () => {
      const before = await checkpointCount(id);
      expectError(await api.postRaw("/api/threads", "{not json"), 400, "INVALID_JSON");
      expectError(await api.postRaw(`/api/threads/${id}/state`, "[1,2"), 400, "INVALID_JSON");
      expectError(await api.post("/api/threads", { input: {} }), 400, "INVALID_BODY");
      expectError(await api.post("/api/threads", { graphId: "approval", extra: 1 }), 400, "INVALID_BODY");
      expectError(await api.post(`/api/threads/${id}/runs`, { wait: "yes" }), 400, "INVALID_BODY");
      expectError(await api.post(`/api/threads/${id}/state`, { values: [1, 2] }), 400, "INVALID_BODY");
      expectError(await api.post(`/api/threads/${id}/fork`, {}), 400, "INVALID_BODY");
      expectError(await api.get(`/api/threads/${id}/history?limit=0`), 400);
      expectError(await api.get(`/api/threads/${id}/history?limit=5000`), 400);
      expectError(await api.get(`/api/threads?status=weird`), 400);
      expect(await checkpointCount(id)).toBe(before);
    });

    it("404: unknown graph, thread and checkpoint", async () => {
      expectError(await api.post("/api/threads", { graphId: "nope", input: {} }), 404, "GRAPH_NOT_FOUND");
      expectError(await api.get("/api/threads/no-such-thread"), 404, "THREAD_NOT_FOUND");
      expectError(await api.post("/api/threads/no-such-thread/runs", { input: { topic: "x" } }), 404);
      expectError(await api.get("/api/threads/no-such-thread/state"), 404);
      expectError(await api.del("/api/threads/no-such-thread"), 404);
      expectError(await api.get(`/api/threads/${id}/checkpoints/0190a0a0-0000-7000-8000-000000000000`), 404, "CHECKPOINT_NOT_FOUND");
      expectError(await api.get(`/api/threads/${id}/checkpoints/0190a0a0-0000-7000-8000-000000000000/diff`), 404);
      expectError(await api.post(`/api/threads/${id}/fork`, { checkpointId: "0190a0a0-0000-7000-8000-000000000000" }), 404);
      expectError(await api.get(`/api/threads/${id}/state?checkpointId=0190a0a0-0000-7000-8000-000000000000`), 404);
      // A checkpoint of another thread is not found through this one.
      const other = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 1, stepMs: 0 } });
      const done = await waitStatus(other.body.threadId, ["done"]);
      expectError(await api.get(`/api/threads/${id}/checkpoints/${done.headCheckpointId}`), 404);
    });

    it("409: a second run on a thread with an active run", async () => {
      const r = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 3, stepMs: 1500 } });
      expect(r.status).toBe(201);
      const busy = await api.post(`/api/threads/${r.body.threadId}/runs`, { input: { steps: 1 } });
      expectError(busy, 409, "THREAD_BUSY");
      const edit = await api.post(`/api/threads/${r.body.threadId}/state`, { values: { label: "x" } });
      expectError(edit, 409, "THREAD_BUSY");
      await waitStatus(r.body.threadId, ["done"]);
      // Resuming a thread that has no pending interrupt is a conflict too, not a server error.
      const noInterrupt = await api.post(`/api/threads/${r.body.threadId}/runs`, { command: { resume: "x" } });
      expectError(noInterrupt, 409, "NO_PENDING_INTERRUPT");
    });

    it("405: a method a route does not serve, as JSON with Allow, changing nothing", async () => {
      const before = await checkpointCount(id);
      for (const [method, path, allow] of [
        ["PUT", "/api/threads", "POST, GET"],
        ["PATCH", `/api/threads/${id}`, "GET, DELETE"],
        ["DELETE", `/api/threads/${id}/state`, "GET, POST"],
        ["GET", `/api/threads/${id}/runs`, "POST"],
        ["POST", "/api/health", "GET"],
      ] as const) {
        const res = await api.send(method, path, method === "GET" ? undefined : {});
        expectError(res, 405, "METHOD_NOT_ALLOWED");
        expect(res.headers.get("allow")).toBe(allow);
      }
      expect(await checkpointCount(id)).toBe(before);
    });

    it("413: an oversized body", async () => {
      const before = await checkpointCount(id);
      const big = JSON.stringify({ values: { draft: "x".repeat(2 * 1024 * 1024) } });
      expectError(await api.postRaw(`/api/threads/${id}/state`, big), 413, "PAYLOAD_TOO_LARGE");
      expect(await checkpointCount(id)).toBe(before);
    });

    it("422: edits and inputs the state schema rejects", async () => {
      const before = await checkpointCount(id);
      expectError(await api.post(`/api/threads/${id}/state`, { values: { revisions: "many" } }), 422);
      expectError(await api.post(`/api/threads/${id}/state`, { values: { noSuchChannel: 1 } }), 422);
      expectError(await api.post(`/api/threads/${id}/state`, { values: {}, asNode: "nope" }), 422, "UNKNOWN_NODE");
      expectError(await api.post("/api/threads", { graphId: "approval", input: { topic: "" } }), 422);
      expectError(await api.post("/api/threads", { graphId: "pipeline", input: { steps: -1 } }), 422);
      expect(await checkpointCount(id)).toBe(before);
    });

    it("never reads or writes outside the data dir, and never answers 500", async () => {
      // (fetch normalizes a bare ".." segment itself, so only encoded slashes reach the server.)
      const evil = ["..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cwin", "__proto__", "a%00b", "x".repeat(300), "constructor"];
      for (const e of evil) {
        for (const path of [`/api/threads/${e}`, `/api/threads/${e}/state`, `/api/threads/${e}/history`, `/api/threads/${id}/checkpoints/${e}`]) {
          const r = await api.get(path);
          expect(r.status, path).toBeGreaterThanOrEqual(400);
          expect(r.status, path).toBeLessThan(500);
        }
      }
      expectError(await api.post(`/api/threads/${id}/fork`, { checkpointId: "../../x", newThread: "../../evil" }), 400);
      expectError(await api.post(`/api/threads/${id}/runs`, { checkpointId: "../x" }), 400, "INVALID_ID");
      expect((await api.get("/api/graphs/__proto__")).status).toBe(404);
      expect((await api.get("/api/graphs/constructor")).status).toBe(404);
    });
  });
}
