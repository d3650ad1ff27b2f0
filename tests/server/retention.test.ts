/**
 * The server's retention job (lib/server/retention.ts) with policies as waypoint.config.ts declares them, over
 * a real SQLite store and real runs of the demo graphs: a pass deletes the pipeline's finished threads once
 * old enough, trims them to the newest N, leaves a thread waiting for a person, and counts what it removed in
 * the metrics. The config schema refuses a policy that says nothing or a malformed duration.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStore } from "@/lib/checkpoint/factory";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import type { GraphDefinition } from "@/lib/config/graph";
import { loadGraphConfig } from "@/lib/config/load";
import { GraphEntry } from "@/lib/config/schema";
import { EventBus } from "@/lib/server/events";
import { GraphRegistry } from "@/lib/server/graphs";
import { metrics } from "@/lib/server/metrics";
import { retentionPass } from "@/lib/server/retention";
import { intervalCron, retentionCron } from "@/lib/server/queue/retention";
import { RunManager } from "@/lib/server/runs";

const DAY = 86_400_000;

describe("retention policies from the graph config", () => {
  let dir: string;
  let store: CheckpointStore;
  let runs: RunManager;
  let graphs: GraphDefinition[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-retention-"));
    store = await createStore({ kind: "sqlite", url: `file:${dir}/waypoint.db` });
    const demo = (await loadGraphConfig({ env: {} })).graphs;
    graphs = demo.map((g) =>
      g.id === "pipeline"
        ? { ...g, retention: { deleteAfter: "1d", statuses: ["done"], keepInterrupted: true, keepLatest: 3 } }
        : g.id === "approval"
          ? { ...g, retention: { deleteAfter: "1d", statuses: ["done", "interrupted"], keepInterrupted: true } }
          : g,
    );
    runs = new RunManager(store, new GraphRegistry(store, graphs), new EventBus());
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sample = async (name: string, graph: string) => {
    const text = await metrics().text();
    const line = text.split("\n").find((l) => l.startsWith(`${name}{graph="${graph}"}`));
    return line ? Number(line.split(" ").at(-1)) : 0;
  };

  it("a pass trims finished threads now, deletes them once old, and keeps the thread waiting for a person", async () => {
    const started = await Promise.all(["p1", "p2"].map((t) => runs.start(`ret-${t}-${Date.now()}`, "pipeline", { input: { steps: 4, stepMs: 1 } })));
    const pipelines = await Promise.all(started.map(async (s) => (await s.finished, s.run.threadId)));
    const waiting = `ret-wait-${Date.now()}`;
    expect((await (await runs.start(waiting, "approval", { input: { topic: "keep me" } })).finished).status).toBe("interrupted");
    const deletedBefore = await sample("waypoint_retention_threads_deleted_total", "pipeline");

    // Today: nothing is old enough to delete, but each pipeline thread (7 checkpoints) is trimmed to 3.
    const now = await retentionPass(store, graphs);
    expect(now.get("pipeline")).toMatchObject({ threadsDeleted: 0, threadsPruned: 2, checkpointsDeleted: 8 });
    for (const t of pipelines) {
      expect((await store.getThread(t)).checkpointCount).toBe(3);
      expect((await store.latest(t))!.state).toMatchObject({ status: "finished" });
    }
    expect(now.get("approval")).toMatchObject({ threadsDeleted: 0 });
    expect(now.has("research")).toBe(false); // no policy, not scanned

    // Two days on: the finished pipeline threads go; the interrupted approval thread stays (keepInterrupted).
    const later = await retentionPass(store, graphs, Date.now() + 2 * DAY);
    expect(later.get("pipeline")).toMatchObject({ threadsDeleted: 2, checkpointsDeleted: 6 });
    for (const t of pipelines) await expect(store.getThread(t)).rejects.toMatchObject({ code: "THREAD_NOT_FOUND" });
    expect((await store.getThread(waiting)).status).toBe("interrupted");
    expect(await sample("waypoint_retention_threads_deleted_total", "pipeline")).toBe(deletedBefore + 2);
    expect(await sample("waypoint_retention_checkpoints_deleted_total", "pipeline")).toBeGreaterThanOrEqual(14);
  });

  it("the config refuses a policy with nothing to do, a bad duration or keepLatest 0, in words naming the field", () => {
    const base = { id: "g", title: "G", module: "./g.ts" };
    const issue = (retention: unknown) => GraphEntry.safeParse({ ...base, retention }).error?.issues[0]?.message;
    expect(issue({})).toMatch(/needs deleteAfter, keepLatest or both/);
    expect(issue({ deleteAfter: "soon" })).toMatch(/deleteAfter must be a duration/);
    expect(issue({ keepLatest: 0 })).toMatch(/keepLatest must be a whole number/);
    expect(issue({ keepLatest: 5, extra: true })).toBeDefined();
    expect(GraphEntry.parse({ ...base, retention: { deleteAfter: "30d" } }).retention).toEqual({
      deleteAfter: "30d",
      statuses: ["done"],
      keepInterrupted: true,
    });
  });

  it("with a queue, the interval becomes a cron entry at or under it; WAYPOINT_RETENTION_CRON wins; off when 0 or no policy", () => {
    const cases: [number, string][] = [
      [3_600_000, "0 * * * *"],
      [600_000, "*/10 * * * *"],
      [45 * 60_000, "*/30 * * * *"],
      [7 * 60_000, "*/6 * * * *"],
      [90_000, "* * * * *"],
      [1_000, "* * * * *"],
      [5 * 3_600_000, "0 */4 * * *"],
      [12 * 3_600_000, "0 */12 * * *"],
      [86_400_000, "0 0 * * *"],
      [7 * 86_400_000, "0 0 * * *"],
    ];
    for (const [ms, cron] of cases) expect(intervalCron(ms), `${ms} ms`).toBe(cron);
    expect(retentionCron({ retentionIntervalMs: 3_600_000, retentionCron: null }, graphs)).toBe("0 * * * *");
    expect(retentionCron({ retentionIntervalMs: 3_600_000, retentionCron: "30 2 * * *" }, graphs)).toBe("30 2 * * *");
    expect(retentionCron({ retentionIntervalMs: 0, retentionCron: "30 2 * * *" }, graphs)).toBeNull();
    expect(
      retentionCron(
        { retentionIntervalMs: 3_600_000, retentionCron: null },
        graphs.map((g) => ({ ...g, retention: null })),
      ),
    ).toBeNull();
  });
});
