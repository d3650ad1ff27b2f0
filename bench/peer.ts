/**
 * Runs the LangGraph.js peer harness (../shared/peer-bench/bench.mjs) from the same command, one saver and
 * one repetition at a time between ours (see run.ts), so both sides see the same machine load. The harness
 * needs its own node_modules: we use PEER_BENCH_DIR or /tmp/peer-bench if installed there, otherwise copy the
 * shared folder to a temp dir and `npm install` it under /tmp/npm.lock (other agents install packages too).
 * `runPeerLoop` runs its loop alone for the growth report (growth.ts).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PG_URL, REDIS_URL } from "./backends";
import type { LoopShape } from "./growth";
import type { Params } from "./workload";
import { log } from "./stats";

const SHARED = path.resolve(process.cwd(), "../shared/peer-bench");

export interface PeerResult {
  median?: Record<string, number>;
  reps?: Record<string, number>[];
  error?: string;
  versions?: Record<string, string>;
}

/** The peer's folder, ready to run (installs it on first use). */
let installed: string | undefined;
export function peerDir(): string {
  const candidates = [process.env.PEER_BENCH_DIR, "/tmp/peer-bench", installed].filter(Boolean) as string[];
  for (const d of candidates) if (existsSync(path.join(d, "bench.mjs")) && existsSync(path.join(d, "node_modules/@langchain/langgraph"))) return d;
  if (!existsSync(path.join(SHARED, "bench.mjs"))) throw new Error(`peer harness not found (${SHARED})`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "peer-bench-"));
  cpSync(SHARED, dir, { recursive: true });
  execFileSync("chmod", ["-R", "u+w", dir]);
  log(`installing the peer harness in ${dir} ...`);
  // npm's output goes to stderr: stdout carries only the markdown report.
  execFileSync("flock", ["/tmp/npm.lock", "npm", "install", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", 2, 2] });
  return (installed = dir);
}

/** Runs bench.mjs with these arguments (plus --out) and returns its JSON; never throws. */
async function spawnPeer(args: string[]): Promise<{ json?: PeerJson; code: number; error?: string }> {
  let dir: string;
  try {
    dir = peerDir();
  } catch (e) {
    return { code: 127, error: (e as Error).message };
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), "peer-out-"));
  const out = path.join(tmp, "peer.json");
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [path.join(dir, "bench.mjs"), ...args, "--out", out], {
      cwd: dir,
      env: { ...process.env, PG_URL, REDIS_URL },
      stdio: ["ignore", "ignore", "inherit"], // its progress log goes to our stderr; the table is ours
    });
    child.on("error", () => resolve(127));
    child.on("exit", (c) => resolve(c ?? 1));
  });
  try {
    return { json: JSON.parse(readFileSync(out, "utf8")) as PeerJson, code };
  } catch (e) {
    return { code, error: `peer exited ${code}: ${(e as Error).message}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface PeerJson {
  versions?: Record<string, string>;
  savers?: Record<string, { error?: string; median?: Record<string, number>; reps?: PeerRep[] }>;
}
interface PeerRep extends Record<string, unknown> {
  size?: { totalBytes?: number; byGroup?: Record<string, Record<string, number>> };
}

/** Runs the peer for one saver; never throws (a failing saver, e.g. redis without RedisJSON, is a result). */
export async function runPeer(saver: string, p: Params, reps: number): Promise<PeerResult> {
  const args = ["--savers", saver, "--reps", String(reps), "--threads", String(p.threads), "--loop", String(p.loop)];
  const r = await spawnPeer([...args, "--conc", String(p.conc), "--warm", String(p.warm)]);
  if (saver === "postgres") await dropPeerSchemas(reps);
  const s = r.json?.savers?.[saver];
  if (!s) return { error: r.error ?? `peer exited ${r.code} without a result` };
  return s.error ? { error: s.error, versions: r.json?.versions } : { median: s.median, versions: r.json?.versions };
}

/**
 * The bytes the peer stored for its loop thread, from its per-thread-group figures (`byGroup.loop`): counts times
 * average sizes (SQLite, PostgreSQL) or summed sizes (memory) of its checkpoint rows, blobs and writes.
 */
function peerLoopBytes(g: Record<string, number> | undefined): number {
  if (!g) return NaN;
  if (g.cpBytes !== undefined) return g.cpBytes + (g.wBytes ?? 0);
  const n = (count?: number, avg?: number) => (count ?? 0) * (avg ?? 0);
  return n(g.checkpoints, g.avgCheckpointBytes ?? g.avgCheckpointRowBytes) + n(g.blobs, g.avgBlobBytes) + n(g.writes, g.avgWriteBytes);
}

/**
 * The peer's loop alone, for the growth report: one repetition, `--loop steps` (with `--delta`: its
 * DeltaChannel for the list), the other phases cut to one thread (they run anyway; their rows are left out of
 * the loop thread's bytes).
 */
export async function runPeerLoop(saver: string, steps: number, delta: boolean): Promise<LoopShape & { versions?: Record<string, string> }> {
  const args = ["--savers", saver, "--reps", "1", "--threads", "1", "--warm", "0", "--conc", "1", "--loop", String(steps)];
  const r = await spawnPeer(delta ? [...args, "--delta"] : args);
  if (saver === "postgres") await dropPeerSchemas(1);
  const s = r.json?.savers?.[saver];
  const rep = s?.reps?.[0];
  if (!s || s.error || !rep) return { steps, error: s?.error ?? r.error ?? `peer exited ${r.code} without a result` };
  const num = (k: string) => Number(rep[k]);
  return {
    steps,
    bytesPerStep: peerLoopBytes(rep.size?.byGroup?.loop) / steps,
    backendBytesPerStep: Number(rep.size?.totalBytes) / num("totalSteps"),
    runMs: num("loop_run_ms"),
    historyMs: num("history_ms"),
    historyCount: num("history_count"),
    latestMs: num("getstate_ms"),
    versions: r.json?.versions,
  };
}

/** The peer drops its schema `pb_rep<N>` before a repetition but never after; we leave nothing behind. */
async function dropPeerSchemas(reps: number): Promise<void> {
  const pg = (await import("pg")).default;
  const c = new pg.Client({ connectionString: PG_URL });
  try {
    await c.connect();
    for (let r = 1; r <= reps; r++) await c.query(`DROP SCHEMA IF EXISTS pb_rep${r} CASCADE`);
  } catch (e) {
    log(`could not drop the peer's schemas: ${(e as Error).message}`);
  } finally {
    await c.end().catch(() => {});
  }
}
