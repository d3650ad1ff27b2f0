import { describe, expect, it } from "vitest";
import { readSettings } from "@/lib/server/config";
import { isWaypointError } from "@/lib/errors";

describe("server settings (lib/server/config.ts)", () => {
  it("has defaults for an empty environment", () => {
    expect(readSettings({})).toEqual({
      lockTtlMs: 15_000,
      maxBodyBytes: 1024 * 1024,
      maxJsonDepth: 64,
      trustProxy: false,
      corsOrigins: [],
      retentionIntervalMs: 3_600_000,
      retentionCron: null,
      pubsub: true,
      execute: "local",
      workerConcurrency: 4,
      workerGraceMs: 30_000,
      workerMetrics: null,
      jobExpireSeconds: 3600,
    });
  });

  it("reads every variable", () => {
    expect(
      readSettings({
        WAYPOINT_LOCK_TTL_MS: "3000",
        WAYPOINT_MAX_BODY_BYTES: "2048",
        WAYPOINT_MAX_JSON_DEPTH: " 10 ",
        WAYPOINT_TRUST_PROXY: "Yes",
        WAYPOINT_CORS_ORIGINS: "http://a.example/, https://b.example:8443 ,",
        WAYPOINT_RETENTION_INTERVAL_MS: "0",
        WAYPOINT_RETENTION_CRON: " */15 * * * * ",
        WAYPOINT_PUBSUB: "0",
        WAYPOINT_EXECUTE: " OFF",
        WAYPOINT_WORKER_CONCURRENCY: "8",
        WAYPOINT_WORKER_GRACE_MS: "0",
        WAYPOINT_WORKER_METRICS: "0.0.0.0:9464",
        WAYPOINT_JOB_EXPIRE_SECONDS: "60",
      }),
    ).toEqual({
      lockTtlMs: 3000,
      maxBodyBytes: 2048,
      maxJsonDepth: 10,
      trustProxy: true,
      corsOrigins: ["http://a.example", "https://b.example:8443"],
      retentionIntervalMs: 0,
      retentionCron: "*/15 * * * *",
      pubsub: false,
      execute: "off",
      workerConcurrency: 8,
      workerGraceMs: 0,
      workerMetrics: { host: "0.0.0.0", port: 9464 },
      jobExpireSeconds: 60,
    });
  });

  it.each([
    ["WAYPOINT_LOCK_TTL_MS", "15s"],
    ["WAYPOINT_MAX_BODY_BYTES", "-1"],
    ["WAYPOINT_MAX_JSON_DEPTH", "1.5"],
    ["WAYPOINT_TRUST_PROXY", "maybe"],
    ["WAYPOINT_RETENTION_INTERVAL_MS", "1h"],
    ["WAYPOINT_RETENTION_CRON", "hourly"],
    ["WAYPOINT_RETENTION_CRON", "61 * * * *"],
    ["WAYPOINT_PUBSUB", "sometimes"],
    ["WAYPOINT_EXECUTE", "workers"],
    ["WAYPOINT_WORKER_CONCURRENCY", "0"],
    ["WAYPOINT_WORKER_GRACE_MS", "-5"],
    ["WAYPOINT_JOB_EXPIRE_SECONDS", "1m"],
    ["WAYPOINT_WORKER_METRICS", "metrics"],
    ["WAYPOINT_WORKER_METRICS", "70000"],
  ])("refuses %s=%s with one sentence naming it", (name, value) => {
    let err: unknown;
    try {
      readSettings({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(isWaypointError(err, "STORE_CONFIG")).toBe(true);
    expect((err as Error).message).toContain(name);
    expect((err as Error).message).toContain(value);
  });
});
