/**
 * Runs survive the server: SIGKILL the server while a `pipeline` run is mid-way, start a new server on
 * the same store, and the run continues from its last checkpoint by itself and finishes, with no step
 * recorded twice. On SQLite (the default), PostgreSQL and Redis. On PostgreSQL and Redis also: one active
 * run per thread holds across two server processes sharing the store.
 */
import { afterAll, describe, expect, it } from "vitest";
import { authHeaders, client } from "./helpers/client";
import { ensureBuilt, startServer, TEST_ADMIN_TOKEN, type Server } from "./helpers/server";
import { postgresStore, redisStore, sqliteStore, type TestStore } from "./helpers/stores";

const STEPS = 8;

for (const make of [sqliteStore, postgresStore, redisStore]) {
  describe(`crash and resume (${make.name.replace("Store", "")})`, () => {
    const servers: Server[] = [];
    let store: TestStore | undefined;
    afterAll(async () => {
      for (const s of servers) await s.stop();
      await store?.cleanup();
    });

    it("a SIGKILLed run continues by itself on restart, each step recorded once", async () => {
      ensureBuilt();
      store = await make();
      const first = await startServer(store.env);
      servers.push(first);
      let api = client(first.url);
      const created = await api.post("/api/threads", { graphId: "pipeline", input: { steps: STEPS, stepMs: 600 } });
      expect(created.status).toBe(201);
      const id = created.body.threadId;
      // Mid-way: at least two steps saved, not finished.
      await api.until(`/api/threads/${id}/state`, (s: any) => s.values.current >= 2);
      const beforeKill = (await api.get(`/api/threads/${id}/state`)).body.values.current;
      expect(beforeKill).toBeLessThan(STEPS);
      await first.kill();

      const second = await startServer(store.env);
      servers.push(second);
      api = client(second.url);
      const t = await api.until(`/api/threads/${id}`, (t: any) => t.status === "done", 90_000);
      expect(t.error).toBeNull();
      const state = (await api.get(`/api/threads/${id}/state`)).body;
      expect(state.values.completed).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      expect(state.values.status).toBe("finished");
      // The whole thread has exactly one `work` checkpoint per step, all on one branch.
      const all = (await api.get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints;
      const branch = (await api.get(`/api/threads/${id}/history?checkpointId=${state.checkpoint.checkpointId}&limit=1000`)).body.checkpoints;
      expect(branch.length).toBe(all.length);
      const works = all.filter((c: any) => c.nodeName === "work").map((c: any) => c.values.current);
      expect(works.sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
      expect(second.output()).toContain(`resumed thread ${id}`);
    });

    if (make !== sqliteStore)
      it("allows one active run per thread across two servers sharing the store", async () => {
        const a = await startServer(store!.env);
        const b = await startServer(store!.env);
        servers.push(a, b);
        const apiA = client(a.url);
        const apiB = client(b.url);
        const created = await apiA.post("/api/threads", { graphId: "pipeline", input: { steps: 3, stepMs: 1500 } });
        const id = created.body.threadId;
        // B's event stream sees A's run progress (by polling the shared thread record).
        const ac = new AbortController();
        const events = fetch(`${b.url}/api/threads/${id}/events`, { signal: ac.signal, headers: authHeaders(b.url, TEST_ADMIN_TOKEN) }).then(
          async (res) => {
            const reader = res.body!.getReader();
            const dec = new TextDecoder();
            let text = "";
            while (!/"status":"done"/.test(text)) {
              const { value, done } = await reader.read();
              if (done) break;
              text += dec.decode(value, { stream: true });
            }
            ac.abort();
            return text;
          },
        );
        const busy = await apiB.post(`/api/threads/${id}/runs`, { input: { steps: 1, stepMs: 0 } });
        expect(busy.status).toBe(409);
        expect(busy.body.error.code).toBe("THREAD_BUSY");
        const del = await apiB.del(`/api/threads/${id}`);
        expect(del.status).toBe(409);
        await apiB.until(`/api/threads/${id}`, (t: any) => t.status === "done", 60_000);
        expect(await events).toMatch(/event: thread\ndata: \{[^\n]*"status":"done"/);
        const again = await apiB.post(`/api/threads/${id}/runs`, { input: { steps: 1, stepMs: 0 }, wait: true });
        expect(again.status).toBe(200);
      });
  });
}
