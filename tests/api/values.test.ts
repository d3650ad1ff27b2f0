/**
 * Values a store could refuse mid-run are refused up front, identically on every store: a U+0000, a lone
 * surrogate, a value nested 50,000 deep, in an input, a resume value, metadata or an edit. Each answers 400
 * INVALID_BODY with the same message everywhere, before anything is marked running, and the thread is as it was.
 */
import { afterAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { fileStore, memoryStore, postgresStore, redisStore, sqliteStore, type TestStore } from "./helpers/stores";

const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

const CASES: { what: string; path: (id: string) => string; body: string }[] = [
  { what: "input with \\u0000", path: () => "/api/threads", body: '{"graphId":"approval","input":{"topic":"a\\u0000b"}}' },
  { what: "input with a lone surrogate", path: () => "/api/threads", body: '{"graphId":"approval","input":{"topic":"a\\ud800b"}}' },
  { what: "metadata with a lone surrogate", path: () => "/api/threads", body: '{"graphId":"approval","metadata":{"note":"\\udc00"}}' },
  { what: "metadata key with \\u0000", path: () => "/api/threads", body: '{"graphId":"approval","metadata":{"a\\u0000":1}}' },
  { what: "resume with \\u0000", path: (id) => `/api/threads/${id}/runs`, body: '{"command":{"resume":{"action":"approve","comment":"\\u0000"}}}' },
  {
    what: "resume with a lone surrogate",
    path: (id) => `/api/threads/${id}/runs`,
    body: '{"command":{"resume":{"action":"approve","comment":"\\ud83d"}}}',
  },
  { what: "resume nested 50,000 deep", path: (id) => `/api/threads/${id}/runs`, body: `{"command":{"resume":${deep(50_000)}},"wait":true}` },
  { what: "edit nested 50,000 deep", path: (id) => `/api/threads/${id}/state`, body: `{"values":{"draft":${deep(50_000)}}}` },
];

const messages = new Map<string, string>();

for (const make of [sqliteStore, postgresStore, redisStore, fileStore, memoryStore]) {
  describe(`values no store can keep (${make.name.replace("Store", "")})`, () => {
    let store: TestStore | undefined;
    let server: Server | undefined;
    afterAll(async () => {
      await server?.stop();
      await store?.cleanup();
    });

    it("are refused with the same 400 on every store, and change nothing", async () => {
      ensureBuilt();
      store = await make();
      server = await startServer(store.env);
      const api = client(server.url);
      const created = await api.post("/api/threads", { graphId: "approval", input: { topic: "values" } });
      const id = created.body.threadId;
      const before = await api.until(`/api/threads/${id}`, (t: any) => t.status === "interrupted");
      const count = async () => (await api.get("/api/threads?limit=500")).body.threads.length;
      const threads = await count();
      for (const c of CASES) {
        const r = await api.postRaw(c.path(id), c.body);
        expect(r.status, `${c.what}: ${JSON.stringify(r.body)}`).toBe(400);
        expect(r.body.error.code).toBe("INVALID_BODY");
        // Identical on every store.
        if (!messages.has(c.what)) messages.set(c.what, r.body.error.message);
        expect(r.body.error.message).toBe(messages.get(c.what));
      }
      const after = (await api.get(`/api/threads/${id}`)).body;
      expect(after).toMatchObject({
        status: "interrupted",
        headCheckpointId: before.headCheckpointId,
        checkpointCount: before.checkpointCount,
        error: null,
      });
      expect(await count()).toBe(threads);
      // The thread still resumes normally.
      const ok = await api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } }, wait: true });
      expect(ok.status).toBe(200);
      expect(ok.body.thread.status).toBe("done");
    }, 120_000);
  });
}
