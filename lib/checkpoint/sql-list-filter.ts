/**
 * The namespace and metadata conditions of `list` / `listSummaries` (ListOptions, types.ts) as SQL, for the two
 * SQL stores. Values are always bound parameters (keys included), never spliced into the text.
 * - SQLite: one `json_each` probe per filter key on the row's metadata: the key, the JSON type (so 3 never
 *   matches "3", and true never matches 1) and the value (`atom`).
 * - PostgreSQL: JSONB containment of the filter object (`metadata @> filter`); for scalar values, as the
 *   filter only holds (strings, numbers, booleans), that is equality on each top-level key.
 */
import type { MetadataFilter } from "./list-filter";

export interface ListFilter {
  namespace?: string;
  metadata?: MetadataFilter;
}

export const hasListFilter = (o: ListFilter): boolean => o.namespace !== undefined || o.metadata !== undefined;

/** ` AND ...` conditions for SQLite on table (or alias) `t`, with their `?` parameters in order. */
export function sqliteListFilter(o: ListFilter, t: string): { where: string; values: unknown[] } {
  let where = "";
  const values: unknown[] = [];
  if (o.namespace !== undefined) {
    where += ` AND ${t}."namespace" = ?`;
    values.push(o.namespace);
  }
  for (const [key, value] of Object.entries(o.metadata ?? {})) {
    const probe = `SELECT 1 FROM json_each(${t}."metadata") AS "m" WHERE "m"."key" = ?`;
    if (typeof value === "boolean") {
      where += ` AND EXISTS (${probe} AND "m"."type" = '${value ? "true" : "false"}')`;
      values.push(key);
    } else {
      where += ` AND EXISTS (${probe} AND "m"."type" IN (${typeof value === "string" ? `'text'` : `'integer', 'real'`}) AND "m"."atom" = ?)`;
      values.push(key, value);
    }
  }
  return { where, values };
}

/** ` AND ...` conditions for PostgreSQL on table (or alias) `t`, numbering parameters from `$first`. */
export function pgListFilter(o: ListFilter, t: string, first: number): { where: string; values: unknown[] } {
  let where = "";
  const values: unknown[] = [];
  if (o.namespace !== undefined) {
    values.push(o.namespace);
    where += ` AND ${t}."namespace" = $${first + values.length - 1}`;
  }
  if (o.metadata) {
    values.push(JSON.stringify(o.metadata));
    where += ` AND ${t}."metadata" @> $${first + values.length - 1}::jsonb`;
  }
  return { where, values };
}
