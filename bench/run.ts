/**
 * `npm run bench` — Waypoint's checkpointing benchmark, the LangGraph.js peer's workload on every backend.
 *
 *   npm run bench -- [--stores memory,file,sqlite,postgres,redis] [--reps 3] [--threads 200] [--loop 1000]
 *                    [--conc 20] [--warm 20] [--peer] [--out bench-results.json]
 *                    [--growth | --growth-only] [--growth-steps 1000,10000] [--growth-pipeline 10000]
 *                    [--growth-peer-loops 1000,5000]
 *
 * Env: PG_URL (admin connection; the bench creates and drops its own database `waypoint_bench`), REDIS_URL.
 * --peer also runs ../shared/peer-bench (LangGraph.js), one repetition after each of ours, and prints ratios.
 * Each backend: a fresh store per repetition, medians of the repetitions. A backend that cannot be created
 * (not written yet, server down) is skipped with a printed note, and the exit code is 1 unless the others ran.
 * Progress goes to stderr, the markdown table to stdout. See docs/benchmarks.md.
 * --growth adds growth.ts's cases after the main workload (--growth-only instead of it): per backend, threads of
 * each --growth-steps length, their stored bytes and read times; the pipeline graph on SQLite for
 * --growth-pipeline steps (0: skip; default the longest growth thread, at most 10,000); with --peer, the peer's
 * loop (and --delta) for each --growth-peer-loops length on memory and SQLite, beside ours on the same loop.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { ALL_BACKENDS, openBackend, type Backend } from "./backends";
import { runGrowth, runPeerShape, runPipelineGrowth } from "./growth";
import { growthReport, type GrowthResults } from "./growth-report";
import { runPeer, runPeerLoop } from "./peer";
import { breakdownTable, mainTable, type BackendResult, type Medians } from "./report";
import { log, median } from "./stats";
import { runRep, type Params, type RepResult } from "./workload";

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = argv[i + 1];
  return v === undefined || v.startsWith("--") ? "true" : v;
};
const stores = arg("stores", ALL_BACKENDS.join(",")).split(",").filter(Boolean);
for (const s of stores) if (!(ALL_BACKENDS as readonly string[]).includes(s)) throw new Error(`unknown store "${s}" (use ${ALL_BACKENDS.join(",")})`);
const reps = Number(arg("reps", "3"));
const params: Params = {
  warm: Number(arg("warm", "20")),
  threads: Number(arg("threads", "200")),
  loop: Number(arg("loop", "1000")),
  conc: Number(arg("conc", "20")),
};
const withPeer = arg("peer", "false") === "true";
const outFile = arg("out", "");
const growthOnly = arg("growth-only", "false") === "true";
const withGrowth = growthOnly || arg("growth", "false") === "true";
const list = (name: string, def: string) => arg(name, def).split(",").filter(Boolean).map(Number);
const growthSteps = list("growth-steps", "1000,10000");
const peerLoops = list("growth-peer-loops", "1000,5000");
const pipelineSteps = Number(arg("growth-pipeline", String(Math.min(10_000, Math.max(...growthSteps)))));
for (const n of [...growthSteps, ...peerLoops, pipelineSteps])
  if (!Number.isInteger(n) || n < 0) throw new Error("--growth-steps, --growth-peer-loops and --growth-pipeline take whole numbers");

const KEYS = [
  "seq_steps_per_s",
  "seq_ms_per_step",
  "seq_p50_ms",
  "seq_p99_ms",
  "loop_run_ms",
  "history_ms",
  "history_cold_ms",
  "history_count",
  "getstate_ms",
  "conc_steps_per_s",
  "bytes_per_step",
] as const;

const medians = (done: RepResult[] | Record<string, number>[]): Medians =>
  Object.fromEntries(KEYS.map((k) => [k, median(done.map((d) => Number((d as Record<string, unknown>)[k])))]));

/**
 * Our repetitions, alternating with the peer's when --peer is given (ours rep 1, peer rep 1, ours rep 2, ...):
 * on a shared machine the load drifts by the minute, and alternating exposes both sides to the same drift.
 */
async function benchBackend(kind: Backend): Promise<BackendResult> {
  const done: RepResult[] = [];
  const peerReps: Record<string, number>[] = [];
  const peerOn = withPeer && kind !== "file";
  let peerError: string | undefined;
  let versions: Record<string, string> | undefined;
  let error: string | undefined;
  for (let r = 1; r <= reps && !error; r++) {
    let opened;
    try {
      opened = await openBackend(kind, r);
    } catch (e) {
      error = `not available: ${(e as Error).message.split("\n")[0]}`;
      break;
    }
    try {
      const load = os.loadavg()[0];
      const res = await runRep(opened.store, opened.probe, params, r);
      done.push(res);
      const trips = Object.entries(res.probe)
        .filter(([k]) => /^(pg|redis)_/.test(k))
        .map(([k, v]) => [k, Math.round(Number(v) * 100) / 100]);
      log(
        `${kind} rep ${r}`,
        JSON.stringify(Object.fromEntries([...KEYS.map((k) => [k, Math.round((res[k] ?? NaN) * 100) / 100]), ...trips, ["load1", load]])),
      );
    } catch (e) {
      error = `failed in rep ${r}: ${(e as Error).stack ?? e}`.slice(0, 800);
    } finally {
      await opened.dispose().catch((e) => log(`${kind}: dispose failed: ${(e as Error).message}`));
    }
    if (peerOn && !peerError) {
      log(`${kind}: LangGraph.js peer rep ${r} ...`);
      const p = await runPeer(kind, params, 1);
      versions ??= p.versions;
      if (p.median) peerReps.push(p.median);
      else peerError = p.error;
    }
  }
  const out: BackendResult = { error };
  if (done.length && !error) {
    out.ours = medians(done);
    out.probe = {};
    for (const k of Object.keys(done[0].probe)) out.probe[k] = median(done.map((d) => Number(d.probe[k])));
  }
  out.reps = done;
  if (peerOn) out.peer = peerError ? { error: peerError, versions } : { median: medians(peerReps), versions, reps: peerReps };
  return out;
}

/** growth.ts's cases, one backend after another (a fresh store each), then the pipeline and the peer's loop. */
async function benchGrowth(): Promise<GrowthResults> {
  const out: GrowthResults = { params: { steps: growthSteps, pipelineSteps, peerLoops: withPeer ? peerLoops : [] }, backends: {} };
  for (const kind of stores as Backend[]) {
    log(`${kind}: growth, ${growthSteps.join(" and ")} steps ...`);
    out.backends[kind] = await runGrowth(kind, growthSteps, log);
    if (out.backends[kind].error) log(`${kind}: growth ${out.backends[kind].error}`);
  }
  if (stores.includes("sqlite") && pipelineSteps > 0) {
    log(`sqlite: pipeline graph, ${pipelineSteps} steps ...`);
    out.pipeline = await runPipelineGrowth(pipelineSteps, log);
  }
  if (withPeer) {
    out.peer = [];
    for (const kind of stores.filter((k) => k === "memory" || k === "sqlite") as Backend[])
      for (const n of peerLoops) {
        log(`${kind}: the peer's loop, ${n} steps: ours, LangGraph.js, LangGraph.js --delta ...`);
        const ours = await runPeerShape(kind, n);
        const peer = await runPeerLoop(kind, n, false);
        const peerDelta = await runPeerLoop(kind, n, true);
        out.peerVersions ??= peer.versions ?? peerDelta.versions;
        delete peer.versions;
        delete peerDelta.versions;
        out.peer.push({ backend: kind, steps: n, ours, peer, peerDelta });
        log(`${kind} peer loop ${n}: ${JSON.stringify(out.peer.at(-1))}`);
      }
  }
  return out;
}

const results: Record<string, BackendResult> = {};
for (const kind of growthOnly ? [] : (stores as Backend[])) {
  log(`${kind}: Waypoint, ${reps} reps ...`);
  results[kind] = await benchBackend(kind);
  if (results[kind].error) log(`${kind}: ${results[kind].error}`);
}

const notes: string[] = [];
for (const [kind, r] of Object.entries(results))
  if (r.ours && r.ours.history_count !== params.loop + 2 && r.ours.history_count !== params.loop + 1)
    notes.push(`${kind}: history listed ${r.ours.history_count} checkpoints (expected ${params.loop + 1}-${params.loop + 2})`);
if (withPeer && stores.includes("file")) notes.push("file: LangGraph.js has no file saver, no peer row.");

if (!growthOnly) {
  console.log(mainTable(results));
  for (const n of notes) console.log(`- ${n}`);
  console.log("\nWhere the time goes (medians; sequential invokes of the 10-step chain, and steps of the 1,000-step loop):\n");
  console.log(breakdownTable(results));
}
const growth = withGrowth ? await benchGrowth() : undefined;
if (growth) console.log(growthReport(growth));
console.log(
  `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load1 at end ${os.loadavg()[0].toFixed(2)}; ` +
    (growthOnly ? `growth ${JSON.stringify(growth?.params)}` : `params ${JSON.stringify(params)}, reps ${reps}, medians`),
);
const peerVersions = Object.values(results).find((r) => r.peer?.versions)?.peer?.versions;
if (peerVersions) console.log(`peer: ${JSON.stringify(peerVersions)}`);
if (outFile) writeFileSync(outFile, JSON.stringify({ params, reps, node: process.version, results, growth }, null, 2));
const ran = Object.values(results).some((r) => r.ours) || Object.values(growth?.backends ?? {}).some((b) => b.rows.length);
process.exit(ran ? 0 : 1);
