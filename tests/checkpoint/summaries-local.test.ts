/**
 * listSummaries never reads states (memory, file, SQLite), and the fallbacks for data saved before summaries
 * existed: old file index lines, SQLite rows filled by migration 20261121010000_summary or left null by an
 * older process. Proof of "never reads": the stored full checkpoint is made unreadable, `list` then fails or
 * skips it, and listSummaries still returns the exact summary.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createFileStore } from "../../lib/checkpoint/file";
import { createMemoryStore } from "../../lib/checkpoint/memory";
import { loadMigrations, migrateSqlite } from "../../lib/checkpoint/migrate";
import { createSqliteStore } from "../../lib/checkpoint/sqlite";
import { toSummary } from "../../lib/checkpoint/summary";
import type { Checkpoint, CheckpointStore, NewCheckpoint } from "../../lib/checkpoint/types";
import { chain, cp, roundTrip } from "../conformance/suite-helpers";

const tmp = mkdtempSync(path.join(os.tmpdir(), "waypoint-summaries-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A thread with interrupts, actors, repeated and odd writes: everything a summary derives. */
async function richThread(store: CheckpointStore, t: string): Promise<Checkpoint[]> {
  const a = await store.save(cp(t, null, { metadata: { source: "input", writes: [{ node: "__input__", channel: "topic", value: "x" }] } }));
  const b = await store.save(
    cp(t, a, {
      state: { big: "s".repeat(50_000) },
      interrupts: [{ id: "i1", node: "review", kind: "dynamic", value: { ask: "ok?" } }],
      metadata: {
        source: "loop",
        actor: 7 as never,
        writes: [
          { node: "a", channel: "x", value: 1 },
          { node: "b", channel: "y", value: 2 },
          { node: "a", channel: "x", value: 3 },
          { node: "c", value: 4 } as never,
          { node: "d", channel: "z", value: null },
        ],
      },
    }),
  );
  const c = await store.save(cp(t, a, { nodeName: "__update__", metadata: { source: "update", actor: "ann", reason: "edit", writes: [] } }));
  return [a, b, c];
}

describe("listSummaries reads no state", () => {
  it("memory: summaries come from the precomputed entry, not the stored checkpoint", async () => {
    const store = await createMemoryStore();
    const cps = await richThread(store, "t");
    const expected = cps.map(toSummary);
    for (const c of cps) store.backing.checkpoints.get(c.id)!.entry.head = "{ not json";
    await expect(store.list("t")).rejects.toThrow();
    expect(await store.listSummaries("t")).toEqual(expected);
  });

  it("file: summaries come from the index; checkpoint files are not opened", async () => {
    const store = await createFileStore({ dir: path.join(tmp, "file-noread") });
    const cps = await richThread(store, "t");
    const expected = cps.map(toSummary);
    for (const c of cps) await unlink(path.join(store.dir, "checkpoints", `${c.id}.json`));
    expect(await store.list("t")).toEqual([]); // list skips missing files
    expect(await store.listSummaries("t")).toEqual(expected);
    expect(await store.listSummaries("t", { order: "desc", limit: 2 })).toEqual([expected[2], expected[1]]);
  });

  it("file: index lines written before summaries fall back to the checkpoint files, paged like list", async () => {
    const dir = path.join(tmp, "file-old");
    const store = await createFileStore({ dir });
    const cps = [...(await richThread(store, "t")), ...(await chain(store, "t", 3))];
    await store.delete(cps[1].id); // a re-link, rewritten index
    const index = path.join(store.dir, "threads", "t", "index.jsonl");
    // Strip the summary fields from every other line, as an older version wrote them.
    const lines = readFileSync(index, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l, i) => {
        const e = JSON.parse(l);
        if (i % 2 === 0) {
          delete e.next;
          delete e.summary;
        }
        return JSON.stringify(e);
      });
    writeFileSync(index, lines.join("\n") + "\n");
    const fresh = await createFileStore({ dir }); // a new process: no cached index
    const all = await fresh.list("t");
    expect(all.length).toBe(5);
    expect(await fresh.listSummaries("t")).toEqual(all.map(toSummary));
    for (const o of [{ order: "desc" as const }, { limit: 2 }, { order: "desc" as const, limit: 3, before: 6 }, { after: 2 }]) {
      expect(await fresh.listSummaries("t", o)).toEqual((await fresh.list("t", o)).map(toSummary));
    }
  });

  it("sqlite: summaries come from the summary column through a covering index; state is never read", async () => {
    const file = path.join(tmp, "sqlite-noread", "w.db");
    const store = await createSqliteStore({ url: `file:${file}` });
    try {
      const cps = await richThread(store, "t");
      const expected = cps.map(toSummary);
      const db = new Database(file);
      try {
        const plan = db
          .prepare(
            `EXPLAIN QUERY PLAN SELECT "id", "thread_id", "parent_id", "version", "step", "node_name", "next", "created_at", "summary"
          FROM "checkpoints" WHERE "thread_id" = ? AND "version" > ? AND "version" < ? ORDER BY "version" ASC LIMIT ?`,
          )
          .all("t", 0, 9, -1) as { detail: string }[];
        expect(plan.map((p) => p.detail).join(" ")).toMatch(/COVERING INDEX checkpoints_summary_idx/);
        db.prepare(`UPDATE "checkpoints" SET "state" = '{ not json', "metadata" = '{ not json', "interrupts" = '[ nope'`).run();
      } finally {
        db.close();
      }
      await expect(store.list("t")).rejects.toThrow();
      expect(await store.listSummaries("t")).toEqual(expected);
    } finally {
      await store.close();
    }
  });
});

/** Inserts a checkpoint the way the store did before migration 20261121010000_summary (no summary column). */
function oldInsert(db: Database.Database, c: NewCheckpoint, version: number) {
  const j = JSON.stringify;
  db.prepare(
    `INSERT INTO "checkpoints" ("id", "thread_id", "parent_id", "version", "step", "node_name", "state", "next", "interrupts", "pending_writes", "metadata", "created_at")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    c.id,
    c.threadId,
    c.parentId,
    version,
    c.step,
    c.nodeName,
    j(c.state),
    j(c.next),
    j(c.interrupts),
    j(c.pendingWrites),
    j(c.metadata),
    c.timestamp,
  );
}

describe("sqlite: checkpoints saved before summaries", () => {
  it("migration 20261121010000_summary fills the column for existing rows exactly as save would", async () => {
    const file = path.join(tmp, "sqlite-old.db");
    const olds: NewCheckpoint[] = [];
    const scratch = await createMemoryStore();
    const rich = await richThread(scratch, "t"); // the same shapes, inserted by hand without a summary
    const db = new Database(file);
    try {
      // The database as the previous release left it: only the first migration applied.
      migrateSqlite(
        db,
        loadMigrations("sqlite").filter((m) => m.name === "20261121000000_init"),
      );
      rich.forEach((c, i) => {
        const { version: _v, ...rest } = c;
        olds.push(rest);
        oldInsert(db, rest, i + 1);
      });
    } finally {
      db.close();
    }
    const store = await createSqliteStore({ url: `file:${file}` }); // applies the summary migration
    try {
      const check = new Database(file, { readonly: true });
      const nulls = check.prepare(`SELECT COUNT(*) AS n FROM "checkpoints" WHERE "summary" IS NULL`).get() as { n: number };
      check.close();
      expect(nulls.n).toBe(0);
      const expected = olds.map((c, i) => toSummary({ ...roundTrip(c), version: i + 1 } as Checkpoint));
      expect(await store.listSummaries("t")).toEqual(expected);
      // A row an older process writes after the migration (summary null) is computed at read time.
      const late = cp("t", olds[2].id, {
        metadata: {
          source: "loop",
          actor: "zed",
          writes: [
            { node: "n", channel: "q", value: 1 },
            { node: "n", channel: "q", value: 2 },
          ],
        },
      });
      const w = new Database(file);
      oldInsert(w, late, 4);
      w.close();
      const all = await store.listSummaries("t");
      expect(all[3]).toEqual(toSummary({ ...roundTrip(late), version: 4 } as Checkpoint));
      expect(all[3].channels).toEqual(["q"]);
      expect(await store.listSummaries("t", { order: "desc", limit: 2 })).toEqual([all[3], all[2]]);
      expect(all).toEqual((await store.list("t")).map(toSummary));
    } finally {
      await store.close();
    }
  });
});
