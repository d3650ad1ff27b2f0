/**
 * Finding threads over the API (issue 11, "Find things"): GET /api/threads?query= searches id, graph, status,
 * error text and metadata server-side, paged; sort=waiting lists the longest-waiting first; GET /api/thread-counts
 * says how many threads match. A caller limited to some graphs finds only theirs. Bad input is a 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "./helpers/accounts";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

describe("finding threads (SQLite)", () => {
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

  const start = async (graphId: string, input: Record<string, unknown>, metadata?: Record<string, unknown>) =>
    (await api.post("/api/threads", { graphId, input, ...(metadata && { metadata }) })).body.threadId as string;
  const ids = (body: { threads: { threadId: string }[] }) => body.threads.map((t) => t.threadId);

  it("searches error text and labels, pages the results and counts them", async () => {
    const failed = await start("pipeline", { steps: 5, stepMs: 0, failAt: 3 });
    const labelled: string[] = [];
    for (let i = 0; i < 7; i++) labelled.push(await start("approval", { topic: `find ${i}` }, { label: `Vendor Onboarding #${i}` }));
    await start("research", { question: "unrelated" });
    await api.until(`/api/threads/${failed}`, (t: any) => t.status === "error");
    for (const id of labelled) await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");

    expect(ids((await api.get("/api/threads?query=STEP%203%20failed")).body)).toEqual([failed]);
    expect((await api.get("/api/thread-counts?query=step%203%20failed")).body.matching).toEqual({ count: 1, capped: false });

    // Paged, newest first, no duplicates.
    const first = (await api.get("/api/threads?query=vendor%20onboarding&limit=4")).body;
    expect(first.threads).toHaveLength(4);
    const second = (await api.get(`/api/threads?query=vendor%20onboarding&limit=4&cursor=${first.nextCursor}`)).body;
    expect([...ids(first), ...ids(second)]).toEqual([...labelled].reverse());
    expect(second.nextCursor).toBeNull();
    expect((await api.get("/api/thread-counts?query=vendor%20onboarding")).body.matching.count).toBe(7);
    expect((await api.get("/api/thread-counts?query=vendor&status=done")).body.matching.count).toBe(0);
    // All threads: the count of the unfiltered list; all waiting ones, oldest first.
    expect((await api.get("/api/thread-counts")).body.matching.count).toBe(9);
    expect(ids((await api.get("/api/threads?sort=waiting&limit=1")).body)).toEqual([labelled[0]]);

    // Longest waiting first, and with a query.
    const oldest = (await api.get("/api/threads?sort=waiting&query=vendor&limit=3")).body;
    expect(ids(oldest)).toEqual(labelled.slice(0, 3));
    const rest = (await api.get(`/api/threads?sort=waiting&query=vendor&limit=10&cursor=${oldest.nextCursor}`)).body;
    expect(ids(rest)).toEqual(labelled.slice(3));
    expect(ids((await api.get("/api/threads?sort=waiting&query=%236")).body)).toEqual([labelled[6]]);
    expect(ids((await api.get("/api/threads?sort=waiting&status=interrupted&query=vendor&limit=1")).body)).toEqual([labelled[0]]);
  }, 120_000);

  it("a reviewer limited to one graph finds only that graph's threads", async () => {
    const research = await start("research", { question: "scoped search" }, { label: "Scoped search target" });
    const approval = await start("approval", { topic: "scoped" }, { label: "Scoped search target" });
    await api.until(`/api/threads/${research}`, (t: any) => t.status === "interrupted");
    await api.until(`/api/threads/${approval}`, (t: any) => t.status === "interrupted");
    const narrow = await createAccount(server.url, "reviewer", { graphs: ["research"] });
    expect(ids((await narrow.api.get("/api/threads?query=scoped%20search%20target")).body)).toEqual([research]);
    expect((await narrow.api.get("/api/thread-counts?query=scoped%20search%20target")).body.matching.count).toBe(1);
    expect(ids((await api.get("/api/threads?query=scoped%20search%20target")).body).sort()).toEqual([research, approval].sort());
  }, 60_000);

  it("refuses a bad query or sort with 400", async () => {
    expect((await api.get(`/api/threads?query=${"x".repeat(201)}`)).status).toBe(400);
    expect((await api.get("/api/threads?sort=oldest")).status).toBe(400);
    expect((await api.get("/api/threads?sort=waiting&status=done")).status).toBe(400);
    expect((await api.get(`/api/thread-counts?query=${"x".repeat(201)}`)).status).toBe(400);
    expect((await api.get("/api/thread-counts?status=paused")).status).toBe(400);
    // Wildcards are literal: "%" matches only text that has one.
    expect((await api.get("/api/threads?query=%25")).body.threads).toEqual([]);
  });
});
