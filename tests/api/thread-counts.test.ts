/**
 * GET /api/thread-counts: the true number of threads waiting for a person, not the loaded page's (issue 11,
 * defect 3: "60 waiting" was shown while 122 waited). More waiting threads than a list page holds; a graph
 * filter; a caller limited to some graphs counts only those.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "./helpers/accounts";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

describe("waiting counts (SQLite)", () => {
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

  it("counts every waiting thread the caller may read, beyond one page, by graph and scope", async () => {
    const empty = await api.get("/api/thread-counts");
    expect(empty.body).toEqual({ waiting: 0, capped: false, oldestWaitingSince: null, matching: { count: 0, capped: false } });

    const ids: string[] = [];
    for (let i = 0; i < 105; i++) ids.push((await api.post("/api/threads", { graphId: "approval", input: { topic: `t${i}` } })).body.threadId);
    const research = (await api.post("/api/threads", { graphId: "research", input: { question: "counts" } })).body.threadId;
    await api.post("/api/threads", { graphId: "pipeline", input: { steps: 1, stepMs: 0 } });
    for (const id of [...ids, research]) await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");

    // The list's first page holds 100; the count holds them all.
    expect((await api.get("/api/threads?status=interrupted&limit=100")).body.threads).toHaveLength(100);
    const all = (await api.get("/api/thread-counts")).body;
    expect(all.waiting).toBe(106);
    expect(all.capped).toBe(false);
    const first = (await api.get(`/api/threads/${ids[0]}`)).body;
    expect(Date.parse(all.oldestWaitingSince)).toBe(Date.parse(first.updatedAt));

    expect((await api.get("/api/thread-counts?graphId=approval")).body.waiting).toBe(105);
    expect((await api.get("/api/thread-counts?graphId=research")).body.waiting).toBe(1);
    expect((await api.get("/api/thread-counts?graphId=pipeline")).body.waiting).toBe(0);

    // A reviewer limited to the research graph counts only its threads, whatever the filter.
    const narrow = await createAccount(server.url, "reviewer", { graphs: ["research"] });
    expect((await narrow.api.get("/api/thread-counts")).body.waiting).toBe(1);
    expect((await narrow.api.get("/api/thread-counts?graphId=approval")).body.waiting).toBe(0);

    // Deciding one takes it out of the count.
    await api.post(`/api/threads/${ids[0]}/runs`, { command: { resume: { action: "approve" } }, wait: true });
    expect((await api.get("/api/thread-counts?graphId=approval")).body.waiting).toBe(104);
  }, 120_000);

  it("refuses a bad filter and needs credentials", async () => {
    expect((await api.get(`/api/thread-counts?graphId=${"g".repeat(101)}`)).status).toBe(400);
    expect((await client(server.url, null).get("/api/thread-counts")).status).toBe(401);
  });
});
