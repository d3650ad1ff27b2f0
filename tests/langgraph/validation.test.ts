/**
 * LangGraph's own checkpointer conformance suite (`@langchain/langgraph-checkpoint-validation`: put, putWrites,
 * getTuple, list, deleteThread, plus the opt-in getDeltaChannelHistory tests) against `WaypointSaver` on each of
 * the five stores. The package's CLI is broken in 1.1.1, so its specs run here as a library; they use Jest-style
 * globals, which this file provides from vitest before calling them.
 * PostgreSQL and Redis are skipped locally when unreachable, but under CI a missing server fails the run.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WaypointSaver } from "@/lib/langgraph";
import { testStores, type OpenedStore } from "./stores";

Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });
const { deltaChannelHistoryTests, validate } = await import("@langchain/langgraph-checkpoint-validation");

for (const kind of testStores) {
  const unreachable = await kind.unreachable();
  if (unreachable && !process.env.CI) {
    describe.skip(`WaypointSaver on ${kind.name} (skipped locally: ${unreachable})`, () => {
      it("needs the server", () => {});
    });
    continue;
  }
  describe(`WaypointSaver on ${kind.name}`, () => {
    const opened = new Map<WaypointSaver, OpenedStore>();
    const initializer = {
      checkpointerName: `waypoint-${kind.name}`,
      beforeAll() {
        if (unreachable) throw new Error(`${kind.name} is required under CI: ${unreachable}`);
      },
      afterAll: () => kind.dropAll(),
      async createCheckpointer() {
        const o = await kind.open();
        const saver = new WaypointSaver(o.store);
        opened.set(saver, o);
        return saver;
      },
      async destroyCheckpointer(saver: WaypointSaver) {
        await opened.get(saver)?.dispose();
        opened.delete(saver);
      },
    };
    validate(initializer);
    deltaChannelHistoryTests(initializer);
  });
}
