/**
 * `npx waypoint reencrypt` killed mid-run (issue 14), on SQLite, PostgreSQL and Redis: a store written with K1 (enough
 * threads that the command runs for seconds), `reencrypt` started as a real child process with K2 current and K1
 * in WAYPOINT_ENCRYPTION_KEYS_OLD, SIGKILLed once some checkpoints are under K2 and others still under K1, then run
 * again to completion. Afterwards every checkpoint reads with K2 alone, identical to before (each checkpoint's
 * digest and state), no raw row holds a K1-sealed value, the second run reported no thread busy (the killed run's
 * lock on its last thread lapsed and was waited out), and `verify` finds no problem.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import Database from "better-sqlite3";
import Redis from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createKeyring, type Keyring } from "@/lib/checkpoint/crypto";
import { createStore } from "@/lib/checkpoint/factory";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { checkpointDigest, threadCheckpoints } from "@/lib/cli/archive";
import { storeConfigFromUrl } from "@/lib/cli/store-url";
import { seed } from "./seed";
import { freshStore, REDIS_URL, serversUp, type TestStoreUrl } from "./stores";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "bin/waypoint.mjs");
const newKey = () => randomBytes(32).toString("base64");
const sealedWith = (key: string) => `wpenc:1:${createKeyring(key).current!.id}:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function env(keys: { current: string; old?: string[] }): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: "0", WAYPOINT_ENCRYPTION_KEY: keys.current };
  delete e.WAYPOINT_ENCRYPTION_KEYS_OLD;
  if (keys.old) e.WAYPOINT_ENCRYPTION_KEYS_OLD = keys.old.join(",");
  return e;
}

/** How many checkpoint rows hold a value containing `needle` (a key's seal prefix), read raw. */
async function rowsWith(s: TestStoreUrl, needle: string): Promise<number> {
  if (s.kind === "sqlite") {
    const db = new Database(s.url.slice(5), { readonly: true, timeout: 10_000 });
    try {
      const sql = `SELECT count(*) AS n FROM "checkpoints" WHERE instr(coalesce("state", '') || coalesce("ops", '') || "metadata" || "interrupts" || "pending_writes", ?) > 0`;
      return (db.prepare(sql).get(needle) as { n: number }).n;
    } finally {
      db.close();
    }
  }
  if (s.kind === "redis") {
    const prefix = new URL(s.url).searchParams.get("prefix")!;
    const r = new Redis(REDIS_URL);
    try {
      let n = 0;
      let cursor = "0";
      do {
        const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}checkpoint:*`, "COUNT", 1000);
        const hashes = await Promise.all(keys.map((k) => r.hvals(k)));
        n += hashes.filter((values) => values.some((v) => v.includes(needle))).length;
        cursor = next;
      } while (cursor !== "0");
      return n;
    } finally {
      r.disconnect();
    }
  }
  const c = new pg.Client({ connectionString: s.url });
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM "checkpoints" c WHERE strpos(c::text, $1) > 0`, [needle])).rows[0].n);
  } finally {
    await c.end();
  }
}

/** Every checkpoint of every thread: its digest (all its fields) and its state's JSON, by id. */
async function snapshot(store: CheckpointStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const page = await store.listThreads({ limit: 200, cursor });
    for (const t of page.threads)
      for await (const c of threadCheckpoints(store, t.threadId))
        out.set(c.id, `${checkpointDigest(c)} ${createHash("sha256").update(JSON.stringify(c.state)).digest("hex")}`);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const SIZES = { sqlite: 1500, postgres: 600, redis: 600 } as const;

describe.each(["sqlite", "postgres", "redis"] as const)("waypoint reencrypt killed mid-run on %s", (kind) => {
  const k1 = newKey();
  const k2 = newKey();
  let s: TestStoreUrl;
  const open: CheckpointStore[] = [];
  const storeWith = async (keyring: Keyring) => {
    const store = await createStore({ ...storeConfigFromUrl(s.url), keyring });
    await store.setup();
    open.push(store);
    return store;
  };
  afterAll(async () => {
    for (const st of open) await st.close().catch(() => {});
    await s?.drop().catch(() => {});
  });

  it("a second run after SIGKILL finishes the job: same states, all under the new key, verify passes", async () => {
    await serversUp();
    s = await freshStore(kind);
    const seeded = await seed(await storeWith(createKeyring(k1)), SIZES[kind]);
    const before = await snapshot(await storeWith(createKeyring(k2, [k1])));
    expect(before.size).toBe(seeded.checkpoints);
    const total = await rowsWith(s, sealedWith(k1));
    expect(total).toBe(seeded.checkpoints);

    // Killed once some checkpoints are under K2 (the rows are polled raw while it runs).
    const proc = spawn(process.execPath, [BIN, "reencrypt", "--store", s.url, "--json"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: env({ current: k2, old: [k1] }),
    });
    let out = "";
    proc.stdout.on("data", (d) => (out += d));
    proc.stderr.on("data", (d) => (out += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => proc.once("exit", (code, signal) => resolve(signal ?? code)));
    const end = Date.now() + 120_000;
    while ((await rowsWith(s, sealedWith(k2))) < Math.min(50, total / 20)) {
      if (proc.exitCode !== null) throw new Error(`reencrypt ended before it could be killed (${proc.exitCode}): ${out}`);
      if (Date.now() > end) throw new Error(`reencrypt rewrote nothing in 120 s: ${out}`);
      await sleep(20);
    }
    proc.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const doneAtKill = await rowsWith(s, sealedWith(k2));
    const leftAtKill = await rowsWith(s, sealedWith(k1));
    expect(leftAtKill, "it was killed mid-run, with checkpoints still under K1").toBeGreaterThan(0);
    expect(doneAtKill + leftAtKill).toBeGreaterThanOrEqual(total);

    // Meanwhile, with the old key still configured, everything reads as before.
    expect(await snapshot(await storeWith(createKeyring(k2, [k1])))).toEqual(before);

    // The second run: to the end, no thread left behind as busy.
    const again = spawnSync(process.execPath, [BIN, "reencrypt", "--store", s.url, "--json"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 240_000,
      env: env({ current: k2, old: [k1] }),
    });
    // Nothing on stderr but, when the kill left a thread locked, the one line saying the second run waits for it.
    const lines = again.stderr.split("\n").filter(Boolean);
    expect(lines.length, again.stderr).toBeLessThanOrEqual(1);
    for (const line of lines)
      expect(line).toMatch(/^Thread \S+ is being re-encrypted by another reencrypt \(waypoint-reencrypt-[0-9a-f]+\): waiting/);
    expect(again.status).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report).toMatchObject({ checkpoints: seeded.checkpoints, busy: [], encrypted: 0 });
    expect(report.rewritten).toBe(leftAtKill);

    expect(await rowsWith(s, sealedWith(k1)), "a value still sealed with K1").toBe(0);
    expect(await rowsWith(s, sealedWith(k2))).toBe(total);
    // K2 alone opens everything, and every checkpoint is what it was.
    expect(await snapshot(await storeWith(createKeyring(k2)))).toEqual(before);

    const verify = spawnSync(process.execPath, [BIN, "verify", "--store", s.url, "--json"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 240_000,
      env: env({ current: k2 }),
    });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ checkpoints: seeded.checkpoints, problems: [] });
  }, 400_000);
});
