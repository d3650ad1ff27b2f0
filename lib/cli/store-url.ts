import path from "node:path";
import { WaypointError } from "../errors";
import { createStore, storeConfigFromEnv, type StoreConfig } from "../checkpoint/factory";
import type { CheckpointStore } from "../checkpoint/types";

/**
 * A store named by one string on the command line:
 *   file:./data/waypoint.db        SQLite (the same URL as DATABASE_URL)
 *   postgres://user@host:5432/db   PostgreSQL (postgresql:// too)
 *   redis://host:6379/0?prefix=wp  Redis (prefix optional, as REDIS_PREFIX)
 *   dir:./data/checkpoints         the JSON-files store (a folder)
 * Without one, the store the server would use: CHECKPOINT_STORE, DATABASE_URL, ... from the environment.
 */
export function storeConfigFromUrl(url: string | undefined, env: Record<string, string | undefined> = process.env): StoreConfig {
  if (!url) return storeConfigFromEnv(env);
  const bad = (why: string) => new WaypointError("STORE_CONFIG", `${why} (got ${JSON.stringify(url)}).`);
  if (url.startsWith("file:")) {
    if (url.length <= 5) throw bad("A SQLite store is file:<path to the .db file>");
    return { kind: "sqlite", url };
  }
  if (url.startsWith("dir:")) {
    if (url.length <= 4) throw bad("A JSON-files store is dir:<folder>");
    return { kind: "file", dir: path.resolve(url.slice(4)) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  if (/^rediss?:\/\//.test(url)) {
    const u = new URL(url);
    const prefix = u.searchParams.get("prefix") ?? undefined;
    u.searchParams.delete("prefix");
    return { kind: "redis", url: u.toString(), ...(prefix ? { prefix } : {}) };
  }
  if (url === "memory:") return { kind: "memory" };
  throw bad("A store is file:<sqlite file>, postgres://..., redis://..., or dir:<folder>");
}

export async function openStore(url: string | undefined): Promise<CheckpointStore> {
  const store = await createStore(storeConfigFromUrl(url));
  await store.setup();
  return store;
}

/** A store's name for messages, without a password. */
export function describeStore(url: string | undefined): string {
  if (!url) return "the configured store (environment)";
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
}
