/**
 * Conformance suite against the SQLite store (a fresh database file in its own temp dir per store), plus the
 * store's own setup guarantees: folder and file created on first use, migrations applied once and idempotently,
 * also when two processes start on the same new file at the same moment.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore, type SqliteStore } from "../../lib/checkpoint/sqlite";
import { isWaypointError } from "../../lib/errors";
import { chain, cp } from "./suite-helpers";
import { loadMigrations } from "../../lib/checkpoint/migrate";

/** Every committed SQLite migration, in order: what a fresh database's ledger must list. */
const ALL_SQLITE = loadMigrations("sqlite").map((m) => m.name);
import { describeConformance } from "./suite";

const dirOf = (store: SqliteStore) => path.dirname(path.dirname(store.file));

describeConformance("sqlite", {
  create: async () => createSqliteStore({ url: `file:${await mkdtemp(path.join(os.tmpdir(), "waypoint-sqlite-"))}/data/waypoint.db` }),
  createSecond: (first) => createSqliteStore({ url: `file:${(first as SqliteStore).file}` }),
  destroy: async (store) => {
    await store.close();
    await rm(dirOf(store as SqliteStore), { recursive: true, force: true });
  },
});

const ledger = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(`SELECT "name" FROM "_waypoint_migrations" ORDER BY "name"`).all() as { name: string }[];
  } finally {
    db.close();
  }
};

/** Runs `createSqliteStore` + one save in a separate Node process (tsx loads the TypeScript). */
function childOpen(url: string, startAt: number): Promise<{ code: number | null; out: string }> {
  const mod = path.resolve("lib/checkpoint/sqlite.ts");
  const script = `
    const { createSqliteStore } = await import(${JSON.stringify(mod)});
    while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 1));
    const s = await createSqliteStore({ url: ${JSON.stringify(url)} });
    await s.save({ id: "c-" + process.pid, threadId: "shared", parentId: null, step: -1, nodeName: "__input__", state: {}, next: [],
      interrupts: [], pendingWrites: [], metadata: { source: "input", writes: [] }, timestamp: new Date().toISOString() });
    await s.close();
    console.log("ok");`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe("sqlite store setup and migrations", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "waypoint-sqlite-setup-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("creates the folder and the file, applies the migration once, and setup() again is a no-op", async () => {
    const file = path.join(tmp, "a", "nested", "waypoint.db");
    const store = await createSqliteStore({ url: `file:${file}` });
    try {
      expect(existsSync(file)).toBe(true);
      await store.setup();
      const saved = await store.save(cp("t1"));
      await store.close();
      const again = await createSqliteStore({ url: `file:${file}` });
      expect(await again.load(saved.id)).toEqual(saved);
      await again.close();
      expect(ledger(file).map((r) => r.name)).toEqual(ALL_SQLITE);
      const db = new Database(file, { readonly: true });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      db.close();
    } finally {
      await store.close();
    }
  });

  it("two processes opening the same new file at once both succeed and migrate it exactly once", async () => {
    const file = path.join(tmp, "race", "waypoint.db");
    const url = `file:${file}`;
    const startAt = Date.now() + 1500; // both children are loaded by then and start together
    const results = await Promise.all([childOpen(url, startAt), childOpen(url, startAt)]);
    for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
    expect(ledger(file).map((r) => r.name)).toEqual(ALL_SQLITE);
    const store = await createSqliteStore({ url });
    try {
      expect((await store.list("shared")).map((c) => c.version)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  }, 60_000);

  it("applies a newly added migration to an existing database, and refuses an edited applied one", async () => {
    const prismaDir = path.join(tmp, "prisma-copy");
    cpSync(path.resolve("prisma"), prismaDir, { recursive: true });
    const file = path.join(tmp, "evolve", "waypoint.db");
    await (await createSqliteStore({ url: `file:${file}`, prismaDir })).close();
    const next = path.join(prismaDir, "sqlite", "migrations", "20991231000000_add_note");
    cpSync(path.join(prismaDir, "sqlite", "migrations", "20261121000000_init"), next, { recursive: true });
    writeFileSync(path.join(next, "migration.sql"), `ALTER TABLE "threads" ADD COLUMN "note" TEXT;\n`);
    await (await createSqliteStore({ url: `file:${file}`, prismaDir })).close();
    expect(ledger(file).map((r) => r.name)).toEqual([...ALL_SQLITE, "20991231000000_add_note"]);

    // The same migration name with different SQL than what was applied.
    const edited = path.join(tmp, "prisma-edited");
    cpSync(prismaDir, edited, { recursive: true });
    writeFileSync(path.join(edited, "sqlite", "migrations", "20991231000000_add_note", "migration.sql"), `SELECT 1;\n`);
    const err = await createSqliteStore({ url: `file:${file}`, prismaDir: edited }).catch((e) => e);
    expect(isWaypointError(err, "STORE_CONFIG")).toBe(true);
    expect(String(err.message)).toMatch(/20991231000000_add_note/);
  });

  it("the Prisma schema matches the migrated tables: every model reads rows the store wrote", async () => {
    const store = await createSqliteStore({ url: `file:${path.join(tmp, "parity", "waypoint.db")}` });
    try {
      const [a] = await chain(store, "t-parity", 2);
      await store.updateThread("t-parity", {
        graphId: "g",
        status: "error",
        error: { node: "n", message: "m", checkpointId: a.id, at: a.timestamp },
      });
      await store.acquireLock("t-parity", "owner-a", 60_000);
      const prisma = await store.getPrisma();
      const row = await prisma.checkpoint.findUnique({ where: { id: a.id } });
      expect(row).toMatchObject({ threadId: "t-parity", parentId: null, version: 1, state: a.state, metadata: a.metadata, createdAt: a.timestamp });
      expect(await prisma.thread.findUnique({ where: { threadId: "t-parity" } })).toMatchObject({
        graphId: "g",
        status: "error",
        checkpointCount: 2,
        headVersion: 2,
        lastVersion: 2,
      });
      expect(await prisma.threadLock.findUnique({ where: { threadId: "t-parity" } })).toMatchObject({ owner: "owner-a" });
    } finally {
      await store.close();
    }
  });

  it("rejects a url that is not file:... with STORE_CONFIG", async () => {
    const err = await createSqliteStore({ url: "postgres://x" }).catch((e) => e);
    expect(isWaypointError(err, "STORE_CONFIG")).toBe(true);
  });
});
