#!/usr/bin/env node
/**
 * `npm test`: the whole suite, stopping at the first failing stage.
 *   1. services   PostgreSQL + Redis (started if installed but down; with CI set, missing ones fail the run)
 *   2. browser    Debian Chromium for Playwright (apt-get) when there are e2e specs and it is missing
 *   3. prisma     generated Prisma clients
 * then three stages of two lanes side by side (see `stage` below for why these pairs):
 *   A. checks (ESLint, dependency-cruiser, tsc --noEmit, Prettier --check; all four run), then `next build`
 *      | unit: vitest on everything but tests/api and tests/e2e (engine, stores, conformance on every backend)
 *      Node 24 is prepared meanwhile (scripts/lib-node24.mjs: cached in ~/.cache/waypoint-node24 after the first run)
 *   B. HTTP API: vitest tests/api, real `next start` servers on every store, kill-and-restart resume, a seeded fuzz
 *      of every route, outages through a TCP proxy, several servers and workers
 *      | unit again under Node 24, the current LTS (but the store-to-store migrations)
 *   C. end-to-end: Playwright against the built app
 *      | the core HTTP suites (NODE24_API) under Node 24
 *   (WAYPOINT_NODE24=0 skips the Node 24 lanes outside CI.)
 * Ends with one line "N passed, N failed, N skipped" over all of it.
 *
 * With CI set, a vitest test that fails is run once more (--retry=1): ~10,000 tests share two cores with real
 * servers and killed processes, and one rare timing failure should not sink a run. A test that needed its retry is
 * not hidden: each one is printed as FLAKY, with its first failure, in its lane and again above the summary line.
 * A test that fails twice fails the run.
 *
 * PostgreSQL sessions opened by the tests skip the WAL flush at commit (PGOPTIONS synchronous_commit=off, read
 * by node-postgres and so by Prisma's adapter and pg-boss): a commit is still atomic and visible to every other
 * session at once, and only a crash of PostgreSQL itself could lose it, which no test does (tests kill our
 * processes, never the database). Commits were 4–5× cheaper here with it. The benchmark keeps the server default.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { prepareNode24 } from "./lib-node24.mjs";
import { ensureServices, header, run, runTagged } from "./lib-services.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
process.env.NEXT_TELEMETRY_DISABLED = "1";
process.env.PGOPTIONS ??= "-c synchronous_commit=off";
const CI = Boolean(process.env.CI);
const resultsDir = path.join(root, "test-results");
fs.mkdirSync(resultsDir, { recursive: true });
/** `flaky`: tests that failed once and passed on their one retry (CI only), each named in the summary. */
const totals = { passed: 0, failed: 0, skipped: 0, flaky: [] };
const started = Date.now();

/** The tests that needed their retry, above the summary line (nothing when none did). */
function printFlaky() {
  if (totals.flaky.length) console.log(`\n${totals.flaky.length} passed only on their retry (flaky, to fix):\n  ${totals.flaky.join("\n  ")}`);
}

function fail(message) {
  console.error(`\n✗ ${message}`);
  printFlaky();
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

/** Runs vitest in a lane with the default reporter plus a JSON report we count from; returns why it failed. */
async function vitest(lane, name, args, env = {}) {
  const out = path.join(resultsDir, `vitest-${name}.json`);
  fs.rmSync(out, { force: true });
  const retry = CI ? ["--retry=1"] : [];
  const code = await lane.run("npx", ["vitest", "run", ...args, ...retry, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], {
    env,
  });
  const report = readJson(out);
  if (report) {
    totals.passed += report.numPassedTests ?? 0;
    totals.failed += report.numFailedTests ?? 0;
    totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    lane.log(`vitest ${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`);
    for (const line of vitestLines(report, retried)) {
      totals.flaky.push(`[${name}] ${line}`);
      lane.log(`FLAKY (failed, then passed on its retry): ${line}`);
    }
    if (report.numTotalTests === 0) return `vitest ${name} ran no test.`;
  }
  if (code !== 0) return `vitest ${name} failed (exit ${code}).${listed([...fileErrors(report), ...vitestLines(report, failing)])}`;
}

/**
 * The tests of a vitest JSON report that `pick` selects, one line each (file › name: first line of its first
 * failure): the failing ones, so that the end of the log (what survives when only its tail is kept) says what
 * failed, and the ones that passed with a failure on record (they needed their retry).
 */
function vitestLines(report, pick) {
  const lines = [];
  for (const file of report?.testResults ?? [])
    for (const t of file.assertionResults ?? [])
      if (pick(t)) lines.push(`${path.relative(root, file.name ?? "")} › ${t.fullName ?? t.title}: ${firstLine(t.failureMessages?.[0])}`);
  return lines;
}
const failing = (t) => t.status === "failed";
const retried = (t) => t.status === "passed" && t.failureMessages?.length > 0;

/** Files of a vitest JSON report that failed outside any test (an import or a hook): file: first line of the error. */
const fileErrors = (report) =>
  (report?.testResults ?? [])
    .filter((f) => f.status === "failed" && !(f.assertionResults ?? []).some(failing))
    .map((f) => `${path.relative(root, f.name ?? "")}: ${firstLine(f.message)}`);

/** Lines appended to a lane's failure sentence, at most 20. */
const listed = (lines) => (lines.length ? `\n    ${lines.slice(0, 20).join("\n    ")}` : "");

/** The failing Playwright tests of its JSON report, one line each (file › title: first line of the error). */
function failedSpecs(report) {
  const lines = [];
  const walk = (suite) => {
    for (const spec of suite.specs ?? [])
      for (const t of spec.tests ?? [])
        if (t.status === "unexpected") lines.push(`${spec.file} › ${spec.title}: ${firstLine(t.results?.at(-1)?.error?.message)}`);
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of report?.suites ?? []) walk(suite);
  return lines;
}

const firstLine = (text) =>
  String(text ?? "")
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .find((l) => l.trim())
    ?.trim()
    .slice(0, 300) ?? "";

/** A named lane: `fn` gets { run, log } writing lines prefixed "[name] " and resolves to a failure sentence or nothing. */
function lane(name, fn) {
  return { name, fn };
}

/** Runs lanes side by side; fails the run (after all have ended) if any lane failed. */
async function stage(title, lanes) {
  header(`stage ${title}`);
  const t0 = Date.now();
  const results = await Promise.all(
    lanes.map(async ({ name, fn }) => {
      const tag = `[${name}] `;
      const log = (line) => console.log(tag + line);
      const t = Date.now();
      const failure = await Promise.resolve()
        .then(() => fn({ log, run: (cmd, args, opts = {}) => runTagged(tag, cmd, args, opts) }))
        .catch((err) => `threw: ${err?.stack ?? err}`);
      log(`--- ${failure ? "FAILED" : "ok"} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      return failure ? `[${name}] ${failure}` : null;
    }),
  );
  const failures = results.filter(Boolean);
  if (failures.length) fail(failures.join("\n✗ "));
  console.log(`--- stage ${title}: ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

const e2eSpecs = () =>
  fs.existsSync("tests/e2e") && fs.readdirSync("tests/e2e", { recursive: true }).some((f) => /\.(spec|test)\.[cm]?[tj]sx?$/.test(String(f)));

await phase("1/3 services (PostgreSQL, Redis)", async () => {
  const missing = await ensureServices();
  if (missing.length === 0) return;
  const msg = `${missing.join(" and ")} unreachable (PostgreSQL 127.0.0.1:5432, Redis 127.0.0.1:6379).`;
  if (CI) fail(`${msg} CI is set, so the store suites for them cannot be skipped.`);
  console.warn(`WARNING: ${msg} Their tests will report it.`);
});

await phase("2/3 browser (Chromium for Playwright)", async () => {
  if (!e2eSpecs()) return console.log("No e2e specs in tests/e2e: nothing to install.");
  if (fs.existsSync("/usr/bin/chromium")) return console.log("/usr/bin/chromium is installed.");
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if ((await run("apt-get", ["update", "-qq"], { env })) !== 0) fail("apt-get update failed.");
  const code = await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { env });
  if (code !== 0 || !fs.existsSync("/usr/bin/chromium")) fail("Could not install Debian chromium (apt-get install chromium).");
});

await phase("3/3 prisma clients", async () => {
  const pkg = readJson("package.json");
  const script = ["prisma:generate", "postinstall"].find((s) => pkg?.scripts?.[s]);
  if (!script) return console.log("No Prisma generate script in package.json yet: skipped.");
  const code = await run("npm", ["run", "--silent", script]);
  if (code !== 0) fail(`npm run ${script} failed (exit ${code}).`);
});

/**
 * Phases 4–9 run as three stages of two lanes each. Each lane's lines are prefixed with its name; a stage ends
 * when both lanes have, and fails if either did. The pairs were chosen so that one lane mostly computes while the
 * other mostly waits on PostgreSQL, Redis, the disk or child processes (the unit suites use ~1 CPU-minute per 7
 * wall minutes), and so that no two lanes run the same test file at once (each file uses its own databases, key
 * prefixes, folders and free ports, but a file run twice at once would race itself on nothing it does not share):
 *   A. checks, then build      |  unit + conformance (Node 20)        — Node 24 prepared meanwhile
 *   B. HTTP API (Node 20)      |  unit + conformance (Node 24)
 *   C. end-to-end (Playwright) |  the core HTTP suites (Node 24)
 */
async function checks(lane) {
  const failed = [];
  for (const [name, cmd, args] of [
    ["ESLint", "npx", ["eslint", ".", "--max-warnings", "0"]],
    ["architecture rules (dependency-cruiser)", "npm", ["run", "--silent", "lint:arch"]],
    ["tsc --noEmit", "npx", ["tsc", "--noEmit"]],
    ["Prettier --check", "npx", ["prettier", "--check", ".", "--log-level", "warn"]],
  ]) {
    lane.log(`--- ${name}`);
    const code = await lane.run(cmd, args);
    if (code !== 0) failed.push(name);
    else lane.log(`${name}: clean`);
  }
  if (failed.length) return `${failed.join(", ")} failed (npm run lint, lint:arch, typecheck, format:check; npm run format fixes formatting).`;
}

// Two files at a time: vitest's default on 2 cores is one worker, and most of these files wait on PostgreSQL,
// Redis, the disk or child processes rather than the CPU (each uses its own database / key prefix / directory).
const UNIT = ["--exclude", "tests/api/**", "--exclude", "tests/e2e/**", "--maxWorkers=2"];

const NODE24 = CI || process.env.WAYPOINT_NODE24 !== "0";
/**
 * Under Node 24 the unit suite runs again but for the 12 store-to-store migrations of 1,000 threads (about 3
 * minutes of our own logic over the drivers the conformance suites exercise anyway), and these HTTP suites: the
 * server on each store (SQLite, PostgreSQL, Redis, files), kill and resume, sign-in, and LangGraph.js graphs.
 * The rest of tests/api (multi-server, workers, outages, fuzz) tests our logic rather than the runtime and runs
 * once, under Node 20.
 */
const NODE24_API = [
  "tests/api/sqlite.test.ts",
  "tests/api/postgres.test.ts",
  "tests/api/other-stores.test.ts",
  "tests/api/crash.test.ts",
  "tests/api/auth-flows.test.ts",
  "tests/api/langgraph-graphs.test.ts",
];

// The Node 24 set-up (a download, and once a ~2 min compile) overlaps stage A.
const node24Ready = NODE24 ? prepareNode24().catch((err) => ({ error: err?.message ?? String(err) })) : Promise.resolve(null);
/** The Node 24 environment, or why there is none (a failure under CI, a warning outside it). */
async function node24Env(lane) {
  const node24 = await node24Ready;
  if (!NODE24) return void lane.log("WAYPOINT_NODE24=0: skipped.");
  if (node24?.error) {
    if (CI) return { error: `Node 24: ${node24.error}` };
    return void lane.log(`WARNING: Node 24 skipped: ${node24.error}`);
  }
  const { env } = node24;
  const seen = spawnSync("node", ["-p", "process.version"], { env: { ...process.env, ...env }, encoding: "utf8" }).stdout?.trim();
  if (!seen.startsWith("v24.")) return { error: `Node 24: \`node\` on its PATH is ${seen || "missing"}.` };
  lane.log(`node ${seen}; better-sqlite3 from ${env.WAYPOINT_BETTER_SQLITE3_NODE}`);
  return { env };
}

await stage("A: checks + build | unit (Node 20)", [
  lane("checks+build", async (l) => {
    const bad = await checks(l);
    if (bad) return bad;
    l.log("--- next build");
    const code = await l.run("npx", ["next", "build"]);
    if (code !== 0) return `next build failed (exit ${code}).`;
  }),
  lane("unit", (l) => vitest(l, "unit", UNIT)),
]);

await stage("B: HTTP API (Node 20) | unit (Node 24)", [
  lane("api", (l) => (fs.existsSync("tests/api") ? vitest(l, "api", ["tests/api"]) : "tests/api is missing.")),
  lane("unit-node24", async (l) => {
    const n = await node24Env(l);
    if (n?.error) return n.error;
    if (n) return vitest(l, "unit-node24", [...UNIT, "--exclude", "tests/cli/migrate.test.ts"], n.env);
  }),
]);

await stage("C: end-to-end (Playwright) | core HTTP suites (Node 24)", [
  lane("e2e", async (l) => {
    if (!e2eSpecs()) return void l.log("No e2e specs in tests/e2e: nothing to run.");
    const out = path.join(resultsDir, "playwright.json");
    fs.rmSync(out, { force: true });
    const code = await l.run("npx", ["playwright", "test", "--reporter=list,json"], {
      env: { PLAYWRIGHT_JSON_OUTPUT_FILE: out, PLAYWRIGHT_JSON_OUTPUT_NAME: out, WAYPOINT_BUILT: "1" },
    });
    const report = readJson(out);
    const stats = report?.stats;
    if (stats) {
      totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
      totals.failed += stats.unexpected ?? 0;
      totals.skipped += stats.skipped ?? 0;
    }
    if (code !== 0) return `Playwright failed (exit ${code}).${listed(failedSpecs(report))}`;
  }),
  lane("api-node24", async (l) => {
    const n = await node24Env(l);
    if (n?.error) return n.error;
    if (n) return vitest(l, "api-node24", NODE24_API, n.env);
  }),
]);

header("summary");
console.log(`All phases passed in ${((Date.now() - started) / 60000).toFixed(1)} min.`);
printFlaky();
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
