#!/usr/bin/env node
/**
 * Generates both Prisma clients (lib/generated/sqlite, lib/generated/postgres; gitignored) from
 * prisma/{sqlite,postgres}/schema.prisma. Runs from `postinstall`, so it must work offline:
 *
 * - `prisma generate` only needs the WASM schema tools bundled in the `prisma` package, but it insists that
 *   PRISMA_SCHEMA_ENGINE_BINARY names an existing file. The real binary cannot be downloaded here and nothing in
 *   install, build, start or test runs it (migrations are applied by lib/checkpoint/migrate.ts), so we point it
 *   at prisma/no-schema-engine.sh, which explains that and exits 1 if anything ever does call it.
 * - One schema per database (a datasource's provider cannot come from an env var), each passed with --schema;
 *   no prisma.config.ts is needed because Prisma 7 schemas carry no URL and generate never connects.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fakeEngine = path.join(root, "prisma", "no-schema-engine.sh");
const cli = path.join(root, "node_modules", "prisma", "build", "index.js");

if (!existsSync(cli)) {
  // Production installs without devDependencies cannot generate; the app then needs a prebuilt lib/generated.
  console.warn("prisma-generate: the `prisma` package is not installed; skipping client generation.");
  process.exit(0);
}
try {
  chmodSync(fakeEngine, 0o755); // git may drop the executable bit on some checkouts
} catch {
  /* prisma only checks that the file exists */
}

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || fakeEngine,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1", // no telemetry/update check over the network
};

for (const db of ["sqlite", "postgres"]) {
  const schema = path.join("prisma", db, "schema.prisma");
  const r = spawnSync(process.execPath, [cli, "generate", "--schema", schema], { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`prisma-generate: generating the ${db} client from ${schema} failed (exit ${r.status ?? r.signal}).`);
    process.exit(r.status || 1);
  }
}
