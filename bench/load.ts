/**
 * Load: N concurrent clients, each in a loop for the duration: create an `approval` thread with an input,
 * wait for its review interrupt, approve it with `wait: true`. Then every thread is checked: done, published,
 * one branch, one interrupt answered. Reports flows/s and per-flow / per-request latency percentiles.
 *
 *   npx tsx bench/load.ts [--store sqlite|postgres|redis] [--clients 30] [--seconds 60] [--url http://host:port]
 *
 * Starts its own `next start` server (building first if there is no build) on a private store (a temp SQLite
 * file, a PostgreSQL database created and dropped, a Redis key prefix), like the API tests. The figures are in
 * docs/benchmarks.md; tests/api/concurrency.test.ts runs the same loop, shorter, as a correctness test.
 * `--url`: load a server that is already running instead (its store is whatever it was started with).
 */
import { client, type Client } from "../tests/api/helpers/client";
import { ensureBuilt, startServer } from "../tests/api/helpers/server";
import { postgresStore, redisStore, sqliteStore } from "../tests/api/helpers/stores";
import { pct } from "./stats";

export interface LoadResult {
  flows: number;
  seconds: number;
  flowsPerSec: number;
  /** Whole flow: create → interrupt seen → approved and done. */
  flowP50: number;
  flowP99: number;
  /** Every request of every flow (create, polls, approve with wait). */
  requestP50: number;
  requestP99: number;
  errors: string[];
  threadIds: string[];
}

export async function runLoad(api: Client, opts: { clients: number; durationMs: number }): Promise<LoadResult> {
  const flowMs: number[] = [];
  const reqMs: number[] = [];
  const errors: string[] = [];
  const threadIds: string[] = [];
  const timed = async <T>(p: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await p();
    } finally {
      reqMs.push(performance.now() - t0);
    }
  };
  const started = performance.now();
  const deadline = started + opts.durationMs;

  async function flow(n: number): Promise<void> {
    const t0 = performance.now();
    const created = await timed(() => api.post("/api/threads", { graphId: "approval", input: { topic: `load ${n}` } }));
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body).slice(0, 200)}`);
    const id = created.body.threadId as string;
    threadIds.push(id);
    for (let polls = 0; ; polls++) {
      const t = await timed(() => api.get(`/api/threads/${id}`));
      if (t.status !== 200) throw new Error(`poll ${id}: ${t.status} ${JSON.stringify(t.body).slice(0, 200)}`);
      if (t.body.status === "interrupted") break;
      if (t.body.status !== "running" || polls > 2000) throw new Error(`thread ${id} is ${t.body.status} while waiting for its interrupt`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const done = await timed(() => api.post(`/api/threads/${id}/runs`, { command: { resume: { action: "approve" } }, wait: true }));
    if (done.status !== 200 || done.body.thread?.status !== "done")
      throw new Error(`approve ${id}: ${done.status} ${JSON.stringify(done.body).slice(0, 200)}`);
    flowMs.push(performance.now() - t0);
  }

  let n = 0;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (performance.now() < deadline) {
        try {
          await flow(n++);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Consistency: every thread done and published, its history one branch with one answered interrupt.
  for (const id of threadIds) {
    const t = await api.get(`/api/threads/${id}`);
    const s = await api.get(`/api/threads/${id}/state`);
    const all = (await api.get(`/api/threads/${id}/history?limit=1000&fields=summary`)).body.checkpoints ?? [];
    const branch = s.body.checkpoint
      ? ((await api.get(`/api/threads/${id}/history?limit=1000&fields=summary&checkpointId=${s.body.checkpoint.checkpointId}`)).body.checkpoints ??
        [])
      : [];
    const interrupts = all.filter((c: { interrupts: unknown[] }) => c.interrupts.length > 0).length;
    if (t.body.status !== "done" || !s.body.values?.published || branch.length !== all.length || interrupts !== 1)
      errors.push(
        `thread ${id} inconsistent: status ${t.body.status}, published ${s.body.values?.published}, ${all.length} checkpoints, ${branch.length} on the head's branch, ${interrupts} interrupts`,
      );
  }
  return {
    flows: flowMs.length,
    seconds,
    flowsPerSec: flowMs.length / seconds,
    flowP50: pct(flowMs, 50),
    flowP99: pct(flowMs, 99),
    requestP50: pct(reqMs, 50),
    requestP99: pct(reqMs, 99),
    errors,
    threadIds,
  };
}

function print(storeName: string, clients: number, r: LoadResult): void {
  const f = (x: number) => x.toFixed(0);
  console.log("| store | clients | seconds | flows | flows/s | flow p50 ms | flow p99 ms | request p50 ms | request p99 ms | errors |");
  console.log(
    `| ${storeName} | ${clients} | ${r.seconds.toFixed(1)} | ${r.flows} | ${r.flowsPerSec.toFixed(1)} | ${f(r.flowP50)} | ${f(r.flowP99)} | ${f(r.requestP50)} | ${f(r.requestP99)} | ${r.errors.length} |`,
  );
  if (r.errors.length) console.error(r.errors.slice(0, 10).join("\n"));
  process.exitCode = r.errors.length ? 1 : 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, def: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
  };
  const storeName = arg("store", "sqlite");
  const make = { sqlite: sqliteStore, postgres: postgresStore, redis: redisStore }[storeName];
  if (!make) throw new Error(`--store must be sqlite, postgres or redis (got ${storeName})`);
  const clients = Number(arg("clients", "30"));
  const seconds = Number(arg("seconds", "60"));
  const url = arg("url", "");
  if (url) {
    // Against a running server: an API token (operator or above) from WAYPOINT_TOKEN.
    const token = process.env.WAYPOINT_TOKEN;
    if (!token) throw new Error("--url needs WAYPOINT_TOKEN: an API token with the operator role (or the server's WAYPOINT_ADMIN_TOKEN).");
    const r = await runLoad(client(url, token), { clients, durationMs: seconds * 1000 });
    print(storeName, clients, r);
    return;
  }
  ensureBuilt();
  const store = await make();
  const server = await startServer(store.env);
  try {
    const api = client(server.url);
    console.error(`load: ${clients} clients for ${seconds} s on ${storeName}…`);
    const r = await runLoad(api, { clients, durationMs: seconds * 1000 });
    print(storeName, clients, r);
  } finally {
    await server.stop();
    await store.cleanup();
  }
}

if (process.argv[1] && /load\.ts$/.test(process.argv[1])) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
