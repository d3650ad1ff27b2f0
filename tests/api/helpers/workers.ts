/**
 * `npm run worker` processes for the multi-process tests (tests/api/workers.test.ts): started exactly as the
 * package script starts them (node, the react-server condition, tsx), each in its own process group so a test
 * can SIGKILL one at a random moment, SIGTERM it and watch it hand its runs off, or freeze it with SIGSTOP.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { ROOT } from "./server";

export interface WorkerProc {
  id: string;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  term(): Promise<number | null>;
  /** Sends `signal` to the worker's process group (SIGSTOP / SIGCONT: freeze it and wake it up). */
  signal(signal: NodeJS.Signals): void;
}

export async function startWorker(id: string, env: Record<string, string>): Promise<WorkerProc> {
  const proc = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "lib/server/queue/main.ts"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_ENV: "production", TEST: "", VITEST: "", WAYPOINT_WORKER_ID: id, ...env },
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const end = Date.now() + 60_000;
  while (!out.includes(`worker ${id} takes runs`)) {
    if (proc.exitCode !== null) throw new Error(`Worker ${id} exited early (${proc.exitCode}):\n${out}`);
    if (Date.now() > end) {
      group(proc, "SIGKILL");
      throw new Error(`Worker ${id} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    id,
    proc,
    output: () => out,
    exited,
    async kill() {
      group(proc, "SIGKILL");
      await exited;
    },
    async term() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      group(proc, "SIGTERM");
      return (await exited).code;
    },
    signal: (signal) => group(proc, signal),
  };
}

function group(proc: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    /* already gone */
  }
}
