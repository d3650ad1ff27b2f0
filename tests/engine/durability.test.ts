import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { START, StateGraph, appendReducer, isNodeFailed } from "@/lib/engine";
import { createFileStore } from "@/lib/checkpoint/file";
import type { Checkpoint, CheckpointStore } from "@/lib/checkpoint/types";
import { engineStores } from "./stores";
import { buildPipeline } from "./fixtures/pipeline";

describe.each(engineStores)("node failures and retries on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  it("a throwing node stops the run, records node and message, keeps the last good checkpoint, and resumes once fixed", async () => {
    let broken = true;
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode("ok", () => ({ log: "ok" }))
      .addNode("flaky", () => {
        if (broken) throw new Error("upstream is down");
        return { log: "flaky" };
      })
      .addSequence([START, "ok", "flaky"])
      .compile({ store });
    const err = await app.invoke({}, { threadId: "e1" }).catch((e) => e);
    expect(isNodeFailed(err)).toBe(true);
    expect(err.details).toMatchObject({ node: "flaky", message: "upstream is down" });
    const good = (await store.latest("e1"))!;
    expect(good.nodeName).toBe("ok");
    expect(good.next).toEqual(["flaky"]);
    const thread = await store.getThread("e1");
    expect(thread.status).toBe("error");
    expect(thread.error).toMatchObject({ node: "flaky", message: "upstream is down", checkpointId: good.id });

    broken = false;
    const res = await app.invoke(null, { threadId: "e1" });
    expect(res.values.log).toEqual(["ok", "flaky"]);
    expect(await store.getThread("e1")).toMatchObject({ status: "done", error: null });
  });

  it("a sibling that completed in a failed step is kept as a pending write and not run again", async () => {
    let broken = true;
    const runs = { good: 0, bad: 0 };
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode("good", () => (runs.good++, { log: "good" }))
      .addNode("bad", () => {
        runs.bad++;
        if (broken) throw new Error("boom");
        return { log: "bad" };
      })
      .addEdge(START, "good")
      .addEdge(START, "bad")
      .compile({ store });
    await app.invoke({}, { threadId: "e2" }).catch(() => {});
    const input = (await store.latest("e2"))!;
    expect(input.pendingWrites).toContainEqual({ node: "good", channel: "log", value: "good" });
    broken = false;
    const res = await app.invoke(null, { threadId: "e2" });
    expect(res.values.log).toEqual(["bad", "good"]);
    expect(runs).toEqual({ good: 1, bad: 2 });
  });

  it("a retry policy retries with backoff and succeeds; exhausting it fails the run", async () => {
    let failures = 2;
    const attempts: number[] = [];
    const app = new StateGraph({ log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode(
        "net",
        (_s, ctx) => {
          attempts.push(ctx.attempt);
          if (failures-- > 0) throw new Error("flaky network");
          return { log: `ok after ${ctx.attempt}` };
        },
        { retry: { maxAttempts: 3, initialDelayMs: 5 } },
      )
      .addEdge(START, "net")
      .compile({ store });
    expect((await app.invoke({}, { threadId: "r1" })).values.log).toEqual(["ok after 3"]);
    expect(attempts).toEqual([1, 2, 3]);
    failures = 5;
    attempts.length = 0;
    const err = await app.invoke({}, { threadId: "r2" }).catch((e) => e);
    expect(isNodeFailed(err)).toBe(true);
    expect(attempts).toEqual([1, 2, 3]);
  });
});

/** The branch ending at `head`, oldest first. */
function branchOf(all: Checkpoint[], head: Checkpoint): Checkpoint[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  const out: Checkpoint[] = [];
  for (let c: Checkpoint | undefined = head; c; c = c.parentId ? byId.get(c.parentId) : undefined) out.unshift(c);
  return out;
}

describe("durable execution across a process killed with SIGKILL (file store)", () => {
  let dir: string;
  beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "wp-crash-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a fresh process continues from the latest checkpoint and no step is recorded twice", async () => {
    // `node --import tsx` keeps the script in this one process (the tsx CLI would fork a grandchild that survives the kill).
    const child = spawn(process.execPath, ["--import", "tsx", path.resolve("tests/engine/fixtures/crash-child.ts"), dir, "crashy"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, signal) => r(signal)));

    // Wait until a few steps are checkpointed, then kill the process mid-run.
    const observer = await createFileStore({ dir });
    for (let i = 0; ; i++) {
      if ((await observer.list("crashy")).length >= 5) break;
      if (i > 400) throw new Error(`child made no progress: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");
    const atCrash = await observer.list("crashy");
    expect(atCrash.length).toBeLessThan(13);
    expect((await observer.getThread("crashy")).status).toBe("running");

    // A new process (a new store instance) resumes with invoke(null): the dead owner's lock is taken over.
    const store = await createFileStore({ dir });
    const app = buildPipeline(store, { steps: 12, delayMs: 1, effectsFile: path.join(dir, "effects.log") });
    const res = await app.invoke(null, { threadId: "crashy" });
    expect(res.status).toBe("done");
    expect(res.values.done).toEqual(Array.from({ length: 12 }, (_, i) => `s${i}`));

    const all = await store.list("crashy");
    expect(all.length).toBe(13); // input + 12 steps, none saved twice
    for (const c of atCrash) expect(await store.load(c.id)).toEqual(c); // nothing saved before the crash changed
    const branch = branchOf(all, res.checkpoint);
    expect(branch.map((c) => c.step)).toEqual(Array.from({ length: 13 }, (_, i) => i - 1));
    // Side effects: each step ran once, except at most the one in flight when the process died.
    const effects = fs.readFileSync(path.join(dir, "effects.log"), "utf8").trim().split("\n");
    expect(effects.length - 12).toBeLessThanOrEqual(1);
    expect(new Set(effects).size).toBe(12);
  }, 60_000);
});
