import { THREAD_COLUMNS } from "./sql-rows";
import { likePattern } from "./thread-search";
import type { validateListThreads } from "./validate";

/**
 * The SQL of a thread search (`listThreads` with a `query`), for SQLite and PostgreSQL: Prisma's filters cannot
 * look inside JSON text, so this one listing is hand-written. Same filters, order and cursor as the Prisma path:
 * (updated_at, thread_id) descending, or ascending for sort "waiting"; a page reads limit + 1 rows to know if
 * there is more. The query is one LIKE pattern (escaped: its `%`, `_`, `\` are literal) tried on each searched
 * field on its own, as `searchFields` (thread-search.ts) does in process.
 */
export function threadSearchSql(dialect: "sqlite" | "postgres", o: ReturnType<typeof validateListThreads>): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const p = (v: unknown) => {
    values.push(v);
    return dialect === "postgres" ? `$${values.length}` : "?";
  };
  const where: string[] = [];
  if (o.status !== undefined) where.push(`"status" = ${p(o.status)}`);
  if (o.graphId !== undefined) where.push(`"graph_id" = ${p(o.graphId)}`);
  if (o.query !== undefined) {
    const like = dialect === "postgres" ? "ILIKE" : "LIKE"; // SQLite's LIKE already ignores ASCII case
    const message = dialect === "postgres" ? `("error" ->> 'message')` : `json_extract("error", '$.message')`;
    const metadata = dialect === "postgres" ? `("metadata"::text)` : `"metadata"`;
    const fields = [`"thread_id"`, `"graph_id"`, `"status"`, message, metadata];
    const pat = likePattern(o.query);
    where.push(`(${fields.map((f) => `${f} ${like} ${p(pat)} ESCAPE '\\'`).join(" OR ")})`);
  }
  const asc = o.sort === "waiting";
  if (o.cursor) {
    const op = asc ? ">" : "<";
    const at = dialect === "postgres" ? `${p(o.cursor.updatedAt)}::timestamptz` : p(o.cursor.updatedAt);
    const at2 = dialect === "postgres" ? `${p(o.cursor.updatedAt)}::timestamptz` : p(o.cursor.updatedAt);
    where.push(`("updated_at" ${op} ${at} OR ("updated_at" = ${at2} AND "thread_id" ${op} ${p(o.cursor.threadId)}))`);
  }
  const dir = asc ? "ASC" : "DESC";
  const text =
    `SELECT ${THREAD_COLUMNS} FROM "threads"` +
    (where.length ? ` WHERE ${where.join(" AND ")}` : "") +
    ` ORDER BY "updated_at" ${dir}, "thread_id" ${dir} LIMIT ${p(o.limit + 1)}`;
  return { text, values };
}
