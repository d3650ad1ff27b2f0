/**
 * A store that stops answering, refused or blackholed, for PostgreSQL and Redis, through a TCP proxy the test
 * controls (the shared servers are never stopped):
 * - every request, /api/health included, answers 503 STORE_UNAVAILABLE within the configured timeout plus a
 *   margin, in one sentence naming the store (no driver or Prisma text);
 * - a pipeline run the outage interrupted continues by itself once the store answers again, and finishes with
 *   every step recorded once, without anyone posting a run.
 */
import { afterAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { TcpProxy } from "./helpers/proxy";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, type TestStore } from "./helpers/stores";

const TIMEOUT_MS = 2000;
/** A 503 must come within the store timeout plus this margin (generous: the box is shared). */
const MARGIN_MS = 4000;
const STEPS = 6;

const backends = [
  { name: "PostgreSQL", make: postgresStore, urlVar: "DATABASE_URL", label: /PostgreSQL/ },
  { name: "Redis", make: redisStore, urlVar: "REDIS_URL", label: /Redis/ },
] as const;

for (const b of backends) {
  describe(`store outage (${b.name})`, () => {
    let store: TestStore | undefined;
    let proxy: TcpProxy | undefined;
    let server: Server | undefined;
    afterAll(async () => {
      await server?.stop();
      await proxy?.close();
      await store?.cleanup();
    });

    const expect503 = async (api: ReturnType<typeof client>, method: "get" | "post", path: string, body?: unknown) => {
      const t0 = Date.now();
      const r = method === "get" ? await api.get(path) : await api.post(path, body);
      const elapsed = Date.now() - t0;
      expect(r.status, `${method.toUpperCase()} ${path}: ${JSON.stringify(r.body)}`).toBe(503);
      expect(r.body.error.code).toBe("STORE_UNAVAILABLE");
      expect(r.body.error.message).toMatch(b.label);
      expect(r.body.error.message).not.toMatch(/prisma|invocation|\n|at .*\.js/i);
      expect(elapsed, `${path} answered 503 after ${elapsed} ms`).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      return r;
    };

    for (const mode of ["refuse", "blackhole"] as const) {
      it(`${mode}d: bounded 503s, then the interrupted run continues by itself`, async () => {
        ensureBuilt();
        if (!store) {
          store = await b.make();
          const target = new URL(store.env[b.urlVar]);
          proxy = await TcpProxy.start(target.hostname, Number(target.port || (b.name === "Redis" ? 6379 : 5432)));
          server = await startServer({
            ...store.env,
            [b.urlVar]: proxy.rewrite(store.env[b.urlVar]),
            WAYPOINT_STORE_TIMEOUT_MS: String(TIMEOUT_MS),
            WAYPOINT_LOCK_TTL_MS: "3000",
          });
        }
        const api = client(server!.url);
        const created = await api.post("/api/threads", { graphId: "pipeline", input: { steps: STEPS, stepMs: 400 } });
        expect(created.status).toBe(201);
        const id = created.body.threadId;
        await api.until(`/api/threads/${id}/state`, (s: any) => s.values.current >= 1);

        if (mode === "refuse") await proxy!.refuse();
        else proxy!.blackhole();

        const health = await expect503(api, "get", "/api/health");
        expect(health.body).toMatchObject({ ok: false, store: store!.name });
        await expect503(api, "get", "/api/threads");
        await expect503(api, "get", `/api/threads/${id}`);
        await expect503(api, "post", "/api/threads", { graphId: "approval" });
        // The run itself hits the outage at its next save and stops (the server says so in its log).
        const until = Date.now() + 60_000;
        while (!server!.output().includes(`on thread ${id} stopped`)) {
          if (Date.now() > until) throw new Error(`the run never stopped:\n${server!.output().slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await expect503(api, "get", "/api/health");

        await proxy!.restore();
        // Nobody posts a run: the server continues it once the store answers.
        const t = await api.until(`/api/threads/${id}`, (t: any) => t.status === "done", 90_000);
        expect(t.error).toBeNull();
        const state = (await api.get(`/api/threads/${id}/state`)).body;
        expect(state.values.completed).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
        const all = (await api.get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints;
        const works = all.filter((c: any) => c.nodeName === "work").map((c: any) => c.values.current);
        expect(works.sort((x: number, y: number) => x - y)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
        const branch = (await api.get(`/api/threads/${id}/history?checkpointId=${state.checkpoint.checkpointId}&limit=1000`)).body.checkpoints;
        expect(branch.length).toBe(all.length);
        expect((await api.get("/api/health")).status).toBe(200);
        // It was the server that continued it, after the outage.
        expect(server!.output()).toMatch(new RegExp(`(continued|resumed) thread ${id}`));
        expect(server!.output()).toMatch(/answers again after/);
      }, 180_000);
    }
  });
}
