/**
 * Retention planning shared by every store: given a thread's checkpoint skeleton, which to delete and how
 * to re-link the survivors. Pure, so each backend only fetches rows and applies the plan atomically.
 */
export interface SkeletonRow {
  id: string;
  parentId: string | null;
  version: number;
}

export interface PrunePlan {
  deleteIds: string[];
  /** Survivors whose parent is deleted, with their nearest surviving ancestor (or null). */
  relink: { id: string; parentId: string | null }[];
}

/** Keep the newest `keep` by version and every branch tip; delete the rest. */
export function planPrune(rows: SkeletonRow[], keep: number): PrunePlan {
  if (rows.length <= keep) return { deleteIds: [], relink: [] };
  const byId = new Map(rows.map((r) => [r.id, r]));
  const hasChild = new Set<string>();
  for (const r of rows) if (r.parentId !== null) hasChild.add(r.parentId);
  const newest = [...rows].sort((a, b) => b.version - a.version).slice(0, keep);
  const kept = new Set(newest.map((r) => r.id));
  for (const r of rows) if (!hasChild.has(r.id)) kept.add(r.id); // branch tips always survive
  const deleteIds = rows.filter((r) => !kept.has(r.id)).map((r) => r.id);
  return { deleteIds, relink: relinkAfterDelete(rows, new Set(deleteIds), byId) };
}

/** For survivors whose parent is in `deleted`, the nearest ancestor not deleted (null if none). */
export function relinkAfterDelete(
  rows: SkeletonRow[],
  deleted: Set<string>,
  byId: Map<string, SkeletonRow> = new Map(rows.map((r) => [r.id, r])),
): PrunePlan["relink"] {
  const relink: PrunePlan["relink"] = [];
  for (const r of rows) {
    if (deleted.has(r.id) || r.parentId === null || !deleted.has(r.parentId)) continue;
    let p: string | null = r.parentId;
    while (p !== null && deleted.has(p)) p = byId.get(p)?.parentId ?? null;
    relink.push({ id: r.id, parentId: p });
  }
  return relink;
}
