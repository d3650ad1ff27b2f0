/**
 * OpenTelemetry export from the real server: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP
 * receiver (this test's own HTTP server, decoding what the SDK's exporter sends), a run arrives as one trace —
 * run, steps, nodes and store calls — named after the thread and graph; Next's request spans come along.
 * Without the variable the server exports nothing (the receiver of a second server stays empty).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { sqliteStore, type TestStore } from "./helpers/stores";

interface Span {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP JSON receiver: collects every span posted to /v1/traces, with its attributes flattened. */
async function receiver() {
  const spans: Span[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      contentTypes.add(String(req.headers["content-type"]));
      if (req.url === "/v1/traces" && req.headers["content-type"]?.includes("json")) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        for (const rs of body.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? []) {
              const attributes: Record<string, unknown> = {};
              for (const a of s.attributes ?? [])
                attributes[a.key] = a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue;
              for (const a of rs.resource?.attributes ?? []) if (a.key === "service.name") attributes["service.name"] = a.value.stringValue;
              spans.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, attributes });
            }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, contentTypes, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = fn();
    if (v) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("OpenTelemetry traces (SQLite)", () => {
  let store: TestStore;
  let server: Server;
  let quiet: Server;
  let otlp: Awaited<ReturnType<typeof receiver>>;
  let silent: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    ensureBuilt();
    store = await sqliteStore();
    otlp = await receiver();
    silent = await receiver();
    server = await startServer({
      ...store.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: "200",
      OTEL_SERVICE_NAME: "waypoint-test",
    });
    // The same store, no OTEL_* variable: nothing may reach any receiver.
    quiet = await startServer({ ...store.env, WAYPOINT_TEST_UNUSED_OTLP: silent.url });
  });
  afterAll(async () => {
    await server?.stop();
    await quiet?.stop();
    await otlp?.close();
    await silent?.close();
    await store?.cleanup();
  });

  it("a run arrives as one trace: run → steps → nodes, with its store calls, named after thread and graph", async () => {
    const api = client(server.url);
    const created = await api.post("/api/threads", { graphId: "pipeline", input: { steps: 2, stepMs: 1 } });
    expect(created.status).toBe(201);
    const id = created.body.threadId as string;
    await api.until(`/api/threads/${id}`, (t: any) => t.status === "done");

    const run = await until("the run's span", () => otlp.spans.find((s) => s.name === "waypoint.run" && s.attributes["waypoint.thread_id"] === id));
    expect(run.attributes).toMatchObject({ "waypoint.graph_id": "pipeline", "waypoint.run.status": "done", "service.name": "waypoint-test" });
    const tree = await until("the run's steps and nodes", () => {
      const mine = otlp.spans.filter((s) => s.traceId === run.traceId);
      return mine.filter((s) => s.name === "waypoint.node").length >= 4 ? mine : undefined;
    });
    const steps = tree.filter((s) => s.name === "waypoint.step");
    expect(steps.length).toBe(4); // prepare, work, work, finish
    expect(steps.every((s) => s.parentSpanId === run.spanId)).toBe(true);
    const nodes = tree.filter((s) => s.name === "waypoint.node");
    expect(nodes.map((n) => n.attributes["waypoint.node"])).toEqual(expect.arrayContaining(["prepare", "work", "finish"]));
    expect(nodes.every((n) => steps.some((s) => s.spanId === n.parentSpanId))).toBe(true);
    const saves = tree.filter((s) => s.name === "waypoint.store.save");
    expect(saves.length).toBe(5); // the input and four steps
    expect(saves.every((s) => s.attributes["db.system.name"] === "sqlite")).toBe(true);
    expect(otlp.contentTypes).toContain("application/json");
  });

  it("API reads are traced too (store calls under the request), and a server without OTEL_* exports nothing", async () => {
    const api = client(server.url);
    const before = otlp.spans.length;
    expect((await api.get("/api/threads")).status).toBe(200);
    await until("a listThreads store span", () => otlp.spans.slice(before).find((s) => s.name === "waypoint.store.listThreads"));

    const q = client(quiet.url);
    const created = await q.post("/api/threads", { graphId: "pipeline", input: { steps: 1, stepMs: 1 } });
    await q.until(`/api/threads/${created.body.threadId}`, (t: any) => t.status === "done");
    await new Promise((r) => setTimeout(r, 1000));
    expect(silent.spans).toEqual([]);
    expect(otlp.spans.some((s) => s.attributes["waypoint.thread_id"] === created.body.threadId)).toBe(false);
  });
});
