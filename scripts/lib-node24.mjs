/**
 * Node 24 (the current LTS) for the CI's second pass, where the unit and API phases run again under it.
 *
 * - Node: the npm registry's `node-<platform>-<arch>@24` package, the binary the `node` package's install script
 *   fetches (taken directly: no install script to allow, and the newest 24.x), installed into the cache folder
 *   (WAYPOINT_NODE24_CACHE, default ~/.cache/waypoint-node24) and reused while it is there.
 * - better-sqlite3: node_modules keeps the addon built for the default Node. A copy of the package is compiled
 *   for Node 24 into the cache, keyed by better-sqlite3's version and Node 24's module ABI, with the headers
 *   the Node 24 package ships (node-gyp downloads nothing); scripts/node24-preload.cjs loads it instead. About
 *   two minutes of compiling on a fresh cache, nothing after.
 *
 * prepareNode24() returns the environment that runs a command under Node 24: PATH (its `node` first), NODE_OPTIONS
 * (the preload) and WAYPOINT_BETTER_SQLITE3_NODE.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "./lib-services.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const MAJOR = 24;

function versionOf(node) {
  const res = spawnSync(node, ["-p", "process.version + ' ' + process.versions.modules"], { encoding: "utf8" });
  if (res.status !== 0) return null;
  const [version, abi] = res.stdout.trim().split(" ");
  return { version, abi };
}

/** node-gyp as bundled with the npm that runs us (npm_execpath when started by npm, else the `npm` on PATH). */
function nodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(process.env.npm_execpath);
  const which = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  if (which) candidates.push(fs.realpathSync(which));
  for (const cli of candidates) {
    const gyp = path.join(path.dirname(cli), "..", "node_modules", "node-gyp", "bin", "node-gyp.js");
    if (fs.existsSync(gyp)) return gyp;
  }
  return null;
}

/** @returns {Promise<{ env: Record<string, string>, version: string } | { error: string }>} */
export async function prepareNode24() {
  const cache = path.resolve(process.env.WAYPOINT_NODE24_CACHE || path.join(os.homedir(), ".cache", "waypoint-node24"));
  fs.mkdirSync(cache, { recursive: true });
  const pkg = `node-${process.platform}-${process.arch}`;
  const home = path.join(cache, "node_modules", pkg);
  const node = path.join(home, "bin", process.platform === "win32" ? "node.exe" : "node");

  let found = fs.existsSync(node) ? versionOf(node) : null;
  if (!found?.version.startsWith(`v${MAJOR}.`)) {
    console.log(`Installing Node ${MAJOR} (${pkg}@${MAJOR}) into ${cache} ...`);
    fs.writeFileSync(path.join(cache, "package.json"), JSON.stringify({ private: true, description: "Node 24 for Waypoint's CI" }) + "\n");
    const code = await run("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--prefix", cache, `${pkg}@${MAJOR}`]);
    found = code === 0 && fs.existsSync(node) ? versionOf(node) : null;
    if (!found) return { error: `could not install ${pkg}@${MAJOR} from the npm registry (npm exit ${code}).` };
  }
  console.log(`Node ${found.version} (module ABI ${found.abi}): ${node}`);

  const sqliteVersion = JSON.parse(fs.readFileSync(path.join(root, "node_modules", "better-sqlite3", "package.json"), "utf8")).version;
  const build = path.join(cache, `better-sqlite3-${sqliteVersion}-abi${found.abi}`);
  const addon = path.join(build, "build", "Release", "better_sqlite3.node");
  if (!fs.existsSync(addon)) {
    const gyp = nodeGyp();
    if (!gyp) return { error: "node-gyp (bundled with npm) was not found, so better-sqlite3 cannot be built for Node 24." };
    console.log(`Building better-sqlite3 ${sqliteVersion} for Node ${found.version} (about 2 min, once) ...`);
    const tmp = `${build}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const source = path.join(root, "node_modules", "better-sqlite3");
    fs.cpSync(source, tmp, { recursive: true, filter: (src) => path.relative(source, src).split(path.sep)[0] !== "build" });
    const log = path.join(cache, "build.log");
    const out = fs.openSync(log, "w");
    const code = await run(node, [gyp, "rebuild", "--release", `--nodedir=${home}`, "--jobs=2"], {
      cwd: tmp,
      stdio: ["ignore", out, out],
      env: { PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`, npm_config_nodedir: home },
    });
    fs.closeSync(out);
    if (code !== 0 || !fs.existsSync(path.join(tmp, "build", "Release", "better_sqlite3.node"))) {
      fs.rmSync(tmp, { recursive: true, force: true });
      console.error(fs.readFileSync(log, "utf8").split("\n").slice(-40).join("\n"));
      return { error: `building better-sqlite3 for Node ${found.version} failed (node-gyp exit ${code}; log: ${log}).` };
    }
    fs.rmSync(build, { recursive: true, force: true });
    fs.renameSync(tmp, build); // complete builds only: an interrupted one is rebuilt next time
  }

  const preload = path.join(root, "scripts", "node24-preload.cjs");
  const env = {
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${JSON.stringify(preload)}`].filter(Boolean).join(" "),
    WAYPOINT_BETTER_SQLITE3_NODE: addon,
  };
  const check = spawnSync(node, ["-e", "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get()"], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  if (check.status !== 0) return { error: `better-sqlite3 does not load under Node ${found.version}:\n${check.stderr}` };
  return { env, version: found.version };
}
