/**
 * Applies the committed Prisma migration SQL (prisma/<db>/migrations/<name>/migration.sql) from our own code,
 * because the Prisma migration engine binary cannot be installed here. Mirrors what `prisma migrate deploy`
 * does, with our own ledger table `_waypoint_migrations`:
 *
 * - Idempotent: a migration whose name is in the ledger is skipped; pending ones run in name (timestamp) order.
 * - Atomic: each run (every pending migration plus its ledger row) is one transaction, so a crash mid-way
 *   leaves the database as it was and the next start retries.
 * - Safe when several processes start at once: PostgreSQL takes a transaction-scoped advisory lock before
 *   even creating the ledger; SQLite takes the write lock up front (BEGIN IMMEDIATE) and waits for it through
 *   busy_timeout. The loser of the race then finds everything applied and does nothing.
 * - Applied migrations must never be edited: a checksum mismatch is reported as STORE_CONFIG rather than
 *   silently running against a schema that differs from the code's expectations.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { Pool } from "pg";
import { WaypointError } from "../errors";

export type MigrationDb = "sqlite" | "postgres";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

const LEDGER = "_waypoint_migrations";

/**
 * Where the committed migrations live. The app and its scripts run from the repository root, so `prisma/` under
 * the working directory is the default; `dir` (or env WAYPOINT_PRISMA_DIR) overrides it for other layouts.
 */
export function migrationsDir(db: MigrationDb, dir?: string): string {
  const base = dir ?? process.env.WAYPOINT_PRISMA_DIR ?? path.join(process.cwd(), "prisma");
  return path.join(base, db, "migrations");
}

/** The migrations for `db`, in the order they must be applied (read at each setup: a few small files). */
export function loadMigrations(db: MigrationDb, dir?: string): Migration[] {
  const root = migrationsDir(db, dir);
  if (!existsSync(root)) {
    throw new WaypointError(
      "STORE_CONFIG",
      `The ${db} migrations folder ${root} is missing; run Waypoint from the repository root or set WAYPOINT_PRISMA_DIR.`,
    );
  }
  const out: Migration[] = [];
  for (const name of readdirSync(root).sort()) {
    const file = path.join(root, name, "migration.sql");
    if (!existsSync(file)) continue;
    // Line endings are normalised so a Windows checkout hashes the same as a Unix one.
    const sql = readFileSync(file, "utf8").replace(/\r\n/g, "\n");
    out.push({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  if (out.length === 0) throw new WaypointError("STORE_CONFIG", `No ${db} migrations were found in ${root}.`);
  return out;
}

function pendingOf(migrations: Migration[], applied: { name: string; checksum: string }[]): Migration[] {
  const done = new Map(applied.map((r) => [r.name, r.checksum]));
  for (const m of migrations) {
    const sum = done.get(m.name);
    if (sum !== undefined && sum !== m.checksum) {
      throw new WaypointError(
        "STORE_CONFIG",
        `Migration ${m.name} was changed after it was applied to this database; add a new migration instead of editing an applied one.`,
        { migration: m.name },
      );
    }
  }
  return migrations.filter((m) => !done.has(m.name));
}

/** Applies pending migrations to an open SQLite connection (busy_timeout must already be set). Returns their names. */
export function migrateSqlite(db: BetterSqlite3.Database, migrations: Migration[]): string[] {
  const run = db.transaction((): string[] => {
    db.exec(`CREATE TABLE IF NOT EXISTS "${LEDGER}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL)`);
    const applied = db.prepare(`SELECT "name", "checksum" FROM "${LEDGER}"`).all() as { name: string; checksum: string }[];
    const pending = pendingOf(migrations, applied);
    const record = db.prepare(`INSERT INTO "${LEDGER}" ("name", "checksum", "applied_at") VALUES (?, ?, ?)`);
    for (const m of pending) {
      db.exec(m.sql);
      record.run(m.name, m.checksum, new Date().toISOString());
    }
    return pending.map((m) => m.name);
  });
  return run.immediate();
}

/** Any fixed 64-bit key; every Waypoint process migrating the same database contends on it. */
const ADVISORY_KEY = "7250428330245631351";

/** Applies pending migrations to a PostgreSQL database in one transaction under an advisory lock. */
export async function migratePostgres(pool: Pool, migrations: Migration[]): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      // Transaction-scoped: released by COMMIT/ROLLBACK even if this process dies mid-way (the server ends the session).
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [ADVISORY_KEY]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${LEDGER}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ name: string; checksum: string }>(`SELECT "name", "checksum" FROM "${LEDGER}"`);
      const pending = pendingOf(migrations, rows);
      for (const m of pending) {
        await client.query(m.sql); // simple-query protocol: the file may hold many statements
        await client.query(`INSERT INTO "${LEDGER}" ("name", "checksum") VALUES ($1, $2)`, [m.name, m.checksum]);
      }
      await client.query("COMMIT");
      return pending.map((m) => m.name);
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  } finally {
    client.release();
  }
}
