/**
 * Runs executed by workers through the store's queue (issue 15): on PostgreSQL (pg-boss) and on Redis (BullMQ),
 * two web instances started with WAYPOINT_EXECUTE=off and three `npm run worker` processes, all real.
 *
 * - Threads started through both web instances all finish, each worker ran some, every step once.
 * - A worker stopped with SIGTERM takes no more jobs, exits 0, and its runs finish on the others.
 * - A worker frozen with SIGSTOP past its lease, whose runs the others take over, saves nothing once it wakes.
 * - Workers SIGKILLed 20 times at (seeded) random moments: every thread still finishes, no step lost or duplicated,
 *   versions contiguous and every checkpoint's parent the one before it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type Client } from "./helpers/client";
import { ensureBuilt, startServer, type Server } from "./helpers/server";
import { postgresStore, redisStore, type TestStore } from "./helpers/stores";
import { startWorker, type WorkerProc } from "./helpers/workers";

const SEED = Number(process.env.WAYPOINT_WORKERS_SEED ?? Date.now() % 1_000_000);

/** mulberry32: the kill moments and victims, repeatable with WAYPOINT_WORKERS_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `count` pipeline threads, alternating between the web instances; returns their ids. */
async function startThreads(apis: Client[], count: number, input: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      // A 503 (the store slower than its deadline on a machine shared with other suites) is asked again: what this
      // file checks is what happens to runs, not how fast the store answers. The thread a 503 may leave is unused.
      let r = await apis[i % apis.length].post("/api/threads", { graphId: "pipeline", input: { ...input, label: `t${i}` } });
      for (let tries = 1; r.status === 503 && tries < 5; tries++) {
        await sleep(1000);
        r = await apis[i % apis.length].post("/api/threads", { graphId: "pipeline", input: { ...input, label: `t${i}` } });
      }
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.push(r.body.threadId);
    }),
  );
  return ids;
}

/**
 * The thread finished with each step recorded once: `completed` is 1..steps, one `work` checkpoint per step,
 * versions 1..n without gaps, each checkpoint's parent the one before. Returns the workers its steps ran on.
 */
async function checkThread(api: Client, id: string, steps: number): Promise<Set<string>> {
  const t = await api.until(`/api/threads/${id}`, (t: any) => t.status !== "running" && t.status !== "idle", 120_000);
  expect(t.status, JSON.stringify(t.error)).toBe("done");
  const state = (await api.get(`/api/threads/${id}/state`)).body;
  const oneToN = Array.from({ length: steps }, (_, i) => i + 1);
  expect(state.values.completed).toEqual(oneToN);
  const all = (await api.get(`/api/threads/${id}/history?limit=1000`)).body.checkpoints.sort((a: any, b: any) => a.version - b.version);
  expect(all.map((c: any) => c.version)).toEqual(Array.from({ length: all.length }, (_, i) => all[0].version + i));
  expect(all[0].parentId).toBeNull();
  for (let i = 1; i < all.length; i++) expect(all[i].parentId).toBe(all[i - 1].checkpointId);
  const works = all.filter((c: any) => c.nodeName === "work").map((c: any) => c.values.current);
  expect(works).toEqual(oneToN);
  return new Set(all.map((c: any) => c.metadata.worker).filter((w: unknown): w is string => typeof w === "string"));
}

async function checkAll(api: Client, ids: string[], steps: number): Promise<Map<string, number>> {
  const perWorker = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 10)
    for (const seen of await Promise.all(ids.slice(i, i + 10).map((id) => checkThread(api, id, steps))))
      for (const w of seen) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
  return perWorker;
}

for (const make of [postgresStore, redisStore]) {
  const name = make.name.replace("Store", "");
  describe(`runs on workers through the queue (${name})`, () => {
    let store: TestStore | undefined;
    const webs: Server[] = [];
    let workers: WorkerProc[] = [];
    let env: Record<string, string> = {};
    let apis: Client[] = [];
    /** Every worker process this file started, whatever slot it ended in: all are killed at the end. */
    const started: WorkerProc[] = [];
    const spawnWorker = async (id: string) => {
      const w = await startWorker(id, env);
      started.push(w);
      return w;
    };

    beforeAll(async () => {
      ensureBuilt();
      store = await make();
      // A 3 s run-lock lease: a killed worker's runs are taken over within seconds.
      env = { ...store.env, WAYPOINT_LOCK_TTL_MS: "3000", WAYPOINT_JOB_EXPIRE_SECONDS: "30", WAYPOINT_WORKER_CONCURRENCY: "4", LOG_LEVEL: "info" };
      webs.push(...(await Promise.all([startServer({ ...env, WAYPOINT_EXECUTE: "off" }), startServer({ ...env, WAYPOINT_EXECUTE: "off" })])));
      apis = webs.map((w) => client(w.url));
      workers = await Promise.all(["w1", "w2", "w3"].map((id) => spawnWorker(`${name}-${id}`)));
    }, 120_000);

    afterAll(async () => {
      await Promise.all(started.map((w) => w.kill()));
      await Promise.all(webs.map((w) => w.stop()));
      await store?.cleanup();
    });

    it("50 threads started through two web instances all finish on the workers, each worker running some", async () => {
      expect(webs[0].output()).toContain("this server executes none");
      const ids = await startThreads(apis, 50, { steps: 4, stepMs: 60 });
      const perWorker = await checkAll(apis[0], ids, 4);
      console.log(`[workers ${name}] threads per worker: ${JSON.stringify(Object.fromEntries(perWorker))}`);
      for (const w of workers) expect(perWorker.get(w.id) ?? 0, `worker ${w.id} ran nothing`).toBeGreaterThan(0);
      // `wait: true` through a web instance that executes nothing: answered once a worker has finished the run.
      const waited = await apis[1].post(`/api/threads/${ids[0]}/runs`, { input: { steps: 2, stepMs: 10 }, wait: true });
      expect(waited.status, JSON.stringify(waited.body)).toBe(200);
      expect(waited.body.run.status).toBe("done");
      expect(waited.body.thread.status).toBe("done");
      // What the engine would refuse before writing anything is still refused by the web instance, and nothing is queued.
      const elsewhere = (await apis[0].get(`/api/threads/${ids[2]}`)).body.headCheckpointId;
      const unknown = await apis[0].post(`/api/threads/${ids[1]}/runs`, { checkpointId: elsewhere });
      expect(unknown.status, JSON.stringify(unknown.body)).toBe(404);
      // The web instances executed nothing.
      for (const w of webs) expect(w.output()).not.toContain("run started");
    }, 180_000);

    it("SIGTERM: a worker takes no more jobs, hands its runs off at the next checkpoint and exits 0; they finish elsewhere", async () => {
      const victim = workers[0];
      const seenBefore = victim.output().length;
      const ids = await startThreads(apis, 12, { steps: 10, stepMs: 250 });
      // A second run on a thread whose run is running (on some worker) is refused by the other web instance.
      const [slow] = await startThreads(apis, 1, { steps: 2, stepMs: 4000 });
      await apis[1].until(`/api/threads/${slow}`, (t: any) => t.status === "running");
      expect((await apis[1].post(`/api/threads/${slow}/runs`, { input: { steps: 1, stepMs: 0 } })).status).toBe(409);
      // Wait until the first worker runs some of them.
      const end = Date.now() + 60_000;
      const startedHere = () => victim.output().slice(seenBefore).includes("run started");
      while (!startedHere() && Date.now() < end) await sleep(50);
      expect(startedHere()).toBe(true);
      expect(await victim.term()).toBe(0);
      expect(victim.output()).toContain("taking no more runs");
      const handedOff = victim.output().match(/"status":"running","msg":"run ended"/g)?.length ?? 0;
      console.log(`[workers ${name}] runs the stopped worker handed off at a checkpoint: ${handedOff}`);
      workers[0] = await spawnWorker(`${victim.id}b`);
      await checkAll(apis[1], ids, 10);
      await checkThread(apis[1], slow, 2);
    }, 180_000);

    it("a worker frozen past its lease (SIGSTOP) while others take its runs over writes nothing once it wakes (SIGCONT)", async () => {
      const victim = workers[1];
      const seenBefore = victim.output().length;
      const ids = await startThreads(apis, 12, { steps: 10, stepMs: 150 });
      const end = Date.now() + 60_000;
      const runsHere = () =>
        victim
          .output()
          .slice(seenBefore)
          .match(/run started/g)?.length ?? 0;
      while (runsHere() === 0 && Date.now() < end) await sleep(20);
      expect(runsHere()).toBeGreaterThan(0);
      // Frozen in the middle of its runs' steps: its leases (3 s) run out and the other workers' sweeps take the
      // runs over. On waking, each of its runs has a step in flight whose save the lock's fence must refuse.
      victim.signal("SIGSTOP");
      const frozen = victim.output().length;
      await sleep(9_000);
      victim.signal("SIGCONT");
      await checkAll(apis[0], ids, 10);
      const woke = victim.output().slice(frozen);
      console.log(`[workers ${name}] runs the frozen worker found taken over on waking: ${woke.match(/lost the lock/g)?.length ?? 0}`);
      expect(woke).toContain("lost the lock");
    }, 180_000);

    it("workers SIGKILLed at random moments: every thread finishes, each step once, versions and parent chain intact", async () => {
      const random = rng(SEED);
      console.log(`[workers ${name}] kill seed ${SEED} (WAYPOINT_WORKERS_SEED to repeat)`);
      // 60 threads of 12 × 150 ms steps on 12 slots: enough work that all 20 kills (about 0.55 s apart) land
      // while runs are going on, each kill stalling its runs for a lease.
      const ids = await startThreads(apis, 60, { steps: 12, stepMs: 150 });
      const KILLS = 20;
      const replacements: Promise<void>[] = [];
      const alive = () => workers.map((w, i) => ({ w, i })).filter(({ w }) => w.proc.exitCode === null && w.proc.signalCode === null);
      for (let k = 0; k < KILLS; k++) {
        await sleep(200 + random() * 700);
        // Every slot's worker killed and its replacement still starting: wait for the replacements.
        if (alive().length === 0) await Promise.all(replacements);
        const live = alive();
        const { w: victim, i } = live[Math.floor(random() * live.length)];
        await victim.kill();
        // The replacement starts in the background, so the next kill can come before it is up.
        replacements.push(
          spawnWorker(`${name}-k${k}`).then((w) => {
            workers[i] = w;
          }),
        );
      }
      const stillRunning = (await apis[0].get(`/api/threads?status=running&limit=100`)).body.threads?.length;
      console.log(`[workers ${name}] threads still running after the last kill: ${stillRunning}`);
      await Promise.all(replacements);
      const perWorker = await checkAll(apis[0], ids, 12);
      console.log(`[workers ${name}] after ${KILLS} kills, threads per worker: ${JSON.stringify(Object.fromEntries(perWorker))}`);
      const continued = started.reduce((n, w) => n + (w.output().match(/continuing thread/g)?.length ?? 0), 0);
      console.log(`[workers ${name}] runs continued from a checkpoint by another worker: ${continued}`);
      expect(continued).toBeGreaterThan(0);
      // 20 replacement workers start under tsx on a loaded 2-core machine: up to ~2.5 min was seen.
    }, 420_000);

    if (make === postgresStore)
      it("a run job whose worker died before the run saved anything is offered again (pg-boss has no heartbeat)", async () => {
        await Promise.all(workers.map((w) => w.kill()));
        const [id] = await startThreads(apis, 1, { steps: 3, stepMs: 20 });
        // This test takes the job as a worker would, then "dies": the job stays active, the thread untouched.
        const { default: PgBoss } = await import("pg-boss");
        const boss = new PgBoss({ connectionString: env.DATABASE_URL, schema: "waypoint_queue", supervise: false, schedule: false, migrate: false });
        await boss.start();
        // Take this thread's job: a job left by the kill test (a delivery offered again for a run that has ended
        // since) may come first; taken here, it is reclaimed by the sweep later and ends at once.
        let taken = false;
        for (let i = 0; i < 100 && !taken; i++) {
          const batch = await boss.fetch<{ threadId?: string }>("waypoint-runs");
          if (!batch?.length) break;
          taken = batch[0].data.threadId === id;
        }
        await boss.stop({ graceful: false, wait: true, close: true });
        expect(taken, "the new thread's run job was in the queue").toBe(true);
        expect((await apis[0].get(`/api/threads/${id}`)).body.status).toBe("idle");
        workers = [await spawnWorker(`${name}-after`)];
        await checkThread(apis[0], id, 3);
        expect(workers[0].output()).toContain("offered again");
      }, 120_000);
  });
}
