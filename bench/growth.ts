/**
 * `npm run bench -- --growth`: how a thread's storage grows with its length, and what reading it costs (issue 10,
 * delta checkpoints). Tables in growth-report.ts; see docs/benchmarks.md, "Growth".
 *
 * - growth: per backend, one fresh store; for each N of --growth-steps a new thread runs a one-node loop graph
 *   N steps through the engine, each step appending one 200-byte item to `items` (append reducer) and setting
 *   `counter`. Reported: `store.storage(thread).bytes` (the stored text), bytes per step, what the backend grew
 *   by (backends.ts's size: SQLite's file + WAL after a checkpoint, ...), and "written": the JSON length of each
 *   step's `metadata.writes` (node, channel and value of every write), summed over the thread's saves, which is
 *   what the steps themselves wrote;
 * - reads, on the longest thread: `store.latest` and `store.load` of random checkpoints (median ms), and
 *   `store.list` (every checkpoint with its state) of the shortest thread;
 * - pipeline: the dashboard's `pipeline` graph (lib/graphs/pipeline.ts) as it is, stepMs 0, on SQLite;
 * - peer shape: the peer harness's own loop (workload.ts's loopGraph: a tiny item and a ~1 KB `pad` rewritten
 *   every step) for the peer's step counts, so our figures sit beside LangGraph.js's on the same workload.
 *
 * Every state read back is checked (counter and items agree), so a codec bug fails the run instead of timing it.
 */
import { performance } from "node:perf_hooks";
import { END, START, StateGraph, appendReducer } from "../lib/engine";
import type { Checkpoint, CheckpointStore, NewCheckpoint } from "../lib/checkpoint/types";
import { pipeline } from "../lib/graphs/pipeline";
import { openBackend, type Backend, type Opened } from "./backends";
import { median } from "./stats";
import { loopGraph } from "./workload";

export const ITEM_BYTES = 200;
const FILL = "Delta checkpoints store what a step changed, not the whole state again. ".repeat(4);
/** The step-n item: exactly ITEM_BYTES characters, different every step. */
export const mkItem = (n: number): string => `${n}:${FILL}`.slice(0, ITEM_BYTES);

export function growthGraph(store: CheckpointStore, n: number) {
  return new StateGraph({ items: { reducer: appendReducer, default: () => [] }, counter: {} })
    .addNode("step", (s) => {
      const c = ((s.counter as number | undefined) ?? 0) + 1;
      return { items: [mkItem(c)], counter: c };
    })
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => ((s.counter as number) < n ? "step" : END), ["step", END])
    .compile({ store, graphId: "bench-growth", recursionLimit: n + 10 });
}

/** A store whose saves are counted: the ids in order and the JSON bytes of each step's writes. */
function recording(store: CheckpointStore) {
  const rec = { ids: [] as string[], written: 0 };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "save")
        return async (cp: NewCheckpoint): Promise<Checkpoint> => {
          const saved = await target.save(cp);
          rec.ids.push(saved.id);
          rec.written += Buffer.byteLength(JSON.stringify(cp.metadata.writes));
          return saved;
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { store: proxy, rec };
}

/** storage(threadId), or undefined for a backend not delta-encoded yet (no storage() method). */
async function storageOf(store: CheckpointStore, threadId: string) {
  return typeof store.storage === "function" ? store.storage(threadId) : undefined;
}

/**
 * Median wall ms of `times` calls, and median CPU ms of this process over each call (all its threads, GC
 * included). On a loaded machine the wall time swings with the load; the CPU time shows the work itself (but
 * leaves out the server's side for PostgreSQL and Redis).
 */
async function medianMs(times: number, fn: (i: number) => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < times; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpu.push((u.user + u.system) / 1000);
  }
  return { ms: median(ms), cpuMs: median(cpu) };
}

/** A checkpoint of the growth graph read back must be self-consistent: counter = number of items, last item right. */
function checkGrowthState(cp: Checkpoint, what: string): void {
  const items = (cp.state.items ?? []) as string[];
  const c = (cp.state.counter as number | undefined) ?? 0;
  if (items.length !== c || (c > 0 && items[c - 1] !== mkItem(c)))
    throw new Error(`${what}: state of ${cp.id} is wrong (counter ${c}, ${items.length} items)`);
}

export interface GrowthRow {
  steps: number;
  checkpoints: number;
  snapshots: number;
  /** storage(thread).bytes; NaN when the backend has no storage() yet. */
  bytes: number;
  bytesPerStep: number;
  writtenBytes: number;
  writtenPerStep: number;
  /** What the backend (file, database, memory) grew by while this thread ran. */
  physicalBytes: number;
  runMs: number;
  /** CPU ms of this process during the run (see medianMs). */
  runCpuMs: number;
}

/** Medians; each `…Cpu` is the CPU ms of the same calls (see medianMs). */
export interface GrowthReads {
  threadSteps: number;
  latestMs: number;
  latestCpu: number;
  loadOldMs: number;
  loadOldCpu: number;
  loads: number;
  historySteps: number;
  historyMs: number;
  historyCpu: number;
  historyCount: number;
}

export interface GrowthBackend {
  rows: GrowthRow[];
  reads?: GrowthReads;
  error?: string;
  note?: string;
}

/** Seeded (LCG) so every backend loads the same checkpoint positions. */
function picks(n: number, count: number): number[] {
  let x = 12345;
  return Array.from({ length: count }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  });
}

export async function runGrowth(kind: Backend, steps: number[], log: (...a: unknown[]) => void): Promise<GrowthBackend> {
  let opened: Opened;
  try {
    opened = await openBackend(kind, 7);
  } catch (e) {
    return { rows: [], error: `not available: ${(e as Error).message.split("\n")[0]}` };
  }
  const out: GrowthBackend = { rows: [] };
  const threads: { steps: number; tid: string; ids: string[] }[] = [];
  try {
    const { store, rec } = recording(opened.store);
    if (typeof opened.store.storage !== "function") out.note = "no storage() yet (full states): stored bytes not reported";
    for (const n of steps) {
      const tid = `growth-${n}`;
      rec.ids = [];
      rec.written = 0;
      const size0 = await opened.probe.size();
      const c = process.cpuUsage();
      const t = performance.now();
      const res = await growthGraph(store, n).invoke({ counter: 0 }, { threadId: tid, recursionLimit: n + 10 });
      const runMs = performance.now() - t;
      const u = process.cpuUsage(c);
      if (res.values.counter !== n) throw new Error(`growth ${n}: the run stopped at ${String(res.values.counter)}`);
      const physicalBytes = (await opened.probe.size()) - size0;
      const st = await storageOf(opened.store, tid);
      const bytes = st?.bytes ?? NaN;
      out.rows.push({
        steps: n,
        checkpoints: st?.checkpoints ?? rec.ids.length,
        snapshots: st?.snapshots ?? NaN,
        bytes,
        bytesPerStep: bytes / n,
        writtenBytes: rec.written,
        writtenPerStep: rec.written / n,
        physicalBytes,
        runMs,
        runCpuMs: (u.user + u.system) / 1000,
      });
      threads.push({ steps: n, tid, ids: [...rec.ids] });
      log(`${kind} growth ${n} steps: ${JSON.stringify(out.rows.at(-1))}`);
    }

    const long = threads.reduce((a, b) => (b.steps > a.steps ? b : a));
    const short = threads.find((x) => x.steps === 1000) ?? threads.reduce((a, b) => (b.steps < a.steps ? b : a));
    const s = opened.store;
    const latest = await medianMs(21, async () => {
      const cp = await s.latest(long.tid);
      if (!cp || cp.state.counter !== long.steps) throw new Error("latest: wrong checkpoint");
      checkGrowthState(cp, "latest");
    });
    const at = picks(long.ids.length, 51);
    const loadOld = await medianMs(at.length, async (i) => checkGrowthState(await s.load(long.ids[at[i]]), "load"));
    let historyCount = 0;
    const history = await medianMs(5, async () => {
      const all = await s.list(short.tid);
      historyCount = all.length;
      if (historyCount !== short.ids.length) throw new Error(`list: ${historyCount} checkpoints, ${short.ids.length} saved`);
      checkGrowthState(all[historyCount - 1], "list");
      checkGrowthState(all[historyCount >> 1], "list");
    });
    out.reads = {
      threadSteps: long.steps,
      latestMs: latest.ms,
      latestCpu: latest.cpuMs,
      loadOldMs: loadOld.ms,
      loadOldCpu: loadOld.cpuMs,
      loads: at.length,
      historySteps: short.steps,
      historyMs: history.ms,
      historyCpu: history.cpuMs,
      historyCount,
    };
    log(`${kind} growth reads: ${JSON.stringify(out.reads)}`);
  } catch (e) {
    out.error = `failed: ${(e as Error).stack ?? e}`.slice(0, 800);
  } finally {
    await opened.dispose().catch((e) => log(`${kind}: dispose failed: ${(e as Error).message}`));
  }
  return out;
}

export interface PipelineResult {
  steps: number;
  checkpoints?: number;
  bytes?: number;
  /** SQLite file + WAL growth over the run (after a WAL checkpoint). */
  dbBytes?: number;
  runMs?: number;
  error?: string;
}

/** The dashboard's pipeline graph, unchanged (its own recursion limit, stepMs 0), on a fresh SQLite store. */
export async function runPipelineGrowth(steps: number, log: (...a: unknown[]) => void): Promise<PipelineResult> {
  let opened: Opened;
  try {
    opened = await openBackend("sqlite", 8);
  } catch (e) {
    return { steps, error: `not available: ${(e as Error).message.split("\n")[0]}` };
  }
  try {
    const size0 = await opened.probe.size();
    const { store, rec } = recording(opened.store);
    const app = pipeline.build().compile({ store, graphId: "pipeline", recursionLimit: pipeline.recursionLimit });
    const t = performance.now();
    const res = await app.invoke({ steps, stepMs: 0, failAt: null, label: "growth" }, { threadId: "pipeline-growth" });
    const runMs = performance.now() - t;
    if (res.values.status !== "finished" || (res.values.completed as number[]).length !== steps)
      throw new Error(`pipeline: ${res.status}, ${String(res.values.status)}, ${(res.values.completed as number[]).length} steps`);
    const dbBytes = (await opened.probe.size()) - size0;
    const st = await storageOf(opened.store, "pipeline-growth");
    const out = { steps, checkpoints: st?.checkpoints ?? rec.ids.length, bytes: st?.bytes, dbBytes, runMs };
    log(`pipeline on sqlite: ${JSON.stringify(out)}`);
    return out;
  } catch (e) {
    return { steps, error: `failed: ${(e as Error).stack ?? e}`.slice(0, 800) };
  } finally {
    await opened.dispose().catch((e) => log(`pipeline: dispose failed: ${(e as Error).message}`));
  }
}

/** One thread of a run of the peer's loop: stored bytes of that thread and its read times. */
export interface LoopShape {
  steps: number;
  bytesPerStep?: number;
  /** What the backend holds (backends.ts's size; the peer's own `totalBytes`, its two one-thread phases included) per step. */
  backendBytesPerStep?: number;
  runMs?: number;
  historyMs?: number;
  historyCount?: number;
  latestMs?: number;
  error?: string;
}

/** Ours on the peer harness's loop workload (tiny item + ~1 KB pad per step), measured as the peer measures it. */
export async function runPeerShape(kind: Backend, steps: number): Promise<LoopShape> {
  let opened: Opened;
  try {
    opened = await openBackend(kind, 9);
  } catch (e) {
    return { steps, error: `not available: ${(e as Error).message.split("\n")[0]}` };
  }
  try {
    const loop = loopGraph(opened.store, steps);
    const tid = "loop-1";
    const size0 = await opened.probe.size();
    let t = performance.now();
    const res = await loop.invoke({ counter: 0 }, { threadId: tid, recursionLimit: steps + 10 });
    const runMs = performance.now() - t;
    if (res.values.counter !== steps) throw new Error("loop did not finish");
    const backendBytesPerStep = ((await opened.probe.size()) - size0) / steps;
    t = performance.now();
    const hist = await loop.getStateHistory(tid);
    const historyMs = performance.now() - t;
    t = performance.now();
    const latest = await loop.getState(tid);
    const latestMs = performance.now() - t;
    if (latest.values.counter !== steps) throw new Error("getState mismatch");
    const st = await storageOf(opened.store, tid);
    return { steps, bytesPerStep: (st?.bytes ?? NaN) / steps, backendBytesPerStep, runMs, historyMs, historyCount: hist.length, latestMs };
  } catch (e) {
    return { steps, error: `failed: ${(e as Error).stack ?? e}`.slice(0, 800) };
  } finally {
    await opened.dispose().catch(() => {});
  }
}
