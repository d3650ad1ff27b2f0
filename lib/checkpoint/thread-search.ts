import { WaypointError } from "../errors";
import { THREAD_SORTS, type ThreadInfo, type ThreadSort } from "./types";

/**
 * Thread search (`listThreads({ query, sort })`), the parts every backend shares: the query's limits, what a
 * query matches (in-process for memory/file; SQL and Lua mirror `searchText`), and LIKE escaping.
 */

export const QUERY_MAX = 200;

const bad = (message: string) => new WaypointError("INVALID_ARGUMENT", message);

/** The trimmed query, or undefined for none (absent or blank). */
export function validateQuery(query: unknown): string | undefined {
  if (query === undefined) return undefined;
  if (typeof query !== "string") throw bad("query must be a string.");
  const q = query.trim();
  if (q.length > QUERY_MAX) throw bad(`query must be at most ${QUERY_MAX} characters.`);
  return q === "" ? undefined : q;
}

export function validateSort(sort: unknown, status: string | undefined): ThreadSort {
  if (sort === undefined) return "updated";
  if (!(THREAD_SORTS as readonly unknown[]).includes(sort)) throw bad(`sort must be one of ${THREAD_SORTS.join(", ")}.`);
  if (sort === "waiting" && status !== undefined && status !== "interrupted")
    throw bad(`sort "waiting" lists interrupted threads; it cannot be combined with status "${status}".`);
  return sort as ThreadSort;
}

/**
 * The fields a query is looked for in, each on its own (a match never spans two): id, graph id, status, the
 * error's message and the metadata as JSON text (titles and labels live there).
 */
export function searchFields(t: ThreadInfo): string[] {
  return [t.threadId, t.graphId ?? "", t.status, t.error?.message ?? "", JSON.stringify(t.metadata ?? {})];
}

/** Case-insensitive substring match; the caller passes the query already lower-cased. */
export function matchesQuery(t: ThreadInfo, lowered: string): boolean {
  return searchFields(t).some((f) => f.toLowerCase().includes(lowered));
}

/** `%query%` for LIKE / ILIKE with `\` as the escape character, so `%`, `_` and `\` in the query are literal. */
export function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
