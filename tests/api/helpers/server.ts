/**
 * Starts the real built app (`next start`) as a child process on a free port, with its own store
 * configuration and data dir. Processes are started in their own process group so a crash test can
 * SIGKILL the whole server at once.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../../..");
const DIST = process.env.NEXT_DIST_DIR || ".next";
const NEXT_BIN = path.join(ROOT, "node_modules/next/dist/bin/next");

/** Builds the app once if no build exists (`npm test` builds before this phase; this is for running tests alone). */
export function ensureBuilt(): void {
  if (fs.existsSync(path.join(ROOT, DIST, "BUILD_ID"))) return;
  const lockDir = path.join(os.tmpdir(), `waypoint-build-${Buffer.from(ROOT).toString("hex").slice(-16)}.lock`);
  // One builder across parallel test files: mkdir is atomic; the others wait for BUILD_ID.
  let owner = false;
  try {
    fs.mkdirSync(lockDir);
    owner = true;
  } catch {
    /* another file is building */
  }
  if (owner) {
    try {
      const res = spawnSync(process.execPath, [NEXT_BIN, "build"], {
        cwd: ROOT,
        stdio: "inherit",
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      });
      if (res.status !== 0) throw new Error("next build failed");
    } finally {
      fs.rmSync(lockDir, { recursive: true, force: true });
    }
  } else {
    const end = Date.now() + 10 * 60_000;
    while (!fs.existsSync(path.join(ROOT, DIST, "BUILD_ID")) && fs.existsSync(lockDir) && Date.now() < end) spawnSync("sleep", ["1"]);
    if (!fs.existsSync(path.join(ROOT, DIST, "BUILD_ID"))) throw new Error("The app build did not appear.");
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Server {
  url: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
  /** SIGKILL the whole process group (the crash test). */
  kill(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
}

/** Every test server accepts this as an admin bearer token (WAYPOINT_ADMIN_TOKEN); `client()` sends it by default. */
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef";

export async function startServer(env: Record<string, string>, opts: { port?: number } = {}): Promise<Server> {
  const port = opts.port ?? (await freePort());
  const proc = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      WAYPOINT_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      TEST: "",
      VITEST: "",
      ...env,
    },
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Server exited early (${proc.exitCode}):\n${out}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      killGroup(proc, "SIGKILL");
      throw new Error(`Server did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    port,
    proc,
    output: () => out,
    async kill() {
      killGroup(proc, "SIGKILL");
      await exited;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      killGroup(proc, "SIGTERM");
      const t = setTimeout(() => killGroup(proc, "SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    /* already gone */
  }
}

/** A temp data dir, removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `waypoint-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
