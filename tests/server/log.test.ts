/**
 * Structured logs (lib/server/log.ts): a real run of the demo graphs on a real SQLite store, its events logged
 * through pino as JSON lines; every line of a run names the run, the thread and the graph, step lines the node.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "@/lib/checkpoint/factory";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { loadGraphConfig } from "@/lib/config/load";
import { EventBus } from "@/lib/server/events";
import { GraphRegistry } from "@/lib/server/graphs";
import { createLogger } from "@/lib/server/log";
import { attachRunLog } from "@/lib/server/run-log";
import { RunManager } from "@/lib/server/runs";

type Line = Record<string, unknown>;

/** A logger writing JSON into memory, and the lines written so far. */
function capture(env: Record<string, string | undefined>) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const logger = createLogger(env, out);
  return {
    logger,
    lines: (): Line[] =>
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line),
    raw: () => text,
  };
}

describe("structured logs", () => {
  let dir: string;
  let store: CheckpointStore;
  let runs: RunManager;
  let bus: EventBus;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-log-"));
    store = await createStore({ kind: "sqlite", url: `file:${dir}/waypoint.db` });
    const { graphs } = await loadGraphConfig({ env: {} });
    bus = new EventBus();
    runs = new RunManager(store, new GraphRegistry(store, graphs), bus);
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("every line of a run carries its run id, thread id and graph; each step's line its node", async () => {
    const { logger, lines } = capture({ WAYPOINT_LOG_LEVEL: "debug", WAYPOINT_LOG_FORMAT: "json" });
    const detach = attachRunLog(bus, runs, logger);
    try {
      const threadId = `log-${Date.now().toString(36)}`;
      const { run, finished } = await runs.start(threadId, "pipeline", { input: { steps: 2, stepMs: 1 } });
      await finished;
      const mine = lines().filter((l) => l.threadId === threadId);
      expect(mine.map((l) => l.msg)).toEqual(["run started", ...Array(5).fill("checkpoint saved"), "run ended"]);
      for (const line of mine) expect(line).toMatchObject({ runId: run.runId, graph: "pipeline", service: "waypoint" });
      const steps = mine.filter((l) => l.msg === "checkpoint saved");
      expect(steps.map((l) => l.node)).toEqual(["__input__", "prepare", "work", "work", "finish"]);
      expect(steps.every((l) => l.level === 20 && typeof l.time === "string")).toBe(true);
      expect(mine.at(-1)).toMatchObject({ status: "done", level: 30 });
    } finally {
      detach();
    }
  });

  it("an interrupt is logged at info with the node that waits; steps are left out at the default level", async () => {
    const { logger, lines } = capture({ WAYPOINT_LOG_FORMAT: "json" });
    const detach = attachRunLog(bus, runs, logger);
    try {
      const threadId = `log-int-${Date.now().toString(36)}`;
      const { finished } = await runs.start(threadId, "approval", { input: { topic: "logs" } });
      expect((await finished).status).toBe("interrupted");
      const mine = lines().filter((l) => l.threadId === threadId);
      expect(mine.map((l) => l.msg)).toEqual(["run started", "waiting for a human", "run ended"]);
      expect(mine[1]).toMatchObject({ node: "review", graph: "approval", level: 30 });
      expect(mine[2]).toMatchObject({ status: "interrupted" });
    } finally {
      detach();
    }
  });

  it("WAYPOINT_LOG_FORMAT=pretty writes readable text, and an unknown level falls back to info", () => {
    const { logger, raw } = capture({ WAYPOINT_LOG_FORMAT: "pretty", WAYPOINT_LOG_LEVEL: "loud" });
    expect(logger.level).toBe("info");
    logger.info({ threadId: "t-1" }, "hello operator");
    expect(raw()).toContain("hello operator");
    expect(raw()).toContain("t-1");
    expect(() => JSON.parse(raw().trim())).toThrow();
  });
});
