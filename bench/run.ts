/**
 * `npm run bench` — Waypoint's checkpointing benchmark, the LangGraph.js peer's workload on every backend.
 *
 *   npm run bench -- [--stores memory,file,sqlite,postgres,redis] [--reps 3] [--threads 200] [--loop 1000]
 *                    [--conc 20] [--warm 20] [--peer] [--out bench-results.json]
 *
 * Env: PG_URL (admin connection; the bench creates and drops its own database `waypoint_bench`), REDIS_URL.
 * --peer also runs ../shared/peer-bench (LangGraph.js), one repetition after each of ours, and prints ratios.
 * Each backend: a fresh store per repetition, medians of the repetitions. A backend that cannot be created
 * (not written yet, server down) is skipped with a printed note, and the exit code is 1 unless the others ran.
 * Progress goes to stderr, the markdown table to stdout. See docs/benchmarks.md.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { ALL_BACKENDS, openBackend, type Backend } from "./backends";
import { runPeer } from "./peer";
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

const KEYS = [
  "seq_steps_per_s",
  "seq_ms_per_step",
  "seq_p50_ms",
  "seq_p99_ms",
  "loop_run_ms",
  "history_ms",
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
        JSON.stringify(Object.fromEntries([...KEYS.map((k) => [k, Math.round(res[k] * 100) / 100]), ...trips, ["load1", load]])),
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

const results: Record<string, BackendResult> = {};
for (const kind of stores as Backend[]) {
  log(`${kind}: Waypoint, ${reps} reps ...`);
  results[kind] = await benchBackend(kind);
  if (results[kind].error) log(`${kind}: ${results[kind].error}`);
}

const notes: string[] = [];
for (const [kind, r] of Object.entries(results))
  if (r.ours && r.ours.history_count !== params.loop + 2 && r.ours.history_count !== params.loop + 1)
    notes.push(`${kind}: history listed ${r.ours.history_count} checkpoints (expected ${params.loop + 1}-${params.loop + 2})`);
if (withPeer && stores.includes("file")) notes.push("file: LangGraph.js has no file saver, no peer row.");

console.log(mainTable(results));
for (const n of notes) console.log(`- ${n}`);
console.log("\nWhere the time goes (medians; sequential invokes of the 10-step chain, and steps of the 1,000-step loop):\n");
console.log(breakdownTable(results));
console.log(
  `\nmachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load1 at end ${os.loadavg()[0].toFixed(2)}; ` +
    `params ${JSON.stringify(params)}, reps ${reps}, medians`,
);
const peerVersions = Object.values(results).find((r) => r.peer?.versions)?.peer?.versions;
if (peerVersions) console.log(`peer: ${JSON.stringify(peerVersions)}`);
if (outFile) writeFileSync(outFile, JSON.stringify({ params, reps, node: process.version, results }, null, 2));
process.exit(Object.values(results).some((r) => r.ours) ? 0 : 1);
