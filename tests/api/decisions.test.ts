/**
 * Decisions shaped by the graph (issue 11): GET /api/graphs/:id carries each interrupting node's resume schema
 * and each channel's schema as JSON Schema; a resume value the node's schema refuses is a 400 INVALID_RESUME with
 * every problem by field, and changes nothing (no checkpoint, no quorum approval); an edit sent back for review
 * runs the waiting node again, which asks with the edited state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "./helpers/accounts";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

describe("decisions shaped by the graph (SQLite)", () => {
  let store: TestStore;
  let server: Server;
  let api: Client;

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

  const waiting = async (graphId: string, input: Record<string, unknown>) => {
    const id = (await api.post("/api/threads", { graphId, input })).body.threadId as string;
    return (await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted")) as { threadId: string; headCheckpointId: string };
  };

  it("describes the vendor graph's answer and state as JSON Schema", async () => {
    const g = (await api.get("/api/graphs/vendor")).body;
    const choose = g.structure.nodes.find((n: any) => n.id === "choose");
    expect(choose.resume).toMatchObject({
      type: "object",
      properties: { vendor: { enum: ["northwind", "contoso", "fabrikam"] }, budget: { type: "integer", minimum: 100, maximum: 50000 } },
      required: ["vendor", "budget"],
    });
    expect(g.structure.channels.find((c: any) => c.name === "log")).toMatchObject({ internal: true });
    expect(g.structure.channels.find((c: any) => c.name === "need").schema).toMatchObject({ type: "string" });
    const approval = (await api.get("/api/graphs/approval")).body;
    expect(approval.structure.nodes.find((n: any) => n.id === "review").resume.oneOf).toHaveLength(3);
  });

  it("refuses a malformed answer with 400 and the problems by field, and changes nothing", async () => {
    const t = await waiting("vendor", { need: "chairs" });
    const before = (await api.get(`/api/threads/${t.threadId}/history?limit=100`)).body.checkpoints.length;
    const bad = await api.post(`/api/threads/${t.threadId}/runs`, { command: { resume: { vendor: "acme", budget: 5 } }, wait: true });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("INVALID_RESUME");
    expect(bad.body.error.node).toBe("choose");
    expect(bad.body.error.issues.map((i: any) => i.path).sort()).toEqual(["budget", "vendor"]);
    expect(bad.body.error.issues.find((i: any) => i.path === "budget").message).toContain("€100");
    const after = await api.get(`/api/threads/${t.threadId}`);
    expect(after.body.status).toBe("interrupted");
    expect(after.body.headCheckpointId).toBe(t.headCheckpointId);
    expect((await api.get(`/api/threads/${t.threadId}/history?limit=100`)).body.checkpoints).toHaveLength(before);

    const ok = await api.post(`/api/threads/${t.threadId}/runs`, {
      command: { resume: { vendor: "contoso", budget: 20000, note: "ASAP" } },
      wait: true,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.run.status).toBe("done");
    expect(ok.body.state.values.choice).toEqual({ vendor: "contoso", budget: 20000, note: "ASAP" });
    expect(ok.body.state.values.order).toMatch(/^Ordered .* from contoso/);
  }, 60_000);

  it("a two-person graph records no approval for a malformed answer", async () => {
    const t = await waiting("approval-2p", { topic: "quorum" });
    const rev = await createAccount(server.url, "reviewer");
    const bad = await rev.api.post(`/api/threads/${t.threadId}/runs`, { command: { resume: { action: "approve", comment: 42 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toBe("comment");
    expect((await api.get(`/api/threads/${t.threadId}`)).body.quorum.approvals).toEqual([]);
    const reject = await rev.api.post(`/api/threads/${t.threadId}/runs`, { command: { resume: { action: "reject", feedback: "  " } } });
    expect(reject.status).toBe(400);
    expect(reject.body.error.issues[0]).toEqual({ path: "feedback", message: "Say what should change." });
  }, 60_000);

  it("an edit sent back for review runs the waiting node again, which asks with the edited state", async () => {
    const t = await waiting("approval", { topic: "reask" });
    const edit = await api.post(`/api/threads/${t.threadId}/state`, {
      values: { draft: "My own words" },
      reask: true,
      expectedCheckpointId: t.headCheckpointId,
    });
    expect(edit.status).toBe(201);
    const again = await api.until(
      `/api/threads/${t.threadId}`,
      (x: any) => x.status === "interrupted" && x.headCheckpointId !== edit.body.checkpoint.checkpointId,
    );
    expect(again.interrupts[0].value.draft).toBe("My own words");
    // A viewer may not (and a reviewer, without "run", may: deciding and editing are theirs).
    const viewer = await createAccount(server.url, "viewer");
    expect((await viewer.api.post(`/api/threads/${t.threadId}/state`, { values: { draft: "x" }, reask: true })).status).toBe(403);
  }, 60_000);
});
