/**
 * A SIGKILL while runs are being accepted: threads being created with an input and resumes being posted, the
 * server killed as the first answers come back. After a restart on the same store:
 * - every acknowledged run (201 / 202) finishes, or ends visibly (a resume whose value died with the server
 *   is back at its interrupt with an error saying so) — none is left "running";
 * - nothing unacknowledged appears as running: no thread at all stays "running".
 */
import { afterAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, sqliteStore, type TestStore } from "./helpers/stores";

const CREATES = 16;
const RESUMES = 6;

for (const make of [redisStore, postgresStore, sqliteStore]) {
  describe(`crash while accepting runs (${make.name.replace("Store", "")})`, () => {
    const servers: Server[] = [];
    let store: TestStore | undefined;
    afterAll(async () => {
      for (const s of servers) await s.stop();
      await store?.cleanup();
    });

    it("every acknowledged run finishes or ends visibly; no thread is left running", async () => {
      ensureBuilt();
      store = await make();
      const first = await startServer(store.env);
      servers.push(first);
      let api = client(first.url);
      // Approval threads waiting for review, to resume during the crash.
      const waiting: string[] = [];
      for (let i = 0; i < RESUMES; i++) {
        const r = await api.post("/api/threads", { graphId: "approval", input: { topic: `crash ${i}` } });
        waiting.push(r.body.threadId);
      }
      for (const id of waiting) await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");

      let answered = 0;
      let kill!: () => void;
      const killed = new Promise<void>((r) => (kill = r));
      const track = <T>(p: Promise<T>) =>
        p.then(
          (v) => {
            if (++answered === 3) kill();
            return v;
          },
          () => null,
        );
      const creates = Array.from({ length: CREATES }, () =>
        track(api.post("/api/threads", { graphId: "pipeline", input: { steps: 2, stepMs: 300 } })),
      );
      const resumes = waiting.map((id) => track(api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } } })));
      await Promise.race([killed, Promise.all([...creates, ...resumes])]);
      await first.kill();
      const created = (await Promise.all(creates)).filter((r) => r?.status === 201).map((r) => r!.body.threadId as string);
      const resumed = (await Promise.all(resumes)).map((r, i) => (r?.status === 202 ? waiting[i] : null)).filter((x): x is string => x !== null);

      const second = await startServer(store.env);
      servers.push(second);
      api = client(second.url);
      for (const id of created) {
        const t = await api.until(`/api/threads/${id}`, (t: any) => t.status !== "running", 90_000);
        expect(t.status, `created ${id}: ${JSON.stringify(t.error)}`).toBe("done");
        const s = (await api.get(`/api/threads/${id}/state`)).body;
        expect(s.values.completed).toEqual([1, 2]);
      }
      for (const id of resumed) {
        const t = await api.until(`/api/threads/${id}`, (t: any) => t.status !== "running", 90_000);
        // Finished, or back at its interrupt saying the resume was lost with the server.
        if (t.status !== "done") {
          expect(t.status).toBe("interrupted");
          expect(t.error?.message).toMatch(/server stopped/);
        }
      }
      // Nothing is left running, acknowledged or not.
      await api.until("/api/threads?status=running&limit=1", (b: any) => b.threads.length === 0, 90_000);
    }, 240_000);
  });
}
