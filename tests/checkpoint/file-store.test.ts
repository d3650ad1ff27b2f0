/**
 * File-store specifics beyond the conformance suite: atomic writes, surviving SIGKILL mid-save, corrupt files,
 * torn index lines, path escapes, on-disk lock files, and the delta layout (truncated delta files, directories
 * written by the pre-delta version, a base deleted behind a writer's back, a 1,500-step thread's size).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStore, type FileCheckpointStore } from "../../lib/checkpoint/file";
import { summaryExtra } from "../../lib/checkpoint/summary";
import type { Checkpoint, CheckpointStore } from "../../lib/checkpoint/types";
import { isCorruptCheckpoint, isInvalidId } from "../../lib/errors";
import { chain, cp, ids, threadId, versions } from "../conformance/suite-helpers";

let root: string;
let dir: string;
let corrupt: { path: string; error: unknown }[];
let store: FileCheckpointStore;

const open = () => createFileStore({ dir, onCorrupt: (info) => corrupt.push(info) });

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "waypoint-fs-"));
  dir = path.join(root, "store");
  corrupt = [];
  store = await open();
});
afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

/** Every file under `d`, relative to it. */
async function walk(d: string, base = d): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, base)));
    else out.push(path.relative(base, p));
  }
  return out.sort();
}

describe("file store: atomic writes", () => {
  it("leaves exactly the expected files and no temp files after every kind of write", async () => {
    const t = threadId();
    const cps = await chain(store, t, 5);
    await store.putWrites(cps[1].id, [{ node: "n", channel: "c", value: 1 }]);
    await store.updateThread(t, { status: "done" });
    await store.delete(cps[2].id);
    await store.prune(t, 1);
    await store.acquireLock(t, "owner-a", 60_000);
    await store.acquireLock(t, "owner-a", 60_000);
    await store.stealLock(t, "owner-b", "owner-a", 60_000);
    const left = await store.list(t);
    const files = await walk(dir);
    expect(files).toEqual(
      [...left.map((c) => `checkpoints/${c.id}.json`), `locks/${t}.lock`, `threads/${t}/index.jsonl`, `threads/${t}/thread.json`].sort(),
    );
    await store.releaseLock(t, "owner-b");
    await store.clear(t);
    expect(await walk(dir)).toEqual([]);
  });

  it("survives SIGKILL mid-save: every acknowledged checkpoint is listed and every listed one loads", async () => {
    const t = threadId("crash");
    const acked: string[] = [];
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures/crash-saver.ts"), dir, t], {
        cwd: path.resolve(__dirname, "../.."),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const target = acked.length + 10 + Math.floor(Math.random() * 10);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        let buf = "";
        child.stdout.on("data", (d) => {
          buf += d;
          const lines = buf.split("\n");
          buf = lines.pop()!;
          for (const l of lines) if (l.startsWith("ack ")) acked.push(l.slice(4));
          if (acked.length >= target) resolve();
        });
        child.on("exit", () => reject(new Error(`crash-saver exited early: ${stderr}`)));
      });
      // Kill at a random point of the next save.
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");

      const fresh = await open();
      const listed = await fresh.list(t);
      expect(corrupt).toEqual([]);
      const listedIds = new Set(ids(listed));
      for (const id of acked) expect(listedIds.has(id), `acknowledged ${id} is listed`).toBe(true);
      const vs = versions(listed);
      expect(vs).toEqual([...vs].sort((a, b) => a - b));
      expect(new Set(vs).size).toBe(vs.length);
      for (const c of listed) expect(await fresh.load(c.id)).toEqual(c);
      for (const c of listed) if (c.parentId !== null) expect(listedIds.has(c.parentId)).toBe(true);
      const info = await fresh.getThread(t);
      expect([info.checkpointCount, info.headCheckpointId]).toEqual([listed.length, listed[listed.length - 1].id]);
      // The store keeps working on the same thread after the crash.
      const next = await fresh.save(cp(t, listed[listed.length - 1]));
      expect(next.version).toBe(vs[vs.length - 1] + 1);
      acked.push(next.id);
      await fresh.close();
    }
  }, 60_000);
});

describe("file store: several processes", () => {
  it("lock races between processes have exactly one winner, also when taking over expired locks", async () => {
    const t = threadId("race");
    // Odd-numbered threads start with an expired lock of a dead owner: contenders race to take it over.
    await mkdir(path.join(dir, "locks"), { recursive: true });
    for (let i = 1; i < 20; i += 2) await writeFile(path.join(dir, "locks", `${t}-${i}.lock`), JSON.stringify({ owner: "owner-old", expiresAt: 1 }));
    const startAt = Date.now() + 2500;
    const owners = ["racer-0", "racer-1", "racer-2", "racer-3"];
    const outputs = await Promise.all(
      owners.map(
        (owner) =>
          new Promise<{ acquired: boolean; owner?: string }[]>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              ["--import", "tsx", path.join(__dirname, "fixtures/lock-racer.ts"), dir, t, owner, String(startAt)],
              {
                cwd: path.resolve(__dirname, "../.."),
                stdio: ["ignore", "pipe", "pipe"],
              },
            );
            let out = "";
            let err = "";
            child.stdout.on("data", (d) => (out += d));
            child.stderr.on("data", (d) => (err += d));
            child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`lock-racer failed: ${err}`))));
          }),
      ),
    );
    for (let i = 0; i < 20; i++) {
      const winners = owners.filter((_, k) => outputs[k][i].acquired);
      expect(winners, `thread ${i}`).toHaveLength(1);
      for (const k of owners.keys()) if (!outputs[k][i].acquired) expect(outputs[k][i].owner).toBe(winners[0]);
      expect(await store.acquireLock(`${t}-${i}`, "late", 1000)).toMatchObject({ acquired: false, owner: winners[0] });
    }
    expect((await readdir(path.join(dir, "locks"))).filter((f) => f.endsWith(".guard"))).toEqual([]);
  }, 60_000);

  it("instances opened through a symlink share versions with the real directory", async () => {
    const link = path.join(root, "link");
    await symlink(dir, link);
    const other = await createFileStore({ dir: link });
    const t = threadId();
    const first = await store.save(cp(t));
    const saved = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? other : store).save(cp(t, first))));
    expect(versions(saved).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(versions(await other.list(t))).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });
});

describe("file store: damaged files", () => {
  it("skips and reports a corrupt checkpoint file in list; load rejects CORRUPT_CHECKPOINT", async () => {
    const t = threadId();
    // States that change wholesale at every step are stored as snapshots: each file stands alone.
    const cps: Checkpoint[] = [];
    for (let i = 0; i < 4; i++)
      cps.push(await store.save(cp(t, cps[i - 1] ?? null, { step: i, state: { i, blob: randomBytes(200).toString("hex") } })));
    expect(await store.storage(t)).toMatchObject({ checkpoints: 4, snapshots: 4 });
    const bad = path.join(dir, "checkpoints", `${cps[1].id}.json`);
    await writeFile(bad, "{ this is not json");
    const listed = await store.list(t);
    expect(ids(listed)).toEqual([cps[0].id, cps[2].id, cps[3].id]);
    expect(corrupt.map((c) => c.path)).toEqual([bad]);
    expect(isCorruptCheckpoint(await store.load(cps[1].id).catch((e) => e))).toBe(true);
    expect(await store.load(cps[2].id)).toEqual(cps[2]);
    // A limit is still honoured by reading past the corrupt file.
    expect(ids(await store.list(t, { order: "desc", limit: 3, before: 4 }))).toEqual([cps[2].id, cps[0].id]);
    // A corrupt head: latest falls back to the newest readable one.
    await writeFile(path.join(dir, "checkpoints", `${cps[3].id}.json`), JSON.stringify({ id: "someone-else" }));
    expect((await store.latest(t))?.id).toBe(cps[2].id);
    // Retention still removes corrupt files it plans to delete.
    expect(await store.prune(t, 1)).toBe(3);
    expect(existsSync(bad)).toBe(false);
  });

  it("ignores a torn last index line and keeps appending after it", async () => {
    const t = threadId();
    const cps = await chain(store, t, 2);
    const index = path.join(dir, "threads", t, "index.jsonl");
    await appendFile(index, '{"id":"0199aaaa-0000-7000-8000-00000000');
    const fresh = await open();
    expect(ids(await fresh.list(t))).toEqual(ids(cps));
    const c = await fresh.save(cp(t, cps[1]));
    expect(c.version).toBe(3);
    expect(ids(await fresh.list(t))).toEqual([...ids(cps), c.id]);
    expect(ids(await store.list(t))).toEqual([...ids(cps), c.id]);
  });

  it("a deleted checkpoint whose file a crash left behind stays deleted, even when its base is gone; parents come from the index", async () => {
    // delete/prune rewrite the index before unlinking files: a SIGKILL in between leaves the files.
    const t = threadId();
    const cps = await chain(store, t, 4);
    const files = await Promise.all(cps.map((c) => readFile(path.join(dir, "checkpoints", `${c.id}.json`), "utf8")));
    await store.prune(t, 1);
    for (const i of [1, 2]) await writeFile(path.join(dir, "checkpoints", `${cps[i].id}.json`), files[i]); // 0 (a base) is gone
    const fresh = await open();
    for (const s of [store, fresh])
      for (const i of [0, 1, 2]) {
        await expect(s.load(cps[i].id)).rejects.toMatchObject({ code: "CHECKPOINT_NOT_FOUND" });
        await expect(s.putWrites(cps[i].id, [{ node: "n", channel: "c", value: 1 }])).rejects.toMatchObject({ code: "CHECKPOINT_NOT_FOUND" });
      }
    expect(ids(await fresh.list(t))).toEqual([cps[3].id]);
    expect((await fresh.load(cps[3].id)).state).toEqual(cps[3].state);
    // Re-linked in the index only (its rewrite is the commit point): every read gives the index's parent.
    const onDisk = JSON.parse(await readFile(path.join(dir, "checkpoints", `${cps[3].id}.json`), "utf8"));
    expect(onDisk.parentId).toBe(cps[2].id);
    expect((await fresh.load(cps[3].id)).parentId).toBeNull();
    expect((await fresh.list(t))[0].parentId).toBeNull();
    expect((await fresh.latest(t))?.parentId).toBeNull();
    await fresh.delete(cps[2].id); // removes the orphan file
    expect(existsSync(path.join(dir, "checkpoints", `${cps[2].id}.json`))).toBe(false);
    expect(corrupt).toEqual([]);
  });

  it("still knows a thread whose record file was lost (crash right after its first save)", async () => {
    const t = threadId();
    const cps = await chain(store, t, 2);
    await rm(path.join(dir, "threads", t, "thread.json"));
    expect(await store.getThread(t)).toMatchObject({ threadId: t, status: "idle", checkpointCount: 2, headCheckpointId: cps[1].id });
    expect((await store.listThreads()).threads.map((x) => x.threadId)).toEqual([t]);
    expect(await store.updateThread(t, { status: "done" })).toMatchObject({ status: "done", checkpointCount: 2 });
  });

  it("treats an unreadable lock file as expired", async () => {
    const t = threadId();
    await mkdir(path.join(dir, "locks"), { recursive: true });
    await writeFile(path.join(dir, "locks", `${t}.lock`), "garbage");
    expect(await store.acquireLock(t, "owner-a", 60_000)).toEqual({ acquired: true });
    const onDisk = JSON.parse(await readFile(path.join(dir, "locks", `${t}.lock`), "utf8"));
    expect(onDisk.owner).toBe("owner-a");
    expect(typeof onDisk.expiresAt).toBe("number");
  });
});

describe("file store: paths", () => {
  it("never touches anything outside its directory for escaping ids", async () => {
    const outside = path.join(root, "x");
    for (const bad of ["../x", "../../x", "a/../../x", "..", "a\\..\\x", "/tmp/x", "x/", "~"]) {
      for (const call of [
        () => store.save(cp(bad)),
        () => store.save(cp("t1", null, { id: bad })),
        () => store.load(bad),
        () => store.list(bad),
        () => store.updateThread(bad, {}),
        () => store.clear(bad),
        () => store.acquireLock(bad, "o", 1000),
        () => store.delete(bad),
      ]) {
        expect(isInvalidId(await call().catch((e) => e))).toBe(true);
      }
    }
    expect(existsSync(outside)).toBe(false);
    expect(await readdir(root)).toEqual(["store"]);
    expect(await walk(dir)).toEqual([]);
  });

  it("requires a directory", async () => {
    await expect(createFileStore({ dir: "" })).rejects.toMatchObject({ code: "STORE_CONFIG" });
  });

  it("setup finishes a clear interrupted by a crash", async () => {
    const t = threadId();
    const cps = await chain(store, t, 3);
    // Simulate a crash right after clear moved the thread to trash/.
    await mkdir(path.join(dir, "trash"), { recursive: true });
    await rename(path.join(dir, "threads", t), path.join(dir, "trash", `${t}.crashed`));
    await open();
    expect(await walk(dir)).toEqual([]);
    for (const c of cps) expect(existsSync(path.join(dir, "checkpoints", `${c.id}.json`))).toBe(false);
  });
});

// ---- delta layout ---------------------------------------------------------------------------------------------

const item = (i: number) => ({ i, text: `message ${i} — ${"lorem ipsum ".repeat(12)}`, tags: ["a", i % 3 ? "b" : "c"] });
/** The state of step `i` of an append thread: items 0..i, as JSON text (what every read must rebuild). */
const stateText = (i: number) => JSON.stringify({ log: Array.from({ length: i + 1 }, (_, k) => item(k)), count: i });
const cpFile = (id: string) => path.join(dir, "checkpoints", `${id}.json`);
const readRec = async (id: string) => JSON.parse(await readFile(cpFile(id), "utf8")) as Record<string, unknown>;

/** Saves steps `from`..`from + n - 1` of an append thread (one ~200-byte item per step) on top of `parent`. */
async function appendSteps(s: CheckpointStore, t: string, n: number, parent: Checkpoint | null = null, from = 0): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  const log = parent ? [...(parent.state.log as unknown[])] : [];
  for (let i = from; i < from + n; i++) {
    const it = item(i);
    log.push(it); // the same array each step, mutated in place as a reducer may do
    parent = await s.save(
      cp(t, parent, {
        step: i,
        state: { log, count: i },
        metadata: { source: "loop", writes: [{ node: "work", channel: "log", value: it }] },
      }),
    );
    out.push(parent);
  }
  return out;
}

/** Files as the pre-delta version wrote them: the whole checkpoint as one JSON object, index lines without base/depth. */
async function writeOldLayout(t: string, n: number): Promise<Checkpoint[]> {
  await mkdir(path.join(dir, "threads", t), { recursive: true });
  const out: Checkpoint[] = [];
  let lines = "";
  for (let i = 0; i < n; i++) {
    const log = Array.from({ length: i + 1 }, (_, k) => item(k));
    const input = cp(t, out[i - 1] ?? null, { step: i, state: { log, count: i } });
    const c: Checkpoint = { ...input, version: i + 1 }; // the old save: `{ ...input, version }`, state in the middle
    await writeFile(cpFile(c.id), JSON.stringify(c));
    const line = {
      id: c.id,
      parentId: c.parentId,
      version: c.version,
      step: c.step,
      nodeName: c.nodeName,
      timestamp: c.timestamp,
      savedAt: c.timestamp,
    };
    // The first lines predate summaries too.
    lines += JSON.stringify(i < 3 ? line : { ...line, next: c.next, summary: summaryExtra(c) }) + "\n";
    out.push(c);
  }
  await writeFile(path.join(dir, "threads", t, "index.jsonl"), lines);
  const now = out[0].timestamp;
  await writeFile(
    path.join(dir, "threads", t, "thread.json"),
    JSON.stringify({ threadId: t, graphId: null, status: "idle", error: null, metadata: {}, createdAt: now, updatedAt: now }),
  );
  return out;
}

/** Every listed checkpoint of an append thread rebuilds to its step's state, through load, list and latest. */
async function verifyAppend(s: CheckpointStore, t: string, expectIds?: string[]) {
  const all = await s.list(t);
  if (expectIds) expect(ids(all).sort()).toEqual([...expectIds].sort());
  for (const c of all) {
    expect(JSON.stringify(c.state), `list ${c.id}`).toBe(stateText(c.step));
    expect(JSON.stringify((await s.load(c.id)).state), `load ${c.id}`).toBe(stateText(c.step));
  }
  const head = await s.latest(t);
  expect(head?.id).toBe(all[all.length - 1]?.id);
  if (head) expect(JSON.stringify(head.state)).toBe(stateText(head.step));
}

describe("file store: delta layout", () => {
  it("stores deltas as base + ops and snapshots whole; storage() counts file sizes plus index lines", async () => {
    const t = threadId("layout");
    const cps = await appendSteps(store, t, 40);
    const recs = await Promise.all(cps.map((c) => readRec(c.id)));
    const deltas = recs.filter((r) => typeof r.ops === "string");
    expect(deltas.length).toBeGreaterThan(30);
    for (const r of deltas) {
      expect(r.state).toBeUndefined();
      expect(typeof r.baseId).toBe("string");
      expect(Number.isInteger(r.depth)).toBe(true);
    }
    for (const r of recs.filter((x) => x.ops === undefined)) expect(typeof r.state).toBe("object");
    const s = await store.storage(t);
    expect(s).toMatchObject({ checkpoints: 40, snapshots: recs.length - deltas.length, deltas: deltas.length });
    let onDisk = (await stat(path.join(dir, "threads", t, "index.jsonl"))).size;
    for (const c of cps) onDisk += (await stat(cpFile(c.id))).size;
    expect(s.bytes).toBe(onDisk);
  });

  it("a truncated delta file: load names it, checkpoints built on it are reported, earlier ones and other threads stay readable", async () => {
    const t = threadId("trunc");
    const other = threadId("intact");
    const cps = await appendSteps(store, t, 40);
    const others = await appendSteps(store, other, 12);
    const recs = new Map<string, Record<string, unknown>>();
    for (const c of cps) recs.set(c.id, await readRec(c.id));
    const bases = new Set([...recs.values()].map((r) => r.baseId));
    const victim = cps.find((c, i) => i >= 20 && typeof recs.get(c.id)!.ops === "string" && bases.has(c.id))!;
    expect(victim).toBeDefined();
    const text = await readFile(cpFile(victim.id), "utf8");
    await writeFile(cpFile(victim.id), text.slice(0, Math.floor(text.length / 2)));

    const err = await store.load(victim.id).catch((e) => e);
    expect(isCorruptCheckpoint(err)).toBe(true);
    expect(err.message).toContain(victim.id);
    // Checkpoints whose chain goes through the victim cannot be rebuilt; each error names the checkpoint asked for.
    const dependsOnVictim = (id: string): boolean => {
      for (let r = recs.get(id); r; r = typeof r.baseId === "string" ? recs.get(r.baseId) : undefined) if (r.id === victim.id) return true;
      return false;
    };
    const broken = new Set(ids(cps).filter(dependsOnVictim));
    expect(broken.size).toBeGreaterThan(1);
    for (const id of broken) {
      const e = await store.load(id).catch((x) => x);
      expect(isCorruptCheckpoint(e), id).toBe(true);
      expect(e.message).toContain(id);
    }
    const victimAt = cps.indexOf(victim);
    for (const c of cps.slice(0, victimAt)) expect(await store.load(c.id)).toEqual(c);
    // list skips (and reports) exactly the broken ones, also with a limit; latest falls back past them.
    const readable = cps.filter((c) => !broken.has(c.id));
    expect(ids(await store.list(t))).toEqual(ids(readable));
    for (const c of await store.list(t)) expect(c).toEqual(cps.find((x) => x.id === c.id));
    expect(new Set(corrupt.map((c) => path.basename(c.path, ".json")))).toEqual(broken);
    expect(ids(await store.list(t, { order: "desc", limit: 3 }))).toEqual(ids(readable.slice(-3).reverse()));
    expect((await store.latest(t))?.id).toBe(readable[readable.length - 1].id);
    expect(await store.list(other)).toEqual(others);
    for (const c of others) expect(await store.load(c.id)).toEqual(c);
    // The thread goes on from a readable checkpoint, and retention removes the broken ones without failing.
    const head = (await store.latest(t))!;
    const more = await appendSteps(store, t, 5, head, head.step + 1);
    for (const c of more) expect(JSON.stringify((await store.load(c.id)).state)).toBe(stateText(c.step));
    await store.prune(t, 5);
    for (const c of await store.list(t)) expect(JSON.stringify(c.state)).toBe(stateText(c.step));
  });

  it("a directory written by the previous layout loads, lists and is continued with delta checkpoints", async () => {
    const t = threadId("old");
    const old = await writeOldLayout(t, 12);
    const fresh = await open();
    for (const c of old) expect(await fresh.load(c.id)).toEqual(c);
    expect(await fresh.list(t)).toEqual(old);
    expect(await fresh.latest(t)).toEqual(old[11]);
    expect(ids(await fresh.listSummaries(t))).toEqual(ids(old));
    expect(await fresh.getThread(t)).toMatchObject({ checkpointCount: 12, headCheckpointId: old[11].id });
    expect(await fresh.storage(t)).toMatchObject({ checkpoints: 12, snapshots: 12, deltas: 0 });
    // Continued from its head (the codec primes on latest), and from an old middle checkpoint (a branch).
    const head = (await fresh.latest(t))!;
    const more = await appendSteps(fresh, t, 40, head, 12);
    const branch = await appendSteps(fresh, t, 10, await fresh.load(old[5].id), 6);
    const s = await fresh.storage(t);
    expect(s.checkpoints).toBe(62);
    expect(s.deltas).toBeGreaterThan(40);
    // The old files were not rewritten.
    for (const c of old) expect(await readRec(c.id)).toEqual(JSON.parse(JSON.stringify(c)));
    await verifyAppend(fresh, t);
    await verifyAppend(store, t);
    // Deleting old snapshots that new deltas are based on folds those deltas; pruning keeps the rest rebuildable.
    await fresh.delete(old[11].id);
    await fresh.delete(old[5].id);
    const left = [...old.slice(0, 5), ...old.slice(6, 11), ...more, ...branch];
    await verifyAppend(store, t, ids(left));
    await fresh.prune(t, 7);
    await verifyAppend(store, t);
    expect(ids(await store.list(t))).toEqual(expect.arrayContaining([more[39].id, branch[9].id]));
    await fresh.close();
  });

  it("a save whose base file is gone (deleted behind the writer's back) is written whole", async () => {
    const t = threadId("gone");
    const cps = await appendSteps(store, t, 10);
    const last = await readRec(cps[9].id);
    expect(last.baseId).toBe(cps[8].id); // the next save would be a delta on cps[9]
    await rm(cpFile(cps[9].id));
    const [next] = await appendSteps(store, t, 1, cps[9], 10);
    const rec = await readRec(next.id);
    expect(rec.ops).toBeUndefined();
    expect(JSON.stringify(rec.state)).toBe(stateText(10));
    const reader = await open();
    expect(JSON.stringify((await reader.load(next.id)).state)).toBe(stateText(10));
    await reader.close();
  });

  it("a 1,500-step append thread takes well under 5% of its full states, and old checkpoints rebuild exactly", async () => {
    const t = threadId("long");
    const n = 1500;
    // Only ids are kept: 1,500 parsed states would be ~230 MB of objects.
    const saved: { id: string; version: number }[] = [];
    let parent: Checkpoint | null = null;
    const log: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const it = item(i);
      log.push(it);
      const metadata = { source: "loop" as const, writes: [{ node: "work", channel: "log", value: it }] };
      parent = await store.save(cp(t, parent, { step: i, state: { log, count: i }, metadata }));
      saved.push({ id: parent.id, version: parent.version });
    }
    // Sum of the full states' JSON bytes, step by step.
    let full = 0;
    let items = 0;
    for (let i = 0; i < n; i++) {
      items += Buffer.byteLength(JSON.stringify(item(i))) + (i > 0 ? 1 : 0);
      const bytes = Buffer.byteLength(`{"log":[],"count":${i}}`) + items;
      if (i % 1000 === 7) expect(bytes).toBe(Buffer.byteLength(stateText(i)));
      full += bytes;
    }
    let onDisk = (await stat(path.join(dir, "threads", t, "index.jsonl"))).size;
    for (const c of saved) onDisk += (await stat(cpFile(c.id))).size;
    const s = await store.storage(t);
    expect(s.bytes).toBe(onDisk);
    expect(s.checkpoints).toBe(n);
    expect(onDisk).toBeLessThan(full * 0.05);
    const reader = await open(); // another instance: nothing it rebuilds comes from the writer's memory
    for (let k = 0; k < 40; k++) {
      const i = k < 5 ? [0, 1, n - 2, n - 1, 1024][k] : Math.floor(Math.random() * n);
      expect(JSON.stringify((await reader.load(saved[i].id)).state), `step ${i}`).toBe(stateText(i));
    }
    const page = await reader.list(t, { before: saved[700].version, order: "desc", limit: 12 });
    for (const c of page) expect(JSON.stringify(c.state)).toBe(stateText(c.step));
    expect(JSON.stringify((await reader.latest(t))!.state)).toBe(stateText(n - 1));
  }, 900_000);
});
