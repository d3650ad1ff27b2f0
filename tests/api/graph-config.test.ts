/**
 * Graphs from configuration, end to end: the real built server started with WAYPOINT_CONFIG naming a project's
 * config (tests/fixtures/project: a config and a graph in its own graphs/ folder, outside lib/) serves that graph
 * alone and runs it through the API to an interrupt and to the end; and `npm start` (scripts/start.mjs, spawned
 * as it is) refuses a config naming a missing module, in one sentence, before building or serving anything.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, freePort, ROOT, startServer, tempDir, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

const PROJECT_CONFIG = "tests/fixtures/project/waypoint.config.ts";

describe("a graph registered from a project's own config", () => {
  let store: TestStore;
  let server: Server;
  let api: Client;

  beforeAll(async () => {
    ensureBuilt();
    store = await sqliteStore();
    server = await startServer({ ...store.env, WAYPOINT_CONFIG: PROJECT_CONFIG });
    api = client(server.url);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.cleanup();
  });

  const waitStatus = (threadId: string, statuses: string[]) => api.until(`/api/threads/${threadId}`, (t: any) => statuses.includes(t.status));

  it("lists exactly the config's graph, with the entry's title, description and example input", async () => {
    const r = await api.get("/api/graphs");
    expect(r.status).toBe(200);
    expect(r.body.graphs).toHaveLength(1);
    expect(r.body.graphs[0]).toMatchObject({
      graphId: "refund",
      title: "Refund request",
      description: "Pays small refunds at once; a person approves or rejects the rest.",
      exampleInput: { order: "A-1001", amount: 250 },
    });
    expect(r.body.graphs[0].structure.nodes.map((n: any) => n.id)).toEqual(expect.arrayContaining(["review", "pay", "reject"]));
    // The default config's graphs are not there: the server runs what the config lists.
    expect((await api.get("/api/graphs/approval")).status).toBe(404);
  });

  it("runs it to its interrupt, then to the end on the reviewer's answer", async () => {
    const created = await api.post("/api/threads", { graphId: "refund", input: { order: "A-1001", amount: 250 } });
    expect(created.status).toBe(201);
    const threadId = created.body.threadId;
    const paused = await waitStatus(threadId, ["interrupted", "error", "done"]);
    expect(paused.status).toBe("interrupted");
    expect(paused.interrupts).toHaveLength(1);
    expect(paused.interrupts[0]).toMatchObject({ node: "review", kind: "dynamic", value: { question: "Refund 250 € for order A-1001?" } });

    const run = await api.post(`/api/threads/${threadId}/runs`, { command: { resume: { action: "approve" } }, wait: true });
    expect(run.status).toBe(200);
    expect(run.body.run.status).toBe("done");
    expect(run.body.thread.status).toBe("done");
    expect(run.body.state.values).toMatchObject({ status: "refunded", decision: { action: "approve" } });
  });

  it("checks input with the module's schema and refuses graphs the config does not list", async () => {
    const bad = await api.post("/api/threads", { graphId: "refund", input: { order: "A-1", amount: -1 } });
    expect(bad.status).toBe(422);
    const unknown = await api.post("/api/threads", { graphId: "approval", input: { topic: "x" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("GRAPH_NOT_FOUND");
  });
});

describe("npm start with a broken config", () => {
  const tmp = tempDir("bad-config");
  afterAll(() => tmp.remove());

  it("refuses in one sentence naming the file and the entry, with exit code 1, before building", async () => {
    const config = path.join(tmp.dir, "waypoint.config.ts");
    fs.writeFileSync(config, 'export default { graphs: [{ id: "hello", title: "Hello", module: "./graphs/hello.ts" }] };\n');
    const port = await freePort();
    const proc = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WAYPOINT_CONFIG: config, PORT: String(port), CHECKPOINT_DIR: tmp.dir, DATABASE_URL: `file:${tmp.dir}/w.db` },
    });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => proc.once("exit", (c) => resolve(c)));
    expect(code).toBe(1);
    expect(out).toContain(`Graph config ${config}, graphs[0] ("hello"): module "./graphs/hello.ts" was not found (looked from ${tmp.dir}).`);
    expect(out).not.toMatch(/next build|Waypoint on http/);
    // Nothing is listening: it stopped before serving.
    await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
  });
});

describe("npm start and signals", () => {
  const tmp = tempDir("start-signal");
  afterAll(() => tmp.remove());

  it("stops the server it started when it gets SIGTERM: the port is closed once the script has exited", async () => {
    ensureBuilt();
    const port = await freePort();
    // Its own process group, so a failing test can still kill whatever it left behind.
    const proc = spawn(process.execPath, ["scripts/start.mjs"], {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PORT: String(port), CHECKPOINT_STORE: "sqlite", DATABASE_URL: `file:${tmp.dir}/w.db` },
    });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (out += d));
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    try {
      const end = Date.now() + 120_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > end || proc.exitCode !== null) throw new Error(`npm start did not serve: ${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      process.kill(proc.pid!, "SIGTERM");
      await exited;
      await new Promise((r) => setTimeout(r, 500));
      await expect(fetch(`http://127.0.0.1:${port}/api/health`)).rejects.toThrow();
    } finally {
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }, 180_000);
});
