/**
 * Held under load, as tests (bounded; the 60 s figures come from bench/load.ts, see docs/benchmarks.md):
 * - 100 concurrent resumes of one interrupted thread, split across two servers sharing PostgreSQL (and Redis):
 *   exactly one accepted, the other 99 answered 409, one resumed branch in the history;
 * - concurrent approval flows (create, wait for the interrupt, approve with wait) on SQLite and PostgreSQL:
 *   no error, every thread done with a consistent history;
 * - 200 event streams opened and closed leave the server near its memory baseline, and answering.
 */
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runLoad } from "../../bench/load";
import { client } from "./helpers/client";
import { raw } from "./helpers/raw";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, sqliteStore, type TestStore } from "./helpers/stores";

const LOAD_CLIENTS = 10;
const LOAD_MS = 5_000;

for (const make of [postgresStore, redisStore]) {
  describe(`100 concurrent resumes across two servers (${make.name.replace("Store", "")})`, () => {
    const servers: Server[] = [];
    let store: TestStore | undefined;
    afterAll(async () => {
      for (const s of servers) await s.stop();
      await store?.cleanup();
    });

    it("exactly one is accepted, the rest 409, one resumed branch", async () => {
      ensureBuilt();
      store = await make();
      const [a, b] = await Promise.all([startServer(store.env), startServer(store.env)]);
      servers.push(a, b);
      const apis = [client(a.url), client(b.url)];
      const created = await apis[0].post("/api/threads", { graphId: "approval", input: { topic: "race" } });
      const id = created.body.threadId;
      const waiting = await apis[0].until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          apis[i % 2].post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve", comment: `#${i}` } } }),
        ),
      );
      const byStatus: Record<number, number> = {};
      for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      expect(byStatus, JSON.stringify(results.filter((r) => r.status !== 409 && r.status !== 202).map((r) => r.body))).toEqual({ 202: 1, 409: 99 });
      for (const r of results.filter((r) => r.status === 409)) expect(["THREAD_BUSY", "NO_PENDING_INTERRUPT"]).toContain(r.body.error.code);
      await apis[1].until(`/api/threads/${id}`, (t: any) => t.status === "done");
      const all = (await apis[1].get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints;
      const children = all.filter((c: any) => c.parentId === waiting.headCheckpointId);
      expect(children).toHaveLength(1);
      const accepted = results.findIndex((r) => r.status === 202);
      const state = (await apis[0].get(`/api/threads/${id}/state`)).body;
      expect(state.values.published).toBeTruthy();
      expect(JSON.stringify(state.values)).toContain(`#${accepted}`);
    }, 120_000);
  });
}

for (const make of [sqliteStore, postgresStore]) {
  describe(`load: concurrent approval flows (${make.name.replace("Store", "")})`, () => {
    let server: Server | undefined;
    let store: TestStore | undefined;
    afterAll(async () => {
      await server?.stop();
      await store?.cleanup();
    });

    it(`${LOAD_CLIENTS} clients for ${LOAD_MS / 1000} s: no error, every thread done and consistent`, async () => {
      ensureBuilt();
      store = await make();
      server = await startServer(store.env);
      const r = await runLoad(client(server.url), { clients: LOAD_CLIENTS, durationMs: LOAD_MS });
      expect(r.errors.slice(0, 10)).toEqual([]);
      expect(r.flows).toBeGreaterThan(0);
      expect(r.threadIds.length).toBe(r.flows);
    }, 180_000);
  });
}

/** Resident memory of the server process (the `next start` process serves the requests). */
function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb * 1024;
}

describe("server-sent events: 200 streams opened and closed", () => {
  let server: Server | undefined;
  let store: TestStore | undefined;
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  it("leave the server near its memory baseline, and answering", async () => {
    ensureBuilt();
    store = await sqliteStore();
    server = await startServer(store.env);
    const api = client(server.url);
    const created = await api.post("/api/threads", { graphId: "approval", input: { topic: "streams" } });
    const id = created.body.threadId;
    await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");
    const open = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          raw(server!, "GET", `/api/threads/${id}/events`, { stopWhen: (t) => t.includes("event: thread"), timeoutMs: 60_000 }),
        ),
      );
    // Warm-up (code paths loaded, caches filled), then the baseline.
    await open(20);
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = rssBytes(server.proc.pid!);
    for (let round = 0; round < 1; round++) {
      const streams = await open(200);
      for (const s of streams) {
        expect(s.status).toBe(200);
        expect(s.text).toContain("event: thread");
      }
    }
    // Closed streams stop their timers and listeners: the server settles back near where it was.
    await new Promise((r) => setTimeout(r, 3000));
    const after = rssBytes(server.proc.pid!);
    expect(after, `RSS ${Math.round(baseline / 2 ** 20)} MiB → ${Math.round(after / 2 ** 20)} MiB`).toBeLessThan(baseline + 96 * 2 ** 20);
    expect((await api.get("/api/health")).status).toBe(200);
    const t = await api.get(`/api/threads/${id}`);
    expect(t.status).toBe(200);
    expect(t.body.status).toBe("interrupted");
  }, 120_000);
});
