/**
 * Conformance suite against the SQLite store (a fresh database file in its own temp dir per store), plus the
 * store's own setup guarantees: folder and file created on first use, migrations applied once and idempotently,
 * also when two processes start on the same new file at the same moment.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createSqliteStore, type SqliteCheckpointStore } from "../../lib/checkpoint/sqlite";
import type { Checkpoint } from "../../lib/checkpoint/types";
import { isWaypointError } from "../../lib/errors";
import { chain, cp } from "./suite-helpers";
import { loadMigrations, migrateSqlite } from "../../lib/checkpoint/migrate";

/** Every committed SQLite migration, in order: what a fresh database's ledger must list. */
const ALL_SQLITE = loadMigrations("sqlite").map((m) => m.name);
import { describeConformance } from "./suite";

const j = JSON.stringify;

const dirOf = (store: SqliteCheckpointStore) => path.dirname(path.dirname(store.file));

describeConformance("sqlite", {
  create: async () => createSqliteStore({ url: `file:${await mkdtemp(path.join(os.tmpdir(), "waypoint-sqlite-"))}/data/waypoint.db` }),
  createSecond: (first) => createSqliteStore({ url: `file:${(first as SqliteCheckpointStore).file}` }),
  childStore: (store) => ({
    module: "lib/checkpoint/sqlite.ts",
    create: "createSqliteStore",
    options: { url: `file:${(store as SqliteCheckpointStore).file}` },
  }),
  // Garbage where the row's ops are (a delta row), or where its state is (a snapshot), through another connection.
  corruptDelta: async (store, id) => {
    const db = new Database((store as SqliteCheckpointStore).file);
    try {
      const row = db.prepare(`SELECT "ops" FROM "checkpoints" WHERE "id" = ?`).get(id) as { ops: string | null };
      if (row.ops !== null) db.prepare(`UPDATE "checkpoints" SET "ops" = ? WHERE "id" = ?`).run('[["log","a",9999]]\n[{"garbage', id);
      else db.prepare(`UPDATE "checkpoints" SET "state" = ? WHERE "id" = ?`).run("{not json", id);
    } finally {
      db.close();
    }
  },
  destroy: async (store) => {
    await store.close();
    await rm(dirOf(store as SqliteCheckpointStore), { recursive: true, force: true });
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
      const [a, b] = await chain(store, "t-parity", 2);
      await store.updateThread("t-parity", {
        graphId: "g",
        status: "error",
        error: { node: "n", message: "m", checkpointId: a.id, at: a.timestamp },
      });
      await store.acquireLock("t-parity", "owner-a", 60_000);
      const prisma = await store.getPrisma();
      const row = await prisma.checkpoint.findUnique({ where: { id: a.id } });
      expect(row).toMatchObject({ threadId: "t-parity", parentId: null, version: 1, metadata: a.metadata, createdAt: a.timestamp });
      // `state` is text: full JSON for a snapshot, '' for a delta row (whose ops apply to base_id's state).
      expect(row).toMatchObject({ baseId: null, depth: 0, ops: null });
      expect(JSON.parse(row!.state)).toEqual(a.state);
      expect(await prisma.checkpoint.findUnique({ where: { id: b.id } })).toMatchObject({
        parentId: a.id,
        version: 2,
        state: "",
        baseId: a.id,
        depth: 1,
        ops: expect.any(String),
      });
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

describe("sqlite delta layout", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "waypoint-sqlite-delta-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** One ~200-byte log item, as a chat or a pipeline's log grows. */
  const item = (i: number) => ({ i, text: `message ${i} — ${"lorem ipsum ".repeat(12)}`, tags: ["a", i % 3 ? "b" : "c"] });

  /** Appends `n` steps to `parent`, each adding one item to `log`; returns the saved checkpoints. */
  async function append(store: SqliteCheckpointStore, thread: string, parent: Checkpoint, n: number, start: number): Promise<Checkpoint[]> {
    const out: Checkpoint[] = [];
    let log = parent.state.log as unknown[];
    for (let i = start; i < start + n; i++) {
      const it = item(i);
      log = [...log, it];
      parent = await store.save(
        cp(thread, parent, {
          step: parent.step + 1,
          state: { log, count: i },
          metadata: { source: "loop", writes: [{ node: "work", channel: "log", value: it }] },
        }),
      );
      out.push(parent);
    }
    return out;
  }

  it("a database written by the previous layout loads, lists and is continued with deltas, its rows never rewritten", async () => {
    // A database as the previous version left it: every migration before the delta one, rows in the old columns.
    mkdirSync(path.join(tmp, "old"));
    const file = path.join(tmp, "old", "waypoint.db");
    const db = new Database(file);
    migrateSqlite(
      db,
      loadMigrations("sqlite").filter((m) => m.name < "20261201000000_delta"),
    );
    expect(ledger(file).map((r) => r.name)).not.toContain("20261201000000_delta");

    const thread = "t-old-layout";
    const old: Checkpoint[] = [0, 1, 2].map((i) => ({
      id: `old-${i}`,
      threadId: thread,
      parentId: i === 0 ? null : `old-${i - 1}`,
      version: i + 1,
      step: i - 1,
      nodeName: i === 0 ? "__input__" : "work",
      state: { log: [0, 1, 2].slice(0, i + 1).map(item), count: i },
      next: ["work"],
      interrupts: [],
      pendingWrites: [],
      metadata: { source: i === 0 ? "input" : "loop", writes: [] },
      timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(),
    }));
    try {
      // Only the columns of the init migration (the summary migration's column stays NULL, as an older process left it).
      const insert = db.prepare(
        `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state", "next", "interrupts", "pending_writes", "metadata", "created_at")
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const c of old)
        insert.run(c.id, c.threadId, c.parentId, c.version, c.step, c.nodeName, j(c.state), j(c.next), "[]", "[]", j(c.metadata), c.timestamp);
      db.prepare(
        `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at")
         VALUES (?, 'old-2', 3, 3, 3, ?, ?)`,
      ).run(thread, old[2].timestamp, old[2].timestamp);
    } finally {
      db.close();
    }

    const store = await createSqliteStore({ url: `file:${file}` });
    try {
      expect(ledger(file).map((r) => r.name)).toEqual(ALL_SQLITE);
      for (const c of old) expect(await store.load(c.id)).toEqual(c);
      expect(await store.list(thread)).toEqual(old);
      expect(await store.latest(thread)).toEqual(old[2]);
      expect((await store.listSummaries(thread)).map((s) => s.id)).toEqual(old.map((c) => c.id));
      expect(await store.storage(thread)).toMatchObject({ checkpoints: 3, snapshots: 3, deltas: 0 });

      // Continued from the old head: new rows are deltas on top of the old snapshot.
      const added = await append(store, thread, (await store.latest(thread))!, 40, 3);
      const all = [...old, ...added];
      const s = await store.storage(thread);
      expect(s).toMatchObject({ checkpoints: 43 });
      expect(s.deltas).toBeGreaterThan(30);
      const second = await createSqliteStore({ url: `file:${file}` }); // no codec cache: everything from the file
      try {
        for (const c of all) expect(await second.load(c.id)).toEqual(c);
        expect(await second.list(thread)).toEqual(all);
        expect(await second.list(thread, { order: "desc", limit: 5, before: 30 })).toEqual(all.slice(24, 29).reverse());
      } finally {
        await second.close();
      }
      const raw = new Database(file, { readonly: true });
      try {
        const rows = raw.prepare(`SELECT "id", "state", "base_id", "depth", "ops" FROM "checkpoints" WHERE "id" LIKE 'old-%' ORDER BY "id"`).all();
        expect(rows).toEqual(old.map((c) => ({ id: c.id, state: j(c.state), base_id: null, depth: null, ops: null })));
        const first = raw.prepare(`SELECT "base_id", "depth" FROM "checkpoints" WHERE "id" = ?`).get(added[0].id);
        expect(first).toEqual({ base_id: "old-2", depth: 1 });
      } finally {
        raw.close();
      }

      // Retention over both layouts: deleting the old head folds the rows stored against it.
      await store.delete("old-2");
      const left = all.filter((c) => c.id !== "old-2").map((c) => (c.id === added[0].id ? { ...c, parentId: "old-1" } : c));
      expect(await store.list(thread)).toEqual(left);
      expect((await store.storage(thread)).snapshots).toBeGreaterThan(2); // old-0, old-1 and the rows folded
      expect(await store.prune(thread, 10)).toBe(32);
      const kept = await store.list(thread);
      expect(kept.map((c) => c.id)).toEqual(left.slice(-10).map((c) => c.id));
      for (const c of kept) expect(c.state).toEqual(left.find((x) => x.id === c.id)!.state);
    } finally {
      await store.close();
    }
  });

  it("a 1,500-step append thread stays small on disk, and latest/load/list of old checkpoints equal an oracle", async () => {
    const file = path.join(tmp, "long", "waypoint.db");
    const store = await createSqliteStore({ url: `file:${file}` });
    const n = 1500;
    const texts = Array.from({ length: n }, (_, i) => j(item(i)));
    // The oracle: checkpoint i's state is the first i + 1 items and count i, as JSON text.
    const expected = (i: number) => `{"log":[${texts.slice(0, i + 1).join(",")}],"count":${i}}`;
    try {
      const thread = "t-long";
      const root = await store.save(cp(thread, null, { state: { log: [item(0)], count: 0 } }));
      const cps = [root, ...(await append(store, thread, root, n - 1, 1))];
      // Sum of the full states' sizes (what a full-state layout would store), without building them all.
      let full = 0;
      let logLen = 1;
      for (let i = 0; i < n; i++) {
        logLen += texts[i].length + 1;
        full += `{"log":,"count":${i}}`.length + logLen;
      }
      expect(full).toBeGreaterThan(200_000_000);

      const s = await store.storage(thread);
      expect(s).toMatchObject({ checkpoints: n });
      expect(s.deltas).toBeGreaterThan(n * 0.95);
      expect(s.bytes).toBeLessThan(full * 0.05);
      expect(s.bytes).toBeLessThan(full * 0.02); // ~1 + log2(n / GRID) / 2 copies of each item, a few snapshots

      const fresh = await createSqliteStore({ url: `file:${file}` }); // nothing cached: chains read from the file
      try {
        expect(JSON.stringify((await fresh.latest(thread))!.state)).toBe(expected(n - 1));
        let seed = 12345;
        const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
        for (const i of [0, 1, 7, 8, 9, 63, 64, 65, 1023, 1024, n - 2, n - 1, ...Array.from({ length: 20 }, rand)]) {
          const c = await fresh.load(cps[i].id);
          expect(c.id).toBe(cps[i].id);
          expect(JSON.stringify(c.state), `checkpoint ${i}`).toBe(expected(i));
        }
        for (const before of [rand() + 1, rand() + 1, 700]) {
          const page = await fresh.list(thread, { order: "desc", before, limit: 12 });
          expect(page.map((c) => c.version)).toEqual(Array.from({ length: Math.min(12, before - 1) }, (_, k) => before - 1 - k));
          for (const c of page) expect(JSON.stringify(c.state)).toBe(expected(c.version - 1));
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await store.close();
    }
  }, 600_000);
});

describe("sqlite migration 20261202000000_ns_writes", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "waypoint-sqlite-ns-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("moves a LangGraph subgraph's namespace from metadata.langgraph.ns onto the column and re-points the head", async () => {
    mkdirSync(path.join(tmp, "old"));
    const file = path.join(tmp, "old", "waypoint.db");
    const db = new Database(file);
    migrateSqlite(
      db,
      loadMigrations("sqlite").filter((m) => m.name < "20261202000000_ns_writes"),
    );
    // As the saver wrote them before: root v1, subgraph v2 (the newest, so the old head), both in one thread.
    const t = "lg-old";
    const rows = [
      { id: "root-1", ns: "", version: 1, parent: null },
      { id: "sub-2", ns: "sub:abc", version: 2, parent: "root-1" },
    ];
    try {
      const insert = db.prepare(
        `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state", "next", "interrupts", "pending_writes", "metadata", "created_at", "summary", "depth")
         VALUES (?, ?, ?, ?, 0, 'n', '{}', '[]', '[]', '[]', ?, '2026-11-01T00:00:00.000Z', ?, 0)`,
      );
      for (const r of rows) {
        const metadata = { source: "loop", writes: [], langgraph: { ns: r.ns, v: 4, ts: "", channelVersions: {}, versionsSeen: {}, metadata: {} } };
        const summary = { interrupts: [], source: "loop", actor: null, reason: null, channels: [], durationMs: null, failedAttempts: [] };
        insert.run(r.id, t, r.parent, r.version, j(metadata), j(summary));
      }
      db.prepare(
        `INSERT INTO "threads" ("thread_id", "head_checkpoint_id", "head_version", "last_version", "checkpoint_count", "created_at", "updated_at")
         VALUES (?, 'sub-2', 2, 2, 2, '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z')`,
      ).run(t);
    } finally {
      db.close();
    }
    const store = await createSqliteStore({ url: `file:${file}` });
    try {
      expect(ledger(file).map((r) => r.name)).toEqual(ALL_SQLITE);
      expect((await store.load("sub-2")).namespace).toBe("sub:abc");
      expect(await store.load("root-1")).not.toHaveProperty("namespace");
      expect(await store.getThread(t)).toMatchObject({ headCheckpointId: "root-1", headVersion: 1, checkpointCount: 2 });
      expect((await store.latest(t))?.id).toBe("root-1");
      expect((await store.listSummaries(t, { namespace: "sub:abc" })).map((s) => [s.id, s.namespace])).toEqual([["sub-2", "sub:abc"]]);
    } finally {
      await store.close();
    }
  });
});
