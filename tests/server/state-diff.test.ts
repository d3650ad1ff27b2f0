import { describe, expect, it } from "vitest";
import { diffStates, TAIL_ITEMS } from "@/lib/server/state-diff";

/** The diff's shape: path by path, long array tails as one entry (issue 11: not 20,003 rows). */
describe("diffStates", () => {
  it("compares objects key by key and arrays index by index", () => {
    expect(diffStates({ a: 1, b: { c: "x", d: [1, 2] }, gone: true }, { a: 1, b: { c: "y", d: [1, 3] }, fresh: null })).toEqual([
      { path: ["b", "c"], type: "change", before: "x", after: "y" },
      { path: ["b", "d", 1], type: "change", before: 2, after: 3 },
      { path: ["gone"], type: "remove", before: true },
      { path: ["fresh"], type: "create", after: null },
    ]);
    expect(diffStates({ same: [{ x: 1 }] }, { same: [{ x: 1 }] })).toEqual([]);
    expect(diffStates({ t: [1] }, { t: { 0: 1 } })).toEqual([{ path: ["t"], type: "change", before: [1], after: { 0: 1 } }]);
  });

  it("lists a short tail item by item and summarises a long one", () => {
    const short = Array.from({ length: TAIL_ITEMS }, (_, i) => i);
    expect(diffStates({ l: [] }, { l: short })).toEqual(short.map((v, i) => ({ path: ["l", i], type: "create", after: v })));
    const long = Array.from({ length: 10_000 }, (_, i) => i + 1);
    expect(diffStates({ l: [1], m: long }, { l: long, m: [] })).toEqual([
      { path: ["l"], type: "append", count: 9_999, from: 1 },
      { path: ["m"], type: "truncate", count: 10_000, from: 0 },
    ]);
    // A changed item inside the common part is still listed, beside the summarised tail.
    expect(diffStates({ l: [0, 1] }, { l: [9, ...long] })).toEqual([
      { path: ["l", 0], type: "change", before: 0, after: 9 },
      { path: ["l"], type: "append", count: 9_999, from: 2 },
    ]);
  });
});
