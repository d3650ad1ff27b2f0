#!/usr/bin/env node
/**
 * `npm test`: the whole suite, in order, stopping at the first failing phase.
 *   1. services   PostgreSQL + Redis (started if installed but down; with CI set, missing ones fail the run)
 *   2. browser    Debian Chromium for Playwright (apt-get) when there are e2e specs and it is missing
 *   3. prisma     generated Prisma clients
 *   4. checks     ESLint, dependency-cruiser (architecture rules), tsc --noEmit, Prettier --check: all four run,
 *                 any failure fails the phase
 *   5. unit       vitest: everything but tests/api (engine, stores, conformance on every backend)
 *   6. build      `next build`, once; the API and e2e phases reuse it. Node 24 is prepared meanwhile
 *                 (scripts/lib-node24.mjs: cached in ~/.cache/waypoint-node24 after the first run)
 *   7. api        vitest tests/api: real `next start` servers on SQLite and PostgreSQL, kill-and-restart resume,
 *                 a seeded fuzz of every route, PostgreSQL / Redis outages through a TCP proxy, load, concurrency
 *   8. e2e        Playwright against the built app (when tests/e2e has specs)
 *   9. Node 24    phase 5 (but the migrations) and the core of phase 7 (NODE24_API) again under Node 24, the current LTS
 *                 (WAYPOINT_NODE24=0 skips it outside CI)
 * Ends with one line "N passed, N failed, N skipped" over all phases.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { prepareNode24 } from "./lib-node24.mjs";
import { ensureServices, header, run } from "./lib-services.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
process.env.NEXT_TELEMETRY_DISABLED = "1";
const CI = Boolean(process.env.CI);
const resultsDir = path.join(root, "test-results");
fs.mkdirSync(resultsDir, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const started = Date.now();

function fail(message) {
  console.error(`\n✗ ${message}`);
  console.log(`\n${totals.passed} passed, ${Math.max(totals.failed, 1)} failed, ${totals.skipped} skipped`);
  process.exit(1);
}

async function phase(title, fn) {
  header(title);
  const t0 = Date.now();
  await fn();
  console.log(`--- ${title}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** Runs vitest with the default reporter plus a JSON report we count from. */
async function vitest(name, args, env = {}) {
  const out = path.join(resultsDir, `vitest-${name}.json`);
  fs.rmSync(out, { force: true });
  const code = await run("npx", ["vitest", "run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], { env });
  const report = readJson(out);
  if (report) {
    totals.passed += report.numPassedTests ?? 0;
    totals.failed += report.numFailedTests ?? 0;
    totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    console.log(`vitest ${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`);
    if (report.numTotalTests === 0) fail(`vitest ${name} ran no test.`);
  }
  if (code !== 0) fail(`vitest ${name} failed (exit ${code}).`);
}

const e2eSpecs = () =>
  fs.existsSync("tests/e2e") && fs.readdirSync("tests/e2e", { recursive: true }).some((f) => /\.(spec|test)\.[cm]?[tj]sx?$/.test(String(f)));

await phase("1/9 services (PostgreSQL, Redis)", async () => {
  const missing = await ensureServices();
  if (missing.length === 0) return;
  const msg = `${missing.join(" and ")} unreachable (PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379).`;
  if (CI) fail(`${msg} CI is set, so the store suites for them cannot be skipped.`);
  console.warn(`WARNING: ${msg} Their tests will report it.`);
});

await phase("2/9 browser (Chromium for Playwright)", async () => {
  if (!e2eSpecs()) return console.log("No e2e specs in tests/e2e: nothing to install.");
  if (fs.existsSync("/usr/bin/chromium")) return console.log("/usr/bin/chromium is installed.");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if ((await run("apt-get", ["update", "-qq"], { env })) !== 0) fail("apt-get update failed.");
  const code = await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { env });
  if (code !== 0 || !fs.existsSync("/usr/bin/chromium")) fail("Could not install Debian chromium (apt-get install chromium).");
});

await phase("3/9 prisma clients", async () => {
  const pkg = readJson("package.json");
  const script = ["prisma:generate", "postinstall"].find((s) => pkg?.scripts?.[s]);
  if (!script) return console.log("No Prisma generate script in package.json yet: skipped.");
  const code = await run("npm", ["run", "--silent", script]);
  if (code !== 0) fail(`npm run ${script} failed (exit ${code}).`);
});

await phase("4/9 checks (ESLint, architecture, tsc, Prettier)", async () => {
  const failed = [];
  for (const [name, cmd, args] of [
    ["ESLint", "npx", ["eslint", ".", "--max-warnings", "0"]],
    ["architecture rules (dependency-cruiser)", "npm", ["run", "--silent", "lint:arch"]],
    ["tsc --noEmit", "npx", ["tsc", "--noEmit"]],
    ["Prettier --check", "npx", ["prettier", "--check", ".", "--log-level", "warn"]],
  ]) {
    console.log(`\n--- ${name}`);
    const code = await run(cmd, args);
    if (code !== 0) failed.push(name);
    else console.log(`${name}: clean`);
  }
  if (failed.length) fail(`${failed.join(", ")} failed (npm run lint, lint:arch, typecheck, format:check; npm run format fixes formatting).`);
});

// Two files at a time: vitest's default on 2 cores is one worker, and most of these files wait on PostgreSQL,
// Redis, the disk or child processes rather than the CPU (each uses its own database / key prefix / directory).
const UNIT = ["--exclude", "tests/api/**", "--exclude", "tests/e2e/**", "--maxWorkers=2"];
await phase("5/9 unit + conformance (vitest)", () => vitest("unit", UNIT));

const NODE24 = CI || process.env.WAYPOINT_NODE24 !== "0";
/**
 * Under Node 24 the unit suite runs again but for the 12 store-to-store migrations of 1,000 threads (about 3
 * minutes of our own logic over the drivers the conformance suites exercise anyway), and these HTTP suites: the
 * server on each store (SQLite, PostgreSQL, Redis, files), kill and resume, sign-in, and LangGraph.js graphs.
 * The rest of tests/api (multi-server, workers, outages, fuzz) tests our logic rather than the runtime and runs
 * once, in phase 7, to keep the whole run well under 30 minutes.
 */
const NODE24_API = [
  "tests/api/sqlite.test.ts",
  "tests/api/postgres.test.ts",
  "tests/api/other-stores.test.ts",
  "tests/api/crash.test.ts",
  "tests/api/auth-flows.test.ts",
  "tests/api/langgraph-graphs.test.ts",
];
let node24 = null;
await phase("6/9 build (next build; Node 24 prepared meanwhile)", async () => {
  // The Node 24 set-up (a download, and once a ~2 min compile) overlaps the build, not the timing-sensitive tests.
  const prepared = NODE24 ? prepareNode24().catch((err) => ({ error: err?.message ?? String(err) })) : Promise.resolve(null);
  const code = await run("npx", ["next", "build"]);
  node24 = await prepared;
  if (code !== 0) fail(`next build failed (exit ${code}).`);
});

await phase("7/9 HTTP API (vitest tests/api)", async () => {
  if (!fs.existsSync("tests/api")) fail("tests/api is missing.");
  await vitest("api", ["tests/api"]);
});

await phase("8/9 end-to-end (Playwright)", async () => {
  if (!e2eSpecs()) return console.log("No e2e specs in tests/e2e: nothing to run.");
  const out = path.join(resultsDir, "playwright.json");
  fs.rmSync(out, { force: true });
  const code = await run("npx", ["playwright", "test", "--reporter=list,json"], {
    env: { PLAYWRIGHT_JSON_OUTPUT_FILE: out, PLAYWRIGHT_JSON_OUTPUT_NAME: out, WAYPOINT_BUILT: "1" },
  });
  const stats = readJson(out)?.stats;
  if (stats) {
    totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
    totals.failed += stats.unexpected ?? 0;
    totals.skipped += stats.skipped ?? 0;
  }
  if (code !== 0) fail(`Playwright failed (exit ${code}).`);
});

await phase("9/9 Node 24: unit + conformance, HTTP API", async () => {
  if (!NODE24) return console.log("WAYPOINT_NODE24=0: skipped.");
  if (node24?.error) {
    if (CI) fail(`Node 24: ${node24.error}`);
    return console.warn(`WARNING: Node 24 skipped: ${node24.error}`);
  }
  const { env } = node24;
  const seen = spawnSync("node", ["-p", "process.version"], { env: { ...process.env, ...env }, encoding: "utf8" }).stdout?.trim();
  if (!seen.startsWith("v24.")) fail(`Node 24 phase: \`node\` on its PATH is ${seen || "missing"}.`);
  console.log(`node ${seen}; better-sqlite3 from ${env.WAYPOINT_BETTER_SQLITE3_NODE}`);
  await vitest("unit-node24", [...UNIT, "--exclude", "tests/cli/migrate.test.ts"], env);
  await vitest("api-node24", NODE24_API, env);
});

header("summary");
console.log(`All phases passed in ${((Date.now() - started) / 60000).toFixed(1)} min.`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
