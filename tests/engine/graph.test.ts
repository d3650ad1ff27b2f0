import { describe, expect, it } from "vitest";
import { END, START, StateGraph, appendReducer, isGraphValidationError } from "@/lib/engine";
import { createMemoryStore } from "@/lib/checkpoint/memory";

const noop = () => ({});
const schema = { log: { reducer: appendReducer, default: () => [] as unknown[] }, x: {} };

function expectInvalid(fn: () => unknown, message: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isGraphValidationError(caught), `expected INVALID_GRAPH, got ${String(caught)}`).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe("StateGraph validation", async () => {
  const store = await createMemoryStore();

  it("rejects duplicate and reserved node names at once", () => {
    const g = new StateGraph(schema).addNode("a", noop);
    expectInvalid(() => g.addNode("a", noop), /Duplicate node name "a"/);
    expectInvalid(() => g.addNode("__input__", noop), /reserved/);
    expectInvalid(() => g.addNode("a,b", noop), /Invalid node name/);
    expectInvalid(() => new StateGraph({}), /at least one channel/);
    expectInvalid(() => new StateGraph({ __proto__x: {} }), /reserved/);
  });

  it("rejects edges to unknown nodes, no entry point and unreachable nodes at compile", () => {
    expectInvalid(() => new StateGraph(schema).addNode("a", noop).addEdge(START, "a").addEdge("a", "b").compile({ store }), /unknown node "b"/);
    expectInvalid(
      () => new StateGraph(schema).addNode("a", noop).addEdge("ghost", "a").addEdge(START, "a").compile({ store }),
      /unknown node "ghost"/,
    );
    expectInvalid(() => new StateGraph(schema).addNode("a", noop).addEdge("a", END).compile({ store }), /no entry point/);
    expectInvalid(
      () => new StateGraph(schema).addNode("a", noop).addNode("island", noop).addEdge(START, "a").addEdge("island", "a").compile({ store }),
      /Unreachable node\(s\) from START: island/,
    );
    expectInvalid(
      () =>
        new StateGraph(schema)
          .addNode("a", noop)
          .addEdge(START, "a")
          .addConditionalEdges("a", () => "x", { x: "nowhere" })
          .compile({ store }),
      /maps to unknown node "nowhere"/,
    );
    expectInvalid(
      () =>
        new StateGraph(schema)
          .addNode("a", noop)
          .addEdge(START, "a")
          .compile({ store, interruptBefore: ["zz"] }),
      /interruptBefore names unknown node "zz"/,
    );
  });

  it("treats a router without a path map as able to reach any node", () => {
    const g = new StateGraph(schema)
      .addNode("a", noop)
      .addNode("b", noop)
      .addEdge(START, "a")
      .addConditionalEdges("a", () => "b")
      .compile({ store, graphId: "g" });
    const s = g.describe();
    expect(s.graphId).toBe("g");
    expect(s.edges).toContainEqual({ source: "a", target: "b", conditional: true });
    expect(s.channels).toEqual([
      { name: "log", reducer: "append", description: undefined },
      { name: "x", reducer: "last-value", description: undefined },
    ]);
  });
});
