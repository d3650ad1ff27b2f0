#!/usr/bin/env node
/**
 * `npm run setup`: everything after `npm install` that a fresh machine needs before `npm run dev`:
 * the Prisma clients, the data folder, the store's tables (on whatever store the environment picks), and a check
 * of the graph config (waypoint.config.ts).
 */
import fs from "node:fs";
import path from "node:path";
import { header, run } from "./lib-services.mjs";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));

if (!fs.existsSync("node_modules/.bin/next")) {
  header("npm install");
  const code = await run("npm", ["install", "--no-audit", "--no-fund"]);
  if (code !== 0) process.exit(code);
} else {
  const script = ["prisma:generate", "postinstall"].find((s) => pkg.scripts?.[s]);
  if (script) {
    header(`npm run ${script}`);
    const code = await run("npm", ["run", "--silent", script]);
    if (code !== 0) process.exit(code);
  }
}
fs.mkdirSync(path.join(root, "data"), { recursive: true });
header("Store set-up");
const code = await run("npx", ["tsx", "scripts/lib-store-setup.mjs"]);
if (code !== 0) process.exit(code);
header("Graph config");
if ((await run("npx", ["tsx", "scripts/lib-config-check.mjs"])) !== 0) process.exit(1);
console.log("\nReady: `npm run dev` (development) or `npm start` (production build).");
