/**
 * File-store specifics beyond the conformance suite: atomic writes, surviving SIGKILL mid-save, corrupt files,
 * torn index lines, path escapes and on-disk lock files.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStore, type FileCheckpointStore } from "../../lib/checkpoint/file";
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
    const cps = await chain(store, t, 4);
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
