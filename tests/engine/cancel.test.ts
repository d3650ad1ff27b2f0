/**
 * Cancelling a run through its AbortSignal: nodes receive the signal, the step in flight is discarded (even a
 * sibling that finished), the run ends "cancelled" at its last completed checkpoint, and the thread continues
 * from there. A checkpoint waiting for a decision is refused a plain continue with DECISION_REQUIRED.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { END, START, StateGraph, appendReducer, interrupt } from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { isWaypointError } from "@/lib/errors";
import { engineStores } from "./stores";

const until = async (what: string, ok: () => boolean, ms = 5000) => {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error(`timed out: ${what}`);
};

describe.each(engineStores)("cancelling runs on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  /** `work` loops `steps` times; step `slowAt` blocks until its signal fires, next to a fast sibling `side`. */
  const build = (seen: { signals: AbortSignal[]; slowStarted: boolean; sideDone: boolean }, slowAt: number) =>
    new StateGraph({ n: { default: () => 0 }, steps: { default: () => 5 }, log: { reducer: appendReducer, default: () => [] as string[] } })
      .addNode("work", async (s, ctx) => {
        const n = (s.n as number) + 1;
        seen.signals.push(ctx.signal);
        if (n === slowAt) {
          seen.slowStarted = true;
          // Never finishes on its own: only the cancel ends this step.
          await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }));
        }
        return { n, log: `work ${n}` };
      })
      .addNode("side", (s) => {
        seen.sideDone = true;
        return { log: `side ${(s.n as number) + 1}` };
      })
      .addEdge(START, "work")
      .addConditionalEdges("work", (s) => ((s.n as number) < (s.steps as number) ? ["work", "side"] : END))
      .addEdge("side", END);

  it("passes the signal to nodes; a cancel discards the step in flight and ends the run 'cancelled' at its last checkpoint", async () => {
    const seen = { signals: [] as AbortSignal[], slowStarted: false, sideDone: false };
    const app = build(seen, 3).compile({ store, graphId: "loop" });
    const ac = new AbortController();
    const running = app.invoke({ steps: 5 }, { threadId: "c1", signal: ac.signal });
    await until("the slow step to start", () => seen.slowStarted && seen.sideDone);
    const before = await store.latest("c1");
    expect(before!.state).toMatchObject({ n: 2 });
    ac.abort();
    const res = await running;

    expect(seen.signals.every((s) => s.aborted)).toBe(true);
    expect(res.status).toBe("cancelled");
    // Nothing of step 3 is kept: not the slow node's work, not the sibling that finished, not as pending writes.
    expect(res.checkpoint.id).toBe(before!.id);
    const head = await store.latest("c1");
    expect(head!.id).toBe(before!.id);
    expect(head!.state).toEqual(before!.state);
    expect(head!.pendingWrites).toEqual([]);
    expect((head!.state.log as string[]).filter((l) => l.endsWith(" 3"))).toEqual([]);
    expect(await store.getThread("c1")).toMatchObject({ status: "cancelled", error: null });

    // Resume continues from that checkpoint and finishes: step 3 runs once, as if the cancel never happened.
    const done = await build({ signals: [], slowStarted: false, sideDone: false }, 0)
      .compile({ store, graphId: "loop" })
      .invoke(null, { threadId: "c1" });
    expect(done.status).toBe("done");
    expect(done.values.n).toBe(5);
    expect((done.values.log as string[]).filter((l) => l === "work 3")).toHaveLength(1);
    expect(await store.getThread("c1")).toMatchObject({ status: "done" });
  });

  it("a cancel before the first step keeps the input checkpoint; a node ignoring the signal does not hold the cancel up", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    const app = new StateGraph({ v: { default: () => 0 } })
      .addNode("stubborn", async () => {
        started = true;
        await gate; // ignores its signal
        return { v: 1 };
      })
      .addEdge(START, "stubborn")
      .addEdge("stubborn", END)
      .compile({ store });
    const ac = new AbortController();
    const running = app.invoke({ v: 0 }, { threadId: "c2", signal: ac.signal });
    await until("the node to start", () => started);
    ac.abort();
    const res = await running;
    expect(res.status).toBe("cancelled");
    expect(res.checkpoint.nodeName).toBe("__input__");
    release();
    await new Promise((r) => setTimeout(r, 20));
    // The node finished after the cancel: its write is not saved anywhere.
    expect((await store.list("c2")).map((c) => c.state.v)).toEqual([0]);
  });

  it("refuses to continue past a decision without one (DECISION_REQUIRED, in plain words) and writes nothing", async () => {
    const app = new StateGraph({ ok: { default: () => null } })
      .addNode("review", () => ({ ok: interrupt<boolean>({ question: "ok?" }) }))
      .addEdge(START, "review")
      .addEdge("review", END)
      .compile({ store });
    await app.invoke({}, { threadId: "c3" });
    const count = (await store.list("c3")).length;
    const err = await app.invoke(null, { threadId: "c3" }).catch((e: unknown) => e);
    expect(isWaypointError(err, "DECISION_REQUIRED")).toBe(true);
    expect((err as Error).message).toMatch(/"review" is waiting for a decision at v\d+/);
    expect((await store.list("c3")).length).toBe(count);
    expect((await store.getThread("c3")).status).toBe("interrupted");
  });
});
