/**
 * The server's own settings, read from the environment once per process and checked: a malformed value stops
 * the start with one sentence naming the variable, instead of silently falling back to a default. (The store's
 * settings — WAYPOINT_STORE, DATABASE_URL, ... — are read by lib/checkpoint/factory.ts; sign-in's by
 * lib/server/auth.) Modules call `settings()`; tests start servers with their own environment.
 */
import { WaypointError } from "../errors";
import { checkCron } from "./schedules/cron";

export interface ServerSettings {
  /** Run-lock lease (WAYPOINT_LOCK_TTL_MS, default 15 s): a takeover after a crash elsewhere waits this long. */
  lockTtlMs: number;
  /** Largest request body accepted (WAYPOINT_MAX_BODY_BYTES, default 1 MiB). */
  maxBodyBytes: number;
  /** Deepest JSON nesting accepted in values (WAYPOINT_MAX_JSON_DEPTH, default 64). */
  maxJsonDepth: number;
  /** Whether X-Forwarded-For names the client (WAYPOINT_TRUST_PROXY=1 behind a proxy you run). */
  trustProxy: boolean;
  /** Origins allowed to call the LangGraph routes cross-origin (WAYPOINT_CORS_ORIGINS, comma-separated, or *). */
  corsOrigins: string[];
  /**
   * How often the retention policies run (WAYPOINT_RETENTION_INTERVAL_MS, default one hour; 0 turns the job off).
   * Without a queue it is the period of each process's timer; with one (workers) it becomes the queue's cron entry
   * (queue/retention.ts: the nearest whole-minute or whole-hour cron at or under it), unless retentionCron is set.
   */
  retentionIntervalMs: number;
  /**
   * With a queue: the retention job's cron expression, in UTC (WAYPOINT_RETENTION_CRON; empty: derived from the
   * interval). Five fields, or six (seconds first) on BullMQ only; set it alike on every worker. Ignored without a queue.
   */
  retentionCron: string | null;
  /** Live events across instances through the store's pub/sub on PostgreSQL / Redis (WAYPOINT_PUBSUB, default on; 0 polls instead). */
  pubsub: boolean;
  /**
   * Where this process's runs execute (WAYPOINT_EXECUTE): "local" (default) in this process, as always;
   * "off" hands every run to the store's queue (pg-boss on PostgreSQL, BullMQ on Redis) for `npm run worker`
   * processes to take, and this process runs none (lib/server/queue).
   */
  execute: "local" | "off";
  /** Runs one worker process executes at once (WAYPOINT_WORKER_CONCURRENCY, default 4). */
  workerConcurrency: number;
  /** How long a worker stopped with SIGTERM lets its runs reach their next checkpoint (WAYPOINT_WORKER_GRACE_MS, default 30 s). */
  workerGraceMs: number;
  /**
   * Where a worker serves its Prometheus metrics, GET /metrics (WAYPOINT_WORKER_METRICS: a port, on 127.0.0.1, or
   * host:port; empty: not served). A worker's figures (its runs, steps, store calls, the retention passes it ran)
   * are its own: the web instances' /api/metrics does not see them.
   */
  workerMetrics: { host: string; port: number } | null;
  /** The longest a queued run job may stay with one worker before the queue offers it again (WAYPOINT_JOB_EXPIRE_SECONDS, default 1 h; pg-boss). */
  jobExpireSeconds: number;
}

type Env = Record<string, string | undefined>;

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new WaypointError("STORE_CONFIG", `${name} must be a positive whole number; it is "${raw}".`);
  return n;
}

function nonNegativeInt(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new WaypointError("STORE_CONFIG", `${name} must be a whole number of 0 or more; it is "${raw}".`);
  return n;
}

function flag(env: Env, name: string): boolean {
  const raw = (env[name] ?? "").trim().toLowerCase();
  if (raw === "" || ["0", "false", "no"].includes(raw)) return false;
  if (["1", "true", "yes"].includes(raw)) return true;
  throw new WaypointError("STORE_CONFIG", `${name} must be 1/true/yes or 0/false/no; it is "${env[name]}".`);
}

function executeMode(env: Env): "local" | "off" {
  const raw = (env.WAYPOINT_EXECUTE ?? "").trim().toLowerCase();
  if (raw === "" || raw === "local" || raw === "on") return "local";
  if (raw === "off") return "off";
  throw new WaypointError(
    "STORE_CONFIG",
    `WAYPOINT_EXECUTE must be "local" (runs execute in this process) or "off" (workers run them); it is "${env.WAYPOINT_EXECUTE}".`,
  );
}

/** A cron expression (UTC), checked as the schedules' are; empty is null. */
function cronSetting(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  try {
    checkCron(raw, "UTC");
  } catch (err) {
    throw new WaypointError("STORE_CONFIG", `${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return raw;
}

/** "9464" (127.0.0.1) or "host:9464"; empty is null. */
function listenSetting(env: Env, name: string): { host: string; port: number } | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  const m = /^(?:(.+):)?(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new WaypointError("STORE_CONFIG", `${name} must be a port (1-65535) or host:port; it is "${raw}".`);
  return { host: m[1]?.replace(/^\[|\]$/g, "") || "127.0.0.1", port };
}

export function readSettings(env: Env = process.env): ServerSettings {
  return {
    lockTtlMs: positiveInt(env, "WAYPOINT_LOCK_TTL_MS", 15_000),
    maxBodyBytes: positiveInt(env, "WAYPOINT_MAX_BODY_BYTES", 1024 * 1024),
    maxJsonDepth: positiveInt(env, "WAYPOINT_MAX_JSON_DEPTH", 64),
    trustProxy: flag(env, "WAYPOINT_TRUST_PROXY"),
    corsOrigins: (env.WAYPOINT_CORS_ORIGINS ?? "")
      .split(",")
      .map((o) => o.trim().replace(/\/$/, ""))
      .filter(Boolean),
    retentionIntervalMs: nonNegativeInt(env, "WAYPOINT_RETENTION_INTERVAL_MS", 3_600_000),
    retentionCron: cronSetting(env, "WAYPOINT_RETENTION_CRON"),
    pubsub: (env.WAYPOINT_PUBSUB ?? "").trim() === "" || flag(env, "WAYPOINT_PUBSUB"),
    execute: executeMode(env),
    workerConcurrency: positiveInt(env, "WAYPOINT_WORKER_CONCURRENCY", 4),
    workerGraceMs: nonNegativeInt(env, "WAYPOINT_WORKER_GRACE_MS", 30_000),
    workerMetrics: listenSetting(env, "WAYPOINT_WORKER_METRICS"),
    jobExpireSeconds: positiveInt(env, "WAYPOINT_JOB_EXPIRE_SECONDS", 3600),
  };
}

let cached: ServerSettings | null = null;

/** This process's settings (read on first use). */
export function settings(): ServerSettings {
  return (cached ??= readSettings());
}
