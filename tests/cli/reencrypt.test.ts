/**
 * `npx waypoint reencrypt` on every store the CLI names (SQLite file, PostgreSQL, Redis, JSON files), as an
 * operator rotates a key: threads written with K1 (branches, interrupts, pending writes, subgraph task writes,
 * failed attempts, free-form metadata) and one written in clear before any key, then K2 made current with K1
 * old, then reencrypt. Afterwards the raw rows / hashes / files hold no value sealed with K1 and no marker in
 * clear, everything reads identically with ONLY K2 configured (metadata filters included), and a second run
 * says there is nothing to do. Without a current key, or with a key ring that opens nothing, it exits 2 with
 * one sentence and changes nothing.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import Redis from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKeyring, type Keyring } from "@/lib/checkpoint/crypto";
import { createStore } from "@/lib/checkpoint/factory";
import { newCheckpointId } from "@/lib/checkpoint/ids";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { threadDigest } from "@/lib/cli/archive";
import { storeConfigFromUrl } from "@/lib/cli/store-url";
import { seed } from "./seed";
import { freshStore, REDIS_URL, serversUp, type TestStoreUrl } from "./stores";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "bin/waypoint.mjs");
const MARKER = "reenc-marker-7f3a1b";
const newKey = () => randomBytes(32).toString("base64");
const idOf = (key: string) => createKeyring(key).current!.id;

function waypoint(keys: { current?: string; old?: string[] }, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "0" };
  delete env.WAYPOINT_ENCRYPTION_KEY;
  delete env.WAYPOINT_ENCRYPTION_KEYS_OLD;
  if (keys.current) env.WAYPOINT_ENCRYPTION_KEY = keys.current;
  if (keys.old) env.WAYPOINT_ENCRYPTION_KEYS_OLD = keys.old.join(",");
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 240_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Everything the store keeps, as raw text: rows, hashes or files. */
async function rawDump(s: TestStoreUrl): Promise<string> {
  switch (s.kind) {
    case "sqlite": {
      const db = new Database(s.url.slice(5), { readonly: true });
      try {
        return JSON.stringify([db.prepare(`SELECT * FROM "checkpoints"`).all(), db.prepare(`SELECT * FROM "threads"`).all()]);
      } finally {
        db.close();
      }
    }
    case "postgres": {
      const c = new pg.Client({ connectionString: s.url });
      await c.connect();
      try {
        return JSON.stringify([(await c.query(`SELECT * FROM "checkpoints"`)).rows, (await c.query(`SELECT * FROM "threads"`)).rows]);
      } finally {
        await c.end();
      }
    }
    case "redis": {
      const prefix = new URL(s.url).searchParams.get("prefix")!;
      const r = new Redis(REDIS_URL);
      try {
        const out: unknown[] = [];
        let cursor = "0";
        do {
          const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          for (const k of keys) {
            const type = await r.type(k);
            const v = type === "hash" ? Object.entries(await r.hgetall(k)).sort() : type === "zset" ? await r.zrange(k, 0, -1) : await r.get(k);
            out.push([k, v]);
          }
          cursor = next;
        } while (cursor !== "0");
        return JSON.stringify(out.sort());
      } finally {
        r.disconnect();
      }
    }
    case "file": {
      const dir = s.url.slice(4);
      return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((e) => e.isFile())
        .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"))
        .join("\n");
    }
  }
}

/** A thread carrying the marker in every sealed position: state, list items, writes, interrupt, pending write, failed attempt, metadata. */
async function markerThread(store: CheckpointStore, threadId: string): Promise<void> {
  const first = await store.save({
    id: newCheckpointId(),
    threadId,
    parentId: null,
    step: -1,
    nodeName: "__input__",
    state: { topic: MARKER, log: [`${MARKER} 0`] },
    next: ["work"],
    interrupts: [],
    pendingWrites: [],
    metadata: { source: "input", writes: [], runId: `run-${MARKER}`, note: { deep: MARKER } },
    timestamp: "2026-11-02T00:00:00.000Z",
  });
  const second = await store.save({
    id: newCheckpointId(),
    threadId,
    parentId: first.id,
    step: 0,
    nodeName: "work",
    state: { topic: MARKER, log: [`${MARKER} 0`, `${MARKER} 1`] },
    next: ["review"],
    interrupts: [{ id: newCheckpointId(), node: "review", kind: "dynamic", value: { question: MARKER } }],
    pendingWrites: [{ node: "side", channel: "log", value: `${MARKER} pending` }],
    metadata: {
      source: "loop",
      writes: [{ node: "work", channel: "log", value: `${MARKER} 1` }],
      failedAttempts: [
        { node: "work", attempt: 1, maxAttempts: 2, run: 1, message: `${MARKER} boom`, startedAt: "2026-11-02T00:00:01.000Z", durationMs: 5 },
      ],
      runId: `run-${MARKER}`,
    },
    timestamp: "2026-11-02T00:00:01.000Z",
  });
  await store.appendWrites(second.id, "task-1", [{ idx: 0, channel: "log", value: `${MARKER} task` }]);
}

describe.each(["sqlite", "postgres", "redis", "file"] as const)("waypoint reencrypt on %s", (kind) => {
  const k1 = newKey();
  const k2 = newKey();
  let s: TestStoreUrl;
  const open: CheckpointStore[] = [];
  const storeWith = async (keyring: Keyring | null) => {
    const store = await createStore({ ...storeConfigFromUrl(s.url), keyring });
    await store.setup();
    open.push(store);
    return store;
  };
  const threads = ["m-00000", "m-00004", "m-00007", "m-00010", "m-00011", "marked", "clear"];

  beforeAll(async () => {
    await serversUp();
    s = await freshStore(kind);
    const clear = await storeWith(null);
    await markerThread(clear, "clear"); // written before any key was set
    const withK1 = await storeWith(createKeyring(k1));
    await seed(withK1, 12);
    await markerThread(withK1, "marked");
  }, 120_000);
  afterAll(async () => {
    for (const st of open) await st.close().catch(() => {});
    await s?.drop().catch(() => {});
  });

  it("moves every value to the current key in place; only that key is needed afterwards; a second run has nothing to do", async () => {
    const rotated = await storeWith(createKeyring(k2, [k1]));
    const before = new Map<string, string>();
    for (const t of threads) before.set(t, (await threadDigest(rotated, t)).digest);
    const marked = (await rotated.list("marked")).map((c) => c.id);
    // A metadata filter matches values sealed with the current key only (README): none before re-encryption.
    expect(await rotated.list("marked", { metadata: { runId: `run-${MARKER}` } })).toEqual([]);
    const raw0 = await rawDump(s);
    expect(raw0.includes(`wpenc:1:${idOf(k1)}:`)).toBe(true);
    expect(raw0.includes(MARKER), "the thread written in clear").toBe(true);

    const dry = waypoint({ current: k2, old: [k1] }, "reencrypt", "--store", s.url, "--dry-run");
    expect(dry.err).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/values would be re-encrypted from old keys/);
    expect((await rawDump(s)) === raw0, "the dry run changed nothing").toBe(true);

    const run = waypoint({ current: k2, old: [k1] }, "reencrypt", "--store", s.url);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Checked 14 threads/);
    expect(run.out).toMatch(/[1-9]\d* values re-encrypted from old keys, [1-9]\d* values encrypted \(were in clear\), 0 already current/);

    const raw = await rawDump(s);
    expect(raw.includes(`wpenc:1:${idOf(k1)}:`), "a value still sealed with K1").toBe(false);
    expect(raw.includes(`wpenc:1:${idOf(k2)}:`)).toBe(true);
    expect(raw.includes(MARKER), "the marker in clear").toBe(false);

    // Only K2 configured: every thread reads as before, the metadata filter still matches, summaries list.
    const onlyK2 = await storeWith(createKeyring(k2));
    for (const t of threads) expect((await threadDigest(onlyK2, t)).digest, t).toBe(before.get(t));
    expect((await onlyK2.list("marked", { metadata: { runId: `run-${MARKER}` } })).map((c) => c.id)).toEqual(marked);
    const head = (await onlyK2.latest("marked"))!;
    expect(head.state).toEqual({ topic: MARKER, log: [`${MARKER} 0`, `${MARKER} 1`] });
    expect(head.pendingWrites.map((w) => w.value)).toEqual([`${MARKER} pending`, `${MARKER} task`]);
    expect(head.interrupts[0].value).toEqual({ question: MARKER });
    expect(head.metadata.failedAttempts![0].message).toBe(`${MARKER} boom`);
    expect((await onlyK2.listSummaries("marked")).length).toBe(2);

    const again = waypoint({ current: k2 }, "reencrypt", "--store", s.url, "--json");
    expect(again.code).toBe(0);
    const report = JSON.parse(again.out);
    expect(report).toMatchObject({ threads: 14, resealed: 0, encrypted: 0, rewritten: 0, busy: [] });
    expect(report.current).toBeGreaterThan(0);
    expect((await rawDump(s)) === raw, "the second run changed nothing").toBe(true);

    // A key ring that opens nothing: one sentence, exit 2, nothing changed.
    const wrong = waypoint({ current: newKey() }, "reencrypt", "--store", s.url);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/^waypoint: Thread .*encrypted with key .*WAYPOINT_ENCRYPTION_KEYS_OLD/);
    expect((await rawDump(s)) === raw, "the refused run changed nothing").toBe(true);
  }, 240_000);

  // Checked before any store is opened, so once (declared only on SQLite rather than skipped on the others).
  if (kind === "sqlite")
    it("refuses to run without a current key", () => {
      const r = waypoint({ old: [k1] }, "reencrypt", "--store", s.url);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^waypoint: reencrypt needs the key to encrypt with: set WAYPOINT_ENCRYPTION_KEY/);
    });
});
