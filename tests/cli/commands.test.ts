/**
 * `npx waypoint …` as an operator runs it: real processes (bin/waypoint.mjs) against real stores. Export then
 * import elsewhere, idempotently; verify finds a stranded run and a damaged checkpoint and --repair fixes what
 * is safe; prune previews then removes; stats adds up; a migration killed with SIGKILL half-way finishes when
 * run again, and says it verified; bad input is one sentence and exit code 2, with nothing changed.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import type { PrismaClient } from "@/lib/generated/sqlite/client";
import { threadDigest } from "@/lib/cli/archive";
import { openStore } from "@/lib/cli/store-url";
import { seed, type Seeded } from "./seed";
import { freshStore, serversUp, type TestStoreUrl } from "./stores";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "bin/waypoint.mjs");

/** The accounts database of a SQLite or PostgreSQL store (both generated clients have the same models). */
const prismaOf = (s: CheckpointStore) => (s as unknown as { getPrisma(): Promise<PrismaClient> }).getPrisma();

function waypoint(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 240_000, env: { ...process.env, FORCE_COLOR: "0" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("the waypoint command line", () => {
  const made: TestStoreUrl[] = [];
  const open: CheckpointStore[] = [];
  let tmp: string;
  let src: TestStoreUrl;
  let source: CheckpointStore;
  let seeded: Seeded;

  const fresh = async (kind: TestStoreUrl["kind"]) => {
    const s = await freshStore(kind);
    made.push(s);
    return s;
  };
  const opened = async (s: TestStoreUrl) => {
    const store = await openStore(s.url);
    open.push(store);
    return store;
  };

  beforeAll(async () => {
    await serversUp();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wp-cli-"));
    src = await fresh("sqlite");
    source = await opened(src);
    seeded = await seed(source, 300);
  }, 120_000);
  afterAll(async () => {
    for (const s of open) await s.close().catch(() => {});
    for (const m of made) await m.drop().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("export → import into the JSON-files store keeps every checkpoint; importing again changes nothing", async () => {
    const file = path.join(tmp, "all.jsonl");
    const exp = waypoint("export", "--store", src.url, "--out", file);
    expect(exp.err).toBe("");
    expect(exp.code).toBe(0);
    expect(exp.out).toMatch(new RegExp(`Exported 300 threads, ${seeded.checkpoints} checkpoints`));
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    // Format 2: a SQLite store has its accounts database, so the (here empty) audit trail is part of the export.
    expect(JSON.parse(lines[0])).toMatchObject({ type: "header", format: "waypoint-export", version: 2, store: "sqlite" });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ type: "end", threads: 300, checkpoints: seeded.checkpoints, audit: 0 });

    const dst = await fresh("file");
    const first = waypoint("import", "--file", file, "--store", dst.url);
    expect(first.code).toBe(0);
    expect(first.out).toContain(`${seeded.checkpoints} written, 0 already there`);
    const target = await opened(dst);
    for (const t of ["m-00000", "m-00053", "m-00070", "m-00299"])
      expect((await threadDigest(target, t)).digest, t).toBe((await threadDigest(source, t)).digest);
    const before = await target.getThread("m-00070");

    const again = waypoint("import", "--file", file, "--store", dst.url);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`0 written, ${seeded.checkpoints} already there`);
    expect(await target.getThread("m-00070")).toEqual(before);

    // A selection: one graph's interrupted threads, to standard output.
    const some = waypoint("export", "--store", src.url, "--graph", "pipeline", "--status", "interrupted");
    const threads = some.out
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === "thread");
    expect(threads.length).toBeGreaterThan(5);
    expect(threads.every((l) => l.thread.graphId === "pipeline" && l.thread.status === "interrupted")).toBe(true);
  }, 300_000);

  it("export carries the audit entries (all, or the selected threads'); import restores them once, also via --accounts", async () => {
    // Entries as the server writes them (lib/server/auth/audit.ts), straight into the source's accounts tables.
    const prisma = await prismaOf(source);
    const entries = [
      {
        id: "0192aaaa-0000-7000-8000-000000000001",
        threadId: "m-00001",
        action: "decide",
        detail: JSON.stringify({ resume: { action: "approve" } }),
      },
      { id: "0192aaaa-0000-7000-8000-000000000002", threadId: "m-00002", action: "edit_state", detail: null },
      { id: "0192aaaa-0000-7000-8000-000000000003", threadId: null, action: "token_create", detail: JSON.stringify({ name: "ci" }) },
    ];
    for (const e of entries)
      await prisma.auditEntry.create({
        data: { ...e, at: new Date("2026-11-30T10:00:00.000Z"), actorId: "user:u1", actorName: "Ann", actorKind: "user", reason: "because" },
      });
    const all = path.join(tmp, "with-audit.jsonl");
    const exp = waypoint("export", "--store", src.url, "--out", all);
    expect(exp.code, exp.err).toBe(0);
    expect(exp.out).toMatch(/, 3 audit entries to /);
    const lines = fs
      .readFileSync(all, "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === "audit").map((l) => l.entry.id)).toEqual(entries.map((e) => e.id));
    expect(lines.find((l) => l.type === "audit").entry).toMatchObject({ actorName: "Ann", at: "2026-11-30T10:00:00.000Z", reason: "because" });
    expect(lines.at(-1)).toMatchObject({ type: "end", audit: 3 });
    // One thread: only its entries.
    const one = waypoint("export", "--store", src.url, "--thread", "m-00001");
    expect(
      one.out
        .split("\n")
        .filter((l) => l.includes('"type":"audit"'))
        .map((l) => JSON.parse(l).entry.id),
    ).toEqual([entries[0].id]);
    // --no-audit leaves them out (format 1).
    expect(waypoint("export", "--store", src.url, "--thread", "m-00001", "--no-audit").out).not.toContain('"type":"audit"');

    // Into PostgreSQL (its own accounts database): written once, then already there.
    const pgStore = await fresh("postgres");
    const first = waypoint("import", "--file", all, "--store", pgStore.url);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain("Audit: 3 entries, 3 written, 0 already there.");
    const again = waypoint("import", "--file", all, "--store", pgStore.url);
    expect(again.out).toContain("Audit: 3 entries, 0 written, 3 already there.");
    const pg = await opened(pgStore);
    const copied = await (await prismaOf(pg)).auditEntry.findMany({ orderBy: { id: "asc" } });
    expect(copied.map((r) => [r.id, r.threadId, r.detail, new Date(r.at).toISOString()])).toEqual(
      entries.map((e) => [e.id, e.threadId, e.detail, "2026-11-30T10:00:00.000Z"]),
    );

    // Into the JSON-files store: without --accounts the entries are reported as not imported; with it, written once.
    const filesStore = await fresh("file");
    const none = waypoint("import", "--file", all, "--store", filesStore.url);
    expect(none.code).toBe(0);
    expect(none.out).toContain("3 audit entries NOT imported");
    const accounts = `file:${path.join(tmp, "accounts", "waypoint.db")}`;
    expect(waypoint("import", "--file", all, "--store", filesStore.url, "--accounts", accounts).out).toContain("3 written, 0 already there");
    expect(waypoint("import", "--file", all, "--store", filesStore.url, "--accounts", accounts).out).toContain("0 written, 3 already there");
    const db = new Database(path.join(tmp, "accounts", "waypoint.db"), { readonly: true });
    try {
      expect(db.prepare(`SELECT count(*) AS n FROM "audit_entries"`).get()).toEqual({ n: 3 });
    } finally {
      db.close();
    }
    // A bad --accounts URL is one sentence, exit 2.
    const bad = waypoint("import", "--file", all, "--store", filesStore.url, "--accounts", "redis://x");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--accounts must be/);
  }, 300_000);

  it("verify: a clean store passes; a stranded run and a damaged checkpoint are found (exit 1); --repair fixes the run", async () => {
    const s = await fresh("sqlite");
    const store = await opened(s);
    await seed(store, 12, "v");
    expect(waypoint("verify", "--store", s.url)).toMatchObject({ code: 0 });
    await store.updateThread("v-00001", { status: "running" });
    const cp = (await store.list("v-00002"))[0];
    await store.close();
    const db = new Database(s.url.slice(5));
    // Garbage where its state is (the thread's first checkpoint is stored whole), as a disk or a hand edit would leave.
    const hit = db.prepare(`UPDATE "checkpoints" SET "state" = '{not json' WHERE "id" = ? AND "ops" IS NULL`).run(cp.id);
    db.close();
    expect(hit.changes).toBe(1);

    const found = waypoint("verify", "--store", s.url);
    expect(found.code).toBe(1);
    expect(found.out).toMatch(/PROBLEM STRANDED_RUN thread v-00001/);
    expect(found.out).toMatch(new RegExp(`PROBLEM STATE_UNREADABLE thread v-00002 checkpoint ${cp.id}`));
    expect(found.out).toMatch(/2 problems \(--repair fixes those marked repairable\)/);

    const fixed = waypoint("verify", "--store", s.url, "--repair", "--json");
    const report = JSON.parse(fixed.out);
    expect(report.problems.find((p: { code: string }) => p.code === "STRANDED_RUN")).toMatchObject({ repaired: true });
    expect(fixed.code).toBe(1); // the damaged checkpoint is not repairable
    const reopened = await opened(s);
    expect((await reopened.getThread("v-00001")).status).toBe("error");
  }, 120_000);

  it("prune previews with --dry-run, then removes exactly that; stats adds up", async () => {
    const s = await fresh("sqlite");
    const store = await opened(s);
    const seededHere = await seed(store, 40, "p");
    const stats = JSON.parse(waypoint("stats", "--store", s.url, "--json").out);
    expect(stats).toMatchObject({ store: "sqlite", threads: 40, checkpoints: seededHere.checkpoints });
    expect(stats.graphs.map((g: { graphId: string }) => g.graphId).sort()).toEqual(["approval", "pipeline"]);
    expect(stats.bytes).toBeGreaterThan(0);

    const plan = JSON.parse(waypoint("prune", "--store", s.url, "--older-than", "0s", "--status", "done,error", "--dry-run", "--json").out);
    expect(plan.threadsDeleted).toBeGreaterThan(10);
    expect((await store.listThreads({ limit: 500 })).threads).toHaveLength(40);
    const done = waypoint("prune", "--store", s.url, "--older-than", "0s", "--status", "done,error");
    expect(done.code).toBe(0);
    expect(done.out).toContain(`Removed ${plan.threadsDeleted} threads and ${plan.checkpointsDeleted} checkpoints`);
    const left = (await store.listThreads({ limit: 500 })).threads;
    expect(left).toHaveLength(40 - plan.threadsDeleted);
    expect(left.some((t) => t.status === "done" || t.status === "error")).toBe(false);
    expect(left.filter((t) => t.status === "interrupted")).toHaveLength(6); // p-00000, 07, 14, 21, 28, 35
  }, 120_000);

  it("a migration killed with SIGKILL half-way finishes when run again, and verifies", async () => {
    const dst = await fresh("postgres");
    const child = spawn(process.execPath, [BIN, "migrate", "--from", src.url, "--to", dst.url], { cwd: ROOT, stdio: "ignore" });
    const target = await opened(dst);
    // Kill it once it has copied some threads (the target's schema exists only after it connected).
    for (const end = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 100))) {
      const n = await target
        .listThreads({ limit: 500 })
        .then((p) => p.threads.length)
        .catch(() => 0);
      if (n >= 20) break;
      if (Date.now() > end || child.exitCode !== null) throw new Error(`the migration ended or stalled before it could be killed (${n} threads)`);
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const partial = (await target.listThreads({ limit: 500 })).threads.length;
    expect(partial).toBeLessThan(300);

    const again = waypoint("migrate", "--from", src.url, "--to", dst.url, "--json");
    expect(again.code).toBe(0);
    const report = JSON.parse(again.out);
    expect(report).toMatchObject({ threads: 300, checkpoints: seeded.checkpoints, verified: true, mismatched: [] });
    expect(report.skipped).toBeGreaterThanOrEqual(partial - 1); // the thread being copied at the kill is finished, not skipped
    expect(report.written).toBeLessThan(seeded.checkpoints);
    expect((await target.listThreads({ limit: 500 })).threads).toHaveLength(300);
  }, 300_000);

  it("bad input: an unknown store, a file that is not an export, a bad duration — one sentence, exit 2, nothing written", async () => {
    const bad = waypoint("stats", "--store", "mysql://x");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^waypoint: A store is file:<sqlite file>, postgres:/);
    const junk = path.join(tmp, "junk.jsonl");
    fs.writeFileSync(junk, '{"hello":"world"}\n');
    const dst = await fresh("sqlite");
    const imp = waypoint("import", "--file", junk, "--store", dst.url);
    expect(imp.code).toBe(2);
    expect(imp.err).toMatch(/line 1: not a Waypoint export/);
    expect((await (await opened(dst)).listThreads({})).threads).toEqual([]);
    const dur = waypoint("prune", "--store", dst.url, "--older-than", "soon");
    expect(dur.code).not.toBe(0);
    expect(dur.err).toMatch(/not a duration/);
  }, 120_000);
});
