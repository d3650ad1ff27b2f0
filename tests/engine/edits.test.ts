import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  END,
  START,
  StateGraph,
  appendReducer,
  interrupt,
  isCheckpointNotFound,
  isInvalidId,
  isInvalidUpdate,
  isStateValidationError,
  isThreadNotFound,
  isUnknownNode,
} from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { engineStores } from "./stores";

describe.each(engineStores)("state edits, forks and time travel on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  const build = () =>
    new StateGraph({
      log: { reducer: appendReducer, default: () => [] as string[] },
      topic: { validate: (v) => z.string().min(1).parse(v) },
      count: { default: () => 0, validate: (v) => z.number().int().parse(v) },
    })
      .addNode("a", (s) => ({ log: `a:${s.topic}`, count: (s.count as number) + 1 }))
      .addNode("b", (s) => ({ log: `b:${s.topic}`, count: (s.count as number) + 1 }))
      .addNode("c", (s) => ({ log: `c:${s.topic}`, count: (s.count as number) + 1 }))
      .addSequence([START, "a", "b", "c", END])
      .compile({ store, graphId: "abc" });

  it("updateState without asNode edits the latest checkpoint's values and keeps next and interrupts", async () => {
    const app = new StateGraph({ topic: {}, answer: {} })
      .addNode("ask", () => ({ answer: interrupt("?") }))
      .addEdge(START, "ask")
      .compile({ store });
    const first = await app.invoke({ topic: "x" }, { threadId: "u1" });
    const edited = await app.updateState("u1", { topic: "y" }, { actor: "alice", reason: "typo" });
    expect(edited.parentId).toBe(first.checkpoint.id);
    expect(edited.nodeName).toBe("__update__");
    expect(edited.next).toEqual(["ask"]);
    expect(edited.interrupts).toEqual(first.interrupts);
    expect(edited.metadata).toMatchObject({
      source: "update",
      actor: "alice",
      reason: "typo",
      writes: [{ node: "__update__", channel: "topic", value: "y" }],
    });
    expect((await store.getThread("u1")).status).toBe("interrupted");
    const res = await app.invoke(null, { threadId: "u1", command: { resume: 42 } });
    expect(res.values).toEqual({ topic: "y", answer: 42 });
  });

  it("updateState with asNode applies the values as that node and routes from its edges", async () => {
    const app = build();
    await app.invoke({ topic: "t" }, { threadId: "u2" });
    const cps = await store.list("u2");
    const afterA = cps.find((c) => c.nodeName === "a")!;
    const edited = await app.updateState("u2", { log: "human", count: 10 }, { asNode: "b", checkpointId: afterA.id, actor: "bob" });
    expect(edited.parentId).toBe(afterA.id);
    expect(edited.next).toEqual(["c"]);
    expect(edited.state).toMatchObject({ log: ["a:t", "human"], count: 10 });
    expect(edited.metadata.writes).toEqual([
      { node: "b", channel: "log", value: "human" },
      { node: "b", channel: "count", value: 10 },
    ]);
    // The edit is a new branch: the original branch is untouched and still listed.
    const after = await store.list("u2");
    expect(after.length).toBe(cps.length + 1);
    for (const old of cps) expect(after.find((c) => c.id === old.id)).toEqual(old);
    expect((await store.getThread("u2")).status).toBe("idle");
    // Continuing runs c on the branch.
    const res = await app.invoke(null, { threadId: "u2" });
    expect(res.values).toMatchObject({ log: ["a:t", "human", "c:t"], count: 11 });
    expect(res.checkpoint.parentId).toBe(edited.id);
  });

  it("rejects bad edits with typed errors and saves nothing", async () => {
    const app = build();
    await app.invoke({ topic: "t" }, { threadId: "bad" });
    const before = await store.list("bad");
    const attempts = [
      [() => app.updateState("bad", { count: "many" }), isStateValidationError],
      [() => app.updateState("bad", { topic: "" }), isStateValidationError],
      [() => app.updateState("bad", { nope: 1 }), isInvalidUpdate],
      [() => app.updateState("bad", { count: 1 }, { asNode: "zzz" }), isUnknownNode],
      [() => app.updateState("bad", { count: 1 }, { checkpointId: "0190abcd-missing" }), isCheckpointNotFound],
      [() => app.updateState("../etc", { count: 1 }), isInvalidId],
      [() => app.getState("nobody"), isThreadNotFound],
      [() => app.fork("bad", "0190abcd-missing"), isCheckpointNotFound],
    ] as const;
    for (const [fn, guard] of attempts) {
      const err = await fn().catch((e) => e);
      expect(guard(err), String(err)).toBe(true);
    }
    expect(await store.list("bad")).toEqual(before);
  });

  it("a run whose input or command.update the schema rejects writes nothing and leaves the thread's status", async () => {
    const app = build();
    const first = await app.invoke({ topic: "" }, { threadId: "rej" }).catch((e) => e);
    expect(isStateValidationError(first)).toBe(true);
    expect(await store.list("rej")).toEqual([]);
    expect(isThreadNotFound(await store.getThread("rej").catch((e) => e))).toBe(true);
    await app.invoke({ topic: "ok" }, { threadId: "rej" });
    const before = await store.list("rej");
    for (const call of [
      () => app.invoke({ count: 1.5 }, { threadId: "rej" }),
      () => app.invoke(null, { threadId: "rej", checkpointId: before[1].id, command: { update: { topic: "" } } }),
    ])
      expect(isStateValidationError(await call().catch((e) => e))).toBe(true);
    expect(await store.list("rej")).toEqual(before);
    expect((await store.getThread("rej")).status).toBe("done");
  });

  it("a checkpoint id from another thread is not found in this one", async () => {
    const app = build();
    await app.invoke({ topic: "t" }, { threadId: "mine" });
    await app.invoke({ topic: "t" }, { threadId: "theirs" });
    const theirs = (await store.latest("theirs"))!;
    expect(isCheckpointNotFound(await app.getState("mine", theirs.id).catch((e) => e))).toBe(true);
    expect(isCheckpointNotFound(await app.invoke(null, { threadId: "mine", checkpointId: theirs.id }).catch((e) => e))).toBe(true);
  });

  it("replays from an earlier checkpoint as a new branch (invoke with checkpointId, resumeFromCheckpoint)", async () => {
    const app = build();
    const done = await app.invoke({ topic: "t" }, { threadId: "rp" });
    const cps = await store.list("rp");
    const input = cps[0];
    const replay = await app.resumeFromCheckpoint("rp", input.id);
    expect(replay.values).toEqual(done.values);
    const all = await store.list("rp");
    expect(all.length).toBe(cps.length * 2 - 1);
    const branch = all.filter((c) => !cps.some((o) => o.id === c.id));
    expect(branch[0].parentId).toBe(input.id);
    expect(new Set(all.map((c) => c.version)).size).toBe(all.length);
    // getState at an old checkpoint returns that checkpoint's values.
    const atA = await app.getState("rp", cps[1].id);
    expect(atA.values).toMatchObject({ log: ["a:t"], count: 1 });
    expect(atA.next).toEqual(["b"]);
    // History is newest first and pages with before.
    const hist = await app.getStateHistory("rp", { limit: 3 });
    expect(hist.map((h) => h.checkpoint.version)).toEqual([7, 6, 5]);
    const older = await app.getStateHistory("rp", { limit: 3, before: 5 });
    expect(older.map((h) => h.checkpoint.version)).toEqual([4, 3, 2]);
  });

  it("forks into a branch of the same thread or a new thread, with edited values", async () => {
    const app = build();
    await app.invoke({ topic: "orig" }, { threadId: "f1" });
    const original = await store.list("f1");
    const afterA = original[1];

    const branch = await app.fork("f1", afterA.id, { values: { topic: "forked" }, actor: "carol", reason: "try another topic" });
    expect(branch).toMatchObject({ threadId: "f1", parentId: afterA.id, nodeName: "__fork__", next: ["b"] });
    expect(branch.metadata).toMatchObject({ source: "fork", actor: "carol", forkedFrom: { threadId: "f1", checkpointId: afterA.id } });
    const res = await app.invoke(null, { threadId: "f1", checkpointId: branch.id });
    expect(res.values.log).toEqual(["a:orig", "b:forked", "c:forked"]);
    for (const old of original) expect(await store.load(old.id)).toEqual(old);

    const copy = await app.fork("f1", afterA.id, { newThreadId: "f1-copy" });
    expect(copy).toMatchObject({ threadId: "f1-copy", parentId: null, state: afterA.state, next: ["b"] });
    const copyThread = await store.getThread("f1-copy");
    expect(copyThread).toMatchObject({
      graphId: "abc",
      metadata: { forkedFrom: { threadId: "f1", checkpointId: afterA.id, version: afterA.version } },
    });
    const copyRes = await app.invoke(null, { threadId: "f1-copy" });
    expect(copyRes.values.log).toEqual(["a:orig", "b:orig", "c:orig"]);
    expect((await store.list("f1-copy")).length).toBe(3);
    // Forking into an existing thread is refused.
    const err = await app.fork("f1", afterA.id, { newThreadId: "f1-copy" }).catch((e) => e);
    expect(err.code).toBe("THREAD_EXISTS");
  });

  it("clearCheckpoints removes the thread", async () => {
    const app = build();
    await app.invoke({ topic: "t" }, { threadId: "gone" });
    await app.clearCheckpoints("gone");
    expect(await app.listCheckpoints("gone")).toEqual([]);
    expect(isThreadNotFound(await store.getThread("gone").catch((e) => e))).toBe(true);
  });
});
