/**
 * `npx tsx bench/ab-seq.ts --against <dir> [--stores memory,sqlite,postgres,redis] [--rounds 12] [--per 30]` —
 * sequential steps/s of this checkout against another (e.g. the previous commit unpacked with `git archive`,
 * node_modules and lib/generated linked or copied in), in ONE process per backend: rounds of --per sequential
 * invokes of the peer workload's 10-node chain (workload.ts), alternating the two codes (the order flips every
 * round), each on a store of its own, and the ratio taken round by round. On a shared machine whose speed moves
 * 2–5× within minutes this is steadier than whole runs minutes apart; it is how issue 10's bookkeeping change
 * was checked. Prints one JSON line per backend (medians, ratio median/min/max, store calls per invoke).
 *
 * `--encrypt this|other|both` turns encryption at rest on for that side (a fresh key; lib/checkpoint/crypto.ts):
 * `--against . --encrypt this` measures what encryption costs in this checkout.
 *
 * Storage: sqlite in temp folders, PostgreSQL databases `${BENCH_PG_DB ?? "waypoint_bench"}_ab_this` / `_ab_other`
 * (created if missing, on PG_URL's server), Redis keys under `${BENCH_REDIS_PREFIX ?? "waypoint_bench:"}ab:`
 * (deleted afterwards).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import type { CheckpointStore } from "../lib/checkpoint/types";
import { median } from "./stats";
import { PG_URL, REDIS_URL } from "./backends";

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? def : argv[i + 1];
};
const against = arg("against", "");
if (!against) throw new Error("usage: ab-seq.ts --against <dir of the other checkout> [--stores …] [--rounds 12] [--per 30]");
const stores = arg("stores", "memory,sqlite,postgres,redis").split(",").filter(Boolean);
const rounds = Number(arg("rounds", "12"));
const per = Number(arg("per", "30"));
const encrypt = arg("encrypt", "");
const DB = process.env.BENCH_PG_DB ?? "waypoint_bench";
const PREFIX = `${process.env.BENCH_REDIS_PREFIX ?? "waypoint_bench:"}ab:`;
const ROOTS = { this: path.resolve(import.meta.dirname, ".."), other: path.resolve(against) } as const;
type Side = keyof typeof ROOTS;

const STORE_CALLS = ["save", "latest", "load", "updateThread", "acquireLock", "releaseLock", "putWrites", "stealLock"] as const;

interface Opened {
  store: CheckpointStore;
  invoke: (threadId: string) => Promise<unknown>;
  calls: { n: number };
  dispose: () => Promise<void>;
}

async function ensureDb(name: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
}

async function open(kind: string, side: Side): Promise<Opened> {
  const root = ROOTS[side];
  const { createStore } = (await import(`${root}/lib/checkpoint/factory.ts`)) as typeof import("../lib/checkpoint/factory");
  const { chainGraph } = (await import(`${root}/bench/workload.ts`)) as typeof import("./workload");
  // Encryption on for this side (a fresh key), explicitly off otherwise (whatever the environment says).
  const keyring =
    encrypt === side || encrypt === "both"
      ? ((await import(`${root}/lib/checkpoint/crypto.ts`)) as typeof import("../lib/checkpoint/crypto")).createKeyring(
          randomBytes(32).toString("base64"),
        )
      : null;
  let dir = "";
  let store: CheckpointStore;
  if (kind === "sqlite") {
    dir = mkdtempSync(path.join(os.tmpdir(), "waypoint-ab-"));
    store = await createStore({ kind: "sqlite", url: `file:${path.join(dir, "ab.db")}`, keyring });
  } else if (kind === "postgres") {
    const u = new URL(PG_URL);
    u.pathname = `/${DB}_ab_${side}`;
    await ensureDb(`${DB}_ab_${side}`);
    store = await createStore({ kind: "postgres", url: u.toString(), keyring });
  } else if (kind === "redis") store = await createStore({ kind: "redis", url: REDIS_URL, prefix: `${PREFIX}${side}:${process.pid}:`, keyring });
  else store = await createStore({ kind: kind as "memory", keyring });
  await store.setup();
  // Counts the engine's store calls. Invokes run one at a time, so a call made while another is in progress is
  // the store's own (e.g. acquireLock's latest on the in-process stores) and is not counted.
  const calls = { n: 0 };
  let depth = 0;
  const s = store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const m of STORE_CALLS) {
    const orig = s[m].bind(store);
    s[m] = async (...a: unknown[]) => {
      if (depth === 0) calls.n++;
      depth++;
      try {
        return await orig(...a);
      } finally {
        depth--;
      }
    };
  }
  const g = chainGraph(store);
  return {
    store,
    calls,
    invoke: (threadId) => g.invoke({ items: [] }, { threadId }),
    dispose: async () => {
      if (kind === "redis") {
        const r = (store as unknown as { redis: import("ioredis").Redis }).redis;
        const keys = await r.keys(`${PREFIX}${side}:${process.pid}:*`);
        for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      }
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const kind of stores) {
  const sides = { this: await open(kind, "this"), other: await open(kind, "other") };
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  let n = 0;
  const round = async (side: Side, count: number) => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await sides[side].invoke(`ab-${tag}-${n++}`);
    return (count * 10) / ((performance.now() - t0) / 1000);
  };
  await round("other", 20); // warm-up: JIT, pools, prepared statements
  await round("this", 20);
  const got: Record<Side, number[]> = { this: [], other: [] };
  const ratios: number[] = [];
  const callsAt = { this: sides.this.calls.n, other: sides.other.calls.n };
  for (let r = 0; r < rounds; r++) {
    const one: Partial<Record<Side, number>> = {};
    for (const side of (r % 2 ? ["this", "other"] : ["other", "this"]) as Side[]) one[side] = await round(side, per);
    got.this.push(one.this!);
    got.other.push(one.other!);
    ratios.push(one.this! / one.other!);
  }
  const perInvoke = (side: Side) => (sides[side].calls.n - callsAt[side]) / (rounds * per);
  console.log(
    JSON.stringify({
      store: kind,
      rounds,
      per,
      thisStepsPerS: Math.round(median(got.this)),
      otherStepsPerS: Math.round(median(got.other)),
      ratio: +median(ratios).toFixed(2),
      ratioMin: +Math.min(...ratios).toFixed(2),
      ratioMax: +Math.max(...ratios).toFixed(2),
      storeCallsPerInvoke: { this: perInvoke("this"), other: perInvoke("other") },
      loadavg: readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" "),
    }),
  );
  await sides.this.dispose();
  await sides.other.dispose();
}
