import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { END, START, StateGraph, appendReducer, interrupt, isWaypointError } from "@/lib/engine";
import type { CheckpointStore } from "@/lib/checkpoint/types";
import { engineStores } from "./stores";

/** Declared shapes: a node's resume schema (checked before a run writes anything) and channel schemas (described as JSON Schema). */
const Choice = z.object({
  option: z.enum(["a", "b", "c"]),
  budget: z.number().int().min(100).max(5000),
  note: z.string().max(20).optional(),
});

describe.each(engineStores)("declared schemas on the $name store", (backend) => {
  let store: CheckpointStore;
  let dispose: () => Promise<void>;
  beforeEach(async () => ({ store, dispose } = await backend.create()));
  afterEach(async () => dispose());

  const graph = () => {
    const seen: unknown[] = [];
    const app = new StateGraph({
      item: { schema: z.string().min(1), description: "What to buy." },
      choice: { default: () => null, schema: Choice.nullable() },
      log: { reducer: appendReducer, default: () => [], schema: z.array(z.string()), internal: true },
    })
      .addNode(
        "ask",
        (s) => {
          const answer = interrupt<z.infer<typeof Choice>>({ item: s.item });
          seen.push(answer);
          return { choice: answer, log: `chose ${answer.option}` };
        },
        { resume: Choice },
      )
      .addEdge(START, "ask")
      .addEdge("ask", END)
      .compile({ store });
    return { app, seen };
  };

  it("refuses a resume value its node's schema rejects, with every issue by field, and writes nothing", async () => {
    const { app, seen } = graph();
    await app.invoke({ item: "chairs" }, { threadId: "t1" });
    const before = await store.list("t1");
    const err = await app.invoke(null, { threadId: "t1", command: { resume: { option: "z", budget: 5 } } }).catch((e: unknown) => e);
    expect(isWaypointError(err, "INVALID_RESUME")).toBe(true);
    const details = (err as { details: { node: string; issues: { path: string; message: string }[] } }).details;
    expect(details.node).toBe("ask");
    expect(details.issues.map((i) => i.path).sort()).toEqual(["budget", "option"]);
    // The same refusal from checkResume, before any run.
    await expect(app.checkResume("t1", { option: "a", budget: 1e9 })).rejects.toMatchObject({ code: "INVALID_RESUME" });
    expect(await store.list("t1")).toEqual(before);
    expect((await store.getThread("t1")).status).toBe("interrupted");
    expect(seen).toEqual([]);

    const done = await app.invoke(null, { threadId: "t1", command: { resume: { option: "b", budget: 1200, extra: "dropped" } } });
    expect(done.status).toBe("done");
    // The node receives the schema's output (unknown keys dropped).
    expect(seen).toEqual([{ option: "b", budget: 1200 }]);
    expect(done.values.choice).toEqual({ option: "b", budget: 1200 });
  });

  it("checks channel schemas on every write (INVALID_STATE) and describes channels and resume values as JSON Schema", async () => {
    const { app } = graph();
    await expect(app.invoke({ item: "" }, { threadId: "t2" })).rejects.toMatchObject({ code: "INVALID_STATE" });
    const d = app.describe();
    expect(d.nodes.find((n) => n.id === "ask")?.resume).toMatchObject({
      type: "object",
      properties: { option: { enum: ["a", "b", "c"] }, budget: { type: "integer", minimum: 100, maximum: 5000 } },
      required: ["option", "budget"],
    });
    expect(d.channels.find((c) => c.name === "item")).toMatchObject({ schema: { type: "string", minLength: 1 } });
    expect(d.channels.find((c) => c.name === "log")).toMatchObject({ internal: true });
    expect(d.channels.find((c) => c.name === "item")).not.toHaveProperty("internal");
  });

  it("an edit sent back for review (reask) drops the dynamic interrupt; the next plain run asks again with the edited state", async () => {
    const { app } = graph();
    const first = await app.invoke({ item: "chairs" }, { threadId: "t3" });
    expect(first.interrupts[0].value).toEqual({ item: "chairs" });
    const edited = await app.updateState("t3", { item: "desks" }, { reask: true });
    expect(edited.interrupts).toEqual([]);
    expect(edited.next).toEqual(["ask"]);
    expect((await store.getThread("t3")).status).toBe("idle");
    const again = await app.invoke(null, { threadId: "t3" });
    expect(again.status).toBe("interrupted");
    expect(again.interrupts[0].value).toEqual({ item: "desks" });
    // Without reask, an edit keeps the interrupt (and a plain run is still refused until it is answered).
    await app.updateState("t3", { item: "lamps" });
    await expect(app.invoke(null, { threadId: "t3" })).rejects.toMatchObject({ code: "DECISION_REQUIRED" });
  });
});
