import type { ApiDiffChange } from "../api/responses";

/**
 * The changes between two states, path by path, made for people reading "what changed since then?" on long
 * threads. Objects are compared key by key and arrays index by index over their common length; what one array
 * has beyond the other is ONE entry when it is longer than TAIL_ITEMS ("append": +N items from index `from`;
 * "truncate": −N), so the head of a 10,000-step thread against an early checkpoint is a handful of entries, not
 * 20,003 rows. The items themselves are in the checkpoints' values (the dashboard lists them on demand).
 *
 * Pure and JSON-only (states round-trip through JSON): O(size of both values), no recursion into identical
 * references.
 */

/** Up to this many items beyond the other array's end are listed one by one; more are summarised. */
export const TAIL_ITEMS = 3;

type Path = (string | number)[];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function diffStates(before: Record<string, unknown>, after: Record<string, unknown>): ApiDiffChange[] {
  const out: ApiDiffChange[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(a: unknown, b: unknown, path: Path, out: ApiDiffChange[]): void {
  if (a === b) return;
  if (isObject(a) && isObject(b)) {
    for (const k of Object.keys(a)) {
      if (!(k in b)) out.push({ path: [...path, k], type: "remove", before: a[k] });
      else walk(a[k], b[k], [...path, k], out);
    }
    for (const k of Object.keys(b)) if (!(k in a)) out.push({ path: [...path, k], type: "create", after: b[k] });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) walk(a[i], b[i], [...path, i], out);
    const extra = Math.abs(a.length - b.length);
    if (extra === 0) return;
    if (extra > TAIL_ITEMS) {
      out.push({ path, type: b.length > a.length ? "append" : "truncate", count: extra, from: common });
      return;
    }
    for (let i = common; i < a.length; i++) out.push({ path: [...path, i], type: "remove", before: a[i] });
    for (let i = common; i < b.length; i++) out.push({ path: [...path, i], type: "create", after: b[i] });
    return;
  }
  // Different types, or different primitives (NaN never occurs: JSON has none).
  out.push({ path, type: "change", before: a, after: b });
}
