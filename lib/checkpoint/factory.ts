/**
 * Picks and opens the checkpoint store from configuration (usually the environment).
 *
 * Backends with native or server dependencies (SQLite, PostgreSQL, Redis) are loaded with dynamic import so
 * that importing lib/checkpoint never loads better-sqlite3, pg or ioredis unless that store is chosen. The
 * specifiers are literal strings so bundlers (Next.js) still trace them.
 * Every configuration problem is a STORE_CONFIG error and every connection problem a STORE_UNAVAILABLE error,
 * each one sentence naming the environment variable to fix.
 */
import { isWaypointError, WaypointError } from "../errors";
import { keyringFromEnv, type Keyring } from "./crypto";
import { encryptStore } from "./encrypted";
import { createFileStore } from "./file";
import { createMemoryStore } from "./memory";
import { storeTimeoutMs } from "./timeouts";
import type { CheckpointStore } from "./types";

export type StoreConfig = (
  | { kind: "memory" }
  | { kind: "file"; dir: string }
  | { kind: "sqlite"; url: string }
  | { kind: "postgres"; url: string; timeoutMs?: number }
  | { kind: "redis"; url: string; prefix?: string; ttlSeconds?: number; timeoutMs?: number }
) & {
  /**
   * Encryption at rest (lib/checkpoint/encrypted.ts): the key ring, null for none; when left out,
   * WAYPOINT_ENCRYPTION_KEY / WAYPOINT_ENCRYPTION_KEYS_OLD from the process environment decide.
   */
  keyring?: Keyring | null;
};

export const STORE_KINDS = ["sqlite", "postgres", "redis", "file", "memory"] as const;
export const DEFAULT_SQLITE_URL = "file:./data/waypoint.db";
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
export const DEFAULT_CHECKPOINT_DIR = "./data/checkpoints";

const configError = (message: string) => new WaypointError("STORE_CONFIG", message);

/** A URL safe to print: the password is replaced by "***". */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}

function parseUrl(name: string, value: string, protocols: string[], example: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw configError(`${name} is not a valid URL (got ${JSON.stringify(redactUrl(value))}; expected something like ${example}).`);
  }
  if (!protocols.includes(u.protocol))
    throw configError(`${name} must start with ${protocols.map((p) => `${p}//`).join(" or ")} (got ${JSON.stringify(redactUrl(value))}).`);
  if (!u.hostname) throw configError(`${name} has no host (got ${JSON.stringify(redactUrl(value))}; expected something like ${example}).`);
  return u;
}

/** Reads WAYPOINT_ENCRYPTION_KEY(S_OLD), CHECKPOINT_STORE, DATABASE_URL, REDIS_URL, REDIS_PREFIX, REDIS_TTL_SECONDS, CHECKPOINT_DIR and WAYPOINT_STORE_TIMEOUT_MS. */
export function storeConfigFromEnv(env: Record<string, string | undefined> = process.env): StoreConfig {
  // Empty values count as unset, as in most .env tooling.
  const get = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const kind = (get("CHECKPOINT_STORE") ?? "sqlite").toLowerCase();
  // Left undefined when off, so createStore falls back to the process environment (the same one for the server).
  const keyring = keyringFromEnv(env) ?? undefined;
  const timeout = () => (get("WAYPOINT_STORE_TIMEOUT_MS") ? { timeoutMs: storeTimeoutMs(env) } : {});
  switch (kind) {
    case "memory":
      return { kind, keyring };
    case "file":
      return { kind, dir: get("CHECKPOINT_DIR") ?? DEFAULT_CHECKPOINT_DIR, keyring };
    case "sqlite": {
      const url = get("DATABASE_URL") ?? DEFAULT_SQLITE_URL;
      if (!url.startsWith("file:") || url.length <= 5)
        throw configError(
          `DATABASE_URL must be a SQLite file URL like ${DEFAULT_SQLITE_URL} when CHECKPOINT_STORE is sqlite (got ${JSON.stringify(redactUrl(url))}).`,
        );
      return { kind, url, keyring };
    }
    case "postgres": {
      const url = get("DATABASE_URL");
      if (!url) throw configError("DATABASE_URL is required when CHECKPOINT_STORE is postgres (e.g. postgresql://postgres@127.0.0.1:5432/waypoint).");
      parseUrl("DATABASE_URL", url, ["postgres:", "postgresql:"], "postgresql://postgres@127.0.0.1:5432/waypoint");
      return { kind, url, keyring, ...timeout() };
    }
    case "redis": {
      const url = get("REDIS_URL") ?? DEFAULT_REDIS_URL;
      parseUrl("REDIS_URL", url, ["redis:", "rediss:"], DEFAULT_REDIS_URL);
      const config: StoreConfig = { kind, url, keyring, ...timeout() };
      const prefix = get("REDIS_PREFIX");
      if (prefix !== undefined) {
        if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix))
          throw configError(`REDIS_PREFIX must be 1-64 letters, digits, "_", "-", "." or ":" (got ${JSON.stringify(prefix)}).`);
        config.prefix = prefix;
      }
      const ttl = get("REDIS_TTL_SECONDS");
      if (ttl !== undefined) {
        if (!/^\d+$/.test(ttl) || Number(ttl) < 1 || !Number.isSafeInteger(Number(ttl)))
          throw configError(`REDIS_TTL_SECONDS must be a positive whole number of seconds (got ${JSON.stringify(ttl)}).`);
        config.ttlSeconds = Number(ttl);
      }
      return config;
    }
    default:
      throw configError(`CHECKPOINT_STORE must be one of ${STORE_KINDS.join(", ")} (got ${JSON.stringify(env.CHECKPOINT_STORE)}).`);
  }
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ETIMEDOUT: "timed out",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  P1001: "server unreachable",
  "28P01": "authentication failed",
  "28000": "authentication rejected",
  "3D000": "database does not exist",
  SQLITE_CANTOPEN: "cannot open the database file",
  EACCES: "permission denied",
};

/** The most telling error code in an error's cause chain (including AggregateError members). */
function reasonOf(err: unknown): string {
  const seen = new Set<unknown>();
  const queue = [err];
  while (queue.length) {
    const e = queue.shift() as { code?: unknown; errorCode?: unknown; cause?: unknown; errors?: unknown } | null;
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    for (const c of [e.code, e.errorCode]) if (typeof c === "string" && REASONS[c]) return REASONS[c];
    queue.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  const msg = (err as Error)?.message ?? String(err);
  for (const [code, reason] of Object.entries(REASONS)) if (msg.includes(code)) return reason;
  return msg.split("\n")[0].slice(0, 200);
}

function hostPort(url: string, defaultPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || defaultPort}`;
  } catch {
    return redactUrl(url);
  }
}

/**
 * Opens the configured store, wrapped for encryption at rest: sealing with the ring's current key, opening with
 * any of its keys; without a ring, values are written in clear and an encrypted one read back is an
 * ENCRYPTION_KEY error (never the ciphertext as state).
 */
export async function createStore(config: StoreConfig): Promise<CheckpointStore> {
  const keyring = config.keyring === undefined ? keyringFromEnv(process.env) : config.keyring;
  return encryptStore(await openBackend(config), keyring);
}

async function openBackend(config: StoreConfig): Promise<CheckpointStore> {
  const where = (): [variable: string, what: string] => {
    switch (config.kind) {
      case "sqlite":
        return ["DATABASE_URL", `open SQLite database ${config.url.slice(5)}`];
      case "postgres":
        return ["DATABASE_URL", `connect to PostgreSQL at ${hostPort(config.url, 5432)}`];
      case "redis":
        return ["REDIS_URL", `connect to Redis at ${hostPort(config.url, 6379)}`];
      case "file":
        return ["CHECKPOINT_DIR", `open the checkpoint directory ${config.dir}`];
      default:
        return ["CHECKPOINT_STORE", "open the memory store"];
    }
  };
  try {
    switch (config.kind) {
      case "memory":
        return await createMemoryStore();
      case "file":
        return await createFileStore({ dir: config.dir });
      case "sqlite":
        return await (await import("./sqlite")).createSqliteStore({ url: config.url });
      case "postgres":
        return await (await import("./postgres")).createPostgresStore({ url: config.url, timeoutMs: config.timeoutMs });
      case "redis":
        return await (
          await import("./redis")
        ).createRedisStore({ url: config.url, prefix: config.prefix, ttlSeconds: config.ttlSeconds, timeoutMs: config.timeoutMs });
      default:
        throw configError(`CHECKPOINT_STORE must be one of ${STORE_KINDS.join(", ")} (got ${JSON.stringify((config as { kind: unknown }).kind)}).`);
    }
  } catch (err) {
    if (isWaypointError(err, "STORE_CONFIG")) throw err;
    const [variable, what] = where();
    // A backend's own STORE_UNAVAILABLE already carries a short reason (timeouts.ts `unavailable`).
    const known = isWaypointError(err, "STORE_UNAVAILABLE") && typeof err.details.reason === "string" ? err.details.reason : null;
    throw new WaypointError(
      "STORE_UNAVAILABLE",
      `${variable}: could not ${what} (${known ?? reasonOf(err)}).`,
      { kind: config.kind },
      { cause: err },
    );
  }
}

/** `createStore(storeConfigFromEnv(env))`. */
export async function createStoreFromEnv(env: Record<string, string | undefined> = process.env): Promise<CheckpointStore> {
  return createStore(storeConfigFromEnv(env));
}
