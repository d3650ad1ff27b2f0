/** The timeline's tree layout (lib/client/tree.ts): order, depth, branch starts, child counts. */
import { describe, expect, it } from "vitest";
import { buildTree } from "@/lib/client/tree";
import type { Checkpoint } from "@/lib/client/types";

/** A checkpoint with only what the layout reads. */
const cp = (checkpointId: string, parentId: string | null, version: number) => ({ checkpointId, parentId, version }) as Checkpoint;

/** Rows as "id@depth" (with "*" on a branch start) for compact assertions. */
const layout = (checkpoints: Checkpoint[]) => buildTree(checkpoints).map((r) => `${r.cp.checkpointId}@${r.depth}${r.branchStart ? "*" : ""}`);

describe("buildTree", () => {
  it("lays out nothing for no checkpoints", () => {
    expect(buildTree([])).toEqual([]);
  });

  it("keeps one line at depth 0, oldest first, whatever the input order", () => {
    const line = [cp("c", "b", 3), cp("a", null, 1), cp("b", "a", 2)];
    expect(layout(line)).toEqual(["a@0", "b@0", "c@0"]);
    expect(buildTree(line).map((r) => r.childCount)).toEqual([1, 1, 0]);
  });

  it("lists a later child as a branch one level deeper, right under the checkpoint it came from", () => {
    // a → b → c is the main line; d (version 4) forks off a; e continues d's branch.
    const cps = [cp("a", null, 1), cp("b", "a", 2), cp("c", "b", 3), cp("d", "a", 4), cp("e", "d", 5)];
    expect(layout(cps)).toEqual(["a@0", "d@1*", "e@1", "b@0", "c@0"]);
    const a = buildTree(cps)[0];
    expect(a.childCount).toBe(2);
  });

  it("orders sibling branches by version and nests forks of forks", () => {
    const cps = [
      cp("a", null, 1),
      cp("b", "a", 2),
      cp("f2", "a", 6), // second fork off a
      cp("f1", "a", 3), // first fork off a
      cp("g", "f1", 4),
      cp("h", "f1", 5), // a fork off the fork
    ];
    expect(layout(cps)).toEqual(["a@0", "f1@1*", "h@2*", "g@1", "f2@1*", "b@0"]);
  });

  it("treats a checkpoint whose parent is not in the list as a root; later roots start branches", () => {
    const cps = [cp("x", "pruned", 7), cp("y", "x", 8), cp("a", null, 1)];
    expect(layout(cps)).toEqual(["a@0", "x@0*", "y@0"]);
  });

  it("handles a 10,000-checkpoint line without recursion", () => {
    const cps = Array.from({ length: 10_000 }, (_, i) => cp(`c${i}`, i ? `c${i - 1}` : null, i + 1));
    const rows = buildTree(cps.reverse());
    expect(rows).toHaveLength(10_000);
    expect(rows[0].cp.checkpointId).toBe("c0");
    expect(rows[9_999].cp.checkpointId).toBe("c9999");
    expect(rows.every((r) => r.depth === 0 && !r.branchStart)).toBe(true);
  });
});
