/**
 * Workers (issue 15): completed runs/s with 1, 2 and 3 `npm run worker` processes, and the queue's overhead per
 * step at 1 worker against in-process execution, on PostgreSQL (pg-boss) and Redis (BullMQ).
 *
 *   npx tsx bench/workers.ts [--stores postgres,redis] [--runs 200] [--steps 20] [--step-ms 50] [--concurrency 4]
 *                            [--workers 1,2,3]
 *
 * The workload waits on I/O: the `pipeline` graph, `--steps` steps of `--step-ms` ms sleep each (one checkpoint per
 * step). Per store (a private PostgreSQL database / Redis key prefix, as the API tests make them):
 * - queue: one web instance with WAYPOINT_EXECUTE=off and N workers, each WAYPOINT_WORKER_CONCURRENCY=--concurrency
 *   (so one worker is the bottleneck: it holds that many runs at once). All --runs runs are posted at once; the
 *   figure is runs / (last run's end − first post), ends read from the runs' last checkpoints.
 * - in-process: a web instance executing its runs itself (WAYPOINT_EXECUTE=local) on the same store, fed the same
 *   runs --concurrency at a time (a client per slot, each run with `wait: true`), to set beside 1 worker.
 * Per step: the median over runs of (last work checkpoint − first) / (steps − 1) — the step's sleep plus its
 * checkpoint save, without the wait for a slot. Start delay: from a run's post to its first checkpoint (median;
 * with workers this includes the wait for a free slot behind the runs posted before it, so it is no queue latency).
 * Real processes throughout (next start, node + tsx for the workers), as tests/api/workers.test.ts starts them.
 * Progress goes to stderr, the markdown tables to stdout. See docs/benchmarks.md.
 */
import os from "node:os";
import { client, type Client } from "../tests/api/helpers/client";
import { ensureBuilt, startServer, type Server } from "../tests/api/helpers/server";
import { postgresStore, redisStore, type TestStore } from "../tests/api/helpers/stores";
import { startWorker, type WorkerProc } from "../tests/api/helpers/workers";
import { fmt, log, markdownTable, median } from "./stats";

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[i + 1] : def;
};
const STORES = { postgres: postgresStore, redis: redisStore } as const;
const stores = arg("stores", "postgres,redis").split(",") as (keyof typeof STORES)[];
for (const s of stores) if (!STORES[s]) throw new Error(`--stores takes postgres and/or redis (got ${s})`);
const RUNS = Number(arg("runs", "200"));
const STEPS = Number(arg("steps", "20"));
const STEP_MS = Number(arg("step-ms", "50"));
const CONC = Number(arg("concurrency", "4"));
const WORKERS = arg("workers", "1,2,3").split(",").map(Number);

interface Pass {
  label: string;
  seconds: number;
  runsPerSec: number;
  /** Median ms per step inside a run. */
  stepMs: number;
  /** Median ms from a run's post to its first checkpoint (including the wait for a slot). */
  pickupMs: number;
}

const input = (i: number) => ({ steps: STEPS, stepMs: STEP_MS, label: `bench ${i}` });

/** Every thread's checkpoints: when the run ended, its per-step time, and its pick-up delay. */
async function measure(api: Client, ids: { id: string; postedAt: number }[], t0: number, label: string): Promise<Pass> {
  let lastEnd = 0;
  const perStep: number[] = [];
  const pickup: number[] = [];
  for (const { id, postedAt } of ids) {
    const t = (await api.get(`/api/threads/${id}`)).body;
    if (t.status !== "done") throw new Error(`thread ${id} ended ${t.status}: ${JSON.stringify(t.error)}`);
    type Cp = { version: number; nodeName: string | null; createdAt: string };
    const cps = ((await api.get(`/api/threads/${id}/history?limit=1000&fields=summary`)).body.checkpoints as Cp[]).sort(
      (a, b) => a.version - b.version,
    );
    const at = (c: Cp) => Date.parse(c.createdAt);
    const works = cps.filter((c) => c.nodeName === "work");
    if (works.length !== STEPS) throw new Error(`thread ${id}: ${works.length} work checkpoints, not ${STEPS}`);
    lastEnd = Math.max(lastEnd, at(cps[cps.length - 1]));
    perStep.push((at(works[works.length - 1]) - at(works[0])) / (STEPS - 1));
    pickup.push(at(cps[0]) - postedAt);
  }
  const seconds = (lastEnd - t0) / 1000;
  return { label, seconds, runsPerSec: ids.length / seconds, stepMs: median(perStep), pickupMs: median(pickup) };
}

/** Waits until `count` threads of the store (all are ours) are "done"; a thread that ended in error stops the bench. */
async function drained(api: Client, count: number): Promise<void> {
  const matching = async (status: string) => (await api.get(`/api/thread-counts?status=${status}`)).body.matching.count as number;
  while ((await matching("done")) < count) {
    if ((await matching("error")) > 0) throw new Error("a run ended in error");
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function queuePass(api: Client, env: Record<string, string>, n: number, tag: string, doneBefore: number): Promise<Pass> {
  const workers: WorkerProc[] = await Promise.all(Array.from({ length: n }, (_, i) => startWorker(`bench-${tag}-${n}-${i}`, env)));
  try {
    const t0 = Date.now();
    const ids = await Promise.all(
      Array.from({ length: RUNS }, async (_, i) => {
        const postedAt = Date.now();
        const r = await api.post("/api/threads", { graphId: "pipeline", input: input(i) });
        if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        return { id: r.body.threadId as string, postedAt };
      }),
    );
    await drained(api, doneBefore + RUNS);
    return await measure(api, ids, t0, `${n} worker${n > 1 ? "s" : ""}`);
  } finally {
    await Promise.all(workers.map((w) => w.term()));
  }
}

async function inProcessPass(api: Client): Promise<Pass> {
  const ids: { id: string; postedAt: number }[] = [];
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < RUNS) {
        const i = next++;
        const t = await api.post("/api/threads", { graphId: "pipeline" });
        const postedAt = Date.now();
        const r = await api.post(`/api/threads/${t.body.threadId}/runs`, { input: input(i), wait: true });
        if (r.status !== 200) throw new Error(`run: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        ids.push({ id: t.body.threadId, postedAt });
      }
    }),
  );
  return measure(api, ids, t0, `in-process (${CONC} at a time)`);
}

async function benchStore(name: keyof typeof STORES): Promise<Pass[]> {
  const store: TestStore = await STORES[name]();
  const servers: Server[] = [];
  try {
    const env = { ...store.env, WAYPOINT_WORKER_CONCURRENCY: String(CONC) };
    const web = await startServer({ ...env, WAYPOINT_EXECUTE: "off" });
    servers.push(web);
    const api = client(web.url);
    const passes: Pass[] = [];
    let done = 0;
    for (const n of WORKERS) {
      log(`${name}: ${RUNS} runs of ${STEPS} × ${STEP_MS} ms on ${n} worker(s) × ${CONC}…`);
      passes.push(await queuePass(api, env, n, name, done));
      done += RUNS;
      log(`${name}: ${passes[passes.length - 1].runsPerSec.toFixed(2)} runs/s`);
    }
    await web.stop();
    const local = await startServer(env);
    servers.push(local);
    log(`${name}: the same runs in-process, ${CONC} at a time…`);
    passes.push(await inProcessPass(client(local.url)));
    return passes;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await store.cleanup();
  }
}

async function main(): Promise<void> {
  ensureBuilt();
  log(
    `machine: ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (const name of stores) {
    const passes = await benchStore(name);
    const one = passes.find((p) => p.label === "1 worker");
    const local = passes[passes.length - 1];
    const rows = [["store", "execution", "seconds", "runs/s", "vs 1 worker", "ms per step", "step overhead vs in-process", "start delay p50 ms"]];
    for (const p of passes)
      rows.push([
        name,
        p.label,
        fmt(p.seconds, 1),
        fmt(p.runsPerSec, 2),
        one ? `${(p.runsPerSec / one.runsPerSec).toFixed(2)}×` : "—",
        fmt(p.stepMs, 1),
        p === local ? "—" : `${(((p.stepMs - local.stepMs) / local.stepMs) * 100).toFixed(1)} %`,
        fmt(p.pickupMs, 0),
      ]);
    console.log(`\n${markdownTable(rows)}\n`);
  }
  log(
    `load after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
