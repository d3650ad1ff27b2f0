/**
 * Delta checkpoints survive SIGKILL: a child process (fixtures/delta-crash-child.ts) saves an append thread
 * through a store (any backend, via createStore), deleting and pruning now and then, and prints every
 * acknowledged checkpoint with a hash of its state. The test kills it at random moments (mid-save, and right
 * after it announced a delete or prune, to land inside the fold-then-delete sequence), restarts it to continue
 * the thread from latest(), and finally reopens the store: every acknowledged checkpoint that no delete or
 * prune could have removed must rebuild to its printed hash, and every surviving checkpoint to its step's
 * state. The file store runs here; the SQLite and PostgreSQL cases need those backends' delta layouts.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createStore, type StoreConfig } from "../../lib/checkpoint/factory";
import { isWaypointError } from "../../lib/errors";

/** As in the child (hashes are of the state with object keys sorted: a JSONB column may reorder them). */
const item = (i: number) => ({ i, text: `message ${i} — ${"lorem ipsum ".repeat(12)}`, tags: ["a", i % 3 ? "b" : "c"] });
const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : v !== null && typeof v === "object"
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
        )
      : v;
const stateHash = (state: unknown) =>
  createHash("sha256")
    .update(JSON.stringify(canonical(state)))
    .digest("hex");
const expectedHash = (step: number) => stateHash({ log: Array.from({ length: step + 1 }, (_, k) => item(k)), count: step });

interface Backing {
  config: StoreConfig;
  cleanup(): Promise<void>;
}

const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const backings: { name: string; open(): Promise<Backing> }[] = [
  {
    name: "file",
    async open() {
      const dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-delta-crash-"));
      return { config: { kind: "file", dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "sqlite",
    async open() {
      const dir = await mkdtemp(path.join(os.tmpdir(), "waypoint-delta-crash-sqlite-"));
      return { config: { kind: "sqlite", url: `file:${path.join(dir, "crash.db")}` }, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "postgres",
    async open() {
      const db = `wtc_crash_${process.pid}_${randomBytes(3).toString("hex")}`;
      await admin(`CREATE DATABASE "${db}"`);
      const u = new URL(adminUrl);
      u.pathname = `/${db}`;
      return { config: { kind: "postgres", url: u.toString() }, cleanup: () => admin(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`) };
    },
  },
];

interface Ack {
  step: number;
  hash: string;
}

/**
 * Runs the child once and SIGKILLs it: after `acks` more acknowledged saves plus a random delay, or (mode
 * "doom") right after its `dooms`-th announced delete/prune plus a random delay of a few milliseconds.
 */
function runChild(
  config: StoreConfig,
  thread: string,
  kill: { mode: "ack"; acks: number } | { mode: "doom"; dooms: number },
  acked: Map<string, Ack>,
  doomed: Set<string>,
): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures/delta-crash-child.ts"), JSON.stringify(config), thread], {
    cwd: path.resolve(__dirname, "../.."),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  return new Promise<void>((resolve, reject) => {
    let buf = "";
    let acks = 0;
    let dooms = 0;
    let killing = false;
    const killSoon = (maxDelayMs: number) => {
      if (killing) return;
      killing = true;
      setTimeout(() => child.kill("SIGKILL"), Math.random() * maxDelayMs);
    };
    child.stdout.on("data", (d) => {
      buf += d;
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) {
        const [what, ...rest] = l.split(" ");
        if (what === "ack") {
          acked.set(rest[0], { step: Number(rest[1]), hash: rest[2] });
          if (kill.mode === "ack" && ++acks >= kill.acks) killSoon(20);
        } else if (what === "doom") {
          for (const id of rest) if (id) doomed.add(id);
          // A prune takes from a few to a few hundred milliseconds (folds, re-links, index, one unlink per id).
          if (kill.mode === "doom" && ++dooms >= kill.dooms) killSoon(60);
        }
      }
    });
    void exited.then((signal) => {
      if (signal === "SIGKILL" && killing) resolve();
      else reject(new Error(`crash child exited on its own (${signal}): ${stderr}`));
    });
  });
}

describe("delta checkpoints survive SIGKILL at random moments", () => {
  for (const b of backings) {
    it(`${b.name}: every acknowledged checkpoint rebuilds to its printed hash after repeated kills`, async () => {
      const backing = await b.open();
      try {
        const thread = `crash-${process.pid}-${Date.now().toString(36)}`;
        const acked = new Map<string, Ack>();
        const doomed = new Set<string>();
        const kills: ({ mode: "ack"; acks: number } | { mode: "doom"; dooms: number })[] = [
          { mode: "ack", acks: 20 + Math.floor(Math.random() * 20) },
          { mode: "doom", dooms: 1 },
          { mode: "ack", acks: 5 + Math.floor(Math.random() * 30) },
          { mode: "doom", dooms: 2 },
          { mode: "ack", acks: 5 + Math.floor(Math.random() * 30) },
          { mode: "doom", dooms: 1 },
          { mode: "doom", dooms: 1 },
          { mode: "doom", dooms: 2 },
        ];
        for (const kill of kills) await runChild(backing.config, thread, kill, acked, doomed);
        expect(acked.size).toBeGreaterThan(60);
        expect(doomed.size).toBeGreaterThan(0);

        const store = await createStore(backing.config);
        try {
          for (const [id, a] of acked) {
            expect(a.hash, `printed hash of step ${a.step}`).toBe(expectedHash(a.step));
            const loaded = await store.load(id).catch((e) => e);
            if (doomed.has(id) && isWaypointError(loaded, "CHECKPOINT_NOT_FOUND")) continue;
            if (loaded instanceof Error) throw loaded;
            expect(stateHash(loaded.state), `checkpoint ${id} (step ${a.step})`).toBe(a.hash);
          }
          // Every survivor (acknowledged or not) rebuilds to its step's state, through list and latest too.
          const listed = await store.list(thread);
          const listedIds = new Set(listed.map((c) => c.id));
          for (const id of acked.keys()) if (!doomed.has(id)) expect(listedIds.has(id), `acknowledged ${id} is listed`).toBe(true);
          for (const c of listed) {
            expect(stateHash(c.state), `listed step ${c.step}`).toBe(expectedHash(c.step));
            if (c.parentId !== null) expect(listedIds.has(c.parentId), `parent of ${c.id}`).toBe(true);
          }
          const head = await store.latest(thread);
          expect(head?.id).toBe(listed[listed.length - 1].id);
        } finally {
          await store.close();
        }
      } finally {
        await backing.cleanup();
      }
    }, 600_000);
  }
});
