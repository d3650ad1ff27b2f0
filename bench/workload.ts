/**
 * The benchmark workload, a step-for-step mirror of the LangGraph.js peer harness (../shared/peer-bench):
 *
 * - warm-up: WARM invokes of the chain (JIT, pools, prepared statements);
 * - sequential: T threads one after another, each one invoke through a 10-node linear chain; every node appends
 *   one item to `items` (append reducer), sets `counter` = counter + 1 and `pad` to a ~1 KB string that differs
 *   every step;
 * - loop: one thread looping one node LOOP times through a conditional edge; then its whole history with state
 *   (getStateHistory, every checkpoint, as the peer iterates every StateSnapshot) and its latest state;
 * - concurrent: CONC threads x 10 steps at once (Promise.all).
 *
 * The result keys are the peer's, so both JSON files can be compared key by key.
 */
import { performance } from "node:perf_hooks";
import { END, START, StateGraph, appendReducer, type StateSchema } from "../lib/engine";
import { forgetPackedTexts } from "../lib/checkpoint/compress";
import type { CheckpointStore } from "../lib/checkpoint/types";
import { pct } from "./stats";

export const CHAIN = 10;

export interface Params {
  warm: number;
  threads: number;
  loop: number;
  conc: number;
}

export interface RepResult {
  seq_wall_ms: number;
  seq_steps_per_s: number;
  seq_ms_per_step: number;
  seq_p50_ms: number;
  seq_p99_ms: number;
  loop_run_ms: number;
  history_ms: number;
  /** The same read with compress.ts's cache of inflated writes emptied (ours only). */
  history_cold_ms?: number;
  history_count: number;
  getstate_ms: number;
  conc_wall_ms: number;
  conc_steps_per_s: number;
  totalSteps: number;
  bytes_per_step: number;
  totalBytes: number;
  /** Backend-specific counters (e.g. PostgreSQL queries and commits per invoke and per loop step). */
  probe: Record<string, number | string>;
}

// Same pad as the peer: ~1 KB, prefixed by the counter so it differs every step.
const PAD = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(30).slice(0, 1000);
const mkPad = (n: number) => `${n}:${PAD}`;

const schema = (): StateSchema => ({
  items: { reducer: appendReducer, default: () => [] },
  counter: {},
  pad: {},
});

export function chainGraph(store: CheckpointStore) {
  const g = new StateGraph(schema());
  for (let i = 0; i < CHAIN; i++) {
    g.addNode(`n${i}`, (s) => {
      const c = ((s.counter as number | undefined) ?? 0) + 1;
      return { items: [`n${i}#${c}`], counter: c, pad: mkPad(c) };
    });
  }
  g.addEdge(START, "n0");
  for (let i = 0; i < CHAIN - 1; i++) g.addEdge(`n${i}`, `n${i + 1}`);
  g.addEdge(`n${CHAIN - 1}`, END);
  return g.compile({ store, graphId: "bench-chain" });
}

export function loopGraph(store: CheckpointStore, n: number) {
  return new StateGraph(schema())
    .addNode("step", (s) => {
      const c = ((s.counter as number | undefined) ?? 0) + 1;
      return { items: [`s#${c}`], counter: c, pad: mkPad(c) };
    })
    .addEdge(START, "step")
    .addConditionalEdges("step", (s) => ((s.counter as number) < n ? "step" : END), ["step", END])
    .compile({ store, graphId: "bench-loop", recursionLimit: n + 10 });
}

/** Hooks a backend gives the workload: per-phase counters and the stored size. */
export interface Probe {
  /** Called right before and after the sequential phase and the loop run (outside the timings); returns counters to diff (e.g. queries, commits). */
  counters?: () => Promise<Record<string, number>>;
  size: () => Promise<number>;
}

/**
 * Wraps a store so every method call's wall time is added to `acc[method]` while `acc.on` is set. Used in the
 * sequential phase and the loop (one call at a time), where the sums split an invoke into store time per
 * method and the rest (the engine's own work plus event-loop waits).
 */
function timedStore(store: CheckpointStore, acc: { on: boolean; ms: Record<string, number>; calls: Record<string, number> }): CheckpointStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function" || typeof prop !== "string") return v;
      if (!acc.on) return v.bind(target); // outside the timed phases: no extra promise hop
      return async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await v.apply(target, args);
        } finally {
          acc.ms[prop] = (acc.ms[prop] ?? 0) + performance.now() - t;
          acc.calls[prop] = (acc.calls[prop] ?? 0) + 1;
        }
      };
    },
  });
}

export async function runRep(rawStore: CheckpointStore, probe: Probe, p: Params, rep: number): Promise<RepResult> {
  const acc = { on: false, ms: {} as Record<string, number>, calls: {} as Record<string, number> };
  const store = timedStore(rawStore, acc);
  const probeOut: Record<string, number | string> = {};
  const breakdown = (label: string, wallMs: number, per: number) => {
    let storeMs = 0;
    for (const [m, ms] of Object.entries(acc.ms)) {
      probeOut[`ms_${m}_${label}`] = ms / per;
      probeOut[`calls_${m}_${label}`] = acc.calls[m] / per;
      storeMs += ms;
    }
    probeOut[`ms_store_${label}`] = storeMs / per;
    probeOut[`ms_outside_store_${label}`] = (wallMs - storeMs) / per;
    acc.ms = {};
    acc.calls = {};
  };
  const chain = chainGraph(store);
  const check = (values: Record<string, unknown>, what: string) => {
    if (values.counter !== CHAIN || (values.items as unknown[]).length !== CHAIN)
      throw new Error(`${what}: bad output counter=${String(values.counter)}`);
  };
  for (let i = 0; i < p.warm; i++) check((await chain.invoke({ counter: 0 }, { threadId: `warm-${rep}-${i}` })).values, "warm-up");

  // Sequential threads.
  const before = probe.counters ? await probe.counters() : {};
  const lat: number[] = [];
  acc.on = true;
  const t0 = performance.now();
  for (let i = 0; i < p.threads; i++) {
    const s = performance.now();
    const out = await chain.invoke({ counter: 0 }, { threadId: `seq-${rep}-${i}` });
    lat.push(performance.now() - s);
    check(out.values, "sequential");
  }
  const wall = performance.now() - t0;
  acc.on = false;
  breakdown("per_invoke", wall, p.threads);
  const diff = (a: Record<string, number>, b: Record<string, number>, per: number, label: string) => {
    for (const k of Object.keys(b)) probeOut[`${k}_${label}`] = (b[k] - (a[k] ?? 0)) / per;
  };
  if (probe.counters) diff(before, await probe.counters(), p.threads, "per_invoke");

  // One thread, LOOP steps.
  const loop = loopGraph(store, p.loop);
  const tid = `loop-${rep}`;
  const beforeLoop = probe.counters ? await probe.counters() : {};
  acc.on = true;
  let s = performance.now();
  const lout = await loop.invoke({ counter: 0 }, { threadId: tid, recursionLimit: p.loop + 10 });
  const loopMs = performance.now() - s;
  acc.on = false;
  breakdown("per_loop_step", loopMs, p.loop);
  // Per step of the long run: the invoke's fixed costs (lock, thread status, input checkpoint) amortise away.
  if (probe.counters) diff(beforeLoop, await probe.counters(), p.loop, "per_loop_step");
  if (lout.values.counter !== p.loop) throw new Error("loop did not finish");
  s = performance.now();
  const hist = await loop.getStateHistory(tid);
  const historyMs = performance.now() - s;
  // Again, as a process that has not seen these checkpoints would: every compressed write inflated (compress.ts
  // keeps what this process packed or read, as the first read in the process that ran the graph benefits from).
  forgetPackedTexts();
  s = performance.now();
  const coldHist = await loop.getStateHistory(tid);
  const historyColdMs = performance.now() - s;
  if (coldHist.length !== hist.length) throw new Error("history changed between two reads");
  s = performance.now();
  const latest = await loop.getState(tid);
  const getStateMs = performance.now() - s;
  if (latest.values.counter !== p.loop) throw new Error("getState mismatch");

  // Concurrent threads.
  s = performance.now();
  const outs = await Promise.all(Array.from({ length: p.conc }, (_, i) => chain.invoke({ counter: 0 }, { threadId: `conc-${rep}-${i}` })));
  const cw = performance.now() - s;
  for (const o of outs) check(o.values, "concurrent");

  const totalSteps = (p.warm + p.threads + p.conc) * CHAIN + p.loop;
  const totalBytes = await probe.size();
  return {
    seq_wall_ms: wall,
    seq_steps_per_s: (p.threads * CHAIN) / (wall / 1000),
    seq_ms_per_step: wall / (p.threads * CHAIN),
    seq_p50_ms: pct(lat, 50),
    seq_p99_ms: pct(lat, 99),
    loop_run_ms: loopMs,
    history_ms: historyMs,
    history_cold_ms: historyColdMs,
    history_count: hist.length,
    getstate_ms: getStateMs,
    conc_wall_ms: cw,
    conc_steps_per_s: (p.conc * CHAIN) / (cw / 1000),
    totalSteps,
    totalBytes,
    bytes_per_step: totalBytes / totalSteps,
    probe: probeOut,
  };
}
