/**
 * Shared helpers for the project scripts: run a command with a header, reach PostgreSQL / Redis,
 * and start them when they are installed but down (the CI machine has both installed but may boot
 * with them stopped).
 */
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import fs from "node:fs";

export const PG = { host: "127.0.0.1", port: 5432 };
export const REDIS = { host: "127.0.0.1", port: 6379 };

export function header(title) {
  const line = "=".repeat(Math.max(20, title.length + 8));
  console.log(`\n${line}\n=== ${title}\n${line}`);
}

/** Runs a command with inherited stdio; resolves its exit code (never rejects). */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "inherit", ...opts, env: { ...process.env, ...(opts.env ?? {}) } });
    child.on("error", (err) => {
      console.error(`Could not start ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/**
 * Runs a command with its stdout and stderr lines prefixed by `tag` (two lanes of the test run share one log);
 * resolves its exit code (never rejects). The child gets no terminal, as under CI.
 */
export function runTagged(tag, cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...opts, env: { ...process.env, ...(opts.env ?? {}) } });
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ]) {
      let rest = "";
      from.setEncoding("utf8");
      from.on("data", (chunk) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop();
        for (const line of lines) to.write(tag + line + "\n");
      });
      from.on("end", () => rest && to.write(tag + rest + "\n"));
    }
    child.on("error", (err) => {
      console.error(`${tag}Could not start ${cmd}: ${err.message}`);
      resolve(127);
    });
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** True if something accepts TCP connections at host:port within the timeout. */
export function reachable({ host, port }, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(target, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(300)) if (await reachable(target)) return true;
  return false;
}

function tryStartPostgres() {
  if (!fs.existsSync("/etc/postgresql")) return false;
  for (const version of fs.readdirSync("/etc/postgresql")) {
    spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
  }
  return true;
}

function tryStartRedis() {
  const has = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).status === 0;
  if (!has) return false;
  for (const dir of ["/var/lib/redis", "/var/log/redis"]) fs.mkdirSync(dir, { recursive: true });
  spawnSync(
    "redis-server",
    [
      "--daemonize",
      "yes",
      "--bind",
      "127.0.0.1",
      "-::1",
      "--port",
      "6379",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      "/var/lib/redis",
      "--logfile",
      "/var/log/redis/ci.log",
    ],
    { stdio: "inherit" },
  );
  return true;
}

/**
 * Makes sure PostgreSQL and Redis answer, starting them if they are installed but stopped.
 * Returns the names of the services still unreachable.
 */
export async function ensureServices() {
  const missing = [];
  for (const [name, target, start] of [
    ["PostgreSQL", PG, tryStartPostgres],
    ["Redis", REDIS, tryStartRedis],
  ]) {
    if (await reachable(target)) {
      console.log(`${name} is up at ${target.host}:${target.port}.`);
      continue;
    }
    console.log(`${name} is not answering at ${target.host}:${target.port}; trying to start it...`);
    if (start() && (await waitFor(target, 15_000))) {
      console.log(`${name} started.`);
    } else {
      missing.push(name);
    }
  }
  return missing;
}
