/**
 * Delta storage under the real engine, on all five stores: a long loop through every reducer (append, merge,
 * sum, a custom one, last-value), interrupts and resumes, edits on old checkpoints, forks, runs continued from
 * branches, and pruning while running. The oracle is what each save returned (the saved state, JSON
 * round-tripped, computed from the caller's values — never rebuilt from deltas); every checkpoint that
 * survives must load and list back to exactly that.
 * PostgreSQL and Redis: each run gets its own database / key prefix; without a server the case fails under CI
 * and is reported as skipped locally.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createStore, type StoreConfig } from "@/lib/checkpoint/factory";
import { dropRedisPrefix } from "../api/helpers/redis";
import type { Checkpoint, CheckpointStore } from "@/lib/checkpoint/types";
import { END, START, StateGraph, appendReducer, interrupt, mergeReducer, sumReducer, type CompiledGraph } from "@/lib/engine";

const pgAdmin = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function pgAdminQuery(sql: string) {
  const c = new pg.Client({ connectionString: pgAdmin, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const backends: { name: string; config(): Promise<StoreConfig> }[] = [
  { name: "memory", config: async () => ({ kind: "memory" }) },
  {
    name: "file",
    config: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-delta-engine-"));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      return { kind: "file", dir };
    },
  },
  {
    name: "sqlite",
    config: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-delta-engine-"));
      cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
      return { kind: "sqlite", url: `file:${dir}/waypoint.db` };
    },
  },
  {
    name: "postgres",
    config: async () => {
      const db = `waypoint_delta_${randomBytes(5).toString("hex")}`;
      await pgAdminQuery(`CREATE DATABASE "${db}"`);
      cleanups.push(() => pgAdminQuery(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`));
      const u = new URL(pgAdmin);
      u.pathname = `/${db}`;
      return { kind: "postgres", url: u.toString() };
    },
  },
  {
    name: "redis",
    config: async () => {
      const prefix = `wp-delta-engine:${randomBytes(5).toString("hex")}:`;
      cleanups.push(() => dropRedisPrefix(redisUrl, prefix));
      return { kind: "redis", url: redisUrl, prefix };
    },
  },
];

/** Keeps every saved checkpoint's state text, from what the store returned at save time. */
class Saved {
  readonly states = new Map<string, string>();
  add(cp: Checkpoint) {
    this.states.set(cp.id, JSON.stringify(cp.state));
  }
  async verify(store: CheckpointStore, threadId: string) {
    const listed = await store.list(threadId);
    const alive = new Set(listed.map((c) => c.id));
    for (const c of listed) if (this.states.has(c.id)) expect(JSON.stringify(c.state), `list ${c.id} v${c.version}`).toBe(this.states.get(c.id));
    for (const [id, text] of this.states) if (alive.has(id)) expect(JSON.stringify((await store.load(id)).state), `load ${id}`).toBe(text);
    const latest = await store.latest(threadId);
    expect(JSON.stringify(latest!.state)).toBe(this.states.get(latest!.id));
    return listed.length;
  }
}

const uniqueSorted = (cur: unknown, upd: unknown) => [...new Set([...((cur as string[]) ?? []), ...(upd as string[])])].sort();

function buildGraph(store: CheckpointStore, steps: number, maxCheckpoints?: number): CompiledGraph {
  return new StateGraph({
    log: { reducer: appendReducer, default: () => [] },
    meta: { reducer: mergeReducer, default: () => ({}) },
    total: { reducer: sumReducer, default: () => 0 },
    tags: { reducer: uniqueSorted, default: () => [] },
    status: {},
    note: {},
  })
    .addNode("work", (s) => {
      const i = s.total as number;
      return {
        log: { i, text: `step ${i}: ${"détail ".repeat(20)}` },
        meta: { [`k${i % 5}`]: i, last: i },
        total: 1,
        tags: [`t${i % 7}`],
        status: i % 2 ? "odd" : "even",
      };
    })
    .addNode("review", (s) => ({ note: `${interrupt({ at: s.total })} at ${s.total}` }))
    .addEdge(START, "work")
    .addConditionalEdges("work", (s) => ((s.total as number) >= steps ? END : (s.total as number) % 100 === 0 ? "review" : "work"))
    .addEdge("review", "work")
    .compile({ store, graphId: "delta", recursionLimit: 100_000, ...(maxCheckpoints ? { maxCheckpoints } : {}) });
}

async function run(app: CompiledGraph, saved: Saved, input: Record<string, unknown> | null, opts: Parameters<CompiledGraph["stream"]>[1]) {
  const gen = app.stream(input, opts);
  for (;;) {
    const next = await gen.next();
    if (next.done) return next.value;
    if (next.value.type === "checkpoint") saved.add(next.value.checkpoint);
  }
}

const serverless = new Set(["memory", "file", "sqlite"]);

describe.each(backends)("delta storage under the engine on $name", (backend) => {
  const open = async (): Promise<CheckpointStore | null> => {
    try {
      const store = await createStore(await backend.config());
      cleanups.push(() => store.close());
      return store;
    } catch (e) {
      if (serverless.has(backend.name) || process.env.CI) throw e;
      console.warn(`skipped: ${backend.name} unreachable (${(e as Error).message})`);
      return null;
    }
  };

  it("every reducer, interrupts, resumes, edits on old checkpoints and forks: each checkpoint rebuilds exactly", async (ctx) => {
    const store = await open();
    if (!store) return ctx.skip();
    const app = buildGraph(store, 320);
    const saved = new Saved();
    const t = "delta-engine";
    let r = await run(app, saved, { status: "start", note: "" }, { threadId: t });
    while (r.status === "interrupted") r = await run(app, saved, null, { threadId: t, command: { resume: "approved" } });
    expect(r.status).toBe("done");
    expect(r.values.total).toBe(320);

    const history = await store.list(t);
    // Edits on old checkpoints through every reducer, each continued for a few steps on its own branch.
    for (const at of [5, 64, 130, 257]) {
      const old = history.find((c) => c.step === at)!;
      const edited = await app.updateState(
        t,
        { log: { i: -at, text: "edited" }, meta: { edited: true }, total: 1000, tags: ["zz", "a"], status: `edited at ${at}` },
        { checkpointId: old.id, actor: "ann", reason: "test" },
      );
      saved.add(edited);
      const branch = await run(buildGraph(store, 1000 + at + 12), saved, null, { threadId: t, checkpointId: edited.id });
      expect(branch.values.status).not.toBe(`edited at ${at}`);
    }
    // A fork with other values inside the thread, and one into a new thread.
    const fork = await app.fork(t, history[200].id, { values: { note: "forked" }, actor: "bob" });
    saved.add(fork);
    const other = await app.fork(t, history[300].id, { newThreadId: "delta-engine-copy" });
    const copy = new Saved();
    copy.add(other);
    const copied = await run(buildGraph(store, 330), copy, null, { threadId: "delta-engine-copy" });
    expect(copied.status).toBe("interrupted");

    const count = await saved.verify(store, t);
    await copy.verify(store, "delta-engine-copy");
    const s = await store.storage(t);
    expect(s.checkpoints).toBe(count);
    expect(s.deltas, JSON.stringify(s)).toBeGreaterThan(count / 2);
  });

  it("pruning while the run goes keeps every surviving checkpoint rebuildable", async (ctx) => {
    const store = await open();
    if (!store) return ctx.skip();
    const saved = new Saved();
    const t = "delta-prune";
    let r = await run(buildGraph(store, 250, 30), saved, { status: "start" }, { threadId: t });
    while (r.status === "interrupted") r = await run(buildGraph(store, 250, 30), saved, null, { threadId: t, command: { resume: "ok" } });
    expect(r.values.total).toBe(250);
    const left = await saved.verify(store, t);
    expect(left).toBeLessThanOrEqual(40);
  });
});
