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
const child = spawn("npx", ["next", "start", "-p", port, "-H", host, ...process.argv.slice(2)], { stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
