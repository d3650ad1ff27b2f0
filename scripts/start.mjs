#!/usr/bin/env node
/**
 * `npm start`: checks the graph config (waypoint.config.ts, or WAYPOINT_CONFIG), builds the app if the build is
 * missing or older than the sources, then serves it with `next start` (PORT, default 3000). The store comes from the environment (see README): by default the
 * embedded SQLite file under ./data, created on first use.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { buildIsCurrent } from "./lib-build.mjs";
import { header, run } from "./lib-services.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
process.env.NEXT_TELEMETRY_DISABLED = "1";
fs.mkdirSync(path.join(root, "data"), { recursive: true });

// The graph config is read at run time (lib/config/load.ts), not built in: check it first, so a missing module
// or a duplicate id refuses the start in one sentence before any build, and editing it needs no rebuild.
if ((await run(process.execPath, ["--import", "tsx", "scripts/lib-config-check.mjs"])) !== 0) process.exit(1);

if (!buildIsCurrent(root)) {
  header("Building Waypoint (next build)");
  const code = await run("npx", ["next", "build"]);
  if (code !== 0) process.exit(code);
}

// A bad or unreachable store configuration stops here, in one sentence naming the variable, before serving.
if ((await run(process.execPath, ["--import", "tsx", "scripts/lib-store-setup.mjs"])) !== 0) process.exit(1);

const port = process.env.PORT || "3000";
// Loopback only unless HOST says otherwise: an approval tool should not answer the whole network by accident.
const host = process.env.HOST || "127.0.0.1";
header(`Waypoint on http://${host === "127.0.0.1" ? "localhost" : host}:${port}`);
// `next start` serves from a child process of its own, which a signal to `next` alone does not always reach
// (SIGTERM to this script used to leave the server listening). So the server runs in a process group of its own
// and every signal, and this script's exit, goes to the whole group.
const nextBin = path.join(root, "node_modules/next/dist/bin/next");
const child = spawn(process.execPath, [nextBin, "start", "-p", port, "-H", host, ...process.argv.slice(2)], { stdio: "inherit", detached: true });
const signalGroup = (sig) => {
  try {
    process.kill(-child.pid, sig);
  } catch {
    /* the group is gone already */
  }
};
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => signalGroup(sig));
child.on("exit", (code, signal) => {
  signalGroup("SIGTERM");
  process.exit(code ?? (signal ? 1 : 0));
});
