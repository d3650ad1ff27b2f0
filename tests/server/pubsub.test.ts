/**
 * The pub/sub transports on the real PostgreSQL and Redis (lib/server/pubsub): a note one instance sends reaches
 * the other and not itself; a connection killed from the server side is noticed, the instance reports itself not
 * live (its readers poll), reconnects by itself, tells its subscribers to re-read (`onResync`), and notes flow again.
 */
import pg from "pg";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster, type ClusterNote } from "@/lib/server/pubsub/cluster";
import { PgTransport } from "@/lib/server/pubsub/postgres";
import { RedisTransport } from "@/lib/server/pubsub/redis";

const PG_ADMIN = process.env.WAYPOINT_TEST_PG_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.WAYPOINT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const db = `wte_pubsub_${randomBytes(4).toString("hex")}`;
const prefix = `wte:pubsub-${randomBytes(4).toString("hex")}:`;
const dbUrl = () => {
  const u = new URL(PG_ADMIN);
  u.pathname = `/${db}`;
  return u.toString();
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = PG_ADMIN): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const until = async (cond: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

async function killListeners(kind: "postgres" | "redis"): Promise<number> {
  if (kind === "postgres")
    return admin(
      async (c) =>
        (
          await c.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'waypoint-listen'",
          )
        ).rowCount ?? 0,
      dbUrl(),
    );
  const r = new Redis(REDIS_URL);
  const ids = ((await r.client("LIST")) as string)
    .split("\n")
    .filter((l) => l.includes(` name=waypoint-listen:${prefix} `))
    .map((l) => /\bid=(\d+)/.exec(l)![1]);
  for (const id of ids) await r.client("KILL", "ID", id);
  r.disconnect();
  return ids.length;
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE ${db}`));
});
afterAll(async () => {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`));
});

describe.each(["postgres", "redis"] as const)("cluster notes over %s", (kind) => {
  const make = () => new Cluster(kind === "postgres" ? new PgTransport(dbUrl()) : new RedisTransport(REDIS_URL, prefix));
  let a: Cluster;
  let b: Cluster;
  beforeAll(async () => {
    [a, b] = [make(), make()];
    await until(() => a.live && b.live);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it("a note reaches the other instance, in order, and not its sender", async () => {
    const atB: ClusterNote[] = [];
    const atA: ClusterNote[] = [];
    const offB = b.subscribe("t1", (n) => atB.push(n));
    const offA = a.subscribe("t1", (n) => atA.push(n));
    const offOther = b.subscribe("t2", () => atB.push({ kind: "error", threadId: "wrong" }));
    for (let v = 1; v <= 20; v++) expect(await a.send({ kind: "checkpoint", threadId: "t1", checkpointId: `c${v}`, version: v })).toBe(true);
    await a.send({ kind: "run_ended", threadId: "t1", runId: "r1", status: "done" });
    await until(() => atB.length === 21);
    expect(atB.slice(0, 20).map((n) => (n as { version: number }).version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(atB[20]).toEqual({ kind: "run_ended", threadId: "t1", runId: "r1", status: "done" });
    expect(atA).toEqual([]);
    offA();
    offB();
    offOther();
  });

  it("loses the connection, is not live meanwhile, reconnects, resyncs, and notes flow again", async () => {
    let resyncs = 0;
    const off = b.onResync(() => resyncs++);
    expect(await killListeners(kind)).toBeGreaterThanOrEqual(2);
    await until(() => !b.live);
    await until(() => b.live && a.live && resyncs >= 1);
    const got: ClusterNote[] = [];
    const offB = b.subscribe("t3", (n) => got.push(n));
    await a.send({ kind: "thread_updated", threadId: "t3", reason: "edit" });
    await until(() => got.length === 1);
    offB();
    off();
  });

  it("sending while the store is unreachable answers false and does not throw", async () => {
    const dead = new Cluster(
      kind === "postgres" ? new PgTransport("postgresql://postgres@127.0.0.1:1/none") : new RedisTransport("redis://127.0.0.1:1", prefix),
    );
    expect(dead.live).toBe(false);
    expect(await dead.send({ kind: "error", threadId: "x" })).toBe(false);
    await dead.close();
  });
});

it("a store without pub/sub (SQLite, file, memory) is never live; sending is a no-op", async () => {
  const none = new Cluster(null);
  expect(none.live).toBe(false);
  expect(await none.send({ kind: "error", threadId: "x" })).toBe(false);
  await none.close();
});
