/**
 * Runs the LangGraph.js peer harness (../shared/peer-bench/bench.mjs) from the same command, one saver and
 * one repetition at a time between ours (see run.ts), so both sides see the same machine load. The harness
 * needs its own node_modules: we use PEER_BENCH_DIR or /tmp/peer-bench if installed there, otherwise copy the
 * shared folder to a temp dir and `npm install` it under /tmp/npm.lock (other agents install packages too).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PG_URL, REDIS_URL } from "./backends";
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
export function peerDir(): string {
  const candidates = [process.env.PEER_BENCH_DIR, "/tmp/peer-bench"].filter(Boolean) as string[];
  for (const d of candidates) if (existsSync(path.join(d, "bench.mjs")) && existsSync(path.join(d, "node_modules/@langchain/langgraph"))) return d;
  if (!existsSync(path.join(SHARED, "bench.mjs"))) throw new Error(`peer harness not found (${SHARED})`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "peer-bench-"));
  cpSync(SHARED, dir, { recursive: true });
  execFileSync("chmod", ["-R", "u+w", dir]);
  log(`installing the peer harness in ${dir} ...`);
  // npm's output goes to stderr: stdout carries only the markdown report.
  execFileSync("flock", ["/tmp/npm.lock", "npm", "install", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", 2, 2] });
  return dir;
}

/** Runs the peer for one saver; never throws (a failing saver, e.g. redis without RedisJSON, is a result). */
export async function runPeer(saver: string, p: Params, reps: number): Promise<PeerResult> {
  let dir: string;
  try {
    dir = peerDir();
  } catch (e) {
    return { error: (e as Error).message };
  }
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "peer-out-")), `${saver}.json`);
  const args = [
    path.join(dir, "bench.mjs"),
    "--savers",
    saver,
    "--reps",
    String(reps),
    "--threads",
    String(p.threads),
    "--loop",
    String(p.loop),
    "--conc",
    String(p.conc),
    "--warm",
    String(p.warm),
    "--out",
    out,
  ];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { ...process.env, PG_URL, REDIS_URL },
      stdio: ["ignore", "ignore", "inherit"], // its progress log goes to our stderr; the table is ours
    });
    child.on("error", () => resolve(127));
    child.on("exit", (c) => resolve(c ?? 1));
  });
  try {
    const json = JSON.parse(readFileSync(out, "utf8"));
    const s = json.savers?.[saver];
    if (!s) return { error: `peer exited ${code} without a result` };
    return s.error ? { error: s.error, versions: json.versions } : { median: s.median, versions: json.versions };
  } catch (e) {
    return { error: `peer exited ${code}: ${(e as Error).message}` };
  } finally {
    rmSync(path.dirname(out), { recursive: true, force: true });
    if (saver === "postgres") await dropPeerSchemas(reps);
  }
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
