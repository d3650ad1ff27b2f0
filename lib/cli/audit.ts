import type { CheckpointStore } from "../checkpoint/types";
import type { PrismaClient } from "../generated/sqlite/client";
import { WaypointError } from "../errors";
import { openStore } from "./store-url";

/**
 * The decision audit trail for `export` / `import` (lib/server/auth/audit.ts writes it). It lives in the accounts
 * database: the store's own database for SQLite and PostgreSQL, else the one the server was given (`--accounts
 * <url>`, the same `file:` / `postgres://` URL as its DATABASE_URL). The CLI cannot import the server's module
 * (it is server-only), so it reads and writes the table through the same Prisma model here.
 *
 * Entries are copied as they are (same id, time, actor, detail): the table is append-only (its triggers refuse
 * UPDATE and DELETE), so an import inserts the entries it lacks and leaves the others, and importing twice
 * changes nothing.
 */
export interface AuditRow {
  id: string;
  at: string;
  actorId: string | null;
  actorName: string;
  actorKind: string;
  action: string;
  outcome: string;
  threadId: string | null;
  graphId: string | null;
  checkpointBefore: string | null;
  checkpointAfter: string | null;
  reason: string | null;
  /** The stored JSON text, verbatim. */
  detail: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditDb {
  prisma: PrismaClient;
  close(): Promise<void>;
}

type PrismaStore = CheckpointStore & { getPrisma(): Promise<unknown> };
const hasPrisma = (s: CheckpointStore): s is PrismaStore => typeof (s as Partial<PrismaStore>).getPrisma === "function";

/**
 * The accounts database for a command on `store`: `accountsUrl` when given (opened, migrated, closed by the
 * caller), else the store's own when it is SQLite or PostgreSQL; null when there is none (Redis, files, memory
 * without `--accounts`): the command then works on threads only and says so.
 */
export async function openAuditDb(store: CheckpointStore, accountsUrl: string | undefined): Promise<AuditDb | null> {
  if (accountsUrl) {
    if (!/^(file:|postgres(ql)?:\/\/)/.test(accountsUrl))
      throw new WaypointError(
        "STORE_CONFIG",
        `--accounts must be a SQLite file: URL or a postgres:// URL, as the server's DATABASE_URL (got ${JSON.stringify(accountsUrl)}).`,
      );
    const own = await openStore(accountsUrl);
    if (!hasPrisma(own)) {
      await own.close();
      throw new WaypointError("STORE_CONFIG", "The accounts database has no Prisma client.");
    }
    return { prisma: (await own.getPrisma()) as PrismaClient, close: () => own.close() };
  }
  if ((store.kind === "sqlite" || store.kind === "postgres") && hasPrisma(store))
    return { prisma: (await store.getPrisma()) as PrismaClient, close: async () => {} };
  return null;
}

type Row = Omit<AuditRow, "at"> & { at: Date };
const toRow = (r: Row): AuditRow => ({ ...r, at: new Date(r.at).toISOString() });

/** Entries oldest first, page by page: every entry (`threadIds` undefined), or those of the given threads. */
export async function* auditEntries(db: AuditDb, threadIds?: string[]): AsyncGenerator<AuditRow> {
  const groups = threadIds === undefined ? [undefined] : threadIds;
  for (const threadId of groups) {
    let after: string | undefined;
    for (;;) {
      const page = (await db.prisma.auditEntry.findMany({
        where: { ...(threadId !== undefined ? { threadId } : {}), ...(after ? { id: { gt: after } } : {}) },
        orderBy: { id: "asc" },
        take: 1000,
      })) as Row[];
      for (const r of page) yield toRow(r);
      if (page.length < 1000) break;
      after = page[page.length - 1].id;
    }
  }
}

const FIELDS: (keyof AuditRow)[] = [
  "actorId",
  "actorName",
  "actorKind",
  "action",
  "outcome",
  "threadId",
  "graphId",
  "checkpointBefore",
  "checkpointAfter",
  "reason",
  "detail",
  "ip",
  "userAgent",
];

/** Checks an entry read from a file; a malformed one is INVALID_ARGUMENT (nothing of it is written). */
export function checkAuditRow(e: unknown): AuditRow {
  const r = e as Record<string, unknown> | null;
  const ok =
    r !== null &&
    typeof r === "object" &&
    typeof r.id === "string" &&
    r.id.length > 0 &&
    r.id.length <= 100 &&
    typeof r.at === "string" &&
    !Number.isNaN(Date.parse(r.at)) &&
    typeof r.actorName === "string" &&
    typeof r.actorKind === "string" &&
    typeof r.action === "string" &&
    typeof r.outcome === "string" &&
    FIELDS.every((f) => r[f] === null || typeof r[f] === "string");
  if (!ok) throw new WaypointError("INVALID_ARGUMENT", "an audit entry is malformed (id, at, actorName, actorKind, action, outcome, text fields).");
  return r as unknown as AuditRow;
}

/** Inserts the entry unless its id is there already; true when it was written. */
export async function importAuditEntry(db: AuditDb, e: AuditRow): Promise<boolean> {
  if (await db.prisma.auditEntry.findUnique({ where: { id: e.id }, select: { id: true } })) return false;
  const data: Record<string, unknown> = { id: e.id, at: new Date(e.at) };
  for (const f of FIELDS) data[f] = e[f] ?? null;
  try {
    await db.prisma.auditEntry.create({ data: data as Parameters<PrismaClient["auditEntry"]["create"]>[0]["data"] });
    return true;
  } catch (err) {
    // Two imports racing on one entry: the other one wrote it (unique id), which is the same outcome.
    if ((err as { code?: unknown }).code === "P2002") return false;
    throw err;
  }
}
