/** Go-to targets and timeline filters (components/thread/timeline-find.ts), and the waiting age (lib/client/age.ts). */
import { describe, expect, it } from "vitest";
import { findTarget, parseTarget, passes } from "@/components/thread/timeline-find";
import { age } from "@/lib/client/age";
import type { Checkpoint } from "@/lib/client/types";

const cp = (checkpointId: string, parentId: string | null, version: number, step: number, over: Partial<Checkpoint> = {}) =>
  ({ checkpointId, parentId, version, step, nodeName: "work", interrupts: [], metadata: { source: "loop", writes: [] }, ...over }) as Checkpoint;

describe("parseTarget", () => {
  it("reads versions and steps the way people type them", () => {
    expect(parseTarget("v1234")).toEqual({ kind: "version", n: 1234 });
    expect(parseTarget(" 1234 ")).toEqual({ kind: "version", n: 1234 });
    expect(parseTarget("#7")).toEqual({ kind: "version", n: 7 });
    expect(parseTarget("V 12")).toEqual({ kind: "version", n: 12 });
    expect(parseTarget("s12")).toEqual({ kind: "step", n: 12 });
    expect(parseTarget("step -1")).toEqual({ kind: "step", n: -1 });
    for (const bad of ["", "v", "vv1", "1.5", "s", "draft", "v1234567890"]) expect(parseTarget(bad)).toBeNull();
  });
});

describe("findTarget", () => {
  // a(step -1) → b(0) → c(1); d(1) forks off b (a second step 1, on another branch).
  const all = [cp("a", null, 1, -1), cp("b", "a", 2, 0), cp("c", "b", 3, 1), cp("d", "b", 4, 1)];
  it("finds a version, or nothing", () => {
    expect(findTarget(all, { kind: "version", n: 3 }, null)?.checkpointId).toBe("c");
    expect(findTarget(all, { kind: "version", n: 9 }, null)).toBeUndefined();
  });
  it("finds a step on the selected checkpoint's branch first, else its first occurrence", () => {
    expect(findTarget(all, { kind: "step", n: 1 }, "d")?.checkpointId).toBe("d");
    expect(findTarget(all, { kind: "step", n: 1 }, "a")?.checkpointId).toBe("c");
    expect(findTarget(all, { kind: "step", n: 1 }, null)?.checkpointId).toBe("c");
    expect(findTarget(all, { kind: "step", n: 5 }, "d")).toBeUndefined();
  });
});

describe("passes", () => {
  const none = { node: "", source: "", author: "" };
  const edit = cp("e", "a", 5, 0, { nodeName: "__update__", metadata: { source: "update", writes: [], actor: "Ada" } });
  const paused = cp("p", "a", 6, 1, { nodeName: "review", interrupts: [{ id: "i", node: "review", kind: "dynamic" }] as Checkpoint["interrupts"] });
  const both = cp("m", "a", 7, 2, { nodeName: "search_web,search_papers" });
  it("filters by node (any of a step's nodes), source, interrupts, errors and author", () => {
    expect(passes({ ...none, node: "search_papers" }, both, null)).toBe(true);
    expect(passes({ ...none, node: "search" }, both, null)).toBe(false);
    expect(passes({ ...none, source: "update" }, edit, null)).toBe(true);
    expect(passes({ ...none, source: "loop" }, edit, null)).toBe(false);
    expect(passes({ ...none, source: "interrupt" }, paused, null)).toBe(true);
    expect(passes({ ...none, source: "interrupt" }, both, null)).toBe(false);
    expect(passes({ ...none, source: "error" }, both, "m")).toBe(true);
    expect(passes({ ...none, source: "error" }, both, null)).toBe(false);
    expect(passes({ ...none, author: "Ada" }, edit, null)).toBe(true);
    expect(passes({ ...none, author: "Ada" }, paused, null)).toBe(false);
    expect(passes({ node: "review", source: "interrupt", author: "" }, paused, null)).toBe(true);
  });
});

describe("age", () => {
  const now = Date.parse("2026-01-02T12:00:00Z");
  it("says how long, in the two largest units", () => {
    expect(age("2026-01-02T11:59:15Z", now)).toBe("45s");
    expect(age("2026-01-02T11:48:00Z", now)).toBe("12m");
    expect(age("2026-01-02T08:55:00Z", now)).toBe("3h 5m");
    expect(age("2026-01-02T09:00:00Z", now)).toBe("3h");
    expect(age("2025-12-31T08:00:00Z", now)).toBe("2d 4h");
    expect(age("2026-01-02T12:00:05Z", now)).toBe("0s"); // a clock slightly ahead
  });
});
