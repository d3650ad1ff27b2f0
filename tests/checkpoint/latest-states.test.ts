/**
 * `latest` keeps the parsed state of a thread's head when it is large (LatestStates in lib/checkpoint/delta.ts,
 * used by SQLite and PostgreSQL): the kept state is only used while its checkpoint is still the head, whoever
 * wrote since (another instance stands for another process: each has its own kept states), and callers get
 * private copies. Real SQLite file and PostgreSQL (skipped locally without it, a failure under CI).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { copyJson } from "../../lib/checkpoint/delta";
import { createPostgresStore } from "../../lib/checkpoint/postgres";
import { createSqliteStore } from "../../lib/checkpoint/sqlite";
import type { Checkpoint, CheckpointStore } from "../../lib/checkpoint/types";
import { cp } from "../conformance/suite-helpers";

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const urlFor = (db: string) => Object.assign(new URL(adminUrl), { pathname: `/${db}` }).toString();

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const pgDown = await admin((c) => c.query("SELECT 1")).then(
  () => null,
  (e: unknown) => (e as Error).message,
);

/** A 1 KB item per step: 40 steps make a state well above the size from which it is kept. */
const item = (i: number) => ({ i, text: `${i}:`.padEnd(1000, "x") });

/** Saves `n` steps on `parent` through `store`, each appending an item (a delta after the first). */
async function grow(store: CheckpointStore, t: string, n: number, parent: Checkpoint | null = null): Promise<Checkpoint> {
  let items = parent ? [...(parent.state.items as unknown[])] : [];
  for (let k = 0; k < n; k++) {
    items = [...items, item(items.length)];
    parent = await store.save(
      cp(t, parent, {
        state: { items, count: items.length },
        metadata: { source: "loop", writes: [{ node: "work", channel: "items", value: [items.at(-1)] }] },
      }),
    );
  }
  return parent!;
}

const count = (c: Checkpoint | null) => (c?.state.items as unknown[] | undefined)?.length;

async function checkKeptStates(open: () => Promise<CheckpointStore>) {
  const a = await open();
  const b = await open(); // another process's view: its own kept states
  try {
    const t = `latest-${randomBytes(4).toString("hex")}`;
    const head = await grow(a, t, 40);
    const first = await a.latest(t);
    expect(first?.id).toBe(head.id);
    expect(count(first)).toBe(40);
    // A caller's changes never reach the kept state, at any depth.
    (first!.state.items as { text: string }[]).push(item(99));
    (first!.state.items as { text: string }[])[0].text = "changed";
    first!.state.count = -1;
    const again = await a.latest(t);
    expect(again).toEqual({ ...head, state: JSON.parse(JSON.stringify(again!.state)) });
    expect(count(again)).toBe(40);
    expect((again!.state.items as { text: string }[])[0].text).toBe(item(0).text);
    expect(again!.state.count).toBe(40);
    // Another writer moves the head: the kept state is not used.
    expect(count(await b.latest(t))).toBe(40);
    const moved = await grow(b, t, 3, await b.latest(t));
    const seen = await a.latest(t);
    expect(seen?.id).toBe(moved.id);
    expect(count(seen)).toBe(43);
    // Pending writes of the head are read every time (only the state is kept).
    await b.putWrites(moved.id, [{ node: "work", channel: "items", value: [1] }]);
    expect((await a.latest(t))?.pendingWrites).toEqual([{ node: "work", channel: "items", value: [1] }]);
    // The head deleted elsewhere: the previous checkpoint is the head again, rebuilt from its rows.
    await b.delete(moved.id);
    const back = await a.latest(t);
    expect(count(back)).toBe(42);
    expect(back?.pendingWrites).toEqual([]);
    // A save on top of a kept head is still a delta (the codec still knows it), and reads back right.
    const next = await grow(a, t, 1, back);
    expect(count(await b.latest(t))).toBe(43);
    expect((await b.load(next.id)).state).toEqual((await a.latest(t))!.state);
    const report = await a.storage!(t);
    expect(report.deltas).toBeGreaterThan(report.snapshots);
    // The thread cleared and written again under the same id: a new head, nothing kept applies.
    await b.clear(t);
    expect(await a.latest(t)).toBeNull();
    await grow(b, t, 2);
    expect(count(await a.latest(t))).toBe(2);
  } finally {
    await a.close();
    await b.close();
  }
}

describe("latest keeps a large head state only while it is the head", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wp-latest-states-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("sqlite", async () => {
    const url = `file:${path.join(dir, "w.db")}`;
    await checkKeptStates(() => createSqliteStore({ url }));
  }, 60_000);

  describe.skipIf(pgDown !== null && !process.env.CI)("postgres", () => {
    const db = `waypoint_test_${randomBytes(6).toString("hex")}`;
    afterAll(async () => {
      if (!pgDown) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
    });
    it("postgres", async () => {
      if (pgDown) throw new Error(`PostgreSQL (${adminUrl}) is required under CI: ${pgDown}`);
      await admin((c) => c.query(`CREATE DATABASE "${db}"`));
      await checkKeptStates(() => createPostgresStore({ url: urlFor(db) }));
    }, 60_000);
  });
});

describe("copyJson", () => {
  it("copies containers at every depth, shares primitives, keeps a __proto__ key as data", () => {
    const v = JSON.parse('{"a":[1,"x",{"b":[null,true]}],"__proto__":{"c":2},"d":"s"}') as Record<string, unknown>;
    const c = copyJson(v) as Record<string, unknown>;
    expect(JSON.stringify(c)).toBe(JSON.stringify(v));
    expect(c.a).not.toBe(v.a);
    expect((c.a as unknown[])[2]).not.toBe((v.a as unknown[])[2]);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(["a", "__proto__", "d"]);
  });
});
