/** Store configuration from the environment, and createStore's error mapping against real (absent) servers. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createStore, redactUrl, storeConfigFromEnv } from "../../lib/checkpoint/factory";
import { isStoreConfigError, isStoreUnavailable, type WaypointError } from "../../lib/errors";

const configError = (env: Record<string, string>): WaypointError => {
  try {
    storeConfigFromEnv(env);
  } catch (e) {
    if (!isStoreConfigError(e)) throw e;
    return e;
  }
  throw new Error(`expected STORE_CONFIG for ${JSON.stringify(env)}`);
};

describe("storeConfigFromEnv", () => {
  it("defaults to SQLite at ./data/waypoint.db", () => {
    expect(storeConfigFromEnv({})).toEqual({ kind: "sqlite", url: "file:./data/waypoint.db" });
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "", DATABASE_URL: " " })).toEqual({ kind: "sqlite", url: "file:./data/waypoint.db" });
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "SQLite", DATABASE_URL: "file:/tmp/x.db" })).toEqual({ kind: "sqlite", url: "file:/tmp/x.db" });
  });

  it("reads every kind", () => {
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "memory" })).toEqual({ kind: "memory" });
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "file" })).toEqual({ kind: "file", dir: "./data/checkpoints" });
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "file", CHECKPOINT_DIR: "/var/cp" })).toEqual({ kind: "file", dir: "/var/cp" });
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "postgres", DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/test" })).toEqual({
      kind: "postgres",
      url: "postgresql://postgres@127.0.0.1:5432/test",
    });
    expect(storeConfigFromEnv({ CHECKPOINT_STORE: "redis" })).toEqual({ kind: "redis", url: "redis://127.0.0.1:6379" });
    expect(
      storeConfigFromEnv({ CHECKPOINT_STORE: "redis", REDIS_URL: "rediss://h:6380/2", REDIS_PREFIX: "wp:test:", REDIS_TTL_SECONDS: "3600" }),
    ).toEqual({ kind: "redis", url: "rediss://h:6380/2", prefix: "wp:test:", ttlSeconds: 3600 });
  });

  it("rejects bad values with one sentence naming the variable", () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ CHECKPOINT_STORE: "mongo" }, "CHECKPOINT_STORE", /one of sqlite, postgres, redis, file, memory.*"mongo"/],
      [{ CHECKPOINT_STORE: "postgres" }, "DATABASE_URL", /required/],
      [{ CHECKPOINT_STORE: "postgres", DATABASE_URL: "mysql://x/y" }, "DATABASE_URL", /postgres:\/\/ or postgresql:\/\//],
      [{ CHECKPOINT_STORE: "postgres", DATABASE_URL: "not a url" }, "DATABASE_URL", /not a valid URL/],
      [{ CHECKPOINT_STORE: "sqlite", DATABASE_URL: "postgresql://u:pw@h/db" }, "DATABASE_URL", /SQLite file URL/],
      [{ DATABASE_URL: "file:" }, "DATABASE_URL", /SQLite/],
      [{ CHECKPOINT_STORE: "redis", REDIS_URL: "http://x" }, "REDIS_URL", /redis:\/\/ or rediss:\/\//],
      [{ CHECKPOINT_STORE: "redis", REDIS_PREFIX: "bad prefix" }, "REDIS_PREFIX", /letters/],
      [{ CHECKPOINT_STORE: "redis", REDIS_TTL_SECONDS: "0" }, "REDIS_TTL_SECONDS", /positive whole number/],
      [{ CHECKPOINT_STORE: "redis", REDIS_TTL_SECONDS: "1.5" }, "REDIS_TTL_SECONDS", /positive whole number/],
      [{ CHECKPOINT_STORE: "redis", REDIS_TTL_SECONDS: "soon" }, "REDIS_TTL_SECONDS", /positive whole number/],
    ];
    for (const [env, variable, pattern] of cases) {
      const err = configError(env);
      expect(err.message.startsWith(variable), err.message).toBe(true);
      expect(err.message).toMatch(pattern);
      expect(err.message.trim().split(/\.\s+[A-Z]/).length, `one sentence: ${err.message}`).toBe(1);
    }
  });

  it("never prints a password", () => {
    const err = configError({ CHECKPOINT_STORE: "sqlite", DATABASE_URL: "postgresql://user:s3cret@h/db" });
    expect(err.message).not.toContain("s3cret");
    expect(redactUrl("redis://:hunter2@h:6379")).not.toContain("hunter2");
  });
});

describe("createStore", () => {
  it("opens the memory and file stores", async () => {
    const mem = await createStore({ kind: "memory" });
    expect(mem.kind).toBe("memory");
    const dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-factory-"));
    try {
      const file = await createStore({ kind: "file", dir });
      expect(file.kind).toBe("file");
      await file.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("turns an unreachable PostgreSQL server into STORE_UNAVAILABLE naming DATABASE_URL", async () => {
    // Port 1 on localhost: nothing listens there, so the connection is refused at once.
    const err = await createStore({ kind: "postgres", url: "postgresql://postgres@127.0.0.1:1/test" }).catch((e) => e);
    expect(isStoreUnavailable(err), String(err?.stack ?? err)).toBe(true);
    expect(err.message).toBe("DATABASE_URL: could not connect to PostgreSQL at 127.0.0.1:1 (connection refused).");
  });

  it("turns an unreachable Redis server into STORE_UNAVAILABLE naming REDIS_URL", async () => {
    const err = await createStore({ kind: "redis", url: "redis://127.0.0.1:1" }).catch((e) => e);
    expect(isStoreUnavailable(err), String(err?.stack ?? err)).toBe(true);
    expect(err.message).toBe("REDIS_URL: could not connect to Redis at 127.0.0.1:1 (connection refused).");
  });

  it("keeps configuration errors from a backend as STORE_CONFIG", async () => {
    const err = await createStore({ kind: "redis", url: "http://nope" }).catch((e) => e);
    expect(isStoreConfigError(err)).toBe(true);
  });
});
