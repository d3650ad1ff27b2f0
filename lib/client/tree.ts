/**
 * Lays a thread's checkpoints out as a tree for the timeline: depth-first from the roots, oldest first.
 * A checkpoint's first child (lowest version) continues its branch at the same depth; every later child
 * starts a branch one level deeper, listed right under the checkpoint it came from. Iterative, so 10,000
 * checkpoints in one chain cannot overflow the stack. O(n log n).
 */
import type { Checkpoint } from "./types";

export interface TreeRow {
  cp: Checkpoint;
  depth: number;
  /** First checkpoint of a branch (a fork off its parent's line). */
  branchStart: boolean;
  childCount: number;
}

export function buildTree(checkpoints: Checkpoint[]): TreeRow[] {
  const byId = new Map(checkpoints.map((c) => [c.checkpointId, c]));
  const children = new Map<string, Checkpoint[]>();
  const roots: Checkpoint[] = [];
  for (const c of checkpoints) {
    if (c.parentId && byId.has(c.parentId)) {
      const list = children.get(c.parentId);
      if (list) list.push(c);
      else children.set(c.parentId, [c]);
    } else roots.push(c);
  }
  for (const list of children.values()) list.sort((a, b) => a.version - b.version);
  roots.sort((a, b) => a.version - b.version);

  const rows: TreeRow[] = [];
  // Stack of [checkpoint, depth, branchStart]; pushed in reverse so pops come in display order.
  const stack: [Checkpoint, number, boolean][] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i], 0, i > 0]);
  while (stack.length) {
    const [cp, depth, branchStart] = stack.pop()!;
    const kids = children.get(cp.checkpointId) ?? [];
    rows.push({ cp, depth, branchStart, childCount: kids.length });
    // Display order under cp: the branches (later children) first, right under their origin, then the
    // continuation of cp's own line (first child) at the same depth.
    if (kids.length) stack.push([kids[0], depth, false]);
    for (let i = kids.length - 1; i >= 1; i--) stack.push([kids[i], depth + 1, true]);
  }
  return rows;
}
